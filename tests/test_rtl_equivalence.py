"""Property-based RTL equivalence: winoadder_core and adder_pe_direct on Icarus/Verilator equal their
bit-exact models (simulator.datapath.run_stream; simulator.direct.run_direct_stream).

Hypothesis draws configurations (activation widths 2..16 signed/unsigned, K, accumulator widths down to
too-narrow ones with WRAP and SAT, every rounding and output overflow mode, both presets, P 1..4,
1..64 channels) and transaction batches (random classes plus one directed class; the
whole transform_extremes class on the output-domain core). Every example is
simulated on Icarus (a build per parameter set, cached by content); Verilator runs a bounded set of two
parameter sets. The direct PE gets the same treatment with its own vector classes (its configurations
need out.frac <= act.frac).
Set WINOADDER_SAVE_REGRESSION=1 to save a failing example (the shrunk one is written
last) as vectors/regression/property-<test>; every saved set is replayed on both simulators below.
"""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixedpoint import Fmt, Overflow, Rounding
from simulator import PRESETS, DatapathConfig
from simulator.datapath import run_stream
from simulator.direct import run_direct_stream
from vectors.direct import DIRECT_DIRECTED, DIRECT_RANDOM, generate_direct
from vectors.generator import DIRECTED_CLASSES, RANDOM_CLASSES, Transactions, generate
from vectors.manifest import create_vector_set, read_vector_set, write_transactions
from vectors.regressions import regression_sets, save_regression, shipped_sets
from winoadder.hw.verify import run_simulator

pytestmark = pytest.mark.rtl

MAX_TRANSACTIONS = 96
OUT_OVERFLOWS = (Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM)
# The bounded Verilator set: the default config and a narrow-accumulator WRAP config (both also used by
# the shipped regression sets, so their builds are shared).
VERILATOR_CONFIGS = tuple(cfg for cfg, _classes in shipped_sets().values())


@st.composite
def configs(draw):
    signed = draw(st.booleans())
    width = draw(st.integers(2, 16))
    frac = draw(st.integers(0, width))
    k = draw(st.integers(0, 2))
    out_width = draw(st.integers(2, 12))
    shift = draw(st.integers(0, min(frac + k + 2, 6)))
    out_signed = draw(st.booleans())
    cfg = DatapathConfig.default().replace(
        transform=PRESETS[draw(st.sampled_from(sorted(PRESETS)))],
        act_fmt=Fmt(width, frac, signed),
        u_extra_frac=k,
        max_channels=draw(st.integers(1, 64)),
        lanes=draw(st.integers(1, 4)),
        acc_overflow=draw(st.sampled_from((Overflow.WRAP, Overflow.SAT))),
        out_fmt=Fmt(out_width, frac + k, out_signed),
        rounding=draw(st.sampled_from(list(Rounding))),
        overflow=draw(st.sampled_from(OUT_OVERFLOWS)),
    )
    narrower = draw(st.integers(0, cfg.exact_acc_width - 2))  # 0: exact; more: too narrow, overflows
    cfg = cfg.replace(acc_width=cfg.exact_acc_width - narrower)
    # DatapathConfig requires SHIFT < WY (requantize must keep at least one bit of Y).
    shift = min(shift, cfg.widths.WY - 1)
    return cfg.replace(out_fmt=Fmt(out_width, frac + k - shift, out_signed))


@st.composite
def batches(draw, cfg):
    """A batch: some random-class transactions, then the first accumulations of one directed class."""
    seed = draw(st.integers(0, 2**16))
    count = draw(st.integers(1, 40))
    random_class = draw(st.sampled_from(RANDOM_CLASSES))
    directed_class = draw(st.sampled_from(DIRECTED_CLASSES))
    randoms = generate(cfg, count, seed, [random_class])
    # Some directed classes are empty for some configs (no requantizer ties when SHIFT = 0).
    both = generate(cfg, 1, seed, [random_class, directed_class])
    directed = _class_only(both, directed_class)
    return _concatenate(randoms, _leading_accumulations(directed, MAX_TRANSACTIONS - len(randoms)))


def _class_only(tx: Transactions, name: str) -> Transactions:
    keep = tx.class_index == tx.classes.index(name)
    return Transactions(tx.d[keep], tx.u[keep], tx.first[keep], tx.last[keep], tx.class_index[keep] * 0,
                        (name,))


def _leading_accumulations(tx: Transactions, limit: int) -> Transactions:
    """The longest prefix of whole accumulations with at most ``limit`` transactions (at least one)."""
    ends = np.flatnonzero(tx.last) + 1
    fitting = ends[ends <= limit]
    end = int(fitting[-1]) if len(fitting) else int(ends[0]) if len(ends) else 0
    return Transactions(tx.d[:end], tx.u[:end], tx.first[:end], tx.last[:end], tx.class_index[:end],
                        tx.classes)


def _concatenate(a: Transactions, b: Transactions) -> Transactions:
    classes = a.classes + b.classes
    return Transactions(np.concatenate([a.d, b.d]), np.concatenate([a.u, b.u]),
                        np.concatenate([a.first, b.first]), np.concatenate([a.last, b.last]),
                        np.concatenate([a.class_index, b.class_index + len(a.classes)]), classes)


