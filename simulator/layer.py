"""A whole convolution layer through the bit-accurate datapath, vectorised over tiles and channels.

Per Winograd position the channel sums S = −Σ_c |U − Va| of every (tile, output channel) pair are one
l1 distance matrix (scipy cdist, float64: exact while every sum stays below 2^53, else an int64 path).
The accumulator's overflow is applied in closed form (docs/datapath.md, channel_accumulate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoint import CastStats
from simulator.config import DatapathConfig
from simulator.datapath import (
    accumulator_result,
    align,
    check_raw,
    input_transform,
    neg_abs_diff,
    output_transform,
    requantize,
)
from simulator.stats import StageStats, new_stats
from simulator.tiling import TileGrid, l1_sums, l1_sums_int, output_coefficients, to_position_major, transform_tiles

FLOAT_EXACT = 1 << 53


@dataclass
class LayerResult:
    out: np.ndarray  # (N, O, Ho, Wo) raw in out_fmt
    y: np.ndarray  # (N, O, Ho, Wo) raw in y_fmt, before requantize
    stats: dict[str, StageStats]
    stages: dict[str, np.ndarray] | None = None


def _closest_distance(v16: np.ndarray, u16: np.ndarray) -> int:
    """min over (pos, c, t, o) of |U[pos,o,c] − V[pos,t,c]| (int64 inputs), via sorted search per group."""
    groups = v16.shape[0] * v16.shape[2]
    span = int(max(np.abs(v16).max(), np.abs(u16).max())) * 4 + 4
    offset = (np.arange(groups, dtype=np.int64) * span)[:, None]
    u_keys = np.sort(u16.transpose(0, 2, 1).reshape(groups, -1), axis=1) + offset
    v_keys = (v16.transpose(0, 2, 1).reshape(groups, -1) + offset).ravel()
    u_flat = u_keys.ravel()
    idx = np.searchsorted(u_flat, v_keys)
    above = u_flat[np.minimum(idx, u_flat.size - 1)]
    below = u_flat[np.maximum(idx - 1, 0)]
    return int(np.minimum(np.abs(above - v_keys), np.abs(v_keys - below)).min())


def _record_differences(stats, v16: np.ndarray, u16: np.ndarray, n_pairs: int) -> None:
    """Exact min/max of D = U − Va and M = −|D| over all (tile, output, channel, position) pairs."""
    v_lo, v_hi = v16.min(axis=1), v16.max(axis=1)  # (16, C)
    u_lo, u_hi = u16.min(axis=1), u16.max(axis=1)
    d_lo, d_hi = u_lo - v_hi, u_hi - v_lo
    stats["neg_abs_diff_diff"].record_range(d_lo.min(), d_hi.max(), n_pairs)
    m_lo = -int(np.maximum(np.abs(d_lo), np.abs(d_hi)).max())
    stats["neg_abs_diff"].record_range(m_lo, -_closest_distance(v16, u16), n_pairs)


def _stage_arrays(cfg: DatapathConfig, xp: np.ndarray, grid: TileGrid, u: np.ndarray, keep: int) -> dict:
    """Every stage's arrays for the first ``keep`` tiles (n, row, col order), by the stage functions."""
    t = np.arange(min(keep, grid.tiles))
    n, rem = np.divmod(t, grid.nth * grid.ntw)
    row, col = np.divmod(rem, grid.ntw)
    win = np.arange(4)
    d = xp[n[:, None, None], (2 * row)[:, None, None] + win[None, :, None], (2 * col)[:, None, None] + win]
    d = d.transpose(0, 3, 1, 2)  # (T, C, 4, 4)
    V = input_transform(d, cfg.transform.BT)
    Va = align(V, cfg.u_extra_frac)
    M = neg_abs_diff(u[None], Va[:, None])  # (T, O, C, 4, 4)
    S = accumulator_result(M.sum(axis=2), cfg.acc_fmt, cfg.acc_overflow)
    Y = output_transform(S, cfg.transform.AT)
    return {"tiles": np.stack([n, row, col], axis=1), "d": d, "V": V, "Va": Va, "U": u, "M": M, "S": S,
            "Y": Y, "out": requantize(Y, cfg)}


