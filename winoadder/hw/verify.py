"""`winoadder verify`: run a vector set through its top (winoadder_core or adder_pe_direct, as the
manifest records) on Icarus and/or Verilator, bit-exact.

Checks before simulating: the manifest schema and every file's sha256, the manifest's RTL parameters
against the config, and (pyverilog) the top's declared parameters and port widths against the config.
Then compiles the self-checking testbench (cached by content + parameters), runs it, and compares the
actual output beats it wrote (lane and 2×2 tile) with the expected ones in Python too.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fixedpoint.options import int_range

HELP = ("run a vector set on its top, winoadder_core or adder_pe_direct (Icarus and/or Verilator), and "
        "compare bit-exactly")
TB_TOP = "tb_winoadder_core"
MIN_DEPTH = 4096  # testbench memory rows: a power of two >= the set, so few distinct builds
MAX_FLOW_PCT = 99  # at 100 % no input is ever taken (or no output accepted): the run could never end
WATCHDOG_CYCLES_PER_BEAT = 64  # the testbench watchdog per expected transaction/output beat, no flow control
_CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


@dataclass
class SimResult:
    """One simulator's run of a vector set."""

    sim: str
    transactions: int
    outputs: int  # output beats (outputs of the set * P)
    passed: int
    failed: int
    build_seconds: float
    cached_build: bool
    run_seconds: float
    returncode: int
    tb_summary: str  # the testbench's closing line, or what went wrong
    actual: np.ndarray  # (beats read, 2, 2)
    actual_lane: np.ndarray  # (beats read,)
    mismatches: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # beat indices
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.passed == self.outputs and self.returncode == 0

    @property
    def vectors_per_second(self) -> float:
        return self.transactions / self.run_seconds if self.run_seconds > 0 else float("inf")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="vector set written by 'winoadder vectors'")
    parser.add_argument("--sim", default="all", choices=("iverilog", "verilator", "all"),
                        help="simulator(s) to run (default all)")
    parser.add_argument("--seed", type=int_range(0, 2**31 - 1), default=1,
                        help="seed of the testbench's gaps/backpressure")
    parser.add_argument("--gap", type=int_range(0, MAX_FLOW_PCT), default=25, metavar="PCT",
                        help=f"input gap percent 0..{MAX_FLOW_PCT} (default 25)")
    parser.add_argument("--stall", type=int_range(0, MAX_FLOW_PCT), default=25, metavar="PCT",
                        help=f"output backpressure percentage 0..{MAX_FLOW_PCT} (default 25)")
    parser.add_argument("--show", type=int_range(0, 1_000_000), default=10, metavar="N",
                        help="mismatches to list (default 10)")
    parser.add_argument("--coverage", metavar="OUT", nargs="?", const="",
                        help="Verilator line+toggle coverage per class, merged, into OUT (default "
                             "DIR/coverage): coverage.dat, annotated/, coverage.info, html/ (with lcov); "
                             "figures in the manifest")
    parser.add_argument("--waves", metavar="OUT", nargs="?", const="",
                        help="always dump waveforms of the first wrong (else first) output's accumulation "
                             "with a lead-in into directory OUT (default DIR); on a mismatch a dump is "
                             "written anyway, to a temporary directory")
    parser.add_argument("--waves-depth", type=int_range(1, 10_000_000), default=256, metavar="N",
                        help="transactions in a dump at most (default 256; the failing accumulation is kept "
                             "whole)")


