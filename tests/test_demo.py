"""`winoadder demo` end to end on a reduced setting: every step runs and leaves its outputs."""

import json

from winoadder.cli import main


def test_demo_runs_every_step(tmp_path, capsys):
    out = tmp_path / "demo"
    status = main(["demo", "--out", str(out), "--count", "50", "--sim", "iverilog", "--widths", "8"])
    text = capsys.readouterr().out
    assert status == 0, text
    assert "equals the float64 reference x 2^6 exactly: yes" in text
    assert (out / "layer_y.npy").is_file()
    manifest = json.loads((out / "vectors" / "manifest.json").read_text())
    assert manifest["config"]["lanes"] == 4
    row = next(line.split() for line in text.splitlines() if line.startswith("iverilog "))
    vectors, beats, passed, failed = (int(v) for v in row[1:5])
    assert vectors == manifest["transactions"] and passed == beats == manifest["beats"] and failed == 0
    assert manifest["beats"] == 4 * manifest["outputs"]  # one beat per lane of each accumulation
    assert (out / "study" / "study.csv").is_file()
    assert "demo: all steps passed" in text
