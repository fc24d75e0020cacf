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

_FLOAT_CHUNK = 1 << 17  # elements per from_float chunk
_SENTINEL = 1 << 62  # outside every format's raw range (|raw| <= 2**62 - 1), still safe in int64 arithmetic
_INT64 = np.dtype(np.int64)
_or_of, _min_of, _max_of = np.bitwise_or.reduce, np.minimum.reduce, np.maximum.reduce
_OR_CHECK_MAX_SIZE = 2000  # the range check's crossover from subtract + OR-reduce to min + max (measured)
# numpy's clip ufunc called directly: np.clip and ndarray.clip wrap it in Python argument handling that
# costs more than the kernel on small arrays. It is not public API, hence the minimum/maximum fallback.
_CLIP_UFUNC = getattr(getattr(getattr(np, "_core", None), "umath", None), "clip", None)
if not isinstance(_CLIP_UFUNC, np.ufunc):
    _CLIP_UFUNC = None


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
    if mask.ndim == 0:
        return ()
    if mask.ndim == 1:
        return flat
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape))


def _as_raw(raw, fmt: Fmt) -> np.ndarray:
    """The raw values as int64, checked to be integers inside ``fmt``'s range."""
    x = _to_int64(raw, fmt)
    _check_range(x, fmt, fmt.min_raw)
    return x


def _check_range(x: np.ndarray, fmt: Fmt, lo, scratch: np.ndarray | None = None) -> None:
    """ValueError unless every element of int64 ``x`` lies in ``fmt`` (``lo``: its min_raw, an int or a
    0-d int64 array). ``scratch``: an int64 array of x's shape that may be overwritten (None: allocate).

    Small arrays: the raw range holds exactly 2**width integers from lo, so x is inside iff no
    (x - lo) mod 2**64 has a bit at or above ``width`` -- one subtraction and one OR-reduction, cheaper
    than a min/max pair because a reduction's fixed cost is several ufunc passes. Large arrays: min and
    max, which only read x.
    """
    if not x.size:
        return
    if x.size <= _OR_CHECK_MAX_SIZE:
        inside = not int(_or_of(np.subtract(x, lo, out=scratch), None)) >> fmt.width
    else:
        inside = _min_of(x, None) >= fmt.min_raw and _max_of(x, None) <= fmt.max_raw
    if not inside:
        lo, hi = fmt.min_raw, fmt.max_raw
        bad = (x < lo) | (x > hi)
        idx = _first_index(bad)
        raise ValueError(
            f"raw: {int(np.count_nonzero(bad))} values outside {fmt} [{lo}, {hi}], "
            f"first at index {idx} ({int(x[idx])})"
        )


def _to_int64(raw, fmt: Fmt) -> np.ndarray:
    if type(raw) is np.ndarray and raw.dtype is _INT64:  # fast path: nothing to convert
        return raw
    x = np.asarray(raw)
    if x.dtype != np.int64:
        if x.dtype.kind not in "iu":
            raise ValueError(f"raw: expected integers (from_float takes reals), got dtype {x.dtype}")
        if x.dtype == np.uint64 and x.size and int(x.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"raw: value {int(x.max())} is outside {fmt} [{fmt.min_raw}, {fmt.max_raw}]")
        x = x.astype(np.int64)
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
    biases = _sign_biases(rounding, s)
    if biases is not None and biases[0] == biases[1]:  # one bias: element-wise, safe in place
        if biases[0]:
            np.add(x, biases[0], out=out)
            np.right_shift(out, s, out=out)
        else:
            np.right_shift(x, s, out=out)
        return
    if np.may_share_memory(x, out):  # the kernels below read x after writing out
        x = x.copy()
    if biases is not None:
        b_pos, b_neg = biases
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


@lru_cache(maxsize=1024)
def _overflow_limits(dst: Fmt, overflow: Overflow) -> tuple[int, int]:
    lo, hi = dst.min_raw, dst.max_raw
    if overflow is Overflow.SAT_SYM and dst.signed:
        lo = -hi
    return lo, hi


def _apply_overflow(
    q: np.ndarray, dst: Fmt, overflow: Overflow, stats: CastStats | None, forced: np.ndarray | None = None
) -> tuple[int, int]:
    """Bring q (|q| <= 2**62) into dst in place; ``forced`` marks elements known to overflow already.

    Returns (overflow count, flat index of the first overflow) when the mode or ``stats`` needed the
    count, else (0, -1). ``ERROR`` leaves q unchanged: the caller raises (see ``_overflow_error``).
    """
    lo, hi = _overflow_limits(dst, overflow)
    n_bad, first = 0, -1
    if stats is not None or overflow in (Overflow.ERROR, Overflow.SAT_ZERO):
        bad = np.subtract(q, lo).view(np.uint64) > np.uint64(hi - lo)
        if forced is not None:
            bad |= forced
        n_bad = int(np.count_nonzero(bad))
        if n_bad:
            first = int(np.argmax(bad.ravel()))
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
        _clamp(q, lo, hi)
    elif overflow is Overflow.SAT_ZERO and n_bad:
        q[bad] = 0
    return n_bad, first