def run(args) -> int:
    from tabulate import tabulate

    from fixedpoint.errors import UsageError
    from fixedpoint.safeio import check_out_dir

    for name in ("gap", "stall"):
        if not 0 <= getattr(args, name) <= MAX_FLOW_PCT:
            raise UsageError(f"--{name}: must be a percentage 0..{MAX_FLOW_PCT}, got {getattr(args, name)}")
    if not args.directory:
        raise UsageError("DIR: an empty path; name the vector set directory")
    sims = ("iverilog", "verilator") if args.sim == "all" else (args.sim,)
    vset = load_checked(args.directory, sims)
    if args.coverage is not None:
        from winoadder.hw.covdata import require_verilator_coverage
        from winoadder.hw.hdl import require_simulator

        require_simulator("verilator")
        require_verilator_coverage()
        check_out_dir(coverage_dir(vset, args), "--coverage")
    if args.waves:
        check_out_dir(args.waves, "--waves")
    print(f"{args.directory} ({vset.top}): {vset.transactions} transactions, {vset.outputs} outputs, "
          f"{vset.beats} output beats ({vset.cfg})")
    results = [run_simulator(vset, sim, seed=args.seed, gap=args.gap, stall=args.stall, show=args.show)
               for sim in sims]
    print(tabulate(summary_rows(results), headers=SUMMARY_HEADERS, floatfmt=".2f"))
    status = 0
    for result in results:
        if not result.ok:
            status = 1
            print(f"\n{result.sim}: FAILED ({result.tb_summary}; exit status {result.returncode})")
            rows = mismatch_rows(vset, result, limit=args.show)
            if rows:
                print(tabulate(rows, headers=MISMATCH_HEADERS))
                print(first_mismatch_detail(vset, result))
            elif result.log:
                print(result.log[-2000:])
    for result in results:
        if not result.ok or args.waves is not None:
            report_waves(vset, result, args)
    if args.coverage is not None:
        report_coverage(vset, args)
    return status


def report_waves(vset, result: SimResult, args) -> None:
    """Dump the first wrong (else the first) output's accumulation with its lead-in; print path and time."""
    import tempfile

    from fixedpoint.safeio import make_out_dir
    from winoadder.hw.waves import TIME_UNIT, default_path, dump

    if args.waves:
        directory = make_out_dir(args.waves, "--waves")
    elif args.waves is not None:
        directory = vset.directory
    else:
        directory = Path(tempfile.mkdtemp(prefix="winoadder-waves-"))
    beat = int(result.mismatches[0]) if len(result.mismatches) else 0
    if not result.ok and not len(result.mismatches):
        beat = min(len(result.actual), max(vset.beats - 1, 0))  # the first beat not delivered
    lanes = vset.beats // max(vset.outputs, 1)
    wave = dump(vset, result.sim, default_path(directory, result.sim), output=beat // max(lanes, 1),
                depth=args.waves_depth, seed=args.seed, gap=args.gap, stall=args.stall)
    where = (f"first wrong beat {wave.wrong_beat} at {wave.wrong_time} {TIME_UNIT} "
             f"(expected {wave.expected}, got {wave.actual}; out_lane/out_y as sampled by the clock edge at "
             f"that time)" if wave.wrong_beat is not None else "no wrong beat in the window")
    print(f"\n{result.sim} waves: {wave.path} (transactions {wave.first_transaction}.."
          f"{wave.first_transaction + wave.transactions - 1}); {where}")


def coverage_dir(vset, args) -> Path:
    """Where --coverage writes: its OUT, else DIR/coverage."""
    return Path(args.coverage) if args.coverage else vset.directory / "coverage"


def report_coverage(vset, args) -> None:
    """verify --coverage: per-class Verilator coverage, merged; figures printed and put in the manifest."""
    from tabulate import tabulate

    from fixedpoint.safeio import make_out_dir
    from winoadder.hw.covdata import rtl_coverage
    from winoadder.hw.grade import add_manifest_section

    out = make_out_dir(coverage_dir(vset, args), "--coverage")
    cov = rtl_coverage(vset, out, seed=args.seed)
    print(f"\nRTL coverage (Verilator, {', '.join(cov['files'])}):")
    print(tabulate([[k, cov[k]["covered"], cov[k]["points"], f"{cov[k]['percent']:.2f} %"]
                    for k in ("line", "toggle")], headers=["kind", "covered", "points", "percent"]))
    print(tabulate([[name, *c.values()] for name, c in cov["per_class_covered"].items()],
                   headers=["class (alone)", *next(iter(cov["per_class_covered"].values()), {}).keys()]))
    if cov["uncovered_lines"]:
        print("uncovered lines: " + ", ".join(cov["uncovered_lines"]))
    reasons: dict[str, int] = {}
    for t in cov["uncovered_toggles"]:
        reasons[t["reason"]] = reasons.get(t["reason"], 0) + 1
    for reason, n in reasons.items():
        print(f"uncovered toggles: {n}: {reason}")
    print(f"outputs: {out} (coverage.dat, classes/, annotated/, coverage.info"
          f"{', html/' if cov['outputs']['html'] else '; html/ needs lcov (genhtml)'})")
    add_manifest_section(vset.directory, cov, key="rtl_coverage")


