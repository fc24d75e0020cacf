"""Hardware test vectors for winoadder_core: generation, file layout, manifest and coverage."""
