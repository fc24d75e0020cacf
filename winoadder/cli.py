"""`winoadder` command line: one subcommand per capability, each in its own module.

Every subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
User errors (bad path, option or config) print one line to stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from fixedpoint.errors import UsageError
from winoadder import __version__
from winoadder.paths import CACHE_ENV

SUBCOMMANDS = {
    "simulate": "simulator.cli",
    "vectors": "vectors.cli",
    "verify": "winoadder.hw.verify",
    "study": "winoadder.ml.study",
    "train": "winoadder.ml.train",
    "synth": "winoadder.hw.synth",
    "bench": "winoadder.bench",
    "demo": "winoadder.demo",
    "doctor": "winoadder.doctor",
}


CACHE_HELP = "cache directory for simulator builds and synthesis (default $WINOADDER_CACHE_DIR, else the " \
             "user cache directory, ~/.cache/winoadder on Linux)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line and exits 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="winoadder",
        description="Bit-accurate Winograd AdderNet datapath: simulate, generate vectors, verify RTL, study.",
    )
    parser.add_argument("--version", action="version", version=f"winoadder {__version__}")
    parser.add_argument("--cache-dir", type=Path, help=CACHE_HELP)
    common = argparse.ArgumentParser(add_help=False)  # --cache-dir is accepted after the command too
    common.add_argument("--cache-dir", type=Path, default=argparse.SUPPRESS, help=CACHE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, parents=[common])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    previous_cache = os.environ.get(CACHE_ENV)
    if args.cache_dir is not None:  # the option wins over the environment, for this run
        os.environ[CACHE_ENV] = str(args.cache_dir.expanduser().resolve())
    try:
        return int(args._run(args) or 0)
    except (UsageError, ValueError, OverflowError) as exc:
        sys.stderr.write(f"winoadder {args.command}: error: {exc}\n")
        return 2
    except FileNotFoundError as exc:
        sys.stderr.write(f"winoadder {args.command}: error: no such file: {exc.filename}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"winoadder {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("winoadder: interrupted\n")
        return 130
    finally:
        if previous_cache is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = previous_cache


if __name__ == "__main__":
    sys.exit(main())
