"""fixedpoint.cast / from_float / to_float against an exact Fraction oracle, every mode combination."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint import (
    MAX_WIDTH,
    CastStats,
    FixedPointOverflowError,
    Fmt,
    Overflow,
    Rounding,
    cast,
    from_float,
    to_float,
)

# ---------------------------------------------------------------- oracle (pure Python, Fraction) ----


def oracle_round(v: Fraction, mode: Rounding) -> int:
    floor = math.floor(v)
    rem = v - floor
    if mode is Rounding.TRN:
        return floor
    if mode is Rounding.TRN_INF:
        return math.ceil(v)
    if mode is Rounding.TRN_ZERO:
        return math.trunc(v)
    if mode is Rounding.TRN_AWAY:
        return math.ceil(v) if v > 0 else floor
    if rem < Fraction(1, 2):
        return floor
    if rem > Fraction(1, 2):
        return floor + 1
    tie_up = {
        Rounding.RND: True,
        Rounding.RND_ZERO: v < 0,
        Rounding.RND_MIN_INF: False,
        Rounding.RND_INF: v > 0,
        Rounding.RND_CONV: floor % 2 == 1,
        Rounding.RND_CONV_ODD: floor % 2 == 0,
    }[mode]
    return floor + 1 if tie_up else floor


def oracle_overflow(q: int, fmt: Fmt, mode: Overflow) -> tuple[int | None, bool]:
    """(result, overflowed); result None means ERROR raised."""
    lo, hi = fmt.min_raw, fmt.max_raw
    if mode is Overflow.SAT_SYM and fmt.signed:
        lo = -hi
    over = not lo <= q <= hi
    if not over:
        return q, False
    if mode is Overflow.WRAP:
        span = 1 << fmt.width
        return (q - fmt.min_raw) % span + fmt.min_raw, True
    if mode in (Overflow.SAT, Overflow.SAT_SYM):
        return (lo if q < lo else hi), True
    if mode is Overflow.SAT_ZERO:
        return 0, True
    return None, True


def oracle_quantize(values, fmt, rounding, overflow):
    """Exact (results, overflow count, zeroed count) for Fraction values."""
    results, n_over, n_zeroed = [], 0, 0
    for v in values:
        q = oracle_round(v * Fraction(2) ** fmt.frac, rounding)
        n_zeroed += v != 0 and q == 0
        r, over = oracle_overflow(q, fmt, overflow)
        n_over += over
        results.append(r)
    return results, n_over, n_zeroed


def check_against_oracle(run, values, fmt, rounding):
    """run(overflow, stats) -> raw array; checked for every overflow mode."""
    for overflow in Overflow:
        expected, n_over, n_zeroed = oracle_quantize(values, fmt, rounding, overflow)
        stats = CastStats()
        if None in expected:
            with pytest.raises(FixedPointOverflowError, match=f"{n_over} of {len(values)} values"):
                run(overflow, stats)
            continue
        got = run(overflow, stats)
        assert got.dtype == np.int64
        assert got.tolist() == expected, (fmt, rounding, overflow)
        assert (stats.total, stats.overflows, stats.zeroed) == (len(values), n_over, n_zeroed)


# ---------------------------------------------------------------- strategies ----


@st.composite
def formats(draw, signed):
    width = draw(st.integers(2 if signed else 1, MAX_WIDTH))
    frac = draw(st.integers(-8, 80))
    return Fmt(width, frac, signed)


@st.composite
def raw_values(draw, fmt: Fmt, shift: int):
    """Raw values of fmt: extremes, small values, exact ties of a right shift by ``shift``, anything."""
    lo, hi = fmt.min_raw, fmt.max_raw
    extremes = [v for v in (lo, lo + 1, hi - 1, hi, 0, 1, -1) if lo <= v <= hi]
    anything = st.integers(lo, hi)
    choices = [st.sampled_from(extremes), anything, st.integers(max(lo, -40), min(hi, 40))]
    if 0 < shift <= 70:
        half, unit = 1 << (shift - 1), 1 << shift
        k_lo, k_hi = -((half - lo) // unit), (hi - half) // unit
        if k_lo <= k_hi:
            choices.append(st.integers(k_lo, k_hi).map(lambda k: k * unit + half))
            choices.append(st.sampled_from([k_lo, k_hi]).map(lambda k: k * unit + half))
    return draw(st.lists(st.one_of(*choices), min_size=1, max_size=24))


MODES = [pytest.param(r, s, id=f"{r.value}-{'s' if s else 'u'}") for r in Rounding for s in (True, False)]


@pytest.mark.parametrize(("rounding", "signed"), MODES)
@given(data=st.data())
def test_cast_matches_oracle(rounding, signed, data):
    src = data.draw(formats(signed=data.draw(st.booleans())), label="src")
    dst = data.draw(formats(signed=signed), label="dst")
    raw = data.draw(raw_values(src, src.frac - dst.frac), label="raw")
    values = [Fraction(r) / Fraction(2) ** src.frac for r in raw]
    x = np.array(raw, dtype=np.int64)
    run = lambda ovf, stats: cast(x, src, dst, rounding, ovf, stats=stats)  # noqa: E731
    check_against_oracle(run, values, dst, rounding)
    assert x.tolist() == raw  # input untouched


@st.composite
def float_values(draw, fmt: Fmt):
    lsb = Fraction(2) ** -fmt.frac
    def exact(k_half):  # k_half / 2 LSB as a float when exactly representable
        v = k_half * lsb / 2
        return float(v) if Fraction(float(v)) == v else 0.0
    ties = st.integers(-(1 << 54), 1 << 54).map(lambda k: exact(2 * k + 1))
    edges = st.sampled_from([fmt.min_raw, fmt.max_raw]).flatmap(
        lambda r: st.integers(-3, 3).map(lambda d: exact(2 * r + d))
    )
    anything = st.floats(allow_nan=False, allow_infinity=False)
    scaled = st.floats(-4.0, 4.0).map(lambda f: float(Fraction(f) * (fmt.max_raw + 1) * lsb))
    return draw(st.lists(st.one_of(ties, edges, anything, scaled), min_size=1, max_size=24))


@pytest.mark.parametrize(("rounding", "signed"), MODES)
@given(data=st.data())
def test_from_float_matches_oracle(rounding, signed, data):
    fmt = data.draw(formats(signed=signed), label="fmt")
    xs = data.draw(float_values(fmt), label="x")
    values = [Fraction(v) for v in xs]
    x = np.array(xs, dtype=np.float64)
    run = lambda ovf, stats: from_float(x, fmt, rounding, ovf, stats=stats)  # noqa: E731
    check_against_oracle(run, values, fmt, rounding)


# ---------------------------------------------------------------- golden tie table (literal) ----

TIES_LSB = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]
GOLDEN_TIES = {
    "TRN": [-3, -2, -1, 0, 1, 2],
    "TRN_ZERO": [-2, -1, 0, 0, 1, 2],
    "TRN_INF": [-2, -1, 0, 1, 2, 3],
    "TRN_AWAY": [-3, -2, -1, 1, 2, 3],
    "RND": [-2, -1, 0, 1, 2, 3],
    "RND_ZERO": [-2, -1, 0, 0, 1, 2],
    "RND_MIN_INF": [-3, -2, -1, 0, 1, 2],
    "RND_INF": [-3, -2, -1, 1, 2, 3],
    "RND_CONV": [-2, -2, 0, 0, 2, 2],
    "RND_CONV_ODD": [-3, -1, -1, 1, 1, 3],
}
QUARTERS_LSB = [-0.75, -0.25, 0.25, 0.75]
GOLDEN_QUARTERS = {
    "TRN": [-1, -1, 0, 0],
    "TRN_ZERO": [0, 0, 0, 0],
    "TRN_INF": [0, 0, 1, 1],
    "TRN_AWAY": [-1, -1, 1, 1],
    **{m: [-1, 0, 0, 1] for m in ("RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV", "RND_CONV_ODD")},
}


@pytest.mark.parametrize("mode", list(GOLDEN_TIES))
@pytest.mark.parametrize("shift", [1, 2, 5, 40])
def test_golden_tie_table(mode, shift):
    dst = Fmt(8, 0)
    for lsbs, expected in ((TIES_LSB, GOLDEN_TIES[mode]), (QUARTERS_LSB, GOLDEN_QUARTERS[mode])):
        if shift == 1 and lsbs is QUARTERS_LSB:
            continue
        src = Fmt(50, shift)
        raw = np.array([int(v * 4) << (shift - 2) if shift >= 2 else int(v * 2) for v in lsbs])
        assert cast(raw, src, dst, mode, "SAT").tolist() == expected
        assert from_float(lsbs, dst, mode, "SAT").tolist() == expected
        assert from_float(np.array(lsbs) / 8, Fmt(8, 3), mode, "SAT").tolist() == expected


# ---------------------------------------------------------------- fixed cases ----


def test_sat_sym_maps_most_negative_to_minus_max():
    fmt = Fmt(8, 0)
    assert cast([-128, -127, 127], fmt, fmt, "TRN", "SAT_SYM").tolist() == [-127, -127, 127]
    assert cast([0, 255], Fmt(8, 0, False), Fmt(8, 0, False), "TRN", "SAT_SYM").tolist() == [0, 255]
    assert cast([-5, 300], Fmt(12, 0), Fmt(8, 0, False), "TRN", "SAT_SYM").tolist() == [0, 255]


def test_from_float_far_out_of_range_saturates_and_wraps_exactly():
    fmt = Fmt(8, 4)
    big = [1e300, -1e300, 2.0**70 + 2.0**18, -(2.0**63), 1.7e308]
    assert from_float(big, fmt, "RND", "SAT").tolist() == [127, -128, 127, -128, 127]
    assert from_float(big, fmt, "RND", "SAT_ZERO").tolist() == [0] * 5
    # WRAP keeps the exact low bits of x * 2**frac, also beyond int64.
    assert from_float([2.0**55 + 2.0**3, 3 * 2.0**60], fmt, "TRN", "WRAP").tolist() == [-128, 0]
    beyond_int64 = [2.0**62 + 2.0**10, -(2.0**63) - 2.0**11]
    assert from_float(beyond_int64, Fmt(62, 0), "TRN", "WRAP").tolist() == [1024, -2048]
    assert from_float([1e308], Fmt(62, 60), "TRN", "WRAP").tolist() == [0]


def test_from_float_tiny_values_round_by_sign():
    fmt = Fmt(8, 4)
    tiny = [5e-324, -5e-324, 1e-300, -1e-300, 0.0, -0.0]
    assert from_float(tiny, fmt, "TRN").tolist() == [0, -1, 0, -1, 0, 0]
    assert from_float(tiny, fmt, "TRN_INF").tolist() == [1, 0, 1, 0, 0, 0]
    assert from_float(tiny, fmt, "TRN_AWAY").tolist() == [1, -1, 1, -1, 0, 0]
    assert from_float(tiny, fmt, "RND").tolist() == [0] * 6
    assert from_float([3e-300], Fmt(8, -1000), "TRN_INF").tolist() == [1]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_from_float_rejects_non_finite_naming_the_index(bad):
    with pytest.raises(ValueError, match=r"first at index \(1, 0\)"):
        from_float(np.array([[0.0, 1.0], [bad, 2.0]]), Fmt(8, 4))


def test_error_overflow_names_count_and_first_index():
    message = r"2 of 4 values do not fit s4\.0 \[-8, 7\], first at index 1"
    with pytest.raises(FixedPointOverflowError, match=message):
        cast([0, 8, 7, -9], Fmt(8, 0), Fmt(4, 0), "TRN", "ERROR")
    with pytest.raises(ValueError):  # also a ValueError, so the CLI reports it as a usage error
        from_float([100.0], Fmt(4, 0), "TRN", "ERROR")


def test_modes_accept_names_and_reject_unknown():
    assert cast([3], "s8.1", "s8.0", "rnd_conv", "sat").tolist() == [2]
    with pytest.raises(ValueError, match="rounding: unknown mode 'NEAREST'; valid: TRN, TRN_ZERO"):
        cast([3], "s8.1", "s8.0", "NEAREST")
    with pytest.raises(ValueError, match="overflow: unknown mode 'CLAMP'; valid: WRAP, SAT"):
        from_float([1.0], "s8.1", "TRN", "CLAMP")


def test_raw_outside_source_format_is_rejected():
    with pytest.raises(ValueError, match=r"raw: 1 values outside s4\.0 \[-8, 7\], first at index 2 \(8\)"):
        cast([1, 2, 8], Fmt(4, 0), Fmt(8, 0))
    with pytest.raises(ValueError, match="expected integers"):
        cast(np.array([1.0]), Fmt(4, 0), Fmt(8, 0))
    for size in (10, 5000):  # small arrays are checked with one OR-reduction, large ones with min/max
        for fmt, bad in [(Fmt(4, 0), -9), (Fmt(4, 0), 8), (Fmt(4, 0, False), -1), (Fmt(62, 0), -(1 << 62))]:
            x = np.zeros(size, dtype=np.int64)
            x[size - 3] = bad
            message = rf"raw: 1 values outside {fmt} .*first at index {size - 3} "
            with pytest.raises(ValueError, match=message):
                cast(x, fmt, Fmt(8, 0))
            x[size - 3] = fmt.min_raw if bad < 0 else fmt.max_raw
            assert cast(x, fmt, fmt).tolist() == x.tolist()


def test_widths_above_62_rejected():
    with pytest.raises(ValueError, match="width: must be 1..62"):
        Fmt(63, 0)


def test_out_buffer_and_in_place():
    x = np.arange(-50, 50, dtype=np.int64)
    expected = cast(x, Fmt(10, 3), Fmt(6, 1), "RND_CONV", "SAT")
    out = np.empty_like(x)
    assert cast(x, Fmt(10, 3), Fmt(6, 1), "RND_CONV", "SAT", out=out) is out
    assert np.array_equal(out, expected)
    for rounding in Rounding:  # in place, with the counts of a separate output
        separate, in_place = CastStats(), CastStats()
        expected = cast(x, Fmt(10, 3), Fmt(6, 1), rounding, "SAT", stats=separate)
        y = x.copy()
        cast(y, Fmt(10, 3), Fmt(6, 1), rounding, "SAT", stats=in_place, out=y)
        assert np.array_equal(y, expected)
        assert in_place == separate
        assert (separate.zeroed > 0) == (rounding is not Rounding.TRN_AWAY)  # away from zero never zeroes
    with pytest.raises(ValueError, match="out: must be an int64 array of shape"):
        cast(x, Fmt(10, 3), Fmt(6, 1), out=np.empty(3, dtype=np.int64))
    for rounding in (Rounding.RND, Rounding.RND_CONV):  # out a view of raw: not used as scratch early
        y = x.copy()
        in_view = cast(y, Fmt(10, 3), Fmt(6, 1), rounding, "SAT", out=y[:])
        assert np.array_equal(in_view, cast(x, Fmt(10, 3), Fmt(6, 1), rounding, "SAT"))


def test_repeated_and_alternating_arguments_get_their_own_results():
    """The reuse of the last call's plan must not hand it to a call with other arguments."""
    x = np.array([-100, -3, 3, 100])
    src = Fmt(10, 2)
    for _ in range(2):
        for dst, rounding, overflow, expected in [
            (Fmt(4, 0), "TRN", "SAT", [-8, -1, 0, 7]),
            (Fmt(4, 0), "TRN", "WRAP", [7, -1, 0, -7]),
            (Fmt(4, 0), "TRN_INF", "SAT", [-8, 0, 1, 7]),
            (Fmt(12, 2), "TRN", "SAT", [-100, -3, 3, 100]),
        ]:
            assert cast(x, src, dst, rounding, overflow).tolist() == expected
    with pytest.raises(ValueError, match="format: expected a string"):
        cast(x, ["s10.2"], "s4.0")  # unhashable: reported by the parser, not as a TypeError


