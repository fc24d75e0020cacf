"""Bit-accurate stages and run_stream against direct definitions and the float64 reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint import CastStats, Fmt, cast, to_float
from simulator import DatapathConfig
from simulator.datapath import (
    align,
    channel_accumulate,
    input_transform,
    neg_abs_diff,
    output_transform,
    requantize,
    run_stream,
)
from simulator.reference import winograd_adder_conv

ACT_FMTS = ["s8.4", "u8.4", "s6.2", "s4.1", "u5.3", "s10.0"]

config_fields = st.fixed_dictionaries(
    {
        "matrices": st.sampled_from(["lavin", "balanced"]),
        "act_fmt": st.sampled_from(ACT_FMTS),
        "u_extra_frac": st.integers(0, 2),
        "max_channels": st.integers(1, 6),
        "acc_overflow": st.sampled_from(["WRAP", "SAT"]),
        "rounding": st.sampled_from(["TRN", "RND", "RND_CONV", "TRN_ZERO", "RND_MIN_INF"]),
        "overflow": st.sampled_from(["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]),
    }
)


def raw_values(rng, fmt: Fmt, shape, extreme_share=0.3):
    """Uniform raw values with a share replaced by the format's extremes (where overflow would show)."""
    x = rng.integers(fmt.min_raw, fmt.max_raw + 1, shape)
    pick = rng.random(shape) < extreme_share
    return np.where(pick, rng.choice([fmt.min_raw, fmt.max_raw], shape), x)


def sequential_accumulator(m, first, acc_fmt: Fmt, overflow: str):
    """The hardware accumulator, one addition at a time in transaction order (the definition)."""
    acc = np.zeros(m.shape[1:], dtype=np.int64)
    history = np.empty_like(m)
    lo, hi, modulus = acc_fmt.min_raw, acc_fmt.max_raw, 1 << acc_fmt.width
    for n in range(m.shape[0]):
        acc = (np.zeros_like(acc) if first[n] else acc) + m[n]
        acc = ((acc - lo) % modulus + lo) if overflow == "WRAP" else np.clip(acc, lo, hi)
        history[n] = acc
    return history


def test_input_transform_and_output_transform_are_the_matrix_products():
    cfg = DatapathConfig.default()
    rng = np.random.default_rng(1)
    d = rng.integers(-128, 128, (5, 4, 4))
    BT, AT = cfg.transform.BT, cfg.transform.AT
    want_v = np.einsum("ia,jb,nab->nij", BT, BT, d)
    assert np.array_equal(input_transform(d, BT), want_v)
    s = rng.integers(-1000, 1, (5, 4, 4))
    assert np.array_equal(output_transform(s, AT), np.einsum("ia,jb,nab->nij", AT, AT, s))
    assert np.array_equal(align(want_v, 2), want_v * 4)
    assert np.array_equal(neg_abs_diff(s, want_v), -np.abs(s - want_v))


def test_channel_accumulate_rejects_positive_m():
    with pytest.raises(ValueError, match="^m: "):
        channel_accumulate(np.array([[-1, 2]]), Fmt(8, 0), "SAT")


@given(fields=config_fields, seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3), p=st.integers(1, 3))
def test_run_stream_matches_the_sequential_accumulator_and_the_float_reference(fields, seed, n, p):
    cfg = DatapathConfig.from_dict(fields)
    rng = np.random.default_rng(seed)
    # accumulations of 1..max_channels transactions; accumulator sometimes narrowed to force overflow
    if rng.random() < 0.5:
        cfg = cfg.replace(acc_width=int(rng.integers(2, cfg.acc_width + 1)))
    lengths = rng.integers(1, cfg.max_channels + 1, n)
    first = np.concatenate([[True] + [False] * (k - 1) for k in lengths])
    last = np.concatenate([[False] * (k - 1) + [True] for k in lengths])
    total = int(lengths.sum())
    d = raw_values(rng, cfg.act_fmt, (total, 4, 4))
    u = raw_values(rng, cfg.u_fmt, (total, p, 4, 4))
    r = run_stream(cfg, d, u, first, last)
    V = input_transform(d, cfg.transform.BT)
    M = neg_abs_diff(u, align(V, cfg.u_extra_frac)[:, None])
    assert np.array_equal(r.V, V) and np.array_equal(r.M, M)
    S = sequential_accumulator(M, first, cfg.acc_fmt, cfg.acc_overflow.value)
    assert np.array_equal(r.S, S)
    assert np.array_equal(r.Y, output_transform(S, cfg.transform.AT))
    assert np.array_equal(r.out, cast(r.Y, cfg.y_fmt, cfg.out_fmt, cfg.rounding, cfg.overflow))
    if cfg.acc_width >= cfg.exact_acc_width:
        # Y equals the float64 Winograd-adder reference on the dequantized tile and U, times 2^frac(Y)
        starts = np.flatnonzero(first)
        for start, length in zip(starts, lengths, strict=True):
            end = start + length - 1
            x = to_float(d[start : end + 1], cfg.act_fmt)[None]  # (1, C, 4, 4): one tile, no padding
            U = to_float(u[start : end + 1].transpose(1, 0, 2, 3), cfg.u_fmt)  # (P, C, 4, 4)
            ref = winograd_adder_conv(x, U, cfg.transform, padding=0)[0]  # (P, 2, 2)
            assert np.array_equal(ref * 2.0**cfg.y_fmt.frac, r.Y[end])
        assert r.stats["channel_accumulate"].overflows == 0


