"""Op-count model: derived from the matrices, equal to the operations the simulator's stage functions perform
on symbolic tiles, consistent with REFERENCES.md; energy interpolation through Horowitz's figures."""

import itertools
from collections import Counter

import numpy as np
import pytest

from fixedpoint import Fmt
from simulator import PRESETS, DatapathConfig, sign_flip_family
from simulator import datapath as dp
from winoadder.hw import opcount
from winoadder.hw.opcount import DESIGNS, TileGeometry, per_channel_pair, tile_op_counts


class Sym:
    """A linear form over named inputs that tallies the arithmetic used to build it.

    Multiplying by 0 or ±1 and adding a zero form are free (a sign is folded into the add/sub that uses
    it); every other + and − is one add/sub, |·| one abs, any other product one mul. Shifts are wiring.
    Comparisons say "no overflow and M ≤ 0", the preconditions under which the stages add plainly.
    """

    _fresh = itertools.count()

    def __init__(self, terms: dict, tally: Counter):
        self.terms = {k: v for k, v in terms.items() if v}
        self.tally = tally

    @classmethod
    def tile(cls, name: str, shape: tuple[int, ...], tally: Counter) -> np.ndarray:
        out = np.empty(shape, dtype=object)
        for index in np.ndindex(*shape):
            out[index] = cls({(name, *index): 1}, tally)
        return out

    def _scaled(self, c) -> "Sym":
        return Sym({k: v * c for k, v in self.terms.items()}, self.tally)

    def _combine(self, other, sign: int, op: str) -> "Sym":
        if not isinstance(other, Sym):
            assert other == 0, f"unexpected constant {other!r}"
            return self
        if not other.terms:
            return self
        if not self.terms:
            return other._scaled(sign)
        self.tally[op] += 1
        merged = Counter(self.terms)
        for k, v in other.terms.items():
            merged[k] += sign * v
        return Sym(dict(merged), self.tally)

    def __add__(self, other):
        return self._combine(other, 1, "add")

    def __radd__(self, other):
        return self.__add__(other)

    def __sub__(self, other):
        return self._combine(other, -1, "sub")

    def __mul__(self, c):
        c = int(c)
        if c not in (-1, 0, 1):
            self.tally["mul"] += 1
        return self._scaled(c)

    __rmul__ = __mul__

    def __neg__(self):
        return self._scaled(-1)

    def __lshift__(self, k):
        return self._scaled(1 << int(k))

    def __abs__(self):
        self.tally["abs"] += 1
        return Sym({("abs", next(self._fresh)): 1}, self.tally)

    def __lt__(self, other):
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __int__(self):
        return 0


