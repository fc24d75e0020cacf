"""`winoadder grade DIR`: the mutation score of a vector set against the RTL.

The schematized mutants (winoadder.hw.schema) run first on one schema build each, selected at run time
(``+wa_mutant=k``); a kill there is final. Survivors there and every other mutant are verilated alone
with the set's parameters. Every Verilator build powers up random (``--x-initial unique``) and a run
that passes is repeated with the power-up seeds ``SEEDS`` (the last: all ones). A mutant whose
verilated model is identical to the original's is removed by elaboration for this configuration (the
parameters select other code): **not reached**, as is one in a module the testbench does not
instantiate or on a block the set never executes (Verilator line coverage of the original run). A
mutant that fails to verilate or compile is a **compile error**, reported apart. Every other distinct
model is compiled (cached by content, winoadder.hw.hdl) and run on the whole set with the testbench's
seeded gaps and backpressure, under a watchdog; a mismatching, missing or extra output, a failed run or
an expired watchdog **kills** it; the kill matrix names the vector classes whose outputs are wrong in
that run (each output belongs to one class's accumulation). Survivors
that are argued equivalent (``EQUIVALENT``) are listed with the argument and leave the score:
score = killed / (killed + survived).

``run_mutant(task)`` is the per-mutant task, a plain function of a dict (local processes by default; a
distributed executor can map it as it is).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from fixedpoint.safeio import write_file

HELP = "mutation score of a vector set: RTL mutants killed / survived / not reached, kill matrix by class"
REPORT_SCHEMA = "winoadder-grade/1"
MANIFEST_SECTION = "grade"
_WIDER = ("a declaration one or two bits wider than its value: every reader takes the original width "
          "(a part-select, or a narrower net or port it drives), so the extra bits are never observed")
_SECOND_WORD = "a second word in a one-word temporary memory: only word 0 is ever written or read"
_LANE_RANGE = ("a lane register one or two bits wider: take_lane counts 0..P-1 and returns to 0 at the "
               "last lane (take_lane == LAST_LANE), the other lane registers copy it, so the extra bits stay "
               "0 and out_lane takes the original width")
_NEXT_LANE = ("next_lane one or two bits wider: it is read only while take_end is 0, i.e. take_lane < P-1, "
              "so take_lane + 1 <= P-1 fits in WL bits and the extra bits are 0 (the assignment to "
              "take_lane truncates them, the comparison with LAST_LANE zero-extends)")
_NEXT_LANE_LINE = "wire [WL-1:0] next_lane = take_lane + 1'b1;"
_MOD_WE = ("the sign-extended S one bit longer (its low part takes all WS bits): the same two's-complement "
           "value, and the T and Y sums are taken modulo 2^WE (the WE-bit temporaries they are assigned to)")
_T_RANGE = ("t one bit narrower (index 1 up: WV-1 bits, read and written whole): every T = sum_a B^T[i][a] "
            "d[a][b] fits in WV - 1 signed bits (checked from WA, A_SIGNED and BT, row by row; true for both "
            "shipped transforms at every activation width, signed or unsigned: two nonzero entries a row)")
_NO_ACC_OVERFLOW = ("the accumulator is exact for this config (no channel sum leaves it: coverage event "
                    "acc_overflow_* not applicable), so the saturation test it changes is never true")


def _t_fits(manifest: dict) -> bool:
    """Every T = sum_a B^T[i][a] d[a][b] (d over the activation range) fits in WV - 1 signed bits."""
    rp = manifest.get("rtl_parameters", {})
    if not {"WA", "A_SIGNED", "WV", "BT"} <= rp.keys():
        return False
    wa, half = rp["WA"], 1 << (rp["WV"] - 2)
    lo, hi = (-(1 << (wa - 1)), (1 << (wa - 1)) - 1) if rp["A_SIGNED"] else (0, (1 << wa) - 1)
    coefficient = {0: 0, 1: 1, 2: 0, 3: -1}  # the RTL's codes: 01 = +1, 11 = -1, else 0
    for i in range(4):
        row = [coefficient[(rp["BT"] >> (2 * (4 * i + a))) & 3] for a in range(4)]
        if sum(min(c * lo, c * hi) for c in row) < -half or sum(max(c * lo, c * hi) for c in row) >= half:
            return False
    return True


# A condition on the RTL parameters only (not on the set's data): grade --suite applies its argument when
# it holds for every configuration the suite draws (suite_manifests).
_t_fits.parameters_only = True


def _wd_covers(manifest: dict) -> bool:
    """WD >= max(WU, WVA): D = U - Va needs at least the bits of either operand."""
    rp = manifest.get("rtl_parameters", {})
    return {"WD", "WU", "WVA"} <= rp.keys() and rp["WD"] >= max(rp["WU"], rp["WVA"])


_wd_covers.parameters_only = True


def suite_manifests() -> list[dict]:
    """The RTL parameters of every configuration the RTL tests draw, as far as a parameter condition can
    tell them apart: both shipped transforms, activations of 2..16 bits signed or unsigned, K = 0..2."""
    from fixedpoint import Fmt
    from simulator import PRESETS, DatapathConfig
    from simulator.rtl_params import rtl_parameters

    return [{"rtl_parameters": rtl_parameters(DatapathConfig.default().replace(
                transform=transform, act_fmt=Fmt(width, 0, signed), u_extra_frac=k, out_fmt=Fmt(8, k, True)))}
            for transform in PRESETS.values() for signed in (True, False) for width in range(2, 17)
            for k in range(3)]


def _exact_accumulator(manifest: dict) -> bool:
    cov = manifest.get("coverage", {})
    return not any(e.get("applicable") for k, e in cov.items() if k.startswith("acc_overflow"))


_DIRECT_PAIRS = ("w_work and w_pairs one or two bits wider: the loop writes lanes p < P, copies c < 4 "
                 "(every bit below P*36*WG), w_pairs copies w_work, and every reader (the u input of a "
                 "neg_abs_diff unit, w_pairs[WG*(36p+4k) +: 4*WG] with p < P, k < 9) selects below P*36*WG: "
                 "the extra bits are never observed")
_DIRECT_Q = ("q one or two bits wider: the four requantize units drive q[WO*e +: WO], e < 4 (bits below "
             "4*WO); its only reader, out_q <= q, keeps the low 4*WO bits")
_REQ_WIDER = ("a requantize net one or two bits wider: its value is zero-extended into the extra bits, and "
              "every reader takes the original width (explicit part-selects, or the assignment to a narrower "
              "net)")
_REQ_SELECT = ("rounded[WO+1:0] or rounded[WO:0] for rounded[WO-1:0] in an arm of q: the arms of the ?: "
               "chain are zero-extended to its widest arm and the assignment to q keeps the low WO bits, "
               "which are rounded[WO-1:0] (bits above WR-1 read X and are dropped too)")
_REQ_EXTEND = ("a longer sign or zero extension whose extra high bits are dropped: the value is assigned to "
               "a WR-bit net (the sum modulo 2^WR), so its low WR bits, the same, are all that is kept")


_TERM_ROW_LINE = "reg [8*WIN-1:0] term_row [0:0];  // term, zero-extended when one word a term"
_OT_Y_LINE = ("output reg [4*WY*(STEERED+1)-1:0] y  // STEERED = 0: Y[i][j] at [WY*(2i+j) +: WY]; 1: two "
              "words a sum")
_SYM_MIN_LINE = "localparam [WO-1:0] OUT_SYM_MIN = (O_SIGNED != 0) ? -OUT_MAX : OUT_MIN;"
_WIDE_OUT = ("a top-level output one or two bits wider: it is assigned from the WL-bit (4*WO-bit) output "
             "register, so the extra bits are constant 0, and an instantiation with the contract's width "
             "(the benches') reads the original bits; only a port-width check (check_rtl_parameters) tells "
             "it apart")
_TOP_UNDER_LINE = ("localparam [WX-WS:0] TOP_UNDER = {1'b1, {(WX-WS){1'b0}}};  "
                   "// sum[WX-1:WS-1] below range, WX = WS + 1")
_K_COUNT_LINE = "m[WP*o +: WP] = m_k + {{(WP-4){1'b0}}, k_count};"
_WMAX_LINE = "localparam WMAX_IN = (WU > WVA) ? WU : WVA;"
_OUT_MIN_LINE = "localparam [WO-1:0] OUT_MIN = (O_SIGNED != 0) ? {1'b1, {(WO-1){1'b0}}} : {WO{1'b0}};"
_OUT_MAX_LINE = "localparam [WO-1:0] OUT_MAX = (O_SIGNED != 0) ? {1'b0, {(WO-1){1'b1}}} : {WO{1'b1}};"
_LAST_LANE_LINE = "localparam [WL-1:0] LAST_LANE = LAST_LANE_INT[WL-1:0];"
_LAST_LANE = ("LAST_LANE (P - 1, which WL bits hold) declared or selected one or two bits wider: a wider "
              "select is truncated to the WL-bit LAST_LANE, a wider LAST_LANE is zero-extended, and its one "
              "use, next_lane == LAST_LANE, zero-extends next_lane too")
_Y_LINE = "y <= {y_e[3][WY-1:0], y_e[2][WY-1:0], y_e[1][WY-1:0], y_e[0][WY-1:0]};"
_Y_TOP = ("the top element's select one or two bits wider: the concatenation grows at its top, and the "
          "assignment to y (4*WY bits) drops exactly those bits")
_WDR_LINE = "localparam WDR = (Y_ACC != 0) ? 4*WY : 16*WS;"
_WDR_WIDE = ("WDR = 16*WS instead of 4*WY with Y_ACC = 1 (16*WS >= 4*WY): each lane's drain slot, taken and "
             "t_sums are wider; s is zero-extended into its slot (slot p at WDR*p, read back at the same "
             "offset), and the one reader, y = t_sums, keeps the low 4*WY bits")
_WZ_LINE = "localparam WZ = WY - 1;  // the value part of a word {Z', c}"
_OTS_KEYS = ("WA", "A_SIGNED", "K", "BT", "WU", "WVA", "WD", "WZ", "WY", "AT")
# The parameters (_OTS_KEYS) the output_transform miters below were run at: the default config's.
_OTS_PROVED = {(8, 1, 2, 0xC4341431, 12, 12, 13, 15, 22, 0xD435)}
_OTS_MITER = ("proved equal for one channel: a miter of the mutant against the original output_transform "
              "(STEERED = 1), both fed as the core feeds them (any tile d and weights U, Va = "
              "align(input_transform(d)), each word the steered form of D = U - Va), shows every output's "
              "Z = Za' + ca + Zb' + cb (the words' values sign-extended) equal modulo 2^WY, which is all the "
              "exact accumulator adds (tools/ot_mutant_miter.py: yosys synth, ABC iprove, UNSAT, at the "
              "default set's parameters)")


def _ots_proved(manifest: dict) -> bool:
    """The set's parameters are those the output_transform miters (``_OTS_MITER``) were proved at (a
    condition on the set, not ``parameters_only``: it does not hold for every configuration the suite
    draws)."""
    rp = manifest.get("rtl_parameters", {})
    return tuple(rp.get(k) for k in _OTS_KEYS) in _OTS_PROVED



def _at_nonzero_pattern(manifest: dict) -> bool:
    """Row 0 of Aᵀ is nonzero in columns 0..2 only and row 1 in columns 1..3 only (both shipped
    transforms: they differ in signs only), the pattern the steered transform's arguments read."""
    rp = manifest.get("rtl_parameters", {})
    if "AT" not in rp:
        return False
    nonzero = [{a for a in range(4) if (rp["AT"] >> (2 * (4 * i + a))) & 3} for i in range(2)]
    return nonzero == [{0, 1, 2}, {1, 2, 3}]


_at_nonzero_pattern.parameters_only = True
_OTS_ELABORATED = ("the steered output_transform elaborates to the same expressions at every width when "
                   "row 0 of Aᵀ is nonzero in columns 0..2 and row 1 in columns 1..3 (ranks 0, 1, 2 and "
                   "-, 0, 1, 2; last nonzero columns 2 and 3; Za the rank-0 column): ")
_OTS_NEGATED = ("OTS_SIGNED's condition inverted (it is applied to nonzero codes only): +1 terms enter as "
                "(~N, ~k) = -M and -1 terms as (N, k) = +M, so every T' = -T; Y's terms are inverted the "
                "same way, so each word's total is AT[j][b] T[b] summed as before, and its value is still "
                "that total minus one carry in {0, 1}, which WZ holds (any AT)")