def _overflow_error(n_bad: int, shape: tuple[int, ...], first: int, dst: Fmt) -> FixedPointOverflowError:
    lo, hi = _overflow_limits(dst, Overflow.ERROR)
    idx = first if len(shape) == 1 else tuple(int(i) for i in np.unravel_index(first, shape))
    size = int(np.prod(shape, dtype=np.int64))
    return FixedPointOverflowError(
        f"overflow: {n_bad} of {size} values do not fit {dst} [{lo}, {hi}], first at index {idx}"
    )


def _count_zeroed(stats: CastStats | None, zeros_before: int, rounded: np.ndarray) -> None:
    if stats is not None:
        stats.zeroed += int(np.count_nonzero(rounded == 0)) - zeros_before


@dataclass(frozen=True, slots=True, eq=False)
class _CastPlan:
    """Everything ``cast`` decides from (src, dst, rounding, overflow) alone, computed once per combination.

    Scalars the kernels use are 0-d int64 arrays: numpy dispatches them faster than Python ints.
    """

    src: Fmt
    dst: Fmt
    rounding: Rounding
    overflow: Overflow
    shift: int  # src.frac - dst.frac
    src_lo: np.ndarray  # src.min_raw
    one_bias: bool  # shift > 0 and one rounding bias for every element: out = (x + bias) >> shift
    bias: np.ndarray | None  # that bias (None: zero)
    shift_by: np.ndarray  # shift as a 0-d array
    exact_left_shift: bool  # shift < 0 and x << -shift cannot leave int64
    may_overflow: bool  # some value of src rounds to a value outside dst (for SAT_SYM: outside [-max, max])
    clamp: tuple[np.ndarray, np.ndarray] | None  # SAT / SAT_SYM bounds when a rounded value can cross one


# The arguments and plan of the last cast, reused when the same objects come again (the common case in a
# loop): identity checks cost far less than the lru_cache lookup, which hashes formats and modes in Python.
# The entry holds its arguments, so an identity match is a value match; it is one tuple, replaced whole, so
# a race between threads only costs a cache miss.
_last_cast: tuple = (object(),) * 4 + (None,)


def _const(value: int) -> np.ndarray:
    """A read-only 0-d int64 array (plans are shared between calls)."""
    a = np.array(value, dtype=np.int64)
    a.flags.writeable = False
    return a


