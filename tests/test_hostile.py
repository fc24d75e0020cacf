"""Hostile inputs (docs/failures.md): malformed configs, manifests, hex/npy files, option values and
file-system situations. Every case must end in exit 2 with one stderr line naming the field or path, no
traceback, and the file system exactly as before -- or in the complete new output.

In-process ``winoadder.cli.main`` calls throughout; subprocesses only where a signal is delivered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hostile_support import assert_refused, leftovers, run_cli, snapshot
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fixedpoint.budget import ENV as BUDGET_ENV
from simulator import DatapathConfig
from vectors.manifest import FILES, MANIFEST, create_vector_set

ROOT = Path(__file__).resolve().parents[1]
SMALL = DatapathConfig.default().replace(max_channels=4, lanes=1)


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def vector_set(tmp_path_factory) -> Path:
    """A small valid set (the uniform class, 24 transactions, one lane)."""
    out = tmp_path_factory.mktemp("hostile") / "set"
    create_vector_set(out, SMALL, count=24, seed=3, classes="uniform")
    return out


@pytest.fixture(scope="module")
def layer_files(tmp_path_factory) -> Path:
    """x.npy (1, 2, 5, 5) floats and w.npy (2, 2, 3, 3) kernels for `simulate`."""
    d = tmp_path_factory.mktemp("layer")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.uniform(-2, 2, size=(1, 2, 5, 5)))
    np.save(d / "w.npy", rng.normal(0, 0.5, size=(2, 2, 3, 3)))
    return d


def simulate_argv(layer: Path, out, *extra) -> list:
    return ["simulate", "--input", layer / "x.npy", "--weights", layer / "w.npy", "--out", out, *extra]


# ----------------------------------------------------------------------------------- malformed configs

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["s8.4", "u1.0", "s0.0", "ap_fixed<8,4>", "SAT", "RND", "lavin",
                                           "/etc/passwd", "../x", "{}", "s63.0", "u62.70"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
CONFIG_FIELDS = ["matrices", "act_fmt", "u_extra_frac", "u_width", "max_channels", "acc_width",
                 "acc_overflow", "out_fmt", "rounding", "overflow", "weight_rounding", "lanes", "bogus"]


@st.composite
def config_texts(draw) -> bytes:
    kind = draw(st.sampled_from(["object", "value", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "value":
        return json.dumps(draw(JSON_VALUES)).encode()
    keys = draw(st.lists(st.sampled_from(CONFIG_FIELDS), min_size=1, max_size=4, unique=True))
    return json.dumps({k: draw(JSON_VALUES) for k in keys}).encode()


@settings(max_examples=120)
@given(text=config_texts())
def test_malformed_config_is_refused_and_writes_nothing(text):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "c.json").write_bytes(text)
        before = snapshot(root)
        # --count 0 with only a random class is always an empty set: a valid config fails there, later.
        result = run_cli(["vectors", "--config", root / "c.json", "--count", "0", "--classes", "uniform",
                          "--out", root / "set"])
        assert_refused(result, "--config", "--count")
        assert snapshot(root) == before


# ----------------------------------------------------------------------------------- malformed manifests

CHECKED_KEYS = ["schema", "transactions", "outputs", "files", "config", "rtl_parameters",
                "config.act_fmt", "config.lanes", "config.matrices", "config.out_fmt",
                "config.rounding", "config.overflow", "config.acc_width", "rtl_parameters.WA",
                "rtl_parameters.P",
                *(f"files.{n}.{k}" for n in FILES
                  for k in ("path", "sha256", "shape", "element_bits", "signed", "rows", "row_kind")),
                "files.npz.path", "files.npz.sha256"]


def _set_key(manifest: dict, dotted: str, value, delete: bool):
    node = manifest
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    old = node.get(last)
    if delete:
        del node[last]
    else:
        node[last] = value
    return old


def _copy_set(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@settings(max_examples=120)
@given(key=st.sampled_from(CHECKED_KEYS), value=JSON_VALUES | st.sampled_from(["../manifest.json",
       "/etc/hostname", "in_tile.hex", "vectors.npz", "", "."]), delete=st.booleans())
def test_malformed_manifest_is_refused(vector_set, key, value, delete):
    with tempfile.TemporaryDirectory() as tmp:
        d = _copy_set(vector_set, Path(tmp) / "set")
        manifest = json.loads((d / MANIFEST).read_text())
        old = _set_key(manifest, key, value, delete)
        assume(delete or (value != old or type(value) is not type(old)))
        if key.startswith("config."):
            try:  # an equivalent spelling of the same config is not a malformation
                assume(DatapathConfig.from_dict(manifest["config"]) != SMALL)
            except (ValueError, TypeError):
                pass
        (d / MANIFEST).write_text(json.dumps(manifest))
        before = snapshot(Path(tmp))
        assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "manifest", "vectors", "RTL")
        assert snapshot(Path(tmp)) == before


def _rewrite_with_sha(d: Path, name: str, payload: bytes) -> None:
    manifest = json.loads((d / MANIFEST).read_text())
    (d / manifest["files"][name]["path"]).write_bytes(payload)
    manifest["files"][name]["sha256"] = hashlib.sha256(payload).hexdigest()
    (d / MANIFEST).write_text(json.dumps(manifest))


@settings(max_examples=80)
@given(name=st.sampled_from(list(FILES)), change=st.sampled_from(["append", "drop", "garbage", "crlf",
       "short", "empty"]), extra=st.integers(1, 5), garbage=st.text(min_size=1, max_size=3))
def test_hex_files_with_wrong_rows_are_refused_even_with_a_recomputed_checksum(vector_set, name, change,
                                                                                 extra, garbage):
    with tempfile.TemporaryDirectory() as tmp:
        d = _copy_set(vector_set, Path(tmp) / "set")
        data = (d / FILES[name][0]).read_bytes()
        lines = data.splitlines(keepends=True)
        payload = {
            "append": data + b"".join(lines[:1] * extra),
            "drop": b"".join(lines[:-extra]) if len(lines) > extra else b"",
            "garbage": data + garbage.encode("utf-8", "surrogatepass"),
            "crlf": data.replace(b"\n", b"\r\n"),
            "short": b"".join(line[1:] for line in lines),
            "empty": b"",
        }[change]
        assume(payload != data)
        _rewrite_with_sha(d, name, payload)
        assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "vectors", "manifest", name)


@settings(max_examples=40)
@given(row=st.integers(0, 11), lane_value=st.integers(-128, 127))
def test_an_edited_expected_output_is_refused_even_with_a_recomputed_checksum(vector_set, row, lane_value):
    from vectors.layout import pack_hex
    from vectors.manifest import read_vector_set

    vset = read_vector_set(vector_set)
    expected = vset.read("expected_out")
    assume(expected[row].flat[0] != lane_value)
    expected[row].flat[0] = lane_value
    with tempfile.TemporaryDirectory() as tmp:
        d = _copy_set(vector_set, Path(tmp) / "set")
        _rewrite_with_sha(d, "expected_out", pack_hex(expected, vset.field("expected_out")))
        assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), f"expected_lane.hex row {row} ")


def test_a_config_that_did_not_write_the_set_is_refused(vector_set, tmp_path):
    d = _copy_set(vector_set, tmp_path / "set")
    manifest = json.loads((d / MANIFEST).read_text())
    manifest["config"]["max_channels"] = 1  # the set has longer accumulations
    (d / MANIFEST).write_text(json.dumps(manifest))
    assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "config")


def test_extra_rows_in_every_file_with_recomputed_checksums_are_refused(vector_set, tmp_path):
    d = _copy_set(vector_set, tmp_path / "set")
    for name in FILES:
        data = (d / FILES[name][0]).read_bytes()
        _rewrite_with_sha(d, name, data + data.splitlines(keepends=True)[-1])
    assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "rows")


def test_manifest_cannot_point_outside_the_set(vector_set, tmp_path):
    outside = tmp_path / "secret.hex"
    outside.write_bytes((vector_set / "in_tile.hex").read_bytes())
    for path in ("../secret.hex", str(outside), "sub/../../secret.hex"):
        d = tmp_path / f"set{len(path)}"
        _copy_set(vector_set, d)
        manifest = json.loads((d / MANIFEST).read_text())
        manifest["files"]["in_tile"]["path"] = path
        (d / MANIFEST).write_text(json.dumps(manifest))
        assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "files.in_tile.path")
    d = tmp_path / "linked"
    _copy_set(vector_set, d)
    (d / "in_tile.hex").unlink()
    (d / "in_tile.hex").symlink_to(outside)
    assert_refused(run_cli(["verify", d, "--sim", "iverilog"]), "in_tile.hex")


# ------------------------------------------------------------------------------------ malformed arrays


@st.composite
def bad_arrays(draw) -> tuple[str, bytes | np.ndarray]:
    kind = draw(st.sampled_from(["bytes", "npz", "object", "complex", "nan", "dims", "empty", "strings",
                                 "huge_raw", "bool", "truncated"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "bytes":
        return kind, draw(st.binary(max_size=200))
    arrays = {
        "npz": None, "object": np.array([1, "a", None], dtype=object),
        "complex": rng.normal(size=(1, 2, 5, 5)) + 1j,
        "nan": np.where(rng.random((1, 2, 5, 5)) < 0.5, np.nan, 1.0),
        "dims": rng.normal(size=tuple(draw(st.lists(st.integers(1, 3), max_size=6).filter(
            lambda s: len(s) not in (3, 4))))),
        "empty": np.zeros((1, 2, 0, 5)), "strings": np.array([["1.0"]]),
        "huge_raw": np.full((1, 2, 5, 5), 10**6, dtype=np.int64), "bool": np.ones((1, 2, 5, 5), dtype=bool),
        "truncated": None,
    }
    return kind, arrays[kind]


@settings(max_examples=80)
@given(case=bad_arrays(), option=st.sampled_from(["--input", "--weights"]))
def test_malformed_arrays_are_refused(layer_files, case, option):
    kind, payload = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bad = root / "bad.npy"
        if kind == "npz":
            np.savez(root / "bad.npz", a=np.ones(3))
            bad = root / "bad.npz"
        elif kind == "truncated":
            bad.write_bytes((layer_files / "x.npy").read_bytes()[:100])
        elif isinstance(payload, bytes):
            bad.write_bytes(payload)
        else:
            np.save(bad, payload, allow_pickle=True)
        files = {"--input": layer_files / "x.npy", "--weights": layer_files / "w.npy", option: bad}
        before = snapshot(root)
        result = run_cli(["simulate", "--input", files["--input"], "--weights", files["--weights"],
                          "--out", root / "y.npy"])
        assert_refused(result, option)
        assert snapshot(root) == before


# ------------------------------------------------------------------------------------- option values


def _bad_ints(lo: int, hi: int):
    return st.one_of(
        st.integers(hi + 1, hi + 10**12).map(str), st.integers(lo - 10**12, lo - 1).map(str),
        st.sampled_from(["", " ", "1e3", "0x10", "1_0", "1.5", "inf", "nan", "--", "٣", "+", "5 5"]),
        st.integers(lo, hi).map(lambda v: f"{v}x"),
    )


def _bad_lists(lo: int, hi: int):
    good = st.integers(lo, hi).map(str)
    return st.one_of(
        good.map(lambda v: f"{v}.."), good.map(lambda v: f"..{v}"), good.map(lambda v: f"{v}...{v}"),
        st.tuples(good, good).filter(lambda t: int(t[0]) > int(t[1])).map(lambda t: f"{t[0]}..{t[1]}"),
        good.map(lambda v: f"{v},"), good.map(lambda v: f",{v}"), good.map(lambda v: f"{v},,{v}"),
        st.integers(hi + 1, 10**9).map(lambda v: f"{lo}..{v}"), _bad_ints(lo, hi),
    )


OPTION_CASES = {
    "verify --gap": (lambda v: ["verify", "/nonexistent", "--gap", v], _bad_ints(0, 99)),
    "verify --stall": (lambda v: ["verify", "/nonexistent", "--stall", v], _bad_ints(0, 99)),
    "vectors --count": (lambda v: ["vectors", "--count", v, "--out", "/nonexistent/x"],
                        _bad_ints(0, 10**30)),
    "vectors --seed": (lambda v: ["vectors", "--seed", v, "--out", "/nonexistent/x"],
                       _bad_ints(0, 2**64 - 1)),
    "simulate --padding": (lambda v: ["simulate", "--padding", v], _bad_ints(0, 1 << 16)),
    "study --widths": (lambda v: ["study", "--widths", v, "--out", "/nonexistent/x"], _bad_lists(3, 24)),
    "study --limit": (lambda v: ["study", "--limit", v, "--out", "/nonexistent/x"], _bad_ints(1, 10**30)
                      .filter(lambda v: not v.isdigit() or int(v) < 1)),
    "train --lr": (lambda v: ["train", "--lr", v], st.sampled_from(
        ["inf", "-inf", "nan", "0", "-0.1", "1e300", "10.5", "0x1", "1e", "", "1.0.0", "١"])),
    "train --epochs": (lambda v: ["train", "--epochs", v], _bad_ints(1, 100_000)),
    "synth --widths": (lambda v: ["synth", "--model-only", "--widths", v], _bad_lists(2, 32)),
    "synth --lanes": (lambda v: ["synth", "--model-only", "--lanes", v], _bad_lists(1, 64)),
    "demo --count": (lambda v: ["demo", "--count", v, "--out", "/nonexistent/x"], _bad_ints(0, 10_000_000)),
    "--max-memory": (lambda v: ["--max-memory", v, "synth", "--model-only"], st.sampled_from(
        ["", "0", "-1G", "1X", "G", "1e9", "nan", "inf", "4 GB GB"])),
}


@settings(max_examples=150)
@given(case=st.sampled_from(sorted(OPTION_CASES)), data=st.data())
def test_option_values_not_fully_understood_are_refused(case, data, tmp_path_factory):
    argv, values = OPTION_CASES[case]
    value = data.draw(values)
    option = case.split()[-1]
    assert_refused(run_cli(argv(value)), option)


def test_abbreviated_options_are_refused():
    assert_refused(run_cli(["vectors", "--cou", "5", "--out", "/nonexistent/x"]), "--cou")


# ------------------------------------------------------------------------------------ memory budget


def test_sizes_beyond_the_budget_are_refused_before_allocating(tmp_path, layer_files, monkeypatch):
    monkeypatch.setenv(BUDGET_ENV, "64M")
    line = assert_refused(run_cli(["vectors", "--count", "1000000000", "--out", tmp_path / "v"]), "--count")
    assert "64 MiB" in line and "--max-memory" in line
    (tmp_path / "lanes.json").write_text(json.dumps({"lanes": 1000000}))
    assert_refused(run_cli(["vectors", "--config", tmp_path / "lanes.json", "--out", tmp_path / "v"]),
                   "lanes")
    (tmp_path / "cmax.json").write_text(json.dumps({"max_channels": 10**11, "acc_width": 40}))
    assert_refused(run_cli(["vectors", "--config", tmp_path / "cmax.json", "--out", tmp_path / "v"]),
                   "max_channels")
    assert_refused(run_cli(simulate_argv(layer_files, tmp_path / "y.npy", "--padding", "60000")), "--padding")
    assert_refused(run_cli(["study", "--widths", "4..1000000000"]), "--widths")
    assert sorted(os.listdir(tmp_path)) == ["cmax.json", "lanes.json"]
    # The option raises the budget: the same small set then succeeds.
    assert run_cli(["--max-memory", "64M", "vectors", "--count", "10", "--classes", "uniform",
                    "--config", tmp_path / "lanes.json", "--out", tmp_path / "v"])[0] == 2
    code, _, err = run_cli(["--max-memory", "1T", "vectors", "--count", "10", "--classes", "uniform",
                            "--out", tmp_path / "v"])
    assert code == 0, err


def test_expected_failures_are_one_line(tmp_path, layer_files, monkeypatch):
    import simulator.layer
    from winoadder.hw import hdl

    def oom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(simulator.layer, "conv_layer", oom)
    assert_refused(run_cli(simulate_argv(layer_files, tmp_path / "y.npy")), "out of memory")
    monkeypatch.undo()

    def hang(self, *args, **kwargs):
        raise subprocess.TimeoutExpired(["vvp", "sim.vvp"], 120)

    create_vector_set(tmp_path / "set", SMALL, count=8, seed=0, classes="uniform")
    monkeypatch.setattr(hdl.Build, "run", hang)
    assert_refused(run_cli(["verify", tmp_path / "set", "--sim", "iverilog"]), "vvp did not finish")
    assert sorted(os.listdir(tmp_path)) == ["set"]


# ------------------------------------------------------------------------------- file-system situations


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_take_their_mode_from_the_umask(tmp_path, layer_files, umask):
    old = os.umask(umask)
    try:
        assert run_cli(simulate_argv(layer_files, tmp_path / "y.npy"))[0] == 0
        assert run_cli(["vectors", "--count", "8", "--classes", "uniform", "--out", tmp_path / "v"])[0] == 0
        DatapathConfig.default().save(tmp_path / "c.json")
    finally:
        os.umask(old)
    assert (tmp_path / "y.npy").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "v").stat().st_mode & 0o777 == 0o777 & ~umask
    assert (tmp_path / "v" / MANIFEST).stat().st_mode & 0o777 == 0o666 & ~umask


def test_replacing_a_file_keeps_its_mode(tmp_path, layer_files):
    target = tmp_path / "y.npy"
    target.write_bytes(b"old")
    target.chmod(0o640)
    assert run_cli(simulate_argv(layer_files, target))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o640
    assert np.load(target).shape == (1, 2, 5, 5)


def test_special_targets_are_refused(tmp_path, layer_files):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "missing" / "y.npy")
    before = snapshot(tmp_path)
    for target in (tmp_path / "fifo", "/dev/null", tmp_path / "dir", tmp_path / "dangling", tmp_path / "."):
        assert_refused(run_cli(simulate_argv(layer_files, target)), "--out")
        assert_refused(run_cli(["synth", "--model-only", "--json", target]), "--json")
    assert snapshot(tmp_path) == before
    assert Path("/dev/null").is_char_device()


def test_a_named_symlink_is_written_through(tmp_path, layer_files):
    real = tmp_path / "real.npy"
    real.write_bytes(b"old")
    (tmp_path / "link.npy").symlink_to(real)
    assert run_cli(simulate_argv(layer_files, tmp_path / "link.npy"))[0] == 0
    assert (tmp_path / "link.npy").is_symlink()
    assert np.load(real).shape == (1, 2, 5, 5)
    assert leftovers(tmp_path) == []


def test_unwritable_directory(tmp_path, layer_files):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = run_cli(simulate_argv(layer_files, ro / "y.npy"))
        if os.access(ro, os.W_OK):  # root writes anyway: then the output must be complete
            assert code == 0 and np.load(ro / "y.npy").shape == (1, 2, 5, 5)
        else:
            assert_refused((code, "", err), "--out")
            assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def test_vectors_out_edge_paths(tmp_path):
    (tmp_path / "file").write_text("mine")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    for out, cwd in ((".", tmp_path / "full"), ("..", tmp_path / "full"), (tmp_path / "file", None),
                     (tmp_path / "full", None), (tmp_path / "file" / "sub", None)):
        assert_refused(run_cli(["vectors", "--count", "8", "--classes", "uniform", "--out", out], cwd=cwd),
                       "--out")
    assert_refused(run_cli(["vectors", "--count", "8", "--classes", "uniform", "--force", "--out", "."],
                           cwd=tmp_path / "full"), "--out")
    assert snapshot(tmp_path) == before


def test_a_directory_filled_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    """The emptiness check is repeated at the rename: a user's file created meanwhile survives."""
    import fixedpoint.safeio as safeio

    out = tmp_path / "set"
    out.mkdir()
    real_rename = safeio._rename_dir

    def user_writes_meanwhile(*args, **kwargs):
        (out / "mine.txt").write_text("precious")
        return real_rename(*args, **kwargs)

    monkeypatch.setattr(safeio, "_rename_dir", user_writes_meanwhile)
    line = assert_refused(run_cli(["vectors", "--count", "8", "--classes", "uniform", "--out", out]), "--out")
    assert "not empty" in line
    assert sorted(os.listdir(out)) == ["mine.txt"] and (out / "mine.txt").read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_two_concurrent_writers_one_wins_the_other_fails(tmp_path, monkeypatch):
    """A second writer that finishes first keeps its complete set; the first one fails at the rename."""
    import fixedpoint.safeio as safeio

    out = tmp_path / "set"
    real_rename = safeio._rename_dir
    calls = []

    def second_writer_first(*args, **kwargs):
        if not calls:
            calls.append(1)
            monkeypatch.setattr(safeio, "_rename_dir", real_rename)
            assert run_cli(["vectors", "--count", "8", "--seed", "7", "--classes", "uniform",
                            "--out", out])[0] == 0
        return real_rename(*args, **kwargs)

    monkeypatch.setattr(safeio, "_rename_dir", second_writer_first)
    assert_refused(run_cli(["vectors", "--count", "8", "--seed", "1", "--classes", "uniform", "--out", out]),
                   "--out")
    assert json.loads((out / MANIFEST).read_text())["seed"] == 7
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------- signals

