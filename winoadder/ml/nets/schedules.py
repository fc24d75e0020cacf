"""The l2-to-l1 schedules: the exponent p of −|U−V|^p as a function of training progress.

p starts at 2 and reaches 1 at ``ANNEAL_END`` of training, then stays at 1 so batch norm and the
classifier settle on the adder (p = 1) form that the hardware computes. ``p1`` is p = 1 throughout.
"""

from __future__ import annotations

import math

ANNEAL_END = 0.6
STEP_LEVELS = 4
SCHEDULES = ("cosine", "linear", "step", "p1")


def p_at(schedule: str, progress: float) -> float:
    """Exponent p at ``progress`` in [0, 1] (fraction of training steps done)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: unknown {schedule!r}; valid: {', '.join(SCHEDULES)}")
    if schedule == "p1":
        return 1.0
    s = min(max(progress / ANNEAL_END, 0.0), 1.0)
    if schedule == "linear":
        return 2.0 - s
    if schedule == "cosine":
        return 1.0 + 0.5 * (1.0 + math.cos(math.pi * s))
    return 2.0 - min(math.floor(s * STEP_LEVELS), STEP_LEVELS) / STEP_LEVELS
