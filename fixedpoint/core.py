"""Bit-exact casts between fixed-point formats and to/from float64, vectorized on numpy int64.

A raw value r in format ``Fmt(width, frac)`` stands for r * 2**-frac. A cast computes the exact value in
the destination grid, rounds it with the rounding mode (ties are exact halves of the destination LSB),
then applies the overflow mode. Every step is an integer kernel (add a bias, arithmetic shift, clip), so
the result is exact for every input; float input is handled exactly as well (see ``from_float``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .fmt import MAX_WIDTH, Fmt
from .modes import Overflow, Rounding

_CLIP_MIN_SIZE = 20000  # np.clip is faster than minimum + maximum above this many elements
_SENTINEL = 1 << 62  # outside every format's raw range (|raw| <= 2**62 - 1), still safe in int64 arithmetic


class FixedPointOverflowError(OverflowError, ValueError):
    """A cast with ``Overflow.ERROR`` met values outside the destination format."""


@dataclass
class CastStats:
    """Counters accumulated over casts: elements seen, elements the overflow mode changed, and nonzero
    inputs that rounding turned into 0. Pass the same instance to several casts to sum them."""

    total: int = 0
    overflows: int = 0
    zeroed: int = 0

    def __iadd__(self, other: CastStats) -> CastStats:
        self.total += other.total
        self.overflows += other.overflows
        self.zeroed += other.zeroed
        return self


def _first_index(mask: np.ndarray) -> tuple[int, ...] | int:
    flat = int(np.argmax(mask.ravel()))
    if mask.ndim <= 1:
        return flat
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape))


def _as_raw(raw, fmt: Fmt) -> np.ndarray:
    """The raw values as int64, checked to be integers inside ``fmt``'s range."""
    x = np.asarray(raw)
    if x.dtype != np.int64:
        if x.dtype.kind not in "iu":
            raise ValueError(f"raw: expected integers (from_float takes reals), got dtype {x.dtype}")
        if x.dtype == np.uint64 and x.size and int(x.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"raw: value {int(x.max())} is outside {fmt} [{fmt.min_raw}, {fmt.max_raw}]")
        x = x.astype(np.int64)
    if x.size:
        lo, hi = int(x.min()), int(x.max())
        if lo < fmt.min_raw or hi > fmt.max_raw:
            bad = (x < fmt.min_raw) | (x > fmt.max_raw)
            idx = _first_index(bad)
            raise ValueError(
                f"raw: {int(np.count_nonzero(bad))} values outside {fmt} [{fmt.min_raw}, {fmt.max_raw}], "
                f"first at index {idx} ({int(x[idx])})"
            )
    return x


def _out_buffer(x: np.ndarray, out) -> np.ndarray:
    if out is None:
        return np.empty(x.shape, dtype=np.int64)
    if not isinstance(out, np.ndarray) or out.dtype != np.int64 or out.shape != x.shape:
        raise ValueError(f"out: must be an int64 array of shape {x.shape}")
    return out


# Rounding as (x + bias) >> s: the biases for a non-negative and a negative x (None: parity-dependent).
@lru_cache(maxsize=1024)
def _sign_biases(rounding: Rounding, s: int) -> tuple[int, int] | None:
    half, full = 1 << (s - 1), (1 << s) - 1
    return {
        Rounding.TRN: (0, 0),
        Rounding.TRN_INF: (full, full),
        Rounding.TRN_ZERO: (0, full),
        Rounding.TRN_AWAY: (full, 0),
        Rounding.RND: (half, half),
        Rounding.RND_MIN_INF: (half - 1, half - 1),
        Rounding.RND_ZERO: (half - 1, half),
        Rounding.RND_INF: (half, half - 1),
    }.get(rounding)


