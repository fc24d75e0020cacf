"""Per-stage statistics of a simulation: values seen, raw min/max, overflow and zeroed counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from simulator.config import STAGES


def _merge(old, new, pick, first: bool):
    if new is None or (old is None and not first):
        return None
    return int(new) if first else pick(old, int(new))


@dataclass
class StageStats:
    """Raw range and counts of one stage, accumulated over calls (``min``/``max`` None until a value;
    a bound recorded as None stays unknown)."""

    count: int = 0
    min: int | None = None
    max: int | None = None
    overflows: int = 0
    zeroed: int = 0

    def record_range(self, lo, hi, count: int, overflows: int = 0, zeroed: int = 0) -> None:
        if count:
            first = self.count == 0
            self.min = _merge(self.min, lo, min, first)
            self.max = _merge(self.max, hi, max, first)
        self.count += int(count)
        self.overflows += int(overflows)
        self.zeroed += int(zeroed)

    def record(self, values: np.ndarray, overflows: int = 0, zeroed: int = 0) -> None:
        if values.size:
            self.record_range(values.min(), values.max(), values.size, overflows, zeroed)
        else:
            self.record_range(0, 0, 0, overflows, zeroed)


def new_stats() -> dict[str, StageStats]:
    """One StageStats per stage of docs/datapath.md, in datapath order."""
    return {name: StageStats() for name in STAGES}


def stats_to_dict(stats: dict[str, StageStats]) -> dict[str, dict]:
    return {name: asdict(s) for name, s in stats.items()}


def format_stats(stats: dict[str, StageStats], cfg=None) -> str:
    """A plain-text table; with a config, each stage's derived raw range is shown beside the observed one."""
    header = f"{'stage':<20} {'count':>12} {'min':>14} {'max':>14} {'overflows':>10} {'zeroed':>8}"
    if cfg is not None:
        header += f"  {'derived range':>26}"
    lines = [header]
    for name, s in stats.items():
        lo = "-" if s.min is None else str(s.min)
        hi = "-" if s.max is None else str(s.max)
        line = f"{name:<20} {s.count:>12} {lo:>14} {hi:>14} {s.overflows:>10} {s.zeroed:>8}"
        if cfg is not None:
            dlo, dhi = cfg.ranges[name]
            line += f"  {f'[{dlo}, {dhi}]':>26}"
        lines.append(line)
    return "\n".join(lines)