_OTS_CARRY = ("a different nonzero term of a row counts as last, or none does (checked for every AT of the "
              "pattern by tools/ot_mutant_tables.py, tested); with Aᵀ nonzero in columns "
              "0..2 (row 0) and 1..3 (row 1) the ranks that choose Za (rank 0) and Zb (rank > 0) do not "
              "change, so the same terms with the same signs enter each word, and every carry is still "
              "counted once: added into the word's value, or its one pending carry (none: the value is "
              "the exact total). Each word's value is its total minus a carry in {0, 1}, which WZ holds "
              "for every configuration (channel_term_width: [lo - 1, hi] of Za and of Zb), so Z = Za' + "
              "ca + Zb' + cb is unchanged modulo 2^WY")


def _wy_exceeds_ws(manifest: dict) -> bool:
    """WY > WS: the Winograd-domain output_transform never takes its WE's else arm."""
    rp = manifest.get("rtl_parameters", {})
    return {"WY", "WS"} <= rp.keys() and rp["WY"] > rp["WS"]


_wy_exceeds_ws.parameters_only = True


def _at_column1_shared(manifest: dict) -> bool:
    """Aᵀ's rows have the same coefficient in column 1 (both shipped transforms: +1)."""
    at = manifest.get("rtl_parameters", {}).get("AT")
    return at is not None and (at >> 2) & 3 == (at >> 10) & 3


_at_column1_shared.parameters_only = True


def _output_domain(manifest: dict) -> bool:
    """The core accumulates in the output domain (Y_ACC = 1)."""
    return manifest.get("rtl_parameters", {}).get("Y_ACC") == 1


