"""Bit-exact fixed-point arithmetic on numpy int64 raw values (see docs/fixedpoint.md)."""

from .arith import abs, add, fmt_for_range, neg, neg_abs, shift, sub, sum
from .core import CastStats, FixedPointOverflowError, cast, from_float, to_float
from .fmt import MAX_WIDTH, Fmt
from .modes import OVERFLOW_CODE, ROUNDING_CODE, Overflow, Rounding
from .ranges import RangeLogger
from .textio import from_bin, from_hex, to_bin, to_hex

__all__ = [
    "MAX_WIDTH",
    "OVERFLOW_CODE",
    "ROUNDING_CODE",
    "CastStats",
    "FixedPointOverflowError",
    "Fmt",
    "Overflow",
    "RangeLogger",
    "Rounding",
    "abs",
    "add",
    "cast",
    "fmt_for_range",
    "from_bin",
    "from_float",
    "from_hex",
    "neg",
    "neg_abs",
    "shift",
    "sub",
    "sum",
    "to_bin",
    "to_float",
    "to_hex",
]
