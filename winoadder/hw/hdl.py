"""Build and run Verilog simulations (Icarus Verilog or Verilator) with a content-addressed cache.

``build(sim, top, sources, params)`` compiles once per distinct (source contents, include-dir contents,
top, parameters, simulator, tool version, flags) and keeps the result under ``cache_dir()/hdl/<hash>``
(the user cache directory, winoadder.paths). A build happens in a private temp dir that is renamed into
place, so concurrent runs never see a half-built directory; a per-key file lock makes a second process
wait for the first build and reuse it instead of compiling the same thing twice. ``flags`` (extra
simulator flags such as Verilator's ``--coverage-line`` or ``--trace-fst``) are part of the key.

Verilator builds verilate, then compile with the generated makefile; its runtime library objects
(``verilated*.o``, the same for every design built with one Verilator version and flag set) are compiled
once, kept under ``cache_dir()/verilator-runtime/<hash>`` and copied into later builds, so a build
compiles only the design's own C++ (about 4 s of CPU less per build).
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
PLUSARGS_ENV = "WINOADDER_PLUSARGS"
# Random power-up state: variables without an initial value start random (as flops do in silicon), from
# the seed given at run time by power_up().
VERILATOR_RANDOM_INIT = ("--x-assign", "unique", "--x-initial", "unique")


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
        """Run the simulation; ``plusargs`` is ``{name: value}`` (→ ``+name=value``) or raw strings, and
        the words of ``$WINOADDER_PLUSARGS`` follow them (``grade --suite`` selects a schema's mutant so).

        Output is captured as text. With ``check`` a nonzero exit raises RuntimeError with the output.
        """
        args = list(self.command) + _plusargs(plusargs) + os.environ.get(PLUSARGS_ENV, "").split()
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd)
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{self.sim} simulation of {self.top} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


def power_up(seed: int) -> list[str]:
    """Run-time arguments of a build verilated with VERILATOR_RANDOM_INIT: random power-up values from
    ``seed`` (>= 0; Verilator's seed is seed + 1, as it takes 0 to mean a seed from the system)."""
    return ["+verilator+rand+reset+2", f"+verilator+seed+{int(seed) + 1}"]


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
    flags: Sequence[str] = (),
    make_vars: Sequence[str] = (),
    cache: str | os.PathLike | None = None,
) -> Build:
    """Compile ``sources`` with top module ``top``, parameter overrides ``params``, extra simulator
    ``flags`` and, for Verilator, ``make_vars`` such as ``OPT_FAST=-O0`` (cached; both in the key) under
    ``cache`` (default ``cache_dir()/hdl``)."""
    require_simulator(sim)
    flags = tuple(str(f) for f in flags)
    make_vars = tuple(str(v) for v in make_vars)
    sources = [Path(s).resolve() for s in sources]
    include_dirs = [Path(d).resolve() for d in include_dirs]
    params = {str(k): format_param(v) for k, v in sorted((params or {}).items())}
    for src in sources:
        if not src.is_file():
            raise UsageError(f"sources: {src} does not exist")
    key = _cache_key(sim, top, sources, params, include_dirs, (*flags, *make_vars))
    root = Path(cache) if cache is not None else cache_dir() / "hdl"
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
            command = _compile(sim, top, sources, params, include_dirs, tmp, flags, make_vars)
            meta = {"command": command, "build_seconds": time.perf_counter() - start, "top": top, "sim": sim}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return _as_build(sim, top, final, meta, cached=False)


def _cache_key(sim, top, sources, params, include_dirs, flags=()) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([sim, tool_version(sim), top, params] + ([list(flags)] if flags else [])).encode())
    for src in sources:
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    for inc in include_dirs:
        for f in sorted(p for p in inc.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(inc)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def verilator_command(top, sources, params, include_dirs, out_dir: Path, flags=()) -> list[str]:
    """The verilate step of a Verilator build into ``out_dir/obj`` (C++ and makefile, not compiled).

    A ``.cpp`` among the sources provides ``main()``; otherwise Verilator's ``--main`` does."""
    main = [] if any(str(s).endswith(".cpp") for s in sources) else ["--main"]
    cmd = ["verilator", "--cc", "--exe", *main, "--timing", "-O2", "--top-module", top]
    cmd += [*_VERILATOR_WARNINGS_OFF, *flags, "--Mdir", str(out_dir / "obj"), "-o", "sim"]
    cmd += [f"-I{d}" for d in include_dirs] + [f"-G{k}={v}" for k, v in params.items()]
    return cmd + [str(s) for s in sources]


def _compile(sim, top, sources, params, include_dirs, out_dir: Path, flags=(), make_vars=()) -> list[str]:
    """Run the compiler in ``out_dir``; return the command (relative to the build dir) that runs it."""
    if sim == "iverilog":
        cmd = ["iverilog", "-g2005", "-s", top, "-o", str(out_dir / "sim.vvp"), *flags]
        cmd += [f"-I{d}" for d in include_dirs] + [f"-P{top}.{k}={v}" for k, v in params.items()]
        _run_tool([*cmd, *(str(s) for s in sources)], out_dir, sim, top)
        return ["vvp", "-n", "sim.vvp"]
    _run_tool(verilator_command(top, sources, params, include_dirs, out_dir, flags), out_dir, sim, top)
    compile_verilated(out_dir / "obj", top, flags, make_vars)
    return ["obj/sim"]


def compile_verilated(obj: Path, top: str, flags=(), make_vars: Sequence[str] = ()) -> Path:
    """Compile a verilated model in ``obj`` to ``obj/sim`` with the cached runtime objects; ``make_vars``
    such as ``OPT_FAST=-O0`` go to make. Returns the executable."""
    runtime = cache_dir() / "verilator-runtime" / hashlib.sha256(
        json.dumps([tool_version("verilator"), list(flags)]).encode()).hexdigest()[:16]
    if runtime.is_dir():
        now = time.time()
        for f in runtime.iterdir():  # newer than their sources, so make reuses them
            shutil.copy2(f, obj / f.name)
            os.utime(obj / f.name, (now, now))
    _run_tool(["make", "-C", str(obj), "-f", f"V{top}.mk", "-j", _VERILATOR_JOBS, *make_vars, "sim"],
              obj.parent, "verilator", top)
    if not runtime.is_dir() and not make_vars:
        _save_runtime(obj, runtime)
    return obj / "sim"


def _save_runtime(obj: Path, runtime: Path) -> None:
    """Keep the Verilator runtime library objects of a finished build (atomically; a race loses nothing)."""
    runtime.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".runtime-", dir=runtime.parent))
    for f in obj.glob("verilated*.[od]"):
        shutil.copy2(f, tmp / f.name)
    try:
        os.rename(tmp, runtime)
    except OSError:  # another process saved it first
        shutil.rmtree(tmp, ignore_errors=True)


def _run_tool(cmd: list[str], cwd: Path, sim: str, top: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{sim} failed to build {top}:\n{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")


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
