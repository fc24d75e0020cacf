"""winoadder: bit-accurate Winograd AdderNet datapath simulator and verification harness."""

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)
