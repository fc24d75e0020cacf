"""Prove a surviving mutant equivalent to the original module with yosys (equiv_make / equiv_simple /
equiv_induct), at the parameter values the set builds with.

Only leaf modules (the stages) are attempted: the flattened core's proof does not finish in minutes.
The module is elaborated twice (original, mutant) with its parameters set. The verdict
is ``equivalent`` only when ``equiv_status -assert`` passes; a failing, unfinished or timed-out proof is
``unknown`` (never equivalent).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_MODULE = re.compile(r"^\s*module\s+(\w+)", re.MULTILINE)
_PARAM = re.compile(r"\bparameter\s+(?:\[[^\]]*\]\s*)?(\w+)\s*=")


def module_of(text: str) -> str:
    match = _MODULE.search(text)
    if match is None:
        raise ValueError("no module declaration")
    return match.group(1)


def prove(rtl_dir, file: str, mutated_text: str, params: dict[str, int], timeout: float = 60
          ) -> tuple[str, str]:
    """(``equivalent`` | ``unknown``, detail) for the mutated text of ``rtl_dir/file``."""
    from winoadder.hw.hdl import format_param

    if shutil.which("yosys") is None:
        return "unknown", "yosys not found"
    rtl_dir = Path(rtl_dir).resolve()
    original = (rtl_dir / file).read_text()
    module = module_of(original)
    declared = set(_PARAM.findall(original))
    chparam = " ".join(f"-set {k} {format_param(v)}" for k, v in sorted(params.items()) if k in declared)
    others = [p for p in sorted(rtl_dir.glob("*.v")) if p.name != file]
    if any(re.search(rf"\b{module_of(p.read_text())}\b", original) for p in others):
        return "unknown", "not attempted: a module with sub-instances (the flattened proof does not finish)"
    with tempfile.TemporaryDirectory(prefix="winoadder-equiv-") as tmp:
        tmp = Path(tmp)
        (tmp / "gold.v").write_text(original)
        (tmp / "gate.v").write_text(mutated_text)
        libs = " ".join(f"read_verilog {p};" for p in others)

        def side(name):
            return (f"design -reset; {libs} read_verilog {tmp / (name + '.v')}; "
                    f"{'chparam ' + chparam + ' ' + module + '; ' if chparam else ''}"
                    f"hierarchy -top {module}; proc; flatten; memory; opt_clean; rename {module} {name}; "
                    f"design -stash {name}; ")

        script = (side("gold") + side("gate") + "design -reset; design -copy-from gold -as gold gold; "
                  "design -copy-from gate -as gate gate; equiv_make -blacklist /dev/null gold gate equiv; "
                  "hierarchy -top equiv; equiv_simple -seq 2; equiv_induct -seq 2; equiv_status -assert")
        try:
            proc = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True,
                                  timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return "unknown", f"proof did not finish in {timeout:.0f} s"
    if proc.returncode == 0:
        return "equivalent", (f"proved equal to the original {module} by yosys equiv_make/equiv_simple/"
                              f"equiv_induct with the set's parameters")
    last = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    return "unknown", (last[-1] if last else "proof failed")[:200]
