"""Where the project's non-Python assets live (the package is installed editable from the checkout)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# WINOADDER_RTL_DIR: another copy of the module files (grade --suite runs the tests on each mutant's copy).
RTL_DIR = Path(os.environ.get("WINOADDER_RTL_DIR") or ROOT / "rtl")
TB_DIR = ROOT / "rtl" / "tb"
MODELS_DIR = Path(__file__).resolve().parent / "ml" / "models"
CACHE_DIR = ROOT / ".cache"