@lru_cache(maxsize=1024)
def _cast_plan(src, dst, rounding, overflow) -> _CastPlan:
    src, dst = Fmt.parse(src), Fmt.parse(dst)
    rounding, overflow = Rounding.parse(rounding), Overflow.parse(overflow)
    s = src.frac - dst.frac
    biases = _sign_biases(rounding, s) if 0 < s <= MAX_WIDTH else None
    one_bias = biases is not None and biases[0] == biases[1]
    # Rounding is monotonic, so the rounded src range is [round(min_raw), round(max_raw)], found by
    # running the kernel itself on the two extremes (no second implementation of the rounding).
    if s > 0:
        extremes = np.array([src.min_raw, src.max_raw], dtype=np.int64)
        _round_shift(extremes, s, rounding, extremes)
        lo_q, hi_q = int(extremes[0]), int(extremes[1])
    else:
        lo_q, hi_q = src.min_raw << -s, src.max_raw << -s
    lo, hi = _overflow_limits(dst, overflow)
    sat = overflow in (Overflow.SAT, Overflow.SAT_SYM)
    may_overflow = lo_q < lo or hi_q > hi
    return _CastPlan(
        src=src,
        dst=dst,
        rounding=rounding,
        overflow=overflow,
        shift=s,
        src_lo=_const(src.min_raw),
        one_bias=one_bias,
        bias=_const(biases[0]) if one_bias and biases[0] else None,
        shift_by=_const(min(abs(s), 64)),
        exact_left_shift=s < 0 and -s < MAX_WIDTH and max(-src.min_raw, src.max_raw) < (1 << (MAX_WIDTH + s)),
        may_overflow=may_overflow,
        clamp=(_const(lo), _const(hi)) if sat and may_overflow else None,
    )


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
    global _last_cast
    last = _last_cast
    if last[0] is src and last[1] is dst and last[2] is rounding and last[3] is overflow:
        plan = last[4]
    else:
        try:
            plan = _cast_plan(src, dst, rounding, overflow)
        except TypeError:  # an unhashable argument: the uncached parsers name it
            plan = _cast_plan.__wrapped__(src, dst, rounding, overflow)
        _last_cast = (src, dst, rounding, overflow, plan)
    x = raw if type(raw) is np.ndarray and raw.dtype is _INT64 else _to_int64(raw, plan.src)
    if out is None:
        q = np.empty(x.shape, dtype=_INT64)
        _check_range(x, plan.src, plan.src_lo, q)  # q is scratch until the kernel writes it ...
    else:
        q = _out_buffer(x, out)
        _check_range(x, plan.src, plan.src_lo, None if np.may_share_memory(x, q) else q)  # ... unless it is x
    if stats is not None:
        stats.total += x.size
    s = plan.shift
    forced = None
    if s > 0:
        zeros_before = int(np.count_nonzero(x == 0)) if stats is not None else 0  # q may be x
        if not plan.one_bias:
            _round_shift(x, s, plan.rounding, q)
        elif plan.bias is not None:  # element-wise, safe in place
            np.add(x, plan.bias, out=q)
            np.right_shift(q, plan.shift_by, out=q)
        else:
            np.right_shift(x, plan.shift_by, out=q)
        _count_zeroed(stats, zeros_before, q)
    elif s == 0:
        if q is not x:
            np.copyto(q, x)
    elif plan.exact_left_shift:
        np.left_shift(x, plan.shift_by, out=q)
    else:
        dst, t = plan.dst, -s
        hi_x, lo_x = dst.max_raw >> t, -((-dst.min_raw) >> t)
        forced = (x > hi_x) | (x < lo_x)
        pos = x > hi_x
        np.left_shift(x, plan.shift_by, out=q)  # wraps modulo 2**64: the low bits stay exact for WRAP
        if plan.overflow is not Overflow.WRAP:
            q[pos] = _SENTINEL
            q[forced & ~pos] = -_SENTINEL
            forced = None
    if forced is None and not plan.may_overflow:
        return q  # every value already fits dst: no overflow to apply or count
    if stats is None and forced is None and plan.clamp is not None:
        _clamp(q, *plan.clamp)  # SAT / SAT_SYM, nothing to count
        return q
    n_bad, first = _apply_overflow(q, plan.dst, plan.overflow, stats, forced)
    if plan.overflow is Overflow.ERROR and n_bad:
        raise _overflow_error(n_bad, q.shape, first, plan.dst)
    return q


def _clamp(q: np.ndarray, lo, hi) -> None:
    """Clamp q to [lo, hi] in place."""
    if _CLIP_UFUNC is not None:
        _CLIP_UFUNC(q, lo, hi, out=q)
    else:
        np.minimum(q, hi, out=q)
        np.maximum(q, lo, out=q)


def _check_finite(x: np.ndarray) -> None:
    finite = np.isfinite(x)
    if not finite.all():
        idx = _first_index(~finite)
        n_bad = int(np.count_nonzero(~finite))
        raise ValueError(f"x: {n_bad} values are NaN or infinite, first at index {idx}")


def _round_float(y: np.ndarray, rounding: Rounding) -> np.ndarray:
    """Round exact finite float64 values to integral values, exactly. ``y`` is scratch: it
    may be overwritten and may be the returned array."""
    if rounding is Rounding.TRN:
        return np.floor(y, out=y)
    if rounding is Rounding.TRN_INF:
        return np.ceil(y, out=y)
    if rounding is Rounding.TRN_ZERO:
        return np.trunc(y, out=y)
    if rounding is Rounding.TRN_AWAY:
        q = np.ceil(np.abs(y))
        return np.copysign(q, y, out=q)
    q = np.rint(y)  # nearest, ties to even; y - q is exact, so a tie is y - q == +-0.5
    if rounding is Rounding.RND_CONV:
        return q
    d = np.subtract(y, q, out=y)
    tie = d == 0.5
    tie |= d == -0.5
    if not tie.any():
        return q
    # At a tie q is the even neighbour and q + 2d the odd one; move to it where the mode says so.
    if rounding is Rounding.RND:
        tie &= d > 0
    elif rounding is Rounding.RND_MIN_INF:
        tie &= d < 0
    elif rounding is Rounding.RND_ZERO:  # move only when q + 2d is nearer zero
        tie &= q * d < 0
    elif rounding is Rounding.RND_INF:
        tie &= q * d >= 0
    np.multiply(d, tie, out=d)  # unmasked arithmetic is much faster than where=
    np.multiply(d, 2.0, out=d)
    return np.add(q, d, out=q)