def load_checked(directory, sims=()):
    """Read the set (schema, sha256) and check the RTL against its config; fail before any simulation."""
    from fixedpoint.errors import UsageError
    from vectors.manifest import read_vector_set
    from winoadder.hw.hdl import require_simulator
    from winoadder.hw.rtl import check_rtl_parameters, top_parameters

    vset = read_vector_set(directory)
    params = top_parameters(vset.cfg, vset.top)
    recorded = vset.manifest["rtl_parameters"]
    for name in sorted(set(params) | set(recorded)):
        if params.get(name) != recorded.get(name):
            raise UsageError(f"manifest: rtl_parameters.{name} = {recorded.get(name)} but its config gives "
                             f"{params.get(name)}")
    for sim in sims:
        require_simulator(sim)
    try:
        check_rtl_parameters(vset.cfg, top=vset.top)
    except ValueError as exc:
        raise UsageError(f"RTL does not match the manifest's config: {exc}") from None
    return vset


def testbench_depth(vset) -> int:
    rows = max(vset.transactions, vset.beats, 1)
    return max(MIN_DEPTH, 1 << (rows - 1).bit_length())


def build_testbench(sim: str, cfg, depth: int, top: str = "winoadder_core"):
    """The testbench of ``top`` (tb_winoadder_core with DIRECT = 0 or 1), built (cached) for ``cfg``."""
    from winoadder.hw.hdl import VERILATOR_RANDOM_INIT, build
    from winoadder.hw.rtl import DIRECT_TOP, rtl_sources, top_parameters
    from winoadder.paths import TB_DIR

    sources = [*rtl_sources(), TB_DIR / f"{TB_TOP}.v"]
    params = {**top_parameters(cfg, top), "DEPTH": depth, "DIRECT": int(top == DIRECT_TOP)}
    return build(sim, TB_TOP, sources, params, flags=VERILATOR_RANDOM_INIT if sim == "verilator" else ())


