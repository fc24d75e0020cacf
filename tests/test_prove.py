"""`winoadder prove`: the default config's proofs, the quick subset of the other shipped configs, a
deliberately broken stage caught with a replayable counterexample, and the usage errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from simulator import DatapathConfig, datapath
from simulator.rtl_params import channel_term_ranges
from winoadder.cli import main
from winoadder.hw import prove
from winoadder.paths import RTL_DIR

pytestmark = pytest.mark.formal


def _prove(tmp_path, *args):
    out = tmp_path / "prove.json"
    rc = main(["prove", "--json", str(out), "--cex-dir", str(tmp_path / "cex"), *args])
    return rc, json.loads(out.read_text())["results"]


def test_default_config_every_stage_proved(tmp_path):
    rc, rows = _prove(tmp_path, "--config", "default")
    # output_transform.steered is proved output by output: rows "output_transform.steered[k]"
    assert {r["stage"].split("[")[0] for r in rows} == set(prove.STAGE_NAMES)
    assert sorted(r["stage"] for r in rows if r["stage"].startswith("output_transform.steered")) == [
        f"output_transform.steered[{k}]" for k in range(4)]
    assert all(r["status"] == ("covered" if r["stage"].endswith(".cover") else "proved") for r in rows)
    assert rc == 0


@pytest.mark.parametrize("config", ["lavin-wrap", "conv-satsym", "unsigned", "narrow-sat"])
def test_quick_subset_proved_for_other_configs(tmp_path, config):
    rc, rows = _prove(tmp_path, "--config", config, "--quick")
    assert [r["stage"] for r in rows] == list(prove.QUICK_STAGES)
    assert [r["status"] for r in rows] == ["proved"] * len(rows)
    assert rc == 0


def test_broken_stage_fails_with_replayable_counterexample(tmp_path):
    broken = tmp_path / "rtl"
    shutil.copytree(RTL_DIR, broken)
    source = broken / "requantize.v"
    text = source.read_text()
    assert "(ROUND == 4) ? rest[SHIFT-1] :" in text
    source.write_text(text.replace("(ROUND == 4) ? rest[SHIFT-1] :", "(ROUND == 4) ? above_half :"))
    rc, rows = _prove(tmp_path, "--config", "default", "--stages", "requantize", "--rtl", str(broken))
    assert rc == 1
    (row,) = rows
    assert row["status"] == "failed" and row["mismatch"]
    vector = json.loads((tmp_path / "cex" / "default_requantize.json").read_text())
    assert (tmp_path / "cex" / "default_requantize.vcd").read_text().startswith("$version")
    # Replay the vector through the simulator: it disagrees with the broken RTL's output.
    cfg = prove.shipped_configs()["default"]
    want = datapath.requantize(np.array(vector["inputs"]["y"]), cfg)
    assert want.tolist() == vector["simulator"]
    assert vector["rtl"] != vector["simulator"]
    y = vector["inputs"]["y"][0]
    assert y % 4 == 2  # a tie: the one input class the edit changes (RND rounds ties up)


def test_missing_tools_is_one_line_exit_2(monkeypatch, capsys):
    real = prove.find_tools
    monkeypatch.setattr(prove, "find_tools", lambda: real(path=""))  # nothing on the search path
    assert main(["prove", "--config", "default", "--stages", "align"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install" in err and prove.SBY_PIN in err


@pytest.mark.parametrize(("args", "field"), [
    (["--stages", "nope"], "--stages"),
    (["--config", "nope"], "--config"),
    (["--depth", "0"], "--depth"),
    (["--rtl", "/nonexistent"], "--rtl"),
])
def test_usage_errors(args, field, capsys):
    assert main(["prove", *args]) == 2
    assert field in capsys.readouterr().err


def test_broken_accumulator_step_replays_through_simulator(tmp_path):
    broken = tmp_path / "rtl"
    shutil.copytree(RTL_DIR, broken)
    source = broken / "channel_accumulate.v"
    text = source.read_text()
    sum_line = "+: WS], 1'b1}) + `CA_OPERAND(c);"
    assert sum_line in text
    source.write_text(text.replace(sum_line, "+: WS], 1'b0}) + `CA_OPERAND(c);"))  # drops the carry k
    rc, rows = _prove(tmp_path, "--config", "default", "--stages", "channel_accumulate.step",
                      "--rtl", str(broken))
    assert rc == 1 and rows[0]["status"] == "failed"
    vector = json.loads((tmp_path / "cex" / "default_channel_accumulate.step.json").read_text())
    assert vector["mismatch"] and vector["transactions"]
    # the default config accumulates in the output domain: the terms are one channel's Z = AᵀMA
    z = np.array(vector["transactions"][-1]["z"])
    (alo, ahi), (blo, bhi) = channel_term_ranges(DatapathConfig.default())  # Z = Za + Zb
    assert ((z >= alo + blo) & (z <= ahi + bhi)).all()
    # The contract's step: the RTL is off by the carry (1) in every mismatching entry.
    for c in vector["mismatch"]:
        assert abs(vector["rtl"][c] - vector["simulator"][c]) == 1


def test_proof_out_of_time_is_unknown_never_proved(tmp_path):
    rc, rows = _prove(tmp_path, "--config", "default", "--stages", "output_transform", "--timeout", "1")
    (row,) = rows
    assert row["status"] == "unknown" and row["sby"] == "TIMEOUT"
    assert {"basecase_depth", "induction_depth"} <= set(row)
    assert rc == 1