@given(fields=config_fields, seed=st.integers(0, 2**32 - 1))
def test_channel_order_never_matters(fields, seed):
    cfg = DatapathConfig.from_dict(fields)
    rng = np.random.default_rng(seed)
    cfg = cfg.replace(acc_width=int(rng.integers(2, cfg.acc_width + 1)))
    c = cfg.max_channels
    d = raw_values(rng, cfg.act_fmt, (c, 4, 4))
    u = raw_values(rng, cfg.u_fmt, (c, 2, 4, 4))
    flags = np.zeros(c, bool)
    first, last = flags.copy(), flags.copy()
    first[0] = last[-1] = True
    M = neg_abs_diff(u, align(input_transform(d, cfg.transform.BT), cfg.u_extra_frac)[:, None])
    finals = {
        tuple(order): sequential_accumulator(M[order], first, cfg.acc_fmt, cfg.acc_overflow.value)[-1]
        for order in (np.arange(c), np.arange(c)[::-1], rng.permutation(c))
    }
    closed = channel_accumulate(M, cfg.acc_fmt, cfg.acc_overflow, axis=0)
    for final in finals.values():
        assert np.array_equal(final, closed)
    assert np.array_equal(run_stream(cfg, d[::-1], u[::-1], first, last).S[-1], closed)


def test_requantize_is_fixedpoint_cast_and_counts():
    cfg = DatapathConfig.default()
    y = np.arange(cfg.y_fmt.min_raw, cfg.y_fmt.max_raw, 997)
    stats = CastStats()
    out = requantize(y, cfg, stats)
    assert np.array_equal(out, cast(y, cfg.y_fmt, cfg.out_fmt, "RND", "SAT"))
    rounded = cast(y, cfg.y_fmt, Fmt(62, cfg.out_fmt.frac), "RND")
    outside = (rounded < cfg.out_fmt.min_raw) | (rounded > cfg.out_fmt.max_raw)
    assert stats.overflows == np.count_nonzero(outside) > 0


@pytest.mark.parametrize(
    "first, last, message",
    [
        ([0, 0], [0, 1], "first: transaction 0 must start"),
        ([1, 1], [0, 1], "first: transaction 1 starts an accumulation before"),
        ([1, 0], [1, 1], "first: transaction 1 must start"),
        ([1, 0], [0, 0], "last: the stream ends inside"),
    ],
)
def test_run_stream_rejects_bad_flag_sequences(first, last, message):
    cfg = DatapathConfig.default()
    with pytest.raises(ValueError, match=message):
        run_stream(cfg, np.zeros((2, 4, 4), int), np.zeros((2, 4, 4, 4), int), first, last)


def test_run_stream_rejects_long_accumulations_and_out_of_range_values():
    cfg = DatapathConfig.default().replace(max_channels=2)
    z = np.zeros((3, 4, 4), int)
    with pytest.raises(ValueError, match="3 channels > max_channels=2"):
        run_stream(cfg, z, np.zeros((3, 1, 4, 4), int), [1, 0, 0], [0, 0, 1])
    with pytest.raises(ValueError, match=r"^d: raw value 128 outside s8.4"):
        run_stream(cfg, z + 128, np.zeros((3, 1, 4, 4), int), [1, 1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match=r"^u: raw value -2049 outside s12.6"):
        run_stream(cfg, z, np.zeros((3, 1, 4, 4), int) - 2049, [1, 1, 1], [1, 1, 1])
