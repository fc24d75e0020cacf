"""Mutants of the RTL: small, single-point edits of the text of ``rtl/*.v`` (testbenches excluded).

Comments and strings are masked before scanning, so only code is mutated (including the bodies of
`` `define`` macros, which hold most of the datapath); parameter defaults (overridden at build time),
`` `undef``/`` `timescale`` lines and generate-loop headers are left alone. Operators (``Mutant.operator``):

- ``arith``: binary ``+`` <-> ``-``; unary minus dropped
- ``compare``: ``==`` <-> ``!=``, ``<`` -> ``<=``, ``<=`` -> ``<``, ``>`` -> ``>=``, ``>=`` -> ``>`` (inside
  parentheses, where ``<=`` is a comparison, not an assignment)
- ``logic``: ``&&`` <-> ``||``, ``&`` <-> ``|`` (binary and reduction), ``~``/``!`` dropped
- ``constant``: a sized literal with its lowest bit flipped; a decimal literal n -> n - 1 (0 -> 1:
  widths, indices, shifts and codes)
- ``sign``: ``$signed(x)`` -> ``(x)``; a sign-extension replication ``{n{x[i]}}`` -> ``{n{1'b0}}``
- ``condition``: an ``if`` condition or a ``?:`` select inverted (enables, resets, flags)
- ``polarity``: a control port connection (reset, enable, first/last, valid/ready) inverted
- ``stuck``: a handshake/enable signal's assignment stuck at 0 and at 1
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

OPERATORS = ("arith", "compare", "logic", "constant", "sign", "condition", "polarity", "stuck")
CONTROL = re.compile(r"^(rst|reset|en|clear|first|last|in_first|in_last|finish|take|take_last"
                     r"|drain_(free|busy)|\w+_en|\w+_clear|\w*valid\w*|\w*ready|load\w*|advance\w*)$")
_TOKEN = re.compile(
    r"(?P<sized>\d*'[sS]?[bBhHdDoO][0-9a-fA-F_xXzZ]+)|(?P<num>\d+)|(?P<sys>\$\w+)|(?P<macro>`\w+)"
    r"|(?P<id>[A-Za-z_]\w*)|(?P<op><<<|>>>|===|!==|==|!=|<=|>=|&&|\|\||<<|>>|\+:|-:|[-+*/%<>!~&|^?:=(){}\[\],;.#@])"
)
_PARAM_DEFAULT = re.compile(r"(\bparameter\s+(?:\[[^\]]*\]\s*)?\w+\s*=\s*)([^,;)\n]+)")
_SKIP_LINE = re.compile(r"^\s*(parameter\b|`undef|`timescale|`include|/\*\s*verilator)")
_OPERAND_END = {"id", "num", "sized", "macro"}


@dataclass(frozen=True)
class Mutant:
    """One edit: replace ``original`` at character ``offset`` of ``file`` by ``replacement``."""

    file: str  # basename in rtl/
    line: int
    col: int
    offset: int
    operator: str
    original: str
    replacement: str

    @property
    def id(self) -> str:
        text = f"{self.file}:{self.offset}:{self.original}->{self.replacement}"
        return f"{Path(self.file).stem}-{self.line}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"

    @property
    def description(self) -> str:
        return f"{self.operator}: '{_squash(self.original)}' -> '{_squash(self.replacement)}'"

    def apply(self, text: str) -> str:
        assert text[self.offset : self.offset + len(self.original)] == self.original, self
        return text[: self.offset] + self.replacement + text[self.offset + len(self.original) :]

    def to_dict(self) -> dict:
        return {"id": self.id, "file": self.file, "line": self.line, "operator": self.operator,
                "original": self.original, "replacement": self.replacement}


def _squash(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= 60 else s[:57] + "..."


def mask(text: str) -> str:
    """The text with comments, strings and skipped lines blanked (same length, newlines kept)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text[i] == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j + 1
        else:
            i += 1
            continue
        for k in range(i, j):
            if out[k] != "\n":
                out[k] = " "
        i = j
    lines = "".join(out).split("\n")
    masked = "\n".join(" " * len(ln) if _SKIP_LINE.match(ln) else ln for ln in lines)
    return _PARAM_DEFAULT.sub(lambda m: m.group(1) + " " * len(m.group(2)), masked)


