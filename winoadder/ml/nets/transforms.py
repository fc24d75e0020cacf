"""Winograd F(2×2, 3×3) matrices as float arrays, taken from the simulator's presets (one source of truth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloatTransform:
    name: str
    BT: np.ndarray  # (4, 4)
    G: np.ndarray  # (4, 3)
    AT: np.ndarray  # (2, 4)


def float_transform(name: str) -> FloatTransform:
    """The preset ``name`` of ``simulator.PRESETS`` as float64 matrices."""
    from simulator import PRESETS

    if name not in PRESETS:
        raise ValueError(f"transform: unknown preset {name!r}; valid: {', '.join(PRESETS)}")
    t = PRESETS[name]
    as_float = np.vectorize(float, otypes=[np.float64])
    BT, G, AT = (as_float(np.asarray(m)) for m in (t.BT, t.G, t.AT))
    return FloatTransform(name, BT, G, AT)
