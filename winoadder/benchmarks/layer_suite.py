"""layer suite: the bit-accurate layer (`simulator.layer.conv_layer`) against float and naive anchors.

Anchors, all measured in this run on the same inputs:
- a plain-numpy float64 Winograd-adder layer (below): broadcast subtract/abs/sum over the input
  channels into preallocated buffers, one output channel at a time — the straightforward numpy code;
- the project's float64 reference, `simulator.reference.winograd_adder_conv`;
- the same integer datapath written with APyTypes arrays, and a per-tile Python loop (both on a smaller
  layer; rates are per tile-channel operation, so they scale).
A tile-channel operation is one (output tile, input channel, output channel) step: 16 |U − V|.
Every anchor's result is checked against ours; a disagreement is flagged in the row's note.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from winoadder.benchmarks.core import Goal, Row, Timing, dependency_reason, unavailable

SUITE = "layer"
UNIT = "tile-ch op/s"
WHAT = "bit-accurate conv_layer"
MAIN_LAYER = (64, 64, 32, 32)  # (C in, O out, H, W), batch 1
SMALL_LAYER = {True: (8, 8, 8, 8), False: (16, 16, 8, 8)}  # keyed by quick: APyTypes and Python loop
MEMORY_LAYER = (256, 256, 56, 56)
MEMORY_LIMIT_MIB = 1024
# Ours and the float reference spend most of their time in the same scipy l1 kernel, so parity is the
# ceiling, not a goal: the row stays as context (docs/bench.md).
REFERENCE_CONTEXT_NOTE = "context, no goal: the reference runs the same l1 kernel"
ADDRESS_SPACE_LIMIT = 6 << 30  # the memory child fails cleanly instead of exhausting the machine


def run(quick: bool, timing: Timing) -> list[Row]:
    try:
        from simulator import DatapathConfig, layer, reference  # noqa: F401
    except ImportError as exc:
        reason = dependency_reason(exc)
        return [unavailable(SUITE, "bit-accurate layer", _size(MAIN_LAYER), UNIT, reason)]
    cfg = DatapathConfig.default()
    rows = main_layer_rows(cfg, timing)
    ours_rate = rows[0].ours
    rows += small_layer_rows(cfg, SMALL_LAYER[quick], ours_rate, timing)
    if not quick:
        rows.append(memory_row())
    return rows


def _size(layer) -> str:
    c, o, h, w = layer
    return f"{c}→{o} {h}×{w}"


def random_layer(cfg, layer, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw activations (1,C,H,W) uniform over the activation format and raw U (O,C,4,4) over the U format."""
    c, o, h, w = layer
    rng = np.random.default_rng(seed)
    act, u = cfg.act_fmt, cfg.u_fmt
    x = rng.integers(act.min_raw, act.max_raw, (1, c, h, w), endpoint=True)
    return x, rng.integers(u.min_raw, u.max_raw, (o, c, 4, 4), endpoint=True)


def input_tiles(x: np.ndarray, padding: int = 1) -> tuple[np.ndarray, tuple[int, ...]]:
    """4×4 input tiles at stride 2, (T, C, 4, 4) with T = N·th·tw, and (N, th, tw, Ho, Wo) to reassemble."""
    n, c, h, w = x.shape
    ho, wo = h + 2 * padding - 2, w + 2 * padding - 2
    th, tw = -(-ho // 2), -(-wo // 2)
    xp = np.zeros((n, c, 2 * th + 2, 2 * tw + 2), x.dtype)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    windows = sliding_window_view(xp, (4, 4), axis=(2, 3))[:, :, ::2, ::2]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * th * tw, c, 4, 4), (n, th, tw, ho, wo)


