"""`winoadder synth`: synthesis area of the RTL (yosys) and the op-count energy model, per bit width.

Each (design, target, parameters) is synthesized once by yosys (``synth_ice40`` or generic ``synth``),
at most two runs at a time, and the report is cached under ``cache_dir()/synth/<hash>`` keyed by the RTL
contents, the parameters, the script and the yosys version (built in a temp dir and renamed into place,
so concurrent runs never see half an entry).

Throughput is counted in *output channel-steps per cycle*: one output value of one output channel
advanced by one input channel. Both designs accept one transaction per cycle, and a transaction is one
input-channel step of a 2×2 output tile for P output channels, so both do 4·P per cycle:
``winoadder_core`` with 16 −|U − V| per lane, ``adder_pe_direct`` with 36 −|x − w| per lane.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from fixedpoint.errors import UsageError
from fixedpoint.options import int_list, name_list
from fixedpoint.safeio import resolve_file_target, write_file
from winoadder import tools
from winoadder.hw import pnr
from winoadder.paths import cache_dir as default_cache_dir

HELP = "synthesize the RTL with yosys (ice40, generic) and print area and op-count energy tables"

TARGETS = {
    "ice40": "synth_ice40 -top {top}",
    "xilinx": "synth_xilinx -flatten -top {top}",
    "generic": "synth -flatten -top {top}",
}
DESIGNS = ("winoadder_core", "adder_pe_direct")
MAX_PARALLEL = 2
# Li et al., ICML 2021 (abstract): Winograd AdderNet uses about 52.4 % less energy than AdderNet on FPGA.
PAPER_ENERGY_SAVING_VS_ADDERNET = 0.524
YOSYS_TIMEOUT_S = 3600

_PROBLEMS = re.compile(r"^Found and reported (\d+) problems\.", re.M)
_LATCH = re.compile(r"^Latch inferred for signal", re.M)
_WARNINGS = re.compile(r"^Warnings: \d+ unique messages, (\d+) total", re.M)
_LOG_KEEP = ("Latch inferred", "Warning", "ERROR")


# ------------------------------------------------------------------------------------------- yosys


def require_yosys() -> str:
    """Path of the yosys executable; UsageError naming the install command if it is missing."""
    return tools.require("yosys", "synth")


@functools.cache
def yosys_version() -> str:
    """yosys's version banner (part of the cache key)."""
    proc = subprocess.run([require_yosys(), "-V"], capture_output=True, text=True)
    return proc.stdout.strip() or proc.stderr.strip()


@dataclass(frozen=True)
class SynthJob:
    """One synthesis run: ``top`` from ``sources`` with parameter overrides, for one target."""

    top: str
    target: str
    sources: tuple[Path, ...]
    params: tuple[tuple[str, int], ...] = ()

    def __post_init__(self):
        if self.target not in TARGETS:
            raise UsageError(f"target: unknown {self.target!r}; valid: {', '.join(TARGETS)}")
        object.__setattr__(self, "sources", tuple(Path(s) for s in self.sources))
        object.__setattr__(self, "params", tuple(sorted((str(k), v) for k, v in self.params)))

    def script(self) -> str:
        """The yosys script: elaborate, check, synthesize, check again, write ``stat -json``."""
        from winoadder.hw.hdl import format_param

        sets = " ".join(f"-set {name} {format_param(value)}" for name, value in self.params)
        lines = [
            "read_verilog -DSYNTHESIS " + " ".join(str(s) for s in self.sources),
            f"chparam {sets} {self.top}" if sets else "",
            f"hierarchy -check -top {self.top}",
            "proc",
            "tee -q -o check_rtl.txt check",
            TARGETS[self.target].format(top=self.top),
            "tee -q -o check_netlist.txt check",
            "tee -q -o stat.json stat -json",
        ]
        return "\n".join(line for line in lines if line) + "\n"

    def cache_key(self, version: str) -> str:
        h = hashlib.sha256()
        names = tuple(Path(Path(s).name) for s in self.sources)
        h.update(json.dumps([version, SynthJob(self.top, self.target, names, self.params).script()]).encode())
        for src in self.sources:
            h.update(Path(src).name.encode() + b"\0" + Path(src).read_bytes() + b"\0")
        return h.hexdigest()[:32]


