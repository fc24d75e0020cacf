"""Packaging: the cache directory, the tool registry and `doctor`, and the real thing — the wheel built with
`python -m build`, installed into a fresh venv outside the checkout and run from an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import winoadder
from fixedpoint.errors import UsageError
from simulator import DatapathConfig
from vectors.manifest import create_vector_set
from vectors.regressions import REGRESSION_DIR
from winoadder import paths, tools
from winoadder.cli import main
from winoadder.hw.rtl import check_rtl_parameters

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("fixedpoint", "simulator", "vectors", "winoadder")
NOT_SOURCE = (".git", ".venv", ".tox", ".cache", "out", "build", "dist", "*.egg-info", "__pycache__",
              ".hypothesis", ".pytest_cache", ".ruff_cache")


# ------------------------------------------------------------------------------------- cache directory


def test_cache_dir_follows_the_environment_then_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "winoadder"
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "mine"))
    assert paths.cache_dir() == tmp_path / "mine"


def test_a_relative_xdg_cache_home_is_ignored_not_used_from_the_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.cache_dir() == tmp_path / ".cache" / "winoadder"


@pytest.mark.parametrize("where", ["before", "after"])
def test_cache_dir_option_wins_over_the_environment_for_one_run(where, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "env"))
    option = ["--cache-dir", str(tmp_path / "option")]
    argv = [*option, "doctor"] if where == "before" else ["doctor", *option]
    main(argv)
    assert f"cache directory: {tmp_path / 'option'} (will be created" in capsys.readouterr().out
    assert os.environ[paths.CACHE_ENV] == str(tmp_path / "env")
    assert not (tmp_path / "option").exists()  # doctor writes nothing


# ---------------------------------------------------------------------------------- tools and doctor


def test_require_names_the_tool_the_command_and_the_install_command(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(UsageError) as exc:
        tools.require("yosys", "synth")
    assert str(exc.value) == "yosys not found: needed by synth; install: sudo apt-get install yosys"
    with pytest.raises(UsageError, match="^genhtml not found: needed by verify --coverage .*install lcov$"):
        tools.require("genhtml")
    with pytest.raises(KeyError, match="register it"):
        tools.require("modelsim")


def test_python_tools_install_with_the_pin_of_our_own_metadata(monkeypatch):
    monkeypatch.setattr(tools.metadata, "requires", lambda name: ['torch==2.13.0; extra == "train"',
                                                                   "numpy>=1.24"])
    assert tools.install_command("torch") == "pip install 'torch==2.13.0'"
    assert tools.install_command("dask") == "pip install 'dask'"
    monkeypatch.setattr(tools.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError, match="^torch not found: needed by train; install: pip install 'torch==2"):
        tools.require("torch", "train")


def test_doctor_lists_every_tool_asset_and_the_cache(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    status = main(["doctor"])
    out = capsys.readouterr().out
    for name in tools.TOOLS:
        assert f"\n{name} " in out
    assert f"regression sets  {REGRESSION_DIR}" in out and str(paths.RTL_DIR) in out
    assert f"cache directory: {tmp_path} (exists, writable" in out
    missing = [name for name in tools.TOOLS if tools.locate(name) is None]
    assert status == (1 if missing else 0)
    assert f"{len(tools.TOOLS) - len(missing)} of {len(tools.TOOLS)} tools found" in out
    for name in missing:
        assert tools.install_command(name) in out


def _hide(monkeypatch, *names):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda tool, *a, **k: None if tool in names else real(tool, *a, **k))


@pytest.mark.rtl
def test_verify_on_verilator_needs_no_icarus(monkeypatch, tmp_path, capsys):
    _hide(monkeypatch, "iverilog", "vvp")
    check_rtl_parameters(DatapathConfig.default())  # preprocessed by Verilator
    create_vector_set(tmp_path / "set", DatapathConfig.default(), count=40, seed=3, classes="uniform")
    assert main(["verify", str(tmp_path / "set"), "--sim", "verilator"]) == 0
    assert main(["verify", str(tmp_path / "set"), "--sim", "iverilog"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("winoadder verify: error: iverilog not found: needed by verify --sim iverilog, demo, "
                   "bench; install: sudo apt-get install iverilog")


# ------------------------------------------------------------------------- the wheel, installed and run


def _package_files(root: Path) -> set[str]:
    """Every file of the four packages in the checkout (winoadder/rtl followed to rtl/), bytecode aside."""
    found = set()
    for package in PACKAGES:
        for directory, dirs, names in os.walk(root / package, followlinks=True):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found |= {str((Path(directory) / n).relative_to(root)) for n in names if not n.endswith(".pyc")}
    return found


def _snapshot(root: Path, skip: tuple[Path, ...]) -> dict[str, tuple[int, int] | None]:
    """Every file (path -> (size, mtime)) and directory (path -> None) under ``root`` except ``skip``."""
    out = {}
    for path in root.rglob("*"):
        if not any(path == s or s in path.parents for s in skip):
            st = path.lstat()
            out[str(path.relative_to(root))] = None if path.is_dir() else (st.st_size, st.st_mtime_ns)
    return out


def _run(cmd, env, cwd, timeout=600):
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """sdist + wheel built by `python -m build` from a copy of the checkout (the wheel from the sdist),
    both checked by `twine check --strict`. No build isolation: the test environment has setuptools."""
    tmp = tmp_path_factory.mktemp("packaging")
    src, dist = tmp / "src", tmp / "dist"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_NO_CACHE_DIR"] = "1"
    proc = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(src)], env, tmp)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(dist.iterdir())
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists)], env, tmp)
    assert proc.returncode == 0 and proc.stdout.count("PASSED") == 2, proc.stdout + proc.stderr
    return {"tmp": tmp, "wheel": wheels[0], "sdist": sdists[0], "env": env}


@pytest.fixture(scope="module")
def installed(built):
    """The wheel installed by pip into a fresh venv; the venv gets the test environment's installed
    dependencies through a .pth file (no network: the dependencies are the ones the test environment
    already has; winoadder itself comes only from the wheel)."""
    tmp, env, venv = built["tmp"], built["env"], built["tmp"] / "venv"
    proc = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, tmp)
    assert proc.returncode == 0, proc.stderr
    python = venv / "bin" / "python"
    proc = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                 str(built["wheel"])], env, tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     env, tmp).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_winoadder_test_dependencies.pth").write_text("\n".join(deps) + "\n")
    return {"tmp": tmp, "venv": venv, "site": site}


@pytest.mark.slow
@pytest.mark.rtl
def test_wheel_and_sdist_ship_every_file_of_the_packages(built):
    wanted = _package_files(REPO)
    for asset in ("winoadder/rtl/winoadder_core.v", "winoadder/rtl/tb/tb_winoadder_core.v",
                  "vectors/regression/narrow_wrap/manifest.json", "winoadder/ml/models/cnn-p1.npz"):
        assert asset in wanted
    in_wheel = set(zipfile.ZipFile(built["wheel"]).namelist())
    assert wanted <= in_wheel, sorted(wanted - in_wheel)
    with tarfile.open(built["sdist"]) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert wanted <= in_sdist, sorted(wanted - in_sdist)
    assert "LICENSE" in in_sdist and any(n.endswith("licenses/LICENSE") for n in in_wheel)
    metadata = next(n for n in in_wheel if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(built["wheel"]).read(metadata).decode()
    for field in ("License-Expression: MIT", "Requires-Python: >=3.10", "Provides-Extra: train",
                  "Provides-Extra: bench", "Description-Content-Type: text/markdown",
                  f"Version: {winoadder.__version__}"):
        assert field in text


@pytest.mark.slow
@pytest.mark.rtl
def test_installed_wheel_runs_the_main_flow_from_an_empty_directory(installed):
    tmp, venv, site = installed["tmp"], installed["venv"], installed["site"]
    work, home, temp, mpl = tmp / "work", tmp / "home", tmp / "tmpdir", tmp / "matplotlib"
    for d in (work, home, temp):
        d.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", paths.CACHE_ENV, "XDG_CACHE_HOME")}
    # matplotlib creates its own config dir on import in any program; point it into the test's tree
    env.update(HOME=str(home), TMPDIR=str(temp), MPLCONFIGDIR=str(mpl), PYTHONDONTWRITEBYTECODE="1")
    cache = home / ".cache" / "winoadder"
    exe = str(venv / "bin" / "winoadder")
    before = _snapshot(tmp, skip=(work, cache, mpl))

    def run(*argv, ok=(0,)):
        proc = _run(list(argv), env, work)
        assert proc.returncode in ok, f"{argv}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr}"
        return proc.stdout

    where = run(str(venv / "bin" / "python"), "-c", "import winoadder, vectors.regressions as r, "
                "winoadder.paths as p; print(winoadder.__file__, p.RTL_DIR, p.MODELS_DIR, r.REGRESSION_DIR)")
    assert all(Path(p).is_relative_to(site) for p in where.split()), where
    version = f"winoadder {winoadder.__version__}"
    assert run(exe, "--version").strip() == version
    assert run(str(venv / "bin" / "python"), "-m", "winoadder", "--version").strip() == version

    doctor = _run([exe, "doctor"], env, work)
    assert doctor.returncode == (1 if "MISSING" in doctor.stdout else 0), doctor.stdout
    assert f"cache directory: {cache} (will be created" in doctor.stdout
    assert f"regression sets  {site / 'vectors' / 'regression'}" in doctor.stdout
    for line in doctor.stdout.splitlines():
        if "MISSING" in line and line.split()[0] in tools.TOOLS:
            assert line.rstrip().endswith(tools.install_command(line.split()[0])), line

    run(exe, "vectors", "--count", "200", "--seed", "1", "--out", "out/vec")
    verified = run(exe, "verify", "out/vec", "--sim", "all")
    assert "iverilog" in verified and "verilator" in verified and "FAILED" not in verified
    assert len([p for p in (cache / "hdl").iterdir() if p.is_dir()]) == 2
    assert "(cached)" in run(exe, "verify", "out/vec", "--sim", "iverilog")  # the build is reused
    shipped = site / "vectors" / "regression" / "narrow_wrap"
    assert "FAILED" not in run(exe, "verify", str(shipped), "--sim", "iverilog")

    run(exe, "study", "--widths", "8", "--variants", "wino_balanced", "--schedules", "p1", "--limit", "60",
        "--out", "out/study", "--quiet")
    study = json.loads((work / "out/study/study.json").read_text())
    assert [m["model"] for m in study["models"]] == ["wino_balanced-p1"] and study["n_test"] == 60

    run(exe, "synth", "--model-only", "--widths", "8", "--json", "out/synth.json")
    energy = json.loads((work / "out/synth.json").read_text())["energy"]
    assert {row["design"] for row in energy} >= {"adder_direct", "adder_winograd"}

    run(exe, "train", "--variants", "cnn", "--epochs", "1", "--max-steps", "2", "--out", "out/models",
        "--quiet")
    assert (work / "out/models/cnn-p1.npz").is_file()

    demo = run(exe, "demo", "--count", "200", "--widths", "8", "--out", "out/demo")
    assert "demo: all steps passed" in demo
    assert (work / "out/demo/study/study.png").is_file()

    assert sorted(p.name for p in work.iterdir()) == ["out"]
    after = _snapshot(tmp, skip=(work, cache, mpl))
    assert after.pop(str((home / ".cache").relative_to(tmp))) is None  # the cache's parent, created
    assert after == before  # nothing else written: not the venv, the sources, the wheel, HOME or TMPDIR
    assert not list(temp.iterdir())
