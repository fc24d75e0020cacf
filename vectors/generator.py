"""Transaction generators: random and directed classes of winoadder_core input streams.

A transaction is one channel step of one tile for the P lanes: an activation tile ``d`` (4×4, activation
raw), weight tiles ``u`` (P×4×4, U raw) and the ``first``/``last`` flags. Every class yields whole
accumulations (``first`` … ``last``), so classes can be concatenated in any order. Each class draws from
its own generator seeded by ``(seed, class number)``: the same arguments always give the same stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

RANDOM_CLASSES = ("uniform", "relu", "heavy_tail", "near")
DIRECTED_CLASSES = (
    "extremes", "alternating", "transform_extremes", "ties", "acc_overflow", "channels", "zero",
)
GROUPS = {"random": RANDOM_CLASSES, "directed": DIRECTED_CLASSES}
ALL_CLASSES = RANDOM_CLASSES + DIRECTED_CLASSES
# Share of --count each random class receives (the remainder goes to the first selected class).
RANDOM_SHARE = {"uniform": 0.4, "relu": 0.2, "heavy_tail": 0.2, "near": 0.2}

CLASS_DOC = {
    "uniform": "activations and weights uniform over their raw formats, log-uniform channel counts",
    "relu": "ReLU'd Gaussian activations, Gaussian 3x3 kernels through weight preparation",
    "heavy_tail": "Student-t (df=2) activations and kernels, clipped to the formats",
    "near": "weights within a few LSBs of the aligned input transform (small |U-Va|, unsaturated outputs)",
    "extremes": "all-min / all-max activations x all-min / all-max weights, 1 and Cmax channels",
    "alternating": "checkerboard min/max activations and weights, phases alternating per channel",
    "transform_extremes": "tiles driving each V position to its bound, and S patterns driving each Y bound "
                          "(d = 0, and the extreme tile with U at its farthest bound per Y position)",
    "ties": "accumulations whose Y is an exact half output LSB (both signs, both parities)",
    "acc_overflow": "largest |M| accumulated up to, just past, and far past the accumulator's range",
    "channels": "random data with 1, 2, Cmax-1 and Cmax channels",
    "zero": "zero tiles: d = U = 0, d = 0 with random U, and U = Va (M = 0)",
}


@dataclass(frozen=True)
class Transactions:
    """A stream of transactions and which class produced each one (``classes[class_index[t]]``)."""

    d: np.ndarray  # (N, 4, 4) activation raw
    u: np.ndarray  # (N, P, 4, 4) U raw
    first: np.ndarray  # (N,) bool
    last: np.ndarray  # (N,) bool
    class_index: np.ndarray  # (N,) int
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.d)


def parse_classes(spec: str | Sequence[str], option: str = "classes") -> tuple[str, ...]:
    """Expand ``random``, ``directed`` and class names (comma separated: no empty items, none twice) into
    class names, canonical order."""
    from fixedpoint.options import name_list

    valid = (*GROUPS, *ALL_CLASSES)
    names = name_list(spec, option, valid, what="class") if isinstance(spec, str) else list(spec)
    chosen: set[str] = set()
    for name in names:
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in ALL_CLASSES:
            chosen.add(name)
        else:
            raise ValueError(f"{option}: unknown class {name!r}; valid: {', '.join(valid)}")
    if not chosen:
        raise ValueError(f"{option}: at least one class is required")
    return tuple(c for c in ALL_CLASSES if c in chosen)


def generate(cfg, count: int, seed: int, classes: str | Sequence[str] = ("random", "directed")
             ) -> Transactions:
    """Concatenate the chosen classes: random ones share ``count`` transactions, directed ones are fixed."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count: must be a non-negative integer, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    count, seed = int(count), int(seed)
    names = parse_classes(classes)
    check_budget(cfg, count, names)
    shares = _random_counts(count, [n for n in names if n in RANDOM_CLASSES])
    parts = []
    for index, name in enumerate(names):
        rng = np.random.default_rng([seed, ALL_CLASSES.index(name)])
        d, u, lengths = _GENERATORS[name](_Space(cfg), rng, shares.get(name, 0))
        parts.append((index, d, u, np.asarray(lengths, dtype=np.int64)))
    if not any(len(p[1]) for p in parts):
        raise ValueError(f"count: {count} transactions of {', '.join(names)} is an empty set; "
                         "raise --count or add directed classes")
    d = np.concatenate([p[1] for p in parts]).astype(np.int64)
    u = np.concatenate([p[2] for p in parts]).astype(np.int64)
    lengths = np.concatenate([p[3] for p in parts])
    first, last = flags_from_lengths(lengths)
    class_index = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int64) for p in parts])
    return Transactions(d, u, first, last, class_index, names)


