"""The bit-accurate stages of docs/datapath.md, one function per stage (same names), on int64 raw values.

The accumulator is not simulated addition by addition: every M = −|U − Va| ≤ 0, so the partial sums
only fall and a saturating accumulator ends at max(Σ M, acc_min) whatever the channel order; a wrapping
one ends at Σ M mod 2^WS. ``run_stream`` applies these closed forms to every prefix of an accumulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoint import CastStats, Fmt, Overflow, cast
from simulator.config import DatapathConfig
from simulator.stats import StageStats, new_stats


def check_raw(name: str, raw, fmt: Fmt) -> np.ndarray:
    """``raw`` as int64, or ValueError naming ``name`` if it is not integer or leaves ``fmt``'s range."""
    x = np.asarray(raw)
    if x.dtype.kind not in "iub":
        raise ValueError(f"{name}: expected integer raw values in {fmt}, got dtype {x.dtype}")
    x = x.astype(np.int64, copy=False)
    if x.size:
        lo, hi = int(x.min()), int(x.max())
        if lo < fmt.min_raw or hi > fmt.max_raw:
            bad = lo if lo < fmt.min_raw else hi
            raise ValueError(f"{name}: raw value {bad} outside {fmt} [{fmt.min_raw}, {fmt.max_raw}]")
    return x


def input_transform(d: np.ndarray, BT: np.ndarray) -> np.ndarray:
    """V = Bᵀ d B on (..., 4, 4) raw tiles: exact integer sums (signed even for unsigned d)."""
    BT = np.asarray(BT, dtype=np.int64)
    return BT @ np.asarray(d, dtype=np.int64) @ BT.T


def align(v: np.ndarray, k: int) -> np.ndarray:
    """Va = V·2^k: V on U's grid (left shift, no rounding)."""
    return np.left_shift(np.asarray(v, dtype=np.int64), k)


def neg_abs_diff(u: np.ndarray, va: np.ndarray) -> np.ndarray:
    """M = −|U − Va| element-wise (broadcasting); never overflows."""
    return -np.abs(np.asarray(u, dtype=np.int64) - np.asarray(va, dtype=np.int64))


def accumulator_result(exact_sum: np.ndarray, acc_fmt: Fmt, acc_overflow, stats: StageStats | None = None):
    """The accumulator value for exact sums of M ≤ 0: SAT → max(sum, min); WRAP → sum mod 2^WS.

    Since the partial sums only fall, an accumulation overflowed at some addition exactly when its exact
    sum is below the format's minimum; ``stats`` counts those accumulated values.
    """
    exact_sum = np.asarray(exact_sum, dtype=np.int64)
    under = exact_sum < acc_fmt.min_raw
    n_over = int(np.count_nonzero(under))
    if n_over == 0:
        result = exact_sum
    elif Overflow.parse(acc_overflow) == Overflow.SAT:
        result = np.maximum(exact_sum, acc_fmt.min_raw)
    else:
        result = cast(exact_sum, Fmt(62, acc_fmt.frac), acc_fmt, overflow=Overflow.WRAP)
    if stats is not None:
        stats.record(result, overflows=n_over)
    return result


def channel_accumulate(
    m: np.ndarray, acc_fmt: Fmt, acc_overflow, axis: int = 0, stats: StageStats | None = None
) -> np.ndarray:
    """S = Σ_c M[c] along ``axis`` in the accumulator format, as a hardware accumulator adding in channel
    order with overflow applied after every addition (closed form; needs every M ≤ 0)."""
    m = np.asarray(m, dtype=np.int64)
    if m.size and int(m.max()) > 0:
        raise ValueError("m: channel_accumulate takes M = -|U - Va| <= 0, got a positive value")
    return accumulator_result(m.sum(axis=axis), acc_fmt, acc_overflow, stats)


def output_transform(s: np.ndarray, AT: np.ndarray) -> np.ndarray:
    """Y = Aᵀ S A on (..., 4, 4) accumulators → (..., 2, 2), exact integer sums."""
    AT = np.asarray(AT, dtype=np.int64)
    return AT @ np.asarray(s, dtype=np.int64) @ AT.T


def requantize(y: np.ndarray, cfg: DatapathConfig, stats: CastStats | None = None, out=None) -> np.ndarray:
    """out = fixedpoint.cast(Y, y_fmt → out_fmt) with the configured rounding and overflow."""
    return cast(y, cfg.y_fmt, cfg.out_fmt, cfg.rounding, cfg.overflow, stats=stats, out=out)


