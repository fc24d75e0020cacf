"""The suites of `winoadder bench`: each module has ``SUITE`` and ``run(quick, timing) -> list[Row]``."""
