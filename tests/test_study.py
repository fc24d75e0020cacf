"""The accuracy-vs-bitwidth study: fixed-point layers (simulator-exact), calibration, CLI outputs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from fixedpoint import to_float
from simulator import reference
from winoadder import cli
from winoadder.ml.nets import data
from winoadder.ml.nets.model import Net, accuracy, preset_of
from winoadder.ml.nets.quantized import calibrate, layer_formats, quantized_layer
from winoadder.ml.study import parse_widths, sqnr_db, study_model
from winoadder.paths import MODELS_DIR


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


@pytest.fixture(scope="module")
def nets():
    return {v: Net.load(MODELS_DIR / f"{v}-p1.npz") for v in ("cnn", "adder", "wino_lavin", "wino_balanced")}


@pytest.fixture(scope="module")
def ranges(nets, digits):
    return {v: calibrate(net, digits.x_train) for v, net in nets.items()}


def layer_inputs(net, x):
    trace: list = []
    net.forward(x, trace=trace)
    return [h for h, _ in trace]


@pytest.mark.parametrize("variant", ["wino_lavin", "wino_balanced"])
@pytest.mark.parametrize("width", [5, 8, 12])
def test_simulator_layer_equals_the_float_reference_on_dequantized_inputs(
    nets, ranges, digits, variant, width
):
    """Before requantize the Winograd-adder datapath is exact (docs/datapath.md): Y·2^-(fa+K) equals the
    float64 Winograd-adder of the dequantized activations and U (dyadic values, sums far below 2^53)."""
    net = nets[variant]
    for i, x in enumerate(layer_inputs(net, digits.x_test[:40])):
        q = layer_formats(net, i, ranges[variant][i], width)
        x_raw, u_raw, y_raw, y_fmt = quantized_layer(net, i, q, x, raw=True)
        want = reference.winograd_adder_conv(
            to_float(x_raw, q.act_fmt), to_float(u_raw, q.cfg.u_fmt), preset_of(variant)
        )
        assert np.array_equal(to_float(y_raw, y_fmt), want)
        assert q.cfg.u_fmt.frac == q.act_fmt.frac + 2  # one shared scale: V aligned onto U's grid
        assert q.weight_stats.overflows == 0  # calibration covers the kernels


@pytest.mark.parametrize("variant, ref", [("adder", reference.adder_conv), ("cnn", reference.correlate)])
def test_direct_fixed_point_layers_are_exact_integer_versions_of_the_reference(
    nets, ranges, digits, variant, ref
):
    net = nets[variant]
    for i, x in enumerate(layer_inputs(net, digits.x_test[:40])):
        q = layer_formats(net, i, ranges[variant][i], 8)
        x_raw, w_raw, y_raw, y_fmt = quantized_layer(net, i, q, x, raw=True)
        assert np.array_equal(
            to_float(y_raw, y_fmt), ref(to_float(x_raw, q.act_fmt), to_float(w_raw, q.weight_fmt))
        )
        if variant == "adder":
            assert q.weight_fmt.frac == q.act_fmt.frac + 2  # shared scale, aligned like the Winograd path


def test_calibrated_formats_hold_the_training_ranges_without_a_wasted_bit(nets, ranges):
    for variant, net in nets.items():
        for i, r in enumerate(ranges[variant]):
            q = layer_formats(net, i, r, 10)
            assert q.act_fmt.width == 10 and q.out_fmt.width == 10
            assert q.act_fmt.signed == (r.x_min < 0)
            top = q.act_fmt.max_value + q.act_fmt.lsb  # 2^(integer bits)
            shared = r.x_absmax if variant == "cnn" else max(r.x_absmax, r.w_absmax)
            assert top / 2 <= shared < top
            assert r.y_absmax <= -q.out_fmt.min_value


@pytest.mark.parametrize("variant", ["cnn", "adder", "wino_lavin", "wino_balanced"])
def test_wide_fixed_point_reproduces_the_float_network(nets, digits, variant):
    net = nets[variant]
    small = data.Dataset("digits", digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    result = study_model(net, small, [16])
    row = result["results"][0]
    assert result["float_accuracy"] == net.meta["float_test_accuracy"]
    assert abs(row["accuracy"] - result["float_accuracy"]) <= 2 / len(digits.y_test)
    assert all(layer["sqnr_db"] > 35 for layer in row["layers"])


def test_narrow_fixed_point_loses_accuracy_and_signal(nets, digits):
    net = nets["wino_balanced"]
    result = study_model(net, digits, [4, 16])
    narrow, wide = result["results"]
    assert narrow["accuracy"] < wide["accuracy"]
    assert all(a["sqnr_db"] < b["sqnr_db"] for a, b in zip(narrow["layers"], wide["layers"], strict=True))


def test_sqnr_is_centered_signal_over_noise():
    ref = np.full((1, 2, 1, 1), 5.0)
    ref[0, 1] = -5.0
    center = np.array([0.0, 0.0])
    assert sqnr_db(ref, ref, center) == float("inf")
    assert sqnr_db(ref, ref + 0.5, center) == pytest.approx(10 * np.log10(50 / 0.5))
    assert sqnr_db(ref, ref + 0.5, np.array([5.0, -4.0])) == pytest.approx(10 * np.log10(1 / 0.5))


def test_width_lists():
    assert parse_widths("4..16") == list(range(4, 17))
    assert parse_widths("12,4..6,5") == [4, 5, 6, 12]


def run_cli(argv):
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def test_study_cli_writes_table_csv_json_and_png(tmp_path, capsys):
    out = tmp_path / "study"
    rc = run_cli(
        [
            "study",
            "--widths",
            "6,16",
            "--variants",
            "adder,wino_balanced",
            "--schedules",
            "p1",
            "--limit",
            "80",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["study.csv", "study.json", "study.png", "study.txt"]
    printed = capsys.readouterr().out
    assert "wino_balanced-p1" in printed and "W=16" in printed and "SQNR" in printed
    report = json.loads((out / "study.json").read_text())
    assert report["widths"] == [6, 16] and report["n_test"] == 80
    assert [m["model"] for m in report["models"]] == ["adder-p1", "wino_balanced-p1"]
    with open(out / "study.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 2 * 2  # models × widths × layers
    by_key = {(r["model"], r["width"], r["layer"]): r for r in rows}
    for m in report["models"]:
        for r in m["results"]:
            for layer in r["layers"]:
                row = by_key[(m["model"], str(r["width"]), str(layer["layer"]))]
                assert float(row["accuracy"]) == pytest.approx(r["accuracy"], abs=1e-6)
                assert int(row["overflows"]) == layer["overflow_total"]
    assert (out / "study.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "study.txt").read_text() in printed


def test_study_accuracy_matches_a_direct_evaluation(tmp_path, nets, digits):
    out = tmp_path / "s"
    assert run_cli(["study", "--widths", "16", "--variants", "cnn", "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "study.json").read_text())
    net = nets["cnn"]
    assert report["models"][0]["float_accuracy"] == accuracy(net.forward(digits.x_test), digits.y_test)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--widths", "2..5"], "--widths"),
        (["--widths", "eight"], "--widths"),
        (["--variants", "resnet"], "--variants: unknown 'resnet'"),
        (["--schedules", "none"], "--schedules: unknown 'none'"),
        (["--models", "/nonexistent"], "--models"),
        (["--limit", "0"], "--limit"),
        (["--data", "/nonexistent/x.npz"], "--data: no such file"),
    ],
)
def test_study_cli_rejects_bad_arguments_with_exit_2_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    assert run_cli(["study", "--out", str(out), "--quiet", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_study_cli_rejects_data_that_does_not_fit_the_models(tmp_path, capsys):
    path = tmp_path / "rgb.npz"
    np.savez(path, images=np.zeros((20, 3, 16, 16)), labels=np.arange(20) % 10)
    out = tmp_path / "never"
    assert run_cli(["study", "--data", str(path), "--out", str(out), "--quiet"]) == 2
    assert "do not fit model" in capsys.readouterr().err
    assert not out.exists()


def test_study_cli_rejects_an_out_path_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("keep")
    assert run_cli(["study", "--out", str(target), "--widths", "8", "--quiet"]) == 2
    assert "--out" in capsys.readouterr().err and target.read_text() == "keep"


def test_study_runs_without_torch(tmp_path):
    """torch is an optional extra: the study needs only the shipped .npz files."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from winoadder import cli\n"
        f"rc = cli.main(['study', '--widths', '8', '--variants', 'wino_lavin', '--schedules', 'p1', "
        f"'--limit', '20', '--quiet', '--out', {str(tmp_path / 'o')!r}])\n"
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o" / "study.json").is_file()
