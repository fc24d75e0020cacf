"""`winoadder bench`: table/JSON structure, goal logic, and the anchors' correctness at tiny sizes.

No timing assertions: speed is what `winoadder bench` reports, not what tests check.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pytest

from fixedpoint.errors import UsageError
from winoadder import bench
from winoadder.benchmarks import core, fixedpoint_suite, layer_suite
from winoadder.benchmarks.core import Goal, Row, Timing

INSTANT = Timing(repeats=1, min_sample=0.0)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("goal", "ours", "ratio", "met"),
    [
        (Goal(5.0), 10.0, 5.0, True),
        (Goal(5.0), 10.0, 4.99, False),
        (Goal(5.0), 10.0, None, None),
        (Goal(200e3, on="ours", unit="tx/s"), 250e3, None, True),
        (Goal(200e3, on="ours", unit="tx/s"), 150e3, 99.0, False),
        (Goal(1024, on="ours", at_most=True, unit="MiB"), 1024.0, None, True),
        (Goal(1024, on="ours", at_most=True, unit="MiB"), 1025.0, None, False),
        (Goal(1024, on="ours", at_most=True, unit="MiB"), None, None, None),
    ],
)
def test_goal_met_compares_the_right_quantity_in_the_right_direction(goal, ours, ratio, met):
    assert goal.met(ours, ratio) is met


def test_goal_text_names_direction_and_threshold():
    assert Goal(5.0).text() == "≥ 5×"
    assert Goal(0.5).text() == "≥ 0.5×"
    assert Goal(200e3, on="ours", unit="tx/s").text() == "≥ 200k tx/s"
    assert Goal(1024, on="ours", at_most=True, unit="MiB").text() == "≤ 1024 MiB"
    with pytest.raises(ValueError, match="on"):
        Goal(1.0, on="anchor")


def test_row_ratio_is_ours_over_anchor_and_drives_met():
    row = Row("s", "op", "1e3", "elem/s", ours=300.0, anchor="numpy", anchor_value=100.0, goal=Goal(2.0))
    assert row.ratio == pytest.approx(3.0)
    assert row.met is True and row.met_text() == "yes"
    cells = row.table_row()
    assert cells[:7] == ["op", "1e3", "300 elem/s", "numpy 100", "3.00×", "≥ 2×", "yes"]


def test_row_without_anchor_or_goal_shows_why():
    absent = Row("s", "op", "1e3", "elem/s", 300.0, "APyTypes", anchor_status="not installed", goal=Goal(5))
    assert absent.ratio is None and absent.met is None
    assert absent.table_row()[3:7] == ["APyTypes: not installed", "—", "≥ 5×", "n/a"]
    broken = core.unavailable("s", "op", "1e3", "tx/s", "no module named x")
    assert broken.table_row()[2] == "unavailable: no module named x"
    assert broken.met_text() == "—"
    info = Row("s", "op", "1e3", "elem/s", ours=1.0, anchor="numpy", anchor_value=2.0)
    assert info.met is None and info.met_text() == "—"


def test_human_uses_si_suffixes():
    values = (1.234e9, 45.6e6, 812e3, 0.5, None)
    assert [core.human(v) for v in values] == ["1.23G", "45.6M", "812k", "0.5", "—"]


def test_timing_returns_positive_seconds_per_call():
    calls = []
    seconds = Timing(repeats=2, min_sample=0.001).seconds_per_call(lambda: calls.append(1))
    assert seconds > 0 and len(calls) >= 3  # warm-up plus at least one call in each of two samples


def test_parse_only_keeps_canonical_order_and_rejects_unknown_names():
    assert bench.parse_only(None) == ["fixedpoint", "grade", "layer", "rtl", "vectors", "explore"]
    assert bench.parse_only("vectors, fixedpoint") == ["fixedpoint", "vectors"]
    valid = "fixedpoint, grade, layer, rtl, vectors, explore"
    with pytest.raises(UsageError, match=f"--only: unknown suite 'gpu'; valid: {valid}"):
        bench.parse_only("fixedpoint,gpu")
    with pytest.raises(UsageError, match="--only"):
        bench.parse_only(",")


def test_bad_json_path_fails_before_measuring_and_writes_nothing(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(bench, "run_suite", lambda name, quick: ran.append(name) or [])
    with pytest.raises(UsageError, match="--json: .* is a directory"):
        bench.run(parse(["--only", "fixedpoint", "--json", str(tmp_path)]))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="is not a directory"):
        bench.run(parse(["--json", str(blocker / "sub" / "bench.json")]))
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_quick_fixedpoint_run_prints_the_table_and_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(core, "QUICK_TIMING", INSTANT)
    monkeypatch.setattr(fixedpoint_suite, "QUICK_SIZES", (64,))
    out = tmp_path / "deep" / "bench.json"
    assert bench.run(parse(["--quick", "--only", "fixedpoint", "--json", str(out)])) == 0
    printed = capsys.readouterr().out
    assert "| what" in printed and "| ratio" in printed and "| met" in printed
    report = json.loads(out.read_text())
    assert report["mode"] == "quick" and report["suites"] == ["fixedpoint"]
    assert {"nproc", "cpu", "numpy", "apytypes", "fxpmath"} <= set(report["machine"])
    rows = report["rows"]
    assert {(r["what"].split()[0], r["anchor"]) for r in rows} == {
        (op, anchor) for op in fixedpoint_suite.OPS for anchor in ("numpy", "APyTypes", "fxpmath")
    }
    for r in rows:
        assert r["status"] == "ok" and r["anchor_status"] == "ok"
        assert r["ours"] > 0 and r["anchor_value"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["anchor_value"])
        assert "DIFFER" not in r["note"]
        if r["goal"] is not None:
            assert r["met"] == (r["ratio"] >= r["goal"]["threshold"])
    with_goal = [r for r in rows if r["goal"]]
    assert f"goals met: {sum(r['met'] for r in with_goal)} of {len(with_goal)}" in printed
    goals = {(r["what"].split()[0], r["anchor"]): r["goal"]["threshold"] for r in with_goal}
    assert goals == {("add", "numpy"): 0.5, ("abs", "numpy"): 0.5} | {
        (op, "fxpmath"): 100 for op in fixedpoint_suite.OPS
    }  # at 64 elements the cast against APyTypes is a context row (below CAST_GOAL_MIN_ELEMENTS)
    (cast_apy,) = [r for r in rows if r["what"].startswith("cast") and r["anchor"] == "APyTypes"]
    assert cast_apy["goal"] is None and cast_apy["met"] is None and "context, no goal" in cast_apy["note"]


def test_the_cast_goal_against_apytypes_starts_at_1e5_elements():
    assert fixedpoint_suite.goal_for("cast", "APyTypes", 1_000) is None
    assert fixedpoint_suite.goal_for("cast", "APyTypes", 100_000).threshold == 5.0
    assert fixedpoint_suite.goal_for("cast", "fxpmath", 1_000).threshold == 100.0
    assert fixedpoint_suite.goal_for("add", "APyTypes", 1_000_000) is None


def test_a_crashing_suite_becomes_an_unavailable_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(bench.SUITES, "vectors", "winoadder.benchmarks.no_such_suite")
    out = tmp_path / "bench.json"
    assert bench.run(parse(["--quick", "--only", "vectors", "--json", str(out)])) == 0
    assert bench.run(parse(["--quick", "--only", "vectors", "--json", str(out), "--strict"])) == 1
    (row,) = json.loads(out.read_text())["rows"]
    assert row["status"].startswith("unavailable: ModuleNotFoundError") and row["ours"] is None
    assert "unavailable: ModuleNotFoundError" in capsys.readouterr().out


@pytest.mark.parametrize("op", fixedpoint_suite.OPS)
def test_fixedpoint_anchors_compute_the_same_integers_as_ours(op):
    a, b = fixedpoint_suite.operands(257, seed=3)
    a[:2] = -(1 << 19), (1 << 19) - 1  # the extremes of s20.8
    ours = np.asarray(fixedpoint_suite.ours_kernel(op, a, b)()).copy()
    assert np.array_equal(fixedpoint_suite.numpy_kernel(op, a, b)(), ours)
    apy_fn, apy_raw = fixedpoint_suite.apytypes_kernel(op, a, b)
    assert np.array_equal(apy_raw(apy_fn()), ours)


def _direct_winograd_adder(x, u, bt, at):
    """Y per output pixel, straight from the definition (one tile at a time), 'same' padding."""
    n, c_count, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 3), (1, 3)))
    y = np.zeros((n, u.shape[0], h + 1, w + 1))
    for o in range(u.shape[0]):
        for i in range(0, h, 2):
            for j in range(0, w, 2):
                s = sum(-np.abs(u[o, c] - bt @ xp[0, c, i : i + 4, j : j + 4] @ bt.T) for c in range(c_count))
                y[0, o, i : i + 2, j : j + 2] = at @ s @ at.T
    return y[:, :, :h, :w]


@pytest.mark.parametrize("shape", [(3, 2, 5, 7), (2, 3, 4, 4)])
def test_plain_numpy_layer_is_the_winograd_adder_definition(shape):
    from simulator import DatapathConfig

    cfg = DatapathConfig.default()
    x, u = layer_suite.random_layer(cfg, shape, seed=5)
    xf, uf = x * cfg.act_fmt.lsb, u * cfg.u_fmt.lsb
    bt, at = np.asarray(cfg.transform.BT), np.asarray(cfg.transform.AT)
    expected = _direct_winograd_adder(xf, uf, bt, at)
    assert np.array_equal(layer_suite.plain_numpy_layer(xf, uf, bt, at), expected)  # dyadic values: exact


def test_apytypes_and_python_loop_layers_agree_bit_for_bit():
    from simulator import DatapathConfig

    default = DatapathConfig.default()
    narrow = [
        default.replace(acc_width=12, acc_overflow=mode) for mode in ("SAT", "WRAP")
    ]  # 3 channels overflow
    for cfg in [default, *narrow]:
        x, u = layer_suite.random_layer(cfg, (3, 2, 5, 7), seed=7)
        loop = layer_suite.python_loop_layer(cfg, x, u)
        assert loop.shape == (1, 2, 5, 7)
        assert np.array_equal(layer_suite.apytypes_layer(cfg, x, u), loop)


def test_tile_channel_ops_counts_output_tiles_times_channel_pairs():
    assert layer_suite.tile_channel_ops((64, 64, 32, 32)) == 16 * 16 * 64 * 64
    assert layer_suite.tile_channel_ops((3, 2, 5, 7)) == 3 * 4 * 3 * 2


def test_apytypes_layer_matches_the_simulators_conv_layer():
    from simulator import DatapathConfig
    from simulator.layer import conv_layer

    cfg = DatapathConfig.default()
    x, u = layer_suite.random_layer(cfg, (3, 2, 5, 7), seed=11)
    assert np.array_equal(layer_suite.apytypes_layer(cfg, x, u), conv_layer(cfg, x, u, padding=1).out)


def test_layer_suite_rows_at_tiny_sizes(monkeypatch):
    monkeypatch.setattr(layer_suite, "MAIN_LAYER", (4, 4, 6, 6))
    monkeypatch.setitem(layer_suite.SMALL_LAYER, True, (2, 2, 4, 4))
    rows = layer_suite.run(quick=True, timing=INSTANT)
    assert [r.anchor for r in rows] == ["plain numpy f64", "float reference", "APyTypes datapath",
                                        "per-tile Python loop"]  # fmt: skip
    assert [r.goal.threshold if r.goal else None for r in rows] == [2.0, None, None, None]
    assert "context, no goal" in rows[1].note  # the float reference runs the same kernel as ours
    for r in rows:
        assert r.status == "ok" and r.ours > 0 and r.anchor_value > 0 and "DIFFER" not in r.note


def test_memory_row_measures_a_child_process(monkeypatch):
    monkeypatch.setattr(layer_suite, "MEMORY_LAYER", (4, 4, 8, 8))
    row = layer_suite.memory_row()
    assert row.status == "ok" and row.unit == "MiB"
    assert 10 < row.ours < layer_suite.MEMORY_LIMIT_MIB and row.met is True
    assert "own traced peak" in row.note


def test_rtl_rows_on_icarus_with_a_tiny_vector_set(tmp_path):
    from simulator import DatapathConfig
    from winoadder.benchmarks import rtl_suite

    rate, build = rtl_suite.simulator_rows(DatapathConfig.default(), "iverilog", 8, str(tmp_path / "vs"))
    assert rate.status == "ok" and rate.ours > 0 and rate.goal.threshold == 10e3
    assert "passed, 0 failed" in rate.note
    assert build.unit == "s" and build.ours >= 0 and build.goal is None


def test_vectors_suite_reports_transactions_written_per_second(monkeypatch):
    from winoadder.benchmarks import vectors_suite

    monkeypatch.setitem(vectors_suite.COUNT, True, 16)
    (row,) = vectors_suite.run(quick=True, timing=INSTANT)
    assert row.status == "ok" and row.unit == "tx/s" and row.ours > 0 and row.goal is None


def test_missing_optional_anchors_are_reported_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "apytypes", None)  # makes `import apytypes` raise ImportError
    monkeypatch.setitem(sys.modules, "fxpmath", None)
    a, b = fixedpoint_suite.operands(32)
    rows = {r.anchor: r for r in fixedpoint_suite.measure_op("cast", a, b, INSTANT, fxpmath_elements=32)}
    assert rows["numpy"].status == "ok" and rows["numpy"].ratio > 0
    for name in ("APyTypes", "fxpmath"):
        assert rows[name].anchor_status == "not installed" and rows[name].anchor_value is None
        assert rows[name].met is None and rows[name].table_row()[3] == f"{name}: not installed"
    assert bench.machine_info()["apytypes"] is None and bench.machine_info()["fxpmath"] is None
    from simulator import DatapathConfig

    layer_rows = layer_suite.small_layer_rows(DatapathConfig.default(), (2, 2, 4, 4), 1e6, INSTANT)
    assert layer_rows[0].anchor_status == "not installed" and layer_rows[1].anchor_value > 0
