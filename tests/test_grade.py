"""Mutation grading, waveform dumps and RTL coverage (quick subsets; the full campaign is a bench row)."""

import hashlib
import json
import re
import shutil

import numpy as np
import pytest

from simulator import DatapathConfig
from vectors.manifest import MANIFEST, create_vector_set, read_vector_set
from winoadder.cli import main
from winoadder.hw import grade, hdl, rtl
from winoadder.hw.mutate import OPERATORS, file_mutants, mask, rtl_mutants
from winoadder.paths import RTL_DIR

pytestmark = pytest.mark.rtl

SMALL = DatapathConfig.from_dict({"act_fmt": "s4.2", "max_channels": 4, "lanes": 1, "out_fmt": "s6.2"})


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("grade") / "set"
    create_vector_set(out, SMALL, count=200, seed=3, classes="uniform,ties,extremes,acc_overflow")
    return out


def _digest(directory):
    files = sorted(p for p in directory.iterdir() if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_mutants_cover_every_operator_and_skip_comments():
    text = """// a + b in a comment
module m #(parameter W = 4) (input clk, input rst, input en, input [W-1:0] a, output reg [W-1:0] q,
                             output ready);
    assign ready = en & ~rst;
    always @(posedge clk) begin
        if (rst) q <= {W{1'b0}};
        else if (en) q <= (a == 3) ? $signed(a) - 1 : {{2{a[W-1]}}, a[W-3:0]};
    end
    sub u (.en(en), .d(a));
endmodule
"""
    mutants = file_mutants("m.v", text)
    assert {m.operator for m in mutants} == set(OPERATORS)
    assert all(m.line > 1 for m in mutants)  # nothing from the comment
    assert all(m.original not in ("W = 4", "4") or m.line != 2 for m in mutants)  # parameter defaults kept
    for m in mutants:
        mutated = m.apply(text)
        assert mutated != text and mask(mutated).count("\n") == text.count("\n")
    kinds = {(m.operator, m.original, m.replacement) for m in mutants}
    assert ("compare", "==", "!=") in kinds and ("sign", "$signed", "") in kinds
    assert ("stuck", "en & ~rst", "1'b0") in kinds and ("polarity", "en", "~(en)") in kinds
    assert ("sign", "a[W-1]", "1'b0") in kinds and ("condition", "rst", "!(rst)") in kinds


def test_rtl_mutants_exclude_testbenches():
    files = {m.file for m in rtl_mutants(RTL_DIR)}
    assert files == {p.name for p in RTL_DIR.glob("*.v")}
    assert len({m.id for m in rtl_mutants(RTL_DIR)}) == len(rtl_mutants(RTL_DIR))


def test_grade_quick_subset_classifies_and_records(small_set, tmp_path, capsys):
    directory = tmp_path / "set"
    shutil.copytree(small_set, directory)
    before = _digest(directory)
    assert main(["grade", str(directory), "--mutants", "6", "--seed", "4", "--jobs", "2"]) == 0
    report = json.loads((directory / "grade.json").read_text())
    assert report["mutants_graded"] == 6 and sum(report["counts"].values()) == 6
    assert report["counts"]["killed"] >= 1
    for row in report["mutants"]:
        assert row["status"] in ("killed", "survived", "equivalent", "not_reached", "compile_error")
        if row["status"] == "killed":
            assert row["by_class"], row
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["grade"]["score"] == report["score"]
    read_vector_set(directory)  # the sha256 of every file still match
    after = _digest(directory)
    assert {k: v for k, v in after.items() if k not in ("manifest.json", "grade.json")} == \
        {k: v for k, v in before.items() if k != "manifest.json"}
    assert "score:" in capsys.readouterr().out


def test_grade_on_a_dask_local_cluster_matches_local_processes(small_set, tmp_path):
    from vectors.manifest import read_vector_set as read_set
    from winoadder.dask_exec import dask_client
    from winoadder.hw.grade import grade

    vset = read_set(small_set)
    local = grade(vset, jobs=2, sample=4, seed=4)
    with dask_client(None, 2) as client:
        on_dask = grade(vset, jobs=2, sample=4, seed=4, client=client)
    assert [(r["id"], r["status"]) for r in on_dask["mutants"]] == \
        [(r["id"], r["status"]) for r in local["mutants"]]


def test_grade_bad_inputs_exit_2_and_leave_the_set(small_set, tmp_path, monkeypatch, capsys):
    assert main(["grade", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    directory = tmp_path / "set"
    shutil.copytree(small_set, directory)
    before = _digest(directory)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grade, "grade", interrupted)
    assert main(["grade", str(directory)]) == 2
    err = capsys.readouterr().err
    assert "interrupted" in err and err.count("\n") == 1
    real_which = hdl.shutil.which
    monkeypatch.setattr(hdl.shutil, "which", lambda tool: None if tool == "verilator" else real_which(tool))
    assert main(["grade", str(directory)]) == 2
    assert "verilator not found" in capsys.readouterr().err
    assert _digest(directory) == before


def test_grade_options_are_checked_before_any_grading(small_set, tmp_path, monkeypatch, capsys):
    """Each bad option is named in one line, exit 2, before a mutant runs; nothing is written."""
    directory = tmp_path / "set"
    shutil.copytree(small_set, directory)
    before = _digest(directory)
    monkeypatch.setattr(grade, "grade", lambda *a, **k: pytest.fail("graded despite a bad option"))
    (tmp_path / "adir").mkdir()
    cases = [
        (["--suite", str(directory)], "DIR:"),
        (["--suite", "--minimize", str(tmp_path / "m")], "--minimize:"),
        ([str(directory), "--json", str(tmp_path / "adir")], "--json:"),
        ([str(directory), "--json", str(tmp_path / "missing" / "r.json")], "--json:"),
        ([str(directory), "--operators", "arith,,compare"], "--operators:"),
        ([str(directory), "--operators", "arith,arith"], "--operators:"),
        ([str(directory), "--operators", "nosuch"], "--operators:"),
        ([str(directory), "--jobs", "0"], "--jobs:"),
        ([str(directory), "--resume", "r.json"], "--resume:"),
    ]
    for argv, field in cases:
        assert main(["grade", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert field in err and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert _digest(directory) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "set"]


def _parse_vcd(path):
    """{signal name: [(time, value bits)]} of a VCD (scalars and vectors), times in the file's unit."""
    codes, changes, t = {}, {}, 0
    scope = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "$scope":
            scope.append(parts[2])
        elif parts[0] == "$upscope":
            scope.pop()
        elif parts[0] == "$var":
            codes.setdefault(parts[3], []).append(".".join([*scope, parts[4]]))
        elif parts[0].startswith("#"):
            t = int(parts[0][1:])
        elif parts[0][0] == "b" and len(parts) == 2:
            for name in codes.get(parts[1], []):
                changes.setdefault(name, []).append((t, parts[0][1:]))
        elif parts[0][0] in "01xz" and len(parts[0]) > 1:
            for name in codes.get(parts[0][1:], []):
                changes.setdefault(name, []).append((t, parts[0][0]))
    return changes


def _value_at(changes, time):
    value = None
    for t, v in changes:
        if t > time:
            break
        value = v
    return value


def test_waves_dump_holds_the_failing_output(small_set, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "rtl"
    shutil.copytree(RTL_DIR, broken, ignore=shutil.ignore_patterns("tb"))
    text = (broken / "requantize.v").read_text()
    (broken / "requantize.v").write_text(text.replace("(ROUND == 4) ? rest[SHIFT-1]", "(ROUND == 4) ? 1'b0"))
    monkeypatch.setattr(rtl, "RTL_DIR", broken)
    out_dir = tmp_path / "waves"
    assert main(["verify", str(small_set), "--sim", "iverilog", "--waves", str(out_dir),
                 "--waves-depth", "40"]) == 1
    out = capsys.readouterr().out
    match = re.search(r"waves: (\S+) \(transactions (\d+)\.\.(\d+)\); first wrong beat (\d+) at (\d+) ns "
                      r"\(expected lane (\d+) (\w+), got lane (\d+) (\w+);", out)
    assert match, out
    path, first_tx, last_tx = match.group(1), int(match.group(2)), int(match.group(3))
    time_ns, expected, got = int(match.group(5)), match.group(7), match.group(9)
    got_lane = int(match.group(8))
    assert last_tx - first_tx + 1 <= 40 + SMALL.max_channels
    changes = _parse_vcd(out_dir / "waves-iverilog.vcd")
    assert path.endswith("waves-iverilog.vcd")
    out_y = next(v for k, v in changes.items() if k.endswith("tb_winoadder_core.out_y"))
    out_lane = next(v for k, v in changes.items() if k.endswith("tb_winoadder_core.out_lane"))
    valid = next(v for k, v in changes.items() if k.endswith("tb_winoadder_core.out_valid"))
    before_edge = time_ns * 1000 - 1  # the VCD is in ps (timescale 1ns / 1ps); sampled at the edge
    at = _value_at(out_y, before_edge)
    assert at is not None and int(at, 2) == int(got, 16) != int(expected, 16)
    assert int(_value_at(out_lane, before_edge), 2) == got_lane
    assert _value_at(valid, before_edge) == "1"


def test_coverage_of_a_small_set(small_set, tmp_path, capsys):
    directory = tmp_path / "set"
    shutil.copytree(small_set, directory)
    out = tmp_path / "cov"
    assert main(["verify", str(directory), "--sim", "verilator", "--coverage", str(out)]) == 0
    text = capsys.readouterr().out
    assert "RTL coverage" in text
    cov = json.loads((directory / MANIFEST).read_text())["rtl_coverage"]
    line = cov["line"]
    assert line["points"] - line["covered"] == len(cov["uncovered_lines"]) and line["percent"] > 80
    assert cov["toggle"]["points"] > 0 and all(t["reason"] for t in cov["uncovered_toggles"])
    assert set(cov["per_class_covered"]) == {"uniform", "ties", "extremes", "acc_overflow"}
    assert "SF:" in (out / "coverage.info").read_text()
    assert any((out / "annotated").iterdir())
    assert (out / "html" / "index.html").is_file()  # lcov is installed by tools/bootstrap.sh
    read_vector_set(directory)
    assert np.isfinite(cov["toggle"]["percent"])


def test_layer_class_matches_simulate(tmp_path):
    """The 'layer' class's expected outputs are the simulated layer's outputs, tile by tile."""
    rng = np.random.default_rng(5)
    np.save(tmp_path / "x.npy", rng.normal(0, 1, (2, 3, 6, 5)))
    np.save(tmp_path / "w.npy", rng.normal(0, 0.3, (5, 3, 3, 3)))
    assert main(["simulate", "--input", str(tmp_path / "x.npy"), "--weights", str(tmp_path / "w.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0
    assert main(["vectors", "--from-layer", str(tmp_path / "x.npy"), "--weights", str(tmp_path / "w.npy"),
                 "--classes", "zero", "--out", str(tmp_path / "set")]) == 0
    vset = read_vector_set(tmp_path / "set")
    assert [c["name"] for c in vset.manifest["classes"]] == ["layer", "zero"]
    y = np.load(tmp_path / "y.npy")  # (N, O, Ho, Wo) = (2, 5, 6, 5)
    P = vset.cfg.lanes
    nth, ntw, groups = 3, 3, 2
    out = vset.read("expected_out")[: 2 * nth * ntw * groups * P].reshape(2, nth, ntw, groups, P, 2, 2)
    full = np.zeros((2, groups * P, 2 * nth, 2 * ntw), dtype=np.int64)
    full[:, :5, :6, :5] = y
    tiled = full.reshape(2, groups, P, nth, 2, ntw, 2).transpose(0, 3, 5, 1, 2, 4, 6)
    valid = np.zeros_like(full, dtype=bool)
    valid[:, :5, :6, :5] = True
    mask = valid.reshape(2, groups, P, nth, 2, ntw, 2).transpose(0, 3, 5, 1, 2, 4, 6)
    assert np.array_equal(out[mask], tiled[mask])


def test_from_model_and_bad_layer_input(tmp_path, capsys):
    assert main(["vectors", "--from-model", "wino_balanced-cosine", "--layer", "1", "--images", "1",
                 "--count", "256", "--out", str(tmp_path / "m")]) == 0
    vset = read_vector_set(tmp_path / "m")
    assert vset.manifest["classes"][0]["name"] == "layer" and vset.transactions <= 256
    capsys.readouterr()
    assert main(["vectors", "--from-model", "nope", "--out", str(tmp_path / "n")]) == 2
    assert main(["vectors", "--from-layer", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "n")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no model 'nope'" in err[0] and "--weights" in err[1]
    assert not (tmp_path / "n").exists()


def test_minimize_greedy_cover_and_subset(small_set):
    from winoadder.hw.minimize import greedy_cover, subset_transactions

    sets = {0: {"a", "b"}, 1: {"b", "c", "d"}, 2: {"d"}, 3: {"a"}}
    assert greedy_cover({"a", "b", "c", "d"}, sets) == [1, 0]
    vset = read_vector_set(small_set)
    arrays = vset.arrays()
    outputs = [0, vset.outputs - 1]
    tx = subset_transactions(vset, outputs)
    assert tx.last.sum() == 2 and tx.first.sum() == 2
    end = int(arrays["out_index"][-1])
    assert np.array_equal(tx.d[-1], arrays["d"][end]) and np.array_equal(tx.u[-1], arrays["u"][end])
    assert tx.classes == (vset.manifest["classes"][0]["name"], vset.manifest["classes"][-1]["name"])