def test_stats_accumulate_over_calls():
    stats = CastStats()
    cast([1, 2, 4], Fmt(8, 2), Fmt(4, 0), "TRN", "SAT", stats=stats)  # 1/4, 2/4 -> 0; nothing overflows
    from_float([100.0, -100.0], Fmt(4, 0), "TRN", "SAT", stats=stats)
    assert stats == CastStats(total=5, overflows=2, zeroed=2)
    stats += CastStats(total=1, overflows=1, zeroed=1)
    assert stats == CastStats(total=6, overflows=3, zeroed=3)


@given(data=st.data())
def test_widen_and_back_is_identity(data):
    signed = data.draw(st.booleans())
    fmt = data.draw(formats(signed=signed))
    extra_int = data.draw(st.integers(0, MAX_WIDTH - fmt.width))
    extra_frac = data.draw(st.integers(0, MAX_WIDTH - fmt.width - extra_int))
    wide = Fmt(fmt.width + extra_int + extra_frac, fmt.frac + extra_frac, signed)
    raw = np.array(data.draw(raw_values(fmt, 0)), dtype=np.int64)
    for rounding in Rounding:
        for overflow in (Overflow.WRAP, Overflow.SAT, Overflow.ERROR):
            back = cast(cast(raw, fmt, wide, rounding, overflow), wide, fmt, rounding, overflow)
            assert np.array_equal(back, raw)


