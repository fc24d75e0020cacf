"""Check the carry argument (grade._OTS_CARRY) for mutants of output_transform's STEERED macros.

The macros OTS_RANK, OTS_NNZ, OTS_LAST, OTS_ZA and OTS_ZB are constants of (row i, column a, AT). iverilog
elaborates them, for the original text and for a mutant's, over every AT whose row 0 is nonzero in
columns 0..2 and row 1 in columns 1..3 (the pattern of both shipped transforms, 64 sign assignments). The
argument holds when, for every such AT, the mutant keeps ZA and ZB (the same terms enter each word) and
marks at most one nonzero term of a row, and no zero term, as LAST (each carry counted once; at most one
pending): then each word's value is its total minus a carry in {0, 1}, which WZ holds.

Usage: PYTHONPATH=. python tools/ot_mutant_tables.py MUTANT_ID [MUTANT_ID ...]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from winoadder.hw.mutate import rtl_mutants
from winoadder.paths import RTL_DIR

CONSTANT_MACROS = ("OTS_AT", "OTS_RANK", "OTS_NNZ", "OTS_LAST", "OTS_ZA", "OTS_ZB")
PATTERN = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 3))  # the nonzero (row, column) entries of Aᵀ


def pattern_ats() -> list[int]:
    """Every packed AT (2 bits an entry: 01 = +1, 11 = -1) with the shipped transforms' nonzero pattern."""
    return [sum((3 if signs >> n & 1 else 1) << (2 * (4 * i + a)) for n, (i, a) in enumerate(PATTERN))
            for signs in range(1 << len(PATTERN))]


def _defines(text: str) -> str:
    """The `define lines (with continuations) of the constant macros in an output_transform text."""
    out, taking = [], False
    for line in text.splitlines():
        start = re.match(r"`define (\w+)", line)
        if start:
            taking = start.group(1) in CONSTANT_MACROS
        if taking:
            out.append(line)
            taking = line.rstrip().endswith("\\")
    return "\n".join(out)


def tables(text: str, ats: list[int]) -> dict[int, dict[tuple[int, int], tuple[int, int, int]]]:
    """{AT: {(i, a): (LAST, ZA, ZB)}} as iverilog elaborates the macros of ``text``."""
    rows = "\n".join(f"AT = 16'h{at:04x}; show;" for at in ats)
    source = f"""module tables;
reg [15:0] AT;
integer i, a;
{_defines(text)}
task show;
    for (i = 0; i < 2; i = i + 1)
        for (a = 0; a < 4; a = a + 1)
            $display("%0d %0d %0d %0d %0d %0d", AT, i, a, `OTS_LAST(i, a) + 0, `OTS_ZA(i, a) + 0,
                     `OTS_ZB(i, a) + 0);
endtask
initial begin
{rows}
end
endmodule
"""
    with tempfile.TemporaryDirectory(prefix="winoadder-ot-tables-") as tmp:
        (Path(tmp) / "tables.v").write_text(source)
        subprocess.run(["iverilog", "-o", f"{tmp}/tables", f"{tmp}/tables.v"], check=True,
                       capture_output=True, text=True)
        lines = subprocess.run(["vvp", "-n", f"{tmp}/tables"], check=True, capture_output=True,
                               text=True).stdout.split("\n")
    out: dict = {at: {} for at in ats}
    for line in lines:
        if line[:1].isdigit():
            at, i, a, last, za, zb = map(int, line.split())
            out[at][(i, a)] = (last != 0, za != 0, zb != 0)
    return out


def carry_argument_holds(original: dict, mutant: dict) -> bool:
    """For every AT: ZA and ZB as the original's, and at most one LAST a row, on a nonzero term."""
    for at, table in mutant.items():
        nonzero = {(i, a) for i in range(2) for a in range(4) if (at >> (2 * (4 * i + a))) & 3}
        if any(table[k][1:] != original[at][k][1:] for k in table):
            return False
        if any(table[k][0] for k in table if k not in nonzero):
            return False
        if any(sum(table[(i, a)][0] for a in range(4)) > 1 for i in range(2)):
            return False
    return True


def check(mutant_ids: list[str]) -> dict[str, bool]:
    """{mutant id: whether the carry argument holds for it over every pattern AT}."""
    mutants = {m.id: m for m in rtl_mutants(RTL_DIR, files=["output_transform.v"])}
    text = (RTL_DIR / "output_transform.v").read_text()
    ats = pattern_ats()
    original = tables(text, ats)
    return {mid: carry_argument_holds(original, tables(mutants[mid].apply(text), ats)) for mid in mutant_ids}


if __name__ == "__main__":
    verdicts = check(sys.argv[1:])
    for mid, holds in verdicts.items():
        print(f"{mid}: {'holds' if holds else 'FAILS'} for all {len(pattern_ats())} ATs of the pattern")
    sys.exit(0 if all(verdicts.values()) else 1)
