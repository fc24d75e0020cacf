"""Float64 references against brute-force loops, the Winograd identity, and weight preparation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint import CastStats, Fmt
from simulator import PRESETS, DatapathConfig
from simulator.reference import adder_conv, correlate, kernel_transform, winograd_adder_conv, winograd_cnn
from simulator.weights import prepare_weights


def windows(x, padding):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = h + 2 * padding - 2, w + 2 * padding - 2
    return [(i, j, xp[:, :, i : i + 3, j : j + 3]) for i in range(ho) for j in range(wo)], (ho, wo)


def loop_conv(x, w, padding, op):
    wins, (ho, wo) = windows(x, padding)
    y = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i, j, win in wins:
        y[:, :, i, j] = op(win[:, None], w[None]).sum(axis=(2, 3, 4))
    return y


sizes = st.tuples(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(0, 2),
).filter(lambda s: s[3] + 2 * s[5] >= 3 and s[4] + 2 * s[5] >= 3)


@given(size=sizes, seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(PRESETS)))
def test_references_against_loops_and_the_identity(size, seed, name):
    n, c, o, h, w, p = size
    rng = np.random.default_rng(seed)
    # small integers: every float64 operation below is exact, so equality is exact
    x = rng.integers(-20, 21, (n, c, h, w)).astype(float)
    g = rng.integers(-20, 21, (o, c, 3, 3)).astype(float)
    assert np.array_equal(adder_conv(x, g, p), loop_conv(x, g, p, lambda a, b: -np.abs(a - b)))
    assert np.array_equal(correlate(x, g, p), loop_conv(x, g, p, np.multiply))
    assert np.array_equal(winograd_cnn(x, g, name, p), correlate(x, g, p))
    assert np.array_equal(
        winograd_adder_conv(x, g, name, p), winograd_adder_conv(x, kernel_transform(g, name), name, p)
    )


def test_winograd_adder_conv_is_the_tile_formula():
    rng = np.random.default_rng(2)
    x = rng.integers(-9, 10, (1, 2, 4, 4)).astype(float)
    U = rng.integers(-9, 10, (3, 2, 4, 4)).astype(float)
    t = PRESETS["balanced"]
    V = t.BT @ x[0] @ t.BT.T  # padding 0: a single tile
    want = np.stack([t.AT @ (-np.abs(U[k] - V)).sum(axis=0) @ t.AT.T for k in range(3)])
    assert np.array_equal(winograd_adder_conv(x, U, "balanced", padding=0)[0], want)
    # and it is a different function from direct AdderNet
    assert not np.array_equal(
        winograd_adder_conv(x, U[:, :, :3, :3], "balanced", 0), adder_conv(x, U[:, :, :3, :3], 0)
    )


def test_reference_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"^w: expected shape \(O, 2, 3, 3\) or \(O, 2, 4, 4\)"):
        winograd_adder_conv(np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"^x: expected shape"):
        adder_conv(np.zeros((2, 4, 4)), np.zeros((1, 2, 3, 3)))


@given(
    k=st.integers(0, 2),
    rounding=st.sampled_from(["TRN", "RND", "RND_CONV"]),
    seed=st.integers(0, 2**32 - 1),
    act=st.sampled_from(["s8.4", "s6.2", "u8.4"]),
)
def test_weight_preparation_rounds_the_exact_kernel_transform(k, rounding, seed, act):
    cfg = DatapathConfig.from_dict({"act_fmt": act, "u_extra_frac": k, "weight_rounding": rounding})
    fa = cfg.act_fmt.frac
    g_fmt = Fmt(cfg.act_fmt.width + (0 if cfg.act_fmt.signed else 1), fa)  # the kernel grid (docs)
    rng = np.random.default_rng(seed)
    g_raw = rng.integers(g_fmt.min_raw, g_fmt.max_raw + 1, (2, 3, 3, 3))
    G2 = (2 * cfg.transform.G).astype(np.int64)  # 2G is integer for the presets
    exact4 = G2 @ g_raw @ G2.T  # = U · 2^(fa+2) exactly, an integer
    shift = 2 - k  # U raw = exact4 / 2^shift
    if rounding == "TRN":
        want = exact4 >> shift
    else:
        half_up = (exact4 + (1 << shift >> 1)) >> shift
        tie = (exact4 & ((1 << shift) - 1)) == (1 << shift >> 1)
        want = (
            half_up
            if rounding == "RND" or shift == 0
            else np.where(tie & (half_up % 2 == 1), half_up - 1, half_up)
        )
    stats = CastStats()
    got = prepare_weights(g_raw / 2.0**fa, cfg, stats)
    assert np.array_equal(got, want) and stats.overflows == 0  # the default u_width holds every kernel


def test_weight_preparation_saturates_and_counts():
    cfg = DatapathConfig.default().replace(u_width=8)
    stats = CastStats()
    u = prepare_weights(np.full((1, 1, 3, 3), 7.0), cfg, stats)
    assert u.max() == cfg.u_fmt.max_raw and stats.overflows > 0
    with pytest.raises(ValueError, match=r"^weights: expected float kernels of shape \(O, C, 3, 3\)"):
        prepare_weights(np.zeros((1, 1, 4, 4)), cfg)
