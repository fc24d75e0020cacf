"""A layer's DatapathConfig from tuning knobs, its proved ranges and its proved worst-case output error.

Knobs of one 3×3 Winograd-adder layer (``LayerKnobs``): the activation fraction ``fa`` (the activation
width is then the calibrated integer bits − ``a_clip`` + fa: with a_clip > 0 the largest activations
saturate), ``K`` (U's extra fraction), ``acc_drop`` (accumulator bits below the proved width), the output
width ``out_w`` (fraction from the calibrated output range) and the requantize rounding. U's width is the
fewest bits holding this layer's U = GgGᵀ (weights are known: proved, no weight saturation). ``acc_mode``
WRAP is allowed only at the proved accumulator width (acc_drop = 0), where no overflow can happen: same
outputs as SAT, no clamp in the RTL (ACC_SAT = 0), but Y's width then covers the whole accumulator range.

Proved ranges (``proved_ranges``), from the layer's actual U and every activation in ``act_fmt``: per
Winograd position the input transform's range ``[Valo, Vahi]`` (the contract's interval rule, times 2^K);
``|U − Va|`` is convex in Va, so per (output channel o, position) ``S ∈ [−Σ_c max(|U−Valo|, |U−Vahi|),
−Σ_c dist(U, [Valo, Vahi])]``; Y's interval follows from S's through Aᵀ·Aᵀ's signed coefficients.

The error bound (``error_bound``; derivation in docs/tune.md) against the infinite-precision
Winograd-adder of the same quantized inputs and the float kernels: with δU = U_q − GgGᵀ,
``|out − Y_ref| ≤ max_{o,ij} Σ_pos |A_ij,pos|·Σ_c |δU[o,c,pos]| + r`` where r is the requantize rounding
(½ LSB of out for the RND modes, 1 LSB for the TRN modes, 0 when SHIFT = 0), valid whenever the
accumulator and requantize do not overflow (the stages the interval analysis proves overflow-free are
listed with the bound; the others rest on calibration and are counted by the simulator).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from fixedpoint import Fmt, Overflow, Rounding, from_float, to_float

TRUNCATING = {Rounding.TRN, Rounding.TRN_ZERO, Rounding.TRN_INF, Rounding.TRN_AWAY}
MAX_KNOB_WIDTH = 40


@dataclass(frozen=True)
class LayerFacts:
    """What calibration says about one layer: input sign and integer bits, output integer bits, C."""

    x_signed: bool
    x_int_bits: int
    y_int_bits: int
    channels: int


@dataclass(frozen=True)
class LayerKnobs:
    fa: int
    K: int = 2
    acc_drop: int = 0
    out_w: int = 16
    rounding: str = "RND"
    a_clip: int = 0  # activation integer bits below the calibrated range (inputs saturate into act_fmt)
    acc_mode: str = "SAT"  # WRAP only at the proved width, where it never acts (the RTL needs no clamp)

    def as_dict(self) -> dict:
        return asdict(self)


def int_bits(magnitude: float) -> int:
    """Integer bits (no sign) so that every value of magnitude ≤ ``magnitude`` is below 2^bits."""
    return math.floor(math.log2(magnitude)) + 1 if magnitude > 0 else 0


def kernel_u(g: np.ndarray, transform) -> np.ndarray:
    """U = G g Gᵀ in float64, (O, C, 4, 4)."""
    G = transform.G_float
    return G @ np.asarray(g, dtype=np.float64) @ G.T


def _position_v_range(transform, act_fmt: Fmt, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per Winograd position (16,) the raw range of Va = (BᵀdB)·2^K for every d in act_fmt."""
    from simulator.config import _kron_coefficients, linear_range

    lo, hi = linear_range(_kron_coefficients(transform.BT), act_fmt.min_raw, act_fmt.max_raw)
    return np.array(lo, dtype=np.int64) << k, np.array(hi, dtype=np.int64) << k


