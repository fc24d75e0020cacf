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

_MISMATCH = re.compile(r"^mismatch beat (\d+) at (\d+): expected lane (\d+) (\w+), got lane (\d+) (\w+)$",
                       re.MULTILINE)
TIME_UNIT = "ns"  # $time in the testbench's unit (`timescale 1ns / 1ps)


@dataclass(frozen=True)
class WaveDump:
    path: Path
    sim: str
    first_transaction: int  # window start, in the set's numbering
    transactions: int
    first_beat: int  # the window's beat 0 is this output beat of the set
    wrong_beat: int | None  # the first wrong output beat of the set in the window (None: none)
    wrong_time: int | None  # its simulation time (TIME_UNIT)
    expected: str | None  # "lane L <out_y hex>"
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
    from vectors.layout import pack_bin
    from vectors.manifest import TB_FILES
    from winoadder.hw.grade import testbench_parameters
    from winoadder.hw.hdl import VERILATOR_RANDOM_INIT, build, power_up
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.verify import TB_TOP
    from winoadder.paths import TB_DIR

    arrays = vset.arrays()
    out_index = arrays["out_index"].astype(np.int64)
    start, end = window(arrays["first"], out_index, output, lead_in, depth)
    outs = np.flatnonzero((out_index >= start) & (out_index < end))
    lanes = vset.beats // max(vset.outputs, 1)
    beats = slice(int(outs[0]) * lanes, (int(outs[-1]) + 1) * lanes)
    out_path = Path(out_path).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    bindir = out_path.parent / f".{out_path.name}-inputs"
    bindir.mkdir(exist_ok=True)
    for name in TB_FILES[vset.top]:
        rows = vset.read(name)
        rows = rows[beats] if name in ("expected_out", "expected_lane") else rows[start:end]
        (bindir / f"{name}.bin").write_bytes(pack_bin(rows, vset.field(name)))
    flags = ("--trace-fst", *VERILATOR_RANDOM_INIT) if sim == "verilator" else ()  # as verify runs it
    tb = build(sim, TB_TOP, [*rtl_sources(), TB_DIR / f"{TB_TOP}.v"],
               testbench_parameters(vset), flags=flags)
    n_beats = beats.stop - beats.start
    args = {"vectors": vset.directory.resolve(), "n_in": end - start, "n_out": n_beats,
            "actual": bindir / "actual_out.hex", "bindir": bindir, "seed": seed, "gap": gap,
            "stall": stall, "show": n_beats, "dumpfile": out_path}
    init = power_up(seed) if sim == "verilator" else []
    proc = tb.run([f"+{k}={v}" for k, v in args.items()] + init, check=False, timeout=600)
    for f in bindir.iterdir():
        f.unlink()
    bindir.rmdir()
    hits = _MISMATCH.findall(proc.stdout)
    if hits:
        k, t, want_lane, want, got_lane, got = hits[0]
        return WaveDump(out_path, sim, start, end - start, beats.start, beats.start + int(k), int(t),
                        f"lane {want_lane} {want}", f"lane {got_lane} {got}")
    return WaveDump(out_path, sim, start, end - start, beats.start, None, None, None, None)


def default_path(directory, sim: str) -> Path:
    return Path(directory) / f"waves-{sim}.{'fst' if sim == 'verilator' else 'vcd'}"