def _tokens(masked: str):
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(masked)]


def _generate_loop_spans(tokens) -> list[tuple[int, int]]:
    """Character spans of ``for ( ... )`` headers (genvar loops: mutating them breaks elaboration)."""
    spans = []
    for i, (kind, text, pos) in enumerate(tokens):
        if kind == "id" and text == "for" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            j = _match_forward(tokens, i + 1)
            spans.append((pos, tokens[j][2]))
    return spans


def _match_forward(tokens, i):
    pairs = {"(": ")", "[": "]", "{": "}"}
    opening, closing, depth = tokens[i][1], pairs[tokens[i][1]], 0
    for j in range(i, len(tokens)):
        if tokens[j][1] == opening:
            depth += 1
        elif tokens[j][1] == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _match_backward(tokens, j):
    pairs = {")": "(", "]": "["}
    closing, opening, depth = tokens[j][1], pairs[tokens[j][1]], 0
    for i in range(j, -1, -1):
        if tokens[i][1] == closing:
            depth += 1
        elif tokens[i][1] == opening:
            depth -= 1
            if depth == 0:
                return i
    return 0


def _operand_start(tokens, j):
    """Index of the first token of the operand that ends at token j (identifier, select, parenthesis)."""
    i = j
    while tokens[i][1] in (")", "]"):
        i = _match_backward(tokens, i)
        if tokens[i][1] == "[" and i > 0:
            i -= 1
        elif tokens[i][1] == "(" and i > 0 and tokens[i - 1][0] in ("sys", "macro"):
            i -= 1
        else:
            break
    return i


def _is_binary(tokens, i) -> bool:
    prev = tokens[i - 1] if i > 0 else None
    return prev is not None and (prev[0] in _OPERAND_END or prev[1] in (")", "]", "}"))


def file_mutants(name: str, text: str) -> list[Mutant]:
    """Every mutant of one file's text, deduplicated by the mutated text."""
    masked = mask(text)
    tokens = _tokens(masked)
    loops = _generate_loop_spans(tokens)
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    found: list[tuple[int, str, str, str]] = []  # offset, operator, original, replacement

    def add(start, end, operator, replacement):
        if not any(a <= start < b for a, b in loops):
            found.append((start, operator, text[start:end], replacement))

    depth = 0
    for i, (kind, tok, pos) in enumerate(tokens):
        end = pos + len(tok)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        if kind == "op":
            binary = _is_binary(tokens, i)
            if tok in ("+", "-") and binary:
                add(pos, end, "arith", "-" if tok == "+" else "+")
            elif tok == "-" and not binary:
                add(pos, end, "arith", "")
            elif tok in ("==", "!="):
                add(pos, end, "compare", "!=" if tok == "==" else "==")
            elif tok in ("<", ">", "<=", ">=") and depth > 0 and binary:
                add(pos, end, "compare", {"<": "<=", ">": ">=", "<=": "<", ">=": ">"}[tok])
            elif tok in ("&&", "||"):
                add(pos, end, "logic", "||" if tok == "&&" else "&&")
            elif tok in ("&", "|") and i + 1 < len(tokens) and tokens[i + 1][1] not in ("&", "|"):
                add(pos, end, "logic", "|" if tok == "&" else "&")
            elif tok in ("~", "!") and not binary:
                add(pos, end, "logic", "")
            elif tok == "?" and i > 0:
                start_tok = _operand_start(tokens, i - 1)
                a, b = tokens[start_tok][2], tokens[i - 1][2] + len(tokens[i - 1][1])
                add(a, b, "condition", f"!({text[a:b]})")
        elif kind == "sized":
            add(pos, end, "constant", _flip_lsb(tok))
        elif kind == "num":
            value = int(tok)
            add(pos, end, "constant", str(value - 1 if value > 0 else 1))
        elif kind == "sys" and tok == "$signed" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            add(pos, end, "sign", "")
        elif kind == "id" and tok == "if" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            j = _match_forward(tokens, i + 1)
            a, b = tokens[i + 2][2], tokens[j][2]
            add(a, b, "condition", f"!({text[a:b]})")
    _sign_extensions(text, masked, add)
    _port_polarity(text, tokens, add)
    _stuck(text, masked, add)
    seen, mutants = set(), []
    for offset, operator, original, replacement in sorted(found):
        mutated = text[:offset] + replacement + text[offset + len(original):]
        if mutated == text or mutated in seen:
            continue
        seen.add(mutated)
        line = next(k for k in range(len(line_starts) - 1, -1, -1) if line_starts[k] <= offset)
        mutants.append(Mutant(name, line + 1, offset - line_starts[line] + 1, offset, operator, original,
                              replacement))
    return mutants