def parse_stat(report: Mapping, top: str, target: str) -> dict:
    """Cell counts from a yosys ``stat -json`` report: the whole design, else the ``top`` module.

    iCE40: SB_LUT4, SB_CARRY. Xilinx: ``lut6`` counts LUT1–LUT6 and INV (a LUT1), ``carry4`` CARRY4,
    ``srl`` the shift-register LUTs, ``ff`` FDRE/FDSE/FDCE/FDPE. Elsewhere flip-flops are the DFF cells.
    """
    entry = report.get("design") or report["modules"]["\\" + top]
    by_type = {str(k): int(v) for k, v in entry["num_cells_by_type"].items()}

    def count(predicate) -> int:
        return sum(n for cell, n in by_type.items() if predicate(cell))

    ice40, xilinx = target == "ice40", target == "xilinx"
    xilinx_ff = ("FDRE", "FDSE", "FDCE", "FDPE")
    return {
        "lut4": by_type.get("SB_LUT4", 0) if ice40 else None,
        "carry": by_type.get("SB_CARRY", 0) if ice40 else None,
        "lut6": count(lambda cell: re.fullmatch(r"LUT[1-6]|INV", cell) is not None) if xilinx else None,
        "carry4": by_type.get("CARRY4", 0) if xilinx else None,
        "srl": count(lambda cell: cell.startswith("SRL")) if xilinx else None,
        "ff": count(lambda cell: cell in xilinx_ff) if xilinx else count(lambda cell: "DFF" in cell),
        "latch_cells": count(lambda cell: "LATCH" in cell or cell == "LDCE"),
        "cells": int(entry["num_cells"]),
        "cells_by_type": by_type,
    }


def parse_log(log: str, check_rtl: str, check_netlist: str) -> dict:
    """Design problems: latches inferred (yosys log), problems found by ``check`` on the elaborated RTL
    and on the synthesized netlist (undriven or multiply-driven wires, logic loops), and all warnings."""
    warnings = _WARNINGS.search(log)
    return {
        "latches": len(_LATCH.findall(log)),
        "check_problems": sum(int(n) for n in _PROBLEMS.findall(check_rtl + check_netlist)),
        "warnings": int(warnings.group(1)) if warnings else 0,
    }


def synthesize(job: SynthJob, cache_dir: Path | None = None) -> dict:
    """Run (or reuse) one synthesis; returns the parsed counts, problems and run time."""
    yosys = require_yosys()
    sources = tuple(Path(s).resolve() for s in job.sources)
    for src in sources:
        if not src.is_file():
            raise UsageError(f"sources: {src} does not exist")
    job = SynthJob(job.top, job.target, sources, job.params)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "synth"
    final, cached = cached_run(root, job.cache_key(yosys_version()), lambda tmp: _run_yosys(yosys, job, tmp))
    meta = json.loads((final / "meta.json").read_text())
    stat = json.loads((final / "stat.json").read_text())
    problems = parse_log(
        *((final / name).read_text() for name in ("yosys.log", "check_rtl.txt", "check_netlist.txt"))
    )
    return {
        "top": job.top,
        "target": job.target,
        "params": dict(job.params),
        **parse_stat(stat, job.top, job.target),
        **problems,
        "seconds": meta["seconds"],
        "cached": cached,
    }


def cached_run(root: Path, key: str, build, done: str = "meta.json") -> tuple[Path, bool]:
    """``root/key``, built by ``build(tmp_dir)`` unless its file ``done`` exists; returns
    (directory, whether it was cached).

    The build goes to a temp dir renamed into place, so concurrent runs never see half an entry; if
    another process cached the same key first, its entry is kept.
    """
    final = root / key
    if (final / done).is_file():
        return final, True
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".run-", dir=root))
    try:
        build(tmp)
        try:
            os.rename(tmp, final)
        except OSError:  # another process cached the same run first: keep theirs
            if not final.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, False


def run_yosys_script(yosys: str, script: str, directory: Path, timeout: float) -> subprocess.CompletedProcess:
    """``yosys -q -l yosys.log -s SCRIPT`` in ``directory`` (output captured; the caller checks it)."""
    return subprocess.run([yosys, "-q", "-l", "yosys.log", "-s", script], cwd=directory, capture_output=True,
                          text=True, timeout=timeout)


