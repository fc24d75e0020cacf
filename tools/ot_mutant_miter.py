"""Prove mutants of output_transform (STEERED = 1) equal to the original for one channel of the core.

The miter feeds both copies as winoadder_core feeds them: any tile d and weights U (free inputs),
Va = align(input_transform(d)), each word the steered form of D = U - Va (neg_abs_diff's formula), and
compares, for every output, Z = Za' + ca + Zb' + cb (the words' values sign-extended) modulo 2^WY: all
the exact output-domain accumulator adds. yosys synthesizes it to an AIG, ABC's ``iprove`` proves the
miter output constant 0 (UNSAT: equal) or finds a counterexample (SAT: different).

Usage: PYTHONPATH=. python tools/ot_mutant_miter.py SET_DIR MUTANT_ID [MUTANT_ID ...]
(the parameters are the set's ``rtl_parameters``; the grade.EQUIVALENT arguments quote its verdicts).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from winoadder.hw.mutate import rtl_mutants
from winoadder.paths import RTL_DIR


def miter_text(p: dict) -> str:
    """The miter module (output ``bad``) at the core parameters ``p``."""
    ws, wz, wyc, at = p["WD"], p["WZ"], p["WY"], p["AT"]
    wa, wu, wv, wva, w = p["WA"], p["WU"], p["WV"], p["WVA"], p["WZ"] + 1
    we = max(ws, wu, wva)
    lines = [f"module miter(input [{16 * wa - 1}:0] din, input [{16 * wu - 1}:0] u, output bad);",
             f"wire [{16 * wv - 1}:0] v; wire [{16 * wva - 1}:0] va; wire [{4 * ws - 1}:0] s0, s1, s2, s3;",
             f"input_transform #(.WA({wa}), .A_SIGNED({p['A_SIGNED']}), .WV({wv}), .BT(32'h{p['BT']:08x})) "
             "it (.d(din), .v(v));",
             f"align #(.WV({wv}), .K({p['K']}), .WVA({wva})) al (.v(v), .va(va));"]
    for c in range(16):
        a, b = divmod(c, 4)
        lines += [f"wire signed [{we - 1}:0] d{c} = $signed(u[{wu * c + wu - 1}:{wu * c}]) "
                  f"- $signed(va[{wva * c + wva - 1}:{wva * c}]);",
                  f"assign s{a}[{ws * b + ws - 1}:{ws * b}] = "
                  f"{{~d{c}[{ws - 1}], d{c}[{ws - 2}:0] ^ {{{ws - 1}{{~d{c}[{ws - 1}]}}}}}};"]
    ports = ".clk(1'b0), .en(1'b0), .s0(s0), .s1(s1), .s2(s2), .s3(s3)"
    params = f"#(.WS({ws}), .WY({w}), .AT(16'h{at:04x}), .STEERED(1))"
    lines += [f"wire [{8 * w - 1}:0] yg, ym;",
              f"output_transform_gold {params} g ({ports}, .y(yg));",
              f"output_transform {params} m ({ports}, .y(ym));"]

    def z(y: str, e: int) -> str:
        def word(lo: int) -> str:
            value = f"{{{{{wyc - wz}{{{y}[{lo + wz}]}}}}, {y}[{lo + wz}:{lo + 1}]}}"
            return f"{value} + {{{wyc - 1}'d0, {y}[{lo}]}}"
        return f"{word(2 * e * w)} + {word((2 * e + 1) * w)}"

    for e in range(4):
        lines += [f"wire [{wyc - 1}:0] zg{e} = {z('yg', e)};", f"wire [{wyc - 1}:0] zm{e} = {z('ym', e)};"]
    lines += ["assign bad = (zg0 != zm0) | (zg1 != zm1) | (zg2 != zm2) | (zg3 != zm3);", "endmodule"]
    return "\n".join(lines) + "\n"


def prove(mutant, params: dict, timeout: float = 600) -> tuple[str, float]:
    """(``equal`` | ``different`` | ``unknown``, seconds) for one mutant of output_transform.v."""
    original = (RTL_DIR / "output_transform.v").read_text()
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="ot-miter-") as tmp:
        tmp = Path(tmp)
        gold = original.replace("module output_transform", "module output_transform_gold")
        (tmp / "gold.v").write_text(gold)
        (tmp / "gate.v").write_text(mutant.apply(original))
        (tmp / "miter.v").write_text(miter_text(params))
        reads = " ".join(f"read_verilog {f};" for f in (tmp / "gold.v", tmp / "gate.v", tmp / "miter.v",
                                                         RTL_DIR / "input_transform.v", RTL_DIR / "align.v"))
        script = (f"{reads} hierarchy -top miter; proc; flatten; synth -top miter; aigmap; "
                  f"write_aiger {tmp}/m.aig")
        try:
            subprocess.run(["yosys", "-q", "-p", script], check=True, capture_output=True, timeout=timeout)
            abc = ["yosys-abc", "-c", f"read {tmp}/m.aig; strash; iprove"]
            out = subprocess.run(abc, capture_output=True, text=True, timeout=timeout).stdout
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
            return "unknown", time.time() - start
    verdict = "equal" if "UNSATISFIABLE" in out else "different" if "SATISFIABLE" in out else "unknown"
    return verdict, time.time() - start


def main(argv: list[str]) -> int:
    params = json.loads((Path(argv[0]) / "manifest.json").read_text())["rtl_parameters"]
    mutants = {m.id: m for m in rtl_mutants(RTL_DIR, ["output_transform.v"])}
    for ident in argv[1:]:
        verdict, seconds = prove(mutants[ident], params)
        print(f"{ident} {mutants[ident].description}: {verdict} ({seconds:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
