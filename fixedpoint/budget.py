"""The one memory budget: every large allocation is estimated and checked here first (docs/failures.md).

The limit is ``WINOADDER_MAX_MEMORY`` (bytes, or with a K/M/G/T suffix; the CLI option
``winoadder --max-memory SIZE`` sets it), else half of the machine's physical memory, at most 8 GiB.
A request above it is a ``UsageError`` naming the option that asked for it, the estimate and the limit.
"""

from __future__ import annotations

import os
import re

from .errors import UsageError

ENV = "WINOADDER_MAX_MEMORY"
DEFAULT_CAP = 8 << 30
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str, option: str = ENV) -> int:
    """``4G``, ``512M``, ``1.5G`` or plain bytes as a positive int; UsageError otherwise."""
    m = _SIZE.match(str(text).strip())
    value = int(float(m.group(1)) * _UNITS[m.group(2).upper()]) if m else 0
    if value <= 0:
        raise UsageError(f"{option}: expected a positive size like 4G, 512M or 1000000 (bytes), got {text!r}")
    return value


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2 * DEFAULT_CAP


def limit() -> int:
    """The budget in bytes."""
    text = os.environ.get(ENV)
    if text:
        return parse_size(text)
    return min(DEFAULT_CAP, _physical_memory() // 2)


def human(n: float) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"


def check(nbytes: float, *, option: str, what: str) -> None:
    """UsageError unless ``nbytes`` (an estimate of the peak working memory) fits the budget."""
    budget = limit()
    if nbytes > budget:
        raise UsageError(
            f"{option}: {what} needs about {human(nbytes)}, above the memory budget of {human(budget)}; "
            f"lower {option} or raise the budget with --max-memory SIZE (or {ENV})"
        )
