"""Full-precision fixed-point arithmetic: the result format holds every possible result exactly.

Each function returns ``(raw, fmt)``. Formats are inferred from the exact range of the operation over the
operand formats (fraction bits: the larger of the operands'); a result that would need more than 62 bits
raises ValueError. Inputs are trusted to lie in their formats (every ``cast``, ``from_float`` and
``from_hex`` result does), so valid operands always give valid results; nothing here re-checks them.
"""

from __future__ import annotations

import builtins
from functools import lru_cache

import numpy as np

from .fmt import MAX_WIDTH, Fmt


@lru_cache(maxsize=4096)
def fmt_for_range(lo: int, hi: int, frac: int, signed: bool, op: str = "result") -> Fmt:
    """The narrowest format with ``frac`` fraction bits and given signedness whose raw range holds
    [lo, hi]; ValueError naming ``op`` if that needs more than 62 bits."""
    if signed:
        width = 1 + builtins.max(hi.bit_length() if hi > 0 else 0, (~lo).bit_length() if lo < 0 else 0, 1)
    else:
        if lo < 0:
            raise ValueError(f"{op}: an unsigned format cannot hold {lo}")
        width = builtins.max(hi.bit_length(), 1)
    if width > MAX_WIDTH:
        raise ValueError(f"{op}: the exact result needs {width} bits; the limit is {MAX_WIDTH}")
    return Fmt(width, frac, signed)


_INT64 = np.dtype(np.int64)


def _raw(a) -> np.ndarray:
    x = np.asarray(a)
    if x.dtype != np.int64:
        if x.dtype.kind not in "iu":
            raise ValueError(f"raw: expected integers, got dtype {x.dtype}")
        if x.dtype == np.uint64 and x.size and int(x.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"raw: value {int(x.max())} does not fit int64")
        x = x.astype(np.int64)
    return x


@lru_cache(maxsize=4096)
def _add_or_sub_plan(a_fmt, b_fmt, subtract: bool) -> tuple[Fmt, np.ndarray | None, np.ndarray | None]:
    """The result format and the left shifts (0-d arrays, None: 0) that align a and b to its LSB."""
    a_fmt, b_fmt = Fmt.parse(a_fmt), Fmt.parse(b_fmt)
    frac = builtins.max(a_fmt.frac, b_fmt.frac)
    sa, sb = frac - a_fmt.frac, frac - b_fmt.frac
    a_lo, a_hi = a_fmt.min_raw << sa, a_fmt.max_raw << sa
    b_lo, b_hi = b_fmt.min_raw << sb, b_fmt.max_raw << sb
    lo, hi = (a_lo - b_hi, a_hi - b_lo) if subtract else (a_lo + b_lo, a_hi + b_hi)
    fmt = fmt_for_range(lo, hi, frac, a_fmt.signed or b_fmt.signed or lo < 0, "sub" if subtract else "add")
    return fmt, _shift_array(sa), _shift_array(sb)


def _shift_array(n: int) -> np.ndarray | None:
    """A read-only 0-d int64 array (numpy dispatches it faster than an int; plans are shared), None for 0."""
    if not n:
        return None
    a = np.array(n, dtype=np.int64)
    a.flags.writeable = False
    return a


# The hot path of every small-array call. The plan of the last call per operation is reused when the same
# format objects come again (the common case in a loop): identity checks cost far less than the lru_cache
# lookup, which hashes the formats in Python. An entry holds its formats, so an identity match is a value
# match; each entry is one tuple, replaced whole, so a race between threads only costs a cache miss.
_NO_FORMAT = object()
_LAST = {op: (_NO_FORMAT, None) for op in ("neg", "abs", "neg_abs")}  # (fmt, result format)
# add and sub, as module globals (a dict lookup is a measurable part of their fast path): (a_fmt, b_fmt,
# plan, the plan's format when neither operand needs an alignment shift, else None).
_last_add = _last_sub = (_NO_FORMAT, _NO_FORMAT, None, None)


def _cached(plan, *args):
    """``plan(*args)`` from its lru_cache; an unhashable argument goes to the uncached function, whose
    parser names it."""
    try:
        return plan(*args)
    except TypeError:
        return plan.__wrapped__(*args)


def _add_or_sub_operands(a, a_fmt, b, b_fmt, subtract: bool):
    """(x, y, fmt): the operands as int64 aligned to the result's LSB, and the result format."""
    global _last_add, _last_sub
    last = _last_sub if subtract else _last_add
    if last[0] is a_fmt and last[1] is b_fmt:
        fmt, sa, sb = last[2]
    else:
        plan = _cached(_add_or_sub_plan, a_fmt, b_fmt, subtract)
        fmt, sa, sb = plan
        last = (a_fmt, b_fmt, plan, fmt if sa is None and sb is None else None)
        if subtract:
            _last_sub = last
        else:
            _last_add = last
    x = a if type(a) is np.ndarray and a.dtype is _INT64 else _raw(a)
    y = b if type(b) is np.ndarray and b.dtype is _INT64 else _raw(b)
    if sa is not None:
        x = np.left_shift(x, sa)
    if sb is not None:
        y = np.left_shift(y, sb)
    return x, y, fmt


