"""The CLI shell: subcommands listed, each with --help, --version, one-line usage errors with exit 2."""

import subprocess
import sys

import pytest

from winoadder import __version__
from winoadder.cli import SUBCOMMANDS, main


def _run(*argv):
    return subprocess.run([sys.executable, "-m", "winoadder.cli", *argv], capture_output=True, text=True)


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in text
    core = {"simulate", "vectors", "verify", "study", "tune", "explore", "train", "synth", "bench", "demo",
            "doctor", "prove", "grade"}
    assert core <= set(SUBCOMMANDS)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert "usage: winoadder " + name in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"winoadder {__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["simulate", "--no-such-option"],
        ["vectors", "--count", "many"],
        ["verify", "/nonexistent/vector/dir"],
        ["simulate", "--config", "/nonexistent.json", "--input", "x.npy", "--weights", "w.npy",
         "--out", "y.npy"],
    ],
)
def test_user_errors_are_one_line_exit_2(argv):
    proc = _run(*argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error" in lines[0]


def test_no_command_prints_help_and_exits_2():
    proc = _run()
    assert proc.returncode == 2
    assert "simulate" in proc.stdout
