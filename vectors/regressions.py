"""Regression vector sets under vectors/regression/: save a (shrunk) failing example, list the saved sets,
migrate a set written before the output-beat layout (schema winoadder-vectors/1).

CI replays every saved set on both simulators (tests/test_rtl_equivalence.py). A set is an ordinary
vector set (manifest + hex + npz), so `winoadder verify vectors/regression/NAME` replays one by hand.
The sets ship as package data of ``vectors`` and are found with importlib.resources, so a checkout and
an installed wheel read the same files.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.safeio import write_file
from vectors.layout import Field, unpack_hex
from vectors.manifest import MANIFEST, write_transactions

SCHEMA_V1 = "winoadder-vectors/1"

REGRESSION_DIR = Path(str(files("vectors") / "regression"))

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def regression_sets(root: Path = REGRESSION_DIR) -> list[Path]:
    """Every saved set (a directory holding a manifest), sorted by name."""
    return sorted(p.parent for p in Path(root).glob(f"*/{MANIFEST}"))


def save_regression(name: str, cfg, tx, *, seed: int = 0, root: Path = REGRESSION_DIR) -> Path:
    """Write ``tx`` (a generator.Transactions) as the regression set ``root/name`` (replacing it)."""
    if not _NAME.match(name):
        raise ValueError(f"name: {name!r} must be letters, digits, '_', '-' or '.' (a directory name)")
    out = Path(root) / name
    write_transactions(out, cfg, tx, seed=seed, count=len(tx), force=True)
    return out


def migrate_v1(directory) -> Path:
    """Rewrite a schema-1 core set (one output word of all P lanes per accumulation) in place as a
    current set (one beat per lane), keeping its transactions, classes, seed and count.

    The inputs are read back from the old hex files (their layout is unchanged) after checking every
    file's recorded sha256; the new expected beats are recomputed by the model and must equal the old
    expected outputs lane by lane, else UsageError and nothing is written.
    """
    from simulator import DatapathConfig
    from simulator.datapath import run_stream
    from vectors.generator import Transactions

    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    if manifest.get("schema") != SCHEMA_V1:
        found = manifest.get("schema")
        raise UsageError(f"manifest: {directory} is not a {SCHEMA_V1} set (schema {found!r})")
    files = manifest["files"]
    data = {}
    for name in ("in_tile", "in_u", "in_flags", "expected_out"):
        path = directory / files[name]["path"]
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != files[name]["sha256"]:
            raise UsageError(f"vectors: sha256 of {path} does not match the manifest")
        spec = files[name]
        data[name] = unpack_hex(raw, Field(name, tuple(spec["shape"]), spec["element_bits"], spec["signed"]))
    cfg = DatapathConfig.from_dict(manifest["config"])
    names = tuple(c["name"] for c in manifest["classes"])
    class_index = np.zeros(manifest["transactions"], dtype=np.int64)
    for index, entry in enumerate(manifest["classes"]):
        start = entry["first_transaction"]
        class_index[start:start + entry["transactions"]] = index
    flags = data["in_flags"].astype(bool)
    tx = Transactions(data["in_tile"], data["in_u"], flags[:, 0], flags[:, 1], class_index, names)
    new_out = run_stream(cfg, tx.d, tx.u, tx.first, tx.last).out[tx.last]
    if not np.array_equal(new_out, data["expected_out"]):
        raise UsageError(f"vectors: {directory}: the model no longer gives the set's expected outputs")
    write_transactions(directory, cfg, tx, seed=manifest["seed"], count=manifest["count"], force=True)
    return directory


def add_rtl_parameters(directory) -> Path:
    """Record in a set's manifest the RTL parameters its top gained since it was written (e.g. Y_ACC, WZ
    of winoadder_core), derived from its config; the transactions, expected outputs and files stay.

    Every parameter the manifest records must equal the one its config derives now (else UsageError and
    nothing is written): only new names are added.
    """
    from simulator import DatapathConfig
    from vectors.manifest import top_parameters

    directory = Path(directory)
    path = directory / MANIFEST
    manifest = json.loads(path.read_text())
    derived = top_parameters(DatapathConfig.from_dict(manifest["config"]), manifest["top"])
    recorded = manifest["rtl_parameters"]
    for name, value in recorded.items():
        if derived.get(name) != value:
            raise UsageError(f"manifest: {directory}: rtl_parameters.{name} = {value} but its config gives "
                             f"{derived.get(name)}")
    manifest["rtl_parameters"] = derived
    write_file(path, json.dumps(manifest, indent=2) + "\n", option="manifest")
    return directory


def shipped_sets() -> dict[str, tuple[object, str]]:
    """The directed sets shipped in vectors/regression/: name -> (config, classes)."""
    from fixedpoint import Fmt, Overflow, Rounding
    from simulator import PRESETS, DatapathConfig

    default = DatapathConfig.default()
    narrow_wrap = default.replace(
        transform=PRESETS["lavin"], act_fmt=Fmt(6, 2, False), u_extra_frac=1, max_channels=16, lanes=2,
        acc_overflow=Overflow.WRAP, acc_width=12, out_fmt=Fmt(6, 2, True), rounding=Rounding.RND_CONV,
        overflow=Overflow.SAT_SYM)
    return {
        "default_corners": (default, "extremes,alternating,ties,zero"),
        "narrow_wrap": (narrow_wrap, "directed"),
    }


def write_shipped(root: Path = REGRESSION_DIR) -> list[Path]:
    """(Re)write the shipped sets; deterministic, so an unchanged contract gives unchanged files."""
    from vectors.manifest import create_vector_set

    written = []
    for name, (cfg, classes) in shipped_sets().items():
        create_vector_set(Path(root) / name, cfg, count=0, seed=0, classes=classes, force=True)
        written.append(Path(root) / name)
    return written


if __name__ == "__main__":
    for path in write_shipped():
        print(path)
