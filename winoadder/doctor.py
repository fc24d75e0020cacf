"""`winoadder doctor`: what this installation has — its assets, its cache directory and every external tool
the commands use (found version, the commands that need it, the install command for what is missing).

Writes nothing. Exit status 0 when everything is present, 1 when an asset or a tool is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

HELP = "list the assets, the cache directory and every external tool with its version and install command"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """doctor takes no options of its own."""


def asset_rows() -> list[list[str]]:
    """(asset, directory, what was found); a count of 0 reads MISSING."""
    from vectors.regressions import REGRESSION_DIR, regression_sets
    from winoadder.paths import MODELS_DIR, RTL_DIR, TB_DIR

    counts = [
        ("RTL modules", RTL_DIR, len(list(RTL_DIR.glob("*.v")))),
        ("testbenches", TB_DIR, len(list(TB_DIR.glob("*.v")))),
        ("models", MODELS_DIR, len(list(MODELS_DIR.glob("*.npz")))),
        ("regression sets", REGRESSION_DIR, len(regression_sets(REGRESSION_DIR))),
    ]
    return [[name, str(path), str(n) if n else "MISSING"] for name, path, n in counts]


def cache_state(path: Path) -> str:
    """Whether the cache directory exists and can be written, without creating it."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    writable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    if existing == path:
        return "exists, writable" if writable else "exists, NOT writable"
    return "will be created" if writable else f"NOT writable ({existing} is read-only)"


def tool_rows() -> list[list[str]]:
    """(tool, version or MISSING, needed by, install command if missing), in registry order."""
    from winoadder.tools import TOOLS, install_command, version

    rows = []
    for name, tool in TOOLS.items():
        found = version(name)
        rows.append([name, found or "MISSING", tool.commands, "" if found else install_command(name)])
    return rows


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    import winoadder
    from fixedpoint import budget
    from winoadder.paths import cache_dir

    memory = budget.human(budget.limit())  # a malformed $WINOADDER_MAX_MEMORY fails here, before output
    print(f"winoadder {winoadder.__version__} at {Path(winoadder.__file__).parent} "
          f"(Python {platform.python_version()})\n")
    assets = asset_rows()
    print(tabulate(assets, headers=["asset", "directory", "found"]))
    cache = cache_dir()
    state = cache_state(cache)
    print(f"\ncache directory: {cache} ({state}; --cache-dir or $WINOADDER_CACHE_DIR moves it)")
    print(f"memory budget: {memory} (--max-memory or ${budget.ENV} sets it)\n")
    tools = tool_rows()
    print(tabulate(tools, headers=["tool", "version", "needed by", "install"]))
    missing = [row[0] for row in [*tools, *assets] if "MISSING" in row[1:3]]
    if "NOT writable" in state:
        missing.append("a writable cache directory")
    found = sum(row[1] != "MISSING" for row in tools)
    print(f"\n{found} of {len(tools)} tools found; "
          + (f"missing: {', '.join(missing)}" if missing else "everything is present"))
    return 1 if missing else 0
