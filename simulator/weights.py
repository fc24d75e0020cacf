"""Weight preparation: float kernels g (O,C,3,3) → raw U (O,C,4,4) on the U grid."""

from __future__ import annotations

import numpy as np

from fixedpoint import CastStats, Overflow, from_float
from simulator.config import DatapathConfig

WEIGHT_OVERFLOW = Overflow.SAT
MAX_KERNEL = 2.0**1000  # |g| beyond it could overflow G g Gᵀ in float64; any u_fmt saturates far below


def prepare_weights(g, cfg: DatapathConfig, stats: CastStats | None = None) -> np.ndarray:
    """U = G g Gᵀ (float64), rounded onto ``cfg.u_fmt`` with ``cfg.weight_rounding`` and saturated.

    G g Gᵀ is exact in float64 whenever g needs at most ~50 significant bits (e.g. g on a fixed-point
    grid); values outside u_fmt saturate and are counted in ``stats``.
    """
    g = np.asarray(g)
    if g.ndim != 4 or g.shape[2:] != (3, 3):
        raise ValueError(f"weights: expected float kernels of shape (O, C, 3, 3), got {g.shape}")
    if g.dtype.kind not in "fiu":
        raise ValueError(f"weights: expected real numbers, got dtype {g.dtype}")
    g = g.astype(np.float64)
    bad = ~np.isfinite(g) | (np.abs(g) > MAX_KERNEL)  # checked before G g Gᵀ could overflow to inf/NaN
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"weights: {int(bad.sum())} values are NaN, infinite or beyond ±2^1000, first at "
                         f"index {first}")
    G = cfg.transform.G_float
    U = G @ g @ G.T
    return from_float(U, cfg.u_fmt, cfg.weight_rounding, WEIGHT_OVERFLOW, stats=stats)
