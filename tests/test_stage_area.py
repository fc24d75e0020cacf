"""tune's lut4 objective: winoadder_core's iCE40 LUT4 as the sum of its stage modules, each synthesized alone,
orders configurations as full-core synthesis does; a missing yosys is a one-line usage error."""

from __future__ import annotations

from winoadder import cli
from winoadder.hw import stage_area
from winoadder.ml import tune

MODEL = str(tune.resolve_model("wino_balanced"))
KNOBS = {"fa": 3, "K": 0, "acc_drop": 0, "out_w": 7, "rounding": "RND", "a_clip": 0}


def layer1(**change):
    knobs = [dict(KNOBS), dict(KNOBS, **change)]
    return tune.layer_configs(MODEL, None, knobs, 1)[1]


def test_stage_instances_follow_the_lanes():
    """Winograd-domain accumulator (narrower than exact: Y_ACC = 0) and output-domain one (exact)."""
    from simulator.rtl_params import rtl_parameters

    narrow = layer1().replace(acc_width=layer1().exact_acc_width - 1)
    one, two = (stage_area.stage_instances(narrow.replace(lanes=p)) for p in (1, 2))
    assert [m for m, _, _ in one] == ["input_transform", "align", "neg_abs_diff", "channel_accumulate",
                                      "output_transform", "requantize"]
    per_lane = {m for (m, _, n1), (_, _, n2) in zip(one, two, strict=True) if n2 == 2 * n1}
    assert per_lane == {"neg_abs_diff", "channel_accumulate"}
    assert dict((m, p) for m, p, _ in one)["channel_accumulate"]["WS"] == narrow.acc_width
    exact = layer1()
    assert rtl_parameters(exact)["Y_ACC"] == 1
    one, two = (stage_area.stage_instances(exact.replace(lanes=p)) for p in (1, 2))
    assert [(m, n) for m, _, n in one] == [("input_transform", 1), ("align", 1), ("neg_abs_diff", 4),
                                           ("output_transform", 1), ("channel_accumulate", 1),
                                           ("requantize", 4)]
    per_lane = {m for (m, _, n1), (_, _, n2) in zip(one, two, strict=True) if n2 == 2 * n1}
    assert per_lane == {"neg_abs_diff", "output_transform", "channel_accumulate"}
    params = dict((m, p) for m, p, _ in one)
    assert params["channel_accumulate"]["WS"] == exact.widths.WY
    assert params["output_transform"]["STEERED"] == 1


def test_stage_sum_orders_two_configs_as_full_synthesis(tmp_path):
    """Two layer configs a few bits apart: the stage-sum estimate ranks them as full-core synthesis."""
    small, large = layer1(fa=2, out_w=6), layer1(fa=4, out_w=8)
    est = [stage_area.stage_sum_lut4(c, tmp_path) for c in (small, large)]
    full = [stage_area.core_lut4(c, tmp_path) for c in (small, large)]
    assert est[0] < est[1] and full[0] < full[1], (est, full)
    runs = []
    networks = stage_area.network_lut4([[small], [small, large]], lambda ts: runs.extend(ts) or
                                       [stage_area.stage_lut4(t) for t in ts], tmp_path)
    assert networks == [est[0], est[0] + est[1]]
    assert len(runs) == len({repr(t) for t in runs})  # each distinct stage synthesis is asked for once


def test_lut4_objective_without_yosys_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "o"
    status = cli.main(["tune", "--model", "wino_balanced", "--objective", "lut4", "--out", str(out),
                       "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "yosys not found" in err and "\n" not in err and not out.exists()


def test_lut4_objective_prices_valid_candidates_through_run_synth():
    """tune's Search prices each valid candidate as Σ layers Σ instances × the stage task's LUT4 (here a
    stub runner), leaves invalid knobs unpriced (None), and prices study's uniform widths the same way."""
    def stub(tasks):
        return [{"lut4": 1 + sum(v for _, v in t["params"]) % 97} for t in tasks]

    search = tune.Search(MODEL, None, tune.Target.parse("top1 >= float - 0.5"), "lut4", 2, 0.0, None, [],
                         run_synth=stub)
    valid = [dict(KNOBS), dict(KNOBS, fa=5)]
    invalid = [dict(KNOBS, acc_drop=1, acc_mode="WRAP"), dict(KNOBS)]
    costs = search.costs([valid, invalid, {"uniform": 7}])
    for knobs, cost in ((valid, costs[0]), ({"uniform": 7}, costs[2])):
        cfgs = tune.layer_configs(MODEL, None, knobs, 2)
        lut = {repr(t): r["lut4"] for t in [stage_area.stage_task(m, p) for c in cfgs
                                            for m, p, _ in stage_area.stage_instances(c)] for r in stub([t])}
        assert cost == sum(n * lut[repr(stage_area.stage_task(m, p))] for c in cfgs
                           for m, p, n in stage_area.stage_instances(c))
    assert costs[1] is None and costs[0] != costs[2]