# Survivors argued equivalent: (file, original line, mutated line) (stripped) -> (argument, condition on the
# set's manifest or None). Found by grading the default set (docs/verification.md).
EQUIVALENT: dict[tuple[str, str, str], tuple[str, object]] = {
    **{key: (_WIDER, None) for key in (
        ("channel_accumulate.v", "output reg [4*WS-1:0] s  // finished sums, entry c at [WS*c +: WS]",
         "output reg [4*WS-0:0] s  // finished sums, entry c at [WS*c +: WS]"),
        ("channel_accumulate.v", _TERM_ROW_LINE, _TERM_ROW_LINE.replace("8*WIN-1:0", "8*WIN+1:0")),
        ("channel_accumulate.v", "reg [2*WS-1:0] acc_pair [0:1];", "reg [2*WS+1:0] acc_pair [0:1];"),
        ("channel_accumulate.v", "reg [4*WS-1:0] next [0:0];", "reg [4*WS-0:0] next [0:0];"),
        ("input_transform.v", "reg [4*WA-1:0] d_row [0:3];", "reg [4*WA-0:0] d_row [0:3];"),
        ("input_transform.v", "output reg [16*WV-1:0] v", "output reg [16*WV+1:0] v"),
        ("neg_abs_diff.v", "reg [4*WVA-1:0] va_row [0:0];", "reg [4*WVA-0:0] va_row [0:0];"),
        ("output_transform.v", _OT_Y_LINE, _OT_Y_LINE.replace("+1)-1:0]", "+1)+1:0]")),
        ("output_transform.v", "reg [WE-1:0] y_e [0:3];", "reg [WE+1:0] y_e [0:3];"),
        ("output_transform.v", "reg [WE-1:0] y_e [0:3];", "reg [WE-0:0] y_e [0:3];"),
        ("winoadder_core.v", "wire [16*WVA-1:0] va;", "wire [16*WVA+1:0] va;"),
        ("winoadder_core.v", "wire [P*WDR-1:0] drain;", "wire [P*WDR+1:0] drain;"),
        ("winoadder_core.v", "wire [4*WD-1:0] s1_m;", "wire [4*WD-0:0] s1_m;"),
        ("winoadder_core.v", "wire [4*WY-1:0] y;", "wire [4*WY+1:0] y;"),
        ("winoadder_core.v", "wire [4*WO-1:0] q;", "wire [4*WO-0:0] q;"),
        ("winoadder_core.v", "reg [4*WO-1:0] out_q;", "reg [4*WO-0:0] out_q;"),
        ("winoadder_core.v", "wire [16*WVA-1:0] va;", "wire [16*WVA-0:0] va;"),
        ("winoadder_core.v", "input [P*16*WU-1:0] in_u,", "input [P*16*WU-0:0] in_u,"),
        ("neg_abs_diff.v",
         "output reg [4*WD-1:0] m  // unit c at [WD*c +: WD]: {k, N[WD-2:0]}, M = -2^(WD-1) + N[WD-2:0] + k",
         "output reg [4*WD-0:0] m  // unit c at [WD*c +: WD]: {k, N[WD-2:0]}, M = -2^(WD-1) + N[WD-2:0] + k"),
        # found by the full campaign on the default set (docs/verification.md)
        ('align.v', 'input [16*WV-1:0] v,',
         'input [16*WV+1:0] v,'),
        ('align.v', 'input [16*WV-1:0] v,',
         'input [16*WV-0:0] v,'),
        ('align.v', 'output reg [16*WVA-1:0] va',
         'output reg [16*WVA+1:0] va'),
        ('align.v', 'output reg [16*WVA-1:0] va',
         'output reg [16*WVA-0:0] va'),
        ('channel_accumulate.v', 'output reg [4*WS-1:0] s  // finished sums, entry c at [WS*c +: WS]',
         'output reg [4*WS+1:0] s  // finished sums, entry c at [WS*c +: WS]'),
        ('channel_accumulate.v', 'reg [4*WS-1:0] acc;',
         'reg [4*WS+1:0] acc;'),
        ('channel_accumulate.v', 'reg [4*WS-1:0] acc;',
         'reg [4*WS-0:0] acc;'),
        ('channel_accumulate.v', _TERM_ROW_LINE, _TERM_ROW_LINE.replace("8*WIN-1:0", "8*WIN-0:0")),
        ('channel_accumulate.v', 'reg [2*WS-1:0] acc_pair [0:1];',
         'reg [2*WS-0:0] acc_pair [0:1];'),
        ('channel_accumulate.v', 'reg [4*WS-1:0] next [0:0];',
         'reg [4*WS+1:0] next [0:0];'),
        ('input_transform.v', 'input [16*WA-1:0] d,',
         'input [16*WA+1:0] d,'),
        ('input_transform.v', 'input [16*WA-1:0] d,',
         'input [16*WA-0:0] d,'),
        ('input_transform.v', 'reg [4*WA-1:0] d_row [0:3];',
         'reg [4*WA+1:0] d_row [0:3];'),
        ('input_transform.v', 'output reg [16*WV-1:0] v',
         'output reg [16*WV-0:0] v'),
        ('neg_abs_diff.v',
         'output reg [4*WD-1:0] m  // unit c at [WD*c +: WD]: {k, N[WD-2:0]}, M = -2^(WD-1) + N[WD-2:0] + k',
         'output reg [4*WD+1:0] m  // unit c at [WD*c +: WD]: {k, N[WD-2:0]}, M = -2^(WD-1) + N[WD-2:0] + k'),
        ('neg_abs_diff.v', 'reg [4*WU-1:0] u_row [0:0];',
         'reg [4*WU+1:0] u_row [0:0];'),
        ('neg_abs_diff.v', 'reg [4*WU-1:0] u_row [0:0];',
         'reg [4*WU-0:0] u_row [0:0];'),
        ('neg_abs_diff.v', 'reg [4*WVA-1:0] va_row [0:0];',
         'reg [4*WVA+1:0] va_row [0:0];'),
        ('neg_abs_diff.v', 'reg signed [WE-1:0] d_c [0:3];',
         'reg signed [WE+1:0] d_c [0:3];'),
        ('neg_abs_diff.v', 'reg signed [WE-1:0] d_c [0:3];',
         'reg signed [WE-0:0] d_c [0:3];'),
        ('output_transform.v', _OT_Y_LINE, _OT_Y_LINE.replace("+1)-1:0]", "+1)-0:0]")),
        ('output_transform.v', 'reg [4*WS-1:0] s_row [0:3];',
         'reg [4*WS+1:0] s_row [0:3];'),
        ('output_transform.v', 'reg [4*WS-1:0] s_row [0:3];',
         'reg [4*WS-0:0] s_row [0:3];'),
        ('output_transform.v', 'reg [WE-1:0] t [0:7];',
         'reg [WE+1:0] t [0:7];'),
        ('output_transform.v', 'reg [WE-1:0] t [0:7];',
         'reg [WE-0:0] t [0:7];'),
        ('requantize.v', 'input [WY-1:0] y,',
         'input [WY+1:0] y,'),
        ('requantize.v', 'input [WY-1:0] y,',
         'input [WY-0:0] y,'),
        ('requantize.v', 'output [WO-1:0] q',
         'output [WO+1:0] q'),
        ('requantize.v', 'output [WO-1:0] q',
         'output [WO-0:0] q'),
        ('winoadder_core.v', 'input [16*WA-1:0] in_tile,',
         'input [16*WA+1:0] in_tile,'),
        ('winoadder_core.v', 'input [16*WA-1:0] in_tile,',
         'input [16*WA-0:0] in_tile,'),
        ('winoadder_core.v', 'input [P*16*WU-1:0] in_u,',
         'input [P*16*WU+1:0] in_u,'),
        ('winoadder_core.v', 'wire [P*WDR-1:0] drain;', 'wire [P*WDR-0:0] drain;'),
        ('winoadder_core.v', 'wire [4*WD-1:0] s1_m;',
         'wire [4*WD+1:0] s1_m;'),
        ('winoadder_core.v', 'wire [4*WS-1:0] s;',
         'wire [4*WS+1:0] s;'),
        ('winoadder_core.v', 'wire [4*WS-1:0] s;',
         'wire [4*WS-0:0] s;'),
        ('winoadder_core.v', 'reg [WDR-1:0] taken, t_sums;', 'reg [WDR+1:0] taken, t_sums;'),
        ('winoadder_core.v', 'reg [WDR-1:0] taken, t_sums;', 'reg [WDR-0:0] taken, t_sums;'),
        ('winoadder_core.v', 'wire [4*WY-1:0] y;',
         'wire [4*WY-0:0] y;'),
        ('winoadder_core.v', 'wire [4*WO-1:0] q;',
         'wire [4*WO+1:0] q;'),
        ('winoadder_core.v', 'reg [4*WO-1:0] out_q;',
         'reg [4*WO+1:0] out_q;'),
    )},
    **{key: (_SECOND_WORD, None) for key in (
        ('channel_accumulate.v', _TERM_ROW_LINE, _TERM_ROW_LINE.replace("[0:0];", "[1:0];")),
        ('channel_accumulate.v', _TERM_ROW_LINE, _TERM_ROW_LINE.replace("[0:0];", "[0:1];")),
        ('channel_accumulate.v', 'reg [4*WS-1:0] next [0:0];',
         'reg [4*WS-1:0] next [1:0];'),
        ('channel_accumulate.v', 'reg [4*WS-1:0] next [0:0];',
         'reg [4*WS-1:0] next [0:1];'),
        ('neg_abs_diff.v', 'reg [4*WU-1:0] u_row [0:0];',
         'reg [4*WU-1:0] u_row [1:0];'),
        ('neg_abs_diff.v', 'reg [4*WU-1:0] u_row [0:0];',
         'reg [4*WU-1:0] u_row [0:1];'),
        ('neg_abs_diff.v', 'reg [4*WVA-1:0] va_row [0:0];',
         'reg [4*WVA-1:0] va_row [1:0];'),
    )},
    **{key: (_LANE_RANGE, None) for key in (
        ('winoadder_core.v', 'reg [WL-1:0] take_lane;',
         'reg [WL+1:0] take_lane;'),
        ('winoadder_core.v', 'reg [WL-1:0] take_lane;',
         'reg [WL-0:0] take_lane;'),
        ('winoadder_core.v', 'reg [WL-1:0] t_lane, out_lane_r;', 'reg [WL+1:0] t_lane, out_lane_r;'),
        ('winoadder_core.v', 'reg [WL-1:0] t_lane, out_lane_r;', 'reg [WL-0:0] t_lane, out_lane_r;'),
    )},
    **{(name, _NEXT_LANE_LINE, _NEXT_LANE_LINE.replace("WL-1", f"WL{wider}")): (_NEXT_LANE, None)
       for name in ("winoadder_core.v", "adder_pe_direct.v") for wider in ("+1", "-0")},
    **{key: (_NO_ACC_OVERFLOW, _exact_accumulator) for key in (
        ('channel_accumulate.v', 'localparam WX = ((WS > WM) ? WS : WM) + 1;',
         'localparam WX = ((WS > WM) ? WS : WM) + 0;'),
        ('channel_accumulate.v',
         "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\",
         "`define CA_UNDER(c) ((ACC_SAT == 1) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\"),
    )},
    ("output_transform.v",
     "`define OT_S(a, b) {{(WE-WS+1){s_row[a][WS*(b)+WS-1]}}, s_row[a][WS*(b) +: WS-1]}",
     "`define OT_S(a, b) {{(WE-WS+1){s_row[a][WS*(b)+WS-1]}}, s_row[a][WS*(b) +: WS-0]}"): (_MOD_WE, None),
    ("input_transform.v", "reg signed [WV-1:0] t [0:15];", "reg signed [WV-1:1] t [0:15];"):
        (_T_RANGE, _t_fits),
    ("neg_abs_diff.v", "reg [4*WVA-1:0] va_row [0:0];", "reg [4*WVA-1:0] va_row [0:1];"):
        (_SECOND_WORD, None),
    ("output_transform.v",
     "`define OT_S(a, b) {{(WE-WS+1){s_row[a][WS*(b)+WS-1]}}, s_row[a][WS*(b) +: WS-1]}",
     "`define OT_S(a, b) {{(WE+WS+1){s_row[a][WS*(b)+WS-1]}}, s_row[a][WS*(b) +: WS-1]}"):
        ("a longer sign extension of S: the sums are taken modulo 2^WE (the WE-bit temporaries they are "
         "assigned to), and extra copies of the sign bit do not change a two's-complement value", None),
    ("channel_accumulate.v", "acc <= {(4*WS){1'b0}};", "acc <= {(4*WS){1'b1}};"):
        ("the reset value of the accumulators on an idle cycle: every accumulation starts with in_first, "
         "which clears them before they are read (the interface contract)", None),
    ("channel_accumulate.v",
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\",
     "`define CA_UNDER(c) (!((ACC_SAT == 0)) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\"):
        (_NO_ACC_OVERFLOW, _exact_accumulator),
    ("channel_accumulate.v",
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\",
     "`define CA_UNDER(c) ((ACC_SAT != 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\"):
        (_NO_ACC_OVERFLOW, _exact_accumulator),
    # the direct PE's widened declarations (grade --suite samples; adder_pe_direct is no stage module, so
    # yosys is not asked)
    **{("adder_pe_direct.v", "reg [P*36*WG-1:0] w_work, w_pairs;",
        f"reg [P*36*WG{wider}:0] w_work, w_pairs;"): (_DIRECT_PAIRS, None) for wider in ("+1", "-0")},
    **{("adder_pe_direct.v", "wire [4*WO-1:0] q;", f"wire [4*WO{wider}:0] q;"): (_DIRECT_Q, None)
       for wider in ("+1", "-0")},
    # requantize, argued for every configuration (the default set's grading proved them with yosys for its
    # parameters only; grade --suite samples found 26, 67, 69, 71 surviving)
    **{("requantize.v", line, line.replace(part, part.replace("-1", wider))): (argument, None)
       for line, part, argument in (
           ("wire [WR-1:0] y_ext = {{(WR-WY+1){y[WY-1]}}, y[WY-2:0]};", "[WR-1:0] y_ext", _REQ_WIDER),
           ("wire [WR-1:0] rounded;", "[WR-1:0]", _REQ_WIDER),
           ("wire [WR-1:0] floored = {{SHIFT{y_ext[WR-1]}}, y_ext[WR-1:SHIFT]};", "[WR-1:0] floored",
            _REQ_WIDER),
           ("wire [SHIFT-1:0] rest = y[SHIFT-1:0];", "[SHIFT-1:0] rest", _REQ_WIDER),
           ("wire [WO-1:0] saturated = below ? OUT_MIN : OUT_MAX;", "[WO-1:0]", _REQ_WIDER),
           ("assign q = (OVF == 1) ? (fits ? rounded[WO-1:0] : saturated) :", "rounded[WO-1:0]", _REQ_SELECT),
           ("(OVF == 2) ? (fits ? rounded[WO-1:0] : {WO{1'b0}}) :", "rounded[WO-1:0]", _REQ_SELECT),
           ("(OVF == 3) ? ((fits & ~is_min) ? rounded[WO-1:0] : (below ? OUT_SYM_MIN : OUT_MAX)) :",
            "rounded[WO-1:0]", _REQ_SELECT),
           ("rounded[WO-1:0];", "rounded[WO-1:0]", _REQ_SELECT),
           ("assign rounded = floored + {{(WR-1){1'b0}}, round_up};", "(WR-1)", _REQ_EXTEND))
       for wider in ("+1", "-0")},
    ("requantize.v", "wire [WR-1:0] y_ext = {{(WR-WY+1){y[WY-1]}}, y[WY-2:0]};",
     "wire [WR-1:0] y_ext = {{(WR+WY+1){y[WY-1]}}, y[WY-2:0]};"): (_REQ_EXTEND, None),
    # survivors of the grade --suite campaign (seed 4), argued for every configuration
    **{(name, line, line.replace(part, part.replace("-1", wider))): (_WIDER, None)
       for name, line, part in (
           ("neg_abs_diff.v", "input [4*WVA-1:0] va,  // unit c at [WVA*c +: WVA], signed", "[4*WVA-1:0]"),
           ("winoadder_core.v", "wire [16*WV-1:0] v;", "[16*WV-1:0]"))
       for wider in ("+1", "-0")},
    **{("adder_pe_direct.v", "reg [36*WX-1:0] x_work, x_pairs;", f"reg [36*WX{wider}:0] x_work, x_pairs;"):
       ("x_work and x_pairs one or two bits wider: the loop writes pairs 0..35 (bits below 36*WX), x_pairs "
        "copies x_work, and every reader (x_pairs[WX*4*k +: 4*WX], k < 9) selects below 36*WX", None)
       for wider in ("+1", "-0")},
    **{("requantize.v", _SYM_MIN_LINE, _SYM_MIN_LINE.replace("[WO-1:0]", f"[WO{wider}:0]")):
       ("OUT_SYM_MIN one or two bits wider: -OUT_MAX (or OUT_MIN) evaluated in more bits has the same low WO "
        "bits, and its only use, an arm of q, is truncated to WO bits by the assignment to q", None)
       for wider in ("+1", "-0")},
    **{(name, line, line.replace(part, part.replace("-1", wider))): (_WIDER, None)
       for name, line, part in (
           ("winoadder_core.v", "wire [4*WVA-1:0] row = va[4*WVA*r +: 4*WVA];", "[4*WVA-1:0]"),
           ("adder_pe_direct.v", "input [16*WA-1:0] in_tile,", "[16*WA-1:0]"),
           ("adder_pe_direct.v", "input [P*9*WG-1:0] in_w,", "[P*9*WG-1:0]"),
           ("adder_pe_direct.v", "wire [P*4*WS-1:0] drain;", "[P*4*WS-1:0]"),
           ("adder_pe_direct.v", "reg [4*WO-1:0] out_q;", "[4*WO-1:0]"),
           ("output_transform.v", "input [4*WS-1:0] s0,  // row a of S: S[a][b] at [WS*b +: WS], signed",
            "[4*WS-1:0]"),
           *(("output_transform.v", f"input [4*WS-1:0] s{a},", "[4*WS-1:0]") for a in (1, 2, 3)))
       for wider in ("+1", "-0")},
    **{(name, line, line.replace(part, part.replace("-1", wider))): (_WIDE_OUT, None)
       for name in ("winoadder_core.v", "adder_pe_direct.v")
       for line, part in (("output [WL-1:0] out_lane,", "[WL-1:0]"),
                          ("output [4*WO-1:0] out_y", "[4*WO-1:0]"))
       for wider in ("+1", "-0")},
    **{("adder_pe_direct.v", line, line.replace("[WL-1:0]", f"[WL{wider}:0]")): (_LANE_RANGE, None)
       for line in ("reg [WL-1:0] take_lane;", "reg [WL-1:0] t_lane, out_lane_r;") for wider in ("+1", "-0")},
    **{(name, line, line.replace(part, part.replace("-1", wider))): (argument, None)
       for name in ("winoadder_core.v", "adder_pe_direct.v")
       for line, part, argument in (
           ("reg [WL-1:0] skid_lane;", "[WL-1:0]", _LANE_RANGE),
           ("reg [4*WO-1:0] skid_q;", "[4*WO-1:0]",
            "skid_q one or two bits wider: loaded from the 4*WO-bit q (zero-extended), read only by "
            "out_q <= skid_valid ? skid_q : q, whose assignment keeps the low 4*WO bits"))
       for wider in ("+1", "-0")},
    **{(name, _LAST_LANE_LINE, mutated): (_LAST_LANE, None)
       for name in ("winoadder_core.v", "adder_pe_direct.v") for wider in ("+1", "-0")
       for mutated in (_LAST_LANE_LINE.replace("[WL-1:0] LAST_LANE", f"[WL{wider}:0] LAST_LANE"),
                       _LAST_LANE_LINE.replace("LAST_LANE_INT[WL-1:0]", f"LAST_LANE_INT[WL{wider}:0]"))},
    **{(name, "localparam [31:0] LAST_LANE_INT = P - 1;", "localparam [30:0] LAST_LANE_INT = P - 1;"):
       ("LAST_LANE_INT 31 bits wide: P - 1 fits, and only its low WL bits are read", None)
       for name in ("winoadder_core.v", "adder_pe_direct.v")},
    **{("requantize.v", "wire [SHIFT-1:0] rest = y[SHIFT-1:0];",
        f"wire [SHIFT-1:0] rest = y[SHIFT{wider}:0];"):
       ("a wider select of y assigned to the SHIFT-bit rest: the assignment drops the extra bits", None)
       for wider in ("+1", "-0")},
    ("channel_accumulate.v", _TOP_UNDER_LINE, _TOP_UNDER_LINE.replace("[WX-WS:0]", "[WX+WS:0]")):
        ("TOP_UNDER declared wider: its value {1, 0...} is zero-extended, and its one use compares it with "
         "sum_c[c][WX:WS] (WX - WS + 1 bits), zero-extended too: the same comparison", None),
    **{("adder_pe_direct.v", line, line.replace(part, part.replace("-1", wider))): (argument, None)
       for line, part, argument in (
           ("wire [4*WS-1:0] s;", "[4*WS-1:0]",
            "a lane's s one or two bits wider: channel_accumulate drives its 4*WS bits (the extra ones are "
            "undriven) and its one reader, drain[4*WS*p +: 4*WS] = s, takes the low 4*WS bits"),
           ("reg [4*WS-1:0] taken, t_sums;", "[4*WS-1:0]",
            "taken and t_sums one or two bits wider: taken is assigned 4*WS-bit selects of drain (zero-"
            "extended), t_sums copies it, and every reader (t_sums[WS*e +: WS], e < 4) selects below 4*WS"))
       for wider in ("+1", "-0")},
    **{("adder_pe_direct.v", _K_COUNT_LINE, _K_COUNT_LINE.replace("(WP-4)", longer)):
       ("a longer zero extension of k_count (a value below 16): the sum is assigned to the WP-bit "
        "m[WP*o +: WP], i.e. taken modulo 2^WP, and the extension does not change the value", None)
       for longer in ("(WP+4)", "(WP-3)")},
    ("neg_abs_diff.v", _WMAX_LINE, _WMAX_LINE.replace("(WU > WVA)", "(WU >= WVA)")):
        ("the select differs only when WU == WVA, where both arms are the same value", None),
    ("neg_abs_diff.v", _WMAX_LINE, _WMAX_LINE.replace("(WU > WVA)", "!((WU > WVA))")):
        ("WMAX_IN the smaller of WU and WVA: WE = max(WD, WMAX_IN) is WD either way, since "
         "WD >= max(WU, WVA) (D = U - Va needs the bits of either operand)", _wd_covers),
    **{(name, line, line.replace(part, part.replace("-1", wider))): (argument, None)
       for name, line, part, argument in (
           ("adder_pe_direct.v", "if (take_lane == lane[WL-1:0]) taken = drain[4*WS*lane +: 4*WS];",
            "lane[WL-1:0]", "a wider select of the loop index lane (1..P-1 < 2^WL): its extra bits are 0, "
            "and the comparison zero-extends take_lane"),
           ("adder_pe_direct.v", "reg [WDIF-1:0] unit;", "[WDIF-1:0]",
            "unit one or two bits wider: it is assigned a WDIF-bit select (zero-extended) and read as "
            "unit[WDIF-2:0] and unit[WDIF-1] only"),
           ("requantize.v", _OUT_MIN_LINE, "[WO-1:0]",
            "OUT_MIN declared wider: its value is zero-extended; OUT_SYM_MIN and saturated truncate it to WO "
            "bits, and is_min compares it with rounded[WO-1:0] zero-extended"),
           ("channel_accumulate.v", "input [4*WIN*((NEG_ABS == 2) ? 2 : 1)-1:0] term,  // entry c at "
            "[WIN*c +: WIN] (NEG_ABS = 2: two words a", "1)-1:0]", _WIDER))
       for wider in ("+1", "-0")},
    **{(name, line, line.replace(part, part.replace("-1", wider), 1)): (argument, None)
       for name, line, part, argument in (
           ("adder_pe_direct.v", "reg [WP-1:0] m_k;", "[WP-1:0]",
            "m_k one or two bits wider: it is built by additions only and read only in a sum assigned to the "
            "WP-bit m[WP*o +: WP], so its low WP bits, the same modulo 2^WP, are all that is kept"),
           ("adder_pe_direct.v", "reg [4*WP-1:0] m;", "[4*WP-1:0]",
            "m one or two bits wider: written as m[WP*o +: WP], o < 4, and read only through "
            "channel_accumulate's 4*WP-bit term port, which takes the low bits"),
           ("adder_pe_direct.v", "wire [36*WDIF-1:0] s1_m;  // stage 1: the lane's 36 units, steered form",
            "[36*WDIF-1:0]", "s1_m one or two bits wider: the nine neg_abs_diff units drive its low 36*WDIF "
            "bits and every reader (unit = s1_m[WDIF*(9o+t) +: WDIF], 9o+t < 36) selects below 36*WDIF"),
           ("requantize.v", _OUT_MAX_LINE, "[WO-1:0]",
            "OUT_MAX declared wider: its value is zero-extended; -OUT_MAX (OUT_SYM_MIN) has the same low WO "
            "bits, and saturated and q's arm truncate it to WO bits"),
           ("requantize.v", "wire [WR-WO:0] upper = rounded[WR-1:WO-1];", "rounded[WR-1:",
            "a wider select of rounded assigned to upper (WR - WO + 1 bits): the assignment drops the extra "
            "high bits (out of range, X), leaving rounded[WR-1:WO-1]"))
       for wider in ("+1", "-0")},
    ("requantize.v", "localparam WR = ((WY > WO) ? WY : WO) + 1;",
     "localparam WR = ((WY >= WO) ? WY : WO) + 1;"):
        ("the select differs only when WY == WO, where both arms are the same value", None),
    **{("output_transform.v", _Y_LINE, _Y_LINE.replace("y_e[3][WY-1:0]", f"y_e[3][WY{wider}:0]")):
       (_Y_TOP, None) for wider in ("+1", "-0")},
    ("output_transform.v", "localparam WE = (WY > WS) ? WY : WS + 1;",
     "localparam WE = (WY >= WS) ? WY : WS + 1;"):
        ("WE = WS instead of WS + 1 when WY == WS: the sums are taken modulo 2^WE, and every "
         "WE >= max(WY, WS) gives the exact Y (it fits WY bits) with S sign-extended (WE - WS + 1 >= 1 "
         "copies of its sign)", None),
    # the output-domain core (Y_ACC = 1): survivors of the default set's grading (docs/verification.md)
    **{("winoadder_core.v", _WDR_LINE, mutated): (_WDR_WIDE, _output_domain) for mutated in (
        "localparam WDR = !((Y_ACC != 0)) ? 4*WY : 16*WS;", "localparam WDR = (Y_ACC == 0) ? 4*WY : 16*WS;",
        "localparam WDR = (Y_ACC != 1) ? 4*WY : 16*WS;")},
    **{("winoadder_core.v", line, line.replace("-1:0]", f"{wider}:0]")): (_WIDER, None)
       for line in ("wire [8*(WZ+1)-1:0] z;", "wire [4*WY-1:0] s;", "wire [WL-1:0] y_ready_lane;")
       for wider in ("+1", "-0")},
    ("winoadder_core.v", ".WIN(WZ + 1), .WM(WZ), .WS(WY), .ACC_SAT(0), .NEG_ABS(2)",
     ".WIN(WZ + 1), .WM(WZ), .WS(WY), .ACC_SAT(1), .NEG_ABS(2)"):
        ("ACC_SAT = 1 on the output-domain accumulator: its clamp acts only on a sum below -2^(WY-1), and "
         "every sum it forms (acc + Za + Zb) is the Y of the channels so far, which fits WY bits (Y_ACC = 1: "
         "the accumulator is exact), so the clamp never acts", None),
    ("winoadder_core.v", "advance <= 1'b1;", "advance <= 1'b0;"):
        ("advance reset to 0: in_ready is low in the first cycle after reset only (the next edge sets "
         "advance = ~(s1_valid_nx & ...) = 1, s1_valid being reset to 0, and nothing is loaded or "
         "accumulated meanwhile); a transaction waits for in_ready, so only its timing changes", None),
    **{key: (_OTS_MITER, _ots_proved) for key in (
        # output_transform-94-6e4a4e: constant: '0' -> '1'
        ('output_transform.v',
         "`define OTS_RANK(i, a) ((((a) > 0) && (`OTS_AT(i, 0) != 2'b00)) + (((a) > 1) && (`OTS_AT(i, 1) !="
         " 2'b00)) \\",
         "`define OTS_RANK(i, a) ((((a) > 0) && (`OTS_AT(i, 1) != 2'b00)) + (((a) > 1) && (`OTS_AT(i, 1) !="
         " 2'b00)) \\"),    )},
    **{key: (_OTS_CARRY, _at_nonzero_pattern) for key in (
        # output_transform-95-8b1efb: constant: '2'b00' -> '2'b01'
        ('output_transform.v',
         "+ (((a) > 2) && (`OTS_AT(i, 2) != 2'b00)))",
         "+ (((a) > 2) && (`OTS_AT(i, 2) != 2'b01)))"),
        # output_transform-101-d2d250: compare: '!=' -> '=='
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) == 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-2c3c04: constant: '2'b00' -> '2'b01'
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b01) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-670d55: arith: '+' -> '-'
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) - (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-484bb5: constant: '1' -> '0'
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-4485f2: compare: '!=' -> '=='
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) == 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-1ca2d2: constant: '2'b00' -> '2'b01'
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b01) + (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-101-3254eb: arith: '+' -> '-'
        ('output_transform.v',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00"
         ') \\',
         "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) - (`OTS_AT(i, 2) != 2'b00"
         ') \\'),
        # output_transform-102-97080b: arith: '+' -> '-'
        ('output_transform.v',
         "+ (`OTS_AT(i, 3) != 2'b00))",
         "- (`OTS_AT(i, 3) != 2'b00))"),
        # output_transform-102-4f8d89: constant: '3' -> '2'
        ('output_transform.v',
         "+ (`OTS_AT(i, 3) != 2'b00))",
         "+ (`OTS_AT(i, 2) != 2'b00))"),
        # output_transform-102-ae3800: compare: '!=' -> '=='
        ('output_transform.v',
         "+ (`OTS_AT(i, 3) != 2'b00))",
         "+ (`OTS_AT(i, 3) == 2'b00))"),
        # output_transform-102-6af6ca: constant: '2'b00' -> '2'b01'
        ('output_transform.v',
         "+ (`OTS_AT(i, 3) != 2'b00))",
         "+ (`OTS_AT(i, 3) != 2'b01))"),
        # output_transform-103-cf1f76: compare: '!=' -> '=='
        ('output_transform.v',
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))",
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) == 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))"),
        # output_transform-103-65a829: arith: '-' -> '+'
        ('output_transform.v',
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))",
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) + 1))"),
        # output_transform-103-499dec: constant: '1' -> '0'
        ('output_transform.v',
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))",
         "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 0))"),

    )},
    **{key: (_OTS_NEGATED, None) for key in (
        # output_transform-96-5305f4: condition: '((code) == 2'b11)' -> '!(((code) == 2'b11))'
        ('output_transform.v',
         "`define OTS_SIGNED(code, x) (((code) == 2'b11) ? ~(x) : (x))",
         "`define OTS_SIGNED(code, x) (!(((code) == 2'b11)) ? ~(x) : (x))"),
        # output_transform-96-02babd: compare: '==' -> '!='
        ('output_transform.v',
         "`define OTS_SIGNED(code, x) (((code) == 2'b11) ? ~(x) : (x))",
         "`define OTS_SIGNED(code, x) (((code) != 2'b11) ? ~(x) : (x))"),
    )},
    # the survivors of the whole grade --suite campaign (seed 4, all mutants) on the output-domain core
    ('output_transform.v',
     't_c[4*(i)+(j)] = `OTS_TC(i, 0, j) | `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);',
     't_c[4*(i)+(j)] = `OTS_TC(i, 1, j) | `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);'):
        (_OTS_ELABORATED + "`OTS_TC(i, 0, j) and `OTS_TC(i, 1, j) are both 0 (neither column is a row's "
                           "last nonzero one)", _at_nonzero_pattern),
    ('output_transform.v',
     't_c[4*(i)+(j)] = `OTS_TC(i, 0, j) | `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);',
     't_c[4*(i)+(j)] = `OTS_TC(i, 0, j) & `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);'):
        (_OTS_ELABORATED + "`OTS_TC(i, 0, j) and `OTS_TC(i, 1, j) a"
                           "re both 0, so & gives the 0 that | gave", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) & `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) and `OTS_ZA(j, 3) are false in both rows: both terms are 0, so & "
                           "gives the 0 that | gave", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 2, i, `OTS_ZA(j, 3)), \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 3) is false in both rows, "
                           "so the term is 0 whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 2)), \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) and `OTS_ZA(j, 3) are "
                           "false in both rows: the term stays 0", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) & `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) and `OTS_ZA(j, 3) are fal"
                           "se in both rows: both carry terms are 0", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 2))}; \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) and `OTS_ZA(j, 3) are fal"
                           "se in both rows: the carry term stays 0", _at_nonzero_pattern),
    ('output_transform.v',
     '+ `OTS_YK(j, 0, i) + `OTS_YK(j, 1, i) + `OTS_YK(j, 2, i) + `OTS_YK(j, 3, i), \\',
     '- `OTS_YK(j, 0, i) + `OTS_YK(j, 1, i) + `OTS_YK(j, 2, i) + `OTS_YK(j, 3, i), \\'):
        (_OTS_ELABORATED + "`OTS_YK(j, 0, i) is 0 in both rows ("
                           "`OTS_ZB(j, 0) is false), so - 0 = + 0", _at_nonzero_pattern),
    ('output_transform.v',
     '+ `OTS_YK(j, 0, i) + `OTS_YK(j, 1, i) + `OTS_YK(j, 2, i) + `OTS_YK(j, 3, i), \\',
     '+ `OTS_YK(j, 0, i) + `OTS_YK(j, 1, i) + `OTS_YK(j, 2, i) - `OTS_YK(j, 3, i), \\'):
        (_OTS_ELABORATED + "`OTS_YK(j, 3, i) is 0 in both rows (column 3 is zero in row 0 and last in row "
                           "1), so - 0 = + 0", _at_nonzero_pattern),
    ('output_transform.v',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \\',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 0)) \\'):
        (_OTS_ELABORATED + "`OTS_LAST(j, 0) is false in bot"
                           "h rows, so the guard stays false", _at_nonzero_pattern),
    ('output_transform.v',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \\',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) || `OTS_LAST(j, 0)) \\'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 0) and `OTS_LAST(j, 0) are both false in both rows, so || gives the "
                           "false that && gave", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\',
     '& `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\'):
        (_OTS_ELABORATED + "the carry terms of columns 0 and 1 are 0 (`OTS_ZB(j, 0), `OTS_LAST(j, 1) "
                           "false), so & gives the 0 that | gave", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 1)) \\'):
        (_OTS_ELABORATED + "`OTS_LAST(j, 1) is false in bot"
                           "h rows, so the guard stays false", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 2, i, `OTS_ZB(j, 2) && `OTS_LAST(j, 2)) \\',
     '| `OTS_YC(j, 2, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 2)) \\'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 1) equals `OTS_ZB(j, 2) where `OTS_LAST(j, 2) holds (row 0: both "
                           "ranks > 0), and row 1's LAST(1, 2) is false", _at_nonzero_pattern),
    ('output_transform.v',
     "+ (((a) > 2) && (`OTS_AT(i, 2) != 2'b00)))",
     "+ (((a) > 2) && (`OTS_AT(i, 1) != 2'b00)))"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \\",
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) \\"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))",
     "`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b01) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     ": {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j))})",
     ": {{(WZ-0){1'b0}}, `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j))})"):
        ("a one-bit carry zero-extended to WZ bits instead of WZ - 1 + 1: the same value, in a sum assigned"
         " to the WZ-bit t_v", None),
    ('output_transform.v',
     "? {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)])} : {WZ{1'b0}})",
     "? {{(WZ-0){1'b0}}, `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)])} : {WZ{1'b0}})"):
        ("a one-bit carry zero-extended one bit further: the same value, in a sum whose WY-bit y_w word "
         "{value, carry} keeps its low WZ bits", None),
    ('winoadder_core.v',
     ".en(1'b0),",
     ".en(1'b1),"):
        ("en of the per-lane output_transform tied to 1 instead of 0: its STEERED = 1 branch is "
         "combinational and never reads en", None),
    ('winoadder_core.v',
     'if (take_lane == lane[WL-1:0]) taken = drain[WDR*lane +: WDR];',
     'if (take_lane == lane[WL+1:0]) taken = drain[WDR*lane +: WDR];'):
        ("a wider select of the loop's lane (< P <= 2^WL, so the extra bits are 0) compared with take_lane,"
         " zero-extended: the same comparison", None),
    ('winoadder_core.v',
     'if (take_lane == lane[WL-1:0]) taken = drain[WDR*lane +: WDR];',
     'if (take_lane == lane[WL-0:0]) taken = drain[WDR*lane +: WDR];'):
        ("a wider select of the loop's lane (< P <= 2^WL, so the extra bit is 0) compared with take_lane, "
         "zero-extended: the same comparison", None),
    ('requantize.v',
     'wire [WR-1:0] y_ext = {{(WR-WY+1){y[WY-1]}}, y[WY-2:0]};',
     'wire [WR-1:0] y_ext = {{(WR-WY+1){y[WY-1]}}, y[WY-1:0]};'):
        ("y_ext from WR - WY + 1 sign copies and all WY bits of y (WR + 1 bits): the assignment to the "
         "WR-bit y_ext drops the top copy, leaving y sign-extended to WR bits, as before", None),
    ('channel_accumulate.v',
     "if (rst | clear) acc <= {(4*WS){1'b0}};",
     "if (rst | clear) acc <= {(3*WS){1'b0}};"):
        ('a 3*WS-bit zero assigned to the 4*WS-bit acc is zero-extended: acc is cleared all the same', None),
    ('channel_accumulate.v',
     "acc <= {(4*WS){1'b0}};",
     "acc <= {(3*WS){1'b0}};"):
        ('a 3*WS-bit zero assigned to the 4*WS-bit acc is zero-extended: acc is cleared all the same', None),
    ('channel_accumulate.v',
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\",
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS - 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\"):
        ("the general test (sum[WX] and not all of sum[WX:WS] ones) is used also when WX = WS + 1, where it"
         " reads sum[WS+1] & ~sum[WS]: the comparison with TOP_UNDER = 10", None),
    ('channel_accumulate.v',
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \\",
     "`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 0) ? (sum_c[c][WX:WS] == TOP_UNDER) \\"):
        ("the general test (sum[WX] and not all of sum[WX:WS] ones) is used also when WX = WS + 1, where it"
         " reads sum[WS+1] & ~sum[WS]: the comparison with TOP_UNDER = 10", None),
    ('neg_abs_diff.v',
     'localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;',
     'localparam WE = (WD >= WMAX_IN) ? WD : WMAX_IN;'):
        ("WE = max(WD, WMAX_IN) either way: the arms diff"
         "er only when WD == WMAX_IN, where they are equal", None),
    ('adder_pe_direct.v',
     "m_k = m_k + {{(WP-WDIF+1){1'b1}}, unit[WDIF-2:0]};",
     "m_k = m_k + {{(WP+WDIF+1){1'b1}}, unit[WDIF-2:0]};"):
        ("N sign-extended further (its top bits are ones: N is negative); the sum is assigned to the WP-bit"
         " m_k, which keeps the same low bits", None),
    ('neg_abs_diff.v',
     'input [4*WU-1:0] u,  // unit c at [WU*c +: WU], signed',
     'input [4*WU+1:0] u,  // unit c at [WU*c +: WU], signed'):
        (_WIDER, None),
    ('winoadder_core.v',
     'reg [WL-1:0] y_lane;',
     'reg [WL+1:0] y_lane;'):
        (_WIDER, None),
    ('winoadder_core.v',
     'reg [WL-1:0] y_lane;',
     'reg [WL-0:0] y_lane;'):
        (_WIDER, None),
    ('output_transform.v',
     'localparam WE = (WY > WS) ? WY : WS + 1;',
     'localparam WE = (WY > WS) ? WY : WS - 1;'):
        ("WE's else arm changed: it is taken only when WY <= WS, and WY > WS for every configuration (Y "
         "sums at least two S terms a row, so its range is at least 4 times S's)", _wy_exceeds_ws),
    ('output_transform.v',
     'localparam WE = (WY > WS) ? WY : WS + 1;',
     'localparam WE = (WY > WS) ? WY : WS + 0;'):
        ("WE's else arm changed: it is taken only when WY <= WS, and WY > WS for every configuration (Y "
         "sums at least two S terms a row, so its range is at least 4 times S's)", _wy_exceeds_ws),
    ('output_transform.v',
     '`define OT_Y(e) (`OT_TERM(`OT_AT((e) % 2, 0), t[4*((e) / 2)]) + '
     '`OT_TERM(`OT_AT((e) % 2, 1), t[4*((e) / 2)+1]) \\',
     '`define OT_Y(e) (`OT_TERM(`OT_AT((e) % 2, 0), t[4*((e) / 2)]) + '
     '`OT_TERM(`OT_AT((e) % 1, 1), t[4*((e) / 2)+1]) \\'):
        ("(e) % 1 = 0 for (e) % 2 in column 1's coefficient: row 0's instead of row 1's for odd e, and the "
         "two are equal (+1) in both shipped transforms", _at_column1_shared),
    # the steered transform's survivors of the grade --suite campaign on the output-domain core (seed 4):
    # argued for every configuration the suite draws (the miters above hold at the default set's only)
    ('output_transform.v',
     '+ `OTS_TK(i, 0, j) + `OTS_TK(i, 1, j) + `OTS_TK(i, 2, j) + `OTS_TK(i, 3, j); \\',
     '+ `OTS_TK(i, 0, j) + `OTS_TK(i, 1, j) + `OTS_TK(i, 2, j) - `OTS_TK(i, 3, j); \\'):
        (_OTS_ELABORATED + "`OTS_TK(i, 3, j) is 0 in both rows (column 3 is zero in row 0 and last in row 1, "
                           "its carry pending), so - 0 = + 0", _at_nonzero_pattern),
    ('output_transform.v',
     't_c[4*(i)+(j)] = `OTS_TC(i, 0, j) | `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);',
     't_c[4*(i)+(j)] = `OTS_TC(i, 0, j) | `OTS_TC(i, 0, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);'):
        (_OTS_ELABORATED + "`OTS_TC(i, 1, j) and `OTS_TC(i, 0, j) are both 0 (neither column is a row's last "
                           "nonzero one): one zero term for another", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\',
     '| `OTS_YV(j, 1, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) is false in both rows (column 2 has rank 2, 1), so the term is 0 "
                           "whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\',
     '| `OTS_YC(j, 1, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 2) is false in both rows, "
                             "so the carry term is 0 whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \\',
     '| `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 2, i, `OTS_ZA(j, 3))}; \\'):
        (_OTS_ELABORATED + "`OTS_ZA(j, 3) is false in both rows (column 3 is zero in row 0, rank 2 in row 1),"
                           " so the carry term is 0 whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     'y_w[4*(i)+2*(j)+1] = {`OTS_YV(j, 0, i, `OTS_ZB(j, 0)) + `OTS_YV(j, 1, i, `OTS_ZB(j, 1)) \\',
     'y_w[4*(i)+2*(j)+1] = {`OTS_YV(j, 1, i, `OTS_ZB(j, 0)) + `OTS_YV(j, 1, i, `OTS_ZB(j, 1)) \\'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 0) is false in both rows (column 0 has rank 0 in row 0, is zero in row"
                           " 1), so the term is 0 whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \\',
     '`OTS_YC(j, 1, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \\'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 0) is false in both rows, "
                             "so the carry term is 0 whichever T it names", _at_nonzero_pattern),
    ('output_transform.v',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \\',
     '`OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 1)) \\'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 0) is false in both rows, so the guard is false with LAST(j, 1) as "
                           "with LAST(j, 0)", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 0)) \\'):
        (_OTS_ELABORATED + "`OTS_LAST(j, 0) and `OTS_LAST(j, 1) are both false (the last nonzero columns are "
                           "2 and 3): the guard stays false", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\',
     '| `OTS_YC(j, 0, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \\'):
        (_OTS_ELABORATED + "`OTS_LAST(j, 1) is false in both rows, so the carry term is 0 whichever T it "
                           "names", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 3, i, `OTS_ZB(j, 3) && `OTS_LAST(j, 3))};',
     '| `OTS_YC(j, 3, i, `OTS_ZB(j, 2) && `OTS_LAST(j, 3))};'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 2) equals `OTS_ZB(j, 3) where `OTS_LAST(j, 3) holds (row 1: both ranks"
                           " > 0), and row 0's LAST(0, 3) is false", _at_nonzero_pattern),
    ('output_transform.v',
     '| `OTS_YC(j, 3, i, `OTS_ZB(j, 3) && `OTS_LAST(j, 3))};',
     '| `OTS_YC(j, 3, i, `OTS_ZB(j, 3) || `OTS_LAST(j, 3))};'):
        (_OTS_ELABORATED + "`OTS_ZB(j, 3) || `OTS_LAST(j, 3) equals `OTS_ZB(j, 3) && `OTS_LAST(j, 3) in both "
                           "rows (row 0: both false, row 1: both true)", _at_nonzero_pattern),
    ('output_transform.v',
     "+ (((a) > 2) && (`OTS_AT(i, 2) != 2'b00)))",
     "+ (((a) > 2) && (`OTS_AT(i, 2) == 2'b00)))"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \\",
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b01) \\"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \\",
     "`define OTS_NNZ(i) ((`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \\"):
        (_OTS_CARRY, _at_nonzero_pattern),
    ('output_transform.v',
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \\",
     "`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) == 2'b00) \\"):
        (_OTS_CARRY, _at_nonzero_pattern),
    **{('output_transform.v', _WZ_LINE, _WZ_LINE.replace("WY - 1", f"WY {wider}")):
       ("WZ one or two bits wider: every word is computed modulo 2^WY or 2^(WY+1) instead of 2^(WY-1), and "
        "its one use, the WY-bit y_w word {value, carry}, keeps the value's low WY - 1 bits: the same words",
        None) for wider in ("+ 1", "- 0")},
    ('output_transform.v',
     "`define OTS_N(a, j) {{(WZ-WS+1){1'b1}}, m_row[a][WS*(j) +: WS-1]}",
     "`define OTS_N(a, j) {{(WZ+WS+1){1'b1}}, m_row[a][WS*(j) +: WS-1]}"):
        ("N sign-extended further (its top bits are ones: N is negative); the sums it enters are assigned to "
         "the WZ-bit t_v, which keeps the same low bits", None),
    ('output_transform.v',
     ": {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j))})",
     ": {{(WZ+1){1'b0}}, `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j))})"):
        ("a one-bit carry zero-extended to WZ + 1 bits instead of WZ: the same value, in a sum assigned to "
         "the WZ-bit t_v", None),
    ('output_transform.v',
     "? {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)])} : {WZ{1'b0}})",
     "? {{(WZ+1){1'b0}}, `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)])} : {WZ{1'b0}})"):
        ("a one-bit carry zero-extended to WZ + 1 bits instead of WZ: the same value, in a sum whose WY-bit "
         "y_w word {value, carry} keeps its low WZ bits", None),
    **{('output_transform.v', "reg [4*WS-1:0] m_row [0:3];", f"reg [4*WS{wider}:0] m_row [0:3];"):
       ("m_row one or two bits wider: written from the 4*WS-bit s0..s3 (zero-extended), read only below bit "
        "4*WS (OTS_N and OTS_K of columns j < 4)", None) for wider in ("+1", "-0")},
    **{('output_transform.v', "reg [WZ-1:0] t_v [0:7];", f"reg [WZ{wider}:0] t_v [0:7];"):
       ("t_v one or two bits wider: T's value is computed in WZ + 1 or 2 bits; its readers (OTS_YV, in the "
        "WY-bit y_w words {value, carry}) keep its low WZ bits, those of the WZ-bit original (sums and ~ "
        "commute with truncation)", None) for wider in ("+1", "-0")},
    ('neg_abs_diff.v', 'input [4*WU-1:0] u,  // unit c at [WU*c +: WU], signed',
     'input [4*WU-0:0] u,  // unit c at [WU*c +: WU], signed'): (_WIDER, None),
    ('channel_accumulate.v', 'localparam WX = ((WS > WM) ? WS : WM) + 1;',
     'localparam WX = ((WS >= WM) ? WS : WM) + 1;'):
        ("WX = max(WS, WM) + 1 either way: the arms differ only when WS == WM, where they are equal", None),
    ('winoadder_core.v', ".en(1'b0),", ".en(~(1'b0)),"):
        ("en of the per-lane output_transform tied to 1 instead of 0: its STEERED = 1 branch is combinational"
         " and never reads en", None),
}
# Source paths in a verilated model: quoted file names and "PATH.v:LINE:" in messages (the testbench's path
# is the grading's work directory: left in, no model would match a cached one from another grading).
_PATHS = re.compile(r'/[^"\s:]*\.v\b')
# Power-up state: every variable without a reset starts random (Verilator --x-initial unique, seeded per
# run), so a mutant that only works with zero-initialised flops is killed. A mutant that survives the
# first seed is run with the others, and last with every such variable powering up all ones (ONES): a
# mutant that needs one flop to power up 1 (s1_valid reset to 1 is wrong only when s1_last, which has no
# reset, powers up 1) is then killed on any build, not only when a seed happens to set that bit.
RANDOM_INIT = ("--x-assign", "unique", "--x-initial", "unique")  # as winoadder.hw.hdl.VERILATOR_RANDOM_INIT
# Verilator 5.006's DFG peephole pass aborts (V3DfgPeephole.cpp:761 OOPS, an internal error) on some
# legal mutants (an out-of-range take0 select at P = 1) and on schemata holding them: off for every
# grading build, so a tool bug is not reported as the mutant's compile error.
GRADE_FLAGS = (*RANDOM_INIT, "-fno-dfg-peephole")
ONES = "ones"
SEEDS = (1, 2, 3, 4, 5, ONES)
O0 = ("OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0")
SCHEMA_MAKE = ("OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0")  # built once, run once per mutant
SCHEMA_OPTIMIZE = 100  # a schema of fewer mutants (a sample) compiles at -O0: fewer runs to amortize -O1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", metavar="DIR",
                        help="vector set written by 'winoadder vectors'")
    parser.add_argument("--sim", default="verilator", choices=("verilator", "iverilog"),
                        help="simulator (default verilator)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="parallel local processes (default: the CPU count)")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="run the mutants as tasks on this Dask scheduler (tcp://HOST:8786; its workers "
                             "need winoadder, the simulator and this file system), or 'local' for a "
                             "LocalCluster of --jobs workers (default: --jobs local processes)")
    parser.add_argument("--mutants", type=int, default=0, metavar="N",
                        help="grade a seeded sample of N mutants (default 0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --mutants sample (default 0)")
    parser.add_argument("--operators", default="all", metavar="LIST",
                        help=f"mutation operators, comma separated (default all: {', '.join(_operators())})")
    parser.add_argument("--timeout", type=float, default=0, metavar="S",
                        help="watchdog seconds per mutant run (default: 20 x the original run + 10)")
    parser.add_argument("--json", metavar="PATH", help="report path (default DIR/grade.json)")
    parser.add_argument("--no-manifest", action="store_true",
                        help="do not add the grade section to the manifest")
    parser.add_argument("--minimize", metavar="OUT",
                        help="also write the smallest subset of the set that keeps the kill set, as a set in "
                             "OUT")
    parser.add_argument("--suite", action="store_true",
                        help="grade the project's RTL test suite instead of a set (pytest per mutant)")
    parser.add_argument("--resume", metavar="REPORT",
                        help="with --suite --mutants N: keep the verdicts of REPORT, an earlier run of the "
                             "first mutants of the same draw (same seed), and run the rest")
    parser.add_argument("--rescore", metavar="REPORT",
                        help="with --suite: apply the current equivalence arguments to the survivors of a "
                             "suite report, running nothing (writes --json, default REPORT)")


def _operators():
    from winoadder.hw.mutate import OPERATORS

    return OPERATORS


def run(args) -> int:
    from fixedpoint.errors import UsageError
    from fixedpoint.safeio import resolve_file_target

    if args.jobs < 1:
        raise UsageError(f"--jobs: must be at least 1, got {args.jobs}")
    if args.mutants < 0:
        raise UsageError(f"--mutants: must be 0 (all) or a positive count, got {args.mutants}")
    operators = _parse_operators(args.operators)
    if (args.rescore or args.resume) and not args.suite:
        raise UsageError(f"{'--rescore' if args.rescore else '--resume'}: only with --suite")
    if args.suite and args.directory:
        raise UsageError(f"DIR: --suite grades the RTL tests, not a set; drop {args.directory} or --suite")
    if args.suite and args.minimize:
        raise UsageError("--minimize: only for a vector set, not with --suite")
    if args.json:  # checked before hours of grading, not when the report is written
        resolve_file_target(args.json, "--json")
    if args.suite:
        from winoadder.hw.grade_suite import rescore, run_suite

        return rescore(args.rescore, args.json) if args.rescore else run_suite(args, operators)
    if not args.directory:
        raise UsageError("DIR: a vector set directory is required (or --suite)")
    from winoadder.hw.verify import load_checked

    vset = load_checked(args.directory, (args.sim,))
    if args.minimize and Path(args.minimize).exists() and any(Path(args.minimize).iterdir()):
        raise UsageError(f"--minimize: {args.minimize} is not empty")
    if args.minimize and vset.top != "winoadder_core":
        raise UsageError("--minimize: only winoadder_core sets can be minimized")
    try:
        with _executor(args.scheduler, args.jobs) as client:
            report = grade(vset, sim=args.sim, jobs=args.jobs, sample=args.mutants, seed=args.seed,
                           operators=operators, timeout=args.timeout, progress=True, client=client)
    except KeyboardInterrupt:
        raise UsageError(f"grading interrupted: nothing written, {args.directory} untouched") from None
    json_path = Path(args.json) if args.json else vset.directory / "grade.json"
    print_report(report)
    write_file(json_path, json.dumps(public(report), indent=2) + "\n", option="--json")
    print(f"\nreport: {json_path}")
    if not args.no_manifest:
        add_manifest_section(vset.directory, summary_section(report))
    if args.minimize:
        from winoadder.hw.minimize import minimize

        kept = minimize(vset, report, args.minimize, sim=args.sim, jobs=args.jobs)
        print(f"minimized set: {args.minimize}: {kept['transactions']} of {vset.transactions} transactions, "
              f"same kill set ({kept['killed']} mutants)")
    return 0


def _parse_operators(spec: str) -> tuple[str, ...]:
    from fixedpoint.errors import UsageError

    valid = _operators()
    if spec == "all":
        return valid
    names = tuple(s.strip() for s in spec.split(","))
    allowed = f"valid: all, {', '.join(valid)}"
    if not all(names):
        raise UsageError(f"--operators: an empty item in {spec!r}; {allowed}")
    bad = [n for n in names if n not in valid]
    if bad:
        raise UsageError(f"--operators: unknown {', '.join(bad)}; {allowed}")
    if len(set(names)) != len(names):
        raise UsageError(f"--operators: a repeated item in {spec!r}; {allowed}")
    return names


# ---------------------------------------------------------------------------------------------- grading


def grade(vset, *, sim="verilator", jobs=2, sample=0, seed=0, operators=None, timeout=0.0, rtl_dir=None,
          progress=False, only=None, mutant_cache=None, client=None, schema=True, depth=0,
          schema_of_all=False, power_up=True) -> dict:
    """Grade ``vset``: classify every mutant of ``rtl_dir`` (default rtl/), or those whose id is in
    ``only``; return the report dict. The mutants run in ``jobs`` local processes, or as tasks on the
    Dask ``client`` (winoadder.dask_exec.dask_client) when given. With ``schema`` (Verilator), the
    schematized mutants run on one schema build (winoadder.hw.schema) instead of a build each. ``depth``
    (default: the set's) sets the testbench's DEPTH, so a subset of a set can reuse the set's builds; with
    ``schema_of_all`` the schema holds every mutant (as a full grading's does, so its build is reused)
    instead of the graded ones only. ``power_up=False``: Verilator's flops start at 0 (one run, no seeds)."""
    from winoadder.hw.mutate import OPERATORS, rtl_mutants
    from winoadder.paths import RTL_DIR, TB_DIR

    start = time.perf_counter()
    rtl_dir = Path(rtl_dir or RTL_DIR)
    mutants = everyone = rtl_mutants(rtl_dir, operators=operators or OPERATORS)
    total = len(mutants)
    if sample and sample < total:
        mutants = sorted(random.Random(seed).sample(mutants, sample), key=lambda m: (m.file, m.offset))
    if only is not None:
        mutants = [m for m in mutants if m.id in only]
    params = testbench_parameters(vset) | ({"DEPTH": depth} if depth else {})
    work = Path(tempfile.mkdtemp(prefix="winoadder-grade-"))
    try:
        # Copies: edits of rtl/ during a run change nothing.
        snapshot, tb = _snapshot(rtl_dir, TB_DIR / "tb_winoadder_core.v", work)
        inputs = prepare_inputs(vset, work)
        reach = reached_lines(vset, params, work, snapshot, tb)
        base = _task_base(vset, sim, params, inputs, snapshot, tb, work)
        base["seeds"] = SEEDS if power_up else (None,)
        if mutant_cache:
            base["mutant_cache"] = str(mutant_cache)
        original = run_mutant({**base, "mutant": None, "timeout": 600})
        if original["status"] != "survived":
            raise RuntimeError(f"the unmutated RTL fails this set ({original.get('detail', '')}); grade a "
                               "set the RTL passes")
        base["timeout"] = timeout or 20 * original["run_seconds"] + 10
        base["original_model"] = original["model"]
        results, to_run = {}, []
        for m in mutants:
            if m.file not in reach["files"]:
                results[m.id] = {"status": "not_reached",
                                 "reason": "module not instantiated by the testbench"}
            elif (m.file, m.line) in reach["zero"]:
                results[m.id] = {"status": "not_reached", "reason": "block never executed (line coverage)"}
            else:
                to_run.append(m)
        # One schema build of the graded mutants (cached by content: a full grading's is reused by every
        # later full grading and --minimize of the same RTL and configuration).
        schematized = {}
        if schema and sim == "verilator" and to_run:
            schematized = _schema_build(everyone if schema_of_all else mutants, base, work, progress)
        tasks = [{**base, "mutant": m.to_dict() | {"offset": m.offset}, **schematized.get(m.id, {})}
                 for m in to_run]
        done = 0
        for task, res in zip(tasks, _imap(run_mutant, tasks, jobs, client), strict=True):
            results[task["mutant"]["id"]] = res
            done += 1
            if progress and (done % 25 == 0 or done == len(tasks)):
                seconds = time.perf_counter() - start
                print(f"  {done}/{len(tasks)} mutants run ({seconds:.0f} s)", flush=True)
        survivors = [t for t in tasks if results[t["mutant"]["id"]]["status"] == "survived"]
        if sim == "verilator" and shutil.which("iverilog"):
            # A second simulator: Verilator can mask a mutant (e.g. it keeps a narrowed net at its
            # port's width where Icarus reads X), so a survivor is run on Icarus too.
            on_icarus = [{k: v for k, v in t.items() if k not in ("schema_exe", "schema_index")}
                         | {"sim": "iverilog"} for t in survivors]
            for task, res in zip(survivors, _imap(run_mutant, on_icarus, jobs, client), strict=True):
                if res["status"] == "killed":
                    results[task["mutant"]["id"]] = {**res, "detail": "killed on iverilog (survives on "
                                                     f"verilator): {res.get('detail')}"}
            survivors = [t for t in survivors if results[t["mutant"]["id"]]["status"] == "survived"]
        # yosys for the survivors not argued equivalent already (EQUIVALENT: build_report lists those)
        by_id = {m.id: m for m in mutants}
        unargued = [t for t in survivors
                    if not _equivalent(snapshot, by_id[t["mutant"]["id"]], vset.manifest)]
        proofs = _imap(prove_mutant, unargued, jobs, client)
        for task, (verdict, detail) in zip(unargued, proofs, strict=True):
            if verdict == "equivalent":
                results[task["mutant"]["id"]] = {"status": "equivalent", "reason": detail}
        report = build_report(vset, sim, mutants, results, total=total, sample=sample, seed=seed,
                              seconds=time.perf_counter() - start, rtl_dir=snapshot, jobs=jobs)
        report["schema"] = {"mutants": sum(1 for t in tasks if "schema_index" in t),
                            "own_builds": sum(1 for t in tasks if "schema_index" not in t)}
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _schema_build(mutants, base: dict, work: Path, progress: bool) -> dict[str, dict]:
    """Build the schema of ``mutants`` (cached by content), then a second one of the edits of constant
    positions in procedural statements (which may break elaboration: apart, so they cannot break the
    first); mutant id -> its task fields. A schema that does not build, or fails the set with no mutant
    selected, is dropped: its mutants get builds of their own."""
    from winoadder.hw.schema import CONSTANT_POSITION, write_schema

    plan = write_schema(base["rtl_dir"], mutants, work / "schema")
    fields = _one_schema(plan, base, progress, "schema")
    second = [m for m in mutants if plan.excluded.get(m.id) == CONSTANT_POSITION]
    if second:
        plan = write_schema(base["rtl_dir"], second, work / "schema-constant", constant_positions=True)
        fields |= _one_schema(plan, base, progress, "schema of constant positions")
    return fields


def _one_schema(plan, base: dict, progress: bool, name: str) -> dict[str, dict]:
    from winoadder.hw.hdl import build

    if not plan.index:
        return {}
    sources = [*(plan.directory / n for n in _rtl_names(base["rtl_dir"])), Path(base["tb"])]
    start = time.perf_counter()
    try:
        cache = Path(base["mutant_cache"]) / "schema" if base.get("mutant_cache") else None
        tb = build("verilator", "tb_winoadder_core", sources, base["params"], flags=GRADE_FLAGS,
                   make_vars=SCHEMA_MAKE if len(plan.index) >= SCHEMA_OPTIMIZE else O0, cache=cache)
    except RuntimeError as exc:
        print(f"  {name}: the build failed, its mutants get builds of their own: {_first_error(str(exc))}")
        return {}
    check = _simulate({**base, "seeds": base["seeds"][:1]}, tb, "all")
    if check["status"] != "survived":
        print(f"  {name}: fails the set with no mutant selected ({check.get('detail')}); its mutants get "
              "builds of their own")
        return {}
    if progress:
        print(f"  {name}: {len(plan.index)} mutants in one build "
              f"({time.perf_counter() - start:.0f} s{', cached' if tb.cached else ''})", flush=True)
    return {mid: {"schema_exe": tb.command[-1], "schema_index": k} for mid, k in plan.index.items()}


@contextlib.contextmanager
def _executor(scheduler: str | None, jobs: int):
    """The Dask client of ``--scheduler`` (``local``: a LocalCluster of ``jobs`` workers), or None."""
    if not scheduler:
        yield None
        return
    from winoadder.dask_exec import dask_client

    with dask_client(None if scheduler == "local" else scheduler, jobs) as client:
        yield client


def _imap(fn, tasks: list, jobs: int, client=None):
    """``fn`` over ``tasks`` in order: Dask tasks on ``client``, else ``jobs`` local processes."""
    if not tasks:
        return
    if client is not None:
        for future in client.map(fn, tasks, pure=False):
            yield future.result()
        return
    if jobs == 1:  # no pool for one process
        yield from map(fn, tasks)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(fn, tasks)


def testbench_parameters(vset) -> dict[str, int]:
    """The testbench's parameters for a set: its top's parameters, DEPTH and DIRECT (as verify builds it)."""
    from winoadder.hw.rtl import DIRECT_TOP, top_parameters
    from winoadder.hw.verify import testbench_depth

    return {**top_parameters(vset.cfg, vset.top), "DEPTH": testbench_depth(vset),
            "DIRECT": int(vset.top == DIRECT_TOP)}


def _snapshot(rtl_dir: Path, tb: Path, work: Path) -> tuple[Path, Path]:
    """Copies of the RTL module files and the testbench that the whole grading uses."""
    from winoadder.hw.mutate import write_mutant

    snapshot = write_mutant(rtl_dir, None, work / "rtl")
    (work / "rtl" / "tb").mkdir()
    shutil.copy2(tb, work / "rtl" / "tb" / tb.name)
    return snapshot, work / "rtl" / "tb" / tb.name


def _task_base(vset, sim, params, inputs, rtl_dir, tb, work) -> dict:
    return {
        "sim": sim, "params": params, "rtl_dir": str(rtl_dir), "tb": str(tb), "work": str(work),
        "inputs": inputs, "expected": str(work / "expected.npy"), "out_class": str(work / "out_class.npy"),
        "expected_lane": str(work / "expected_lane.npy"), "signed": vset.field("expected_out").signed,
        "classes": [c["name"] for c in vset.manifest["classes"]],
        "n_out": vset.beats, "n_in": vset.transactions, "vectors": str(vset.directory.resolve()),
        "timeout": 600,
    }


def prepare_inputs(vset, work: Path) -> dict:
    """Binary inputs for the whole set and for each class alone; expected beats and their classes as .npy."""
    from vectors.layout import pack_bin
    from vectors.manifest import TB_FILES

    arrays = vset.arrays()
    names = TB_FILES[vset.top]
    data = {n: vset.read(n) for n in names}
    lanes = vset.beats // max(vset.outputs, 1)
    out_class = np.repeat(arrays["class_index"][arrays["out_index"].astype(np.int64)].astype(np.int64), lanes)
    np.save(work / "expected.npy", data["expected_out"])
    np.save(work / "expected_lane.npy", data["expected_lane"][:, 0])
    np.save(work / "out_class.npy", out_class)
    runs = {"all": {"dir": str(work / "all"), "n_in": vset.transactions, "n_out": vset.beats,
                    "first_out": 0}}
    for index, c in enumerate(vset.manifest["classes"]):
        beats = np.flatnonzero(out_class == index)
        runs[c["name"]] = {"dir": str(work / f"class-{c['name']}"), "n_in": c["transactions"],
                           "n_out": int(len(beats)), "first_out": int(beats[0]) if len(beats) else 0,
                           "first_tx": c["first_transaction"]}
    for name, spec in runs.items():
        d = Path(spec["dir"])
        d.mkdir()
        if name == "all":
            tx, out = slice(None), slice(None)
        else:
            tx = slice(spec["first_tx"], spec["first_tx"] + spec["n_in"])
            out = slice(spec["first_out"], spec["first_out"] + spec["n_out"])
        for n in names:
            rows = data[n][out] if n in ("expected_out", "expected_lane") else data[n][tx]
            (d / f"{n}.bin").write_bytes(pack_bin(rows, vset.field(n)))
    return runs


def reached_lines(vset, params, work: Path, rtl_dir: Path, tb: Path) -> dict:
    """From a Verilator coverage run of the original RTL: the instantiated files and the (file, line) of
    blocks the set never executes (the lines from a zero-count point up to the next point)."""
    from winoadder.hw import covdata

    data = coverage_run(vset, params, work, rtl_dir, tb, "all")
    points = covdata.read_points(data)
    files = covdata.instantiated_files(points)
    zero = set()
    per_file: dict[str, list[tuple[int, int]]] = {}
    for (name, line), count in covdata.line_hits(points).items():
        per_file.setdefault(name, []).append((line, count))
    for name, rows in per_file.items():
        rows.sort()
        for (line, count), nxt in zip(rows, [*rows[1:], (None, None)], strict=True):
            if count == 0:
                zero.update((name, k) for k in range(line, (nxt[0] or line + 1)))
    return {"files": files, "zero": zero, "coverage": str(data)}


def coverage_build(params, rtl_dir: Path, tb: Path):
    from winoadder.hw import covdata
    from winoadder.hw.hdl import build
    from winoadder.hw.rtl import rtl_sources

    sources = [*covdata.coverage_sources("tb_winoadder_core"),
               *[Path(rtl_dir) / p.name for p in rtl_sources()], tb]
    # -O0: a coverage build compiles per module and takes minutes optimized; its runs are short.
    return build("verilator", "tb_winoadder_core", sources, params, flags=covdata.COVERAGE_FLAGS,
                 make_vars=("OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0"))


def coverage_run(vset, params, work: Path, rtl_dir: Path, tb: Path, name: str, inputs: dict | None = None,
                 seed: int = 1) -> Path:
    """Run the coverage build on the prepared inputs ``name`` (``all`` or a class); return coverage.dat."""
    tb = coverage_build(params, rtl_dir, tb)
    spec = (inputs or {}).get(name) or {"dir": str(work / "all"), "n_in": vset.transactions,
                                        "n_out": vset.beats}
    out = Path(spec["dir"]) / "coverage.dat"
    tb.run({"vectors": vset.directory.resolve(), "n_in": spec["n_in"], "n_out": spec["n_out"],
            "actual": Path(spec["dir"]) / "cov_actual.hex", "bindir": spec["dir"], "seed": seed,
            "coverage": out}, timeout=600)
    return out


def model_hash(obj_dir: Path, rtl_dir: str) -> str:
    """sha256 of a verilated model's C++ (paths of the sources blanked)."""
    h = hashlib.sha256()
    for f in sorted(obj_dir.iterdir()):
        if f.suffix in (".cpp", ".h"):
            h.update(f.name.encode() + b"\0" + _PATHS.sub("<src>", f.read_text(errors="replace")).encode())
    return h.hexdigest()


def run_mutant(task: dict) -> dict:
    """Verilate, compile (cached) and run one mutant on the set.

    Returns ``{"status": killed|survived|not_reached|compile_error|error, ...}`` (``error``: the grading
    itself failed on this mutant, reported apart); the unmutated RTL is ``task["mutant"] = None``.
    """
    try:
        return _run_mutant(task)
    except Exception as exc:  # one mutant's grading failure must not lose the campaign
        return {"status": "error", "detail": f"{type(exc).__name__}: {exc}"[:300]}


def _run_mutant(task: dict) -> dict:
    """A schematized mutant runs on the schema build first: a kill is final (its code is run-time code,
    reached and compiled); a survivor, like every other mutant, is verilated alone, where a model identical
    to the original's is not reached and a failed verilation a compile error; the others are compiled
    (cached by model hash) and run."""
    from winoadder.hw.hdl import Build, build, format_param, verilator_command
    from winoadder.hw.mutate import Mutant, write_mutant
    from winoadder.hw.schema import PLUSARG

    mut = task["mutant"]
    on_schema = None
    if mut is not None and task["sim"] == "verilator" and task.get("schema_exe"):
        schema_tb = Build("verilator", "tb_winoadder_core", Path(task["schema_exe"]).parent,
                          (task["schema_exe"], f"+{PLUSARG}={task['schema_index']}"), 0.0, True)
        on_schema = _simulate(task, schema_tb, "all")
        if on_schema["status"] == "killed":
            return _with_classes(on_schema, task)
    scratch = Path(tempfile.mkdtemp(prefix="m-", dir=task["work"]))
    try:
        mutant = None if mut is None else Mutant(mut["file"], mut["line"], 0, mut["offset"], mut["operator"],
                                                 mut["original"], mut["replacement"])
        src = write_mutant(task["rtl_dir"], mutant, scratch / "rtl")
        sources = [*(src / n for n in _rtl_names(task["rtl_dir"])), Path(task["tb"])]
        params = task["params"]
        fparams = {k: format_param(v) for k, v in sorted(params.items())}
        proc = subprocess.run(verilator_command("tb_winoadder_core", sources, fparams, [], scratch,
                                                GRADE_FLAGS), capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            return {"status": "compile_error", "detail": _first_error(proc.stderr)}
        model = model_hash(scratch / "obj", str(src))
        if mut is not None and model == task.get("original_model"):
            return {"status": "not_reached",
                    "reason": "removed by elaboration (model identical to the original)"}
        if on_schema is not None:
            return {**on_schema, "model": model}
        try:
            if task["sim"] == "verilator":
                tb = _compiled_model(scratch / "obj", model, task.get("mutant_cache"))
            else:
                tb = build(task["sim"], "tb_winoadder_core", sources, params)
                task = {**task, "timeout": 30 * task["timeout"]}  # Icarus runs ~20x slower
        except RuntimeError as exc:
            return {"status": "compile_error", "detail": _first_error(str(exc))}
        result = _simulate(task, tb, "all")
        result["model"] = model
        return _with_classes(result, task)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _with_classes(result: dict, task: dict) -> dict:
    """A killed result with ``by_class``: the classes whose outputs it got wrong."""
    if result["status"] == "killed":
        wrong = np.asarray(result["wrong_outputs"], dtype=np.int64)
        out_class = np.load(task["out_class"])[wrong] if len(wrong) else np.zeros(0, dtype=np.int64)
        found = set(out_class.tolist())
        result["by_class"] = [c for i, c in enumerate(task["classes"]) if i in found] or ["(run failed)"]
    return result


def prove_mutant(task: dict) -> tuple[str, str]:
    """yosys equivalence proof of a surviving mutant's module (winoadder.hw.equiv)."""
    from winoadder.hw.equiv import prove
    from winoadder.hw.mutate import Mutant

    mut = task["mutant"]
    mutant = Mutant(mut["file"], mut["line"], 0, mut["offset"], mut["operator"], mut["original"],
                    mut["replacement"])
    text = mutant.apply((Path(task["rtl_dir"]) / mutant.file).read_text())
    return prove(task["rtl_dir"], mutant.file, text, task["params"])


def _compiled_model(obj: Path, model: str, cache: str | None = None):
    """The mutant's executable, cached by its model hash (-O0: builds dominate, runs are short)."""
    from winoadder.hw.hdl import Build, compile_verilated
    from winoadder.paths import cache_dir

    final = Path(cache or cache_dir() / "mutants") / model[:32]
    if not (final / "sim").is_file():
        start = time.perf_counter()
        exe = compile_verilated(obj, "tb_winoadder_core", make_vars=O0)  # the runtime objects are shared
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".m-", dir=final.parent))
        shutil.copy2(exe, tmp / "sim")
        (tmp / "build_seconds").write_text(f"{time.perf_counter() - start:.3f}\n")
        try:
            os.rename(tmp, final)
        except OSError:  # built meanwhile by another worker
            shutil.rmtree(tmp, ignore_errors=True)
    return Build("verilator", "tb_winoadder_core", final, (str(final / "sim"),), 0.0, True)


