"""`winoadder grade --suite`: the mutants against the project's own RTL tests instead of one vector set.

A schematized mutant (winoadder.hw.schema) runs the suite on the schema's copy of ``rtl/*.v`` with
``+wa_mutant=k`` added to every simulation (``WINOADDER_PLUSARGS``): every mutant shares the schema's
builds (cached by content), so after the first one a mutant costs the suite's runs, not its builds. The
others get their own mutated copy. Either copy is handed to pytest through ``WINOADDER_RTL_DIR``; the suite
(``SUITE``: the hypothesis-drawn equivalence tests, the ties per rounding mode, the regression sets and
the per-stage smoke tests) stops at its first failure (``-x``), which names the
test that kills the mutant (hypothesis profile ``mutants``: the ``ci`` examples, no shrinking, no example
database); its Icarus tests run first (winoadder.hw.suite_order), so a mutant they kill builds nothing
with Verilator. Mutants the unmutated configuration elaborates away cannot be told apart here (the suite
draws many configurations), so every mutant counts, except those argued equivalent for every
configuration (``EQUIVALENT`` entries without a condition): they are reported equivalent, with the
argument, and not run.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = ("tests/test_rtl_equivalence.py", "tests/test_rtl_smoke.py")
ORDER_PLUGIN = "winoadder.hw.suite_order"
_FAILED = re.compile(r"^FAILED (\S+?)(?:\[|::|\s|$)", re.MULTILINE)


def run_suite_mutant(task: dict) -> dict:
    """pytest the suite on one mutant's RTL copy (a plain function: any executor can map it)."""
    from winoadder.hw.hdl import PLUSARGS_ENV
    from winoadder.hw.mutate import Mutant, write_mutant
    from winoadder.hw.schema import PLUSARG

    mut = task["mutant"]
    scratch = Path(tempfile.mkdtemp(prefix="winoadder-suite-"))
    try:
        env = {**os.environ, "HYPOTHESIS_PROFILE": "mutants"}  # tests/conftest.py: ci, no shrinking
        if task.get("schema_index") is not None:
            env["WINOADDER_RTL_DIR"] = task["schema_dir"]
            env[PLUSARGS_ENV] = f"+{PLUSARG}={task['schema_index']}"
        else:
            mutant = None if mut is None else Mutant(mut["file"], mut["line"], 0, mut["offset"],
                                                     mut["operator"], mut["original"], mut["replacement"])
            env["WINOADDER_RTL_DIR"] = str(write_mutant(task["rtl_dir"], mutant, scratch / "rtl"))
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "-p", "no:cacheprovider", "-n", "0",
               "-p", ORDER_PLUGIN, *task["tests"]]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=task["root"],
                                  timeout=task["timeout"])
        except subprocess.TimeoutExpired:
            return {"status": "killed", "by": ["watchdog"], "seconds": task["timeout"]}
        seconds = time.perf_counter() - start
        if proc.returncode == 0:
            return {"status": "survived", "seconds": seconds}
        if proc.returncode in (2, 3, 4):  # interrupted, internal or usage error: not a verdict on the RTL
            return {"status": "compile_error", "detail": proc.stdout[-300:], "seconds": seconds}
        failed = [Path(f).stem for f in _FAILED.findall(proc.stdout)]
        return {"status": "killed", "by": sorted(set(failed)) or ["pytest"], "seconds": seconds}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def checkout_root() -> Path:
    """The source checkout that holds the suite's test files (they do not ship in the wheel)."""
    from fixedpoint.errors import UsageError

    root = Path(__file__).resolve().parents[2]
    if not all((root / t).is_file() for t in SUITE):
        raise UsageError(f"suite: {', '.join(SUITE)} not found next to winoadder: --suite needs a source "
                         "checkout")
    return root


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact two-sided ``level`` interval of a proportion from ``k`` successes in ``n`` draws."""
    from scipy.stats import beta

    alpha = 1 - level
    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return round(low, 4), round(high, 4)


def draw(mutants: list, sample: int, seed: int) -> list:
    """The mutants to run: the first ``sample`` (0: all) of a seeded random permutation of ``mutants``. The
    sample of a smaller count is a prefix of a larger one's, and every prefix is itself a seeded random
    sample, so a run stopped early leaves a usable log (its progress lines come in this order)."""
    order = list(mutants)
    random.Random(seed).shuffle(order)
    return order[:sample] if sample > 0 else order


def one_sided_lower(k: int, n: int, level: float = 0.95) -> float:
    """The exact one-sided ``level`` lower confidence bound of a proportion (Clopper-Pearson)."""
    from scipy.stats import beta

    return 0.0 if k == 0 else round(float(beta.ppf(1 - level, k, n - k + 1)), 4)


def resume_rows(path: str, mutants: list, seed: int) -> dict[str, dict]:
    """The verdicts of an earlier run of the same draw (``--resume REPORT``): its mutants must be the first
    ones of this draw (same seed, a smaller sample), so the two runs are one sample."""
    import json

    from fixedpoint.errors import UsageError

    try:
        report = json.loads(Path(path).read_text())
        rows, earlier_seed = report["mutants"], report["seed"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--resume: {path} is not a grade --suite report ({exc})") from None
    prefix = {m.id for m in mutants[:len(rows)]}
    if earlier_seed != seed or {r.get("id") for r in rows} != prefix:
        raise UsageError(f"--resume: {path} is not the first {len(rows)} mutants of this draw (seed {seed}, "
                         "the same RTL): grade without --resume")
    return {r["id"]: {k: v for k, v in r.items() if k not in ("id", "file", "line", "operator", "original",
                                                              "replacement", "description")} for r in rows}


def run_suite(args, operators) -> int:

    from fixedpoint.errors import UsageError
    from winoadder.hw.grade import _equivalent, _executor, _imap
    from winoadder.hw.mutate import rtl_mutants
    from winoadder.hw.schema import write_schema
    from winoadder.paths import RTL_DIR

    everyone = rtl_mutants(RTL_DIR, operators=operators)
    total = len(everyone)
    mutants = draw(everyone, args.mutants, args.seed)
    argued = {m.id: _equivalent(RTL_DIR, m, None) for m in mutants}
    start = time.perf_counter()
    base = {"rtl_dir": str(RTL_DIR), "root": str(checkout_root()), "tests": list(SUITE), "timeout": 3600}
    work = Path(tempfile.mkdtemp(prefix="winoadder-suite-schema-"))
    results = {m.id: {"status": "equivalent", "reason": argued[m.id], "seconds": 0.0}
               for m in mutants if argued[m.id]}
    resumed = resume_rows(args.resume, mutants, args.seed) if getattr(args, "resume", None) else {}
    results.update(resumed)
    try:
        original = run_suite_mutant({**base, "mutant": None})
        if original["status"] != "survived":
            raise UsageError("suite: the project's RTL tests fail on the unmutated RTL; fix that first")
        # The unmutated run reuses cached builds; a mutant builds every configuration afresh, so the
        # watchdog must allow for the builds, not only for the cached run.
        base["timeout"] = args.timeout or max(10 * original["seconds"], 1200)
        plan = write_schema(RTL_DIR, everyone, work / "rtl")
        # The schema with no mutant selected must pass the suite (this run also builds its configurations).
        schema_base = {**base, "schema_dir": str(plan.directory), "timeout": max(base["timeout"], 3600)}
        if run_suite_mutant({**schema_base, "mutant": None, "schema_index": 0})["status"] != "survived":
            print("suite: the schema fails the suite with no mutant selected; every mutant gets its own copy")
            plan.index.clear()
        print(f"suite: {len(mutants)} mutants of {total}, {len(results) - len(resumed)} argued equivalent "
              f"(not run), {len(resumed)} from --resume; the unmutated suite {original['seconds']:.0f} s "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        tasks = [{**schema_base, "mutant": m.to_dict() | {"offset": m.offset},
                  "schema_index": plan.index.get(m.id)} for m in mutants if m.id not in results]
        with _executor(args.scheduler, args.jobs) as client:
            for n, (task, res) in enumerate(zip(tasks, _imap(run_suite_mutant, tasks, args.jobs, client),
                                                strict=True), 1):
                results[task["mutant"]["id"]] = res | {"on_schema": task["schema_index"] is not None}
                mut = task["mutant"]
                print(f"  {n}/{len(tasks)} {res['status']} {mut['file']}:{mut['line']} {mut['operator']} "
                      f"({res['seconds']:.1f} s{', schema' if task['schema_index'] is not None else ''}; "
                      f"{time.perf_counter() - start:.0f} s)", flush=True)
    except KeyboardInterrupt:
        raise UsageError("grading interrupted: nothing written") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [{**m.to_dict(), "description": m.description, **results[m.id]}
            for m in sorted(mutants, key=lambda m: (m.file, m.offset))]
    ran = [r for r in rows if r["status"] != "equivalent"]
    report = {"schema": "winoadder-grade-suite/2", "tests": list(SUITE), "mutants_total": total,
              "mutants_graded": len(rows), "sample": args.mutants, "seed": args.seed,
              "resumed": {"report": str(args.resume), "mutants": len(resumed)} if resumed else None,
              "on_schema": sum(t["schema_index"] is not None for t in tasks),
              "seconds": round(time.perf_counter() - start, 1),
              "suite_seconds": round(original["seconds"], 1),
              "mutant_seconds": {kind: round(sum(r["seconds"] for r in ran if r["on_schema"] == on), 1)
                                 for kind, on in (("schema", True), ("own_copy", False))},
              **summary(rows, total)}
    print(f"suite: {len(rows)} mutants of {total} against {', '.join(SUITE)} ({report['seconds']:.0f} s)")
    _print_and_write(report, Path(args.json or "grade-suite.json"))
    return 0


def summary(rows: list[dict], total: int) -> dict:
    """Counts, score (killed / (killed + survived)), its 95 % intervals for a sample, kills per test."""
    counts = {s: sum(r["status"] == s for r in rows)
              for s in ("killed", "survived", "equivalent", "compile_error")}
    killed, graded = counts["killed"], counts["killed"] + counts["survived"]
    sample = graded and len(rows) < total
    by_test: dict[str, int] = {}
    for r in rows:
        for t in r.get("by", []):
            by_test[t] = by_test.get(t, 0) + 1
    return {"counts": counts, "score": round(killed / graded, 6) if graded else None,
            "score_95": clopper_pearson(killed, graded) if sample else None,
            "score_95_lower": one_sided_lower(killed, graded) if sample else None,
            "killed_by_test": by_test, "survivors": [r for r in rows if r["status"] == "survived"],
            "equivalent": [r for r in rows if r["status"] == "equivalent"], "mutants": rows}


def _print_and_write(report: dict, path: Path) -> None:
    import json

    from fixedpoint.safeio import write_file

    counts = report["counts"]
    score = "n/a" if report["score"] is None else f"{100 * report['score']:.2f} %"
    print(f"killed {counts['killed']}, survived {counts['survived']}, equivalent {counts['equivalent']} "
          f"(argued), not run {counts['compile_error']}; score {score} of the non-equivalent")
    if report["score_95"]:
        low, high = report["score_95"]
        print(f"  95 % interval of the whole campaign's score from this sample (Clopper-Pearson): "
              f"{100 * low:.1f} % .. {100 * high:.1f} % (one-sided 95 % lower bound "
              f"{100 * report['score_95_lower']:.1f} %)")
    for t, n in sorted(report["killed_by_test"].items()):
        print(f"  killed first by {t}: {n}")
    for r in report["survivors"]:
        print(f"  survivor {r['file']}:{r['line']} {r['description']}")
    write_file(path, json.dumps(report, indent=2) + "\n", option="--json")
    print(f"report: {path}")


def rescore(path: str, json_path: str | None) -> int:
    """Re-apply the current arguments without a condition (``EQUIVALENT``) to the survivors of a suite
    report: nothing runs; a survivor they cover becomes equivalent (``argued_after_run``)."""
    import json

    from fixedpoint.errors import UsageError
    from winoadder.hw.grade import _equivalent
    from winoadder.hw.mutate import rtl_mutants
    from winoadder.paths import RTL_DIR

    try:
        report = json.loads(Path(path).read_text())
        rows = report["mutants"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--rescore: {path} is not a grade --suite report ({exc})") from None
    everyone = {m.id: m for m in rtl_mutants(RTL_DIR)}
    unknown = [r["id"] for r in rows if r.get("id") not in everyone]
    if unknown:
        raise UsageError(f"--rescore: {path} names {len(unknown)} mutants the current RTL does not have "
                         f"(e.g. {unknown[0]}): grade it again")
    argued = {r["id"]: _equivalent(RTL_DIR, everyone[r["id"]], None) for r in rows}
    for r in rows:
        if r["status"] == "survived" and argued[r["id"]]:
            r.update(status="equivalent", reason=argued[r["id"]], argued_after_run=True)
    report.update(summary(rows, report["mutants_total"]))
    # A kill of a mutant argued equivalent refutes the argument: listed, never hidden.
    report["contradicted"] = [r for r in rows if r["status"] == "killed" and argued[r["id"]]]
    print(f"suite: {path} rescored with the current arguments: "
          f"{sum(r.get('argued_after_run', False) for r in rows)} survivors argued equivalent after the run")
    for r in report["contradicted"]:
        print(f"  argument refuted: {r['file']}:{r['line']} {r['description']} was killed ({r.get('by')})")
    _print_and_write(report, Path(json_path or path))
    return 0
