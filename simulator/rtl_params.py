"""Verilog parameters of winoadder_core and adder_pe_direct derived from a DatapathConfig.

The derivation lives beside the config (a lower layer than the RTL tooling) so the vector manifest can
record the parameters without importing the hardware side (docs/datapath.md, docs/rtl.md).
"""

from __future__ import annotations

import numpy as np

from fixedpoint.fmt import Fmt
from fixedpoint.modes import OVERFLOW_CODE, ROUNDING_CODE, Overflow
from simulator.config import _kron_coefficients, linear_range

# Register stages from an accepted last transaction to the beat of lane 0 (lane p: p cycles later)
# when nothing stalls (docs/rtl.md): the core with a Winograd-domain accumulator (Y_ACC = 0: M, acc,
# T, Y, out) and with an output-domain one (Y_ACC = 1: M, acc, T, out); the direct PE (M, acc, T, out).
CORE_LATENCY = 5
CORE_LATENCY_Y_ACC = 4
DIRECT_LATENCY = 4
_SIGN_CODE = {0: 0b00, 1: 0b01, -1: 0b11}


def pack_signs(matrix) -> int:
    """Pack a {-1,0,1} matrix row-major, 2 bits per entry, entry [i][j] at bit 2·(ncols·i + j)."""
    value = 0
    rows = [list(map(int, row)) for row in matrix]
    ncols = len(rows[0])
    for i, row in enumerate(rows):
        for j, entry in enumerate(row):
            if entry not in _SIGN_CODE:
                raise ValueError(f"matrices: entries must be in {{-1, 0, 1}}, got {entry} at [{i}][{j}]")
            value |= _SIGN_CODE[entry] << (2 * (ncols * i + j))
    return value


def lane_bits(lanes: int) -> int:
    """WL, the width of out_lane: max(1, ceil(log2 P))."""
    return max(1, (lanes - 1).bit_length())


def accumulator_saturates(cfg) -> bool:
    """ACC_SAT: SAT accumulation with an accumulator that can leave its range within max_channels.

    M <= 0, so an accumulation of at most max_channels channels ends at or above max_channels * min(M);
    at the exact width (the default) that fits, SAT and WRAP never act and the RTL needs no clamp.
    """
    can_overflow = cfg.max_channels * cfg.ranges["neg_abs_diff"][0] < cfg.acc_fmt.min_raw
    return cfg.acc_overflow == Overflow.SAT and can_overflow


def accumulator_exact(cfg) -> bool:
    """The accumulator holds every partial sum of at most max_channels channels: neither SAT nor WRAP acts.

    Then Y = Aᵀ(Σ_c M_c)A = Σ_c AᵀM_cA in integers, and the core accumulates in the output domain
    (Y_ACC = 1); a WRAP accumulator narrower than the exact width is not exact (it wraps).
    """
    return cfg.max_channels * cfg.ranges["neg_abs_diff"][0] >= cfg.acc_fmt.min_raw


def channel_term_split(at) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients on the flattened M (row e = 2i + j) of output_transform's steered words: Za, the
    term of the first nonzero coefficient of row j of Aᵀ, and Zb = Z − Za, the others (disjoint columns
    of M, so the range of Z is the sum of theirs)."""
    at = np.asarray(at, dtype=object)
    full = _kron_coefficients(at).reshape(2, 2, 4, 4)  # [i, j, a, b] = AT[i, a]·AT[j, b]
    first = np.argmax(at != 0, axis=1)  # per row j of Aᵀ: its first nonzero column b
    mask = np.arange(4)[None, None, None, :] == first[None, :, None, None]
    za = np.where(mask, full, 0)
    return za.reshape(4, 16), (full - za).reshape(4, 16)


def channel_term_ranges(cfg) -> tuple[tuple[int, int], tuple[int, int]]:
    """Raw (lo, hi) of the steered words Za and Zb over the four outputs, M in neg_abs_diff's range."""
    mlo, mhi = cfg.ranges["neg_abs_diff"]
    spans = []
    for coef in channel_term_split(cfg.transform.AT):
        lo, hi = linear_range(coef, mlo, mhi)
        spans.append((int(min(lo)), int(max(hi))))
    return spans[0], spans[1]


def channel_term_width(cfg) -> int:
    """WZ: the signed width holding Za' = Za − ca and Zb' = Zb − cb exactly (carries c ∈ {0, 1})."""
    return max(Fmt.signed_width_for(lo - 1, hi) for lo, hi in channel_term_ranges(cfg))


def core_latency(params) -> int:
    """winoadder_core's latency (last transaction accepted -> lane 0's beat) for its parameters."""
    return CORE_LATENCY_Y_ACC if params.get("Y_ACC") else CORE_LATENCY


def rtl_parameters(cfg) -> dict[str, int]:
    """The winoadder_core parameter values for a DatapathConfig (names as in docs/datapath.md)."""
    w = cfg.widths
    return {
        "P": cfg.lanes,
        "WA": w.WA,
        "A_SIGNED": int(cfg.act_fmt.signed),
        "K": cfg.u_extra_frac,
        "WU": w.WU,
        "WV": w.WV,
        "WVA": w.WVA,
        "WD": w.WD,
        "WM": w.WM,
        "WS": w.WS,
        "ACC_SAT": int(accumulator_saturates(cfg)),
        "WY": w.WY,
        "WO": w.WO,
        "O_SIGNED": int(cfg.out_fmt.signed),
        "SHIFT": w.SHIFT,
        "ROUND": ROUNDING_CODE[cfg.rounding],
        "OVF": OVERFLOW_CODE[cfg.overflow],
        "BT": pack_signs(cfg.transform.BT),
        "AT": pack_signs(cfg.transform.AT),
        "WL": lane_bits(cfg.lanes),
        "Y_ACC": int(accumulator_exact(cfg)),
        "WZ": channel_term_width(cfg),
    }


def direct_pe_parameters(cfg) -> dict[str, int]:
    """adder_pe_direct parameters for the same activations, channels, modes and output format.

    Weights share the activation grid (signed, WA + [unsigned act] bits); D = x − w, each output sums 9
    values M = −|D| per channel, and the exact accumulator holds max_channels of those sums. The output
    shift is fa − fo (no extra U fraction bits in the direct form).
    """
    act, out = cfg.act_fmt, cfg.out_fmt
    if out.frac > act.frac:
        raise ValueError(f"out_fmt: the direct PE needs out_fmt.frac <= act_fmt.frac = {act.frac}")
    g_fmt = Fmt(act.width + (0 if act.signed else 1), act.frac, True)
    dlo, dhi = act.min_raw - g_fmt.max_raw, act.max_raw - g_fmt.min_raw
    mlo = -max(abs(dlo), abs(dhi))
    return {
        "P": cfg.lanes,
        "WA": act.width,
        "A_SIGNED": int(act.signed),
        "WG": g_fmt.width,
        "WDIF": Fmt.signed_width_for(dlo, dhi),
        "WP": Fmt.signed_width_for(9 * mlo, 0),
        "WS": Fmt.signed_width_for(9 * mlo * cfg.max_channels, 0),
        "ACC_SAT": 0,  # WS is exact for max_channels: the accumulator never leaves its range
        "WO": out.width,
        "O_SIGNED": int(out.signed),
        "SHIFT": act.frac - out.frac,
        "ROUND": ROUNDING_CODE[cfg.rounding],
        "OVF": OVERFLOW_CODE[cfg.overflow],
        "WL": lane_bits(cfg.lanes),
    }
