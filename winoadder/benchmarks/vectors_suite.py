"""vectors suite: transactions written per second by `winoadder vectors` (the default config).

Times `vectors.manifest.create_vector_set` end to end — generate, run the bit-exact model, coverage,
hex files, npz, manifest — into a temporary directory (best of the repeats, wall clock). The note splits
out generation and the model run, timed on their own, so the rest is coverage plus writing the files.
"""

from __future__ import annotations

import tempfile
import time

from winoadder.benchmarks.core import Row, Timing, dependency_reason, unavailable

SUITE = "vectors"
COUNT = {True: 2_000, False: 20_000}  # keyed by quick
SEED = 1


def run(quick: bool, timing: Timing) -> list[Row]:
    try:
        from simulator import DatapathConfig
        from simulator.datapath import run_stream
        from vectors.generator import generate
        from vectors.manifest import create_vector_set
    except ImportError as exc:
        return [unavailable(SUITE, "write a vector set", "—", "tx/s", dependency_reason(exc))]
    cfg = DatapathConfig.default()
    count = COUNT[quick]
    repeats = 1 if quick else 2
    best = float("inf")
    with tempfile.TemporaryDirectory(prefix="winoadder-bench-vectors-") as tmp:
        for i in range(repeats):
            start = time.perf_counter()
            manifest = create_vector_set(f"{tmp}/{i}", cfg, count=count, seed=SEED)
            best = min(best, time.perf_counter() - start)
    transactions = int(manifest["transactions"])
    start = time.perf_counter()
    tx = generate(cfg, count, SEED)
    generated = time.perf_counter()
    run_stream(cfg, tx.d, tx.u, tx.first, tx.last)
    modelled = time.perf_counter()
    note = (
        f"{best:.2f} s in all: generate {generated - start:.2f} s, model {modelled - generated:.2f} s, "
        "rest is coverage + files"
    )
    what = "write a vector set, default config"
    return [Row(SUITE, what, f"{transactions} tx", "tx/s", transactions / best, note=note)]
