"""A whole convolution layer through the bit-accurate datapath, vectorised over tiles and channels.

Va = Bᵀ(d·2^K)B is computed in the narrowest integer type that holds it. Then, per Winograd position,
the channel sums S = −Σ_c |U − Va| of every (output channel, tile) pair are one l1 distance matrix
(scipy cdist, float64: exact while every sum stays below 2^53, else an int64 path), and are added into
the Y = AᵀSA rows they feed. The accumulator's overflow is applied in closed form (docs/datapath.md,
channel_accumulate). The statistics come from quantities computed anyway (see docs/simulator.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoint import CastStats, Overflow
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
    adder_bound,
    extremes_over_tiles,
    int_dtype_for,
    l1_distances,
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


def _record_differences(stats, va16, u_lo, u_hi, scale: int, n_pairs: int, closest: int | None):
    """Record V, Va, D = U − Va and M = −|D| ranges over all (tile, output, channel, position) pairs from
    the per-(position, channel) extremes of Va (16, T, C) and U (``u_lo``, ``u_hi``: (16, C)); M's max is
    −``closest`` (the smallest |U − Va|, from a sorted search), unknown when None."""
    va_lo, va_hi = (e.astype(np.int64) for e in extremes_over_tiles(va16))
    stats["input_transform"].record_range(va_lo.min() // scale, va_hi.max() // scale, va16.size)
    stats["align"].record_range(va_lo.min(), va_hi.max(), va16.size)
    d_lo, d_hi = u_lo - va_hi, u_hi - va_lo
    stats["neg_abs_diff_diff"].record_range(d_lo.min(), d_hi.max(), n_pairs)
    m_lo = -int(np.maximum(np.abs(d_lo), np.abs(d_hi)).max())
    stats["neg_abs_diff"].record_range(m_lo, None if closest is None else -closest, n_pairs)


def _output_transform(cfg, va16, u16, y_coef, acc_can_overflow: bool, acc_stats) -> np.ndarray:
    """Y (4, O·T) = Aᵀ S A of every (output channel, tile) with S[pos] = −Σ_c |U[pos] − Va[pos]|.

    One position at a time: Va[pos] converted to the kernel's type, its l1 distances to U[pos] (O, T), the
    accumulator's statistics (and overflow, in closed form), then S[pos] added into the Y rows it feeds.
    Every buffer but Y is one position's, so it stays in cache."""
    work = u16.dtype
    o, t = u16.shape[1], va16.shape[1]
    va = np.empty(va16.shape[1:], work)
    dist = np.empty((o, t), work)
    y = np.empty((4, o, t), work)
    started = [False] * 4
    lo = hi = None
    for pos in range(16):
        np.copyto(va, va16[pos])
        l1_distances(u16[pos], va, dist)  # −S
        if acc_can_overflow:
            s = accumulator_result(-dist.astype(np.int64), cfg.acc_fmt, cfg.acc_overflow, acc_stats)
            np.negative(s, out=dist)
        else:
            d_lo, d_hi = dist.min(), dist.max()
            lo, hi = (d_lo, d_hi) if pos == 0 else (min(lo, d_lo), max(hi, d_hi))
        for row in np.flatnonzero(y_coef[:, pos]):
            if not started[row]:
                np.negative(dist, out=y[row]) if y_coef[row, pos] > 0 else np.copyto(y[row], dist)
                started[row] = True
            elif y_coef[row, pos] > 0:
                y[row] -= dist
            else:
                y[row] += dist
    if not acc_can_overflow:
        acc_stats.record_range(-hi, -lo, 16 * o * t)
    for row in range(4):
        if not started[row]:
            y[row] = 0
    return y.reshape(4, o * t)


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
    u_by_channel = u.reshape(o, c, 16)
    u_lo, u_hi = u_by_channel.min(axis=0).T, u_by_channel.max(axis=0).T  # (16, C) over output channels
    stats["weights"].record_range(u_lo.min(), u_hi.max(), u.size)
    d_lo, d_hi = cfg.ranges["neg_abs_diff_diff"]
    max_sum = c * max(abs(d_lo), abs(d_hi))  # bound of every exact channel sum
    acc_can_overflow = max_sum > -cfg.acc_fmt.min_raw
    s_bound = max(max_sum, -cfg.acc_fmt.min_raw)  # and of every accumulator value
    BT, AT = cfg.transform.BT, cfg.transform.AT
    y_coef = np.kron(AT, AT)  # Y[2i+j] = Σ_{4a+b} y_coef[2i+j, 4a+b]·S[4a+b]
    # float64 is exact while every sum (the l1 sums, Y's partial sums) stays below 2^53
    work = np.float64 if adder_bound(y_coef, s_bound) < FLOAT_EXACT else np.int64
    # Va = Bᵀ(d·2^K)B (align is linear) in the narrowest integer type that holds it and its partial sums
    scale = 1 << cfg.u_extra_frac
    x_bound = max(-cfg.act_fmt.min_raw, cfg.act_fmt.max_raw) * scale
    va_dtype = int_dtype_for(adder_bound(BT, adder_bound(BT, x_bound)))
    xp = grid.padded(x.astype(va_dtype))
    # the tile inputs: x and the zeros of the padding and of the grid's extension, all of xp
    stats["input"].record_range(xp.min(), xp.max(), grid.tiles * c * 16)
    xp *= scale
    u16 = to_position_major(u, work)
    u_exact = u16.astype(np.int64) if exact_stats else None
    y_full = np.empty((grid.n, o, 2 * grid.nth, 2 * grid.ntw), np.int64)  # every tile output, uncropped
    y_tiles = grid.channel_major_tiles(y_full)
    for n0, n1, r0, r1 in grid.blocks(16 * 8 * (o + c) * 2):
        tb = (n1 - n0) * (r1 - r0) * grid.ntw
        va16 = np.empty((16, tb, c), va_dtype)
        transform_tiles(xp[n0:n1, 2 * r0 : 2 * r1 + 2], BT, r1 - r0, grid.ntw, va16)
        closest = _closest_distance(va16.astype(np.int64), u_exact) if exact_stats else None
        _record_differences(stats, va16, u_lo, u_hi, scale, tb * o * c * 16, closest)
        y = _output_transform(cfg, va16, u16, y_coef, acc_can_overflow, stats["channel_accumulate"])
        block = y_tiles[:, :, :, n0:n1, r0:r1]
        np.copyto(block, y.reshape(block.shape), casting="unsafe")  # exact integers into int64
    stats["output_transform"].record(y_full)
    cast_stats = CastStats()
    out_full = requantize(y_full, cfg, stats=cast_stats)
    if cfg.overflow in (Overflow.SAT, Overflow.SAT_SYM):  # requantize is monotonic: out's range from Y's
        y_range = np.array([stats["output_transform"].min, stats["output_transform"].max], np.int64)
        stats["requantize"].record_range(*requantize(y_range, cfg), out_full.size)
    else:
        stats["requantize"].record(out_full)
    stats["requantize"].overflows, stats["requantize"].zeroed = cast_stats.overflows, cast_stats.zeroed
    stages = None
    if keep_stages is not False and keep_stages is not None:
        keep = grid.tiles if keep_stages is True else int(keep_stages)
        stages = _stage_arrays(cfg, grid.padded(x), grid, u, keep)
    return LayerResult(out=grid.crop(out_full), y=grid.crop(y_full), stats=stats, stages=stages)
