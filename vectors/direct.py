"""Transaction classes and coverage for adder_pe_direct vector sets (``winoadder vectors --top
adder_pe_direct``).

A direct transaction is one channel step of one tile for the P lanes: an activation tile ``d`` (4×4,
activation raw), 3×3 kernels ``g`` (P×3×3, on the activation grid: ``simulator.direct.weight_fmt``) and
the ``first``/``last`` flags. As for the core, every class yields whole accumulations and draws from its
own generator seeded by ``(seed, class number)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vectors.generator import _distinct_lengths, _log_uniform_lengths, flags_from_lengths

DIRECT_RANDOM = ("uniform", "relu")
DIRECT_DIRECTED = ("extremes", "alternating", "channels", "zero")
DIRECT_GROUPS = {"random": DIRECT_RANDOM, "directed": DIRECT_DIRECTED}
DIRECT_CLASSES = DIRECT_RANDOM + DIRECT_DIRECTED
DIRECT_SHARE = {"uniform": 0.6, "relu": 0.4}
DIRECT_CLASS_DOC = {
    "uniform": "activations and kernels uniform over their raw formats, log-uniform channel counts",
    "relu": "ReLU'd Gaussian activations, Gaussian kernels on the activation grid",
    "extremes": "all-min / all-max activations x all-min / all-max kernels, 1 and Cmax channels",
    "alternating": "checkerboard min/max activations and kernels, phases alternating per channel",
    "channels": "random data with 1, 2, Cmax-1 and Cmax channels",
    "zero": "zero tiles and kernels, and kernels equal to the window (M = 0)",
}


@dataclass(frozen=True)
class DirectTransactions:
    """A stream of direct-PE transactions and which class produced each one."""

    d: np.ndarray  # (N, 4, 4) activation raw
    g: np.ndarray  # (N, P, 3, 3) weight raw
    first: np.ndarray
    last: np.ndarray
    class_index: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.d)


def parse_direct_classes(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Expand ``random``, ``directed`` and direct class names into class names, canonical order."""
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    chosen: set[str] = set()
    for name in names:
        if name in DIRECT_GROUPS:
            chosen.update(DIRECT_GROUPS[name])
        elif name in DIRECT_CLASSES:
            chosen.add(name)
        else:
            valid = ", ".join((*DIRECT_GROUPS, *DIRECT_CLASSES))
            raise ValueError(f"classes: unknown class {name!r} for adder_pe_direct; valid: {valid}")
    if not chosen:
        raise ValueError("classes: at least one class is required")
    return tuple(c for c in DIRECT_CLASSES if c in chosen)


