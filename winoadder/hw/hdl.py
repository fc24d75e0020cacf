"""Build and run Verilog simulations (Icarus Verilog or Verilator) with a content-addressed cache.

``build(sim, top, sources, params)`` compiles once per distinct (source contents, include-dir contents,
top, parameters, simulator, tool version) and keeps the result under ``cache_dir()/hdl/<hash>`` (the
user cache directory, winoadder.paths). A build happens in a private temp dir that is renamed into
place, so concurrent runs never see a half-built directory; a per-key file lock makes a second process
wait for the first build and reuse it instead of compiling the same thing twice.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixedpoint.errors import UsageError
from winoadder import tools
from winoadder.paths import cache_dir

SIMULATORS = ("iverilog", "verilator")
SIMULATOR_TOOLS = {"iverilog": ("iverilog", "vvp"), "verilator": ("verilator", "g++", "make")}
_VERILATOR_WARNINGS_OFF = ("-Wno-fatal", "-Wno-lint", "-Wno-style")
_VERILATOR_JOBS = "2"


@dataclass(frozen=True)
class Build:
    """A compiled simulation: ``run`` executes it with plusargs."""

    sim: str
    top: str
    directory: Path
    command: tuple[str, ...]
    build_seconds: float
    cached: bool

    def run(
        self,
        plusargs: Mapping[str, object] | Sequence[str] = (),
        timeout: float = 600,
        *,
        cwd: str | os.PathLike | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess:
        """Run the simulation; ``plusargs`` is ``{name: value}`` (→ ``+name=value``) or raw strings.

        Output is captured as text. With ``check`` a nonzero exit raises RuntimeError with the output.
        """
        args = list(self.command) + _plusargs(plusargs)
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd)
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{self.sim} simulation of {self.top} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


def require_simulator(sim: str) -> str:
    """Return the path of the simulator's executable; UsageError naming the missing tool (the simulator,
    or Verilator's C++ compiler and make) and its install command."""
    if sim not in SIMULATORS:
        raise UsageError(f"sim: unknown simulator {sim!r}; valid: {', '.join(SIMULATORS)}")
    paths = [tools.require(tool) for tool in SIMULATOR_TOOLS[sim]]
    return paths[0]


@functools.cache
def tool_version(sim: str) -> str:
    """First line of the simulator's version banner (part of the cache key)."""
    require_simulator(sim)
    cmd = ["iverilog", "-V"] if sim == "iverilog" else ["verilator", "--version"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else sim


def format_param(value: int) -> str:
    """A Verilog literal for an integer parameter; values beyond 31 bits become sized hex."""
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"params: HDL parameters must be integers, got {value!r}")
    if 0 <= value < (1 << 31):
        return str(value)
    if value < 0:
        raise ValueError(f"params: negative parameter values are not supported, got {value}")
    return f"{value.bit_length()}'h{value:x}"


def build(
    sim: str,
    top: str,
    sources: Iterable[str | os.PathLike],
    params: Mapping[str, int] | None = None,
    *,
    include_dirs: Iterable[str | os.PathLike] = (),
) -> Build:
    """Compile ``sources`` with top module ``top`` and parameter overrides ``params`` (cached)."""
    require_simulator(sim)
    sources = [Path(s).resolve() for s in sources]
    include_dirs = [Path(d).resolve() for d in include_dirs]
    params = {str(k): format_param(v) for k, v in sorted((params or {}).items())}
    for src in sources:
        if not src.is_file():
            raise UsageError(f"sources: {src} does not exist")
    key = _cache_key(sim, top, sources, params, include_dirs)
    root = cache_dir() / "hdl"
    final = root / key
    meta = _read_meta(final)
    if meta is not None:
        return _as_build(sim, top, final, meta, cached=True)
    root.mkdir(parents=True, exist_ok=True)
    # One builder per key at a time (other processes wait, then reuse the result); the build itself
    # still goes to a temp dir renamed into place, so a killed builder never leaves a partial build.
    with open(root / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = _read_meta(final)
        if meta is not None:
            return _as_build(sim, top, final, meta, cached=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
        try:
            start = time.perf_counter()
            command = _compile(sim, top, sources, params, include_dirs, tmp)
            meta = {"command": command, "build_seconds": time.perf_counter() - start, "top": top, "sim": sim}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return _as_build(sim, top, final, meta, cached=False)


def _cache_key(sim, top, sources, params, include_dirs) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([sim, tool_version(sim), top, params]).encode())
    for src in sources:
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    for inc in include_dirs:
        for f in sorted(p for p in inc.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(inc)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _compile(sim, top, sources, params, include_dirs, out_dir: Path) -> list[str]:
    """Run the compiler in ``out_dir``; return the command (relative to the build dir) that runs it."""
    incs = [f"-I{d}" for d in include_dirs]
    if sim == "iverilog":
        cmd = ["iverilog", "-g2005", "-s", top, "-o", str(out_dir / "sim.vvp"), *incs]
        cmd += [f"-P{top}.{k}={v}" for k, v in params.items()]
        run_cmd = ["vvp", "-n", "sim.vvp"]
    else:
        cmd = ["verilator", "--binary", "-O2", "-j", _VERILATOR_JOBS, "--top-module", top]
        cmd += list(_VERILATOR_WARNINGS_OFF)
        cmd += ["--Mdir", str(out_dir / "obj"), "-o", "sim", *incs]
        cmd += [f"-G{k}={v}" for k, v in params.items()]
        run_cmd = ["obj/sim"]
    cmd += [str(s) for s in sources]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out_dir)
    if proc.returncode != 0:
        raise RuntimeError(f"{sim} failed to build {top}:\n{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return run_cmd


def _read_meta(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        return None


def _as_build(sim, top, directory: Path, meta: dict, *, cached: bool) -> Build:
    command = list(meta["command"])
    command[-1] = str(directory / command[-1])
    return Build(sim, top, directory, tuple(command), float(meta["build_seconds"]), cached)


def _plusargs(plusargs) -> list[str]:
    if isinstance(plusargs, Mapping):
        return [f"+{k}={v}" for k, v in plusargs.items()]
    return [str(a) for a in plusargs]
