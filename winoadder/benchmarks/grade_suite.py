"""grade suite: mutation grading speed, mutants per minute on 2 cores (`winoadder grade`).

A seeded sample of the RTL's mutants is graded against a default-config vector set (`winoadder vectors`
defaults, smaller --count when quick) with 2 local worker processes and an empty mutant build cache,
so every distinct mutant is verilated and compiled. The rate counts the mutants graded (each verilated,
the distinct ones compiled and run; the not-reached ones without compiling) per minute of the
2 cores' CPU time (user + system of every child process / 2: neighbours on a shared machine do not
count against it); the note gives the wall-clock time too, and the full campaign's mutant count and
its time at this rate. The one-time coverage build of the set's configuration is left out (cached, as
it is after the first grading of a configuration); the coverage run is in.
"""

from __future__ import annotations

import resource
import tempfile
import time

from winoadder.benchmarks.core import Goal, Row, Timing, dependency_reason, unavailable

SUITE = "grade"
GOAL = Goal(80.0, on="ours", unit="mutants/min")  # the full default campaign (~800 mutants) in 10 min
SAMPLE = {True: 8, False: 40}
COUNT = {True: 10000, False: 10000}  # the default set; its coverage build is shared with grading it


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
    sample = SAMPLE[quick]
    with tempfile.TemporaryDirectory(prefix="winoadder-bench-grade-") as tmp:
        try:
            create_vector_set(f"{tmp}/set", cfg, count=COUNT[quick], seed=0)
            vset = read_vector_set(f"{tmp}/set")
            _warm_coverage_build(vset, coverage_build)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            report = grade(vset, jobs=2, sample=sample, seed=1, mutant_cache=f"{tmp}/mutants")
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        except Exception as exc:  # a missing tool or a build failure is a row, not a crash
            reason = dependency_reason(exc)
            return [unavailable(SUITE, what, f"{sample} mutants", "mutants/min", reason, GOAL)]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rate = 60.0 * sample / max(cpu / 2, 1e-3)
    total = len(rtl_mutants(RTL_DIR))
    note = (f"{sample} of {total} mutants ({report['counts']}), {cpu:.1f} CPU s, wall {wall:.0f} s; "
            f"the full campaign of {total} mutants at this rate: {total / rate:.1f} min")
    return [Row(SUITE, what, f"{sample} mutants", "mutants/min", rate, goal=GOAL, note=note,
                extra={"cpu_seconds": cpu, "wall_seconds": wall, "mutants_total": total,
                       "counts": report["counts"]})]


def _warm_coverage_build(vset, coverage_build):
    """Build (or find cached) the coverage build of the set's configuration, outside the measurement."""
    from winoadder.hw.grade import testbench_parameters
    from winoadder.paths import RTL_DIR, TB_DIR

    coverage_build(testbench_parameters(vset), RTL_DIR,
                   TB_DIR / "tb_winoadder_core.v")