def flow_factor(pct: int) -> float:
    """Mean cycles per accepted beat when ``pct`` percent of cycles are blocked (the testbench's 8-bit
    threshold: a cycle is blocked when a random byte is below pct*256/100). At 100 % nothing is ever
    accepted: the run cannot end, the CLI refuses it, and the watchdog is sized as without gaps (1)."""
    if not 0 <= pct <= 100:
        raise ValueError(f"gap/stall: must be a percentage 0..100, got {pct}")
    return 256 / (256 - (pct * 256) // 100) if pct < 100 else 1.0


def expected_cycles(vset, gap: int, stall: int) -> float:
    """Cycles a correct core needs, scaled by the flow control: inputs slowed by the gaps, every output
    beat (one per lane and output at most) slowed by the stalls."""
    beats = vset.outputs * vset.cfg.lanes
    return vset.transactions * flow_factor(gap) + beats * flow_factor(stall)


def watchdog_cycles(vset, gap: int, stall: int) -> int:
    """The testbench's +timeout: WATCHDOG_CYCLES_PER_BEAT x the expected cycles + 1000 (32-bit)."""
    return min(int(WATCHDOG_CYCLES_PER_BEAT * expected_cycles(vset, gap, stall)) + 1000, 2**31 - 1)


def run_simulator(vset, sim: str, *, seed: int = 1, gap: int = 25, stall: int = 25, show: int = 10,
                  load: str = "auto") -> SimResult:
    """Build (cached) and run the testbench on one simulator; compare its written outputs in Python.

    ``load``: ``hex`` ($readmemh on the set's files), ``bin`` ($fread of the same words converted to raw
    bytes in a temp dir: Verilator's $readmemh costs O(digits x words) per row) or ``auto`` (bin on
    Verilator, hex on Icarus).
    """
    from winoadder.hw.hdl import power_up

    if load not in ("auto", "hex", "bin"):
        raise ValueError(f"load: must be auto, hex or bin, got {load!r}")
    use_bin = load == "bin" or (load == "auto" and sim == "verilator")
    tb = build_testbench(sim, vset.cfg, testbench_depth(vset), vset.top)
    expected = vset.read("expected_out")
    expected_lane = vset.read("expected_lane")[:, 0]
    with tempfile.TemporaryDirectory(prefix="winoadder-verify-") as tmp:
        actual_path = Path(tmp) / "actual_out.hex"
        plusargs = {"vectors": vset.directory.resolve(), "n_in": vset.transactions, "n_out": vset.beats,
                    "actual": actual_path, "seed": seed, "gap": gap, "stall": stall, "show": show,
                    "timeout": watchdog_cycles(vset, gap, stall)}
        if use_bin:
            write_binary_inputs(vset, Path(tmp))
            plusargs["bindir"] = tmp
        # Verilator: registers without a reset power up random, from the same seed as the flow control.
        args = [f"+{k}={v}" for k, v in plusargs.items()] + (power_up(seed) if sim == "verilator" else [])
        start = time.perf_counter()
        proc = tb.run(args, timeout=120 + expected_cycles(vset, gap, stall) / 500, check=False)
        seconds = time.perf_counter() - start
        text = actual_path.read_text() if actual_path.exists() else ""
    out_field = vset.field("expected_out")
    actual, actual_lane, known = read_beats(text, out_field.width, out_field.signed)
    log = proc.stdout + proc.stderr
    closing = _CLOSING.findall(proc.stdout)
    tb_summary = f"{closing[-1][0]} passed, {closing[-1][1]} failed" if closing else "no closing line"
    rows = min(len(actual), len(expected))
    equal = (known[:rows] & np.all(actual[:rows] == expected[:rows], axis=(1, 2))
             & (actual_lane[:rows] == expected_lane[:rows]))
    mismatches = np.flatnonzero(~equal)
    passed = int(equal.sum())
    failed = int(len(mismatches)) + (vset.beats - rows) + max(len(actual) - vset.beats, 0)
    if closing and (int(closing[-1][0]), int(closing[-1][1])) != (passed, failed) and failed == 0:
        failed = 1  # the testbench saw something the written outputs do not show: never pass silently
        tb_summary += " (disagrees with the written outputs)"
    return SimResult(sim, vset.transactions, vset.beats, passed, failed, tb.build_seconds, tb.cached,
                     seconds, proc.returncode, tb_summary, actual, actual_lane, mismatches, log)


def read_beats(text: str, wo: int, signed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the testbench's {out_lane, out_y} words ($writememh): tiles (n, 2, 2), lanes (n,), known (n,).

    A word with an x or z digit is not known (its values are 0)."""
    stripped = (ln.split("//")[0].strip() for ln in text.splitlines())
    words = [w for w in stripped if w and not w.startswith("@")]
    known = np.array([all(c in "0123456789abcdefABCDEF" for c in w) for w in words], dtype=bool)
    values = [int(w, 16) if ok else 0 for w, ok in zip(words, known, strict=True)]
    mask = (1 << wo) - 1
    tiles = np.array([[(v >> (wo * e)) & mask for e in range(4)] for v in values], dtype=np.int64)
    tiles = tiles.reshape(len(values), 2, 2)
    if signed:
        tiles = np.where(tiles >= (1 << (wo - 1)), tiles - (1 << wo), tiles)
    lanes = np.array([v >> (4 * wo) for v in values], dtype=np.int64)
    return tiles, lanes, known


def write_binary_inputs(vset, directory) -> None:
    """The testbench's +bindir files: the words it reads ($readmemh files) as raw bytes ($fread)."""
    from vectors.layout import pack_bin
    from vectors.manifest import TB_FILES

    for name in TB_FILES[vset.top]:
        (Path(directory) / f"{name}.bin").write_bytes(pack_bin(vset.read(name), vset.field(name)))


SUMMARY_HEADERS = ["simulator", "vectors", "beats", "passed", "failed", "build s", "seconds", "vectors/s"]


def summary_rows(results: list[SimResult]) -> list[list]:
    return [[r.sim, r.transactions, r.outputs, r.passed, r.failed,
             f"{r.build_seconds:.1f}{' (cached)' if r.cached_build else ''}", r.run_seconds,
             round(r.vectors_per_second)] for r in results]


MISMATCH_HEADERS = ["beat", "output", "transaction", "class", "channels", "lane", "(i,j)",
                    "before requantize", "out expected", "out actual", "likely stage"]


def _before_requantize(vset, arrays) -> np.ndarray:
    """Per output (outputs, P, 2, 2): the value requantize casts (core: Y; direct PE: the sums S)."""
    return arrays["Y"] if vset.top == "winoadder_core" else arrays["S"]


def mismatch_rows(vset, result: SimResult, limit: int = 10) -> list[list]:
    """The first mismatching elements of the first wrong beats, with the expected values before requantize
    and the stage they point at (a wrong lane index is reported as such)."""
    arrays = vset.arrays()
    out_index, first = arrays["out_index"], arrays["first"]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0))
    classes = [c["name"] for c in vset.manifest["classes"]]
    expected = vset.read("expected_out")
    expected_lane = vset.read("expected_lane")[:, 0]
    before = _before_requantize(vset, arrays)
    lanes = vset.cfg.lanes
    rows = []
    for beat in result.mismatches:
        k, p = divmod(int(beat), lanes)
        tx = int(out_index[k])
        channels = tx - int(starts[tx]) + 1
        head = [int(beat), k, tx, classes[int(arrays["class_index"][tx])], channels]
        if beat >= len(result.actual):
            rows.append([*head, p, "-", "-", "-", "missing", "beat never delivered"])
        elif int(result.actual_lane[beat]) != int(expected_lane[beat]):
            rows.append([*head, f"{int(expected_lane[beat])} (got {int(result.actual_lane[beat])})", "-", "-",
                         "-", "-", "output stage: lane order"])
        else:
            for i, j in np.argwhere(result.actual[beat] != expected[beat]):
                want, got = int(expected[beat, i, j]), int(result.actual[beat, i, j])
                rows.append([*head, p, f"({i},{j})", int(before[k, p, i, j]), want, got,
                             _likely_stage(want, got, vset.cfg.out_fmt)])
        if len(rows) >= limit:
            return rows[:limit]
    return rows