def generate_direct(cfg, count: int, seed: int, classes="random,directed") -> DirectTransactions:
    """Concatenate the chosen classes: random ones share ``count`` transactions, directed ones are fixed."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count: must be a non-negative integer, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    names = parse_direct_classes(classes)
    randoms = [n for n in names if n in DIRECT_RANDOM]
    total = sum(DIRECT_SHARE[n] for n in randoms)
    shares = {n: int(count * DIRECT_SHARE[n] / total) for n in randoms}
    if randoms:
        shares[randoms[0]] += count - sum(shares.values())
    space = _DirectSpace(cfg)
    parts = []
    for index, name in enumerate(names):
        rng = np.random.default_rng([seed, 100 + DIRECT_CLASSES.index(name)])
        d, g, lengths = _DIRECT_GENERATORS[name](space, rng, shares.get(name, 0))
        parts.append((index, d, g, np.asarray(lengths, dtype=np.int64)))
    if not any(len(p[1]) for p in parts):
        raise ValueError(f"count: {count} transactions of {', '.join(names)} is an empty set; "
                         "raise --count or add directed classes")
    d = np.concatenate([p[1] for p in parts]).astype(np.int64)
    g = np.concatenate([p[2] for p in parts]).astype(np.int64)
    first, last = flags_from_lengths(np.concatenate([p[3] for p in parts]))
    class_index = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int64) for p in parts])
    return DirectTransactions(d, g, first, last, class_index, names)


class _DirectSpace:
    def __init__(self, cfg):
        from simulator.direct import weight_fmt

        self.cfg = cfg
        self.P = cfg.lanes
        self.C = cfg.max_channels
        self.dlo, self.dhi = cfg.act_fmt.min_raw, cfg.act_fmt.max_raw
        g_fmt = weight_fmt(cfg)
        self.glo, self.ghi = g_fmt.min_raw, g_fmt.max_raw

    def d_uniform(self, rng, n):
        return rng.integers(self.dlo, self.dhi, size=(n, 4, 4), endpoint=True)

    def g_uniform(self, rng, n):
        return rng.integers(self.glo, self.ghi, size=(n, self.P, 3, 3), endpoint=True)


def _uniform(sp, rng, n):
    return sp.d_uniform(rng, n), sp.g_uniform(rng, n), _log_uniform_lengths(rng, n, sp.C)


def _relu(sp, rng, n):
    x = np.maximum(rng.normal(0.0, sp.dhi / 4, size=(n, 4, 4)), 0.0)
    g = rng.normal(0.0, sp.ghi / 8, size=(n, sp.P, 3, 3))
    d = np.clip(np.rint(x), sp.dlo, sp.dhi).astype(np.int64)
    g = np.clip(np.rint(g), sp.glo, sp.ghi).astype(np.int64)
    return d, g, _log_uniform_lengths(rng, n, sp.C)


def _extremes(sp, rng, n):
    ds, gs, lengths = [], [], []
    for d_value in (sp.dlo, sp.dhi):
        for g_value in (sp.glo, sp.ghi):
            for length in _distinct_lengths((1, sp.C), sp.C):
                ds.append(np.full((length, 4, 4), d_value, dtype=np.int64))
                gs.append(np.full((length, sp.P, 3, 3), g_value, dtype=np.int64))
                lengths.append(length)
    return np.concatenate(ds), np.concatenate(gs), lengths


def _checker(shape, phase, lo, hi):
    idx = np.indices(shape).sum(axis=0)
    return np.where((idx + phase) % 2 == 0, hi, lo).astype(np.int64)


def _alternating(sp, rng, n):
    steps = 4 + sp.C
    d = np.stack([_checker((4, 4), s % 2, sp.dlo, sp.dhi) for s in range(steps)])
    g = np.stack([np.stack([_checker((3, 3), (s // 2 + p) % 2, sp.glo, sp.ghi) for p in range(sp.P)])
                  for s in range(steps)])
    return d, g, [1, 1, 1, 1, sp.C]


def _channels(sp, rng, n):
    lengths = _distinct_lengths((1, 2, sp.C - 1, sp.C), sp.C)
    total = sum(lengths)
    return sp.d_uniform(rng, total), sp.g_uniform(rng, total), lengths


def _zero(sp, rng, n):
    """Zero tiles and kernels; then each lane's kernel equal to the tile's top-left window (M = 0 there)."""
    d0 = np.zeros((2, 4, 4), dtype=np.int64)
    g0 = np.zeros((2, sp.P, 3, 3), dtype=np.int64)
    dr = np.clip(sp.d_uniform(rng, 2), max(sp.dlo, sp.glo), min(sp.dhi, sp.ghi))
    gr = np.repeat(dr[:, None, :3, :3], sp.P, axis=1)
    return np.concatenate([d0, dr]), np.concatenate([g0, gr]), [1, 1, 2]


_DIRECT_GENERATORS = {
    "uniform": _uniform,
    "relu": _relu,
    "extremes": _extremes,
    "alternating": _alternating,
    "channels": _channels,
    "zero": _zero,
}


def direct_coverage(cfg, tx: DirectTransactions, res) -> dict[str, dict]:
    """The direct set's coverage, in vectors.coverage's table format."""
    from simulator.direct import weight_fmt
    from vectors.coverage import _accumulation_lengths

    n = len(tx)
    last = tx.last
    lengths = _accumulation_lengths(tx.first, last)
    out = res.out.reshape(n, -1)
    fmt = cfg.out_fmt
    m = res.M.reshape(n, -1)
    g_fmt = weight_fmt(cfg)
    m_lo = -max(g_fmt.max_raw - cfg.act_fmt.min_raw, cfg.act_fmt.max_raw - g_fmt.min_raw)
    events = {
        "single_channel": (True, "first = last (one-channel accumulation)", tx.first & last),
        "max_channels": (True, f"accumulation of Cmax = {cfg.max_channels} channels",
                         last & (lengths == cfg.max_channels)),
        "zero_window": (True, "a window sum of 0 (kernel equal to its window)", (m == 0).any(axis=1)),
        "window_min": (True, f"a window sum at its minimum 9 * {m_lo}", (m == 9 * m_lo).any(axis=1)),
        "out_zero": (True, "an output of 0", last & (out == 0).any(axis=1)),
        "out_at_min": (True, f"an output at {fmt}'s minimum", last & (out == fmt.min_raw).any(axis=1)),
    }
    table = {}
    for name, (applicable, description, mask) in events.items():
        by_class = np.bincount(tx.class_index[mask], minlength=len(tx.classes))
        table[name] = {"applicable": bool(applicable), "description": description, "hits": int(mask.sum()),
                       "by_class": {c: int(k) for c, k in zip(tx.classes, by_class, strict=True) if k}}
    return table


def direct_stage_ranges(cfg, tx: DirectTransactions, res) -> dict[str, dict]:
    """Per stage of the direct PE: the raw bound and the range the vectors reached."""
    from simulator.direct import weight_fmt
    from simulator.rtl_params import direct_pe_parameters

    p = direct_pe_parameters(cfg)
    g_fmt = weight_fmt(cfg)
    m_lo = -max(g_fmt.max_raw - cfg.act_fmt.min_raw, cfg.act_fmt.max_raw - g_fmt.min_raw)
    out = cfg.out_fmt
    table = {
        "input": ((cfg.act_fmt.min_raw, cfg.act_fmt.max_raw), tx.d),
        "weights": ((g_fmt.min_raw, g_fmt.max_raw), tx.g),
        "window_sum": ((9 * m_lo, 0), res.M),
        "channel_accumulate": ((9 * m_lo * cfg.max_channels, 0), res.S[tx.last]),
        "requantize": ((out.min_raw, out.max_raw), res.out[tx.last]),
    }
    assert table["channel_accumulate"][0][0] >= -(1 << (p["WS"] - 1))
    return {stage: {"bound": [int(lo), int(hi)],
                    "observed": [int(values.min()), int(values.max())] if values.size else None}
            for stage, ((lo, hi), values) in table.items()}
