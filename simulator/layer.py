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
from simulator.tiling import (
    TileGrid,
    l1_sums,
    l1_sums_int,
    output_coefficients,
    output_matmul,
    to_position_major,
    transform_tiles,
)

FLOAT_EXACT = 1 << 53


@dataclass
class LayerResult:
    out: np.ndarray  # (N, O, Ho, Wo) raw in out_fmt
    y: np.ndarray  # (N, O, Ho, Wo) raw in y_fmt, before requantize
    stats: dict[str, StageStats]
    stages: dict[str, np.ndarray] | None = None


def _closest_distance(v16: np.ndarray, u16: np.ndarray) -> int:
    """min over (pos, c, t, o) of |U[pos,o,c] − V[pos,t,c]| (int64 inputs).

    The (pos, c) groups are laid side by side on one number line (offset ``span`` apart, so neighbours
    from other groups are never closest): V sorted, every U searched in it, in chunks of groups that keep
    the offsets inside int64."""
    v_groups = v16.transpose(0, 2, 1).reshape(-1, v16.shape[1])
    u_groups = u16.transpose(0, 2, 1).reshape(-1, u16.shape[1])
    span = 4 * int(max(np.abs(v16).max(), np.abs(u16).max())) + 4
    chunk = max(1, (1 << 62) // span // 2)
    best = None
    for g0 in range(0, v_groups.shape[0], chunk):
        v_part, u_part = v_groups[g0 : g0 + chunk], u_groups[g0 : g0 + chunk]
        offset = (np.arange(v_part.shape[0], dtype=np.int64) * span)[:, None]
        v_keys = (np.sort(v_part, axis=1) + offset).ravel()
        u_keys = (u_part + offset).ravel()
        idx = np.searchsorted(v_keys, u_keys)
        above = v_keys[np.minimum(idx, v_keys.size - 1)]
        below = v_keys[np.maximum(idx - 1, 0)]
        closest = int(np.minimum(np.abs(above - u_keys), np.abs(u_keys - below)).min())
        best = closest if best is None else min(best, closest)
    return best


def _record_differences(stats, va16: np.ndarray, u16: np.ndarray, n_pairs: int, exact_max: bool, scale: int):
    """Record V, Va, D = U − Va and M = −|D| ranges over all (tile, output, channel, position) pairs from
    the per-(position, channel) extremes; M's max (−min |D|) needs a sorted search, done if ``exact_max``."""
    v_lo, v_hi = va16.min(axis=1).astype(np.int64), va16.max(axis=1).astype(np.int64)  # (16, C)
    va_lo, va_hi = int(v_lo.min()), int(v_hi.max())
    stats["input_transform"].record_range(va_lo // scale, va_hi // scale, va16.size)
    stats["align"].record_range(va_lo, va_hi, va16.size)
    u_lo, u_hi = u16.min(axis=1).astype(np.int64), u16.max(axis=1).astype(np.int64)
    d_lo, d_hi = u_lo - v_hi, u_hi - v_lo
    stats["neg_abs_diff_diff"].record_range(d_lo.min(), d_hi.max(), n_pairs)
    m_lo = -int(np.maximum(np.abs(d_lo), np.abs(d_hi)).max())
    m_hi = -_closest_distance(va16.astype(np.int64), u16.astype(np.int64)) if exact_max else None
    stats["neg_abs_diff"].record_range(m_lo, m_hi, n_pairs)


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
    return {
        "tiles": np.stack([n, row, col], axis=1),
        "d": d,
        "V": V,
        "Va": Va,
        "U": u,
        "M": M,
        "S": S,
        "Y": Y,
        "out": requantize(Y, cfg),
    }


def conv_layer(
    cfg: DatapathConfig,
    x_raw,
    u_raw,
    padding: int = 1,
    keep_stages: bool | int = False,
    exact_stats: bool = False,
) -> LayerResult:
    """Stride-1 convolution of raw activations x (N,C,H,W) with raw U (O,C,4,4), zero padding ``padding``.

    Output (N, O, H+2p−2, W+2p−2); odd sizes are computed on a padded tile grid and cropped. With
    ``keep_stages`` (True, or a number of tiles) the stage arrays of the first tiles are returned too.
    ``exact_stats`` also finds the largest M (the smallest |U − Va|), which costs a sorted search.
    """
    x = check_raw("x", x_raw, cfg.act_fmt)
    u = check_raw("u", u_raw, cfg.u_fmt)
    if x.ndim != 4:
        raise ValueError(f"x: expected shape (N, C, H, W), got {x.shape}")
    if u.ndim != 4 or u.shape[2:] != (4, 4) or u.shape[1] != x.shape[1]:
        raise ValueError(f"u: expected shape (O, {x.shape[1]}, 4, 4), got {u.shape}")
    c, o = x.shape[1], u.shape[0]
    if min(x.shape[0], c, o) < 1:
        raise ValueError(
            f"x/u: need at least one image, input and output channel; got x {x.shape}, u {u.shape}"
        )
    if c > cfg.max_channels:
        raise ValueError(f"x: {c} input channels exceed max_channels={cfg.max_channels}")
    grid = TileGrid.for_input(x.shape, padding)
    stats = new_stats()
    stats["weights"].record(u)
    x_lo, x_hi = (int(x.min()), int(x.max())) if x.size else (0, 0)
    if padding or grid.padded_shape[1:3] != (grid.h, grid.w):  # the tile grid also reads zeros
        x_lo, x_hi = min(x_lo, 0), max(x_hi, 0)
    stats["input"].record_range(x_lo, x_hi, grid.tiles * c * 16)
    d_lo, d_hi = cfg.ranges["neg_abs_diff_diff"]
    max_sum = c * max(abs(d_lo), abs(d_hi))  # bound of every channel sum
    exact_float = max_sum < FLOAT_EXACT and cfg.widths.WY < 53  # float64 sums and Y are exact integers
    work = np.float64 if exact_float else np.int64
    acc_can_overflow = max_sum > -cfg.acc_fmt.min_raw
    scale = 1 << cfg.u_extra_frac
    xp_aligned = grid.padded(x, work)  # align before the (linear) input transform: Va = Bᵀ(d·2^K)B
    xp_aligned *= scale
    u16 = to_position_major(u, work)
    neg_coef = -output_coefficients(cfg.transform.AT).astype(work)
    y_full, y_tiles = grid.nchw_tiles(o)  # results are written through tile-layout views
    out_full, out_tiles = grid.nchw_tiles(o)
    cast_stats = CastStats()
    for n0, n1, r0, r1 in grid.blocks(16 * 8 * (o + c) * 2):
        tb = (n1 - n0) * (r1 - r0) * grid.ntw
        va16 = np.empty((16, tb, c), dtype=work)
        transform_tiles(xp_aligned[n0:n1, 2 * r0 : 2 * r1 + 2], cfg.transform.BT, r1 - r0, grid.ntw, va16)
        _record_differences(stats, va16, u16, tb * o * c * 16, exact_stats, scale)
        dist = np.empty((16, tb, o), dtype=work)
        (l1_sums if exact_float else l1_sums_int)(va16, u16, dist)
        if acc_can_overflow:
            s = accumulator_result(
                -dist.astype(np.int64), cfg.acc_fmt, cfg.acc_overflow, stats["channel_accumulate"]
            )
            dist = (-s).astype(work)  # the accumulators, negated
        else:
            stats["channel_accumulate"].record_range(-dist.max(), -dist.min(), dist.size)
        y = y_tiles[:, :, n0:n1, r0:r1]
        np.copyto(y, output_matmul(neg_coef, dist.reshape(16, tb * o)).reshape(y.shape), casting="unsafe")
        stats["output_transform"].record(y)
        out = out_tiles[:, :, n0:n1, r0:r1]
        requantize(y, cfg, stats=cast_stats, out=out)
        stats["requantize"].record(out)
    stats["requantize"].overflows, stats["requantize"].zeroed = cast_stats.overflows, cast_stats.zeroed
    stages = None
    if keep_stages is not False and keep_stages is not None:
        keep = grid.tiles if keep_stages is True else int(keep_stages)
        stages = _stage_arrays(cfg, grid.padded(x), grid, u, keep)
    return LayerResult(out=grid.crop(out_full), y=grid.crop(y_full), stats=stats, stages=stages)
