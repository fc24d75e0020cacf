"""rtl suite: transactions per second of the self-checking testbench on Icarus and Verilator.

A vector set of the default config (`vectors.manifest.create_vector_set`, random classes) runs on
`winoadder verify`'s build of rtl/tb/tb_winoadder_core.v (`winoadder.hw.verify.build_testbench`, cached),
loading the vectors as verify does by default (Verilator: raw bytes with $fread via +bindir, Icarus:
$readmemh on the hex files), with no input gaps and no output backpressure, so the core can take one
transaction a cycle. A run counts only when the testbench checked every output and reported no failure.
The rate is transactions per CPU-second of the simulator process (user + system time of the child, so
other load on a shared machine does not count against it), less the CPU time of the same build run on
an empty set (process start, elaboration): what remains is reading the vectors, simulating and checking
every output beat. Each is the median over repeated runs (a run slowed by a neighbour on a shared machine
does not move it); the note gives the range of the per-run rates. A rerun with half the input cycles
idle (+gap=50: about one extra idle cycle per transaction, the same file I/O) gives the cost of a
clock cycle without new data (in the note): a
cycle-based simulator (Verilator) pays about that for every cycle, so the rest of its time is file I/O
and checking; an event-driven one (Icarus) pays mostly for the data changing. Build (compile) time is
its own row.
"""

from __future__ import annotations

import functools
import os
import resource
import statistics
import tempfile

from winoadder.benchmarks.core import Goal, Row, Timing, dependency_reason, human, unavailable

SUITE = "rtl"
SIMULATORS = {"verilator": "Verilator", "iverilog": "Icarus"}
GOALS = {"verilator": Goal(200e3, on="ours", unit="tx/s"), "iverilog": Goal(10e3, on="ours", unit="tx/s")}
COUNT = {  # vector --count per simulator, keyed by quick
    True: {"verilator": 20_000, "iverilog": 200},
    False: {"verilator": 30_000, "iverilog": 1_000},
}  # Verilator's two sizes share one build (testbench DEPTH 32768)
MIN_CPU = {True: 0.2, False: 1.0}  # CPU seconds of repeated runs per measurement, keyed by quick
SEED = 1
LOADER = {"verilator": "$fread", "iverilog": "$readmemh"}  # `winoadder verify`'s default (load="auto")


def run(quick: bool, timing: Timing) -> list[Row]:
    try:
        from simulator import DatapathConfig
        from vectors.manifest import create_vector_set, read_vector_set  # noqa: F401
        from winoadder.hw.verify import run_simulator  # noqa: F401
    except ImportError as exc:
        reason = dependency_reason(exc)
        return [unavailable(SUITE, f"{name} simulation", "—", "tx/s", reason, GOALS[sim])
                for sim, name in SIMULATORS.items()]  # fmt: skip
    cfg = DatapathConfig.default()
    rows = []
    with tempfile.TemporaryDirectory(prefix="winoadder-bench-rtl-") as tmp:
        for sim in SIMULATORS:
            rows.extend(simulator_rows(cfg, sim, COUNT[quick][sim], f"{tmp}/{sim}", MIN_CPU[quick]))
    return rows


def simulator_rows(cfg, sim: str, count: int, directory: str, min_cpu: float = 0.0) -> list[Row]:
    """The simulation-rate row and the build-time row of one simulator.

    The run is repeated until it has used ``min_cpu`` CPU seconds in all (CPU time is accounted in
    coarse ticks), and the startup and gapped runs as many times; the CPU times are per run.
    """
    from vectors.manifest import create_vector_set, read_vector_set
    from winoadder.hw.verify import build_testbench, testbench_depth

    name = SIMULATORS[sim]
    what = f"{name} simulation, default config"
    try:
        create_vector_set(directory, cfg, count=count, seed=SEED, classes="random")
        vset = read_vector_set(directory)
        build = build_testbench(sim, cfg, testbench_depth(vset))
        run = functools.partial(build.run, timeout=600, check=False)
        plusargs = {
            "vectors": directory,
            "actual": f"{directory}/actual.hex",
            "seed": SEED,
            "gap": 0,
            "stall": 0,
        }
        if LOADER[sim] == "$fread":  # as `winoadder verify` loads them on this simulator
            from winoadder.hw.verify import write_binary_inputs

            os.mkdir(f"{directory}/bin")
            write_binary_inputs(vset, f"{directory}/bin")
            plusargs["bindir"] = f"{directory}/bin"
        full = {**plusargs, "n_in": vset.transactions, "n_out": vset.beats}
        cpus, proc = cpu_per_run(lambda: run(full), min_cpu)
        runs = len(cpus)
        startups, _ = cpu_per_run(lambda: run({**plusargs, "n_in": 0, "n_out": 0}), 0.0, runs)
        # Half the cycles idle on the input: about one extra cycle per transaction, same file I/O.
        gapped, _ = cpu_per_run(lambda: run({**full, "gap": 50}), 0.0, runs)
        cpu, startup, cpu_gapped = (statistics.median(x) for x in (cpus, startups, gapped))
    except Exception as exc:  # a missing tool or a build failure is a row, not a crash
        return [unavailable(SUITE, what, f"{count} tx", "tx/s", dependency_reason(exc), GOALS[sim])]
    size = f"{vset.transactions} tx"
    closing = f"{vset.beats} passed, 0 failed"  # one per output beat (outputs * P)
    if proc.returncode != 0 or closing not in proc.stdout:
        last = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return [Row(SUITE, what, size, "tx/s", goal=GOALS[sim], status=f"FAILED: {last[0][:80]}")]
    rate = vset.transactions / max(cpu - startup, 1e-3)
    low, high = (vset.transactions / max(c - startup, 1e-3) for c in (max(cpus), min(cpus)))
    idle_us = (cpu_gapped - cpu) / vset.transactions * 1e6
    note = (
        f"CPU {cpu:.3f} s less {startup:.3f} s startup (empty run), medians of {runs} runs "
        f"(per-run rates {human(low)}–{human(high)} tx/s); "
        f"inputs by {LOADER[sim]}; testbench: {closing}; gap=stall=0; "
        f"an idle input cycle costs {idle_us:.2f} µs (+gap=50 rerun: {cpu_gapped:.3f} s)"
    )
    cached = "cached build, compile time as recorded when built" if build.cached else "fresh build"
    extra = {
        "runs": runs,
        "cpu_seconds": cpu,
        "startup_cpu_seconds": startup,
        "gap50_cpu_seconds": cpu_gapped,
        "run_cpu_seconds": cpus,
    }
    return [
        Row(SUITE, what, size, "tx/s", rate, goal=GOALS[sim], note=note, extra=extra),
        Row(SUITE, f"{name} build (compile)", "testbench + core", "s", build.build_seconds, note=cached),
    ]


def cpu_per_run(fn, min_cpu: float, runs: int = 1):
    """(child CPU seconds of each call, the last result): at least ``runs`` calls, more until the
    calls have used ``min_cpu`` seconds together (at most 50)."""
    cpus, result = [], None
    while len(cpus) < runs or (sum(cpus) < min_cpu and len(cpus) < 50):
        cpu, result = child_cpu_seconds(fn)
        cpus.append(cpu)
    return cpus, result



def child_cpu_seconds(fn):
    """(user + system CPU seconds of the child processes ``fn`` runs and waits for, ``fn``'s result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result