def _rtl_names(rtl_dir) -> list[str]:
    from winoadder.hw.rtl import rtl_sources

    return [p.name for p in rtl_sources()]


def _simulate(task, tb, name: str) -> dict:
    """Run ``tb`` on the prepared inputs ``name``: a Verilator build with each power-up seed of
    ``task["seeds"]`` (default ``SEEDS``) until one kills, Icarus once (its power-up state is X)."""
    seeds = task.get("seeds", SEEDS) if tb.sim == "verilator" else (None,)
    for k, seed in enumerate(seeds):
        result = _simulate_once(task, tb, name, seed)
        if result["status"] == "killed":
            if k:
                result["detail"] = f"power-up seed {seed}: {result['detail']}"
            break
    return result


def _simulate_once(task, tb, name: str, seed: int | str | None) -> dict:
    from winoadder.hw.hdl import power_up

    spec = task["inputs"][name]
    actual_path = Path(spec["dir"]) / f"actual-{os.getpid()}.hex"
    actual_path.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        args = {"vectors": task["vectors"], "n_in": spec["n_in"], "n_out": spec["n_out"],
                "actual": actual_path, "bindir": spec["dir"], "show": 0}
        init = [] if seed is None else ["+verilator+rand+reset+1"] if seed == ONES else power_up(seed)
        proc = tb.run([f"+{k}={v}" for k, v in args.items()] + init, timeout=task["timeout"], check=False)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "detail": "watchdog: the run did not finish",
                "run_seconds": task["timeout"], "wrong_outputs": []}
    seconds = time.perf_counter() - start
    expected = np.load(task["expected"])
    first = spec.get("first_out", 0)
    expected = expected[first : first + spec["n_out"]]
    text = actual_path.read_text() if actual_path.exists() else ""
    actual_path.unlink(missing_ok=True)
    same = _equal_rows(text, expected, task, first)
    if proc.returncode == 0 and same.all() and len(same) == spec["n_out"]:
        return {"status": "survived", "run_seconds": seconds}
    wrong = np.flatnonzero(~same)
    detail = f"exit {proc.returncode}, {len(wrong)} of {spec['n_out']} outputs wrong or missing"
    return {"status": "killed", "detail": detail, "run_seconds": seconds,
            "first_wrong": int(first + wrong[0]) if len(wrong) else None,
            "wrong_outputs": (first + wrong).tolist()}


