"""`winoadder verify`: checks before simulating, bit-exact runs, mismatch reporting, watchdog."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from simulator import DatapathConfig
from vectors.manifest import MANIFEST, create_vector_set, read_vector_set
from winoadder.cli import main
from winoadder.hw import hdl
from winoadder.hw.verify import run_simulator

pytestmark = pytest.mark.rtl

DEFAULT = DatapathConfig.default()


@pytest.fixture(scope="module")
def base_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify") / "set"
    create_vector_set(out, DEFAULT, count=120, seed=11, classes="uniform,near,zero")
    return out


def _copy(base_set, tmp_path):
    target = tmp_path / "set"
    shutil.copytree(base_set, target)
    return target


def _rewrite_manifest(directory, change):
    path = directory / MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2))


def test_verify_passes_on_both_simulators(base_set, capsys):
    assert main(["verify", str(base_set), "--sim", "all"]) == 0
    out = capsys.readouterr().out
    assert "vectors/s" in out and "iverilog" in out and "verilator" in out
    beats = read_vector_set(base_set).beats
    lines = [ln.split() for ln in out.splitlines() if ln.startswith(("iverilog", "verilator"))]
    assert [(ln[3], ln[4]) for ln in lines] == [(str(beats), "0")] * 2


@pytest.mark.parametrize("sim", ["iverilog", "verilator"])
def test_hex_and_binary_loading_agree(base_set, sim):
    vset = read_vector_set(base_set)
    results = [run_simulator(vset, sim, load=load, seed=7, gap=50, stall=50) for load in ("hex", "bin")]
    assert all(r.ok for r in results)
    assert np.array_equal(results[0].actual, results[1].actual)
    assert np.array_equal(results[0].actual, vset.read("expected_out"))


def test_wrong_expectation_fails_with_mismatch_table(base_set, tmp_path, capsys):
    directory = _copy(base_set, tmp_path)
    path = directory / "expected_out.hex"
    lines = path.read_text().splitlines()
    flipped = format(int(lines[1][-1], 16) ^ 1, "x")  # beat 1 (output 0, lane 1): out[0][0] by one LSB
    lines[1] = lines[1][:-1] + flipped
    path.write_text("\n".join(lines) + "\n")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _rewrite_manifest(directory, lambda m: m["files"]["expected_out"].update(sha256=digest))
    assert main(["verify", str(directory), "--sim", "iverilog"]) == 1
    out = capsys.readouterr().out
    beats = read_vector_set(directory).beats
    assert f"{beats - 1} passed, 1 failed" in out
    assert "likely stage" in out and "requantize rounding (1 LSB)" in out and "Y expected" in out
    assert "S after the last channel" in out


def test_changed_file_is_an_error_before_simulating(base_set, tmp_path, capsys, monkeypatch):
    directory = _copy(base_set, tmp_path)
    (directory / "in_u.hex").write_text((directory / "in_u.hex").read_text().replace("0", "1", 1))
    monkeypatch.setattr("winoadder.hw.verify.run_simulator", lambda *a, **k: pytest.fail("simulated anyway"))
    assert main(["verify", str(directory), "--sim", "iverilog"]) == 2
    assert "sha256 of" in capsys.readouterr().err


def test_manifest_parameters_disagreeing_with_config_are_an_error(base_set, tmp_path, capsys):
    directory = _copy(base_set, tmp_path)
    _rewrite_manifest(directory, lambda m: m["rtl_parameters"].update(WS=m["rtl_parameters"]["WS"] + 1))
    assert main(["verify", str(directory), "--sim", "iverilog"]) == 2
    assert "rtl_parameters.WS" in capsys.readouterr().err


def test_missing_simulator_names_the_install_command(base_set, capsys, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(hdl.shutil, "which", lambda tool: None if tool == "verilator" else real_which(tool))
    assert main(["verify", str(base_set), "--sim", "all"]) == 2
    assert "apt-get install verilator" in capsys.readouterr().err


def test_watchdog_ends_a_hung_run_as_a_failure(base_set):
    result = run_simulator(read_vector_set(base_set), "iverilog", gap=100)
    assert not result.ok and result.returncode != 0
    assert "watchdog" in result.log and result.passed == 0


def test_not_a_vector_set_is_an_error(tmp_path, capsys):
    assert main(["verify", str(tmp_path), "--sim", "iverilog"]) == 2
    assert "manifest.json" in capsys.readouterr().err


@pytest.fixture(scope="module")
def direct_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify_direct") / "set"
    create_vector_set(out, DEFAULT, count=80, seed=4, classes="uniform,channels,zero", top="adder_pe_direct")
    return out


@pytest.mark.parametrize("sim", ["iverilog", "verilator"])
def test_direct_set_runs_on_the_direct_pe(direct_set, sim):
    vset = read_vector_set(direct_set)
    result = run_simulator(vset, sim, seed=3, gap=30, stall=40)
    assert result.ok and result.passed == vset.beats
    assert np.array_equal(result.actual_lane, vset.read("expected_lane")[:, 0])


def test_wrong_lane_order_is_a_failure(direct_set, tmp_path, capsys):
    directory = _copy(direct_set, tmp_path)
    path = directory / "expected_lane.hex"
    lines = path.read_text().splitlines()
    lines[0], lines[1] = lines[1], lines[0]  # expect lane 1 before lane 0
    path.write_text("\n".join(lines) + "\n")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _rewrite_manifest(directory, lambda m: m["files"]["expected_lane"].update(sha256=digest))
    assert main(["verify", str(directory), "--sim", "iverilog"]) == 1
    out = capsys.readouterr().out
    assert "2 failed" in out and "lane order" in out and "accumulated sums expected" in out