def _round_shift(x: np.ndarray, s: int, rounding: Rounding, out: np.ndarray) -> None:
    """out = x / 2**s rounded to an integer, exactly, for s >= 1 and |x| < 2**62."""
    if s > MAX_WIDTH:
        # |x / 2**s| < 1/2: no ties, the result only depends on the sign of x; 2 bits stand in for s.
        np.sign(x, out=out)
        x, s = out.copy(), 2
    elif np.may_share_memory(x, out):
        x = x.copy()
    biases = _sign_biases(rounding, s)
    if biases is not None:
        b_pos, b_neg = biases
        if b_pos == b_neg:
            if b_pos:
                np.add(x, b_pos, out=out)
                np.right_shift(out, s, out=out)
            else:
                np.right_shift(x, s, out=out)
            return
        np.right_shift(x, 63, out=out)  # -1 where negative, 0 elsewhere
        np.bitwise_and(out, b_neg - b_pos, out=out)
        np.add(out, x, out=out)
        np.add(out, b_pos, out=out)
        np.right_shift(out, s, out=out)
        return
    # Ties to even / odd: the bias depends on the parity of the truncated quotient.
    half = 1 << (s - 1)
    np.right_shift(x, s, out=out)
    np.bitwise_and(out, 1, out=out)
    if rounding is Rounding.RND_CONV:
        np.add(out, x, out=out)
        np.add(out, half - 1, out=out)
    else:  # RND_CONV_ODD
        np.subtract(x, out, out=out)
        np.add(out, half, out=out)
    np.right_shift(out, s, out=out)


def _overflow_limits(dst: Fmt, overflow: Overflow) -> tuple[int, int]:
    lo, hi = dst.min_raw, dst.max_raw
    if overflow is Overflow.SAT_SYM and dst.signed:
        lo = -hi
    return lo, hi


def _apply_overflow(
    q: np.ndarray, dst: Fmt, overflow: Overflow, stats: CastStats | None, forced: np.ndarray | None = None
) -> None:
    """Bring q (|q| <= 2**62) into dst in place; ``forced`` marks elements known to overflow already."""
    lo, hi = _overflow_limits(dst, overflow)
    need_mask = stats is not None or overflow in (Overflow.ERROR, Overflow.SAT_ZERO)
    if need_mask:
        bad = np.subtract(q, lo).view(np.uint64) > np.uint64(hi - lo)
        if forced is not None:
            bad |= forced
        n_bad = int(np.count_nonzero(bad))
        if overflow is Overflow.ERROR and n_bad:
            idx = _first_index(bad)
            raise FixedPointOverflowError(
                f"overflow: {n_bad} of {q.size} values do not fit {dst} [{lo}, {hi}], first at index {idx}"
            )
        if stats is not None:
            stats.overflows += n_bad
    if overflow is Overflow.WRAP:
        if dst.signed:
            k = 64 - dst.width
            np.left_shift(q, k, out=q)
            np.right_shift(q, k, out=q)
        else:
            np.bitwise_and(q, (1 << dst.width) - 1, out=q)
    elif overflow in (Overflow.SAT, Overflow.SAT_SYM):
        if q.size > _CLIP_MIN_SIZE:
            np.clip(q, lo, hi, out=q)
        else:  # less call overhead on small arrays
            np.minimum(q, hi, out=q)
            np.maximum(q, lo, out=q)
    elif overflow is Overflow.SAT_ZERO and n_bad:
        q[bad] = 0


def _count_zeroed(stats: CastStats | None, before: np.ndarray, rounded: np.ndarray) -> None:
    if stats is not None:
        stats.zeroed += int(np.count_nonzero(rounded == 0)) - int(np.count_nonzero(before == 0))


