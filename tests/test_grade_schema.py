"""Mutant schemata, random power-up state and --minimize of `winoadder grade` (quick subsets)."""

import json
import random
import re
import shutil
import subprocess
import sys

import pytest

from simulator import DatapathConfig
from vectors.manifest import create_vector_set, read_vector_set
from winoadder.cli import main
from winoadder.hw.grade import equivalence_key, grade
from winoadder.hw.mutate import OPERATORS, rtl_mutants
from winoadder.hw.schema import CONSTANT_POSITION, SELECTOR, write_schema
from winoadder.paths import RTL_DIR

SMALL = DatapathConfig.from_dict({"act_fmt": "s4.2", "max_channels": 4, "lanes": 1, "out_fmt": "s6.2"})
_GUARD = re.compile(rf"\(\({SELECTOR} == 32'd(\d+)\) \? ")
_CASE = f"case ({SELECTOR}) "


def _group_end(text: str, i: int) -> int:
    """Index just past the parenthesised group opening at ``text[i]``."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    raise ValueError("unbalanced")


def _resolve(text: str, selected: int) -> str:
    """The schema text with every guard replaced by what run-time id ``selected`` executes (the selector's
    declaration and sensitivity dropped, a truth guard's ``|`` too)."""
    text = re.sub(rf" reg \[31:0\] {SELECTOR};.*?{SELECTOR} = 32'd0; end", "", text)
    text = text.replace(f" or {SELECTOR})", ")")
    out, pos = [], 0
    while True:
        guard, case = _GUARD.search(text, pos), text.find(_CASE, pos)
        if guard is None and case < 0:
            break
        if case >= 0 and (guard is None or case < guard.start()):
            out.append(text[pos:case])
            arm, pos = _resolve_case(text, case + len(_CASE), selected)
        else:
            out.append(text[pos:guard.start()])
            a = guard.end() + (text[guard.end()] == "|")
            a_end = _group_end(text, a)
            b = a_end + 3  # " : "
            b += text[b] == "|"
            b_end = _group_end(text, b)
            arm = text[a:a_end] if int(guard.group(1)) == selected else text[b:b_end]
            pos = b_end + 1
        out.append(_resolve(arm, selected))
    out.append(text[pos:])
    return "".join(out)


def _resolve_case(text: str, pos: int, selected: int) -> tuple[str, int]:
    """The statement a ``case`` guard at ``pos`` (its first arm) executes, and the index past it."""
    chosen = None
    while not text.startswith("default: begin ", pos):
        label = re.match(r"32'd(\d+): begin ", text[pos:])
        end = re.compile(r"\bend\b").search(text, pos + label.end())
        if int(label.group(1)) == selected:
            chosen = text[pos + label.end():end.start()]
        pos = end.end() + 1
    pos += len("default: begin ")
    end = text.index(" end endcase", pos)
    return (text[pos:end] if chosen is None else chosen), end + len(" end endcase")


def _preprocessed(text: str, tmp_path) -> str:
    """``verilator -E`` of one file (macros expanded by Verilator itself), whitespace and parentheses
    dropped."""
    path = tmp_path / "file.v"
    path.write_text(text)
    proc = subprocess.run(["verilator", "-E", "-P", str(path)], capture_output=True, text=True, check=True)
    return re.sub(r"[\s()]", "", proc.stdout)


def test_schema_text_selects_exactly_one_mutant(tmp_path):
    """Resolving the guards for run-time id k gives mutant k's own text after preprocessing (macros
    expanded by Verilator), and id 0 the original: for every file and a seeded sample of 40 mutants.
    Every operator has schematized mutants; the excluded ones name a reason."""
    mutants = rtl_mutants(RTL_DIR)
    plan = write_schema(RTL_DIR, mutants, tmp_path / "schema")
    assert len(plan.index) + len(plan.excluded) == len(mutants)
    assert len(set(plan.index.values())) == len(plan.index)
    assert {m.operator for m in mutants if m.id in plan.index} == set(OPERATORS)
    assert all(plan.excluded.values())
    original = {p.name: p.read_text() for p in RTL_DIR.glob("*.v")}
    schema = {p.name: p.read_text() for p in (tmp_path / "schema").glob("*.v")}
    for name, text in original.items():
        assert _preprocessed(_resolve(schema[name], 0), tmp_path) == _preprocessed(text, tmp_path), name
    schematized = sorted((m for m in mutants if m.id in plan.index), key=lambda m: m.id)
    sample = random.Random(3).sample(schematized, 40)
    for m in sample:
        resolved = _resolve(schema[m.file], plan.index[m.id])
        assert _preprocessed(resolved, tmp_path) == _preprocessed(m.apply(original[m.file]), tmp_path), m
    # the second schema: edits of constant positions inside procedural statements
    constant = [m for m in mutants if plan.excluded.get(m.id) == CONSTANT_POSITION]
    second = write_schema(RTL_DIR, constant, tmp_path / "second", constant_positions=True)
    assert constant and set(second.index) == {m.id for m in constant}
    for m in random.Random(4).sample(constant, 10):
        resolved = _resolve((tmp_path / "second" / m.file).read_text(), second.index[m.id])
        assert _preprocessed(resolved, tmp_path) == _preprocessed(m.apply(original[m.file]), tmp_path), m


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "set"
    create_vector_set(out, SMALL, count=200, seed=3, classes="uniform,ties,extremes,acc_overflow")
    return out


def _pick(mutants, per_operator: int, seed: int) -> set[str]:
    """Up to ``per_operator`` schematized mutants of every operator, and as many from the second schema
    (constant positions), seeded."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        plan = write_schema(RTL_DIR, mutants, tmp)
    rng = random.Random(seed)
    chosen = set()
    for op in OPERATORS:
        ids = sorted(m.id for m in mutants if m.operator == op and m.id in plan.index)
        chosen.update(rng.sample(ids, min(per_operator, len(ids))))
    constant = sorted(m.id for m in mutants if plan.excluded.get(m.id) == CONSTANT_POSITION)
    return chosen | set(rng.sample(constant, per_operator))  # and from the second schema


@pytest.mark.rtl
def test_schema_verdicts_equal_per_mutant_builds(small_set):
    """Killed (with the same classes) / survived / not reached: the same on the schema builds as on one
    build per mutant, for one mutant of every operator and one of the second schema (a sample of 70 of
    them gave the same verdicts too: docs/verification.md)."""
    vset = read_vector_set(small_set)
    ids = _pick([m for m in rtl_mutants(RTL_DIR) if m.file != "adder_pe_direct.v"], 1, seed=7)
    on_schema = grade(vset, jobs=2, only=ids)
    alone = grade(vset, jobs=2, only=ids, schema=False)
    assert on_schema["schema"]["mutants"] >= len(OPERATORS) and alone["schema"]["mutants"] == 0
    verdicts = {r["id"]: (r["status"], r["by_class"]) for r in alone["mutants"]}
    assert {r["id"]: (r["status"], r["by_class"]) for r in on_schema["mutants"]} == verdicts
    assert {v[0] for v in verdicts.values()} >= {"killed"}


@pytest.mark.rtl
def test_power_up_state_kills_a_reset_value_mutant(small_set):
    """s1_valid reset to 1 survives with zero-initialised flops (s1_last has no reset); with random
    power-up values (several seeds; the unmutated RTL passes them all, or grade raises) it is killed."""
    target = next(m for m in rtl_mutants(RTL_DIR, files=["winoadder_core.v"])
                  if m.original == "1'b0" and "s1_valid <= 1'b0" in
                  (RTL_DIR / m.file).read_text().splitlines()[m.line - 1])
    vset = read_vector_set(small_set)
    zero = grade(vset, jobs=1, only={target.id}, power_up=False)["mutants"][0]
    assert zero["status"] in ("survived", "equivalent"), zero
    random_power_up = grade(vset, jobs=1, only={target.id})["mutants"][0]
    assert random_power_up["status"] == "killed", random_power_up


@pytest.mark.rtl
def test_minimize_keeps_the_kill_set(small_set, tmp_path, capsys):
    directory = tmp_path / "set"
    shutil.copytree(small_set, directory)
    out = tmp_path / "min"
    assert main(["grade", str(directory), "--mutants", "6", "--seed", "2", "--jobs", "2",
                 "--minimize", str(out)]) == 0
    assert "minimized set" in capsys.readouterr().out

    full = json.loads((directory / "grade.json").read_text())
    killed = {r["id"] for r in full["mutants"] if r["status"] == "killed"}
    assert killed
    small = read_vector_set(out)
    assert small.transactions < read_vector_set(directory).transactions
    again = grade(small, jobs=2, only=killed)
    assert {r["id"] for r in again["mutants"] if r["status"] == "killed"} == killed


def test_suite_sample_interval():
    """The suite sample's score interval: exact (Clopper-Pearson); all k of n killed gives
    [(alpha/2)^(1/n), 1]."""
    from winoadder.hw.grade_suite import clopper_pearson

    low, high = clopper_pearson(60, 60)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 60), abs=1e-4)
    low, high = clopper_pearson(30, 60)
    assert low < 0.5 < high and low == pytest.approx(1 - high, abs=1e-4)


def test_suite_campaign_plumbing(tmp_path, monkeypatch, capsys):
    """grade --suite end to end with the pytest run of each mutant replaced (the real campaign is opt-in):
    schematized mutants get the schema and their run-time id, the others their own copy; the report has
    the counts and the sample's interval."""
    from winoadder.hw import grade_suite

    seen = []

    def fake(task):
        seen.append(task)
        if task["mutant"] is None:
            return {"status": "survived", "seconds": 1.0}
        return {"status": "killed", "by": ["test_rtl_smoke"], "seconds": 1.0}

    monkeypatch.setattr(grade_suite, "run_suite_mutant", fake)
    out = tmp_path / "suite.json"
    assert main(["grade", "--suite", "--mutants", "6", "--seed", "2", "--jobs", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["mutants_graded"] == 6 and report["counts"]["killed"] + report["counts"]["equivalent"] == 6
    assert report["score"] == 1.0 and report["score_95"][1] == 1.0
    originals = [t for t in seen if t["mutant"] is None]
    assert [t.get("schema_index") for t in originals] == [None, 0]  # the RTL, then the schema at id 0
    mutants = [t for t in seen if t["mutant"] is not None]
    assert len(mutants) == report["counts"]["killed"]
    assert report["on_schema"] == sum(t["schema_index"] is not None for t in mutants)
    assert "95 % interval" in capsys.readouterr().out


def test_suite_skips_only_unconditionally_argued_mutants(tmp_path, monkeypatch):
    """grade --suite (every mutant, the pytest run replaced): a mutant argued equivalent for every
    configuration (an EQUIVALENT entry without a condition) is reported equivalent with its argument and
    never run; every other one runs, in the seeded random order of the draw, and the score leaves the
    equivalent ones out."""
    from winoadder.hw import grade_suite
    from winoadder.hw.grade import EQUIVALENT

    ran = []

    def fake(task):
        if task["mutant"] is not None:
            ran.append(task["mutant"]["id"])
            return {"status": "killed" if len(ran) % 5 else "survived", "seconds": 0.0}
        return {"status": "survived", "seconds": 1.0}

    monkeypatch.setattr(grade_suite, "run_suite_mutant", fake)
    out = tmp_path / "suite.json"
    assert main(["grade", "--suite", "--jobs", "1", "--seed", "3", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = {r["id"]: r for r in report["mutants"]}
    everyone = rtl_mutants(RTL_DIR)
    unconditional, on_parameters, conditional = {}, set(), set()
    for m in everyone:
        key = equivalence_key((RTL_DIR / m.file).read_text(), m)
        if key in EQUIVALENT and EQUIVALENT[key][1] is None:
            unconditional[m.id] = EQUIVALENT[key][0]
        elif key in EQUIVALENT and getattr(EQUIVALENT[key][1], "parameters_only", False):
            on_parameters.add(m.id)  # t one bit narrower: it fits for every drawn configuration
        elif key in EQUIVALENT:
            conditional.add(m.id)  # conditions on the set's data (coverage): they run
    assert unconditional and on_parameters and conditional
    equivalent = {i: r["reason"] for i, r in rows.items() if r["status"] == "equivalent"}
    assert equivalent.keys() == unconditional.keys() | on_parameters
    assert all(equivalent[i] == argument for i, argument in unconditional.items())
    assert all(equivalent[i].endswith("(for every configuration the RTL tests draw)") for i in on_parameters)
    assert conditional <= set(ran) and not equivalent.keys() & set(ran)
    assert ran == [m.id for m in grade_suite.draw(everyone, 0, 3) if m.id not in equivalent]
    assert grade_suite.draw(everyone, 40, 3) == grade_suite.draw(everyone, 0, 3)[:40]  # a prefix
    counts = report["counts"]
    assert counts["equivalent"] == len(equivalent) and counts["killed"] + counts["survived"] == len(ran)
    assert report["score"] == pytest.approx(counts["killed"] / len(ran), abs=1e-6)


def test_suite_rescore_applies_arguments_written_after_the_run(tmp_path, monkeypatch):
    """--rescore: a survivor of a suite report that an argument written since covers becomes equivalent
    (marked argued after the run), the score is recomputed, nothing runs; a killed mutant an argument
    covers is listed as refuting it; a file that is no suite report is exit 2."""
    from winoadder.hw import grade_suite
    from winoadder.hw.grade import EQUIVALENT

    monkeypatch.setattr(grade_suite, "run_suite_mutant", lambda task: {"status": "survived", "seconds": 0.0})
    out, rescored = tmp_path / "suite.json", tmp_path / "rescored.json"
    sample = ["--mutants", "30", "--seed", "5", "--jobs", "1"]
    assert main(["grade", "--suite", *sample, "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    first, second = report["survivors"][:2]
    by_id = {m.id: m for m in rtl_mutants(RTL_DIR)}
    for row in (first, second):
        m = by_id[row["id"]]
        key = equivalence_key((RTL_DIR / m.file).read_text(), m)
        monkeypatch.setitem(EQUIVALENT, key, ("argued in this test", None))
    for row in report["mutants"]:
        if row["id"] == second["id"]:
            row.update(status="killed", by=["test_rtl_smoke"])
    out.write_text(json.dumps(report))
    monkeypatch.setattr(grade_suite, "run_suite_mutant", None)  # nothing may run
    assert main(["grade", "--suite", "--rescore", str(out), "--json", str(rescored)]) == 0
    again = json.loads(rescored.read_text())
    rows = {r["id"]: r for r in again["mutants"]}
    assert rows[first["id"]]["status"] == "equivalent" and rows[first["id"]]["argued_after_run"]
    assert [r["id"] for r in again["contradicted"]] == [second["id"]]
    counts = again["counts"]
    assert counts["equivalent"] == report["counts"]["equivalent"] + 1
    assert (counts["killed"], counts["survived"]) == (1, report["counts"]["survived"] - 2)
    assert main(["grade", "--suite", "--rescore", str(tmp_path / "none.json")]) == 2


def test_suite_resume_runs_only_the_rest_of_the_draw(tmp_path, monkeypatch):
    """--resume: a larger sample of the same draw keeps an earlier run's verdicts and runs only the mutants
    after them; a report of another draw is refused (exit 2)."""
    from winoadder.hw import grade_suite

    ran = []

    def fake(task):
        if task["mutant"] is not None:
            ran.append(task["mutant"]["id"])
        return {"status": "survived" if task["mutant"] is None else "killed", "seconds": 0.0}

    monkeypatch.setattr(grade_suite, "run_suite_mutant", fake)
    first, both = tmp_path / "first.json", tmp_path / "both.json"
    assert main(["grade", "--suite", "--mutants", "10", "--seed", "6", "--jobs", "1", "--json", str(first)]) \
        == 0
    earlier = set(ran)
    ran.clear()
    assert main(["grade", "--suite", "--mutants", "16", "--seed", "6", "--jobs", "1", "--resume", str(first),
                 "--json", str(both)]) == 0
    draw = [m.id for m in grade_suite.draw(rtl_mutants(RTL_DIR), 16, 6)]
    report = json.loads(both.read_text())
    argued = {r["id"] for r in report["mutants"] if r["status"] == "equivalent"}
    assert ran == [i for i in draw[10:] if i not in argued] and not earlier & set(ran)
    assert report["mutants_graded"] == 16 and report["resumed"]["mutants"] == 10
    assert main(["grade", "--suite", "--mutants", "16", "--seed", "7", "--jobs", "1", "--resume", str(first),
                 "--json", str(tmp_path / "other.json")]) == 2


def test_every_equivalent_argument_names_a_mutant_of_the_rtl():
    """EQUIVALENT is keyed on exact line text: an edit of the RTL must not leave an argument behind (it would
    silently stop applying)."""
    from winoadder.hw.grade import EQUIVALENT

    keys = set()
    for m in rtl_mutants(RTL_DIR):
        keys.add(equivalence_key((RTL_DIR / m.file).read_text(), m))
    assert not set(EQUIVALENT) - keys


def test_carry_arguments_hold_for_every_transform_of_the_pattern():
    """Every mutant argued with the carry argument (_OTS_CARRY) passes tools/ot_mutant_tables.py for all
    64 sign assignments of the shipped transforms' nonzero pattern: ZA and ZB kept, at most one LAST a
    row, on a nonzero term. The check is not vacuous: OTS_RANK's || mutant, which moves all of Z into
    Zb (killed by the suite), fails it."""
    import importlib.util
    from pathlib import Path

    from winoadder.hw.grade import _OTS_CARRY, EQUIVALENT

    path = Path(__file__).resolve().parents[1] / "tools" / "ot_mutant_tables.py"
    spec = importlib.util.spec_from_file_location("ot_mutant_tables", path)
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    text = (RTL_DIR / "output_transform.v").read_text()
    argued = []
    for m in rtl_mutants(RTL_DIR, files=["output_transform.v"]):
        if EQUIVALENT.get(equivalence_key(text, m), (None,))[0] == _OTS_CARRY:
            argued.append(m.id)
    assert len(argued) == 22
    verdicts = tables.check([*argued, "output_transform-94-a8f746"])
    assert verdicts.pop("output_transform-94-a8f746") is False
    assert all(verdicts.values()), [mid for mid, holds in verdicts.items() if not holds]


def test_suite_runs_the_icarus_tests_before_the_verilator_tests():
    """The suite's pytest order under winoadder.hw.suite_order: every test of the suite, the Verilator ones
    last (a mutant an Icarus test kills builds nothing with Verilator)."""
    from winoadder.hw.grade_suite import ORDER_PLUGIN, SUITE, checkout_root
    from winoadder.hw.suite_order import uses_verilator

    def collect(*plugin):
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *plugin,
                   *SUITE]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=checkout_root(), check=True)
        return [line for line in proc.stdout.splitlines() if "::" in line]

    ordered, plain = collect("-p", ORDER_PLUGIN), collect()
    assert sorted(ordered) == sorted(plain) and ordered != plain
    flags = [uses_verilator(t) for t in ordered]
    assert any(flags) and not all(flags) and flags == sorted(flags)