def _flip_lsb(literal: str) -> str:
    size, rest = literal.split("'")
    signed = rest[0] in "sS"
    base = rest[1 if signed else 0].lower()
    digits = rest[2 if signed else 1:].replace("_", "")
    radix = {"b": 2, "h": 16, "d": 10, "o": 8}[base]
    if any(c in "xXzZ" for c in digits):
        return literal
    value = int(digits, radix) ^ 1
    text = {2: format(value, "b"), 16: format(value, "x"), 10: str(value), 8: format(value, "o")}[radix]
    if size and radix == 2:
        text = text.zfill(len(digits))
    return f"{size}'{'s' if signed else ''}{base}{text}"


_REPLICATION = re.compile(r"\{\s*(\([^{}]*\)|\w+)\s*\{\s*(\w+\s*\[[^\]\[]*\](?:\s*\[[^\]\[]*\])?)\s*\}\s*\}")


def _sign_extensions(text, masked, add):
    """``{n{x[i]}}`` (replicating one bit: a sign extension) -> ``{n{1'b0}}``."""
    for m in _REPLICATION.finditer(masked):
        add(m.start(2), m.end(2), "sign", "1'b0")


_ASSIGN = re.compile(r"(?:\bassign\s+|\bwire\s+)?\b(\w+)\s*(<=|=)(?!=)\s*([^;]+);")


def _stuck(text, masked, add):
    """The right-hand side of an assignment to a handshake/enable/valid signal stuck at 1'b0 and 1'b1."""
    for m in _ASSIGN.finditer(masked):
        name, rhs = m.group(1), m.group(3)
        if CONTROL.match(name) and rhs.strip() not in ("1'b0", "1'b1"):
            a = m.start(3)
            b = a + len(rhs.rstrip())
            add(a, b, "stuck", "1'b0")
            add(a, b, "stuck", "1'b1")


def _port_polarity(text, tokens, add):
    """``.port(signal)`` for a control port -> ``.port(~signal)``."""
    for i in range(len(tokens) - 3):
        if tokens[i][1] == "." and tokens[i + 1][0] == "id" and tokens[i + 2][1] == "(":
            if not CONTROL.match(tokens[i + 1][1]):
                continue
            j = _match_forward(tokens, i + 2)
            a, b = tokens[i + 3][2], tokens[j][2]
            if b > a:
                add(a, b, "polarity", f"~({text[a:b]})")


def rtl_mutants(rtl_dir, files=None, operators=OPERATORS) -> list[Mutant]:
    """All mutants of the module files ``rtl_dir/*.v`` (or the named basenames), testbenches excluded."""
    rtl_dir = Path(rtl_dir)
    paths = sorted(rtl_dir.glob("*.v")) if files is None else [rtl_dir / f for f in files]
    out = []
    for path in paths:
        out += [m for m in file_mutants(path.name, path.read_text()) if m.operator in operators]
    return out


def write_mutant(rtl_dir, mutant: Mutant | None, out_dir) -> Path:
    """Copy ``rtl_dir/*.v`` into ``out_dir`` with ``mutant`` applied (None: the original)."""
    rtl_dir, out_dir = Path(rtl_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(rtl_dir.glob("*.v")):
        text = path.read_text()
        if mutant is not None and path.name == mutant.file:
            text = mutant.apply(text)
        (out_dir / path.name).write_text(text)
    return out_dir
