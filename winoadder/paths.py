"""Where winoadder's assets and caches live.

Assets ship inside the packages and are found with ``importlib.resources``, so a checkout (editable
install or PYTHONPATH) and an installed wheel read the same files: the Verilog (``winoadder/rtl``, in the
checkout a symlink to the repository's ``rtl/``), the shipped models (``winoadder/ml/models``) and the
saved regression sets (``vectors/regression``, located by ``vectors.regressions`` itself).

Caches (compiled simulations, synthesis reports) go to :func:`cache_dir`: the ``--cache-dir`` option,
else the ``WINOADDER_CACHE_DIR`` environment variable, else the user's cache directory
(``$XDG_CACHE_HOME/winoadder``, ``~/.cache/winoadder`` on Linux) — never site-packages or the cwd.
Every cache entry is content-addressed and renamed into place, so concurrent runs share it safely.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

CACHE_ENV = "WINOADDER_CACHE_DIR"


def package_dir(package: str, *parts: str) -> Path:
    """The directory ``parts`` inside ``package`` as a real file-system path (simulators need files)."""
    root = files(package)
    if not isinstance(root, Path):
        raise RuntimeError(f"{package} is not installed as files on disk ({root!r}); reinstall it with pip")
    return root.joinpath(*parts).resolve()


# WINOADDER_RTL_DIR: another copy of the module files (grade --suite runs the tests on each mutant's copy);
# the testbenches always come from the package.
TB_DIR = package_dir("winoadder", "rtl", "tb")
RTL_DIR = Path(os.environ["WINOADDER_RTL_DIR"]) if os.environ.get("WINOADDER_RTL_DIR") else TB_DIR.parent
MODELS_DIR = package_dir("winoadder.ml", "models")


def task_cache(option_value) -> Path:
    """The Dask task-result cache: ``--cache`` if given, else ``cache_dir()/tasks``; checked before any
    work (a directory, or creatable in a writable one), so a bad path fails at once naming its option."""
    from fixedpoint.safeio import check_out_dir

    if option_value is not None:
        return check_out_dir(option_value, "--cache")
    return check_out_dir(cache_dir() / "tasks", f"--cache-dir (or ${CACHE_ENV})")


def cache_dir() -> Path:
    """The cache root, read at each use: ``$WINOADDER_CACHE_DIR`` (``--cache-dir`` sets it), else the
    platform's user cache directory (platformdirs ignores a relative XDG_CACHE_HOME, as the spec says)."""
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("winoadder", appauthor=False))