def _equal_rows(text: str, expected: np.ndarray, task, first: int = 0) -> np.ndarray:
    """Per expected beat: the written beat (tile and lane) equals it (missing beats are unequal)."""
    from winoadder.hw.verify import read_beats

    lanes = np.load(task["expected_lane"])[first : first + len(expected)]
    actual, actual_lane, known = read_beats(text, task["params"]["WO"], task["signed"])
    rows = min(len(actual), len(expected))
    same = np.zeros(len(expected), dtype=bool)
    same[:rows] = (known[:rows] & np.all(actual[:rows] == expected[:rows], axis=(1, 2))
                   & (actual_lane[:rows] == lanes[:rows]))
    return same


def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if "%Error" in ln or "error" in ln.lower()]
    return (lines[0] if lines else text.strip().splitlines()[-1] if text.strip() else "failed")[:200]


# ---------------------------------------------------------------------------------------------- report


def build_report(vset, sim, mutants, results, *, total, sample, seed, seconds, rtl_dir, jobs) -> dict:
    from winoadder.hw.rtl import rtl_sources

    classes = [c["name"] for c in vset.manifest["classes"]]
    rows = []
    for m in mutants:
        res = dict(results[m.id])
        status = res["status"]
        argument = _equivalent(rtl_dir, m, vset.manifest) if status == "survived" else None
        if argument:
            status = "equivalent"
        argument = argument or (res.get("reason") if status == "equivalent" else None)
        rows.append({**m.to_dict(), "description": m.description, "status": status,
                     "by_class": res.get("by_class", []), "reason": res.get("reason") or argument
                     or res.get("detail"), "first_wrong_output": res.get("first_wrong"),
                     "_wrong": res.get("wrong_outputs") or []})
    counts = {s: sum(r["status"] == s for r in rows)
              for s in ("killed", "survived", "equivalent", "not_reached", "compile_error", "error")}
    graded = counts["killed"] + counts["survived"]
    matrix = {c: sum(c in r["by_class"] for r in rows) for c in classes}
    only = {c: sum(r["by_class"] == [c] for r in rows) for c in classes}
    digest = hashlib.sha256()
    for p in rtl_sources():
        digest.update((Path(rtl_dir) / p.name).read_bytes())  # the snapshot graded
    return {
        "schema": REPORT_SCHEMA,
        "set": str(vset.directory),
        "sim": sim,
        "rtl_sha256": digest.hexdigest(),
        "mutants_total": total,
        "mutants_graded": len(rows),
        "sample": sample, "seed": seed, "jobs": jobs,
        "seconds": round(seconds, 1),
        "counts": counts,
        "score": round(counts["killed"] / graded, 6) if graded else None,
        "kill_matrix": {"killed_by": matrix, "killed_only_by": only},
        "survivors": [r for r in rows if r["status"] == "survived"],
        "equivalent": [r for r in rows if r["status"] == "equivalent"],
        "mutants": rows,
    }