def cast(
    raw,
    src: Fmt | str,
    dst: Fmt | str,
    rounding: Rounding | str = Rounding.TRN,
    overflow: Overflow | str = Overflow.WRAP,
    *,
    stats: CastStats | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Convert raw values from ``src`` to ``dst``: round to dst's LSB, then apply the overflow mode.

    Fewer fraction bits is an arithmetic shift right with rounding; more is an exact left shift (whose
    overflow is detected before shifting, so nothing is lost in int64). Returns ``out`` if given.
    """
    src, dst = Fmt.parse(src), Fmt.parse(dst)
    rounding, overflow = Rounding.parse(rounding), Overflow.parse(overflow)
    x = _as_raw(raw, src)
    q = _out_buffer(x, out)
    if stats is not None:
        stats.total += x.size
    s = src.frac - dst.frac
    forced = None
    if s > 0:
        _round_shift(x, s, rounding, q)
        _count_zeroed(stats, x, q)
    elif s == 0:
        if q is not x:
            np.copyto(q, x)
    else:
        t = -s
        magnitude = max(-src.min_raw, src.max_raw)
        if t < MAX_WIDTH and magnitude < (1 << (MAX_WIDTH - t)):
            np.left_shift(x, t, out=q)
        else:
            hi_x, lo_x = dst.max_raw >> t, -((-dst.min_raw) >> t)
            forced = (x > hi_x) | (x < lo_x)
            pos = x > hi_x
            np.left_shift(x, min(t, 64), out=q)  # wraps modulo 2**64: the low bits stay exact for WRAP
            if overflow is not Overflow.WRAP:
                q[pos] = _SENTINEL
                q[forced & ~pos] = -_SENTINEL
                forced = None
    _apply_overflow(q, dst, overflow, stats, forced)
    return q


def _check_finite(x: np.ndarray) -> None:
    finite = np.isfinite(x)
    if not finite.all():
        idx = _first_index(~finite)
        n_bad = int(np.count_nonzero(~finite))
        raise ValueError(f"x: {n_bad} values are NaN or infinite, first at index {idx}")


def _round_float(y: np.ndarray, rounding: Rounding) -> np.ndarray:
    """Round exact float64 values (|y| < 2**63) to integral float64 values, exactly."""
    if rounding is Rounding.TRN:
        return np.floor(y)
    if rounding is Rounding.TRN_INF:
        return np.ceil(y)
    if rounding is Rounding.TRN_ZERO:
        return np.trunc(y)
    if rounding is Rounding.TRN_AWAY:
        return np.copysign(np.ceil(np.abs(y)), y)
    q = np.rint(y)  # nearest, ties to even; y - q is exact, so a tie is |y - q| == 0.5
    if rounding is Rounding.RND_CONV:
        return q
    d = y - q
    tie = np.abs(d) == 0.5
    if not tie.any():
        return q
    if rounding is Rounding.RND:
        tie_value = y + 0.5
    elif rounding is Rounding.RND_MIN_INF:
        tie_value = y - 0.5
    elif rounding is Rounding.RND_ZERO:
        tie_value = y - np.copysign(0.5, y)
    elif rounding is Rounding.RND_INF:
        tie_value = y + np.copysign(0.5, y)
    else:  # RND_CONV_ODD: the other neighbour
        tie_value = y + d
    return np.where(tie, tie_value, q)


def from_float(
    x,
    fmt: Fmt | str,
    rounding: Rounding | str = Rounding.TRN,
    overflow: Overflow | str = Overflow.WRAP,
    *,
    stats: CastStats | None = None,
) -> np.ndarray:
    """Quantize reals to raw values of ``fmt``, exactly: x * 2**frac is rounded from its exact value.

    NaN or infinity raises ValueError naming the first bad index. Values far outside the format still
    saturate (or wrap, keeping the exact low bits) correctly; there is no float-to-int wrap-around.
    """
    fmt = Fmt.parse(fmt)
    rounding, overflow = Rounding.parse(rounding), Overflow.parse(overflow)
    x = np.asarray(x, dtype=np.float64)
    _check_finite(x)
    if stats is not None:
        stats.total += x.size
    # |x * 2**frac| < 1/4: rounding depends only on the sign, and ldexp could lose bits to underflow.
    tiny = np.abs(x) < np.ldexp(1.0, min(max(-fmt.frac - 2, -1100), 1100))
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.ldexp(x, fmt.frac)  # exact wherever not tiny (or overflowing to inf, handled below)
        if tiny.any():
            y = np.where(tiny, np.copysign(0.25, x) * (x != 0), y)
        q = _round_float(y, rounding)
        _count_zeroed(stats, x, q)
        huge = ~(np.abs(q) < _SENTINEL)  # beyond every format, possibly inf after scaling
        forced = None
        if huge.any():
            if overflow is Overflow.WRAP:
                # q is a multiple of 2**10 or more here: fmod keeps its low 62 bits exactly; inf means
                # the exact value is a multiple of 2**900 or so, whose low bits are all zero.
                q = np.where(huge, np.where(np.isinf(q), 0.0, np.fmod(q, float(_SENTINEL))), q)
                forced = huge
            else:
                q = np.where(huge, np.copysign(float(_SENTINEL), q), q)
    r = q.astype(np.int64)
    _apply_overflow(r, fmt, overflow, stats, forced)
    return r


def to_float(raw, fmt: Fmt | str) -> np.ndarray:
    """The real values of raw integers as float64 (exact when width <= 53; else rounded to nearest)."""
    fmt = Fmt.parse(fmt)
    x = _as_raw(raw, fmt)
    return np.ldexp(x.astype(np.float64), -fmt.frac)
