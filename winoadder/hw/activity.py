"""Dynamic activity: register-bit toggles of both designs running the same real layer.

The layer is layer ``LAYER`` (16 → 32 channels, 4×4 maps) of the shipped model ``MODEL``, on the first
test images of the study's data (scikit-learn digits, ``winoadder.ml.nets.data``). Its input activations
(from the float network) and its kernels are quantized with the layer's calibrated configuration at the
activation width (``winoadder.ml.nets.quantized.layer_formats``; output fraction bits capped at the
activations', which the direct PE needs): ``winoadder_core`` gets U = prepare_weights(g), the direct PE
gets g on the activation grid, both the same activation tiles, one transaction per (image, tile, group
of P output channels, input channel), input channels innermost.

Each design is flattened by yosys (``proc; flatten; opt; wreduce; memory``, so registers yosys would
remove or narrow are not counted) and written back as Verilog, in which exactly the flip-flop outputs
are ``reg``. Icarus runs it under a generated testbench (inputs from hex files, ``out_ready`` held at 1,
so it depends only on the input ports) and dumps only those registers to a VCD; every bit that changes
between two known values is one toggle. Reported per output channel-step (the unit of the area tables:
a transaction advances 4·P outputs by one input channel).
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError

MODEL = "wino_balanced-cosine"
LAYER = 1
CLOCK_NS = 10
SIM_TIMEOUT_S = 3600
_FLATTEN = "proc; flatten; opt; wreduce; opt_clean; memory; opt_clean"
_REG = re.compile(r"^\s*reg\s+(?:\[(\d+):(\d+)\]\s+)?(\\\S+ |[A-Za-z_][\w$]*)\s*;", re.M)


def require_tools() -> None:
    from winoadder.hw.hdl import require_simulator
    from winoadder.hw.synth import require_yosys

    require_yosys()
    require_simulator("iverilog")


# ------------------------------------------------------------------------------------ the real layer


@functools.cache
def _model_and_ranges():
    from winoadder.ml.nets.data import load
    from winoadder.ml.nets.model import Net
    from winoadder.ml.nets.quantized import calibrate
    from winoadder.paths import MODELS_DIR

    path = MODELS_DIR / f"{MODEL}.npz"
    if not path.is_file():
        raise UsageError(f"--activity: the shipped model {path} is missing")
    net = Net.load(path)
    dataset = load(None)
    return net, dataset, calibrate(net, dataset.x_train)


def layer_config(act_width: int, lanes: int):
    """The layer's calibrated DatapathConfig at ``act_width`` with ``lanes`` lanes."""
    from fixedpoint import Fmt
    from winoadder.ml.nets.quantized import layer_formats

    net, _, ranges = _model_and_ranges()
    q = layer_formats(net, LAYER, ranges[LAYER], act_width)
    out = Fmt(q.out_fmt.width, min(q.out_fmt.frac, q.act_fmt.frac), True)
    return q.cfg.replace(lanes=lanes, out_fmt=out)