def _unary(ufunc, a, fmt, op: str, out) -> tuple[np.ndarray, Fmt]:
    """``ufunc(a)`` with the result format of ``op`` (passing out=None costs time on small arrays)."""
    last = _LAST[op]
    if last[0] is fmt:
        res = last[1]
    else:
        res = _cached(_unary_fmt, fmt, op)
        _LAST[op] = (fmt, res)
    x = a if type(a) is np.ndarray and a.dtype is _INT64 else _raw(a)
    return (ufunc(x) if out is None else ufunc(x, out=out)), res


@lru_cache(maxsize=4096)
def _unary_fmt(fmt, op: str) -> Fmt:
    """The result format of neg / abs / neg_abs on ``fmt``."""
    fmt = Fmt.parse(fmt)
    magnitude = builtins.max(-fmt.min_raw, fmt.max_raw)
    if op == "neg":
        return fmt_for_range(-fmt.max_raw, -fmt.min_raw, fmt.frac, True, op)
    if op == "abs":
        return fmt_for_range(0, magnitude, fmt.frac, fmt.signed, op)
    return fmt_for_range(-magnitude, 0, fmt.frac, True, op)


def add(a, a_fmt: Fmt | str, b, b_fmt: Fmt | str, *, out=None) -> tuple[np.ndarray, Fmt]:
    """a + b exactly (numpy broadcasting applies)."""
    last = _last_add
    if (  # fast path: the formats of the last call, no alignment shift, int64 arrays
        last[0] is a_fmt
        and last[1] is b_fmt
        and last[3] is not None
        and type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.dtype is _INT64
        and b.dtype is _INT64
    ):
        return (np.add(a, b) if out is None else np.add(a, b, out=out)), last[3]
    x, y, fmt = _add_or_sub_operands(a, a_fmt, b, b_fmt, False)
    return (np.add(x, y) if out is None else np.add(x, y, out=out)), fmt


def sub(a, a_fmt: Fmt | str, b, b_fmt: Fmt | str, *, out=None) -> tuple[np.ndarray, Fmt]:
    """a - b exactly; the result is signed."""
    last = _last_sub
    if (  # fast path: the formats of the last call, no alignment shift, int64 arrays
        last[0] is a_fmt
        and last[1] is b_fmt
        and last[3] is not None
        and type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.dtype is _INT64
        and b.dtype is _INT64
    ):
        return (np.subtract(a, b) if out is None else np.subtract(a, b, out=out)), last[3]
    x, y, fmt = _add_or_sub_operands(a, a_fmt, b, b_fmt, True)
    return (np.subtract(x, y) if out is None else np.subtract(x, y, out=out)), fmt


def neg(a, fmt: Fmt | str, *, out=None) -> tuple[np.ndarray, Fmt]:
    """-a exactly (one more bit: -min_raw does not fit the input format)."""
    last = _LAST["neg"]
    if last[0] is fmt and type(a) is np.ndarray and a.dtype is _INT64:  # fast path, as in add
        return (np.negative(a) if out is None else np.negative(a, out=out)), last[1]
    return _unary(np.negative, a, fmt, "neg", out)


def abs(a, fmt: Fmt | str, *, out=None) -> tuple[np.ndarray, Fmt]:  # noqa: A001 - public API name
    """|a| exactly; keeps the signedness (a signed input gains one bit for |min_raw|)."""
    last = _LAST["abs"]
    if last[0] is fmt and type(a) is np.ndarray and a.dtype is _INT64:  # fast path, as in add
        return (np.abs(a) if out is None else np.abs(a, out=out)), last[1]
    return _unary(np.abs, a, fmt, "abs", out)


def neg_abs(a, fmt: Fmt | str, *, out=None) -> tuple[np.ndarray, Fmt]:
    """-|a| exactly; a signed input keeps its format (-|x| fits wherever x fits)."""
    last = _LAST["neg_abs"]
    if last[0] is fmt and type(a) is np.ndarray and a.dtype is _INT64:  # fast path, as in add
        r, res = (np.abs(a) if out is None else np.abs(a, out=out)), last[1]
    else:
        r, res = _unary(np.abs, a, fmt, "neg_abs", out)
    return np.negative(r, out=r), res


def shift(a, fmt: Fmt | str, n: int) -> tuple[np.ndarray, Fmt]:
    """a * 2**n exactly: the raw integers are unchanged (copied), the binary point moves."""
    fmt = Fmt.parse(fmt)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"shift: n must be an integer number of bits, got {n!r}")
    return np.array(_raw(a), copy=True), Fmt(fmt.width, fmt.frac - int(n), fmt.signed)


def sum(a, fmt: Fmt | str, axis=None) -> tuple[np.ndarray, Fmt]:  # noqa: A001 - public API name
    """The exact sum along ``axis`` (all axes if None); the width grows by ceil(log2 n)."""
    fmt = Fmt.parse(fmt)
    x = _raw(a)
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis)
    if axis is not None and (axes.dtype.kind not in "iu" or ((axes < -x.ndim) | (axes >= x.ndim)).any()):
        raise ValueError(f"sum: axis must be integers in -{x.ndim}..{x.ndim - 1}, got {axis!r}")
    n = int(np.prod([x.shape[int(ax)] for ax in axes], dtype=np.int64))
    growth = builtins.max(n - 1, 0).bit_length()
    if fmt.width + growth > MAX_WIDTH:
        raise ValueError(
            f"sum: {n} terms of {fmt} need {fmt.width + growth} bits; the limit is {MAX_WIDTH}"
        )
    return np.sum(x, axis=axis, dtype=np.int64), Fmt(fmt.width + growth, fmt.frac, fmt.signed)
