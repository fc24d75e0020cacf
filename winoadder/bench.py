"""`winoadder bench`: speed side by side with the anchors, measured in one run, as a table and JSON.

Every row compares one of ours with one anchor measured in the same process, so ratios hold on a noisy
machine even when absolute rates do not. Suites live in `winoadder/benchmarks/`; see docs/bench.md.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from fixedpoint.errors import UsageError

HELP = "measure speed side by side with the anchors (APyTypes, fxpmath, numpy, float reference, RTL goals)"
SUITES = {
    "fixedpoint": "winoadder.benchmarks.fixedpoint_suite",
    "grade": "winoadder.benchmarks.grade_suite",
    "layer": "winoadder.benchmarks.layer_suite",
    "rtl": "winoadder.benchmarks.rtl_suite",
    "vectors": "winoadder.benchmarks.vectors_suite",
    "explore": "winoadder.benchmarks.explore_suite",
}
DEFAULT_JSON = Path("out") / "bench.json"
SCHEMA_VERSION = 1


def add_arguments(parser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="reduced set (smaller sizes, fewer repeats), under a minute"
    )
    parser.add_argument("--only", metavar="SUITES", help=f"comma-separated subset of {','.join(SUITES)}")
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write the results as JSON (default {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a goal is not met or a row could not be measured"
    )


def run(args) -> int:
    from tabulate import tabulate

    from winoadder.benchmarks.core import TABLE_HEADERS

    suites = parse_only(args.only)
    check_output_path(args.json)
    started = time.perf_counter()
    machine = machine_info()
    rows = []
    for name in suites:
        sys.stderr.write(f"bench: running {name} ...\n")
        rows.extend(run_suite(name, args.quick))
    seconds = time.perf_counter() - started
    machine["loadavg_end"] = _loadavg()
    for name in suites:
        print(f"\n## {name}\n")
        print(
            tabulate(
                [r.table_row() for r in rows if r.suite == name],
                headers=TABLE_HEADERS,
                tablefmt="github",
                disable_numparse=True,
            )
        )
    mode = "quick" if args.quick else "full"
    print(f"\n{goal_summary(rows)}")
    print(f"{describe_machine(machine)}; {mode} run took {seconds:.0f} s")
    report = {
        "schema_version": SCHEMA_VERSION,
        "mode": mode,
        "suites": suites,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "machine": machine,
        "rows": [r.to_dict() for r in rows],
    }
    write_json_atomically(args.json, report)
    print(f"wrote {args.json}")
    failed = [r for r in rows if r.met is False or r.status != "ok"]
    return 1 if args.strict and failed else 0


def goal_summary(rows: list) -> str:
    """One line: how many goals were met, and which rows missed theirs or could not be measured."""
    with_goal = [r for r in rows if r.goal is not None]
    missed = [f"{r.suite} {r.what} {r.size} vs {r.anchor or r.goal.text()}".replace("  ", " ")
              for r in with_goal if r.met is not True]  # fmt: skip
    text = f"goals met: {len(with_goal) - len(missed)} of {len(with_goal)}"
    return f"{text}; missed or unmeasured: {'; '.join(missed)}" if missed else text


def parse_only(text: str | None) -> list[str]:
    """The suites to run, in the canonical order; an unknown name is a UsageError listing the valid ones."""
    if text is None:
        return list(SUITES)
    from fixedpoint.options import name_list

    names = name_list(text, "--only", SUITES, what="suite")
    return [n for n in SUITES if n in names]


def check_output_path(path: Path) -> None:
    """Fail before measuring when the JSON path cannot be written (a directory, or under a file)."""
    from fixedpoint.safeio import resolve_file_target

    if path.is_dir():
        raise UsageError(f"--json: {path} is a directory; give a file path")
    if path.parent.is_dir():
        resolve_file_target(path, "--json")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"--json: {parent} is not a directory")
            if not os.access(parent, os.W_OK):
                raise UsageError(f"--json: cannot write into {parent}")
            break


def run_suite(name: str, quick: bool) -> list:
    """One suite's rows; a suite that crashes gives one 'unavailable' row instead of stopping the run."""
    from winoadder.benchmarks.core import FULL_TIMING, QUICK_TIMING, dependency_reason, unavailable

    try:
        module = importlib.import_module(SUITES[name])
        return module.run(quick, QUICK_TIMING if quick else FULL_TIMING)
    except Exception as exc:  # a dependency under construction must not stop the other suites
        return [unavailable(name, name, "—", "", dependency_reason(exc))]


def write_json_atomically(path: Path, data: dict) -> None:
    """Through the one write path (fixedpoint.safeio); the default out/ directory is created."""
    from fixedpoint.safeio import write_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--json: cannot create {path.parent}: {exc.strerror or exc}") from None
    text = json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    write_file(path, text, option="--json")


def machine_info() -> dict:
    """What the numbers depend on: cores, CPU model, library versions, and the load when the run started."""
    import numpy

    info = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "loadavg_start": _loadavg(),
    }
    try:
        import apytypes

        info["apytypes"] = apytypes.__version__
        info["apytypes_threads"] = apytypes.n_threads()
    except ImportError:
        info["apytypes"] = None
    try:
        import fxpmath

        info["fxpmath"] = fxpmath.__version__
    except ImportError:
        info["fxpmath"] = None
    return info


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine(machine: dict) -> str:
    apy = machine.get("apytypes")
    parts = [
        f"{machine['nproc']} cores ({machine['cpu']})",
        f"numpy {machine['numpy']}",
        f"APyTypes {apy} ({machine.get('apytypes_threads')} threads)" if apy else "APyTypes not installed",
        f"fxpmath {machine['fxpmath']}" if machine.get("fxpmath") else "fxpmath not installed",
        f"load average {machine['loadavg_start']} → {machine['loadavg_end']}",
    ]
    return "; ".join(parts)


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None