def layer_transactions(cfg, images: int) -> dict[str, np.ndarray]:
    """The layer as transactions for both designs: d (N,4,4), u (N,P,4,4), g (N,P,3,3), first, last."""
    from numpy.lib.stride_tricks import sliding_window_view

    from fixedpoint import Fmt, Overflow, Rounding, from_float
    from simulator.weights import prepare_weights

    net, dataset, _ = _model_and_ranges()
    trace: list = []
    net.forward(dataset.x_test[:images], trace=trace)
    x = trace[LAYER][0]  # (N, C, H, W) float input of the layer
    act = cfg.act_fmt
    x_raw = from_float(x, act, Rounding.RND, Overflow.SAT)
    kernels = net.conv[LAYER]
    o, c = kernels.shape[:2]
    p = cfg.lanes
    groups = -(-o // p)
    pad_o = groups * p - o  # zero kernels fill the last group
    u = np.pad(prepare_weights(kernels, cfg), ((0, pad_o), (0, 0), (0, 0), (0, 0)))
    g_fmt = Fmt(act.width + (0 if act.signed else 1), act.frac, True)  # direct_pe_parameters' WG grid
    g = np.pad(from_float(kernels, g_fmt, Rounding.RND, Overflow.SAT), ((0, pad_o), (0, 0), (0, 0), (0, 0)))
    xp = np.pad(x_raw, ((0, 0), (0, 0), (1, 1), (1, 1)))
    tiles = sliding_window_view(xp, (4, 4), axis=(2, 3))[:, :, ::2, ::2]  # (N, C, th, tw, 4, 4)
    n, _, th, tw = tiles.shape[:4]
    d = np.broadcast_to(tiles.transpose(0, 2, 3, 1, 4, 5)[:, :, :, None], (n, th, tw, groups, c, 4, 4))
    by_group = u.reshape(groups, p, c, 4, 4).transpose(0, 2, 1, 3, 4)  # (G, C, P, 4, 4)
    g_by_group = g.reshape(groups, p, c, 3, 3).transpose(0, 2, 1, 3, 4)
    shape = (n, th, tw, groups, c)
    steps = np.broadcast_to(np.arange(c), shape).reshape(-1)
    return {
        "d": d.reshape(-1, 4, 4),
        "u": np.broadcast_to(by_group, (*shape[:3], *by_group.shape)).reshape(-1, p, 4, 4),
        "g": np.broadcast_to(g_by_group, (*shape[:3], *g_by_group.shape)).reshape(-1, p, 3, 3),
        "first": steps == 0,
        "last": steps == c - 1,
    }


# ------------------------------------------------------------------------------------- simulation


def flatten(top: str, sources, params, directory: Path) -> list[tuple[str, int]]:
    """Write ``flat.v`` (``top`` flattened, parameters applied); returns its registers (name, width)."""
    from winoadder.hw.hdl import format_param
    from winoadder.hw.synth import require_yosys

    sets = " ".join(f"-set {k} {format_param(v)}" for k, v in sorted(params.items()))
    script = (
        f"read_verilog -DSYNTHESIS {' '.join(str(s) for s in sources)}; chparam {sets} {top}; "
        f"hierarchy -check -top {top}; {_FLATTEN}; write_verilog -noattr flat.v"
    )
    proc = subprocess.run(
        [require_yosys(), "-q", "-p", script],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=SIM_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"yosys could not flatten {top}: {proc.stderr.strip()[-300:]}")
    text = (directory / "flat.v").read_text()
    return [(name.strip(), abs(int(hi) - int(lo)) + 1 if hi else 1) for hi, lo, name in _REG.findall(text)]


def testbench(top: str, ports: list[tuple[str, str, int]], weight_port: str, regs, rows: int) -> str:
    """A testbench feeding ``rows`` transactions from tile.hex, weights.hex, flags.hex at full rate."""
    widths = {name: w for _, name, w in ports}
    lines = ["`timescale 1ns/1ps", "module tb;", "    reg clk = 0, rst = 1;", "    integer t = 0, beats = 0;"]
    lines.append(f"    reg [{widths['in_tile'] - 1}:0] tiles [0:{rows - 1}];")
    lines.append(f"    reg [{widths[weight_port] - 1}:0] weights [0:{rows - 1}];")
    lines.append(f"    reg [1:0] flags [0:{rows - 1}];")
    conns = []
    for direction, name, width in ports:
        if direction == "input" and name not in ("clk", "rst"):
            value = "1'b1" if name.endswith("_ready") else f"{width}'d0"
            lines.append(f"    reg [{width - 1}:0] {name} = {value};")
        elif direction == "output":
            lines.append(f"    wire [{width - 1}:0] {name};")
        conns.append(f".{name}({name})")
    lines.append(f"    {top} dut ({', '.join(conns)});")
    dumped = ", ".join(f"dut.{name}{' ' if name.startswith(chr(92)) else ''}" for name, _ in regs)
    lines += [
        f"    always #{CLOCK_NS // 2} clk = ~clk;",
        "    always @(posedge clk) if (!rst && out_valid && out_ready) beats <= beats + 1;",
        "    always @(posedge clk) if (!rst && (!in_valid || in_ready)) begin",
        f"        if (t < {rows}) begin",
        "            in_tile <= tiles[t];",
        f"            {weight_port} <= weights[t];",
        "            {in_last, in_first} <= flags[t];",
        "            in_valid <= 1'b1;",
        "            t <= t + 1;",
        "        end else in_valid <= 1'b0;",
        "    end",
        "    initial begin",
        '        $readmemh("tile.hex", tiles);',
        '        $readmemh("weights.hex", weights);',
        '        $readmemh("flags.hex", flags);',
        "        repeat (3) @(posedge clk);",
        "        #1 rst = 0;",
        '        $dumpfile("regs.vcd");',
        f"        $dumpvars(1, {dumped});",
        f"        wait (t == {rows} && in_valid && in_ready);",
        "        repeat (32) @(posedge clk);",
        '        $display("fed %0d beats %0d", t, beats);',
        "        $finish;",
        "    end",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"


def count_toggles(vcd: Path) -> dict[str, int]:
    """Toggles per variable of a VCD: bits that change between two known (0/1) values."""
    names: dict[str, str] = {}
    prev: dict[str, tuple[int, int]] = {}
    toggles: dict[str, int] = {}
    in_defs = True
    with open(vcd) as fh:
        for line in fh:
            if in_defs:
                if line.startswith("$var"):
                    parts = line.split()
                    names[parts[3]] = " ".join(parts[4:-1])
                elif line.startswith("$enddefinitions"):
                    in_defs = False
                continue
            if not line or line[0] in "#$":
                continue
            if line[0] in "bB":
                value, ident = line[1:].split()
            elif line[0] in "01xXzZ":
                value, ident = line[0], line[1:].strip()
            else:
                continue
            value = value.lower()
            known = int(value.replace("0", "1").replace("x", "0").replace("z", "0"), 2)
            if value[0] in "xz":  # left extension of an unknown value is unknown
                known_ext = known
            else:
                known_ext = known | ~((1 << len(value)) - 1)
            bits = int(value.replace("x", "0").replace("z", "0"), 2)
            if ident in prev:
                pbits, pknown = prev[ident]
                toggles[ident] = toggles.get(ident, 0) + bin((pbits ^ bits) & pknown & known_ext).count("1")
            prev[ident] = (bits, known_ext)
    return {names[i]: toggles.get(i, 0) for i in names}


def _pack_inputs(cfg, design: str, tx: dict, directory: Path, rtl_params) -> None:
    from vectors.layout import Field, pack_hex

    act = cfg.act_fmt
    (directory / "tile.hex").write_bytes(pack_hex(tx["d"], Field("in_tile", (4, 4), act.width, act.signed)))
    if design == "winoadder_core":
        weights = pack_hex(tx["u"], Field("in_u", (cfg.lanes, 4, 4), rtl_params["WU"], True))
    else:
        weights = pack_hex(tx["g"], Field("in_w", (cfg.lanes, 3, 3), rtl_params["WG"], True))
    (directory / "weights.hex").write_bytes(weights)
    flags = np.stack([tx["first"], tx["last"]], axis=1).astype(np.int64)
    (directory / "flags.hex").write_bytes(pack_hex(flags, Field("flags", (2,), 1, False)))


def measure(design: str, act_width: int, lanes: int, images: int) -> dict:
    """Toggles of every register bit of ``design`` running the layer; counts and per-output figures."""
    from simulator.rtl_params import direct_pe_parameters, rtl_parameters
    from winoadder.hw.pnr import port_list
    from winoadder.hw.rtl import rtl_sources

    cfg = layer_config(act_width, lanes)
    params = (rtl_parameters if design == "winoadder_core" else direct_pe_parameters)(cfg)
    tx = layer_transactions(cfg, images)
    sources = rtl_sources()
    ports = port_list(design, sources, params)
    names = {name for _, name, _ in ports}
    weight_port = "in_u" if "in_u" in names else "in_w"
    with tempfile.TemporaryDirectory(prefix="winoadder-activity-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        regs = flatten(design, sources, params, directory)
        flatten_s = time.perf_counter() - start
        _pack_inputs(cfg, design, tx, directory, params)
        (directory / "tb.v").write_text(testbench(design, ports, weight_port, regs, len(tx["d"])))
        start = time.perf_counter()
        compile_ = subprocess.run(
            ["iverilog", "-g2005", "-s", "tb", "-o", "sim.vvp", "tb.v", "flat.v"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=SIM_TIMEOUT_S,
        )
        if compile_.returncode != 0:
            raise RuntimeError(f"iverilog failed on the flattened {design}: {compile_.stderr.strip()[-300:]}")
        proc = subprocess.run(
            ["vvp", "-n", "sim.vvp"], cwd=directory, capture_output=True, text=True, timeout=SIM_TIMEOUT_S
        )
        sim_s = time.perf_counter() - start
        done = re.search(r"fed (\d+) beats (\d+)", proc.stdout)
        if proc.returncode != 0 or done is None or int(done.group(1)) != len(tx["d"]):
            raise RuntimeError(f"activity simulation of {design} did not finish: {proc.stdout[-300:]}")
        start = time.perf_counter()
        per_reg = count_toggles(directory / "regs.vcd")
        count_s = time.perf_counter() - start
    total = sum(per_reg.values())
    outputs = len(tx["d"]) * 4 * lanes
    return {
        "design": design, "act_width": act_width, "lanes": lanes, "model": MODEL, "layer": LAYER,
        "images": images, "config": cfg.to_dict(),
        "params": params, "transactions": len(tx["d"]), "output_beats": int(done.group(2)),
        "register_bits": sum(w for _, w in regs), "toggles": total,
        "toggles_per_transaction": total / len(tx["d"]), "toggles_per_output": total / outputs,
        "toggles_by_block": _by_block(per_reg),
        "flatten_seconds": round(flatten_s, 2), "sim_seconds": round(sim_s, 2),
        "count_seconds": round(count_s, 2),
    }  # fmt: skip


def _by_block(per_reg: dict[str, int]) -> dict[str, int]:
    """Toggles summed by the register's first hierarchy level, generate indices dropped."""
    out: dict[str, int] = {}
    for name, n in per_reg.items():
        block = re.sub(r"\[\d+\]", "", name.lstrip("\\").split(".")[0]) if "." in name else "(top)"
        out[block] = out.get(block, 0) + n
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def run_activity(widths, lanes, images: int) -> list[dict]:
    """Both designs at every (width, lanes) point; one row per design plus the core/direct ratio."""
    rows = []
    for w in widths:
        for p in lanes:
            pair = [measure(design, w, p, images) for design in ("winoadder_core", "adder_pe_direct")]
            ratio = pair[0]["toggles_per_output"] / pair[1]["toggles_per_output"]
            for row in pair:
                row["core_over_direct"] = ratio
            rows += pair
    return rows


_COLUMNS = (
    ("design", "design"), ("WA", "act_width"), ("P", "lanes"), ("tx", "transactions"),
    ("reg bits", "register_bits"), ("toggles", "toggles"), ("toggles/tx", "toggles_per_transaction"),
    ("toggles/out", "toggles_per_output"), ("core/direct", "core_over_direct"), ("sim s", "sim_seconds"),
)  # fmt: skip


def format_activity(rows: list[dict], tablefmt: str = "simple") -> str:
    from winoadder.hw.synth import format_table

    head = (
        (
            f"Register toggles on layer {LAYER} of {MODEL} ({rows[0]['images']} test images, quantized with "
            "the layer's calibrated formats; per output channel-step):"
        )
        if rows
        else ""
    )
    return head + "\n" + format_table(rows, _COLUMNS, tablefmt, floatfmt=".2f")
