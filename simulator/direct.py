"""Bit-exact model of adder_pe_direct: direct AdderNet per channel step, accumulated, requantized.

For one output channel and one 2×2 output tile, per input channel c: ``Y[i][j] = Σ_ab −|d[i+a][j+b] −
g[a][b]|`` (the 3×3 adder filter on the 4×4 tile, weights on the activation grid), accumulated over the
channels of an accumulation in the exact width ``WS`` of ``direct_pe_parameters`` and requantized by the
same cast as the Winograd datapath (``out_fmt``, rounding, overflow) from the activation fraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoint import Fmt, cast
from simulator.datapath import accumulation_prefixes, check_flags, check_raw
from simulator.rtl_params import direct_pe_parameters


@dataclass(frozen=True)
class DirectResult:
    """Per transaction: the window sums M (N, P, 2, 2) and the accumulator S after it; per transaction
    also ``out`` (requantized S, meaningful on ``last``)."""

    M: np.ndarray
    S: np.ndarray
    out: np.ndarray


def weight_fmt(cfg) -> Fmt:
    """The direct PE's weight format: signed, on the activation grid (WG bits)."""
    return Fmt(direct_pe_parameters(cfg)["WG"], cfg.act_fmt.frac, True)


def window_sums(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Σ_ab −|d[i+a][j+b] − g[a][b]| for tiles d (N, 4, 4) and kernels g (N, P, 3, 3): (N, P, 2, 2)."""
    windows = np.lib.stride_tricks.sliding_window_view(d, (3, 3), axis=(1, 2))  # (N, 2, 2, 3, 3)
    return -np.abs(windows[:, None] - g[:, :, None, None]).sum(axis=(-2, -1))


def run_direct_stream(cfg, d, g, first, last) -> DirectResult:
    """The direct PE's results for a transaction stream (raw activations d, raw weights g, flags)."""
    p = direct_pe_parameters(cfg)
    d = check_raw("d", d, cfg.act_fmt)
    g = check_raw("g", g, weight_fmt(cfg))
    first, last = check_flags(first, last, cfg.max_channels)
    m = window_sums(d, g)
    s = accumulation_prefixes(m, first)  # exact: WS holds max_channels window sums
    acc_fmt = Fmt(p["WS"], cfg.act_fmt.frac, True)
    assert s.size == 0 or s.min() >= acc_fmt.min_raw
    out = cast(s, acc_fmt, cfg.out_fmt, cfg.rounding, cfg.overflow)
    return DirectResult(m, s, out)
