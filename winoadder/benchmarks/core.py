"""Benchmark building blocks: a goal, a result row, best-of-N timing, and the table/JSON renderings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

ABSENT = "—"
_SI = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


@dataclass(frozen=True)
class Goal:
    """A pass/fail criterion: ``ratio >= threshold`` (``on="ratio"``) or a bound on ``ours`` itself."""

    threshold: float
    on: str = "ratio"  # "ratio" (ours relative to the anchor) or "ours" (the measured value itself)
    at_most: bool = False  # True: the measured value must not exceed the threshold
    unit: str = ""

    def __post_init__(self):
        if self.on not in ("ratio", "ours"):
            raise ValueError(f"on: must be 'ratio' or 'ours', got {self.on!r}")

    def text(self) -> str:
        sign = "≤" if self.at_most else "≥"
        if self.on == "ratio":
            return f"{sign} {self.threshold:g}×"
        small_whole = self.threshold < 1e4 and float(self.threshold).is_integer()
        value = f"{self.threshold:g}" if small_whole else human(self.threshold)
        return f"{sign} {value} {self.unit}".rstrip()

    def met(self, ours: float | None, ratio: float | None) -> bool | None:
        """True or False when the measured quantity exists, None when it does not."""
        value = ratio if self.on == "ratio" else ours
        if value is None:
            return None
        return value <= self.threshold if self.at_most else value >= self.threshold


@dataclass
class Row:
    """One measured comparison: our rate (or value) against one anchor, with an optional goal.

    ``ratio`` is ours / anchor for rates (how many times faster we are). ``status`` (ours) and
    ``anchor_status`` are "ok", or why that side could not be measured ("not installed",
    "unavailable: ..."), which the table then shows in place of the missing number.
    """

    suite: str
    what: str
    size: str
    unit: str
    ours: float | None = None
    anchor: str = ""
    anchor_value: float | None = None
    goal: Goal | None = None
    status: str = "ok"
    anchor_status: str = "ok"
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.anchor_value:
            return None
        return self.ours / self.anchor_value

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.ours, self.ratio)

    def met_text(self) -> str:
        if self.goal is None:
            return ABSENT
        met = self.met
        return "n/a" if met is None else ("yes" if met else "no")

    def table_row(self) -> list[str]:
        ours = f"{human(self.ours)} {self.unit}" if self.ours is not None else self.status
        if self.anchor_value is not None:
            anchor = f"{self.anchor} {human(self.anchor_value)}"
        elif self.anchor and self.anchor_status != "ok":
            anchor = f"{self.anchor}: {self.anchor_status}"
        else:
            anchor = self.anchor or ABSENT
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else ABSENT
        goal = self.goal.text() if self.goal else ABSENT
        return [self.what, self.size, ours, anchor, ratio, goal, self.met_text(), self.note]

    def to_dict(self) -> dict:
        goal = None
        if self.goal is not None:
            goal = {
                "text": self.goal.text(),
                "on": self.goal.on,
                "threshold": self.goal.threshold,
                "at_most": self.goal.at_most,
            }
        return {
            "suite": self.suite,
            "what": self.what,
            "size": self.size,
            "unit": self.unit,
            "ours": self.ours,
            "anchor": self.anchor or None,
            "anchor_value": self.anchor_value,
            "ratio": self.ratio,
            "goal": goal,
            "met": self.met,
            "status": self.status,
            "anchor_status": self.anchor_status,
            "note": self.note,
            **({"extra": self.extra} if self.extra else {}),
        }


TABLE_HEADERS = ["what", "size", "ours", "anchor", "ratio", "goal", "met", "note"]


def human(value: float | None) -> str:
    """3 significant digits with an SI suffix: 1.23 G, 45.6 M, 812 k, 0.5."""
    if value is None:
        return ABSENT
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}".replace(" ", "")
    return f"{value:.3g}"


@dataclass(frozen=True)
class Timing:
    """Best-of-N timing settings: each sample runs the function enough times to last ``min_sample`` s."""

    repeats: int = 7
    min_sample: float = 0.05

    def seconds_per_call(self, fn: Callable[[], object]) -> float:
        """Best (smallest) mean time of one call over ``repeats`` samples, after one warm-up call."""
        return self.interleaved([fn])[0]

    def interleaved(self, fns: list[Callable[[], object]]) -> list[float]:
        """``seconds_per_call`` of each function, their samples taken in turns.

        Taking the samples round-robin exposes every function to the same load on a shared machine, so
        the ratios between them hold better than the absolute times.
        """
        calls = [self._calibrate(fn) for fn in fns]
        best = [float("inf")] * len(fns)
        for _ in range(self.repeats):
            for i, fn in enumerate(fns):
                best[i] = min(best[i], _sample(fn, calls[i]) / calls[i])
        return best

    def _calibrate(self, fn: Callable[[], object]) -> int:
        """Calls per sample: enough to last ``min_sample`` seconds (after one warm-up call)."""
        fn()
        calls = 1
        while True:
            elapsed = _sample(fn, calls)
            if elapsed >= self.min_sample or calls >= 1 << 20:
                return calls
            calls = max(calls * 2, int(calls * self.min_sample / max(elapsed, 1e-9) * 1.2))


def _sample(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start


QUICK_TIMING = Timing(repeats=3, min_sample=0.01)
FULL_TIMING = Timing(repeats=7, min_sample=0.05)


def unavailable(suite: str, what: str, size: str, unit: str, reason: str, goal: Goal | None = None) -> Row:
    """A row for a measurement that could not run (missing module, tool or build failure)."""
    return Row(suite, what, size, unit, goal=goal, status=f"unavailable: {reason}")


def dependency_reason(exc: BaseException) -> str:
    """One line describing why an import or build failed."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) <= 90 else text[:87] + "..."
