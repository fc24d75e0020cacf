"""Mutant schemata: one copy of ``rtl/*.v`` that holds many mutants, each selected at run time.

Every module declares ``reg [31:0] wa_mutant_id``, read from the plusarg ``+wa_mutant=k`` (absent: 0,
the original), and added to its explicit combinational sensitivity lists. A schematized mutant k is
guarded so that its edit takes effect exactly when ``wa_mutant_id == k``:

- **procedural code** (``always`` bodies, and macros used only there): the body is rewritten with the
  file's macros expanded (each character keeps its origin, so every expansion of a mutated macro body
  is found), and every simple statement holding a copy of the edit becomes
  ``case (wa_mutant_id) k: begin <statement with the edit> end ... default: begin <statement> end
  endcase``; an ``if`` condition holding one becomes ``((wa_mutant_id == k) ? |(C') : |(C))`` (a truth
  test of a self-determined expression). Both are exact whatever the edit does to widths or
  signedness, and every arm keeps constant indices, so the simulator folds them as it folds the
  original.
- **continuous code** (``assign`` and net-declaration right-hand sides, port connections): the
  smallest expression ``G`` holding the edit becomes ``((wa_mutant_id == k) ? (G') : (G))``. Both arms of
  ``?:`` take the context of the whole, so this is exact only when ``G'`` keeps the width and
  signedness of ``G``: operator swaps (``arith``, ``compare``, ``logic``), a dropped unary minus or
  ``~``, a flipped literal, a sign-extension bit replaced by ``1'b0``, a control input's connection
  inverted, an unsigned control assignment stuck at a 1-bit constant; an inverted condition is a
  truth guard as above. A removed ``$signed`` or a dropped ``!`` keeps a build of its own there.

Constant positions (declarations and their widths, parameters and localparams, generate conditions
and generate-block indices, ``[a:b]`` ranges, ``+:`` / ``-:`` widths, replication counts, macro
arguments a body uses in one) are never schematized: they are not run-time values, and an edit there
can break elaboration. ``excluded`` names the reason for every mutant left out; those keep a build
of their own. ``winoadder.hw.grade`` runs a schematized mutant as the schema build with
``+wa_mutant=k``; ``tests/test_grade_schema.py`` checks the resolved text of guards against Verilator's
preprocessing of the mutant, and the verdicts against per-mutant builds for a sample of every operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from winoadder.hw.mutate import CONTROL, Mutant, _match_forward, _tokens, mask

SELECTOR = "wa_mutant_id"
PLUSARG = "wa_mutant"
_SELECTOR_DECL = (f' reg [31:0] {SELECTOR}; initial begin if (!$value$plusargs("{PLUSARG}=%d", {SELECTOR})) '
                  f"{SELECTOR} = 32'd0; end")
CONSTANT_POSITION = "a constant position in procedural code"
_KEYWORDS = {"if", "case", "casez", "casex", "while", "repeat", "wait"}
_SIGNED_DECL = re.compile(r"\b(?:reg|wire|input|output|integer)\b[^;]*?\bsigned\b([^;]*)")
_PORT = re.compile(r"\b(input|output|inout)\s+(?:reg\s+|wire\s+)?(?:signed\s+)?(?:\[[^\]]*\]\s*)?(\w+)")
_MODULE = re.compile(r"\bmodule\s+(\w+)")


@dataclass(frozen=True)
class Guard:
    start: int  # the span G of the original text
    end: int
    index: int  # the run-time id (>= 1)
    mutated: str  # G with the mutation applied (plain text: no other guard inside)
    truth: bool  # a truth-test position: the original arm is |(G)


class _File:
    """Token structure of one masked file: groups, regions and macros."""

    def __init__(self, text: str, ports: dict[str, dict[str, str]]):
        self.text = text
        self.masked = mask(text)
        self.tokens = _tokens(self.masked)
        self.ports = ports
        self.parent = self._groups()
        self.close = {}
        for i, (_, tok, _) in enumerate(self.tokens):
            if tok in "([{" and len(tok) == 1:
                self.close[i] = _match_forward(self.tokens, i)
        self.macros = self._macros()
        self.regions = self._regions()
        self._runtime_macro: dict[str, bool] = {}

    # -- structure ------------------------------------------------------------------------------------

    def _groups(self) -> list[int | None]:
        """For each token, the index of the innermost open ``(``/``[``/``{`` enclosing it (or None)."""
        parent, stack = [], []
        for _kind, tok, _pos in self.tokens:
            if tok in (")", "]", "}") and stack:
                stack.pop()
            parent.append(stack[-1] if stack else None)
            if tok in ("(", "[", "{"):
                stack.append(len(parent) - 1)
        return parent

    def _macros(self) -> dict[str, tuple[int, int, list[str]]]:
        """name -> (first body token, end token (exclusive), parameter names)."""
        out = {}
        toks = self.tokens
        for i, (kind, tok, pos) in enumerate(toks):
            if kind == "macro" and tok == "`define" and i + 1 < len(toks):
                name, name_pos = toks[i + 1][1], toks[i + 1][2]
                end_char = self._line_end(pos)
                j, params = i + 2, []
                if j < len(toks) and toks[j][1] == "(" and toks[j][2] == name_pos + len(name):
                    k = _match_forward(toks, j)
                    params = [t[1] for t in toks[j + 1 : k] if t[0] == "id"]
                    j = k + 1
                end = j
                while end < len(toks) and toks[end][2] < end_char:
                    end += 1
                out[name] = (j, end, params)
        return out

    def _line_end(self, pos: int) -> int:
        """End of a macro definition starting at ``pos`` (lines continued with a backslash)."""
        text = self.masked
        while True:
            nl = text.find("\n", pos)
            if nl < 0:
                return len(text)
            if text[:nl].rstrip(" \t").endswith("\\"):
                pos = nl + 1
                continue
            return nl

    def _regions(self) -> list[tuple[int, int, str]]:
        """Token ranges [a, b) of run-time code: always bodies, assign / net-declaration right-hand sides."""
        toks, out = self.tokens, []
        in_macro = set()
        for a, b, _ in self.macros.values():
            in_macro.update(range(a, b))
        i = 0
        while i < len(toks):
            tok = toks[i][1]
            if i in in_macro:
                i += 1
                continue
            if tok in ("always", "initial"):
                j = i + 1
                if j < len(toks) and toks[j][1] == "@":
                    j += 1
                    j = self.close[j] + 1 if toks[j][1] == "(" else j + 1
                if j < len(toks) and toks[j][1] == "begin":
                    end = self._match_end(j)
                else:
                    end = self._next(j, ";")
                out.append((j, end + 1, "always"))
                i = end + 1
                continue
            if tok in ("assign", "wire"):
                semi = self._next(i, ";")
                eq = next((k for k in range(i, semi) if toks[k][1] == "=" and self.parent[k] is None), None)
                if eq is not None:
                    out.append((eq + 1, semi, "rhs"))
                i = semi + 1
                continue
            i += 1
        return out

    def _match_end(self, j: int) -> int:
        depth = 0
        for k in range(j, len(self.tokens)):
            if self.tokens[k][1] == "begin":
                depth += 1
            elif self.tokens[k][1] == "end":
                depth -= 1
                if depth == 0:
                    return k
        return len(self.tokens) - 1

    def _next(self, i: int, tok: str) -> int:
        for k in range(i, len(self.tokens)):
            if self.tokens[k][1] == tok and self._depth0(k, i):
                return k
        return len(self.tokens) - 1

    def _depth0(self, k: int, i: int) -> bool:
        """Token k is not inside a group opened after token i."""
        p = self.parent[k]
        return p is None or p < i

    def token_at(self, pos: int) -> int:
        lo, hi = 0, len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.tokens[mid][2] <= pos:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    # -- contexts -------------------------------------------------------------------------------------

    def enclosing(self, k: int) -> list[int]:
        """Open-group token indices enclosing token k, innermost first."""
        out, p = [], self.parent[k]
        while p is not None:
            out.append(p)
            p = self.parent[p]
        return out

    def constant_position(self, k: int, stop: int = -1) -> bool:
        """Token k is in a constant position of its groups opened after token ``stop``: a [a:b] range, a
        +:/-: width, a replication count, or a macro argument its macro uses in such a position."""
        toks = self.tokens
        for g in self.enclosing(k):
            if g <= stop:
                break
            close = self.close[g]
            inside = [m for m in range(g + 1, close) if self.parent[m] == g]
            kind = toks[g][1]
            if kind == "[":
                if close + 1 < len(toks) and toks[close + 1][1] == ".":
                    return True  # a generate-block index of a hierarchical name
                if any(toks[m][1] == ":" for m in inside):
                    return True
                width = next((m for m in inside if toks[m][1] in ("+:", "-:")), None)
                if width is not None and k > width:
                    return True
            elif kind == "{":
                inner = next((m for m in inside if toks[m][1] == "{"), None)
                if inner is not None and not any(toks[m][1] == "," for m in inside) and k < inner:
                    return True
            elif kind == "(" and g > 0 and toks[g - 1][0] == "macro":
                name = toks[g - 1][1][1:]
                arg = sum(1 for m in inside if toks[m][1] == "," and m < k)
                if name not in self.macros or self._argument_constant(name, arg):
                    return True
        return False

    def _argument_constant(self, name: str, arg: int) -> bool:
        a, b, params = self.macros[name]
        if arg >= len(params):
            return True
        return any(self.tokens[m][1] == params[arg] and self.constant_position(m, stop=a - 1)
                   for m in range(a, b))

    def runtime(self, k: int) -> bool:
        """Token k is in run-time code and not in a constant position."""
        if self.constant_position(k):
            return False
        for name, (a, b, _) in self.macros.items():
            if a <= k < b:
                return self.macro_runtime(name)
        return any(a <= k < b for a, b, _ in self.regions)

    def macro_runtime(self, name: str) -> bool:
        if name not in self._runtime_macro:
            self._runtime_macro[name] = False  # a recursive use is not run-time
            uses = [k for k, t in enumerate(self.tokens) if t[0] == "macro" and t[1] == "`" + name]
            self._runtime_macro[name] = bool(uses) and all(self.runtime(k) for k in uses)
        return self._runtime_macro[name]

    def region_of(self, k: int) -> tuple[int, int, str] | None:
        for a, b, _ in self.macros.values():
            if a <= k < b:
                return (a, b, "macro")
        return next((r for r in self.regions if r[0] <= k < r[1]), None)

    # -- the span G of a mutant ------------------------------------------------------------------------

    def span(self, m: Mutant) -> tuple[int, int, bool] | str:
        """(start, end, truth) of the guarded expression of ``m``, or the reason it is not schematized."""
        toks, text = self.tokens, self.text
        k = self.token_at(m.offset)
        end_m = m.offset + len(m.original)
        if m.operator == "polarity":
            return self._polarity(m, k)
        if not self.runtime(k):
            return "not in run-time code (a declaration, parameter, generate condition or constant position)"
        if m.operator == "sign" and m.original == "$signed":
            return "$signed removed: changes the signedness of the enclosing expression"
        if m.operator == "logic" and m.original == "!":
            return "'!' dropped: changes the width of the operand's expression"
        if m.operator in ("constant",) or (m.operator == "sign"):
            return (m.offset, end_m, False)
        if m.operator == "stuck":
            rhs = text[m.offset:end_m]
            if "$signed" in rhs or set(re.findall(r"\b\w+\b", rhs)) & self.signed_names():
                return "stuck right-hand side may be signed"
            return (m.offset, end_m, False)
        if m.operator == "condition":
            return (m.offset, end_m, True)
        if m.original in ("-", "~") and m.replacement == "":
            j = self._operand_end(k + 1)
            return (m.offset, toks[j][2] + len(toks[j][1]), False)
        return self._binary(k)

    def signed_names(self) -> set[str]:
        names = set()
        for stmt in _SIGNED_DECL.finditer(self.masked):
            names.update(re.findall(r"\b[A-Za-z_]\w*\b", re.sub(r"\[[^\]]*\]", " ", stmt.group(1))))
        return names

    def _operand_end(self, j: int) -> int:
        """Last token of the primary starting at token j, with its selects."""
        toks = self.tokens
        if toks[j][1] in ("(", "{"):
            j = self.close[j]
        elif toks[j][0] in ("sys", "macro") and j + 1 < len(toks) and toks[j + 1][1] == "(":
            j = self.close[j + 1]
        while j + 1 < len(toks) and toks[j + 1][1] == "[":
            j = self.close[j + 1]
        return j

    def _binary(self, k: int) -> tuple[int, int, bool] | str:
        toks = self.tokens
        g = self.parent[k]
        region = self.region_of(k)
        if g is not None and (region is None or g >= region[0]):
            kind, close = toks[g][1], self.close[g]
            before = toks[g - 1] if g > 0 else ("op", ";", 0)
            if kind == "(":
                if before[0] == "macro" or before[1] in ("@", "#", "."):
                    return "operator directly in a macro argument or port list"
                if before[0] == "id" and before[1] not in _KEYWORDS:
                    return "operator in a call or instance argument list"
                return (toks[g][2], toks[close][2] + 1, False)
            inside = [m for m in range(g + 1, close) if self.parent[m] == g]
            if kind == "[":
                width = next((m for m in inside if toks[m][1] in ("+:", "-:")), close)
                return self._tokens_span(g + 1, width)
            commas = [m for m in inside if toks[m][1] == ","]
            a = max([c for c in commas if c < k], default=g) + 1
            b = min([c for c in commas if c > k], default=close)
            return self._tokens_span(a, b)
        if region is None:
            return "not in run-time code"
        a, b, kind = region
        if kind == "rhs":
            return self._tokens_span(a, b)
        # a statement inside an always block or a macro body: the right-hand side of its assignment
        for j in range(k - 1, a - 1, -1):
            if self.parent[j] != self.parent[k]:
                continue
            tok = toks[j][1]
            if tok in ("=", "<="):
                same = self.parent[k]
                semi = next((s for s in range(k, b) if toks[s][1] == ";" and self.parent[s] == same), b)
                return self._tokens_span(j + 1, semi)
            if tok in (";", "begin", "end", "else", ")"):
                break
        return "no enclosing expression found"

    def _tokens_span(self, a: int, b: int) -> tuple[int, int, bool]:
        """Character span of tokens [a, b)."""
        return (self.tokens[a][2], self.tokens[b - 1][2] + len(self.tokens[b - 1][1]), False)

    def _polarity(self, m: Mutant, k: int) -> tuple[int, int, bool] | str:
        toks = self.tokens
        g = self.parent[k]
        if g is None or g < 2 or toks[g - 2][1] != ".":
            return "polarity not on a port connection"
        port = toks[g - 1][1]
        module = self._instance_module(self.parent[g])
        if not CONTROL.match(port) or self.ports.get(module, {}).get(port) != "input":
            return f"port {port} of {module} is not a known input"
        return (m.offset, m.offset + len(m.original), False)

    def _instance_module(self, g: int | None) -> str | None:
        toks = self.tokens
        if g is None or g < 2:
            return None
        j = g - 2  # g - 1: the instance name
        if toks[j][1] == ")":
            j = next(i for i in range(j, -1, -1) if self.close.get(i) == j) - 2  # before '#('
        return toks[j][1] if j >= 0 and toks[j][0] == "id" else None


def port_directions(rtl_dir) -> dict[str, dict[str, str]]:
    """module -> {port: input|output|inout} of ``rtl_dir/*.v``."""
    out = {}
    for path in sorted(Path(rtl_dir).glob("*.v")):
        masked = mask(path.read_text())
        for match in _MODULE.finditer(masked):
            header_end = masked.find(";", masked.find(")", match.end()))
            header = masked[match.end(): header_end]
            out[match.group(1)] = {name: d for d, name in _PORT.findall(header)}
    return out


def file_guards(text: str, mutants: list[Mutant], first_index: int, ports, constant_positions: bool = False
                ) -> tuple[list[Guard], dict[tuple[int, int], str], dict[str, int], dict[str, str]]:
    """The guards of one file's mutants (run-time ids from ``first_index``): (expression guards, rendered
    always bodies by original span, mutant id -> run-time id, excluded mutant id -> reason)."""
    f = _File(text, ports)
    proc = _Procedural(f)
    guards, owner, excluded, placed = [], {}, {}, {}
    index = first_index
    for m in mutants:
        k = f.token_at(m.offset)
        if m.operator != "polarity" and proc.in_procedural_code(k):
            reason = None if f.runtime(k) or constant_positions else CONSTANT_POSITION
            reason = reason or proc.add(m, index)
            if reason:
                excluded[m.id] = reason
            else:
                placed[m.id] = index
                index += 1
            continue
        if any(a <= k < b for a, b, _ in f.macros.values()):
            excluded[m.id] = "in a macro used outside procedural code"
            continue
        span = f.span(m)
        if isinstance(span, str):
            excluded[m.id] = span
            continue
        start, end, truth = span
        if not (start <= m.offset and m.offset + len(m.original) <= end):
            excluded[m.id] = "mutation outside its guarded expression"
            continue
        rel = m.offset - start
        g = text[start:end]
        guard = Guard(start, end, index, g[:rel] + m.replacement + g[rel + len(m.original):], truth)
        index += 1
        guards.append(guard)
        owner[guard.index] = m.id
    kept, crossing = _nest(guards)
    for g in crossing:
        excluded[owner[g.index]] = "its guarded expression crosses another mutant's"
    placed.update({owner[g.index]: g.index for g in kept})
    return kept, proc.replacements(), placed, excluded


def _definition_end(text: str, pos: int) -> int:
    """End of the macro definition starting at ``pos`` (lines continued with a backslash)."""
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        if not text[:nl].rstrip(" \t").endswith("\\"):
            return nl
        pos = nl + 1


def _nest(guards: list[Guard]) -> tuple[list[Guard], list[Guard]]:
    """Guards whose spans nest or coincide; those crossing an earlier one are returned apart."""
    kept, crossing = [], []
    for g in sorted(guards, key=lambda g: (g.start, -g.end, g.index)):
        if any(k.start < g.start < k.end < g.end for k in kept):
            crossing.append(g)
        else:
            kept.append(g)
    return kept, crossing


def render(text: str, guards: list[Guard], replacements: dict[tuple[int, int], str] | None = None) -> str:
    """``text`` with every guard applied (nested spans rendered inside out) and the spans of
    ``replacements`` (disjoint from the guards) replaced."""
    replacements = replacements or {}
    spans = sorted({(g.start, g.end) for g in guards} | set(replacements), key=lambda s: (s[0], -s[1]))
    by_span: dict[tuple[int, int], list[Guard]] = {}
    for g in guards:
        by_span.setdefault((g.start, g.end), []).append(g)

    def build(a: int, b: int, children: list[tuple[int, int]]) -> str:
        out, pos, i = [], a, 0
        while i < len(children):
            s = children[i]
            inner = [c for c in children[i + 1:] if c[0] >= s[0] and c[1] <= s[1]]
            out.append(text[pos:s[0]])
            out.append(replacements[s] if s in replacements else wrap(s, build(s[0], s[1], inner)))
            pos = s[1]
            i += 1 + len(inner)
        out.append(text[pos:b])
        return "".join(out)

    def wrap(span, inner: str) -> str:
        for g in sorted(by_span[span], key=lambda g: g.index):
            sel = f"({SELECTOR} == 32'd{g.index})"
            if g.truth:
                inner = f"({sel} ? ({g.mutated}) : |({inner}))"
            else:
                inner = f"({sel} ? ({g.mutated}) : ({inner}))"
        return inner

    return build(0, len(text), spans)


_SENSITIVITY = re.compile(r"\balways\s*@\s*\(([^()*]*?)\)")


def declare_selector(text: str) -> str:
    """Insert the selector register after every module header of ``text`` and add it to every explicit
    combinational sensitivity list (an event-driven simulator then re-evaluates the block once the
    plusarg is read at time 0, whatever the order of the initial blocks)."""
    masked = mask(text)
    for match in reversed(list(_SENSITIVITY.finditer(masked))):
        if not re.search(r"\b(posedge|negedge)\b", match.group(1)):
            text = text[:match.end(1)] + f" or {SELECTOR}" + text[match.end(1):]
    masked = mask(text)
    inserts = []
    for match in _MODULE.finditer(masked):
        depth, i = 0, match.end()
        while i < len(masked):
            c = masked[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == ";" and depth == 0:
                break
            i += 1
        inserts.append(i + 1)
    for i in reversed(inserts):
        text = text[:i] + _SELECTOR_DECL + text[i:]
    return text


@dataclass
class Schema:
    """The schema sources written to ``directory``: mutant id -> run-time index, and the excluded ones."""

    directory: Path
    index: dict[str, int]
    excluded: dict[str, str]


def write_schema(rtl_dir, mutants: list[Mutant], out_dir, constant_positions: bool = False) -> Schema:
    """Copy ``rtl_dir/*.v`` into ``out_dir`` with every schematizable mutant of ``mutants`` guarded.
    ``constant_positions``: also the edits of constant positions inside procedural statements (exact in
    a statement guard, but one that breaks elaboration breaks the whole build: grade builds them as a
    second schema)."""
    rtl_dir, out_dir = Path(rtl_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ports = port_directions(rtl_dir)
    index, excluded = {}, {}
    for path in sorted(rtl_dir.glob("*.v")):
        text = path.read_text()
        guards, bodies, ids, skipped = file_guards(text, [m for m in mutants if m.file == path.name],
                                                   max(index.values(), default=0) + 1, ports,
                                                   constant_positions)
        index.update(ids)
        excluded.update(skipped)
        if ids:
            text = declare_selector(render(text, guards, bodies))
        (out_dir / path.name).write_text(text)
    return Schema(out_dir, index, excluded)


# ------------------------------------------------------------------------------- procedural statements


@dataclass
class _Tracked:
    """Text with, per character, its offset in the original file (-1: inserted)."""

    text: str
    origin: list[int]

    def slice(self, a: int, b: int) -> _Tracked:
        return _Tracked(self.text[a:b], self.origin[a:b])

    def __add__(self, other: _Tracked) -> _Tracked:
        return _Tracked(self.text + other.text, self.origin + other.origin)


def _source(text: str, a: int, b: int) -> _Tracked:
    return _Tracked(text[a:b], list(range(a, b)))


def _definitions(text: str) -> dict[str, tuple[list[str], _Tracked]]:
    """The file's macros: name -> (parameters, body), the body's line continuations blanked."""
    out = {}
    for m in re.finditer(r"^[ \t]*`define\s+(\w+)(\(([^)]*)\))?", text, re.MULTILINE):
        params = [p.strip() for p in m.group(3).split(",")] if m.group(2) else []
        end = _definition_end(text, m.start())
        body = _source(text, m.end(), end)
        body = _Tracked("".join(" " if c == "\\" else c for c in body.text), body.origin)
        out[m.group(1)] = (params, body)
    return out


def _expand(tr: _Tracked, defs, depth: int = 0) -> _Tracked:
    """``tr`` with every use of the file's macros expanded (arguments substituted), origins kept."""
    if depth > 20:
        raise ValueError("macro expansion too deep")
    out, pos = _Tracked("", []), 0
    for m in re.finditer(r"`(\w+)", tr.text):
        if m.start() < pos or m.group(1) not in defs:
            continue
        params, body = defs[m.group(1)]
        end, args = m.end(), []
        if params:
            j = m.end()
            while j < len(tr.text) and tr.text[j].isspace():
                j += 1
            end, args = _arguments(tr, j)
        out = out + tr.slice(pos, m.start()) + _expand(_substitute(body, params, args), defs, depth + 1)
        pos = end
    return out + tr.slice(pos, len(tr.text))


def _arguments(tr: _Tracked, j: int) -> tuple[int, list[_Tracked]]:
    """The arguments of a macro use whose ``(`` is at ``j``: (index past ``)``, stripped arguments)."""
    depth, start, args = 0, j + 1, []
    for i in range(j, len(tr.text)):
        c = tr.text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(_strip(tr.slice(start, i)))
                return i + 1, args
        elif c == "," and depth == 1:
            args.append(_strip(tr.slice(start, i)))
            start = i + 1
    raise ValueError("unbalanced macro arguments")


def _strip(tr: _Tracked) -> _Tracked:
    a, b = 0, len(tr.text)
    while a < b and tr.text[a].isspace():
        a += 1
    while b > a and tr.text[b - 1].isspace():
        b -= 1
    return tr.slice(a, b)


def _substitute(body: _Tracked, params: list[str], args: list[_Tracked]) -> _Tracked:
    values = dict(zip(params, args, strict=False))
    out, pos = _Tracked("", []), 0
    for kind, tok, p in _tokens(body.text):
        if kind == "id" and tok in values:
            out = out + body.slice(pos, p) + values[tok]
            pos = p + len(tok)
    return out + body.slice(pos, len(body.text))


def _statements(masked: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """Character spans of the simple statements (assignments, to their ``;``) and of the ``if``
    conditions (inside the parentheses) of a procedural body; None when it holds a ``case``."""
    toks = _tokens(masked)
    stmts, conds, i, start = [], [], 0, True
    while i < len(toks):
        kind, tok, _ = toks[i]
        if tok in ("case", "casez", "casex", "fork"):
            return None
        if tok in ("if", "for", "while") and i + 1 < len(toks) and toks[i + 1][1] == "(":
            j = _match_forward(toks, i + 1)
            if tok == "if":
                conds.append((toks[i + 2][2], toks[j][2]))
            i, start = j + 1, True
            continue
        if tok in ("begin", "end", "else", ";"):
            i, start = i + 1, True
            continue
        if start and kind == "id":
            depth, j = 0, i
            while j < len(toks) and not (toks[j][1] == ";" and depth == 0):
                depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(toks[j][1], 0)
                j += 1
            if j == len(toks):
                return None
            stmts.append((toks[i][2], toks[j][2] + 1))
            i, start = j + 1, True
            continue
        i, start = i + 1, False
    return stmts, conds


class _Procedural:
    """The ``always`` bodies of a file, macros expanded, for statement-level guards: a mutant in
    procedural code (or in a macro used only there) becomes an arm of a ``case`` on the selector around
    every simple statement holding a copy of it (exact whatever the edit does to widths), or a truth
    guard around an ``if`` condition holding one."""

    def __init__(self, f: _File):
        self.f = f
        defs = _definitions(f.text)
        self.bodies = []  # (region start char, region end char, expanded, statements, conditions)
        self.positions = []  # per body: original offset -> its positions in the expanded text
        for a, b, kind in f.regions:
            if kind != "always":
                continue
            start, end = f.tokens[a][2], f.tokens[b - 1][2] + len(f.tokens[b - 1][1])
            expanded = _expand(_source(f.text, start, end), defs)
            found = _statements(mask(expanded.text))
            self.bodies.append((start, end, expanded, *(found or (None, None))))
            where: dict[int, list[int]] = {}
            for i, o in enumerate(expanded.origin):
                where.setdefault(o, []).append(i)
            self.positions.append(where)
        self.guards: dict[int, dict[tuple[int, int], list]] = {}  # body -> span -> arms

    def in_procedural_code(self, k: int) -> bool:
        """Token k is in an always body or in a macro used (transitively) only in always bodies."""
        f = self.f
        for name, (a, b, _) in f.macros.items():
            if a <= k < b:
                return self._macro_procedural(name, set())
        return any(a <= k < b and kind == "always" for a, b, kind in f.regions)

    def _macro_procedural(self, name: str, seen: set) -> bool:
        if name in seen:
            return False
        seen = seen | {name}
        uses = [k for k, t in enumerate(self.f.tokens) if t[0] == "macro" and t[1] == "`" + name]
        for k in uses:
            inside = next((n for n, (a, b, _) in self.f.macros.items() if a <= k < b), None)
            if inside is not None and not self._macro_procedural(inside, seen):
                return False
            if inside is None and not any(a <= k < b and kind == "always" for a, b, kind in self.f.regions):
                return False
        return bool(uses)

    def add(self, m: Mutant, index: int) -> str | None:
        """Place mutant ``m`` as run-time id ``index``; None, or the reason it cannot be."""
        width = len(m.original)
        placed = []
        for body_index, (_, _, expanded, stmts, conds) in enumerate(self.bodies):
            copies = [i for i in self.positions[body_index].get(m.offset, [])
                      if expanded.origin[i + width - 1: i + width] == [m.offset + width - 1]
                      and expanded.text[i:i + width] == m.original]
            if copies and stmts is None:
                return "procedural code with a case statement"
            for i in copies:
                span = next(((a, b, False) for a, b in stmts if a <= i and i + width <= b), None)
                span = span or next(((a, b, True) for a, b in conds if a <= i and i + width <= b), None)
                if span is None:
                    return "a copy outside a simple statement or an if condition"
                placed.append((body_index, span, i))
        if not placed:
            return "no copy in procedural code"
        for body_index, (a, b, truth), i in placed:
            arms = self.guards.setdefault(body_index, {}).setdefault((a, b), [])
            arm = next((x for x in arms if x[0] == index), None)
            if arm is None:
                arms.append((index, [i], truth, m.replacement, width))
            else:
                arm[1].append(i)
        return None

    def replacements(self) -> dict[tuple[int, int], str]:
        """Original character span of each guarded always body -> its rendered text."""
        out = {}
        for body_index, spans in self.guards.items():
            start, end, expanded, _, _ = self.bodies[body_index]
            text, pieces, pos = expanded.text, [], 0
            for (a, b), arms in sorted(spans.items()):
                pieces.append(text[pos:a])
                pieces.append(_statement_guard(text[a:b], a, arms))
                pos = b
            pieces.append(text[pos:])
            out[(start, end)] = "".join(pieces)
        return out


def _statement_guard(original: str, at: int, arms) -> str:
    """A simple statement as a ``case`` on the selector, or an if condition as nested truth guards."""
    def mutated(copies, replacement, width) -> str:
        text = original
        for i in sorted(copies, reverse=True):
            text = text[:i - at] + replacement + text[i - at + width:]
        return text

    if arms[0][2]:  # an if condition
        inner = original
        for index, copies, _, replacement, width in sorted(arms):
            inner = (f"(({SELECTOR} == 32'd{index}) ? |({mutated(copies, replacement, width)}) "
                     f": |({inner}))")
        return inner
    cases = " ".join(f"32'd{index}: begin {mutated(copies, replacement, width)} end"
                     for index, copies, _, replacement, width in sorted(arms))
    return f"case ({SELECTOR}) {cases} default: begin {original} end endcase"
