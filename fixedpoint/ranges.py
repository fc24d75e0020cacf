"""Range logging per named signal, in the spirit of MATLAB ``fi`` min/max logging."""

from __future__ import annotations

import numpy as np

from .arith import fmt_for_range
from .fmt import Fmt


class RangeLogger:
    """Accumulates the raw min, max and element count of named signals over many ``record`` calls."""

    def __init__(self):
        self._ranges: dict[str, tuple[int, int, int]] = {}
        self._fmts: dict[str, Fmt] = {}

    def record(self, name: str, raw, fmt: Fmt | str | None = None) -> None:
        """Fold the values of ``raw`` into the range of ``name``; ``fmt``, if given, must stay the same."""
        if fmt is not None:
            fmt = Fmt.parse(fmt)
            known = self._fmts.setdefault(name, fmt)
            if known != fmt:
                raise ValueError(f"record: signal {name!r} was logged as {known}, now as {fmt}")
        x = np.asarray(raw)
        if x.dtype.kind not in "iu":
            raise ValueError(f"record: signal {name!r} needs integer raw values, got dtype {x.dtype}")
        if x.size == 0:
            if name not in self._ranges:
                return
            lo, hi = self._ranges[name][:2]
        else:
            lo, hi = int(x.min()), int(x.max())
        if name in self._ranges:
            old_lo, old_hi, old_n = self._ranges[name]
            lo, hi, n = min(lo, old_lo), max(hi, old_hi), old_n + x.size
        else:
            n = x.size
        self._ranges[name] = (lo, hi, n)

    @property
    def ranges(self) -> dict[str, tuple[int, int, int]]:
        """name -> (raw min, raw max, element count), in first-recorded order."""
        return dict(self._ranges)

    def fmt(self, name: str) -> Fmt | None:
        return self._fmts.get(name)

    def summary(self) -> list[dict]:
        """One row per signal: raw and real range, count, the signal's format, the narrowest format of
        the same fraction bits that holds the observed range, and whether the range fits the format."""
        rows = []
        for name, (lo, hi, n) in self._ranges.items():
            fmt = self._fmts.get(name)
            row = {"name": name, "min_raw": lo, "max_raw": hi, "count": n, "fmt": str(fmt) if fmt else None}
            if fmt is not None:
                needed = fmt_for_range(lo, hi, fmt.frac, fmt.signed or lo < 0, name)
                row.update(
                    min=lo * fmt.lsb,
                    max=hi * fmt.lsb,
                    needed=str(needed),
                    fits=fmt.min_raw <= lo and hi <= fmt.max_raw,
                )
            rows.append(row)
        return rows
