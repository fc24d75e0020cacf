"""Bit-exact fixed-point arithmetic on numpy int64 raw values (see docs/fixedpoint.md)."""

from .core import CastStats, FixedPointOverflowError, cast, from_float, to_float
from .fmt import MAX_WIDTH, Fmt
from .modes import OVERFLOW_CODE, ROUNDING_CODE, Overflow, Rounding

__all__ = [
    "MAX_WIDTH",
    "OVERFLOW_CODE",
    "ROUNDING_CODE",
    "CastStats",
    "FixedPointOverflowError",
    "Fmt",
    "Overflow",
    "Rounding",
    "cast",
    "from_float",
    "to_float",
]
