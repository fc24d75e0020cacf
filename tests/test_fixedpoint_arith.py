"""Full-precision arithmetic, text I/O and range logging of fixedpoint, against exact Python integers."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fixedpoint as fp
from fixedpoint import Fmt, RangeLogger


@st.composite
def formats(draw, max_width=40):
    signed = draw(st.booleans())
    return Fmt(draw(st.integers(2 if signed else 1, max_width)), draw(st.integers(-6, 20)), signed)


@st.composite
def operands(draw, fmt: Fmt, size: int):
    extremes = st.sampled_from([fmt.min_raw, fmt.max_raw, 0])
    values = st.one_of(extremes, st.integers(fmt.min_raw, fmt.max_raw))
    return np.array(draw(st.lists(values, min_size=size, max_size=size)), dtype=np.int64)


def exact(raw, fmt):
    return [Fraction(int(r)) / Fraction(2) ** fmt.frac for r in np.ravel(raw)]


def fits(fmt: Fmt, raws) -> bool:
    return all(fmt.min_raw <= int(r) <= fmt.max_raw for r in raws)


def assert_narrowest(fmt: Fmt, extreme_raws):
    """fmt holds the extreme results, and one bit less (same signedness) would not."""
    assert fits(fmt, extreme_raws)
    if fmt.width > (2 if fmt.signed else 1):
        assert not fits(Fmt(fmt.width - 1, fmt.frac, fmt.signed), extreme_raws)


@pytest.mark.parametrize("op", ["add", "sub"])
@given(data=st.data())
def test_add_sub_exact_and_narrowest(op, data):
    a_fmt, b_fmt = data.draw(formats()), data.draw(formats())
    size = data.draw(st.integers(1, 12))
    a, b = data.draw(operands(a_fmt, size)), data.draw(operands(b_fmt, size))
    raw, fmt = getattr(fp, op)(a, a_fmt, b, b_fmt)
    sign = 1 if op == "add" else -1
    assert exact(raw, fmt) == [x + sign * y for x, y in zip(exact(a, a_fmt), exact(b, b_fmt), strict=True)]
    assert fmt.frac == max(a_fmt.frac, b_fmt.frac)
    # The extreme results over the whole formats:
    ea = np.array([a_fmt.min_raw, a_fmt.max_raw] * 2, dtype=np.int64)
    eb = np.array([b_fmt.min_raw] * 2 + [b_fmt.max_raw] * 2, dtype=np.int64)
    extreme, extreme_fmt = getattr(fp, op)(ea, a_fmt, eb, b_fmt)
    assert extreme_fmt == fmt
    assert_narrowest(fmt, extreme)
    assert fmt.signed == (a_fmt.signed or b_fmt.signed or op == "sub")


@pytest.mark.parametrize("op", ["neg", "abs", "neg_abs"])
@given(data=st.data())
def test_unary_exact_and_narrowest(op, data):
    fmt_in = data.draw(formats(max_width=61))
    a = data.draw(operands(fmt_in, data.draw(st.integers(1, 12))))
    raw, fmt = getattr(fp, op)(a, fmt_in)
    reference = {"neg": lambda v: -v, "abs": lambda v: abs(v), "neg_abs": lambda v: -abs(v)}[op]
    assert exact(raw, fmt) == [reference(v) for v in exact(a, fmt_in)]
    extreme, _ = getattr(fp, op)(np.array([fmt_in.min_raw, fmt_in.max_raw]), fmt_in)
    assert_narrowest(fmt, extreme)
    assert fmt.frac == fmt_in.frac


def test_unary_formats_literal():
    s8, u8 = Fmt(8, 3), Fmt(8, 3, False)
    assert fp.neg([-128], s8)[1] == Fmt(9, 3)
    assert fp.abs([-128], s8)[1] == Fmt(9, 3)
    assert fp.abs([255], u8)[1] == u8
    assert fp.neg_abs([-128, 127], s8)[1] == s8  # -|x| needs no extra bit
    assert fp.neg_abs([255], u8)[1] == Fmt(9, 3)
    assert fp.neg_abs([-128, 127, 0], s8)[0].tolist() == [-128, -127, 0]


@given(data=st.data())
def test_shift_moves_the_binary_point(data):
    fmt = data.draw(formats())
    a = data.draw(operands(fmt, 5))
    n = data.draw(st.integers(-30, 30))
    raw, res = fp.shift(a, fmt, n)
    assert exact(raw, res) == [v * Fraction(2) ** n for v in exact(a, fmt)]
    assert raw is not a


SUM_CASES = [((7,), None), ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), (0, 2)), ((0,), 0)]


@pytest.mark.parametrize(("shape", "axis"), SUM_CASES)
def test_sum_growth_and_value(shape, axis):
    fmt = Fmt(10, 2)
    rng = np.random.default_rng(1)
    a = rng.integers(fmt.min_raw, fmt.max_raw + 1, size=shape)
    raw, res = fp.sum(a, fmt, axis)
    n = int(np.prod([shape[ax] for ax in np.atleast_1d(axis if axis is not None else range(len(shape)))]))
    assert res == Fmt(10 + (max(n - 1, 0)).bit_length(), 2)  # ceil(log2 n) extra bits
    assert np.array_equal(raw, np.asarray(np.sum(a.astype(object), axis=axis), dtype=np.int64))
    full = np.full(shape, fmt.min_raw)  # the most negative sum fits
    assert fits(res, np.ravel(fp.sum(full, fmt, axis)[0]))


def test_sum_of_three_min_values_needs_the_growth():
    raw, fmt = fp.sum([-8, -8, -8], Fmt(4, 0))
    assert (int(raw), fmt) == (-24, Fmt(6, 0))


def test_results_wider_than_62_bits_are_rejected():
    with pytest.raises(ValueError, match="add: the exact result needs 63 bits; the limit is 62"):
        fp.add([0], Fmt(62, 0), [0], Fmt(62, 0))
    with pytest.raises(ValueError, match="sub: the exact result needs 71 bits"):
        fp.sub([0], Fmt(40, 30), [0], Fmt(40, 0))
    with pytest.raises(ValueError, match="sum: 3 terms of s61.0 need 63 bits"):
        fp.sum([0, 0, 0], Fmt(61, 0))


def test_add_broadcasts_and_writes_out():
    out = np.empty((2, 3), dtype=np.int64)
    raw, fmt = fp.add(np.array([[1], [2]]), "s4.0", np.array([10, 20, 30]), "s8.1", out=out)
    assert raw is out
    assert fmt == Fmt(9, 1)
    assert out.tolist() == [[12, 22, 32], [14, 24, 34]]


def test_alternating_formats_get_their_own_results():
    """The per-operation plan reuse must not hand one call's format to the next."""
    x = np.array([-8, 7])
    for _ in range(2):
        assert fp.add(x, "s4.0", x, "s4.0")[1] == Fmt(5, 0)
        assert fp.add(x, "s4.0", x, Fmt(8, 2))[1] == Fmt(9, 2)  # [-32, 28] + [-128, 127]
        assert fp.add(x, "s4.0", x, Fmt(8, 2))[0].tolist() == [-40, 35]
        assert fp.abs(x, "s4.0")[1] == Fmt(5, 0)
        assert fp.abs(x, "u4.0")[1] == Fmt(4, 0, False)
    with pytest.raises(ValueError, match="format: expected a string"):
        fp.add(x, ["s4.0"], x, "s4.0")  # unhashable: reported by the parser, not as a TypeError