def equivalence_key(text: str, m) -> tuple[str, str, str]:
    """The ``EQUIVALENT`` key of mutant ``m`` of the file whose text is ``text``: its file name and the
    mutated line before and after the edit, stripped."""
    return m.file, text.splitlines()[m.line - 1].strip(), m.apply(text).splitlines()[m.line - 1].strip()


def _equivalent(rtl_dir, m, manifest: dict | None) -> str | None:
    """The argument of an equivalent survivor (``EQUIVALENT``, its condition holding for the set), or None.
    ``manifest`` None (grade --suite): the arguments without a condition, and those whose condition reads
    the RTL parameters only and holds for every configuration the RTL tests draw."""
    key = equivalence_key((Path(rtl_dir) / m.file).read_text(), m)
    argument, condition = EQUIVALENT.get(key, (None, None))
    if not argument or condition is None:
        return argument
    if manifest is not None:
        return argument if condition(manifest) else None
    if getattr(condition, "parameters_only", False) and all(condition(mf) for mf in _suite_manifests()):
        return f"{argument} (for every configuration the RTL tests draw)"
    return None


@functools.cache
def _suite_manifests() -> tuple[dict, ...]:
    return tuple(suite_manifests())


def public(report: dict) -> dict:
    """The report without the per-mutant wrong-output lists (kept in memory for --minimize)."""
    strip = {"mutants", "survivors", "equivalent"}
    return {k: ([{f: v for f, v in r.items() if not f.startswith("_")} for r in report[k]] if k in strip
                else report[k]) for k in report}