@given(data=st.data())
def test_float_round_trip_is_exact(data):
    fmt = data.draw(st.builds(Fmt, st.integers(2, 53), st.integers(-20, 80)))
    raw = np.array(data.draw(raw_values(fmt, 0)), dtype=np.int64)
    values = to_float(raw, fmt)
    exact = [Fraction(r) / Fraction(2) ** fmt.frac for r in raw.tolist()]
    assert [Fraction(v) for v in values.tolist()] == exact
    for rounding in Rounding:
        assert np.array_equal(from_float(values, fmt, rounding, "ERROR"), raw)


EXTREME_PAIRS = [
    (Fmt(62, 70), Fmt(8, 0)),  # right shift by 70 > 62
    (Fmt(62, 0), Fmt(62, -62)),  # right shift by 62
    (Fmt(62, 1, False), Fmt(2, 0)),  # unsigned 62-bit source, widest ties
    (Fmt(4, 0), Fmt(62, 70)),  # left shift by 70 (everything nonzero overflows)
    (Fmt(40, 0), Fmt(62, 30)),  # left shift whose intermediate exceeds 62 bits
    (Fmt(62, 0), Fmt(62, 0, False)),
    (Fmt(62, 0, False), Fmt(62, 0)),
    (Fmt(1, 0, False), Fmt(62, 61)),
    (Fmt(62, 62, False), Fmt(8, 0)),  # the largest bias (2**62 - 1) on the largest raw value
    (Fmt(62, 61, False), Fmt(4, -1, False)),
]


