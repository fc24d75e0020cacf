"""`winoadder simulate`: end to end on files, and bad input writes nothing."""

import json

import numpy as np
import pytest

from fixedpoint import Overflow, from_float
from simulator import DatapathConfig
from simulator.layer import conv_layer
from simulator.weights import prepare_weights
from winoadder.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    paths = {
        "x": tmp_path / "x.npy",
        "xf": tmp_path / "xf.npy",
        "g": tmp_path / "g.npy",
        "u": tmp_path / "u.npy",
        "cfg": tmp_path / "cfg.json",
    }
    np.save(paths["x"], rng.integers(-128, 128, (2, 3, 5, 6)))
    np.save(paths["xf"], rng.normal(size=(3, 5, 6)) * 4)
    np.save(paths["g"], rng.normal(size=(4, 3, 3, 3)))
    np.save(paths["u"], rng.integers(-2048, 2048, (4, 3, 4, 4)))
    DatapathConfig.default().replace(matrices="lavin", acc_width=14, acc_overflow="WRAP").save(paths["cfg"])
    return paths


def test_simulate_float_kernels_with_stats(files, tmp_path, capsys):
    out = tmp_path / "y.npy"
    args = [
        "simulate",
        "--config",
        str(files["cfg"]),
        "--input",
        str(files["x"]),
        "--weights",
        str(files["g"]),
    ]
    assert main([*args, "--out", str(out), "--stats"]) == 0
    cfg = DatapathConfig.load(files["cfg"])
    want = conv_layer(cfg, np.load(files["x"]), prepare_weights(np.load(files["g"]), cfg))
    assert np.array_equal(np.load(out), want.out)
    text = capsys.readouterr().out
    assert "channel_accumulate" in text and "requantize" in text and f"wrote {out}" in text


def test_simulate_float_input_raw_u_default_config(files, tmp_path):
    out = tmp_path / "y.npy"
    assert (
        main(["simulate", "--input", str(files["xf"]), "--weights", str(files["u"]), "--out", str(out)]) == 0
    )
    cfg = DatapathConfig.default()
    x = from_float(np.load(files["xf"]), cfg.act_fmt, cfg.rounding, Overflow.SAT)[None]
    assert np.array_equal(np.load(out), conv_layer(cfg, x, np.load(files["u"])).out[0])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"weights": "float_u"}, "--weights: a (O, C, 4, 4) array is raw U"),
        ({"input": "too_big"}, "--input: raw values"),
        ({"input": "missing"}, "--input: no such file"),
        ({"input": "text"}, "is not a .npy array"),
        ({"config": "bad"}, "acc_overflow: must be one of WRAP, SAT"),
        ({"out": "nodir"}, "--out: directory does not exist"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(files, tmp_path, capsys, change, message):
    np.save(tmp_path / "float_u.npy", np.zeros((4, 3, 4, 4)))
    np.save(tmp_path / "too_big.npy", np.full((1, 3, 4, 4), 500))
    (tmp_path / "text.npy").write_text("not numpy")
    (tmp_path / "bad.json").write_text(json.dumps({"acc_overflow": "SAT_SYM"}))
    paths = {
        "input": str(files["x"]),
        "weights": str(files["g"]),
        "out": str(tmp_path / "y.npy"),
        "config": str(files["cfg"]),
    }
    for key, name in change.items():
        paths[key] = {"nodir": str(tmp_path / "nodir" / "y.npy"), "bad": str(tmp_path / "bad.json")}.get(
            name, str(tmp_path / f"{name}.npy")
        )
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["simulate"] + [a for key, value in paths.items() for a in (f"--{key}", value)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_family_listing(capsys):
    assert main(["simulate", "--family", "lavin"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 17 and sum(line.endswith("yes") for line in lines) == 4
