"""Verilator line and toggle coverage of the RTL under a testbench: builds, runs, merged figures.

A coverage build is the ordinary Verilator build with ``--coverage-line --coverage-toggle`` and a small
``main`` that writes ``coverage.dat`` at ``+coverage=PATH`` after ``$finish``; a Verilator control file
turns coverage off for the testbench (``rtl/tb``), so the figures are those of ``rtl/*.v``.
``verilator_coverage`` merges runs, writes the annotated sources (``--annotate``), an lcov ``.info``
(``--write-info``) and ranks runs by what they add (``--rank``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fixedpoint.errors import UsageError
from winoadder.paths import cache_dir

COVERAGE_FLAGS = ("--coverage-line", "--coverage-toggle", "--coverage-max-width", "4096")
_MAIN = """// main() of a Verilator coverage build (winoadder.hw.covdata): run to $finish, write coverage.
#include "verilated.h"
#include "verilated_cov.h"
#include "V{top}.h"
int main(int argc, char** argv, char**) {{
    const std::unique_ptr<VerilatedContext> contextp{{new VerilatedContext}};
    contextp->commandArgs(argc, argv);
    const std::unique_ptr<V{top}> topp{{new V{top}{{contextp.get()}}}};
    while (!contextp->gotFinish()) {{
        topp->eval();
        if (!topp->eventsPending()) break;
        contextp->time(topp->nextTimeSlot());
    }}
    topp->final();
    const char* arg = contextp->commandArgsPlusMatch("coverage=");
    contextp->coveragep()->write(arg[0] ? arg + 10 : "coverage.dat");
    return 0;
}}
"""
_CONTROL = """`verilator_config
coverage_off -file "*/tb/*"
"""
_KEY = re.compile(r"\x01(\w+)\x02([^\x01']*)")


@dataclass(frozen=True)
class Point:
    """One coverage point of coverage.dat: kind (line, toggle, branch...), file, line, hierarchy, count."""

    kind: str
    file: str
    line: int
    hier: str
    name: str
    count: int


def coverage_sources(top: str) -> list[Path]:
    """The extra sources of a coverage build of ``top``: its main() and the control file (cached files)."""
    root = cache_dir() / "coverage-support"
    root.mkdir(parents=True, exist_ok=True)
    files = {root / f"{top}_cov_main.cpp": _MAIN.format(top=top), root / "tb_coverage_off.vlt": _CONTROL}
    for path, text in files.items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
    return list(files)


def require_verilator_coverage() -> str:
    path = shutil.which("verilator_coverage")
    if path is None:
        raise UsageError("verilator_coverage not found on PATH: install it with 'apt-get install verilator'")
    return path


def read_points(path) -> list[Point]:
    """Parse a coverage.dat (``C '<key-values>' count`` lines)."""
    points = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if not line.startswith("C '"):
            continue
        body, count = line[3:].rsplit("' ", 1)
        fields = dict(_KEY.findall(body))
        page = fields.get("page", "")
        kind = page.split("/")[0].removeprefix("v_") if page else fields.get("t", "")
        points.append(Point(kind, fields.get("f", ""), int(fields.get("l", 0)), fields.get("h", ""),
                            fields.get("o", ""), int(count)))
    return points


def relocate(path, rtl_dir, tb_dir) -> None:
    """Point a coverage.dat's source paths at ``rtl_dir`` / ``tb_dir`` (a cached coverage build keeps the
    paths it was compiled from, maybe a grading snapshot that is gone)."""
    def place(match):
        name = Path(match.group(2)).name
        return match.group(1) + str(Path(tb_dir if name.startswith("tb_") else rtl_dir) / name)

    text = Path(path).read_text(errors="replace")
    Path(path).write_text(re.sub(r"(\x01f\x02)([^\x01']*)", place, text))


def merge(inputs, out_path) -> Path:
    """Merge coverage.dat files into ``out_path`` (verilator_coverage --write)."""
    tool = require_verilator_coverage()
    _run([tool, "--write", str(out_path), *map(str, inputs)])
    return Path(out_path)


def annotate(data, out_dir) -> Path:
    """Annotated copies of the covered sources in ``out_dir`` (a '%' marks a point below its threshold)."""
    tool = require_verilator_coverage()
    _run([tool, "--annotate", str(out_dir), "--annotate-all", str(data)])
    return Path(out_dir)


def write_info(data, out_path) -> Path:
    """An lcov tracefile of the line points (verilator_coverage --write-info)."""
    tool = require_verilator_coverage()
    _run([tool, "--write-info", str(out_path), str(data)])
    return Path(out_path)


def genhtml(info, out_dir) -> Path | None:
    """HTML from an lcov .info with genhtml when lcov is installed; None otherwise."""
    tool = shutil.which("genhtml")
    if tool is None:
        return None
    _run([tool, "-q", "--output-directory", str(out_dir), str(info)])
    return Path(out_dir)


def rank(inputs) -> str:
    """verilator_coverage --rank: the runs in the order that adds the most points, and what each adds."""
    tool = require_verilator_coverage()
    return _run([tool, "--rank", *map(str, inputs)])


def summarize(points: list[Point], files=None) -> dict[str, dict]:
    """Per kind (line, toggle): points, covered, percent, over the given file names (basenames)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in points:
        if files is not None and Path(p.file).name not in files:
            continue
        totals[p.kind][0] += 1
        totals[p.kind][1] += p.count > 0
    return {kind: {"points": n, "covered": c, "percent": round(100.0 * c / n, 2) if n else 100.0}
            for kind, (n, c) in sorted(totals.items())}


def uncovered(points: list[Point], kind: str, files=None) -> list[Point]:
    return [p for p in points if p.kind == kind and p.count == 0
            and (files is None or Path(p.file).name in files)]


def line_hits(points: list[Point]) -> dict[tuple[str, int], int]:
    """(file basename, line) -> the largest count of a line/branch point on that line."""
    hits: dict[tuple[str, int], int] = {}
    for p in points:
        if p.kind in ("line", "branch", "block"):
            key = (Path(p.file).name, p.line)
            hits[key] = max(hits.get(key, 0), p.count)
    return hits


def instantiated_files(points: list[Point]) -> set[str]:
    """Basenames of the files with at least one coverage point (their modules are in the design)."""
    return {Path(p.file).name for p in points}


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


CORE_FILES = ("winoadder_core.v", "input_transform.v", "align.v", "neg_abs_diff.v", "channel_accumulate.v",
              "output_transform.v", "requantize.v")
DIRECT_FILES = ("adder_pe_direct.v", "neg_abs_diff.v", "channel_accumulate.v", "requantize.v")


def toggle_reason(point: Point, params: dict[str, int]) -> str:
    """Why a toggle point can stay 0: the align shift's zero bits, else 'not toggled by this set'."""
    match = re.match(r"^(\w+)(?:\[\d+\])*\[(\d+)\]$", point.name)
    if match and match.group(1) in ("va", "va_row", "row") and params.get("K", 0) > 0:
        if int(match.group(2)) % params["WVA"] < params["K"]:
            return f"constant 0 by construction: the low K = {params['K']} bits of each Va element (align)"
    return "not toggled by this set"


def rtl_coverage(vset, out_dir, *, seed: int = 1) -> dict:
    """Coverage of the set on Verilator, per class and merged: writes coverage.dat, classes/<class>.dat,
    annotated/, coverage.info and html/ (with lcov) into ``out_dir``; returns the figures."""
    import tempfile

    from winoadder.hw.grade import _snapshot, coverage_run, prepare_inputs, testbench_parameters
    from winoadder.paths import RTL_DIR, TB_DIR

    require_verilator_coverage()
    out_dir = Path(out_dir)
    (out_dir / "classes").mkdir(parents=True, exist_ok=True)
    params = testbench_parameters(vset)
    files = CORE_FILES if vset.top == "winoadder_core" else DIRECT_FILES
    classes = [c["name"] for c in vset.manifest["classes"]]
    with tempfile.TemporaryDirectory(prefix="winoadder-coverage-") as tmp:
        work = Path(tmp)
        rtl, tb = _snapshot(RTL_DIR, TB_DIR / "tb_winoadder_core.v", work)
        inputs = prepare_inputs(vset, work)
        runs = {}
        for name in classes:
            data = coverage_run(vset, params, work, rtl, tb, name, inputs, seed=seed)
            runs[name] = shutil.copy(data, out_dir / "classes" / f"{name}.dat")
            relocate(runs[name], RTL_DIR, TB_DIR)
    merged = merge(list(runs.values()), out_dir / "coverage.dat")
    annotate(merged, out_dir / "annotated")
    info = write_info(merged, out_dir / "coverage.info")
    html = genhtml(info, out_dir / "html")
    points = [p for p in read_points(merged) if Path(p.file).name in files]
    figures = summarize(points)
    line = [p for p in points if p.kind in ("line", "branch")]
    per_class = {}
    for name, path in runs.items():
        pts = [p for p in read_points(path) if Path(p.file).name in files]
        per_class[name] = {k: v["covered"] for k, v in summarize(pts).items()}
    return {
        "files": list(files),
        "line": {"points": len(line), "covered": sum(p.count > 0 for p in line),
                 "percent": round(100.0 * sum(p.count > 0 for p in line) / len(line), 2) if line else 100.0},
        "toggle": figures.get("toggle", {"points": 0, "covered": 0, "percent": 100.0}),
        "uncovered_lines": [f"{Path(p.file).name}:{p.line} {p.name}" for p in line if p.count == 0],
        "uncovered_toggles": [{"point": f"{Path(p.file).name}:{p.line} {p.hier.split('.')[-1]}.{p.name}",
                               "reason": toggle_reason(p, params)} for p in uncovered(points, "toggle")],
        "per_class_covered": per_class,
        "rank": rank(list(runs.values())),
        "outputs": {"data": str(merged), "annotated": str(out_dir / "annotated"), "info": str(info),
                    "html": str(html) if html else None},
    }