@pytest.mark.parametrize(("src", "dst"), EXTREME_PAIRS, ids=[f"{s}-{d}" for s, d in EXTREME_PAIRS])
@pytest.mark.parametrize("rounding", list(Rounding))
def test_cast_extreme_formats_match_oracle(src, dst, rounding):
    candidates = [src.min_raw, src.min_raw + 1, -3, -2, -1, 0, 1, 2, 3, src.max_raw - 1, src.max_raw]
    s = src.frac - dst.frac
    if 0 < s <= 62:
        candidates += [(1 << (s - 1)), -(1 << (s - 1)), 3 << (s - 1), -(3 << (s - 1))]
    raw = [r for r in candidates if src.min_raw <= r <= src.max_raw]
    values = [Fraction(r) / Fraction(2) ** src.frac for r in raw]
    x = np.array(raw, dtype=np.int64)
    run = lambda ovf, stats: cast(x, src, dst, rounding, ovf, stats=stats)  # noqa: E731
    check_against_oracle(run, values, dst, rounding)


def test_fmt_parse_and_print():
    assert Fmt.parse("s8.4") == Fmt(8, 4) and str(Fmt(8, 4)) == "s8.4"
    assert Fmt.parse("u12.-2") == Fmt(12, -2, False)
    assert Fmt.parse("ap_fixed<8,3>") == Fmt(8, 5) and Fmt(8, 5).ap_type() == "ap_fixed<8,3>"
    assert Fmt.parse("ap_ufixed<8, 10>") == Fmt(8, -2, False)
    assert (Fmt(8, 4).min_raw, Fmt(8, 4).max_raw, Fmt(8, 4).lsb) == (-128, 127, 0.0625)
    assert (Fmt(8, 4, False).min_raw, Fmt(8, 4, False).max_raw) == (0, 255)
    with pytest.raises(ValueError, match="format: cannot parse 'q8.4'"):
        Fmt.parse("q8.4")