def _run_yosys(yosys: str, job: SynthJob, directory: Path) -> None:
    (directory / "script.ys").write_text(job.script())
    start = time.perf_counter()
    proc = run_yosys_script(yosys, "script.ys", directory, YOSYS_TIMEOUT_S)
    if proc.returncode != 0:
        errors = [line for line in (proc.stderr + proc.stdout).splitlines() if "ERROR" in line]
        detail = errors[-1].strip() if errors else f"exit code {proc.returncode}"
        raise RuntimeError(f"yosys failed on {job.top} ({job.target}): {detail}")
    log = directory / "yosys.log"
    kept = [line for line in log.read_text().splitlines() if line.startswith(_LOG_KEEP)]
    log.write_text("\n".join(kept) + "\n")  # the full log is ~1 MB per run; keep what parse_log reads
    meta = {"seconds": round(time.perf_counter() - start, 3), "top": job.top, "target": job.target}
    (directory / "meta.json").write_text(json.dumps(meta))


def synthesize_all(jobs: Iterable[SynthJob], cache_dir: Path | None = None, progress=None) -> list[dict]:
    """Synthesize every job, at most MAX_PARALLEL yosys processes at once; results in job order.

    ``progress(done, total, result)`` is called as each job finishes.
    """
    jobs = list(jobs)
    with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
        futures = {pool.submit(synthesize, job, cache_dir): i for i, job in enumerate(jobs)}
        results: list = [None] * len(jobs)
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(jobs), results[futures[future]])
    return results


# ------------------------------------------------------------------------------------- the designs


def declared_parameters(source: Path, module: str) -> list[str]:
    """Names of the ``parameter``s (not localparams) declared by ``module`` in ``source``."""
    text = Path(source).read_text()
    match = re.search(rf"\bmodule\s+{re.escape(module)}\b(.*?)\bendmodule\b", text, re.S)
    if match is None:
        raise UsageError(f"sources: module {module} not found in {source}")
    return re.findall(r"\bparameter\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?(\w+)\s*=", match.group(1))


def outputs_per_cycle(params: Mapping[str, int]) -> int:
    """Output channel-steps per cycle (module docstring): a 2×2 tile for each of P lanes, 4·P."""
    return 4 * int(params["P"])