def conv_layer(cfg: DatapathConfig, x_raw, u_raw, padding: int = 1, keep_stages: bool | int = False) -> LayerResult:
    """Stride-1 convolution of raw activations x (N,C,H,W) with raw U (O,C,4,4), zero padding ``padding``.

    Output (N, O, H+2p−2, W+2p−2); odd sizes are computed on a padded tile grid and cropped. With
    ``keep_stages`` (True, or a number of tiles) the stage arrays of the first tiles are returned too.
    """
    x = check_raw("x", x_raw, cfg.act_fmt)
    u = check_raw("u", u_raw, cfg.u_fmt)
    if x.ndim != 4:
        raise ValueError(f"x: expected shape (N, C, H, W), got {x.shape}")
    if u.ndim != 4 or u.shape[2:] != (4, 4) or u.shape[1] != x.shape[1]:
        raise ValueError(f"u: expected shape (O, {x.shape[1]}, 4, 4), got {u.shape}")
    c, o = x.shape[1], u.shape[0]
    if c > cfg.max_channels:
        raise ValueError(f"x: {c} input channels exceed max_channels={cfg.max_channels}")
    grid = TileGrid.for_input(x.shape, padding)
    xp = grid.padded(x)
    stats = new_stats()
    d_lo, d_hi = cfg.ranges["neg_abs_diff_diff"]
    max_sum = c * max(abs(d_lo), abs(d_hi))  # bound of every channel sum
    float_sums = max_sum < FLOAT_EXACT
    float_y = cfg.widths.WS + 4 < 53
    acc_can_overflow = max_sum > -cfg.acc_fmt.min_raw
    u16 = to_position_major(u, np.int64)
    u16_sums = u16.astype(np.float64) if float_sums else u16
    neg_coef = -output_coefficients(cfg.transform.AT)
    stats["weights"].record(u)
    stats["input"].record_range(min(int(xp.min()), 0), xp.max(), grid.tiles * c * 16)
    y_tiles = np.empty((4, grid.tiles, o), dtype=np.int64)
    out_tiles = np.empty((4, grid.tiles, o), dtype=np.int64)
    cast_stats = CastStats()
    t0 = 0
    for n0, n1, r0, r1 in grid.blocks(16 * 8 * (o + c) * 2):
        sub = xp[n0:n1, 2 * r0 : 2 * r1 + 2]
        tb = (n1 - n0) * (r1 - r0) * grid.ntw
        v16 = transform_tiles(sub, cfg.transform.BT, r1 - r0, grid.ntw, np.empty((16, tb, c), dtype=np.int64))
        stats["input_transform"].record(v16)
        va16 = align(v16, cfg.u_extra_frac)
        stats["align"].record(va16)
        _record_differences(stats, va16, u16, tb * o * c * 16)
        dist = np.empty((16, tb, o), dtype=np.float64 if float_sums else np.int64)
        if float_sums:
            l1_sums(va16.astype(np.float64), u16_sums, dist)
        else:
            l1_sums_int(va16, u16, dist)
        if acc_can_overflow or not float_y:
            s = accumulator_result(-dist.astype(np.int64), cfg.acc_fmt, cfg.acc_overflow,
                                   stats["channel_accumulate"])
            neg_source = -s  # the l1 sums as the accumulator holds them (negated)
        else:
            stats["channel_accumulate"].record_range(-dist.max(), -dist.min(), dist.size)
            neg_source = dist
        flat = neg_source.reshape(16, tb * o)
        if float_y:
            y = (neg_coef.astype(np.float64) @ flat.astype(np.float64, copy=False)).astype(np.int64)
        else:
            y = neg_coef @ flat.astype(np.int64, copy=False)
        y = y.reshape(4, tb, o)
        stats["output_transform"].record(y)
        y_tiles[:, t0 : t0 + tb] = y
        out_tiles[:, t0 : t0 + tb] = requantize(y, cfg, stats=cast_stats)
        t0 += tb
    out = np.ascontiguousarray(grid.untile(out_tiles))
    stats["requantize"].record(out_tiles, overflows=cast_stats.overflows, zeroed=cast_stats.zeroed)
    stages = None
    if keep_stages is not False and keep_stages is not None:
        keep = grid.tiles if keep_stages is True else int(keep_stages)
        stages = _stage_arrays(cfg, xp, grid, u, keep)
    return LayerResult(out=out, y=np.ascontiguousarray(grid.untile(y_tiles)), stats=stats, stages=stages)
