"""Coverage of a vector set: how many transactions hit each event class, and which transaction class hit it.

An event is counted once per transaction (output events once per output, i.e. on the ``last``
transaction of an accumulation). ``applicable`` says whether the config allows the event at all (no tie
without a rounding shift, no accumulator overflow with an exact-width accumulator, ...); the directed
classes exist to make every applicable event non-zero.
"""

from __future__ import annotations

import numpy as np

# Stages whose analysed range bounds are tracked: (key in cfg.ranges, array, per output, bound targeted).
# The output-transform bound assumes the 16 accumulator entries independent; they are coupled through the
# shared input tile, so its bound is sound but in general not reached: tracked, not targeted.
STAGE_EXTREMES = (
    ("input", "d", False, True),
    ("weights", "u", False, True),
    ("input_transform", "V", False, True),
    ("align", "Va", False, True),
    ("neg_abs_diff_diff", "D", False, True),
    ("neg_abs_diff", "M", False, True),
    ("channel_accumulate", "S", False, True),
    ("output_transform", "Y", True, False),
    ("requantize", "out", True, True),
)


def event_masks(cfg, tx, res) -> dict[str, tuple[bool, str, np.ndarray]]:
    """Every event: (applicable, description, per-transaction bool mask)."""
    from fixedpoint import Fmt, cast

    last = tx.last
    n = len(tx)
    events: dict[str, tuple[bool, str, np.ndarray]] = {}
    lengths = _accumulation_lengths(tx.first, tx.last)
    events["single_channel"] = (True, "first = last (one-channel accumulation)", tx.first & last)
    events["max_channels"] = (True, f"accumulation of Cmax = {cfg.max_channels} channels",
                              last & (lengths == cfg.max_channels))
    events["zero_tile"] = (True, "activation and weight tiles all zero",
                           ~tx.d.reshape(n, -1).any(axis=1) & ~tx.u.reshape(n, -1).any(axis=1))

    acc_min = cfg.acc_fmt.min_raw
    m_lo = cfg.ranges["neg_abs_diff"][0]
    exact = _exact_running_sum(res.M, tx.first)
    mode = str(cfg.acc_overflow)
    events[f"acc_overflow_{mode.lower()}"] = (
        cfg.max_channels * m_lo < acc_min,
        f"exact channel sum leaves the s{cfg.acc_width} accumulator ({mode})",
        last & (exact.reshape(n, -1) < acc_min).any(axis=1),
    )

    shift = cfg.widths.SHIFT
    y = res.Y.reshape(n, -1)
    half = 1 << max(shift - 1, 0)
    tie = ((y & ((1 << shift) - 1)) == half) if shift else np.zeros_like(y, dtype=bool)
    rule = f"requantizer tie ({cfg.rounding}): Y an exact half output LSB"
    events["tie_positive"] = (shift > 0, rule + ", Y > 0", last & (tie & (y > 0)).any(axis=1))
    events["tie_negative"] = (shift > 0, rule + ", Y < 0", last & (tie & (y < 0)).any(axis=1))

    out = cfg.out_fmt
    wide = Fmt(62, out.frac, True)
    rounded = cast(y, cfg.y_fmt, wide, cfg.rounding).reshape(n, -1)
    y_range = cast(np.array(cfg.ranges["output_transform"], dtype=np.int64), cfg.y_fmt, wide, cfg.rounding)
    events["requant_sat_high"] = (int(y_range[1]) > out.max_raw, f"rounded Y above {out} ({cfg.overflow})",
                                  last & (rounded > out.max_raw).any(axis=1))
    events["requant_sat_low"] = (int(y_range[0]) < out.min_raw, f"rounded Y below {out} ({cfg.overflow})",
                                 last & (rounded < out.min_raw).any(axis=1))

    arrays = {"d": tx.d, "u": tx.u, "V": res.V, "Va": res.Va, "D": tx.u - res.Va[:, None], "M": res.M,
              "S": res.S, "Y": res.Y, "out": res.out}
    for stage, key, per_output, targeted in STAGE_EXTREMES:
        lo, hi = reachable_bounds(cfg, stage)
        flat = arrays[key].reshape(n, -1)
        gate = last if per_output else np.ones(n, dtype=bool)
        events[f"{stage}_min"] = (targeted, f"{stage} reaches its range minimum {lo}",
                                  gate & (flat == lo).any(axis=1))
        events[f"{stage}_max"] = (targeted, f"{stage} reaches its range maximum {hi}",
                                  gate & (flat == hi).any(axis=1))
    return events


def stage_ranges(cfg, tx, res) -> dict[str, dict]:
    """Per stage: the analysed raw range (the format's bound) and the range the vectors reached."""
    arrays = {"d": tx.d, "u": tx.u, "V": res.V, "Va": res.Va, "D": tx.u - res.Va[:, None], "M": res.M,
              "S": res.S, "Y": res.Y[tx.last], "out": res.out[tx.last]}
    table = {}
    for stage, key, _per_output, _targeted in STAGE_EXTREMES:
        values = arrays[key]
        observed = [int(values.min()), int(values.max())] if values.size else None
        table[stage] = {"bound": list(reachable_bounds(cfg, stage)), "observed": observed}
    return table


def reachable_bounds(cfg, stage: str) -> tuple[int, int]:
    """cfg.ranges[stage]; a SAT_SYM signed output never holds the format minimum: its bound is -max."""
    lo, hi = (int(b) for b in cfg.ranges[stage])
    if stage == "requantize" and str(cfg.overflow) == "SAT_SYM" and cfg.out_fmt.signed:
        lo = max(lo, -cfg.out_fmt.max_raw)
    return lo, hi


def coverage(cfg, tx, res) -> dict[str, dict]:
    """JSON-able coverage: per event, applicable, description, hits and hits per transaction class."""
    table = {}
    for name, (applicable, description, mask) in event_masks(cfg, tx, res).items():
        by_class = np.bincount(tx.class_index[mask], minlength=len(tx.classes))
        table[name] = {
            "applicable": bool(applicable),
            "description": description,
            "hits": int(mask.sum()),
            "by_class": {c: int(k) for c, k in zip(tx.classes, by_class, strict=True) if k},
        }
    return table


def coverage_rows(table: dict[str, dict]) -> list[list]:
    """Rows for tabulate: event, applicable, hits, the classes that hit it."""
    rows = []
    for name, entry in table.items():
        classes = ", ".join(f"{c}:{k}" for c, k in entry["by_class"].items())
        rows.append([name, "yes" if entry["applicable"] else "no", entry["hits"], classes])
    return rows


def missed(table: dict[str, dict], ignore=()) -> list[str]:
    """Applicable events with no hit."""
    return [n for n, e in table.items() if e["applicable"] and e["hits"] == 0 and n not in ignore]


def _accumulation_lengths(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per transaction: the channel count of the accumulation it ends (0 where not last)."""
    index = np.arange(len(first))
    start = np.maximum.accumulate(np.where(first, index, 0))
    return np.where(last, index - start + 1, 0)


def _exact_running_sum(m: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Σ M since the accumulation began, without any overflow (int64)."""
    total = np.cumsum(m, axis=0)
    index = np.arange(len(first))
    start = np.maximum.accumulate(np.where(first, index, 0))
    before = np.where((start > 0)[:, None, None, None], total[np.maximum(start - 1, 0)], 0)
    return total - before
