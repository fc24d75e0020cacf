"""`winoadder` command line: one subcommand per capability, each in its own module.

Every subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
User errors (bad path, option or config) print one line to stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fixedpoint.errors import UsageError
from winoadder import __version__

SUBCOMMANDS = {
    "simulate": "simulator.cli",
    "vectors": "winoadder.vectors_cli",
    "verify": "winoadder.hw.verify",
    "grade": "winoadder.hw.grade",
    "study": "winoadder.ml.study",
    "train": "winoadder.ml.train",
    "synth": "winoadder.hw.synth",
    "bench": "winoadder.bench",
    "demo": "winoadder.demo",
}


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
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


if __name__ == "__main__":
    sys.exit(main())
