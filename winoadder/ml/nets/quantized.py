"""Fixed-point 3×3 layers for the accuracy-vs-bitwidth study, and their per-layer format calibration.

At a datapath width W, each 3×3 layer gets formats from range calibration (float network, training split):
- activations: ``act_fmt`` = W bits, unsigned if the layer's inputs are never negative, fraction bits
  chosen so the largest calibrated magnitude fits;
- adder and Winograd-adder layers: one shared scale for inputs and kernels (AdderNet quantization needs
  it: |s·x − s·w| = s·|x − w|): the calibrated magnitude is max(|x|, |g|), and g sits on the activation
  grid in the signed format (W + [unsigned act], fa), exactly the contract's default U analysis;
- Winograd-adder: the layer runs on the bit-accurate simulator (``simulator.layer.conv_layer``) with a
  ``DatapathConfig`` of that act_fmt, K = 2, Cmax = C (exact accumulator), out_fmt below, RND/SAT;
  U = prepare_weights(g) (exact on the U grid for K = 2);
- direct adder: an equivalent fixed-point direct path (not the Winograd simulator) with the same alignment
  as the Winograd datapath: w cast to the signed format (W + [unsigned act] + K, fa + K), x shifted left
  by K onto w's grid (exact), exact integer −Σ|x − w| over the 3×3×C window, then a RND/SAT cast to
  out_fmt;
- cnn: x on its grid, w on its own signed W-bit grid (products need no shared scale), exact integer
  Σ x·w, RND/SAT cast to out_fmt;
- out_fmt: signed W bits, fraction bits so the largest calibrated output magnitude fits (at most the
  accumulation's fraction bits).
Batch norm, ReLU, max pooling and the classifier stay float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fixedpoint import CastStats, Fmt, Overflow, Rounding, cast, from_float, to_float
from winoadder.ml.nets.model import Net, l1_distances, layer_kind, patches3, preset_of

U_EXTRA_FRAC = 2
RAW_FMT_WIDTH = 62
FLOAT_EXACT = 1 << 53


@dataclass(frozen=True)
class LayerRange:
    """Calibrated float ranges of one 3×3 layer: inputs (min, max|·|), kernel max|·|, output max|·|."""

    x_min: float
    x_absmax: float
    w_absmax: float
    y_absmax: float


@dataclass
class LayerQuant:
    """The fixed-point formats of one layer at one width, and what happened when it ran."""

    act_fmt: Fmt
    weight_fmt: Fmt  # the kernels' cast format (U format for the Winograd-adder layer)
    out_fmt: Fmt
    cfg: object = None  # DatapathConfig (Winograd-adder only)
    input_stats: CastStats = field(default_factory=CastStats)
    weight_stats: CastStats = field(default_factory=CastStats)
    output_stats: CastStats = field(default_factory=CastStats)

    @property
    def overflows(self) -> int:
        return self.input_stats.overflows + self.weight_stats.overflows + self.output_stats.overflows

    def describe(self) -> dict:
        return {
            "act_fmt": str(self.act_fmt),
            "weight_fmt": str(self.weight_fmt),
            "out_fmt": str(self.out_fmt),
            "overflows": {
                "input": self.input_stats.overflows,
                "weights": self.weight_stats.overflows,
                "output": self.output_stats.overflows,
            },
        }


def calibrate(net: Net, x_train: np.ndarray) -> list[LayerRange]:
    """Ranges of every 3×3 layer of the float network over ``x_train``."""
    trace: list = []
    net.forward(x_train, trace=trace)
    return [
        LayerRange(float(x.min()), float(np.abs(x).max()), float(np.abs(w).max()), float(np.abs(y).max()))
        for (x, y), w in zip(trace, net.conv, strict=True)
    ]


def int_bits(magnitude: float) -> int:
    """Integer bits (no sign) so that every value of magnitude ≤ ``magnitude`` is below 2^bits."""
    return math.floor(math.log2(magnitude)) + 1 if magnitude > 0 else 0


def layer_formats(net: Net, i: int, r: LayerRange, width: int) -> LayerQuant:
    """Formats of layer ``i`` at datapath width ``width`` (see the module docstring)."""
    from simulator import PRESETS, DatapathConfig

    kind = layer_kind(net.variant)
    signed = r.x_min < 0
    shared = max(r.x_absmax, r.w_absmax) if kind != "conv" else r.x_absmax
    fa = width - int(signed) - int_bits(shared)
    act = Fmt(width, fa, signed)
    out_bits = int_bits(r.y_absmax)
    if kind == "conv":
        w_fmt = Fmt(width, width - 1 - int_bits(r.w_absmax), True)
        out = Fmt(width, min(width - 1 - out_bits, fa + w_fmt.frac), True)
        return LayerQuant(act, w_fmt, out)
    if kind == "adder":
        out = Fmt(width, min(width - 1 - out_bits, fa + U_EXTRA_FRAC), True)
        return LayerQuant(act, Fmt(width + int(not signed) + U_EXTRA_FRAC, fa + U_EXTRA_FRAC, True), out)
    out = Fmt(width, min(width - 1 - out_bits, fa + U_EXTRA_FRAC), True)
    cfg = DatapathConfig(
        transform=PRESETS[preset_of(net.variant)],
        act_fmt=act,
        u_extra_frac=U_EXTRA_FRAC,
        max_channels=net.conv[i].shape[1],
        out_fmt=out,
        rounding=Rounding.RND,
        overflow=Overflow.SAT,
        weight_rounding=Rounding.RND,
    )
    return LayerQuant(act, cfg.u_fmt, out, cfg)


def quantized_layer(net: Net, i: int, q: LayerQuant, x: np.ndarray, *, raw: bool = False):
    """Run layer ``i`` in fixed point on float input ``x``; returns the dequantized output (N, O, H, W).

    With ``raw`` returns (x_raw, w_raw, y_raw, y_fmt): the inputs on their grids and the exact result
    before the final cast (Winograd-adder: the simulator's Y before requantize).
    """
    x_raw = from_float(x, q.act_fmt, Rounding.RND, Overflow.SAT, stats=q.input_stats)
    kind = layer_kind(net.variant)
    if kind == "wino":
        from simulator.layer import conv_layer
        from simulator.weights import prepare_weights

        w_raw = prepare_weights(net.conv[i], q.cfg, stats=q.weight_stats)
        result = conv_layer(q.cfg, x_raw, w_raw, padding=1)
        q.output_stats.total += result.out.size
        q.output_stats.overflows += result.stats["requantize"].overflows
        q.output_stats.zeroed += result.stats["requantize"].zeroed
        y_raw, y_fmt, out_raw = result.y, q.cfg.y_fmt, result.out
    else:
        w_raw = from_float(net.conv[i], q.weight_fmt, Rounding.RND, Overflow.SAT, stats=q.weight_stats)
        if kind == "conv":
            y_raw, y_frac = direct_int(kind, x_raw, w_raw), q.act_fmt.frac + q.weight_fmt.frac
        else:  # align x onto w's grid (fa + K), as the Winograd datapath aligns V onto U's
            y_raw, y_frac = direct_int(kind, x_raw << U_EXTRA_FRAC, w_raw), q.weight_fmt.frac
        y_fmt = Fmt(RAW_FMT_WIDTH, y_frac, True)
        out_raw = cast(y_raw, y_fmt, q.out_fmt, Rounding.RND, Overflow.SAT, stats=q.output_stats)
    if raw:
        return x_raw, w_raw, y_raw, y_fmt
    return to_float(out_raw, q.out_fmt)


def direct_int(kind: str, x_raw: np.ndarray, w_raw: np.ndarray) -> np.ndarray:
    """Exact integer 3×3 layer, padding 1: −Σ|x − w| (``adder``) or Σ x·w (``conv``), int64."""
    n, _, h, w = x_raw.shape
    p = patches3(x_raw).transpose(0, 2, 1).reshape(n * h * w, -1)
    wf = w_raw.reshape(len(w_raw), -1)
    if kind == "conv":
        y = p @ wf.T
    else:
        bound = p.shape[1] * (int(np.abs(p).max()) + int(np.abs(wf).max()))
        if bound >= FLOAT_EXACT:
            raise ValueError(f"width: the direct adder sums reach {bound}, beyond exact float64 (2^53)")
        y = -l1_distances(p.astype(np.float64), wf.astype(np.float64)).astype(np.int64)  # exact integers
    return y.reshape(n, h, w, len(w_raw)).transpose(0, 3, 1, 2)