def _scaled(x: np.ndarray, frac: int) -> np.ndarray:
    """x * 2**frac, exact except for values below a quarter (which then carry only their sign) and
    beyond the float range (which become +-2**100), finite."""
    if frac >= 0:  # scaling up is exact (no underflow); it may overflow to inf
        y = x * 2.0**frac if frac <= 1023 else np.ldexp(x, frac)
        if y.size and (y.max() == np.inf or y.min() == -np.inf):
            # The exact value is a multiple of 2**970 or more: any huge power of two has the same sign
            # and the same (zero) low 62 bits.
            np.nan_to_num(y, copy=False, posinf=2.0**100, neginf=-(2.0**100))
        return y
    # Scaling down can underflow and lose bits; below a quarter LSB only the sign matters for rounding.
    y = np.ldexp(x, frac)
    tiny = np.abs(y) < 0.25
    if tiny.any():
        y = np.where(tiny, np.copysign(0.25, x) * (x != 0), y)
    return y


def _real_array(x) -> np.ndarray:
    """``x`` as float64, exactly: real numbers only (no strings, complex, bool or objects), integers only
    while float64 holds them exactly (|x| <= 2**53; larger raw integers belong to ``cast``)."""
    if isinstance(x, (str, bytes)):
        raise ValueError(f"x: expected real numbers, got a {type(x).__name__} {x!r}")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"x: expected a real array ({exc})") from None
    if a.dtype.kind == "f":
        y = a.astype(np.float64, copy=False)
        if a.dtype.itemsize > 8 and not np.array_equal(y, a, equal_nan=True):
            raise ValueError(f"x: {a.dtype} values that float64 cannot hold exactly")
        return y
    if a.dtype.kind in "iu":
        if a.size and max(abs(int(a.min())), abs(int(a.max()))) > 1 << 53:
            raise ValueError("x: integers beyond 2**53 are not exact in float64; use cast() on raw integers")
        return a.astype(np.float64)
    raise ValueError(f"x: expected real numbers (int or float), got dtype {a.dtype}")


def from_float(
    x,
    fmt: Fmt | str,
    rounding: Rounding | str = Rounding.TRN,
    overflow: Overflow | str = Overflow.WRAP,
    *,
    stats: CastStats | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Quantize reals to raw values of ``fmt``, exactly: x * 2**frac is rounded from its exact value.

    NaN or infinity raises ValueError naming the first bad index. Values far outside the format still
    saturate (or wrap, keeping the exact low bits) correctly; there is no float-to-int wrap-around.
    ``out`` takes a preallocated int64 array of x's shape.
    """
    fmt = Fmt.parse(fmt)
    rounding, overflow = Rounding.parse(rounding), Overflow.parse(overflow)
    x = _real_array(x)
    _check_finite(x)
    r = np.empty(x.shape, dtype=np.int64) if out is None else _out_buffer(x, out)
    if stats is not None:
        stats.total += x.size
    # Chunks keep the float temporaries small and reused (fresh large buffers cost page faults).
    flat_x = x.reshape(-1)
    flat_r = r.reshape(-1) if r.flags.c_contiguous else np.empty(x.size, dtype=np.int64)
    n_bad, first = 0, -1
    for start in range(0, x.size, _FLOAT_CHUNK):
        stop = start + _FLOAT_CHUNK
        n, f = _quantize_chunk(flat_x[start:stop], flat_r[start:stop], fmt, rounding, overflow, stats)
        if n and first < 0:
            first = start + f
        n_bad += n
    if overflow is Overflow.ERROR and n_bad:
        raise _overflow_error(n_bad, x.shape, first, fmt)
    if not r.flags.c_contiguous:
        r[...] = flat_r.reshape(r.shape)
    return r


def _quantize_chunk(x, r, fmt: Fmt, rounding: Rounding, overflow: Overflow, stats) -> tuple[int, int]:
    """r = from_float(x) for one 1-D chunk; returns (overflow count, first overflow index)."""
    with np.errstate(over="ignore"):
        y = _scaled(x, fmt.frac)
        q = _round_float(y, rounding)
        _count_zeroed(stats, int(np.count_nonzero(x == 0)) if stats is not None else 0, q)
        forced = None
        if q.size and (q.max() >= _SENTINEL or q.min() <= -_SENTINEL):
            huge = ~(np.abs(q) < _SENTINEL)  # beyond every format
            if overflow is Overflow.WRAP:
                # q is a multiple of 2**10 or more here: fmod keeps its low 62 bits exactly.
                q = np.where(huge, np.fmod(q, float(_SENTINEL)), q)
                forced = huge
            else:
                q = np.where(huge, np.copysign(float(_SENTINEL), q), q)
    np.copyto(r, q, casting="unsafe")  # exact: q is integral and |q| <= 2**62
    return _apply_overflow(r, fmt, overflow, stats, forced)


def to_float(raw, fmt: Fmt | str) -> np.ndarray:
    """The real values of raw integers as float64 (exact when width <= 53; else rounded to nearest)."""
    fmt = Fmt.parse(fmt)
    x = _as_raw(raw, fmt)
    return np.ldexp(x.astype(np.float64), -fmt.frac)
