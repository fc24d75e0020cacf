"""vectors suite (waiting for its dependencies)."""

from __future__ import annotations

from winoadder.benchmarks.core import Row, Timing, unavailable

SUITE = "vectors"


def run(quick: bool, timing: Timing) -> list[Row]:
    return [unavailable(SUITE, "vectors", "—", "tx/s", "not wired yet")]