class _NumpyKeepingObjects:
    """numpy, except that ``asarray`` leaves object arrays alone, so the stage functions run on Syms."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def asarray(x, dtype=None):
        x = np.asarray(x)
        return x if x.dtype == object else np.asarray(x, dtype=dtype)


TRANSFORMS = {name: PRESETS[name] for name in sorted(PRESETS)} | {
    f"lavin{m.signs}": m.transform for m in sign_flip_family(PRESETS["lavin"])[5:7]
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_counts_reproduce_the_derived_counts_in_references(name):
    """REFERENCES.md: 32 add/sub input transform, 24 output transform; 36 vs 16 |·| per channel pair."""
    g = TileGeometry.from_matrices(PRESETS[name].BT, PRESETS[name].AT)
    assert (g.n, g.m, g.r) == (4, 2, 3)
    assert g.input_transform_adds == 32
    assert g.output_transform_adds == 24
    assert per_channel_pair("adder_direct", g) == {
        "difference": 36,
        "abs": 36,
        "window_sum": 32,
        "accumulate": 4,
    }
    assert per_channel_pair("adder_winograd", g) == {"difference": 16, "abs": 16, "accumulate": 16}
    assert per_channel_pair("cnn_winograd", g) == {"multiply": 16, "accumulate": 16}


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("c_in, lanes", [(1, 1), (3, 2), (5, 4)])
def test_counts_equal_the_operations_the_simulator_performs(name, c_in, lanes, monkeypatch):
    """Run one output tile (c_in channels, P = lanes output channels) through the simulator's own stage
    functions on symbolic inputs and tally every add/sub/abs they perform, stage by stage."""
    monkeypatch.setattr(dp, "np", _NumpyKeepingObjects())
    transform = TRANSFORMS[name]
    cfg = DatapathConfig.default().replace(matrices=transform, lanes=lanes)
    tally = Counter()
    d = Sym.tile("d", (c_in, 4, 4), tally)
    u = Sym.tile("u", (c_in, lanes, 4, 4), tally)
    performed = {}

    def stage(name, fn, *args, **kwargs):
        tally.clear()
        result = fn(*args, **kwargs)
        performed[name] = dict(tally)
        return result

    v = stage("input_transform", dp.input_transform, d, transform.BT)
    va = stage("align", dp.align, v, cfg.u_extra_frac)
    m = stage("neg_abs_diff", dp.neg_abs_diff, u, va[:, None])
    s = stage("channel_accumulate", dp.channel_accumulate, m, cfg.acc_fmt, cfg.acc_overflow, axis=0)
    stage("output_transform", dp.output_transform, s, transform.AT)

    model = tile_op_counts(
        "adder_winograd", TileGeometry.from_matrices(transform.BT, transform.AT), c_in, lanes
    )
    assert performed["align"] == {}
    assert sum(performed["input_transform"].values()) == model["input_transform"][1]
    assert performed["neg_abs_diff"] == {"sub": model["difference"][1], "abs": model["abs"][1]}
    assert performed["channel_accumulate"] == ({"add": model["accumulate"][1]} if c_in > 1 else {})
    assert sum(performed["output_transform"].values()) == model["output_transform"][1]
    assert "mul" not in set().union(*performed.values())
    # ...and the symbols computed are Bᵀ d B: the counted matrices are the ones applied.
    bt = np.asarray(transform.BT, dtype=np.int64)
    for i, j in np.ndindex(4, 4):
        expected = {("d", 0, a, b): bt[i, a] * bt[j, b] for a in range(4) for b in range(4)}
        assert v[0, i, j].terms == {k: c for k, c in expected.items() if c}


def test_vector_adds_counts_nonzeros_and_negations():
    assert opcount.vector_adds([[1, 1, 1], [0, 0, 1], [0, -1, 0], [0, 0, 0]]) == 2 + 0 + 1 + 0
    assert opcount.separable_adds(np.eye(4, dtype=int)) == 0
    with pytest.raises(ValueError, match="transform"):
        opcount.vector_adds([[1, 2]])


def test_direct_counts_follow_the_tile_definition():
    """Direct designs: every output of the 2×2 tile sums 9 taps per input channel, then over channels."""
    g = TileGeometry.from_matrices(PRESETS["balanced"].BT, PRESETS["balanced"].AT)
    c_in, c_out = 5, 3
    terms = [
        (o, i, j, c, a, b)
        for o in range(c_out)
        for i, j in np.ndindex(2, 2)
        for c in range(c_in)
        for a, b in np.ndindex(3, 3)
    ]
    outputs = {t[:3] for t in terms}
    adder = tile_op_counts("adder_direct", g, c_in, c_out)
    assert adder["difference"] == ("sub", len(terms)) and adder["abs"] == ("abs", len(terms))
    assert adder["window_sum"][1] + adder["accumulate"][1] == len(terms) - len(outputs)
    cnn = tile_op_counts("cnn_direct", g, c_in, c_out)
    assert cnn["multiply"] == ("mul", len(terms))
    assert cnn["window_sum"] == adder["window_sum"] and cnn["accumulate"] == adder["accumulate"]


def test_bad_arguments_name_the_field():
    g = TileGeometry.from_matrices(PRESETS["balanced"].BT, PRESETS["balanced"].AT)
    with pytest.raises(ValueError, match="design"):
        tile_op_counts("systolic", g, 1, 1)
    with pytest.raises(ValueError, match="c_in"):
        tile_op_counts("adder_direct", g, 0, 1)


def test_energies_interpolate_through_the_horowitz_figures():
    h = opcount.HOROWITZ_45NM_PJ
    assert opcount.add_energy_pj(8) == pytest.approx(h[("int_add", 8)])
    assert opcount.add_energy_pj(32) == pytest.approx(h[("int_add", 32)])
    assert opcount.mul_energy_pj(8, 8) == pytest.approx(h[("int_mul", 8)])
    assert opcount.mul_energy_pj(32, 32) == pytest.approx(h[("int_mul", 32)])
    # adds linear in width, multiplies linear in the product of the widths (quadratic in width)
    assert opcount.add_energy_pj(20) == pytest.approx((h[("int_add", 8)] + h[("int_add", 32)]) / 2)
    assert opcount.mul_energy_pj(16, 32) == pytest.approx(opcount.mul_energy_pj(8, 64))
    assert opcount.add_energy_pj(2) > 0 and opcount.mul_energy_pj(2, 2) > 0


@pytest.mark.parametrize("width", [4, 8, 16])
def test_energy_table_orders_the_designs(width):
    cfg = DatapathConfig.default().replace(act_fmt=Fmt(width, width // 2))
    rows = {r["design"]: r for r in opcount.energy_table(cfg, 64, 64)}
    assert list(rows) == list(DESIGNS)
    energy = {name: r["energy_pj_per_tile"] for name, r in rows.items()}
    assert energy["adder_winograd"] < energy["adder_direct"] < energy["cnn_direct"]
    if width >= 8:  # at 4 bits the wider Winograd-domain multiplies and sums outweigh the 2.25x fewer
        assert energy["cnn_winograd"] < energy["cnn_direct"]
    assert rows["adder_direct"]["vs_adder_direct"] == 1.0
    for r in rows.values():
        assert r["energy_pj_per_output"] == pytest.approx(r["energy_pj_per_tile"] / (4 * 64))
        assert r["energy_pj_per_tile"] == pytest.approx(sum(op["energy_pj"] for op in r["ops"]))
    assert rows["adder_direct"]["mul"] == rows["adder_winograd"]["mul"] == 0


def test_adder_widths_are_the_rtl_widths():
    from simulator.rtl_params import direct_pe_parameters, rtl_parameters

    cfg = DatapathConfig.default()
    core, pe = rtl_parameters(cfg), direct_pe_parameters(cfg)
    wino = opcount.stage_widths("adder_winograd", cfg)
    assert [wino[s][0] for s in ("input_transform", "difference", "accumulate", "output_transform")] == [
        core["WV"],
        core["WD"],
        core["WS"],
        core["WY"],
    ]
    direct = opcount.stage_widths("adder_direct", cfg)
    assert (direct["difference"][0], direct["window_sum"][0], direct["accumulate"][0]) == (
        pe["WDIF"],
        pe["WP"],
        pe["WS"],
    )