@pytest.mark.parametrize("rounding", list(Rounding))
def test_from_float_chunks_match_oracle(monkeypatch, rounding):
    """Chunk boundaries (shrunk to 3 elements here), a non-contiguous 2-D input and output, stats and
    the ERROR index all agree with the element-wise oracle."""
    import fixedpoint.core

    monkeypatch.setattr(fixedpoint.core, "_FLOAT_CHUNK", 3)
    fmt = Fmt(6, 2)
    base = [0.125, -0.125, 0.375, -0.375, 7.875, 8.0, -8.125, -8.0, 1e300, -1e-300, 0.0, 2.6, -2.6, 5.0]
    x = np.array(base + base[::-1]).reshape(2, 14).T  # (14, 2), not C-contiguous
    flat = x.ravel().tolist()
    for overflow in Overflow:
        expected, n_over, n_zeroed = oracle_quantize([Fraction(v) for v in flat], fmt, rounding, overflow)
        stats = CastStats()
        if overflow is Overflow.ERROR:
            first = next(i for i, v in enumerate(expected) if v is None)
            message = rf"{n_over} of 28 values .* index \({first // 2}, {first % 2}\)"
            with pytest.raises(FixedPointOverflowError, match=message):
                from_float(x, fmt, rounding, overflow)
            continue
        out = np.empty((2, 14), dtype=np.int64).T
        got = from_float(x, fmt, rounding, overflow, stats=stats, out=out)
        assert got is out
        assert got.ravel().tolist() == expected
        assert (stats.total, stats.overflows, stats.zeroed) == (28, n_over, n_zeroed)
