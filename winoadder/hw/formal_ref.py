"""Combinational Verilog references of the datapath stages, generated from a DatapathConfig.

Each reference is derived from docs/datapath.md, not from rtl/: the transforms are the contract's
matrix products with the matrices' integer coefficients (``DatapathConfig.transform``; the RTL decodes
packed sign-code parameters), every value is an exact integer in a width wide enough that nothing can
overflow, and requantize follows the rounding and overflow definitions (``docs/fixedpoint.md``) on the
exact quotient. A reference has one signed input wire per element (``<port>_<k>``) and one signed
output wire per element (``want_<k>``), all ``width`` bits: the miter (``winoadder.hw.prove``) sign- or
zero-extends the RTL's words to that width and compares integers, so a proof also shows that the RTL's
value fits its port.
"""

from __future__ import annotations

import numpy as np

from fixedpoint.modes import Overflow, Rounding


def linear_sum(coefficients, names: list[str]) -> str:
    """A Verilog sum Σ c·x over integer coefficients (0 terms dropped; an empty sum is 0)."""
    terms = []
    for c, name in zip(coefficients, names, strict=True):
        c = int(c)
        if c == 0:
            continue
        sign = "-" if c < 0 else "+"
        terms.append(f"{sign} {name}" if abs(c) == 1 else f"{sign} {abs(c)} * {name}")
    if not terms:
        return "0"
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else f"0 {text}"


def transform_body(matrix, inputs: list[str], width: int) -> list[str]:
    """Y = M X Mᵀ as the two matrix products, in the order written: T = M·X, then Y = T·Mᵀ.

    ``inputs`` names X row-major (n×n); the outputs ``want_<m·i + j>`` are Y[i][j] (M is m×n). Each
    product is an exact integer sum with the matrix's own coefficients.
    """
    M = np.asarray(matrix, dtype=np.int64)
    m, n = M.shape
    lines = []
    for i in range(m):
        for b in range(n):
            column = [inputs[n * a + b] for a in range(n)]
            lines.append(f"wire signed [{width - 1}:0] t_{i}_{b} = {linear_sum(M[i], column)};")
    for i in range(m):
        for j in range(m):
            row = [f"t_{i}_{b}" for b in range(n)]
            lines.append(f"assign want_{m * i + j} = {linear_sum(M[j], row)};")
    return lines


def requantize_body(shift: int, rounding: Rounding, overflow: Overflow, out_signed: bool, out_width: int,
                    width: int) -> list[str]:
    """Statements computing ``want_0`` = cast(y_0) by the contract's definitions, exact in ``width`` bits.

    The quotient q = y / 2^SHIFT lies in [fl, fl + 1) with fl = floor(q); ``rem`` = y − fl·2^SHIFT says
    how far: 2·rem against 2^SHIFT tells below, at or above half. The rounded integer is then placed
    into the output range [lo, hi] by the overflow rule.
    """
    one = lit(1 << shift, width)
    lo = -(1 << (out_width - 1)) if out_signed else 0
    hi = (1 << (out_width - 1)) - 1 if out_signed else (1 << out_width) - 1
    slo = -hi if (overflow is Overflow.SAT_SYM and out_signed) else lo  # SAT_SYM: −min becomes −max
    lo_, hi_, slo_ = lit(lo, width), lit(hi, width), lit(slo, width)
    lines = [
        f"wire signed [{width - 1}:0] fl = y_0 >>> {shift};",
        f"wire signed [{width - 1}:0] rem = y_0 - fl * {one};",
        f"wire signed [{width - 1}:0] twice = rem * {lit(2, width)};",
        f"wire exact = rem == {lit(0, width)};",
        f"wire above = twice > {one};",
        f"wire half = twice == {one};",
        f"wire neg = y_0 < {lit(0, width)};",
        "wire odd = fl[0];",
    ]
    nearest = {  # the tie goes up when
        Rounding.RND: "half",
        Rounding.RND_ZERO: "half & neg",
        Rounding.RND_MIN_INF: "1'b0",
        Rounding.RND_INF: "half & !neg",
        Rounding.RND_CONV: "half & odd",
        Rounding.RND_CONV_ODD: "half & !odd",
    }
    directed = {  # an inexact quotient goes up when
        Rounding.TRN: "1'b0",
        Rounding.TRN_ZERO: "neg & !exact",
        Rounding.TRN_INF: "!exact",
        Rounding.TRN_AWAY: "!neg & !exact",
    }
    up = directed[rounding] if rounding in directed else f"above | ({nearest[rounding]})"
    lines.append(f"wire up = {up};")
    lines.append(f"wire signed [{width - 1}:0] r = up ? fl + {lit(1, width)} : fl;")
    if overflow is Overflow.WRAP:  # r ≡ result mod 2^WO, result in [lo, lo + 2^WO)
        modulus = lit(1 << out_width, width)
        lines.append(f"wire signed [{width - 1}:0] wm = (r - {lo_}) % {modulus};")  # % truncates toward 0
        lines.append(f"assign want_0 = (wm < {lit(0, width)} ? wm + {modulus} : wm) + {lo_};")
    elif overflow is Overflow.SAT_ZERO:
        lines.append(f"assign want_0 = (r < {lo_} || r > {hi_}) ? {lit(0, width)} : r;")
    else:  # SAT, SAT_SYM: clamp
        lines.append(f"assign want_0 = r < {slo_} ? {slo_} : r > {hi_} ? {hi_} : r;")
    return lines


def lit(value: int, width: int) -> str:
    """A sized signed Verilog literal (constants may exceed 32 bits)."""
    return f"-{width}'sd{-value}" if value < 0 else f"{width}'sd{value}"


def reference_module(name: str, inputs: dict[str, int], outputs: int, width: int, body: list[str]) -> str:
    """A module ``name`` with ``width``-bit signed element inputs and outputs ``want_<k>``."""
    ports = [f"input signed [{width - 1}:0] {port}_{k}" for port, n in inputs.items() for k in range(n)]
    ports += [f"output signed [{width - 1}:0] want_{k}" for k in range(outputs)]
    lines = [f"module {name} ("]
    lines += [f"    {p}," for p in ports[:-1]] + [f"    {ports[-1]}", ");"]
    lines += [f"    {statement}" for statement in body]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def assign_all(expressions: list[str]) -> list[str]:
    return [f"assign want_{k} = {expr};" for k, expr in enumerate(expressions)]
