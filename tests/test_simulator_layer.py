"""conv_layer against per-tile evaluation of windows cut out by hand, and its statistics."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulator.tiling
from fixedpoint import Fmt, to_float
from simulator import DatapathConfig
from simulator.datapath import (
    align,
    channel_accumulate,
    input_transform,
    neg_abs_diff,
    output_transform,
    requantize,
)
from simulator.layer import conv_layer
from simulator.reference import winograd_adder_conv


def raw(rng, fmt: Fmt, shape, extreme_share=0.2):
    x = rng.integers(fmt.min_raw, fmt.max_raw + 1, shape)
    return np.where(rng.random(shape) < extreme_share, rng.choice([fmt.min_raw, fmt.max_raw], shape), x)


def by_hand(cfg, x, u, padding):
    """Cut every 4×4 window (stride 2) out of the zero-padded input and run the stage functions on it."""
    n, c, h, w = x.shape
    ho, wo = h + 2 * padding - 2, w + 2 * padding - 2
    nth, ntw = -(-ho // 2), -(-wo // 2)
    xp = np.zeros((n, c, 2 * nth + 2, 2 * ntw + 2), dtype=np.int64)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    y = np.zeros((n, u.shape[0], 2 * nth, 2 * ntw), dtype=np.int64)
    m_all = []
    for i in range(nth):
        for j in range(ntw):
            d = xp[:, :, 2 * i : 2 * i + 4, 2 * j : 2 * j + 4]  # (N, C, 4, 4)
            va = align(input_transform(d, cfg.transform.BT), cfg.u_extra_frac)
            m = neg_abs_diff(u[None], va[:, None])  # (N, O, C, 4, 4)
            m_all.append(m)
            s = channel_accumulate(m, cfg.acc_fmt, cfg.acc_overflow, axis=2)
            y[:, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = output_transform(s, cfg.transform.AT)
    y = y[:, :, :ho, :wo]
    return y, requantize(y, cfg), np.stack(m_all)


shapes = st.tuples(
    st.integers(1, 2),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 2),
).filter(lambda s: s[3] + 2 * s[5] >= 3 and s[4] + 2 * s[5] >= 3)


@given(
    shape=shapes,
    matrices=st.sampled_from(["lavin", "balanced"]),
    act=st.sampled_from(["s8.4", "u6.3"]),
    k=st.integers(0, 2),
    narrow=st.booleans(),
    acc_overflow=st.sampled_from(["WRAP", "SAT"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_layer_equals_windows_cut_out_by_hand(shape, matrices, act, k, narrow, acc_overflow, seed):
    n, c, o, h, w, padding = shape
    cfg = DatapathConfig.from_dict(
        {
            "matrices": matrices,
            "act_fmt": act,
            "u_extra_frac": k,
            "max_channels": 4,
            "acc_overflow": acc_overflow,
        }
    )
    rng = np.random.default_rng(seed)
    if narrow:
        cfg = cfg.replace(acc_width=int(rng.integers(2, cfg.acc_width)))
    x, u = raw(rng, cfg.act_fmt, (n, c, h, w)), raw(rng, cfg.u_fmt, (o, c, 4, 4))
    r = conv_layer(cfg, x, u, padding=padding, exact_stats=True)
    y, out, m = by_hand(cfg, x, u, padding)
    assert r.out.shape == (n, o, h + 2 * padding - 2, w + 2 * padding - 2)
    assert np.array_equal(r.y, y) and np.array_equal(r.out, out)
    nm = r.stats["neg_abs_diff"]
    assert (nm.min, nm.max, nm.count) == (m.min(), m.max(), m.size)
    # the accumulator overflows exactly where the exact channel sum leaves its format
    assert r.stats["channel_accumulate"].overflows == np.count_nonzero(m.sum(axis=3) < cfg.acc_fmt.min_raw)
    if not narrow:  # exact widths: Y is the float64 reference on the dequantized values, times 2^frac(Y)
        ref = winograd_adder_conv(to_float(x, cfg.act_fmt), to_float(u, cfg.u_fmt), cfg.transform, padding)
        assert np.array_equal(ref * 2.0**cfg.y_fmt.frac, r.y)


def test_channel_permutation_leaves_the_layer_unchanged():
    rng = np.random.default_rng(3)
    for overflow in ("WRAP", "SAT"):
        cfg = DatapathConfig.default().replace(acc_width=14, acc_overflow=overflow, max_channels=16)
        x, u = raw(rng, cfg.act_fmt, (1, 16, 6, 5)), raw(rng, cfg.u_fmt, (3, 16, 4, 4))
        r = conv_layer(cfg, x, u)
        assert r.stats["channel_accumulate"].overflows > 0
        perm = rng.permutation(16)
        assert np.array_equal(conv_layer(cfg, x[:, perm], u[:, perm]).y, r.y)


def test_blocking_over_images_and_tile_rows_gives_the_same_result(monkeypatch):
    cfg = DatapathConfig.default().replace(acc_width=15)
    rng = np.random.default_rng(4)
    x, u = raw(rng, cfg.act_fmt, (3, 5, 9, 8)), raw(rng, cfg.u_fmt, (4, 5, 4, 4))
    whole = conv_layer(cfg, x, u)
    for block_bytes in (16 * 8 * 18 * 40, 16 * 8 * 18 * 5, 1):  # two images, one tile row, one tile
        monkeypatch.setattr(simulator.tiling, "BLOCK_BYTES", block_bytes)
        part = conv_layer(cfg, x, u)
        assert np.array_equal(part.out, whole.out) and np.array_equal(part.y, whole.y)
        assert part.stats == whole.stats


def test_int64_path_for_widths_beyond_float64():
    cfg = DatapathConfig.from_dict({"act_fmt": "s30.0", "max_channels": 2**18, "acc_overflow": "WRAP"})
    assert cfg.widths.WY >= 53
    rng = np.random.default_rng(5)
    x, u = raw(rng, cfg.act_fmt, (1, 3, 5, 4), 0.5), raw(rng, cfg.u_fmt, (2, 3, 4, 4), 0.5)
    r = conv_layer(cfg, x, u, exact_stats=True)
    y, out, m = by_hand(cfg, x, u, 1)
    assert np.array_equal(r.y, y) and np.array_equal(r.out, out)
    assert (r.stats["neg_abs_diff"].min, r.stats["neg_abs_diff"].max) == (m.min(), m.max())


def test_keep_stages_returns_the_stage_arrays_of_the_first_tiles():
    cfg = DatapathConfig.default()
    rng = np.random.default_rng(6)
    x, u = raw(rng, cfg.act_fmt, (2, 3, 5, 7)), raw(rng, cfg.u_fmt, (2, 3, 4, 4))
    r = conv_layer(cfg, x, u, keep_stages=7)
    st_ = r.stages
    assert st_["d"].shape == (7, 3, 4, 4) and st_["M"].shape == (7, 2, 3, 4, 4)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 3), (1, 3)))
    y_full = np.pad(r.y, ((0, 0), (0, 0), (0, 1), (0, 1)))
    for k, (n, i, j) in enumerate(st_["tiles"]):
        assert np.array_equal(st_["d"][k], xp[n, :, 2 * i : 2 * i + 4, 2 * j : 2 * j + 4])
        ys = y_full[n, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        valid = (slice(None), slice(0, min(2, 5 - 2 * i)), slice(0, min(2, 7 - 2 * j)))
        assert np.array_equal(st_["Y"][k][valid], ys[valid])
    assert np.array_equal(st_["out"], requantize(st_["Y"], cfg))
    assert conv_layer(cfg, x, u, keep_stages=True).stages["S"].shape[0] == 2 * 3 * 4


def test_statistics_stay_inside_the_derived_ranges_and_count_requantize_overflows():
    cfg = DatapathConfig.default()
    rng = np.random.default_rng(7)
    x, u = raw(rng, cfg.act_fmt, (1, 8, 6, 6), 0.5), raw(rng, cfg.u_fmt, (4, 8, 4, 4), 0.5)
    r = conv_layer(cfg, x, u, exact_stats=True)
    for name, s in r.stats.items():
        lo, hi = cfg.ranges[name]
        assert lo <= s.min <= s.max <= hi, name
    saturated = (r.y >> cfg.widths.SHIFT) + 1 < cfg.out_fmt.min_raw
    assert r.stats["requantize"].overflows >= np.count_nonzero(saturated) > 0


@pytest.mark.parametrize(
    "x_shape, u_shape, padding, message",
    [
        ((1, 3, 4, 4), (2, 2, 4, 4), 1, r"^u: expected shape \(O, 3, 4, 4\)"),
        ((3, 4, 4), (2, 3, 4, 4), 1, r"^x: expected shape \(N, C, H, W\)"),
        ((1, 3, 1, 4), (2, 3, 4, 4), 0, r"^x: a 1×4 input with padding 0"),
        ((1, 3, 4, 4), (2, 3, 4, 4), -1, r"^padding: "),
        ((1, 65, 4, 4), (2, 65, 4, 4), 1, r"^x: 65 input channels exceed max_channels=64"),
        ((1, 0, 4, 4), (2, 0, 4, 4), 1, r"^x/u: need at least one image"),
    ],
)
def test_bad_layer_arguments_are_named(x_shape, u_shape, padding, message):
    with pytest.raises(ValueError, match=message):
        conv_layer(DatapathConfig.default(), np.zeros(x_shape, int), np.zeros(u_shape, int), padding=padding)


def test_out_of_range_raw_values_are_rejected():
    cfg = DatapathConfig.default()
    with pytest.raises(ValueError, match=r"^x: raw value 200 outside s8.4"):
        conv_layer(cfg, np.full((1, 1, 3, 3), 200), np.zeros((1, 1, 4, 4), int))
    with pytest.raises(ValueError, match=r"^x: expected integer raw values"):
        conv_layer(cfg, np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4), int))
