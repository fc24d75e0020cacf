"""Helpers of the hostile-input suite: in-process CLI runs and file-system snapshots."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

from winoadder.cli import main


def run_cli(argv: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """``winoadder.cli.main(argv)`` in-process: (exit code, stdout, stderr); argparse exits count too."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def assert_refused(result: tuple[int, str, str], *names: str) -> str:
    """Exit 2, exactly one stderr line, no traceback, and the line names one of ``names``."""
    code, _out, err = result
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert not names or any(name in lines[0] for name in names), (names, lines[0])
    return lines[0]


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: type, mode and content (file bytes, link target), recursively."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st_ = os.lstat(path)
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st_.st_mode):
                entries[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st_.st_mode):
                entries[rel] = ("file", stat.S_IMODE(st_.st_mode), path.read_bytes())
            elif stat.S_ISDIR(st_.st_mode):
                entries[rel] = ("dir", stat.S_IMODE(st_.st_mode))
            else:
                entries[rel] = ("special", stat.S_IFMT(st_.st_mode))
    return entries


def leftovers(root: Path) -> list[str]:
    """Temporaries of the write path left under ``root`` (the top-level temporary, not its content)."""
    return [p for p in snapshot(root) if ".winoadder-tmp-" in p.split("/")[-1]]