def assemble(y_tiles: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(T, O, 2, 2) output tiles back to (N, O, Ho, Wo)."""
    n, th, tw, ho, wo = shape
    o = y_tiles.shape[1]
    y = y_tiles.reshape(n, th, tw, o, 2, 2).transpose(0, 3, 1, 4, 2, 5).reshape(n, o, 2 * th, 2 * tw)
    return y[:, :, :ho, :wo]


def plain_numpy_layer(x: np.ndarray, u: np.ndarray, bt: np.ndarray, at: np.ndarray, padding: int = 1):
    """Float64 Winograd-adder layer, Y = Aᵀ(Σ_c −|U − BᵀdB|)A, with broadcasting and preallocated buffers."""
    d, shape = input_tiles(x, padding)
    t, c = d.shape[:2]
    o = u.shape[0]
    bt = bt.astype(np.float64)
    v = (bt @ d @ bt.T).reshape(t, c, 16)
    uf = u.reshape(o, c, 16)
    diff = np.empty((t, c, 16))
    s = np.empty((o, t, 16))
    for oc in range(o):
        np.subtract(v, uf[oc], out=diff)
        np.abs(diff, out=diff)
        np.sum(diff, axis=1, out=s[oc])
    np.negative(s, out=s)
    at = at.astype(np.float64)
    y = at @ s.reshape(o, t, 4, 4) @ at.T
    return assemble(y.transpose(1, 0, 2, 3), shape)


def python_loop_layer(cfg, x: np.ndarray, u: np.ndarray, padding: int = 1) -> np.ndarray:
    """The bit-accurate datapath the naive way: a Python loop over tiles, output and input channels."""
    import fixedpoint
    from fixedpoint import Fmt

    bt, at = np.asarray(cfg.transform.BT, np.int64), np.asarray(cfg.transform.AT, np.int64)
    acc_fmt, y_fmt, out_fmt = cfg.acc_fmt, cfg.y_fmt, cfg.out_fmt
    sum_fmt = Fmt(max(acc_fmt.width, cfg.widths.WM) + 1, acc_fmt.frac)  # acc + M before the overflow mode
    d, shape = input_tiles(x, padding)
    t_count, c_count = d.shape[:2]
    out = np.empty((t_count, u.shape[0], 2, 2), np.int64)
    for t in range(t_count):
        va = [(bt @ d[t, c] @ bt.T) << cfg.u_extra_frac for c in range(c_count)]
        for o in range(u.shape[0]):
            acc = np.zeros((4, 4), np.int64)
            for c in range(c_count):
                acc = fixedpoint.cast(
                    acc - np.abs(u[o, c] - va[c]), sum_fmt, acc_fmt, overflow=cfg.acc_overflow
                )
            y = at @ acc @ at.T
            out[t, o] = fixedpoint.cast(y, y_fmt, out_fmt, cfg.rounding, cfg.overflow)
    return assemble(out, shape)


def apytypes_layer(cfg, x: np.ndarray, u: np.ndarray, padding: int = 1) -> np.ndarray:
    """The bit-accurate datapath with APyTypes arrays: matmul transforms, broadcast |U − V|, casts."""
    import apytypes as apy

    if not (cfg.act_fmt.signed and cfg.out_fmt.signed):
        raise ValueError("apytypes_layer: APyTypes has no unsigned type; use signed formats")
    overflow = {"WRAP": apy.OverflowMode.WRAP, "SAT": apy.OverflowMode.SAT}
    fa, fu = cfg.act_fmt.frac, cfg.u_fmt.frac
    bt, at = np.asarray(cfg.transform.BT, np.int64), np.asarray(cfg.transform.AT, np.int64)
    d, shape = input_tiles(x, padding)
    t, c = d.shape[:2]
    o = u.shape[0]
    kron_b = apy.APyFixedArray(np.kron(bt, bt).T.copy(), int_bits=2, frac_bits=0)  # V_flat = d_flat @ kron_b
    kron_a = apy.APyFixedArray(np.kron(at, at).T.copy(), int_bits=2, frac_bits=0)  # Y_flat = S_flat @ kron_a
    act = apy.APyFixedArray(d.reshape(t * c, 16).copy(), int_bits=cfg.act_fmt.int_bits, frac_bits=fa)
    v = act @ kron_b
    va = v.cast(int_bits=v.int_bits, frac_bits=fu).reshape((t, c, 16))  # align: exact
    uu = apy.APyFixedArray(u.reshape(o, c, 16).copy(), int_bits=cfg.u_fmt.int_bits, frac_bits=fu)
    rounding = getattr(apy.QuantizationMode, cfg.rounding.value)
    out = np.empty((t, o, 2, 2), np.int64)
    for oc in range(o):
        s = (-abs(uu[oc] - va)).sum(axis=1)
        s = s.cast(int_bits=cfg.acc_fmt.int_bits, frac_bits=fu, overflow=overflow[cfg.acc_overflow.value])
        y = s @ kron_a
        q = y.cast(
            int_bits=cfg.out_fmt.int_bits,
            frac_bits=cfg.out_fmt.frac,
            quantization=rounding,
            overflow=overflow[cfg.overflow.value],
        )
        out[:, oc] = np.rint(q.to_numpy() * 2.0**cfg.out_fmt.frac).astype(np.int64).reshape(t, 2, 2)
    return assemble(out, shape)


def main_layer_rows(cfg, timing: Timing) -> list[Row]:
    """Ours against the plain-numpy float layer and the project's float reference on the 64→64 32×32 layer."""
    from simulator.layer import conv_layer
    from simulator.reference import winograd_adder_conv

    x, u = random_layer(cfg, MAIN_LAYER)
    xf, uf = x * cfg.act_fmt.lsb, u * cfg.u_fmt.lsb
    bt, at = np.asarray(cfg.transform.BT), np.asarray(cfg.transform.AT)
    ops = tile_channel_ops(MAIN_LAYER)
    size = _size(MAIN_LAYER)

    y_float = np.asarray(conv_layer(cfg, x, u, padding=1).y) * cfg.y_fmt.lsb
    plain = plain_numpy_layer(xf, uf, bt, at)
    reference = winograd_adder_conv(xf, uf, cfg.transform, padding=1)
    seconds = timing.interleaved(
        [
            lambda: conv_layer(cfg, x, u, padding=1),
            lambda: plain_numpy_layer(xf, uf, bt, at),
            lambda: winograd_adder_conv(xf, uf, cfg.transform, padding=1),
        ]
    )
    ours, plain_rate, ref_rate = (ops / t for t in seconds)
    plain_note, ref_note = _agreement(y_float, plain, "Y"), _agreement(y_float, reference, "Y")
    ref_note = "; ".join(filter(None, [REFERENCE_CONTEXT_NOTE, ref_note]))
    return [
        Row(SUITE, WHAT, size, UNIT, ours, "plain numpy f64", plain_rate, Goal(2.0), note=plain_note),
        Row(SUITE, WHAT, size, UNIT, ours, "float reference", ref_rate, note=ref_note),
    ]


def small_layer_rows(cfg, layer, ours_rate: float, timing: Timing) -> list[Row]:
    """APyTypes and the per-tile Python loop on a smaller layer, compared per tile-channel operation."""
    from simulator.layer import conv_layer

    x, u = random_layer(cfg, layer, seed=1)
    expected = np.asarray(conv_layer(cfg, x, u, padding=1).out)
    ops = tile_channel_ops(layer)

    def row(anchor: str, anchor_fn=None, loop_timing: Timing = timing) -> Row:
        if anchor_fn is None:
            return Row(SUITE, WHAT, _size(MAIN_LAYER), UNIT, ours_rate, anchor, anchor_status="not installed")
        rate = ops / loop_timing.seconds_per_call(anchor_fn)
        check = _agreement(expected, anchor_fn(), "out", exact=True)
        note = "; ".join(filter(None, [f"anchor on {_size(layer)}, rate per tile-ch op", check]))
        return Row(SUITE, WHAT, _size(MAIN_LAYER), UNIT, ours_rate, anchor, rate, note=note)

    try:
        import apytypes  # noqa: F401
    except ImportError:
        apy_row = row("APyTypes datapath")
    else:
        apy_row = row("APyTypes datapath", lambda: apytypes_layer(cfg, x, u))
    slow = Timing(repeats=min(timing.repeats, 3), min_sample=0.0)  # one call per sample: it is slow
    return [apy_row, row("per-tile Python loop", lambda: python_loop_layer(cfg, x, u), slow)]


def tile_channel_ops(layer) -> int:
    """(output tile, input channel, output channel) steps of a batch-1 'same' layer (C, O, H, W)."""
    c, o, h, w = layer
    return -(-h // 2) * -(-w // 2) * c * o


def _agreement(ours: np.ndarray, theirs: np.ndarray, name: str, exact: bool = False) -> str:
    """Empty when the anchor agrees with ours (bit-exact, or to float rounding), else a loud warning."""
    theirs = np.asarray(theirs)
    if ours.shape != theirs.shape:
        return f"{name} SHAPES DIFFER {ours.shape} vs {theirs.shape}"
    same = np.array_equal(ours, theirs) if exact else np.allclose(ours, theirs, rtol=1e-12, atol=1e-9)
    return "" if same else f"{name} DIFFERS from ours"


_MEMORY_CHILD = """
import json, resource, sys, time, tracemalloc
import numpy as np
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from simulator import DatapathConfig
from simulator.layer import conv_layer
from winoadder.benchmarks.layer_suite import random_layer
cfg = DatapathConfig.default().replace(max_channels=max({layer}[0], DatapathConfig.default().max_channels))
x, u = random_layer(cfg, {layer})
tracemalloc.start()
start = time.perf_counter()
try:
    conv_layer(cfg, x, u, padding=1)
    error = None
except MemoryError:
    error = "MemoryError"
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
json.dump({{"maxrss_mib": rss_kib / 1024, "traced_peak_mib": peak / 2**20, "seconds": seconds,
           "error": error}}, sys.stdout)
"""


def memory_row() -> Row:
    """Peak resident memory of a process that runs one 256→256 56×56 layer (everything included)."""
    size = _size(MEMORY_LAYER)
    goal = Goal(MEMORY_LIMIT_MIB, on="ours", at_most=True, unit="MiB")
    what = "peak memory, bit-accurate layer"
    code = _MEMORY_CHILD.format(limit=ADDRESS_SPACE_LIMIT, layer=MEMORY_LAYER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:90]
        return unavailable(SUITE, what, size, "MiB", f"child failed: {reason}", goal)
    result = json.loads(proc.stdout)
    if result["error"]:
        return Row(
            SUITE,
            what,
            size,
            "MiB",
            None,
            goal=goal,
            status=f"{result['error']} under a {ADDRESS_SPACE_LIMIT >> 30} GiB address-space limit",
        )
    ops = tile_channel_ops(MEMORY_LAYER)
    note = (
        f"whole-process max RSS; conv_layer's own traced peak {result['traced_peak_mib']:.0f} MiB; "
        f"layer took {result['seconds']:.1f} s ({ops / result['seconds'] / 1e6:.1f} M tile-ch op/s, "
        f"child {time.perf_counter() - start:.0f} s)"
    )
    return Row(SUITE, what, size, "MiB", result["maxrss_mib"], goal=goal, note=note)
