"""rtl suite (waiting for its dependencies)."""

from __future__ import annotations

from winoadder.benchmarks.core import Row, Timing, unavailable

SUITE = "rtl"


def run(quick: bool, timing: Timing) -> list[Row]:
    return [unavailable(SUITE, "rtl", "—", "tx/s", "not wired yet")]
