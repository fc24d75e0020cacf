"""grade suite: mutation grading speed, mutants per minute on 2 cores (`winoadder grade`).

The full campaign (every mutant of the RTL; a seeded sample of 60 when quick) is graded against the
default vector set (`winoadder vectors` defaults, default config) with 2 local worker processes and an
empty mutant build cache: the schema build (winoadder.hw.schema) and every mutant that keeps a build of
its own are verilated and compiled inside the measurement. The rate is mutants graded per minute of
the 2 cores' CPU time (user + system of every child process / 2: neighbours on a shared machine do not
count against it; steps that do not split over the cores make the idle-machine wall time somewhat
longer); the note gives the wall-clock time, the machine's load average before and after, and the
counts. The one-time coverage build of the set's configuration is
left out (cached, as it is after the first grading of a configuration); the coverage run is in.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

from winoadder.benchmarks.core import Goal, Row, Timing, dependency_reason, unavailable

SUITE = "grade"
GOAL = Goal(110.0, on="ours", unit="mutants/min")  # the full default campaign (1 109 mutants) in 10 min
SAMPLE = {True: 60, False: 0}  # 0: every mutant
COUNT = 10000  # the default set; its coverage build is shared with grading it


def run(quick: bool, timing: Timing) -> list[Row]:
    what = "mutation grading, default set, 2 cores"
    try:
        from simulator import DatapathConfig
        from vectors.manifest import create_vector_set, read_vector_set
        from winoadder.hw.grade import coverage_build, grade
        from winoadder.hw.mutate import rtl_mutants
        from winoadder.paths import RTL_DIR
    except ImportError as exc:
        return [unavailable(SUITE, what, "—", "mutants/min", dependency_reason(exc), GOAL)]
    cfg = DatapathConfig.default()
    total = len(rtl_mutants(RTL_DIR))
    sample = SAMPLE[quick]
    size = f"{sample or total} mutants"
    with tempfile.TemporaryDirectory(prefix="winoadder-bench-grade-") as tmp:
        try:
            create_vector_set(f"{tmp}/set", cfg, count=COUNT, seed=0)
            vset = read_vector_set(f"{tmp}/set")
            _warm_coverage_build(vset, coverage_build)
            load_before = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            report = grade(vset, jobs=2, sample=sample, seed=1, mutant_cache=f"{tmp}/mutants")
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            load_after = os.getloadavg()[0]
        except Exception as exc:  # a missing tool or a build failure is a row, not a crash
            reason = dependency_reason(exc)
            return [unavailable(SUITE, what, size, "mutants/min", reason, GOAL)]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    graded = report["mutants_graded"]
    rate = 60.0 * graded / max(cpu / 2, 1e-3)
    note = (f"{graded} of {total} mutants: {cpu:.0f} CPU s of the children ({cpu / 120:.1f} min of 2 cores), "
            f"{wall / 60:.1f} min wall ("
            f"load average {load_before:.1f} -> {load_after:.1f}); {report['schema']['mutants']} on the "
            f"schema build, {report['schema']['own_builds']} with their own; counts {report['counts']}")
    return [Row(SUITE, what, size, "mutants/min", rate, goal=GOAL, note=note,
                extra={"cpu_seconds": cpu, "wall_seconds": wall, "mutants_total": total,
                       "counts": report["counts"], "score": report["score"], "schema": report["schema"],
                       "load_average": [load_before, load_after]})]


def _warm_coverage_build(vset, coverage_build):
    """Build (or find cached) the coverage build of the set's configuration, outside the measurement."""
    from winoadder.hw.grade import testbench_parameters
    from winoadder.paths import RTL_DIR, TB_DIR

    coverage_build(testbench_parameters(vset), RTL_DIR, TB_DIR / "tb_winoadder_core.v")
