"""Where the project's non-Python assets live (the package is installed editable from the checkout)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RTL_DIR = ROOT / "rtl"
TB_DIR = RTL_DIR / "tb"
MODELS_DIR = Path(__file__).resolve().parent / "ml" / "models"
CACHE_DIR = ROOT / ".cache"
