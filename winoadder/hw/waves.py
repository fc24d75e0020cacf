"""`verify --waves`: re-run the failing accumulation(s) of a set with a lead-in and dump the waveforms.

The window is the first wrong output's accumulation, preceded by whole accumulations up to ``lead_in``
transactions and bounded by ``depth`` transactions (the failing accumulation is always kept whole). It
runs on the testbench as a set of its own (``+bindir`` files in the dump's directory) with
``+dumpfile``: FST from a Verilator ``--trace-fst`` build, VCD from Icarus. The testbench prints each
mismatch with its simulation time, so the first wrong output's time in the dump is known exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_MISMATCH = re.compile(r"^mismatch output (\d+) at (\d+): expected (\w+) got (\w+)$", re.MULTILINE)
TIME_UNIT = "ns"  # $time in the testbench's unit (`timescale 1ns / 1ps)


@dataclass(frozen=True)
class WaveDump:
    path: Path
    sim: str
    first_transaction: int  # window start, in the set's numbering
    transactions: int
    first_output: int  # the window's output 0 is this output of the set
    wrong_output: int | None  # the first wrong output of the set in the window (None: none)
    wrong_time: int | None  # its simulation time (TIME_UNIT)
    expected: str | None
    actual: str | None


def window(first: np.ndarray, out_index: np.ndarray, output: int, lead_in: int, depth: int
           ) -> tuple[int, int]:
    """[start, end) transactions: output ``output``'s accumulation with whole accumulations before it."""
    tx = int(out_index[output])
    starts = np.flatnonzero(first)
    acc_start = int(starts[np.searchsorted(starts, tx, side="right") - 1])
    budget = max(depth - (tx + 1 - acc_start), 0)
    wanted = max(acc_start - min(lead_in, budget), 0)
    start = int(starts[np.searchsorted(starts, wanted, side="left")]) if wanted < acc_start else acc_start
    return start, tx + 1


def dump(vset, sim: str, out_path, *, output: int = 0, lead_in: int = 32, depth: int = 256, seed: int = 1,
         gap: int = 25, stall: int = 25) -> WaveDump:
    """Run the window around ``output`` with a waveform dump at ``out_path``; return what it showed."""
    from simulator.rtl_params import rtl_parameters
    from vectors.layout import pack_bin
    from winoadder.hw.hdl import build
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.verify import TB_TOP, testbench_depth
    from winoadder.paths import TB_DIR

    arrays = vset.arrays()
    out_index = arrays["out_index"].astype(np.int64)
    start, end = window(arrays["first"], out_index, output, lead_in, depth)
    outs = np.flatnonzero((out_index >= start) & (out_index < end))
    out_path = Path(out_path).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    bindir = out_path.parent / f".{out_path.name}-inputs"
    bindir.mkdir(exist_ok=True)
    for name in ("in_tile", "in_u", "in_flags", "expected_out"):
        rows = vset.read(name)
        rows = rows[outs[0] : outs[-1] + 1] if name == "expected_out" else rows[start:end]
        (bindir / f"{name}.bin").write_bytes(pack_bin(rows, vset.field(name)))
    flags = ("--trace-fst",) if sim == "verilator" else ()
    tb = build(sim, TB_TOP, [*rtl_sources(), TB_DIR / f"{TB_TOP}.v"],
               {**rtl_parameters(vset.cfg), "DEPTH": testbench_depth(vset)}, flags=flags)
    proc = tb.run({"vectors": vset.directory.resolve(), "n_in": end - start, "n_out": len(outs),
                   "actual": bindir / "actual_out.hex", "bindir": bindir, "seed": seed, "gap": gap,
                   "stall": stall, "show": len(outs), "dumpfile": out_path}, check=False, timeout=600)
    for f in bindir.iterdir():
        f.unlink()
    bindir.rmdir()
    hits = _MISMATCH.findall(proc.stdout)
    if hits:
        k, t, want, got = hits[0]
        wrong = int(outs[0]) + int(k)
        return WaveDump(out_path, sim, start, end - start, int(outs[0]), wrong, int(t), want, got)
    return WaveDump(out_path, sim, start, end - start, int(outs[0]), None, None, None, None)


def default_path(directory, sim: str) -> Path:
    return Path(directory) / f"waves-{sim}.{'fst' if sim == 'verilator' else 'vcd'}"
