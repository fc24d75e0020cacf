"""Regression vector sets under vectors/regression/: save a (shrunk) failing example, list the saved sets.

CI replays every saved set on both simulators (tests/test_rtl_equivalence.py). A set is an ordinary
vector set (manifest + hex + npz), so `winoadder verify vectors/regression/NAME` replays one by hand.
The sets ship as package data of ``vectors`` and are found with importlib.resources, so a checkout and
an installed wheel read the same files.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from vectors.manifest import MANIFEST, write_transactions

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
