"""Strict parsers for command-line values: anything not fully understood is an error (docs/failures.md).

Each factory returns an argparse ``type=`` callable; it raises ``argparse.ArgumentTypeError`` so argparse
prints one line naming the option. ``int_list`` and ``name_list`` are used directly (they raise
UsageError). The CLI parser replaces a bare ``type=int``/``type=float`` by ``plain_int``/``plain_float``.
"""

from __future__ import annotations

import argparse
import math
import re

from .errors import UsageError

_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def parse_int(text: str) -> int | None:
    """A plain decimal integer (no underscores, spaces, floats or 1e3), else None."""
    text = str(text)
    return int(text) if _INT.match(text) else None


def int_range(lo: int | None = None, hi: int | None = None):
    """argparse type: a decimal integer in [lo, hi]."""

    def parse(text: str) -> int:
        value = parse_int(text)
        if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected an integer {_bounds(lo, hi)}, got {text!r}")
        return value

    return parse


def float_range(lo: float, hi: float, *, lo_open: bool = False):
    """argparse type: a finite decimal number in [lo, hi] (``(lo, hi]`` with ``lo_open``)."""

    def parse(text: str) -> float:
        value = _as_float(text)
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
        if not ok:
            left = "(" if lo_open else "["
            span = (f"in {left}{lo:g}, {hi:g}]" if math.isfinite(hi)
                    else f"{'>' if lo_open else '>='} {lo:g}")
            raise argparse.ArgumentTypeError(f"expected a finite number {span}, got {text!r}")
        return value

    return parse


def plain_int(text: str) -> int:
    """argparse type for an option declared ``type=int``: a non-negative plain decimal integer.

    The CLI parser substitutes it for a bare ``int`` (``int()`` would take ``1_000``, `` 5`` and other
    scripts' digits); an option that allows negative values declares its own range with ``int_range``.
    """
    return int_range(0)(text)


def plain_float(text: str) -> float:
    """argparse type for an option declared ``type=float``: a finite, non-negative plain decimal number
    (``float()`` would take ``nan``, ``inf``, ``1_0`` and `` 5``)."""
    return float_range(0.0, math.inf)(text)


def _as_float(text: str) -> float:
    return float(text) if _FLOAT.match(str(text)) else math.nan


def _bounds(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}"
    return f"<= {hi}" if hi is not None else ""


def int_list(text: str, option: str, lo: int, hi: int, *, ranges: bool = True) -> list[int]:
    """``4..16``, ``4,6,8`` or a mix (``4..8,12``), every value in [lo, hi]: a set, sorted (overlaps
    merge: ``4..8,6`` is 4..8).

    Bounds are checked before a range is expanded, so ``4..1000000000`` fails at once; ``4..``,
    ``..8``, ``8..4``, empty items and anything but decimal integers are errors.
    """
    form = "'A..B' or 'A,B,C'" if ranges else "'A,B,C'"
    bad = UsageError(f"{option}: expected integers {lo}..{hi} as {form}, got {text!r}")
    values: set[int] = set()
    for part in str(text).split(","):
        first, sep, last = part.strip().partition("..")
        a, b = parse_int(first), parse_int(last) if sep else parse_int(first)
        if a is None or b is None or (sep and not ranges) or a > b or a < lo or b > hi:
            raise bad
        values.update(range(a, b + 1))
    return sorted(values)


def name_list(text, option: str, allowed, *, what: str = "") -> list[str]:
    """``a,b,c`` with every item one of ``allowed``, in the order given.

    Empty lists, empty items (``a,,b``, ``a,``), unknown names and a name given twice are errors; items
    are case-sensitive and stripped of surrounding spaces.
    """
    allowed = list(allowed)
    items = [item.strip() for item in str(text).split(",")]
    valid = f"valid: {', '.join(allowed)} (comma-separated)"
    if not text or not str(text).strip() or "" in items:
        raise UsageError(f"{option}: expected a comma-separated list without empty items, got {text!r}; "
                         f"{valid}")
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise UsageError(f"{option}: unknown {what + ' ' if what else ''}{unknown[0]!r}; {valid}")
    if len(set(items)) != len(items):
        twice = next(item for item in items if items.count(item) > 1)
        raise UsageError(f"{option}: {twice!r} is given twice in {text!r}")
    return items
