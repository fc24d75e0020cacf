"""`winoadder grade DIR --minimize OUT`: the smallest subset of a set's accumulations that kills the same
mutants, greedy over vector classes, then over accumulations, checked by re-grading.

Classes are taken greedily by how many still-unkilled mutants each kills alone; then, inside the chosen
classes, accumulations greedily by how many still-unkilled mutants give a wrong output on them in the
full-set run. The subset (accumulations in their original order) is written as a new set and the killed
mutants are graded on it; a mutant it no longer kills (its failure needed state from an accumulation
left out) brings back the accumulations it failed on, and if that is not enough every accumulation up to
its first failing one: the subset then starts with the full set's stream up to that output, which the
testbench replays cycle for cycle (the same input gaps and output stalls, drawn per cycle from its seed),
so the mutant fails there again. A kill that depends on the flow-control pattern (a mutant of the
registered handshake) needs that prefix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def greedy_cover(universe: set, sets: dict) -> list:
    """Keys of ``sets`` (key -> set of elements) chosen greedily until ``universe`` is covered."""
    left, chosen = set(universe), []
    while left:
        best = max(sets, key=lambda k: (len(sets[k] & left), -_order(k)), default=None)
        if best is None or not sets[best] & left:
            break
        chosen.append(best)
        left -= sets[best]
    return chosen


def _order(key) -> int:
    return key if isinstance(key, int) else 0


def subset_transactions(vset, outputs: list[int]):
    """The Transactions of the accumulations that end in the given outputs, in stream order."""
    from vectors.generator import Transactions

    arrays = vset.arrays()
    out_index = arrays["out_index"].astype(np.int64)
    first = arrays["first"].astype(bool)
    starts = np.flatnonzero(first)
    keep = np.zeros(len(first), dtype=bool)
    for k in sorted(set(outputs)):
        end = int(out_index[k])
        start = int(starts[np.searchsorted(starts, end, side="right") - 1])
        keep[start : end + 1] = True
    names = [c["name"] for c in vset.manifest["classes"]]
    class_index = arrays["class_index"].astype(np.int64)[keep]
    used = sorted(set(class_index.tolist()))
    remap = {c: i for i, c in enumerate(used)}
    return Transactions(arrays["d"].astype(np.int64)[keep], arrays["u"].astype(np.int64)[keep], first[keep],
                        arrays["last"].astype(bool)[keep],
                        np.array([remap[c] for c in class_index], dtype=np.int64),
                        tuple(names[c] for c in used))


def minimize(vset, report: dict, out_dir, *, sim: str = "verilator", jobs: int = 2, rounds: int = 4) -> dict:
    """Write the minimized set into ``out_dir``; return its size and the kill count it keeps."""
    import tempfile

    from vectors.manifest import read_vector_set, write_transactions
    from winoadder.hw.grade import grade
    from winoadder.hw.verify import testbench_depth

    lanes = vset.beats // max(vset.outputs, 1)
    killed = {r["id"]: {**r, "_wrong": sorted({int(b) // lanes for b in r["_wrong"]})}
              for r in report["mutants"] if r["status"] == "killed"}
    class_sets = {}
    for r in killed.values():
        for c in r["by_class"]:
            class_sets.setdefault(c, set()).add(r["id"])
    classes = set(greedy_cover({i for i, r in killed.items() if r["by_class"]}, class_sets))
    arrays = vset.arrays()
    names = [c["name"] for c in vset.manifest["classes"]]
    out_class = arrays["class_index"][arrays["out_index"]]
    in_chosen = {k for k in range(vset.outputs) if names[int(out_class[k])] in classes}
    acc_sets: dict[int, set] = {}
    for r in killed.values():
        wrong = [k for k in r["_wrong"] if k in in_chosen] or r["_wrong"][:1]
        for k in wrong:
            acc_sets.setdefault(int(k), set()).add(r["id"])
    outputs = set(greedy_cover(set(killed), acc_sets))
    ids = set(killed)
    depth = testbench_depth(vset)  # the full set's: the subset reuses its builds
    full = report["mutants_graded"] == report["mutants_total"]  # then the full grading's schema too
    given: set = set()  # mutants whose failing outputs were brought back
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="winoadder-minimize-") as tmp:
            candidate = Path(tmp) / "set"
            write_transactions(candidate, vset.cfg, subset_transactions(vset, sorted(outputs)),
                               seed=vset.manifest.get("seed", 0), count=vset.manifest.get("count", 0))
            again = grade(read_vector_set(candidate), sim=sim, jobs=jobs, only=ids, depth=depth,
                          schema_of_all=full)
        missed = [r["id"] for r in again["mutants"] if r["status"] != "killed"]
        if not missed:
            break
        for i in missed:
            wrong = killed[i]["_wrong"]
            if i in given:  # its failing outputs were not enough: the whole stream up to its first one
                outputs.update(range(wrong[0] + 1))
            else:
                outputs.update(int(k) for k in wrong[:2])
                given.add(i)
    else:
        raise RuntimeError(f"minimize: {len(missed)} mutants still not killed after {rounds} rounds")
    tx = subset_transactions(vset, sorted(outputs))
    write_transactions(out_dir, vset.cfg, tx, seed=vset.manifest.get("seed", 0),
                       count=vset.manifest.get("count", 0))
    return {"transactions": len(tx), "outputs": len(outputs), "killed": len(ids), "classes": list(tx.classes)}