def summary_section(report: dict) -> dict:
    keys = ("sim", "rtl_sha256", "mutants_total", "mutants_graded", "sample", "seconds", "counts", "score",
            "kill_matrix")
    section = {k: report[k] for k in keys}
    section["survivors"] = [f"{r['file']}:{r['line']} {r['description']}" for r in report["survivors"]]
    section["equivalent"] = [f"{r['file']}:{r['line']} {r['description']}: {r['reason']}"
                             for r in report["equivalent"]]
    return section


def print_report(report: dict) -> None:
    from tabulate import tabulate

    c = report["counts"]
    score = "n/a" if report["score"] is None else f"{100 * report['score']:.2f} %"
    print(f"\nmutants: {report['mutants_graded']} graded of {report['mutants_total']} "
          f"({report['seconds']:.0f} s, {report['jobs']} jobs)")
    if "schema" in report:
        print(f"run on the schema build: {report['schema']['mutants']}, with a build of their own: "
              f"{report['schema']['own_builds']}")
    print(tabulate([[k.replace("_", " "), v] for k, v in c.items()], headers=["status", "mutants"]))
    print(f"\nscore: {score} (killed / (killed + survived))")
    km = report["kill_matrix"]
    print(tabulate([[k, km["killed_by"][k], km["killed_only_by"][k]] for k in km["killed_by"]],
                   headers=["class", "kills", "kills alone"]))
    if report["survivors"]:
        print("\nsurvivors:")
        for r in report["survivors"]:
            print(f"  {r['file']}:{r['line']}  {r['description']}")
    if report["equivalent"]:
        print("\nequivalent (argued):")
        for r in report["equivalent"]:
            print(f"  {r['file']}:{r['line']}  {r['description']}: {r['reason']}")


def add_manifest_section(directory, section: dict, key: str = MANIFEST_SECTION) -> None:
    """Add or replace one top-level section of manifest.json (atomically; the files' sha256 stay valid)."""
    from vectors.manifest import MANIFEST

    path = Path(directory) / MANIFEST
    manifest = json.loads(path.read_text())
    manifest[key] = section
    write_file(path, json.dumps(manifest, indent=2) + "\n", option="DIR")