def directed_bound(cfg) -> int:
    """An upper bound on the transactions of all directed classes (they grow with max_channels)."""
    return 32 * cfg.max_channels + 1024


def bytes_per_transaction(cfg) -> int:
    """Peak working bytes per transaction of generate + run_stream + writing (int64 d, V, Va and the P
    lanes' U, M, S, with their hex, npz and temporary copies); measured below this bound."""
    return 8 * 16 * (8 + 10 * cfg.lanes)


def check_budget(cfg, count: int, names) -> None:
    """fixedpoint.budget check of a set before any of it is drawn."""
    from fixedpoint import budget

    random_part = count if any(n in RANDOM_CLASSES for n in names) else 0
    directed_part = directed_bound(cfg) if any(n in DIRECTED_CLASSES for n in names) else 0
    option = "--count" if random_part >= directed_part else "max_channels (config)"
    per = bytes_per_transaction(cfg)
    if per * 64 > budget.limit():
        option = "lanes (config)"
    n = random_part + directed_part
    budget.check(n * per, option=option,
                 what=f"a set of up to {n} transactions with {cfg.lanes} lanes")


def flags_from_lengths(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """first/last flags of consecutive accumulations of the given channel counts."""
    lengths = np.asarray(lengths, dtype=np.int64)
    n = int(lengths.sum())
    ends = np.cumsum(lengths)
    first = np.zeros(n, dtype=bool)
    last = np.zeros(n, dtype=bool)
    first[ends - lengths] = True
    last[ends - 1] = True
    return first, last


def _random_counts(count: int, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    total = sum(RANDOM_SHARE[n] for n in names)
    counts = {n: int(count * RANDOM_SHARE[n] / total) for n in names}
    counts[names[0]] += count - sum(counts.values())
    return counts


class _Space:
    """The raw ranges and matrices of a config that the generators draw from."""

    def __init__(self, cfg):
        from simulator.datapath import align, input_transform

        self.cfg = cfg
        self.P = cfg.lanes
        self.C = cfg.max_channels
        self.K = cfg.u_extra_frac
        self.BT = np.asarray(cfg.transform.BT, dtype=np.int64)
        self.AT = np.asarray(cfg.transform.AT, dtype=np.int64)
        self.dlo, self.dhi = cfg.act_fmt.min_raw, cfg.act_fmt.max_raw
        self.ulo, self.uhi = cfg.u_fmt.min_raw, cfg.u_fmt.max_raw
        self.shift = cfg.widths.SHIFT
        self._input_transform, self._align = input_transform, align

    def aligned(self, d: np.ndarray) -> np.ndarray:
        return self._align(self._input_transform(d, self.BT), self.K)

    def d_uniform(self, rng, n):
        return rng.integers(self.dlo, self.dhi, size=(n, 4, 4), endpoint=True)

    def u_uniform(self, rng, n):
        return rng.integers(self.ulo, self.uhi, size=(n, self.P, 4, 4), endpoint=True)

    def d_full(self, value, n=1):
        return np.full((n, 4, 4), value, dtype=np.int64)

    def u_full(self, value, n=1):
        return np.full((n, self.P, 4, 4), value, dtype=np.int64)

    def d_from_float(self, x):
        raw = np.rint(x * 2.0**self.cfg.act_fmt.frac)
        return np.clip(raw, self.dlo, self.dhi).astype(np.int64)

    def u_from_kernels(self, g):
        """U raw of float kernels g (n, P, 3, 3) through the simulator's weight preparation."""
        from simulator.weights import prepare_weights

        fmt = self.cfg.act_fmt
        g = np.clip(g, -fmt.max_value, fmt.max_value)  # kernels share the activation grid's range
        return np.clip(prepare_weights(g, self.cfg), self.ulo, self.uhi).astype(np.int64)


def _log_uniform_lengths(rng, n: int, cmax: int) -> np.ndarray:
    """Channel counts log-uniform in 1..cmax summing exactly to n (the last one cut short)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.clip(np.floor(np.exp(rng.random(n) * np.log(cmax + 1))), 1, cmax).astype(np.int64)
    ends = np.cumsum(lengths)
    k = int(np.searchsorted(ends, n))
    lengths = lengths[: k + 1].copy()
    lengths[-1] -= int(ends[k]) - n
    return lengths


def _uniform(sp: _Space, rng, n):
    return sp.d_uniform(rng, n), sp.u_uniform(rng, n), _log_uniform_lengths(rng, n, sp.C)


def _relu(sp: _Space, rng, n):
    fmt = sp.cfg.act_fmt
    x = np.maximum(rng.normal(0.0, fmt.max_value / 4, size=(n, 4, 4)), 0.0)
    g = rng.normal(0.0, fmt.max_value / 8, size=(n, sp.P, 3, 3))
    return sp.d_from_float(x), sp.u_from_kernels(g), _log_uniform_lengths(rng, n, sp.C)


def _heavy_tail(sp: _Space, rng, n):
    fmt = sp.cfg.act_fmt
    x = rng.standard_t(2.0, size=(n, 4, 4)) * fmt.max_value / 16
    if not fmt.signed:
        x = np.abs(x)
    g = rng.standard_t(2.0, size=(n, sp.P, 3, 3)) * fmt.max_value / 32
    return sp.d_from_float(x), sp.u_from_kernels(g), _log_uniform_lengths(rng, n, sp.C)


def _near(sp: _Space, rng, n):
    """U = Va + noise, the noise scaled so that the accumulated Y mostly stays inside the output format."""
    lengths = _log_uniform_lengths(rng, n, sp.C)
    d = sp.d_uniform(rng, n)
    out_span = 1 << (sp.cfg.out_fmt.width - 1 + sp.shift)
    radius = np.maximum(out_span // (4 * np.repeat(lengths, lengths)), 1)
    noise = rng.integers(-radius[:, None, None, None], radius[:, None, None, None], size=(n, sp.P, 4, 4),
                         endpoint=True)
    u = np.clip(sp.aligned(d)[:, None] + noise, sp.ulo, sp.uhi)
    return d, u, lengths


def _repeat_accumulations(tiles_d, tiles_u, lengths):
    """Each (d, u) pair repeated for its accumulation length."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.repeat(tiles_d, lengths, axis=0), np.repeat(tiles_u, lengths, axis=0), lengths


def _distinct_lengths(values, cmax):
    return sorted({v for v in values if 1 <= v <= cmax})


def _extremes(sp: _Space, rng, n):
    ds, us, lengths = [], [], []
    for d_value in (sp.dlo, sp.dhi):
        for u_value in (sp.ulo, sp.uhi):
            for length in _distinct_lengths((1, sp.C), sp.C):
                ds.append(sp.d_full(d_value))
                us.append(sp.u_full(u_value))
                lengths.append(length)
    return _repeat_accumulations(np.concatenate(ds), np.concatenate(us), lengths)


def _checker(phase: int, lo: int, hi: int) -> np.ndarray:
    r, c = np.indices((4, 4))
    return np.where((r + c + phase) % 2 == 0, hi, lo).astype(np.int64)


def _alternating(sp: _Space, rng, n):
    lanes = np.arange(sp.P)
    d_tiles, u_tiles = [], []
    for step in range(4 + sp.C):
        d_phase, u_phase = (step % 2, (step // 2) % 2)
        d_tiles.append(_checker(d_phase, sp.dlo, sp.dhi))
        u_tiles.append(np.stack([_checker((u_phase + p) % 2, sp.ulo, sp.uhi) for p in lanes]))
    lengths = [1, 1, 1, 1, sp.C]
    return np.stack(d_tiles), np.stack(u_tiles), lengths


def _sign_patterns(BT: np.ndarray) -> np.ndarray:
    """(32, 4, 4) coefficient sign patterns: +/- outer(BT[i], BT[j]) for every position (i, j)."""
    outer = np.einsum("ia,jb->ijab", BT, BT).reshape(16, 4, 4)
    return np.concatenate([outer, -outer])


def _transform_extremes(sp: _Space, rng, n):
    """Tiles maximizing/minimizing every V position, against all-min/all-max U; then Y-bound S patterns."""
    signs = _sign_patterns(sp.BT)
    tiles = np.where(signs > 0, sp.dhi, np.where(signs < 0, sp.dlo, 0)).astype(np.int64)
    d = np.repeat(tiles, 2, axis=0)
    lane_parity = (np.arange(len(d))[:, None] + np.arange(sp.P)[None, :]) % 2
    u = np.broadcast_to(np.where(lane_parity == 0, sp.ulo, sp.uhi)[:, :, None, None], (len(d), sp.P, 4, 4))
    lengths = [1] * len(d)
    # The worst |M| transaction (V bound against the opposite U bound) for Cmax channels: S's bound.
    va = sp.aligned(d)
    worst = int(np.argmax(np.abs(u[:, 0] - va).max(axis=(1, 2))))
    d = np.concatenate([d, np.repeat(d[worst : worst + 1], sp.C, axis=0)])
    u = np.concatenate([u, np.repeat(u[worst : worst + 1], sp.C, axis=0)])
    lengths.append(sp.C)
    # With d = 0, M = -|U|: place the most negative M where output (i, j) has coefficient of one sign.
    y_signs = np.einsum("ia,jb->ijab", sp.AT, sp.AT).reshape(4, 4, 4)
    patterns = np.concatenate([y_signs, -y_signs])
    u_tiles = np.where(patterns < 0, sp.ulo, 0).astype(np.int64)
    u_y = np.broadcast_to(u_tiles[:, None], (len(u_tiles), sp.P, 4, 4))
    d = np.concatenate([d, np.full((len(u_tiles) * sp.C, 4, 4), 0, dtype=np.int64)])
    u = np.concatenate([u, np.repeat(u_y, sp.C, axis=0)])
    lengths += [sp.C] * len(u_tiles)
    # Past d = 0: for each Y position and sign, the tile whose Va is largest where that Y's coefficient has
    # that sign, U at the farthest bound there and U = Va elsewhere (M = 0): |Y| toward its bound.
    d_y, u_y = _y_extreme_tiles(sp, tiles, patterns)
    d = np.concatenate([d, np.repeat(d_y, sp.C, axis=0)])
    u = np.concatenate([u, np.repeat(u_y, sp.C, axis=0)])
    lengths += [sp.C] * len(d_y)
    return d, u, lengths


def _y_extreme_tiles(sp: _Space, tiles: np.ndarray, patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d, U) per Y position and sign: of the candidate tiles, the one giving the largest targeted |Y|.

    Candidates: the given tiles, and for every targeted set of positions and every choice of signs there,
    the extreme tile maximizing the signed sum of those Va (Va is linear in d: each element of d goes to
    the bound its weight's sign asks for)."""
    coef = np.einsum("ia,jb->ijab", sp.BT, sp.BT).reshape(16, 16)  # V position <- d element
    extra = []
    for pattern in patterns.reshape(len(patterns), 16) < 0:
        where = np.flatnonzero(pattern)
        signs = 1 - 2 * ((np.arange(1 << len(where))[:, None] >> np.arange(len(where))) & 1)  # (S, |T|)
        weight = signs @ coef[where]  # (S, 16)
        extra.append(np.where(weight > 0, sp.dhi, np.where(weight < 0, sp.dlo, 0)).reshape(-1, 4, 4))
    tiles = np.unique(np.concatenate([tiles, *extra]), axis=0)
    va = sp.aligned(tiles).reshape(len(tiles), 16)  # (T, 16)
    far = np.where(va >= 0, sp.ulo, sp.uhi)  # the U bound farthest from each Va
    near = np.clip(va, sp.ulo, sp.uhi)
    target = (patterns < 0).reshape(len(patterns), 16)  # where M is wanted most negative
    gain = (np.abs(far - va)[:, None, :] * target[None]).sum(axis=2)  # (T, patterns)
    best = np.argmax(gain, axis=0)
    u = np.where(target, far[best], near[best]).reshape(len(patterns), 4, 4)
    return tiles[best], np.broadcast_to(u[:, None], (len(patterns), sp.P, 4, 4)).copy()


def _ties(sp: _Space, rng, n):
    """d = 0 so M = -|U|: one S entry of -t with t an odd multiple of half an output LSB gives Y = ±t."""
    if sp.shift == 0:
        return _empty(sp)
    half = 1 << (sp.shift - 1)
    t_max = -sp.ulo  # the largest |U|, reached as U = ulo
    q_max = min((t_max // half - 1) // 2, max(sp.cfg.out_fmt.max_raw, 3) + 1)
    qs = np.array(sorted({q for q in (0, 1, 2, 3, q_max - 1, q_max) if 0 <= q <= q_max}), dtype=np.int64)
    if not len(qs):  # no representable U reaches half an output LSB: the class is empty for this config
        return _empty(sp)
    ts = (2 * qs + 1) * half
    d, u, lengths = [], [], []
    for pos in range(16):
        for k in range(len(ts)):
            tile = np.zeros((sp.P, 16), dtype=np.int64)
            tile[:, pos] = -ts[(k + np.arange(sp.P)) % len(ts)]
            d.append(np.zeros((4, 4), dtype=np.int64))
            u.append(tile.reshape(sp.P, 4, 4))
            lengths.append(1)
            if sp.C >= 2:  # the same S split over two channels
                part = tile // 2
                d += [np.zeros((4, 4), dtype=np.int64)] * 2
                u += [part.reshape(sp.P, 4, 4), (tile - part).reshape(sp.P, 4, 4)]
                lengths.append(2)
    return np.stack(d), np.stack(u), lengths


def _acc_overflow(sp: _Space, rng, n):
    """d = 0, U = ulo gives M = ulo everywhere; lengths around the first one that leaves the accumulator,
    and exact sums of acc_min and acc_min - 1 (SAT: the minimum; WRAP: the maximum)."""
    acc_min = sp.cfg.acc_fmt.min_raw
    crossing = -acc_min // -sp.ulo + 1
    lengths = _distinct_lengths((crossing - 1, crossing, crossing + 1, sp.C), sp.C)
    tiles_d = np.full((len(lengths), 4, 4), 0, dtype=np.int64)
    tiles_u = sp.u_full(sp.ulo, len(lengths))
    d, u, lengths = _repeat_accumulations(tiles_d, tiles_u, lengths)
    parts_u, parts_len = [u], list(lengths)
    for target in (acc_min, acc_min - 1):
        full, rest = target // sp.ulo, target % sp.ulo  # target = full·ulo + rest, ulo < rest <= 0
        channels = [sp.ulo] * full + ([rest] if rest else [])
        if 1 <= len(channels) <= sp.C:
            parts_u.append(np.stack([sp.u_full(m)[0] for m in channels]))
            parts_len.append(len(channels))
    u = np.concatenate(parts_u)
    d = np.zeros((len(u), 4, 4), dtype=np.int64)
    # Random activations against the U bound farthest from each Va: the largest |D| for that input.
    dr = sp.d_uniform(rng, sp.C)
    ur = np.where(sp.aligned(dr) >= 0, sp.ulo, sp.uhi)[:, None].repeat(sp.P, axis=1)
    return np.concatenate([d, dr]), np.concatenate([u, ur]), parts_len + [sp.C]


def _channels(sp: _Space, rng, n):
    lengths = _distinct_lengths((1, 2, sp.C - 1, sp.C), sp.C)
    total = sum(lengths)
    return sp.d_uniform(rng, total), sp.u_uniform(rng, total), lengths


def _zero(sp: _Space, rng, n):
    lengths = _distinct_lengths((1, sp.C), sp.C)
    d = [np.full((sum(lengths), 4, 4), 0, dtype=np.int64)]
    u = [sp.u_full(0, sum(lengths))]
    d.append(np.full((4, 4, 4), 0, dtype=np.int64))
    u.append(sp.u_uniform(rng, 4))
    dr = sp.d_uniform(rng, 4 + sp.C)
    d.append(dr)
    u.append(np.clip(sp.aligned(dr), sp.ulo, sp.uhi)[:, None].repeat(sp.P, axis=1))
    return np.concatenate(d), np.concatenate(u), lengths + [1] * 8 + [sp.C]


def _empty(sp: _Space):
    return np.zeros((0, 4, 4), dtype=np.int64), np.zeros((0, sp.P, 4, 4), dtype=np.int64), []


_GENERATORS: dict[str, Callable] = {
    "uniform": _uniform,
    "relu": _relu,
    "heavy_tail": _heavy_tail,
    "near": _near,
    "extremes": _extremes,
    "alternating": _alternating,
    "transform_extremes": _transform_extremes,
    "ties": _ties,
    "acc_overflow": _acc_overflow,
    "channels": _channels,
    "zero": _zero,
}


LAYER_CLASS = "layer"
CLASS_DOC[LAYER_CLASS] = "a real layer's activations and weights: every 2x2 output tile, lane group, channel"


def layer_transactions(cfg, x_raw: np.ndarray, u: np.ndarray, *, padding: int = 1, limit: int = 0
                       ) -> Transactions:
    """The transactions of a conv layer (raw activations (N,C,H,W), raw U (O,C,4,4)) as one class.

    One accumulation per (image, 2x2 output tile, group of P output channels) over the C input channels,
    in that order; output channels beyond O in the last group get U = 0. ``limit`` > 0 keeps the first
    accumulations that fit in ``limit`` transactions (at least one).
    """
    from simulator.tiling import TileGrid

    x_raw, u = np.asarray(x_raw, dtype=np.int64), np.asarray(u, dtype=np.int64)
    if x_raw.ndim != 4 or u.ndim != 4 or u.shape[2:] != (4, 4) or u.shape[1] != x_raw.shape[1]:
        raise ValueError(f"layer: activations (N,C,H,W) and U (O,C,4,4) with the same C, got {x_raw.shape} "
                         f"and {u.shape}")
    channels = x_raw.shape[1]
    if channels > cfg.max_channels:
        raise ValueError(f"layer: {channels} input channels exceed the config's max_channels = "
                         f"{cfg.max_channels}")
    grid = TileGrid.for_input(x_raw.shape, padding)
    xp = grid.padded(x_raw)  # (N, Hp, Wp, C)
    rows = (2 * np.arange(grid.nth))[:, None] + np.arange(4)[None, :]  # (nth, 4)
    cols = (2 * np.arange(grid.ntw))[:, None] + np.arange(4)[None, :]
    tiles = xp[:, rows[:, None, :, None], cols[None, :, None, :], :]  # (N, nth, ntw, 4, 4, C)
    tiles = tiles.reshape(-1, 4, 4, channels).transpose(0, 3, 1, 2)  # (T, C, 4, 4)
    P = cfg.lanes
    groups = -(-u.shape[0] // P)
    u_pad = np.zeros((groups * P, channels, 4, 4), dtype=np.int64)
    u_pad[: u.shape[0]] = u
    u_groups = u_pad.reshape(groups, P, channels, 4, 4).transpose(0, 2, 1, 3, 4)  # (G, C, P, 4, 4)
    accumulations = len(tiles) * groups
    if limit > 0:
        accumulations = min(accumulations, max(limit // channels, 1))
    acc = np.arange(accumulations)
    tile_of, group_of = acc // groups, acc % groups
    d = tiles[tile_of].reshape(-1, 4, 4)
    w = u_groups[group_of].reshape(-1, P, 4, 4)
    first, last = flags_from_lengths(np.full(accumulations, channels, dtype=np.int64))
    return Transactions(d, w, first, last, np.zeros(len(d), dtype=np.int64), (LAYER_CLASS,))


def concatenate(parts: Sequence[Transactions]) -> Transactions:
    """One stream of several (their classes renumbered in order; class names must be distinct)."""
    names = tuple(n for t in parts for n in t.classes)
    if len(set(names)) != len(names):
        raise ValueError(f"classes: a class appears twice in {', '.join(names)}")
    offsets = np.cumsum([0] + [len(t.classes) for t in parts])
    return Transactions(np.concatenate([t.d for t in parts]), np.concatenate([t.u for t in parts]),
                        np.concatenate([t.first for t in parts]), np.concatenate([t.last for t in parts]),
                        np.concatenate([t.class_index + o for t, o in zip(parts, offsets, strict=False)]),
                        names)