def proved_s_range(u_raw: np.ndarray, va_lo: np.ndarray, va_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact per (o, pos) range of S = −Σ_c |U − Va| over Va[pos] in [va_lo, va_hi]: (O, 16) each."""
    u = u_raw.reshape(u_raw.shape[0], u_raw.shape[1], 16).astype(np.int64)
    far = np.maximum(np.abs(u - va_lo), np.abs(u - va_hi))
    near = np.maximum(va_lo - u, 0) + np.maximum(u - va_hi, 0)
    return -far.sum(axis=1), -near.sum(axis=1)


def y_coefficients(transform) -> np.ndarray:
    """(4, 16) integer coefficients of Y[2i+j] = Σ_pos c·S[pos]."""
    at = np.asarray(transform.AT, dtype=np.int64)
    return np.kron(at, at)


def y_range(coef: np.ndarray, s_lo: np.ndarray, s_hi: np.ndarray) -> tuple[int, int]:
    """Interval of Y over every output channel given per (o, pos) S bounds."""
    pos, neg = np.maximum(coef, 0), np.minimum(coef, 0)
    lo = s_lo @ pos.T + s_hi @ neg.T
    hi = s_hi @ pos.T + s_lo @ neg.T
    return int(lo.min()), int(hi.max())


def build_config(transform, facts: LayerFacts, knobs: LayerKnobs, g: np.ndarray, lanes: int = 4):
    """The layer's DatapathConfig for these knobs (ValueError when the knobs give no valid config)."""
    from simulator import DatapathConfig

    if (not 0 <= knobs.fa <= MAX_KNOB_WIDTH or not 2 <= knobs.out_w <= MAX_KNOB_WIDTH or knobs.acc_drop < 0
            or not 0 <= knobs.a_clip <= facts.x_int_bits or knobs.acc_mode not in ("SAT", "WRAP")):
        raise ValueError(f"knobs: out of range {knobs}")
    if knobs.acc_mode == "WRAP" and knobs.acc_drop:
        raise ValueError("knobs: only an accumulator at its proved width (acc_drop = 0) may wrap")
    act = Fmt(max(2, facts.x_int_bits - knobs.a_clip + knobs.fa + int(facts.x_signed)), knobs.fa,
              facts.x_signed)
    u_grid = Fmt(62, knobs.fa + knobs.K, True)
    u_raw = from_float(kernel_u(g, transform), u_grid, Rounding.RND, Overflow.SAT)
    u_width = Fmt.signed_width_for(int(u_raw.min()), int(u_raw.max()))
    va_lo, va_hi = _position_v_range(transform, act, knobs.K)
    s_lo, s_hi = proved_s_range(u_raw, va_lo, va_hi)
    acc_proved = Fmt.signed_width_for(int(s_lo.min()), int(s_hi.max()))
    fo = min(knobs.out_w - 1 - facts.y_int_bits, knobs.fa + knobs.K)
    return DatapathConfig(
        transform=transform,
        act_fmt=act,
        u_extra_frac=knobs.K,
        u_width=u_width,
        max_channels=facts.channels,
        acc_width=max(2, acc_proved - knobs.acc_drop),
        acc_overflow=Overflow(knobs.acc_mode),
        out_fmt=Fmt(knobs.out_w, fo, True),
        rounding=knobs.rounding,
        overflow=Overflow.SAT,
        weight_rounding=Rounding.RND,
        lanes=lanes,
    )


def datapath_bits(cfg) -> int:
    """Total datapath bits of one config: the sum of the contract's stage widths WA … WO."""
    return sum(v for k, v in cfg.widths.as_dict().items() if k != "SHIFT")


def rounding_error_lsb(cfg) -> float:
    """Largest |out − Y| of requantize's rounding, in output LSBs (0 when nothing is shifted out)."""
    if cfg.widths.SHIFT == 0:
        return 0.0
    return 1.0 if cfg.rounding in TRUNCATING else 0.5


def error_bound(cfg, g: np.ndarray) -> dict:
    """Proved worst-case |out − Y_ref| of the layer (real units) and which stages are proved overflow-free.

    Y_ref is the float Winograd-adder of the same quantized inputs with U = GgGᵀ exact. The bound holds
    for every input in act_fmt whenever channel_accumulate and requantize do not overflow; each of these
    is proved overflow-free when the interval analysis of this layer's U says so.
    """
    from simulator.weights import prepare_weights

    u_q = prepare_weights(g, cfg)
    delta = np.abs(to_float(u_q, cfg.u_fmt) - kernel_u(g, cfg.transform))
    delta16 = delta.reshape(delta.shape[0], delta.shape[1], 16).sum(axis=1)  # (O, 16): Σ_c |δU|
    coef = y_coefficients(cfg.transform)
    weight_term = float((delta16 @ np.abs(coef).T).max())
    round_term = rounding_error_lsb(cfg) * cfg.out_fmt.lsb
    va_lo, va_hi = _position_v_range(cfg.transform, cfg.act_fmt, cfg.u_extra_frac)
    s_lo, s_hi = proved_s_range(u_q, va_lo, va_hi)
    acc = cfg.acc_fmt
    acc_proved = bool(s_lo.min() >= acc.min_raw and s_hi.max() <= acc.max_raw)
    ylo, yhi = y_range(coef, np.maximum(s_lo, acc.min_raw), np.minimum(s_hi, acc.max_raw))
    shift = cfg.widths.SHIFT
    out_lo, out_hi = cfg.ranges["requantize"]
    out_proved = bool((ylo >> shift) >= out_lo and -((-yhi) >> shift) <= out_hi)
    unsaturated = from_float(kernel_u(g, cfg.transform), Fmt(62, cfg.u_fmt.frac, True), cfg.weight_rounding)
    weight_sat = bool(np.any(u_q != unsaturated))
    return {
        "bound": weight_term + round_term,
        "weight_term": weight_term,
        "rounding_term": round_term,
        "proved_overflow_free": {
            "weights": not weight_sat,
            "channel_accumulate": acc_proved,
            "requantize": out_proved,
        },
        "valid_when": [s for s, ok in (("channel_accumulate", acc_proved), ("requantize", out_proved))
                       if not ok],
        "proved_s_range": [int(s_lo.min()), int(s_hi.max())],
        "proved_y_range": [ylo, yhi],
    }


def size_output(cfg, g: np.ndarray):
    """``cfg`` with the narrowest out_fmt (same fraction) that the interval analysis of this layer's
    weights proves requantize never clips, for every input in act_fmt."""
    from simulator.weights import prepare_weights

    u_q = prepare_weights(g, cfg)
    va_lo, va_hi = _position_v_range(cfg.transform, cfg.act_fmt, cfg.u_extra_frac)
    s_lo, s_hi = proved_s_range(u_q, va_lo, va_hi)
    acc = cfg.acc_fmt
    ylo, yhi = y_range(y_coefficients(cfg.transform), np.maximum(s_lo, acc.min_raw),
                       np.minimum(s_hi, acc.max_raw))
    shift = cfg.widths.SHIFT
    width = Fmt.signed_width_for(ylo >> shift, -((-yhi) >> shift))
    return cfg.replace(out_fmt=Fmt(width, cfg.out_fmt.frac, True))
