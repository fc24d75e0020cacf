"""pytest plugin of `winoadder grade --suite` (``-p winoadder.hw.suite_order``): the suite's Icarus tests
run before its Verilator tests.

A mutant with a copy of its own builds every drawn configuration afresh: Icarus in a fraction of a second,
Verilator in tens of seconds. The suite stops at its first failure (``-x``), so a mutant an Icarus test
kills never pays a Verilator build. The order changes no verdict: a mutant is killed when a test of the
suite fails, whatever the order (the tests share nothing but builds cached by content, and every
hypothesis test draws its examples from its own derandomized seed).
"""

from __future__ import annotations


def uses_verilator(nodeid: str) -> bool:
    """A test of the suite that builds with Verilator: its name or its parameters say so."""
    return "verilator" in nodeid.lower()


def pytest_collection_modifyitems(session, config, items) -> None:
    items.sort(key=lambda item: uses_verilator(item.nodeid))  # stable: each group keeps its order