_WRITER = """
import os, signal, sys
import fixedpoint.safeio as safeio
real = safeio._rename_dir
def rename(*args, **kwargs):
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    return real(*args, **kwargs)
safeio._rename_dir = rename
from winoadder.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _writer(sig: str, *argv) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", _WRITER, sig, *map(str, argv)], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_write_leaves_nothing(tmp_path, sig):
    proc = _writer(sig, "vectors", "--count", "8", "--classes", "uniform", "--out", tmp_path / "set")
    assert proc.returncode == 128 + getattr(signal, sig), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert os.listdir(tmp_path) == []


def test_a_killed_writer_is_swept_by_the_next_run(tmp_path):
    proc = _writer("SIGKILL", "vectors", "--count", "8", "--classes", "uniform", "--out", tmp_path / "set")
    assert proc.returncode == -signal.SIGKILL
    assert len(leftovers(tmp_path)) == 1 and not (tmp_path / "set").exists()
    assert run_cli(["vectors", "--count", "8", "--classes", "uniform", "--out", tmp_path / "set"])[0] == 0
    assert leftovers(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["set"]


def test_sigterm_at_a_random_moment_gives_all_or_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "winoadder.cli", "vectors", "--count", "20000",
           "--out", str(tmp_path / "set")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=1.5)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert "Traceback" not in err
    if proc.returncode == 0:
        assert run_cli(["verify", tmp_path / "set", "--sim", "iverilog", "--gap", "0"])[0] == 0
    else:
        # 143: our handler cleaned up; -15: the signal came during start-up, before anything was written
        assert proc.returncode in (128 + signal.SIGTERM, -signal.SIGTERM), err
        # all or nothing: no temporary survives; the set is absent, or (signal after the atomic rename,
        # while the summary was printed) complete
        assert os.listdir(tmp_path) in ([], ["set"])
        if os.listdir(tmp_path):
            assert run_cli(["verify", tmp_path / "set", "--sim", "iverilog", "--gap", "0"])[0] == 0


# ------------------------------------------------------------------------------------------ the library


@settings(max_examples=60)
@given(value=st.one_of(st.text(min_size=1, max_size=8), st.complex_numbers(allow_nan=False).filter(
    lambda z: z.imag != 0), st.booleans(), st.integers(2**53 + 1, 2**70), st.floats().map(str),
    st.lists(st.text(max_size=3), min_size=1, max_size=3)))
def test_from_float_rejects_what_it_cannot_represent(value):
    from fixedpoint import from_float

    with pytest.raises(ValueError, match="^x: "):
        from_float(value, "s8.4")


@settings(max_examples=40)
@given(text=st.text(min_size=0, max_size=6), fmt=st.sampled_from(["s8.0", "u4.0", "s12.3"]))
def test_from_hex_and_from_bin_reject_a_bare_string(text, fmt):
    from fixedpoint import from_bin, from_hex

    for parse, name in ((from_hex, "from_hex"), (from_bin, "from_bin")):
        with pytest.raises(ValueError, match=f"^{name}: expected a sequence"):
            parse(text, fmt)


@settings(max_examples=40)
@given(n=st.one_of(st.floats().filter(lambda x: x != int(x) if np.isfinite(x) else True),
                   st.text(max_size=3), st.booleans(), st.none(), st.just(2.0)))
def test_shift_rejects_non_integer_amounts(n):
    from fixedpoint import shift

    with pytest.raises(ValueError, match="^shift: "):
        shift(np.array([3]), "s8.2", n)


def test_config_api_rejects_non_matrices():
    for value in ([[1]], None, 3, b"lavin"):
        with pytest.raises(ValueError, match="^matrices: "):
            DatapathConfig(transform=value)
    with pytest.raises(ValueError, match="^out_fmt: derived from act_fmt u1.0"):
        DatapathConfig.from_dict({"act_fmt": "u1.0"})


def test_a_diverged_training_is_not_saved(tmp_path):
    from fixedpoint.errors import UsageError
    from winoadder.ml.nets.model import Net
    from winoadder.ml.train import check_finite
    from winoadder.paths import MODELS_DIR

    net = Net.load(next(MODELS_DIR.glob("*.npz")))
    check_finite(net, 0.1)
    net.conv[0][0, 0, 0, 0] = np.nan
    with pytest.raises(UsageError, match="^--lr: training .* diverged"):
        check_finite(net, 0.1)


def test_watchdog_scales_with_flow_control(vector_set):
    from vectors.manifest import read_vector_set
    from winoadder.hw.verify import expected_cycles, watchdog_cycles

    vset = read_vector_set(vector_set)
    assert watchdog_cycles(vset, 99, 99) > 64 * expected_cycles(vset, 99, 99)
    assert expected_cycles(vset, 99, 0) > 80 * vset.transactions
    code, out, err = run_cli(["verify", vector_set, "--sim", "iverilog", "--gap", "99", "--stall", "99"])
    assert code == 0, out + err


# ------------------------------------------------------------------- findings of the fresh hostile pass


def test_fresh_pass_findings(tmp_path, layer_files, monkeypatch):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert_refused(run_cli(["simulate", "--family", deep]), "deep.json")
    assert_refused(run_cli(["vectors", "--config", deep, "--out", tmp_path / "v"]), "--config")
    os.mkfifo(tmp_path / "fifo")  # a matrices path that would block a reader forever
    (tmp_path / "c.json").write_text(json.dumps({"matrices": str(tmp_path / "fifo")}))
    assert_refused(run_cli(["vectors", "--config", tmp_path / "c.json", "--out", tmp_path / "v"]),
                   "not a regular file")
    np.save(tmp_path / "xu.npy", np.full((1, 2, 5, 5), 2**63, dtype=np.uint64))
    line = assert_refused(run_cli(["simulate", "--input", tmp_path / "xu.npy", "--weights",
                                   layer_files / "w.npy", "--out", tmp_path / "y.npy"]), "--input")
    assert "9223372036854775808" in line
    assert_refused(run_cli(["synth", "--model-only", "--json", "/proc/winoadder.json"]), "--json")
    assert_refused(run_cli(["verify", ""]), "DIR")
    before = snapshot(tmp_path)
    code, out, err = run_cli(["synth", "--model-only", "--widths", "32", "--channels", "65536,65536"])
    assert code == 0, err  # interval sums in exact integers: no int64 overflow at this size

    import fixedpoint.safeio as safeio

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safeio, "_rename_dir", disk_full)
    line = assert_refused(run_cli(["vectors", "--count", "8", "--classes", "uniform",
                                   "--out", tmp_path / "new" / "deep" / "set"]), "--out")
    assert "No space left" in line
    assert snapshot(tmp_path) == before  # the parents it created are gone again


def test_issue_examples_not_covered_above(tmp_path, layer_files, monkeypatch):
    # demo validates every option before writing anything
    assert_refused(run_cli(["demo", "--out", tmp_path / "demo", "--widths", "4.."]), "--widths")
    assert_refused(run_cli(["demo", "--out", tmp_path / "demo", "--config", tmp_path / "none.json"]),
                   "--config")
    assert not (tmp_path / "demo").exists()
    # study/train --data with a .npy names the option and says what is wanted
    assert_refused(run_cli(["study", "--data", layer_files / "x.npy", "--out", tmp_path / "st"]), "--data")
    # a valid config with a requantize shift >= 13 gets the default vector set
    (tmp_path / "shift.json").write_text(json.dumps({"act_fmt": "s16.14", "out_fmt": "s8.1"}))
    code, _, err = run_cli(["vectors", "--config", tmp_path / "shift.json", "--count", "10",
                            "--out", tmp_path / "v"])
    assert code == 0, err
    # Verilator-only verify works without iverilog (the RTL check preprocesses with Verilator)
    from winoadder import tools

    real_locate = tools.locate
    monkeypatch.setattr(tools, "locate", lambda tool: None if tool == "iverilog" else real_locate(tool))
    code, _, err = run_cli(["verify", tmp_path / "v", "--sim", "verilator"])
    assert code == 0, err


@pytest.mark.parametrize("model", ["zip-garbage", "random", "no-meta", "bad-meta", "list-meta", "object"])
def test_malformed_models_are_refused(tmp_path, model):
    path = tmp_path / "cnn-p1.npz"
    write = {
        "zip-garbage": lambda: path.write_bytes(b"PK\x03\x04garbage"),
        "random": lambda: path.write_bytes(np.random.default_rng(0).bytes(300)),
        "no-meta": lambda: np.savez(path, a=np.ones(2)),
        "bad-meta": lambda: np.savez(path, meta=np.array("{nope")),
        "list-meta": lambda: np.savez(path, meta=np.array("[1, 2]")),
        "object": lambda: np.savez(path, meta=np.array([{"a": 1}], dtype=object)),
    }
    write[model]()
    assert_refused(run_cli(["study", "--models", tmp_path, "--variants", "cnn", "--schedules", "p1",
                            "--widths", "4", "--quiet", "--out", tmp_path / "out"]), "--models")
    assert sorted(os.listdir(tmp_path)) == ["cnn-p1.npz"]


def test_a_diverged_training_leaves_no_directory(tmp_path, monkeypatch):
    from fixedpoint.errors import UsageError
    from winoadder.ml import train

    def diverged(net, lr):
        raise UsageError(f"--lr: training {net.name} diverged (NaN or infinite parameters)")

    monkeypatch.setattr(train, "check_finite", diverged)
    assert_refused(run_cli(["train", "--variants", "cnn", "--max-steps", "1", "--epochs", "1", "--quiet",
                            "--out", tmp_path / "new" / "models"]), "--lr")
    assert os.listdir(tmp_path) == []


def test_library_refuses_coercions():
    from simulator.datapath import run_stream
    from vectors.layout import Field, pack_hex

    d, u = np.zeros((2, 4, 4), dtype=np.int64), np.zeros((2, 1, 4, 4), dtype=np.int64)
    with pytest.raises(ValueError, match="^first: flags must be booleans"):
        run_stream(SMALL, d, u, [2, 0], [0, 1])
    with pytest.raises(ValueError, match="^x: expected raw integers"):
        pack_hex(np.full((1, 1), 1.5), Field("x", (1,), 8, True))


# ------------------------------------------------------------- findings of hostile pass 2 (newer commands)


def test_no_option_keeps_a_bare_int_or_float_type():
    """Every numeric option of every command goes through fixedpoint.options (strict, non-negative)."""
    from winoadder.cli import build_parser

    root = build_parser()
    commands = next(a for a in root._actions if a.dest == "command").choices
    loose = [f"{name} {'/'.join(a.option_strings)}" for name, sub in commands.items()
             for a in sub._actions if a.type in (int, float)]
    assert loose == []


BARE_NUMBER_CASES = {
    "tune --lanes": lambda v: ["tune", "--model", "wino_balanced", "--lanes", v],
    "tune --margin": lambda v: ["tune", "--model", "wino_balanced", "--margin", v],
    "tune --workers": lambda v: ["tune", "--model", "wino_balanced", "--workers", v],
    "explore --freq": lambda v: ["explore", "--freq", v],
    "grade --seed": lambda v: ["grade", "/nonexistent", "--seed", v],
    "grade --timeout": lambda v: ["grade", "/nonexistent", "--timeout", v],
    "grade --jobs": lambda v: ["grade", "/nonexistent", "--jobs", v],
    "vectors --layer": lambda v: ["vectors", "--from-model", "wino_balanced-p1", "--layer", v,
                                  "--out", "/dev/null/x"],
    "vectors --images": lambda v: ["vectors", "--from-model", "wino_balanced-p1", "--images", v,
                                   "--out", "/dev/null/x"],
    "vectors --padding": lambda v: ["vectors", "--padding", v, "--out", "/dev/null/x"],
    "prove --depth": lambda v: ["prove", "--depth", v],
    "prove --timeout": lambda v: ["prove", "--timeout", v],
    "synth --activity-images": lambda v: ["synth", "--activity", "--activity-images", v],
}


@settings(max_examples=60)
@given(case=st.sampled_from(sorted(BARE_NUMBER_CASES)),
       value=st.sampled_from(["1_0", " 5", "5 ", "nan", "inf", "-inf", "-1", "1e400", "0x10", "٣", "", "+",
                              "1e", "4.0.0", "-0.5"]))
def test_numbers_that_int_or_float_would_take_are_refused(case, value):
    """``int('1_0')``, ``float('nan')`` and negatives once started a full tune or grade."""
    option = case.split()[-1]
    assert_refused(run_cli(BARE_NUMBER_CASES[case](value)), option)


LIST_CASES = {  # option -> (argv builder, valid items)
    "explore --width": (lambda v: ["explore", "--width", v, "--out", "/dev/null/x"], ["6", "8", "10"]),
    "explore --matrices": (lambda v: ["explore", "--matrices", v, "--out", "/dev/null/x"],
                           ["balanced", "lavin"]),
    "explore --rounding": (lambda v: ["explore", "--rounding", v, "--out", "/dev/null/x"], ["RND", "TRN"]),
    "explore --pnr": (lambda v: ["explore", "--pnr", v, "--out", "/dev/null/x"], ["ice40", "ecp5"]),
    "prove --stages": (lambda v: ["prove", "--stages", v, "--depth", "0"], ["align", "requantize"]),
    "vectors --classes": (lambda v: ["vectors", "--classes", v, "--out", "/dev/null/x"], ["uniform", "relu"]),
    "study --variants": (lambda v: ["study", "--variants", v, "--out", "/dev/null/x"], ["cnn", "adder"]),
    "train --schedules": (lambda v: ["train", "--schedules", v, "--out", "/dev/null/x"], ["cosine", "p1"]),
    "synth --target": (lambda v: ["synth", "--model-only", "--target", v], ["ice40", "generic"]),
    "synth --widths": (lambda v: ["synth", "--model-only", "--widths", v], ["8", "12"]),
    "bench --only": (lambda v: ["bench", "--only", v, "--json", "/dev/null/x.json"], ["fixedpoint", "layer"]),
}


@st.composite
def broken_lists(draw, valid: list[str]) -> str:
    """An empty list, an empty item, or (for name lists; integer lists are sets) a name given twice."""
    items = draw(st.lists(st.sampled_from(valid), min_size=1, max_size=3, unique=True))
    hows = ["empty", "blank", "empty item", "trailing comma"] + ([] if valid[0].isdigit() else ["twice"])
    how = draw(st.sampled_from(hows))
    if how == "empty":
        return ""
    if how == "blank":
        return draw(st.sampled_from([" ", ",", " , "]))
    if how == "twice":
        items = [*items, draw(st.sampled_from(items))]
    else:
        items.insert(len(items) if how == "trailing comma" else draw(st.integers(0, len(items))), "")
    return ",".join(draw(st.permutations(items)) if how == "twice" else items)


@settings(max_examples=80)
@given(case=st.sampled_from(sorted(LIST_CASES)), data=st.data())
def test_lists_with_empty_or_repeated_items_are_refused(case, data):
    """``--stages ''`` once proved every stage, ``--classes uniform,uniform`` and ``--width 8,,8`` ran."""
    argv, valid = LIST_CASES[case]
    text = data.draw(broken_lists(valid))
    assert_refused(run_cli(argv(text)), case.split()[-1])


def test_outputs_never_replace_or_remove_inputs(tmp_path, layer_files):
    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(layer_files / "x.npy", d)
    shutil.copy(layer_files / "w.npy", d)
    SMALL.save(d / "c.json")
    before = snapshot(tmp_path)
    for argv, named in (
        (["vectors", "--count", "4", "--classes", "uniform", "--config", d / "c.json"], "--config"),
        (["vectors", "--count", "4", "--config", d / "c.json", "--from-layer", d / "x.npy",
          "--weights", d / "w.npy"], "--config"),
    ):
        line = assert_refused(run_cli([*argv, "--out", d, "--force"]), "--out")
        assert named in line
    line = assert_refused(run_cli(["simulate", "--input", d / "x.npy", "--weights", d / "w.npy",
                                   "--out", d / "x.npy"]), "--out")
    assert "--input" in line
    assert snapshot(tmp_path) == before

    from fixedpoint.errors import UsageError
    from fixedpoint.safeio import write_files

    os.symlink(d / "c.json", tmp_path / "alias.json")
    with pytest.raises(UsageError, match="written twice"):
        write_files({d / "c.json": "a", tmp_path / "alias.json": "b"}, option="--out")
    assert snapshot(tmp_path) == {**before, "alias.json": ("link", str(d / "c.json"))}


def test_output_and_cache_paths_are_checked_before_any_work(tmp_path, vector_set):
    (tmp_path / "f").write_text("mine")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    before = snapshot(tmp_path)
    bad_dirs = [tmp_path / "f" / "sub", tmp_path / "dangling", "/dev/null"]
    for bad in bad_dirs:
        for argv in (["tune", "--model", "wino_balanced", "--out", bad],
                     ["explore", "--verify", "none", "--out", bad],
                     ["study", "--out", bad], ["train", "--out", bad],
                     ["tune", "--model", "wino_balanced", "--cache", bad, "--out", tmp_path / "o"],
                     ["--cache-dir", bad, "doctor"],
                     ["verify", vector_set, "--sim", "verilator", "--coverage", bad],
                     ["verify", vector_set, "--sim", "iverilog", "--waves", bad],
                     ["prove", "--stages", "align", "--cex-dir", bad]):
            option = next(a for a in argv if str(a).startswith("--") and argv[argv.index(a) + 1] == bad)
            assert_refused(run_cli(argv), option)
    assert_refused(run_cli(["prove", "--stages", "align", "--json", tmp_path]), "--json")
    assert snapshot(tmp_path) == before


def test_prove_refuses_ambiguous_configs_and_incomplete_rtl(tmp_path):
    for sub_dir, rounding in (("a", "RND"), ("b", "TRN")):
        (tmp_path / sub_dir).mkdir()
        SMALL.replace(rounding=rounding).save(tmp_path / sub_dir / "x.json")
    assert_refused(run_cli(["prove", "--stages", "align", "--config", tmp_path / "a" / "x.json",
                            "--config", tmp_path / "b" / "x.json"]), "--config")
    (tmp_path / "rtl").mkdir()
    assert_refused(run_cli(["prove", "--stages", "align", "--rtl", tmp_path / "rtl"]), "--rtl")


def test_truncated_models_name_the_option(tmp_path):
    from winoadder.paths import MODELS_DIR

    model = tmp_path / "m.npz"
    model.write_bytes((MODELS_DIR / "wino_balanced-p1.npz").read_bytes()[:3000])
    assert_refused(run_cli(["tune", "--model", model, "--out", tmp_path / "o"]), "--model")
    assert_refused(run_cli(["vectors", "--from-model", model, "--out", tmp_path / "o"]), "--from-model")
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


@settings(max_examples=40)
@given(key=st.sampled_from(["lanes", "act_fmt", "rounding", "max_channels"]),
       where=st.sampled_from(["duplicate", "nan", "infinity"]))
def test_json_with_repeated_keys_or_non_numbers_is_refused(key, where):
    """``json.loads`` keeps the last of two equal keys and takes NaN: a config read two ways."""
    good = SMALL.to_dict()
    text = json.dumps(good)
    if where == "duplicate":
        text = text[:-1] + f", {json.dumps(key)}: {json.dumps(good[key])}}}"
    else:
        constant = "NaN" if where == "nan" else "-Infinity"
        text = text.replace(f'"{key}": {json.dumps(good[key])}', f'"{key}": {constant}')
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "c.json").write_text(text)
        argv = ["vectors", "--config", Path(tmp) / "c.json", "--out", Path(tmp) / "v"]
        line = assert_refused(run_cli(argv), "--config")
        assert key in line or "NaN" in line or "Infinity" in line
        assert os.listdir(tmp) == ["c.json"]


def test_non_finite_or_huge_numbers_in_arrays_are_one_line(tmp_path, layer_files):
    for value in (np.inf, np.nan, 1e302):
        w = np.zeros((2, 2, 3, 3))
        w[1, 0, 2, 2] = value
        np.save(tmp_path / "w.npy", w)
        line = assert_refused(run_cli(["simulate", "--input", layer_files / "x.npy", "--weights",
                                       tmp_path / "w.npy", "--out", tmp_path / "y.npy"]), "--weights")
        assert "(1, 0, 2, 2)" in line
    images = np.zeros((20, 1, 8, 8))
    images[3, 0, 1, 1] = 1e300
    np.savez(tmp_path / "d.npz", images=images, labels=np.zeros(20, dtype=int))
    assert_refused(run_cli(["study", "--data", tmp_path / "d.npz", "--variants", "cnn", "--schedules",
                            "p1", "--widths", "4", "--out", tmp_path / "st"]), "--data")
    assert not (tmp_path / "st").exists()


def test_vectors_layer_options_are_bounded_and_named(tmp_path, layer_files):
    layer = ["vectors", "--from-layer", layer_files / "x.npy", "--weights", layer_files / "w.npy",
             "--config", tmp_path / "c.json", "--out", tmp_path / "v"]
    SMALL.save(tmp_path / "c.json")
    assert_refused(run_cli([*layer, "--padding", "60000"]), "--padding")  # was a bare MemoryError
    assert_refused(run_cli([*layer, "--top", "adder_pe_direct"]), "--from-layer")
    np.save(tmp_path / "x3.npy", np.zeros((1, 3, 5, 5)))
    line = assert_refused(run_cli([*layer[:2], tmp_path / "x3.npy", *layer[3:]]), "--weights")
    assert "--from-layer" in line
    assert_refused(run_cli(["vectors", "--from-model", "wino_balanced-p1", "--images", "100000",
                            "--out", tmp_path / "v"]), "--images")  # was silently cut to the test set
    assert_refused(run_cli(["vectors", "--from-model", "wino_balanced-p1", "--layer", "7",
                            "--out", tmp_path / "v"]), "--layer")
    assert sorted(os.listdir(tmp_path)) == ["c.json", "x3.npy"]


def test_a_multi_file_output_is_committed_together_despite_signals(tmp_path, monkeypatch):
    """SIGTERM between two files of a report once left a new study.json beside an old study.png."""
    import fixedpoint.safeio as safeio
    from winoadder.cli import Terminated, _install_signal_handlers, _restore_signal_handlers

    names = ["study.txt", "study.json", "study.png"]
    for name in names:
        (tmp_path / name).write_text("old")
    real_replace = os.replace

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the renames are still going on

    monkeypatch.setattr(safeio.os, "replace", replace_then_signal)
    previous = _install_signal_handlers()
    try:
        with pytest.raises(Terminated):
            safeio.write_files({tmp_path / n: "new" for n in names}, option="--out")
    finally:
        _restore_signal_handlers(previous)
    assert {n: (tmp_path / n).read_text() for n in names} == dict.fromkeys(names, "new")
    assert leftovers(tmp_path) == []


def test_an_edited_task_cache_entry_is_recomputed_not_trusted(tmp_path):
    from winoadder import dask_exec

    key = "ab" + "0" * 62
    dask_exec.write_cached(tmp_path, key, {"w": 4}, {"accuracy": 0.5})
    assert dask_exec.read_cached(tmp_path, key) == {"accuracy": 0.5}
    path = tmp_path / "ab" / f"{key}.json"
    for edit in ({"accuracy": 0.99}, {"accuracy": "x"}, None):
        entry = json.loads(path.read_text())
        if edit is None:
            del entry["seal"]
        else:
            entry["result"] = edit
        path.write_text(json.dumps(entry))
        assert dask_exec.read_cached(tmp_path, key) is None


def test_small_cli_findings(tmp_path, monkeypatch):
    code, out, err = run_cli([])
    assert code == 2 and "usage" in out and len(err.strip().splitlines()) == 1
    assert_refused(run_cli(["simulate", "--family", "nope"]), "--family")
    for argv in (["study", "--out", ""], ["tune", "--model", "wino_balanced", "--out", " "],
                 ["doctor", "--cache-dir", ""], ["--cache-dir", "", "doctor"], ["explore", "--pnr", ""]):
        assert_refused(run_cli(argv, cwd=tmp_path), "expected a value")  # '' was the current directory
    assert os.listdir(tmp_path) == []
    from winoadder.cli import build_parser

    bare = build_parser().parse_args(["verify", "set", "--coverage", "--waves"])  # flags without OUT
    assert (bare.coverage, bare.waves) == ("", "")
    monkeypatch.setenv(BUDGET_ENV, "lots")
    assert_refused(run_cli(["doctor"]), BUDGET_ENV)


def test_concurrent_multi_file_commits_do_not_interleave(tmp_path, monkeypatch):
    """Two runs writing the same report at once: the files all come from one of them."""
    import threading
    import time

    import fixedpoint.safeio as safeio

    names = ["a.txt", "b.txt", "c.txt"]
    real_replace = os.replace

    def slow_replace(src, dst):
        real_replace(src, dst)
        if threading.current_thread().name == "slow":
            time.sleep(0.05)  # the other commit would fit between two renames of this one

    monkeypatch.setattr(safeio.os, "replace", slow_replace)
    writers = [threading.Thread(target=safeio.write_files, args=({tmp_path / n: w for n in names},),
                                kwargs={"option": "--out"}, name=w) for w in ("slow", "fast")]
    writers[0].start()
    time.sleep(0.02)  # the slow one is between its renames now
    writers[1].start()
    for w in writers:
        w.join()
    assert len({(tmp_path / n).read_text() for n in names}) == 1
    assert leftovers(tmp_path) == []