def design_config(act_width: int, lanes: int):
    """The default DatapathConfig with activations s{w}.{w//2} and P lanes."""
    from fixedpoint import Fmt
    from simulator import DatapathConfig

    return DatapathConfig.default().replace(act_fmt=Fmt(act_width, act_width // 2, True), lanes=lanes)


def design_jobs(act_width: int, lanes: int, target: str, designs: Iterable[str] = DESIGNS) -> list[SynthJob]:
    """Synthesis jobs for the RTL designs at one activation width and lane count (default config)."""
    from simulator.rtl_params import direct_pe_parameters, rtl_parameters
    from winoadder.hw.rtl import rtl_sources

    cfg = design_config(act_width, lanes)
    parameters = {"winoadder_core": rtl_parameters, "adder_pe_direct": direct_pe_parameters}
    sources = tuple(rtl_sources())
    jobs = []
    for design in designs:
        if design not in parameters:
            raise UsageError(f"design: unknown {design!r}; valid: {', '.join(DESIGNS)}")
        params = parameters[design](cfg)
        declared = declared_parameters(next(s for s in sources if s.stem == design), design)
        missing = sorted(set(params) - set(declared))
        if missing:
            raise ValueError(f"rtl/{design}.v: does not declare parameter(s) {', '.join(missing)}")
        jobs.append(SynthJob(design, target, sources, tuple(sorted(params.items()))))
    return jobs


# ---------------------------------------------------------------------------------------------- CLI


def _channels(text: str) -> tuple[int, int]:
    """``C_in,C_out``, each 1..65536, in that order (fixedpoint.options rules: nothing half-read)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise UsageError(f"--channels: expected C_in,C_out, got {text!r}")
    c_in, c_out = (int_list(part, "--channels", 1, 1 << 16, ranges=False)[0] for part in parts)
    return c_in, c_out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--widths", default="8,12,16", help="activation widths (default 8,12,16)")
    parser.add_argument("--lanes", default="1,4", help="output-channel lanes P (default 1,4)")
    parser.add_argument(
        "--target",
        default="ice40,generic",
        help=f"yosys targets, of {','.join(TARGETS)} (default ice40,generic)",
    )
    parser.add_argument(
        "--pnr",
        default=None,
        metavar="DEVICES",
        help="also place and route on these devices, of ice40 (HX8K), ecp5 (LFE5U-85F) (default: none)",
    )
    parser.add_argument(
        "--freq", type=float, default=100.0, metavar="MHZ", help="P&R clock constraint in MHz (default 100)"
    )
    parser.add_argument(
        "--activity",
        action="store_true",
        help="also measure register toggles per output of both designs on a shipped model's layer",
    )
    parser.add_argument(
        "--activity-images",
        type=int,
        default=4,
        metavar="N",
        help="test images the activity run feeds through the layer (default 4)",
    )
    parser.add_argument("--channels", default="64,64", help="C_in,C_out of the energy model (default 64,64)")
    parser.add_argument("--model-only", action="store_true", help="print the op-count energy model only")
    parser.add_argument("--json", type=Path, help="also write everything as JSON to this path")


def synthesis_row(act_width: int, lanes: int, result: Mapping) -> dict:
    """A synthesis result with its design point and its cost per output channel-step per cycle."""
    throughput = outputs_per_cycle(result["params"])
    row = {"design": result["top"], "act_width": act_width, "lanes": lanes, **result}
    row.pop("top")
    row["outputs_per_cycle"] = throughput
    for name in ("lut4", "lut6", "ff", "cells"):
        row[f"{name}_per_output"] = None if row[name] is None else row[name] / throughput
    return row


_SYNTHESIS_COLUMNS = (
    ("design", "design"), ("target", "target"), ("WA", "act_width"), ("P", "lanes"), ("LUT4", "lut4"),
    ("carry", "carry"), ("LUT6", "lut6"), ("CARRY4", "carry4"), ("SRL", "srl"), ("FF", "ff"),
    ("cells", "cells"), ("out/cycle", "outputs_per_cycle"), ("LUT4/out", "lut4_per_output"),
    ("LUT6/out", "lut6_per_output"), ("FF/out", "ff_per_output"), ("cells/out", "cells_per_output"),
    ("latches", "latches"), ("check", "check_problems"),
)  # fmt: skip
_ENERGY_COLUMNS = (
    ("WA", "act_width"), ("design", "design"), ("mul", "mul"), ("add/sub/abs", "add_sub_abs"),
    ("pJ/tile", "energy_pj_per_tile"), ("pJ/output", "energy_pj_per_output"),
    ("vs adder_direct", "vs_adder_direct"), ("vs cnn_direct", "vs_cnn_direct"),
)  # fmt: skip


def format_synthesis(rows: Iterable[Mapping], tablefmt: str = "simple") -> str:
    """The synthesis rows as one table per target (``tablefmt="github"`` for Markdown), each with the
    columns that apply to it."""
    rows = list(rows)
    targets = list(dict.fromkeys(r["target"] for r in rows))
    return "\n\n".join(
        format_table([r for r in rows if r["target"] == t], _SYNTHESIS_COLUMNS, tablefmt) for t in targets
    )


def format_table(rows: list[Mapping], columns, tablefmt: str = "simple", floatfmt: str = ".1f") -> str:
    """``rows`` under ``columns`` ((header, key) pairs), leaving out columns no row has a value for."""
    from tabulate import tabulate

    used = [(h, k) for h, k in columns if any(r.get(k) is not None for r in rows)]
    table = [[r.get(k) for _, k in used] for r in rows]  # None shows as "–" and keeps columns numeric
    return tabulate(table, [h for h, _ in used], tablefmt=tablefmt, floatfmt=floatfmt, missingval="–")


def format_energy(rows: list[Mapping], tablefmt: str = "simple") -> str:
    """The energy-model rows as a table, then one line per width comparing with the paper's headline."""
    from tabulate import tabulate

    table = [[r[key] for _, key in _ENERGY_COLUMNS] for r in rows]
    floatfmt = ("", "", "", "", ".0f", ".2f", ".3f", ".3f")
    c_in, c_out = rows[0]["c_in"], rows[0]["c_out"]
    lines = [
        f"Arithmetic per 2x2 output tile, C_in={c_in}, C_out={c_out} "
        "(Horowitz ISSCC 2014, 45 nm; memory, control and LUT mapping not modeled):",
        tabulate(table, [h for h, _ in _ENERGY_COLUMNS], tablefmt=tablefmt, floatfmt=floatfmt),
    ]
    for r in rows:
        if r["design"] == "adder_winograd":
            lines.append(
                f"WA={r['act_width']}: adder_winograd uses {100 * (1 - r['vs_adder_direct']):.1f} % less "
                f"arithmetic energy than adder_direct (paper: about "
                f"{100 * PAPER_ENERGY_SAVING_VS_ADDERNET:.1f} % less on FPGA)"
            )
    return "\n".join(lines)


def _report_progress(done: int, total: int, result: Mapping) -> None:
    how = "cached" if result["cached"] else f"{result['seconds']:.1f} s"
    params = result["params"]
    print(
        f"[{done}/{total}] {result['top']} {result['target']} WA={params['WA']} P={params['P']}: {how}",
        file=sys.stderr,
        flush=True,
    )


def _write_json(path: Path, report: Mapping) -> None:
    """Through the one write path (fixedpoint.safeio: atomic, regular files only, umask modes)."""
    write_file(path, json.dumps(report, indent=2) + "\n", option="--json")


def run(args: argparse.Namespace) -> int:
    from winoadder.hw import opcount

    widths = int_list(args.widths, "--widths", 2, 32, ranges=False)
    lanes = int_list(args.lanes, "--lanes", 1, 64, ranges=False)
    channels = _channels(args.channels)
    targets = name_list(args.target, "--target", TARGETS, what="target")
    if args.json is not None:
        resolve_file_target(args.json, "--json")
    devices = name_list(args.pnr, "--pnr", pnr.DEVICES, what="device") if args.pnr else []
    if not 1 <= args.freq <= 2000:
        raise UsageError(f"--freq: expected a clock constraint in 1..2000 MHz, got {args.freq}")
    if not 1 <= args.activity_images <= 1000:
        raise UsageError(f"--activity-images: expected 1..1000, got {args.activity_images}")

    report: dict = {"channels": {"c_in": channels[0], "c_out": channels[1]}}
    if not args.model_only:
        require_yosys()
        for device in devices:
            pnr.require_device_tools(device)
        if args.activity:
            from winoadder.hw import activity

            activity.require_tools()
        plan = [(w, p, job) for w in widths for p in lanes for t in targets for job in design_jobs(w, p, t)]
        try:
            results = synthesize_all([job for _, _, job in plan], progress=_report_progress)
            report["yosys"] = yosys_version()
            report["synthesis"] = [synthesis_row(w, p, r) for (w, p, _), r in zip(plan, results, strict=True)]
            print(format_synthesis(report["synthesis"]))
            print()
            if devices:
                report["pnr"] = run_pnr(widths, lanes, devices, args.freq, report["synthesis"])
                report["pnr_tools"] = {d: list(pnr.tool_versions(d)) for d in devices}
                print(format_pnr(report["pnr"]))
                print()
            if args.activity:
                report["activity"] = activity.run_activity(widths, lanes, args.activity_images)
                print(activity.format_activity(report["activity"]))
                print()
        except RuntimeError as exc:
            print(f"winoadder synth: error: {exc}", file=sys.stderr)
            return 1
    report["energy"] = [
        row for w in widths for row in opcount.energy_table(design_config(w, 1), channels[0], channels[1])
    ]
    report["paper_energy_saving_vs_adder_direct"] = PAPER_ENERGY_SAVING_VS_ADDERNET
    print(format_energy(report["energy"]))
    if args.json is not None:
        _write_json(args.json, report)
        print(f"\nwrote {args.json}")
    return 0


# ---------------------------------------------------------------------------------- place and route


def pnr_jobs(act_width: int, lanes: int, device: str, freq_mhz: float) -> list:
    """P&R jobs of both designs at one design point (the same parameters as ``design_jobs``)."""
    return [
        pnr.PnrJob(j.top, device, j.sources, j.params, freq_mhz)
        for j in design_jobs(act_width, lanes, "ice40")
    ]


def pnr_row(act_width: int, lanes: int, result: Mapping) -> dict:
    """A P&R result with its design point, per-output costs and outputs per microsecond at Fmax."""
    row = {"design": result["top"], "act_width": act_width, "lanes": lanes, **result}
    row.pop("top")
    row["outputs_per_cycle"] = throughput = outputs_per_cycle(result["params"])
    for name in ("lut", "ff", "carry"):
        row[f"{name}_per_output"] = row[name] / throughput if row.get(name) is not None else None
    row["outputs_per_us"] = row["fmax_mhz"] * throughput if row.get("fmax_mhz") is not None else None
    return row


def too_big_for_ice40(synthesis: Iterable[Mapping], design: str, act_width: int, lanes: int) -> str | None:
    """Why a design point cannot fit the HX8K, judged from its ``synth_ice40`` LUT4 count; else None."""
    for row in synthesis:
        key = (row["target"], row["design"], row["act_width"], row["lanes"])
        if key == ("ice40", design, act_width, lanes) and row["lut4"] > pnr.ICE40_LCS:
            return f"synth_ice40 maps it to {row['lut4']} LUT4s, more than the HX8K's {pnr.ICE40_LCS} LCs"
    return None


def run_pnr(widths, lanes, devices, freq_mhz: float, synthesis: Iterable[Mapping] = ()) -> list[dict]:
    """Place and route both designs at every point, at most MAX_PARALLEL at a time; rows in plan order.

    An iCE40 point whose synthesized LUT4 count already exceeds the part is reported as not fitting
    without running nextpnr (that would re-synthesize it only to fail at placement)."""
    synthesis = list(synthesis)
    plan = [
        (w, p, job) for d in devices for w in widths for p in lanes for job in pnr_jobs(w, p, d, freq_mhz)
    ]

    def one(item):
        w, p, job = item
        reason = too_big_for_ice40(synthesis, job.top, w, p) if job.device == "ice40" else None
        if reason is not None:
            print(f"[pnr] {job.top} ice40 WA={w} P={p}: skipped, {reason}", file=sys.stderr, flush=True)
            return {"design": job.top, "device": job.device, "act_width": w, "lanes": p, "fits": False,
                    "error": reason, "params": dict(job.params), "outputs_per_cycle": 4 * p}  # fmt: skip
        result = pnr.place_and_route(job)
        how = (
            "cached"
            if result["cached"]
            else f"synth {result['synth_seconds']} s, P&R {result['pnr_seconds']} s"
        )
        fit = "" if result["fits"] else " (does not fit)"
        print(f"[pnr] {job.top} {job.device} WA={w} P={p}: {how}{fit}", file=sys.stderr, flush=True)
        return pnr_row(w, p, result)

    with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
        return list(pool.map(one, plan))


_PNR_COLUMNS = (
    ("design", "design"), ("device", "device"), ("WA", "act_width"), ("P", "lanes"), ("fits", "fits"),
    ("LUT4", "lut"), ("logic LUT", "lut_logic"), ("carry", "carry"), ("FF", "ff"), ("Fmax MHz", "fmax_mhz"),
    ("out/cycle", "outputs_per_cycle"), ("LUT4/out", "lut_per_output"), ("FF/out", "ff_per_output"),
    ("out/us", "outputs_per_us"), ("synth s", "synth_seconds"), ("P&R s", "pnr_seconds"),
)  # fmt: skip


def format_pnr(rows: list[Mapping], tablefmt: str = "simple") -> str:
    """The P&R rows as a table, then the core/direct ratios per device and design point."""
    lines = [
        "Place and route (post-route counts; iCE40 HX8K counts exclude the pin wrapper, ECP5 85F out of "
        "context; LUT4 = LUT4 slots used incl. carry, logic LUT = LUTs not in a carry chain):",
        format_table(rows, _PNR_COLUMNS, tablefmt),
    ]
    ratios = pnr_ratios(rows)
    if ratios:
        lines.append(format_table(ratios, _RATIO_COLUMNS, tablefmt, floatfmt=".3f"))
    return "\n".join(lines)


_RATIO_COLUMNS = (
    ("device", "device"), ("WA", "act_width"), ("P", "lanes"), ("LUT4 core/direct", "lut"),
    ("FF core/direct", "ff"), ("Fmax core/direct", "fmax_mhz"),
)  # fmt: skip


def pnr_ratios(rows: list[Mapping]) -> list[dict]:
    """core / direct ratios of LUT4s, flip-flops and Fmax wherever both designs fit."""
    by_point = {(r["device"], r["act_width"], r["lanes"], r["design"]): r for r in rows if r.get("fits")}
    out = []
    for (device, w, p, design), core in by_point.items():
        direct = by_point.get((device, w, p, "adder_pe_direct"))
        if design == "winoadder_core" and direct is not None:
            ratio = {k: core[k] / direct[k] for k in ("lut", "ff", "fmax_mhz")}
            out.append({"device": device, "act_width": w, "lanes": p, **ratio})
    return out