def first_mismatch_detail(vset, result: SimResult) -> str:
    """The expected intermediates of the first mismatching beat, and their file rows."""
    arrays = vset.arrays()
    beat = int(result.mismatches[0])
    k, p = divmod(beat, vset.cfg.lanes)
    tx = int(arrays["out_index"][k])
    start = int(np.flatnonzero(arrays["first"][: tx + 1])[-1])
    expected = vset.read("expected_out")[beat]
    got = result.actual[beat].tolist() if beat < len(result.actual) else "missing"
    lines = [f"beat {beat} = output {k}, lane {p}: transactions {start}..{tx} (rows of in_*.hex and the "
             f"per-transaction debug files), row {beat} of expected_out.hex / expected_lane.hex"]
    if vset.top == "winoadder_core":
        lines += [f"  S after the last channel (4x4): {arrays['S'][tx, p].astype(np.int64).tolist()}",
                  f"  Y expected (2x2): {arrays['Y'][k, p].astype(np.int64).tolist()}"]
    else:
        lines += [f"  accumulated sums expected (2x2): {arrays['S'][k, p].astype(np.int64).tolist()}"]
    lines.append(f"  out expected: {expected.tolist()}   actual: {got}")
    return "\n".join(lines)


def _likely_stage(want: int, got: int, out_fmt) -> str:
    bounds = (out_fmt.min_raw, out_fmt.max_raw, 0, -out_fmt.max_raw)
    if abs(want - got) == 1:
        return "requantize rounding (1 LSB)"
    if want in bounds or got in bounds:
        return "requantize overflow / saturation"
    return "upstream of requantize (accumulate / transforms)"