@dataclass
class StreamResult:
    """Every stage of a transaction stream; S is the accumulator after each transaction, Y and out are
    computed from that S (meaningful where ``last``)."""

    V: np.ndarray  # (N,4,4)
    Va: np.ndarray  # (N,4,4)
    M: np.ndarray  # (N,P,4,4)
    S: np.ndarray  # (N,P,4,4)
    Y: np.ndarray  # (N,P,2,2)
    out: np.ndarray  # (N,P,2,2)
    stats: dict[str, StageStats]


def check_flags(first, last, max_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a flag sequence: accumulations start with first, end with last, hold ≤ max_channels."""
    first = np.asarray(first)
    last = np.asarray(last)
    if first.ndim != 1 or last.shape != first.shape:
        raise ValueError(f"first/last: need two (N,) flag arrays, got shapes {first.shape} and {last.shape}")
    for name, flags in (("first", first), ("last", last)):
        if flags.dtype.kind not in "biu" or (flags.dtype.kind != "b" and flags.size and
                                              not np.isin(flags, (0, 1)).all()):
            raise ValueError(f"{name}: flags must be booleans (or 0/1), got dtype {flags.dtype}")
    first, last = first.astype(bool), last.astype(bool)
    n = first.size
    if n == 0:
        return first, last
    must_start = np.concatenate([[True], last[:-1]])
    bad = np.flatnonzero(first != must_start)
    if bad.size:
        i = int(bad[0])
        why = (
            "must start a new accumulation"
            if must_start[i]
            else "starts an accumulation before the last one ended"
        )
        raise ValueError(f"first: transaction {i} {why}")
    if not last[-1]:
        raise ValueError(f"last: the stream ends inside an accumulation (transaction {n - 1} has last=0)")
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, n))
    if lengths.max() > max_channels:
        j = int(np.argmax(lengths > max_channels))
        raise ValueError(
            f"first/last: accumulation starting at transaction {int(starts[j])} has "
            f"{int(lengths[j])} channels > max_channels={max_channels}"
        )
    return first, last


def run_stream(cfg: DatapathConfig, d, u, first, last) -> StreamResult:
    """Simulate the core's transaction stream: transaction n carries tile d[n] and P weights u[n, p]."""
    d = check_raw("d", d, cfg.act_fmt)
    u = check_raw("u", u, cfg.u_fmt)
    if d.ndim != 3 or d.shape[1:] != (4, 4):
        raise ValueError(f"d: expected shape (N, 4, 4), got {d.shape}")
    if u.ndim != 4 or u.shape[0] != d.shape[0] or u.shape[2:] != (4, 4):
        raise ValueError(f"u: expected shape ({d.shape[0]}, P, 4, 4), got {u.shape}")
    first, last = check_flags(first, last, cfg.max_channels)
    stats = new_stats()
    stats["input"].record(d)
    V = input_transform(d, cfg.transform.BT)
    stats["input_transform"].record(V)
    Va = align(V, cfg.u_extra_frac)
    stats["align"].record(Va)
    stats["weights"].record(u)
    M = u - Va[:, None]  # D, turned into M = −|D| in place
    stats["neg_abs_diff_diff"].record(M)
    np.negative(np.abs(M, out=M), out=M)
    stats["neg_abs_diff"].record(M)
    exact = accumulation_prefixes(M, first)
    S = accumulator_result(exact, cfg.acc_fmt, cfg.acc_overflow)
    n_over = int(np.count_nonzero(exact[last] < cfg.acc_fmt.min_raw))
    stats["channel_accumulate"].record(S[last], overflows=n_over)
    Y = output_transform(S, cfg.transform.AT)
    stats["output_transform"].record(Y[last])
    cast_stats = CastStats()
    out = requantize(Y, cfg)
    requantize(Y[last], cfg, stats=cast_stats)
    stats["requantize"].record(out[last], overflows=cast_stats.overflows, zeroed=cast_stats.zeroed)
    return StreamResult(V=V, Va=Va, M=M, S=S, Y=Y, out=out, stats=stats)


def accumulation_prefixes(m: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Exact running sums of m along axis 0, restarting where ``first``: one vectorised step per channel
    index k (all accumulations at once), so the cost is one pass however the stream is cut."""
    exact = m.copy()
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, first.size))
    for k in range(1, int(lengths.max(initial=1))):
        idx = starts[lengths > k] + k
        exact[idx] += exact[idx - 1]
    return exact
