"""explore suite: `winoadder explore` with synthesis in the loop, 2-worker against 1-worker LocalCluster.

Both runs start from empty caches (task cache and yosys cache in fresh temp dirs) and compute the same
grid: accuracy, yosys iCE40 synthesis of every point, no verification (wall clock, cluster start-up
included). The ratio is 1-worker time / 2-worker time; the goal is ≥ 1.6× (yosys runs dominate and are
independent). Quick mode uses 8 points at small widths, full mode 48.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from winoadder.benchmarks.core import Goal, Row, Timing, dependency_reason, unavailable

SUITE = "explore"
AXES = {
    True: {"matrices": ["balanced", "lavin"], "width": [4], "lanes": [1], "acc_overflow": ["SAT", "WRAP"],
           "rounding": ["RND", "TRN"]},
    False: None,  # explore.AXES: 48 points
}


def _timed_explore(points, workers: int) -> float:
    from winoadder.dask_exec import dask_client
    from winoadder.ml import explore

    with tempfile.TemporaryDirectory(prefix="winoadder-bench-explore-") as tmp:
        start = time.perf_counter()
        with dask_client(workers=workers) as client:
            explore.explore(points, client, Path(tmp) / "tasks", "none", False,
                            synth_cache=Path(tmp) / "synth")
        return time.perf_counter() - start


def run(quick: bool, timing: Timing) -> list[Row]:
    try:
        from winoadder.hw.synth import require_yosys
        from winoadder.ml import explore

        require_yosys()
    except (ImportError, ValueError) as exc:
        return [unavailable(SUITE, "explore, 2 vs 1 workers", "—", "points/s", dependency_reason(exc))]
    points = explore.grid(AXES[quick] or explore.AXES)
    one = _timed_explore(points, 1)
    two = _timed_explore(points, 2)
    note = f"1 worker {one:.0f} s, 2 workers {two:.0f} s (fresh caches, yosys in the loop)"
    return [Row(SUITE, "explore with synthesis, 2-worker LocalCluster", f"{len(points)} points", "points/s",
                len(points) / two, anchor="1 worker", anchor_value=len(points) / one, goal=Goal(1.6),
                note=note)]
