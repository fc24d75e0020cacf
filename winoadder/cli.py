"""`winoadder` command line: one subcommand per capability, each in its own module.

Every subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
User errors (bad path, option or config) and every expected failure (OS errors, memory, timeouts,
malformed files) print one line to stderr and exit 2, never a traceback; SIGTERM/SIGHUP remove the
temporaries of the write in progress and exit 128+signal (docs/failures.md).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

from fixedpoint.budget import ENV as MEMORY_ENV
from fixedpoint.budget import parse_size
from fixedpoint.errors import UsageError
from fixedpoint.options import plain_float, plain_int
from fixedpoint.safeio import check_out_dir, defer_signal, protect_inputs
from winoadder import __version__
from winoadder.paths import CACHE_ENV

SUBCOMMANDS = {
    "simulate": "simulator.cli",
    "vectors": "winoadder.vectors_cli",
    "verify": "winoadder.hw.verify",
    "grade": "winoadder.hw.grade",
    "study": "winoadder.ml.study",
    "tune": "winoadder.ml.tune",
    "explore": "winoadder.ml.explore",
    "train": "winoadder.ml.train",
    "synth": "winoadder.hw.synth",
    "prove": "winoadder.hw.prove",
    "bench": "winoadder.bench",
    "demo": "winoadder.demo",
    "doctor": "winoadder.doctor",
}

CACHE_HELP = "cache directory for simulator builds and synthesis (default $WINOADDER_CACHE_DIR, else the " \
             "user cache directory, ~/.cache/winoadder on Linux)"
MEMORY_HELP = "memory budget checked before large allocations, e.g. 16G (default: half the RAM, at most " \
              "8G; env WINOADDER_MAX_MEMORY)"


STRICT_TYPES = {int: plain_int, float: plain_float}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line and exits 2, and parses numbers strictly."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)  # --forc is not --force: reject what is not spelled out
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        """A bare ``type=int``/``float`` becomes a non-negative plain decimal (no ``1_0``, ``nan``,
        ``inf``, `` 5``); options that take negative numbers declare their own range. No option takes an
        empty or blank value (``--out "$UNSET"`` would otherwise mean the current directory)."""
        if kwargs.get("action") in (None, "store", "append"):
            kind = STRICT_TYPES.get(kwargs.get("type"), kwargs.get("type"))
            optional_value = kwargs.get("nargs") == "?" and "const" in kwargs  # '' is then the bare flag
            kwargs["type"] = kind if optional_value else _non_blank(kind)
        return super().add_argument(*args, **kwargs)

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _non_blank(convert):
    """argparse type: refuse an empty or blank value, then ``convert`` it (None: keep the string)."""

    def parse(text: str):
        if not str(text).strip():
            raise argparse.ArgumentTypeError(f"expected a value, got {text!r}")
        return convert(text) if convert is not None else text

    parse.__name__ = getattr(convert, "__name__", "value")  # argparse names the type in its messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="winoadder",
        description="Bit-accurate Winograd AdderNet datapath: simulate, generate vectors, verify RTL, study.",
    )
    parser.add_argument("--version", action="version", version=f"winoadder {__version__}")
    parser.add_argument("--cache-dir", type=Path, help=CACHE_HELP)
    parser.add_argument("--max-memory", metavar="SIZE", help=MEMORY_HELP)
    common = _Parser(add_help=False)  # also accepted after the command
    common.add_argument("--cache-dir", type=Path, default=argparse.SUPPRESS, help=CACHE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, parents=[common])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP as an exception, so every write in progress removes its temporaries."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, _frame):
    exc = KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
    if not defer_signal(exc):  # during the renames of a multi-file output it waits for their end
        raise exc


def _install_signal_handlers() -> dict:
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, _raise_terminated)
        except ValueError:  # not the main thread: leave the signals alone
            break
    return previous


def _restore_signal_handlers(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def describe_failure(exc: BaseException) -> str | None:
    """The one-line message of an expected failure, or None for a bug (which keeps its traceback)."""
    if isinstance(exc, (UsageError, ValueError, OverflowError)):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return ("out of memory; lower the sizes asked for, or the memory budget (--max-memory) "
                "if it was raised")
    if isinstance(exc, subprocess.TimeoutExpired):
        cmd = exc.cmd[0] if isinstance(exc.cmd, (list, tuple)) else exc.cmd
        return f"{os.path.basename(str(cmd))} did not finish within {exc.timeout:.0f} s (hung or too slow)"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return f"malformed file: {exc}"
    if isinstance(exc, RecursionError):
        return "input nested too deeply (malformed JSON?)"
    return None


def _run_environment(args) -> dict[str, str]:
    """The environment variables the global options set for this run (the option wins over the env)."""
    env = {}
    if args.cache_dir is not None:
        env[CACHE_ENV] = str(check_out_dir(args.cache_dir.expanduser(), "--cache-dir").resolve())
    if args.max_memory is not None:
        env[MEMORY_ENV] = str(parse_size(args.max_memory, "--max-memory"))
    return env


def main(argv: list[str] | None = None) -> int:
    previous = _install_signal_handlers()
    try:
        args = build_parser().parse_args(argv)
    except Terminated as exc:
        _restore_signal_handlers(previous)
        sys.stderr.write(f"winoadder: terminated by signal {exc.signum} before starting; nothing written\n")
        return 128 + exc.signum
    except BaseException:
        _restore_signal_handlers(previous)
        raise
    if not getattr(args, "_run", None):
        _restore_signal_handlers(previous)
        build_parser().print_help()
        sys.stderr.write(f"winoadder: error: a COMMAND is required, one of {', '.join(SUBCOMMANDS)}\n")
        return 2
    saved, saved_inputs = {}, None
    try:
        for name, value in _run_environment(args).items():
            saved[name] = os.environ.get(name)
            os.environ[name] = value
        saved_inputs = protect_inputs(named_paths(args))
        return int(args._run(args) or 0)
    except Terminated as exc:
        sys.stderr.write(f"winoadder {args.command}: terminated by signal {exc.signum}; "
                         "nothing was left half-written\n")
        return 128 + exc.signum
    except KeyboardInterrupt:
        sys.stderr.write("winoadder: interrupted\n")
        return 130
    except Exception as exc:
        message = describe_failure(exc)
        if message is None:
            raise
        sys.stderr.write(f"winoadder {args.command}: error: {message}\n")
        return 2
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _restore_signal_handlers(previous)
        if saved_inputs is not None:
            protect_inputs(saved_inputs, keep=False)


def named_paths(args) -> dict[str, str]:
    """Every existing path the user named on the command line -> the option that named it.

    The write path refuses to replace one of them through another option (``--out`` equal to
    ``--input``) or to replace a directory holding one (``vectors --out D --force`` with ``--config
    D/c.json``): docs/failures.md.
    """
    paths = {}
    for dest, value in vars(args).items():
        if dest.startswith("_") or dest in ("command", "cache_dir", "max_memory"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (str, Path)) and str(item) and os.path.lexists(item):
                option = "DIR" if dest == "directory" else "--" + dest.replace("_", "-")
                paths.setdefault(os.path.realpath(item), option)
    return paths


if __name__ == "__main__":
    sys.exit(main())
