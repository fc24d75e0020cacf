"""The interval analysis is sound (no input exceeds a derived range) and tight (constructed inputs reach
every bound). Tightness is stage-wise: output_transform's bounds are reached by accumulator values S
inside S's derived range; the whole datapath need not reach them jointly (docs/datapath.md)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint import Fmt
from simulator import DatapathConfig
from simulator.config import _kron_coefficients
from simulator.datapath import output_transform, run_stream

configs = st.builds(
    lambda m, a, k, c, ov: DatapathConfig.from_dict(
        {"matrices": m, "act_fmt": a, "u_extra_frac": k, "max_channels": c, "acc_overflow": ov}
    ),
    st.sampled_from(["lavin", "balanced"]),
    st.sampled_from(["s8.4", "u8.4", "s5.1", "u4.0", "s12.6"]),
    st.integers(0, 2),
    st.integers(1, 12),
    st.sampled_from(["WRAP", "SAT"]),
)


def stage_values(r):
    return {
        "input_transform": r.V,
        "align": r.Va,
        "neg_abs_diff": r.M,
        "channel_accumulate": r.S,
        "output_transform": r.Y,
    }


def single_accumulation(cfg, d, u):
    c = d.shape[0]
    first, last = np.zeros(c, bool), np.zeros(c, bool)
    first[0] = last[-1] = True
    return run_stream(cfg, d, u, first, last)


@given(cfg=configs, seed=st.integers(0, 2**32 - 1))
def test_random_and_extreme_inputs_stay_inside_the_derived_ranges(cfg, seed):
    rng = np.random.default_rng(seed)
    if rng.random() < 0.5:  # a narrower accumulator: SAT clamps, WRAP may take the whole format
        cfg = cfg.replace(acc_width=int(rng.integers(2, cfg.acc_width + 1)))
    a, uf = cfg.act_fmt, cfg.u_fmt
    c = cfg.max_channels
    d = rng.integers(a.min_raw, a.max_raw + 1, (c, 4, 4))
    u = rng.integers(uf.min_raw, uf.max_raw + 1, (c, 3, 4, 4))
    extreme = rng.random(d.shape) < 0.7  # adversarial: mostly format extremes
    d = np.where(extreme, rng.choice([a.min_raw, a.max_raw], d.shape), d)
    u = np.where(rng.random(u.shape) < 0.7, rng.choice([uf.min_raw, uf.max_raw], u.shape), u)
    r = single_accumulation(cfg, d, u)
    for name, values in stage_values(r).items():
        lo, hi = cfg.ranges[name]
        assert lo <= values.min() and values.max() <= hi, name
    w = cfg.widths
    for values, width in ((r.V, w.WV), (r.Va, w.WVA), (r.M, w.WM), (r.S, w.WS), (r.Y, w.WY)):
        f = Fmt(width, 0)
        assert f.min_raw <= values.min() and values.max() <= f.max_raw
    diff = u - r.Va[:, None]
    assert (
        cfg.ranges["neg_abs_diff_diff"][0] <= diff.min() and diff.max() <= cfg.ranges["neg_abs_diff_diff"][1]
    )


def extreme_tile(cfg, high: bool):
    """A 4×4 input tile that drives some V position to its derived bound, and that position."""
    coef = _kron_coefficients(cfg.transform.BT).astype(np.int64)  # (16 positions, 16 inputs)
    a = cfg.act_fmt
    lo, hi = a.min_raw, a.max_raw
    big, small = (hi, lo) if high else (lo, hi)
    values = np.where(coef > 0, big, np.where(coef < 0, small, 0))
    v = (coef * values).sum(axis=1)
    pos = int(np.argmax(v) if high else np.argmin(v))
    return values[pos].reshape(4, 4), pos


@given(cfg=configs.filter(lambda c: c.acc_width >= c.exact_acc_width))
def test_constructed_inputs_reach_every_bound(cfg):
    k = cfg.u_extra_frac
    uf = cfg.u_fmt
    reached = {}
    for high in (False, True):
        d, pos = extreme_tile(cfg, high)
        r = single_accumulation(cfg, d[None], np.zeros((1, 1, 4, 4), np.int64))
        reached.setdefault("input_transform", []).append(r.V.ravel()[pos])
        reached.setdefault("align", []).append(r.Va.ravel()[pos])
    (vlo, vhi) = cfg.ranges["input_transform"]
    assert reached["input_transform"] == [vlo, vhi] and reached["align"] == [vlo << k, vhi << k]
    # D = U − Va at its bounds; M at its most negative; S = Cmax·M at its most negative
    d_lo_tile, pos_hi = extreme_tile(cfg, True)
    d_hi_tile, pos_lo = extreme_tile(cfg, False)
    u_lo = np.zeros((1, 1, 4, 4), np.int64)
    u_lo.reshape(-1)[pos_hi] = uf.min_raw
    u_hi = np.zeros((1, 1, 4, 4), np.int64)
    u_hi.reshape(-1)[pos_lo] = uf.max_raw
    diff_lo = single_accumulation(cfg, d_lo_tile[None], u_lo)
    diff_hi = single_accumulation(cfg, d_hi_tile[None], u_hi)
    dlo, dhi = cfg.ranges["neg_abs_diff_diff"]
    assert (u_lo - diff_lo.Va[:, None]).min() == dlo and (u_hi - diff_hi.Va[:, None]).max() == dhi
    mlo, mhi = cfg.ranges["neg_abs_diff"]
    worst_tile, worst_u = (d_lo_tile, u_lo) if -dlo >= dhi else (d_hi_tile, u_hi)
    c = cfg.max_channels
    r = single_accumulation(cfg, np.repeat(worst_tile[None], c, 0), np.repeat(worst_u, c, 0))
    assert r.M.min() == mlo
    slo, shi = cfg.ranges["channel_accumulate"]
    assert r.S[-1].min() == slo
    # M's and S's upper bound: U equal to Va gives 0 when the ranges overlap (they do for these formats)
    zero = single_accumulation(cfg, d_lo_tile[None], np.clip(diff_lo.Va, uf.min_raw, uf.max_raw)[:, None])
    assert zero.M.max() == mhi and zero.S[-1].max() == shi
    # output_transform, stage-wise: S at its bounds by coefficient sign reaches both Y bounds
    coef = _kron_coefficients(cfg.transform.AT).astype(np.int64)  # (4 outputs, 16 positions)
    s_for_max = np.where(coef > 0, shi, slo).reshape(4, 4, 4)
    s_for_min = np.where(coef > 0, slo, shi).reshape(4, 4, 4)
    y_max = max(output_transform(s_for_max[i], cfg.transform.AT).ravel()[i] for i in range(4))
    y_min = min(output_transform(s_for_min[i], cfg.transform.AT).ravel()[i] for i in range(4))
    assert (y_min, y_max) == cfg.ranges["output_transform"]


def test_default_widths_are_minimal():
    cfg = DatapathConfig.default()
    w = cfg.widths
    for name, width in (
        ("input_transform", w.WV),
        ("neg_abs_diff_diff", w.WD),
        ("neg_abs_diff", w.WM),
        ("channel_accumulate", w.WS),
        ("output_transform", w.WY),
    ):
        lo, hi = cfg.ranges[name]
        narrower = Fmt(width - 1, 0)
        assert lo < narrower.min_raw or hi > narrower.max_raw, name


def reachable_output_range(cfg):
    """Exact end-to-end range of Y for exact accumulators, by enumerating the tile's vertices.

    Each channel contributes independently; for a fixed tile the best U per position gives
    M = −max(Va − Ulo, Uhi − Va) where the output coefficient is positive (to minimise Y) and M = 0 where
    it is negative (Va lies inside U's range for the defaults). The per-channel optimum is concave/convex
    in the tile, so it is attained at a vertex of the input box."""
    a = cfg.act_fmt
    bits = (np.arange(2**16)[:, None] >> np.arange(16)) & 1
    va = np.where(bits == 1, a.max_raw, a.min_raw) @ _kron_coefficients(cfg.transform.BT).astype(np.int64).T
    va = va << cfg.u_extra_frac
    assert cfg.u_fmt.min_raw <= va.min() and va.max() <= cfg.u_fmt.max_raw
    far = np.maximum(va - cfg.u_fmt.min_raw, cfg.u_fmt.max_raw - va)
    coef = _kron_coefficients(cfg.transform.AT).astype(np.int64)
    lo = min(int((-far * np.maximum(c, 0)).sum(axis=1).min()) for c in coef)
    hi = max(int((far * np.maximum(-c, 0)).sum(axis=1).max()) for c in coef)
    return lo * cfg.max_channels, hi * cfg.max_channels


def test_end_to_end_output_range_is_inside_the_stage_wise_one():
    balanced = DatapathConfig.default()
    lo, hi = reachable_output_range(balanced)
    dlo, dhi = balanced.ranges["output_transform"]
    assert dlo < lo and hi < dhi and Fmt.signed_width_for(lo, hi) == balanced.widths.WY
    lavin = balanced.replace(matrices="lavin")
    assert Fmt.signed_width_for(*reachable_output_range(lavin)) == lavin.widths.WY - 1
