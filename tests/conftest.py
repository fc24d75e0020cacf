"""Shared test setup: seeded hypothesis profiles; the tools the suite needs must exist (fail, never skip)."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# `winoadder grade --suite`: the ci examples, no shrinking (the first failure kills the mutant) and no
# example database (a mutant's failure must not change the next mutant's examples).
settings.register_profile("mutants", parent=settings.get_profile("ci"), database=None,
                          phases=[Phase.explicit, Phase.generate])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REQUIRED_TOOLS = ("iverilog", "vvp", "verilator", "yosys")


def pytest_sessionstart(session):
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        raise pytest.UsageError(
            f"missing tools {', '.join(missing)}: run 'make setup' "
            "(or apt-get install iverilog verilator yosys)"
        )