def _assert_rtl_equals_model(cfg, tx, sim, test_name):
    if isinstance(tx, Transactions):
        out = run_stream(cfg, tx.d, tx.u, tx.first, tx.last).out[tx.last]
    else:
        out = run_direct_stream(cfg, tx.d, tx.g, tx.first, tx.last).out[tx.last]
    expected = out.reshape(-1, 2, 2)  # one beat per lane, lanes in order
    lanes = np.tile(np.arange(cfg.lanes), len(out))
    with tempfile.TemporaryDirectory(prefix="winoadder-equiv-") as tmp:
        write_transactions(f"{tmp}/set", cfg, tx, seed=0, count=len(tx))
        result = run_simulator(read_vector_set(f"{tmp}/set"), sim, seed=len(tx))
    equal = (result.ok and result.actual.shape == expected.shape and np.array_equal(result.actual, expected)
             and np.array_equal(result.actual_lane, lanes))
    if not equal and os.environ.get("WINOADDER_SAVE_REGRESSION") and isinstance(tx, Transactions):
        save_regression(f"property-{test_name}-{sim}", cfg, tx)
    assert equal, f"{sim}: {result.tb_summary}, exit {result.returncode}, config {cfg}\n{result.log[-1500:]}"


@settings(max_examples=30)
@given(st.data())
def test_icarus_matches_model_on_random_configs(data):
    cfg = data.draw(configs(), label="config")
    tx = data.draw(batches(cfg), label="transactions")
    _assert_rtl_equals_model(cfg, tx, "iverilog", "icarus")


@settings(max_examples=6)
@given(st.data())
def test_icarus_output_domain_core_meets_every_transform_bound(data):
    """The whole transform_extremes class on the output-domain core (exact accumulator): its later
    patterns drive each Y bound, which the steered transform's words Za and Zb must hold exactly; the
    directed prefix of the batches above ends before them."""
    cfg = data.draw(configs(), label="config")
    cfg = cfg.replace(acc_width=cfg.exact_acc_width)
    tx = generate(cfg, 1, data.draw(st.integers(0, 2**16), label="seed"), ["transform_extremes"])
    _assert_rtl_equals_model(cfg, tx, "iverilog", "icarus-transform-extremes")


@settings(max_examples=4)
@given(st.data())
def test_verilator_matches_model_on_bounded_configs(data):
    cfg = data.draw(st.sampled_from(VERILATOR_CONFIGS), label="config")
    tx = data.draw(batches(cfg), label="transactions")
    _assert_rtl_equals_model(cfg, tx, "verilator", "verilator")


@st.composite
def direct_configs(draw):
    """Configs the direct PE takes: out.frac <= act.frac (its requantizer shifts by act.frac - out.frac)."""
    signed = draw(st.booleans())
    width = draw(st.integers(2, 12))
    frac = draw(st.integers(0, width))
    shift = draw(st.integers(0, min(frac, 5)))
    return DatapathConfig.default().replace(
        act_fmt=Fmt(width, frac, signed), max_channels=draw(st.integers(1, 64)),
        lanes=draw(st.integers(1, 4)),
        out_fmt=Fmt(draw(st.integers(2, 12)), frac - shift, draw(st.booleans())),
        rounding=draw(st.sampled_from(list(Rounding))), overflow=draw(st.sampled_from(OUT_OVERFLOWS)))


@st.composite
def direct_batches(draw, cfg):
    """Random-class transactions, then one directed class (whole accumulations, bounded length)."""
    seed = draw(st.integers(0, 2**16))
    random_class = draw(st.sampled_from(DIRECT_RANDOM))
    directed_class = draw(st.sampled_from(DIRECT_DIRECTED))
    tx = generate_direct(cfg, draw(st.integers(1, 40)), seed, [random_class, directed_class])
    ends = np.flatnonzero(tx.last) + 1
    fitting = ends[ends <= MAX_TRANSACTIONS]
    end = int(fitting[-1]) if len(fitting) else int(ends[0])
    return type(tx)(tx.d[:end], tx.g[:end], tx.first[:end], tx.last[:end], tx.class_index[:end], tx.classes)


@settings(max_examples=15)
@given(st.data())
def test_icarus_direct_pe_matches_model_on_random_configs(data):
    cfg = data.draw(direct_configs(), label="config")
    tx = data.draw(direct_batches(cfg), label="transactions")
    _assert_rtl_equals_model(cfg, tx, "iverilog", "icarus-direct")


@settings(max_examples=2)
@given(st.data())
def test_verilator_direct_pe_matches_model_on_the_default_config(data):
    cfg = DatapathConfig.default()
    tx = data.draw(direct_batches(cfg), label="transactions")
    _assert_rtl_equals_model(cfg, tx, "verilator", "verilator-direct")


@pytest.mark.parametrize("index, rounding", list(enumerate(Rounding)), ids=[r.value for r in Rounding])
def test_rounding_ties_bit_exact_for_every_mode(index, rounding, tmp_path):
    cfg = DatapathConfig.default().replace(
        act_fmt=Fmt(6, 2, True), u_extra_frac=1, max_channels=2, lanes=1, out_fmt=Fmt(5, 1, True),
        rounding=rounding, overflow=OUT_OVERFLOWS[index % len(OUT_OVERFLOWS)])
    manifest = create_vector_set(tmp_path / "ties", cfg, count=0, seed=0, classes="ties")
    coverage = manifest["coverage"]
    assert coverage["tie_positive"]["hits"] > 0 and coverage["tie_negative"]["hits"] > 0
    result = run_simulator(read_vector_set(tmp_path / "ties"), "iverilog")
    assert result.ok, f"{rounding}: {result.tb_summary}\n{result.log[-1500:]}"


def test_regression_sets_are_shipped():
    names = {p.name for p in regression_sets()}
    assert set(shipped_sets()) <= names


@pytest.mark.parametrize("sim", ["iverilog", "verilator"])
@pytest.mark.parametrize("directory", regression_sets(), ids=lambda p: p.name)
def test_regression_set_replays_bit_exact(directory, sim):
    vset = read_vector_set(directory)
    result = run_simulator(vset, sim)
    assert result.ok, f"{directory.name} on {sim}: {result.tb_summary}\n{result.log[-1500:]}"
    assert np.array_equal(result.actual, vset.read("expected_out"))