# ---------------------------------------------------------------- text I/O ----


def test_hex_and_bin_literal():
    s6, u8, s5 = Fmt(6, 2), Fmt(8, 0, False), Fmt(5, 0)
    assert fp.to_hex([-32, -1, 0, 31], s6) == ["20", "3f", "00", "1f"]
    assert fp.to_hex([255, 10], u8) == ["ff", "0a"]
    assert fp.to_bin([-16, -1, 5], s5) == ["10000", "11111", "00101"]
    assert fp.from_hex(["3F", "1f"], s6).tolist() == [-1, 31]
    assert fp.from_bin(["10000", "01111"], s5).tolist() == [-16, 15]
    assert fp.to_hex(np.array([[1, 2], [3, 4]]), s6) == ["01", "02", "03", "04"]
    assert fp.from_hex([], s6).dtype == np.int64


@pytest.mark.parametrize(
    ("func", "strings", "message"),
    [
        (fp.from_hex, ["00", "0g"], r"from_hex: string 1 '0g': character 'g' at position 1 is not a valid"),
        (fp.from_hex, ["40"], r"string 0 '40': character '4' at position 0 exceeds the format's width"),
        (fp.from_hex, ["00", "123"], r"string 1 '123' has 3 characters; s6.2 needs exactly 2"),
        (fp.from_hex, ["0\u00e9"], r"character '\u00e9' at position 1 is not a valid digit"),
        (fp.from_hex, ["00", 7], r"item 1 is a int, expected a string"),
        (fp.from_bin, ["000000", "0100x0"], r"from_bin: string 1 '0100x0': character 'x' at position 4"),
        (fp.from_bin, ["00000"], r"has 5 characters; s6.2 needs exactly 6"),
    ],
)
def test_malformed_strings_rejected_with_position(func, strings, message):
    with pytest.raises(ValueError, match=message):
        func(strings, Fmt(6, 2))


@given(data=st.data())
def test_text_round_trips(data):
    fmt = data.draw(st.one_of(formats(max_width=62)))
    raw = data.draw(operands(fmt, data.draw(st.integers(1, 10))))
    hexes, bins = fp.to_hex(raw, fmt), fp.to_bin(raw, fmt)
    assert np.array_equal(fp.from_hex(hexes, fmt), raw)
    assert np.array_equal(fp.from_bin(bins, fmt), raw)
    width = fmt.width
    assert hexes == [f"{int(r) % (1 << width):0{-(-width // 4)}x}" for r in raw]
    assert bins == [f"{int(r) % (1 << width):0{width}b}" for r in raw]


def test_to_hex_rejects_values_outside_the_format():
    with pytest.raises(ValueError, match=r"raw: 1 values outside s6.2 \[-32, 31\], first at index 1 \(32\)"):
        fp.to_hex([0, 32], Fmt(6, 2))


# ---------------------------------------------------------------- range logging ----


def test_range_logger_accumulates_per_signal():
    log = RangeLogger()
    log.record("v", np.array([[3, -7], [2, 0]]), "s6.2")
    log.record("m", [0, -1])
    log.record("v", [12], "s6.2")
    log.record("v", np.array([], dtype=np.int64), "s6.2")
    assert log.ranges == {"v": (-7, 12, 5), "m": (-1, 0, 2)}
    assert log.fmt("v") == Fmt(6, 2)
    rows = {row["name"]: row for row in log.summary()}
    assert rows["v"]["needed"] == "s5.2" and rows["v"]["fits"] is True
    assert (rows["v"]["min"], rows["v"]["max"]) == (-1.75, 3.0)
    assert rows["m"]["fmt"] is None
    log.record("v", [40], "s6.2")
    assert log.summary()[0]["fits"] is False
    with pytest.raises(ValueError, match="signal 'v' was logged as s6.2, now as s8.2"):
        log.record("v", [1], "s8.2")
    with pytest.raises(ValueError, match="needs integer raw values"):
        log.record("x", [0.5])
