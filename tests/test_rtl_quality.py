"""RTL quality bar: parameters from the config, the pyverilog interface check, Verilator lint (default and
non-default parameters), pyverilog parsing, and yosys synthesis without latches or undriven/multi-driven nets.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fixedpoint import OVERFLOW_CODE, ROUNDING_CODE, Fmt, Overflow, Rounding
from simulator import DatapathConfig
from simulator.rtl_params import direct_pe_parameters, pack_signs, rtl_parameters
from winoadder.hw.hdl import format_param
from winoadder.hw.rtl import (
    CORE_PARAMETERS,
    DIRECT_PARAMETERS,
    check_rtl_parameters,
    pack_words,
    rtl_sources,
    unpack_words,
)
from winoadder.paths import RTL_DIR, TB_DIR

pytestmark = pytest.mark.rtl
REPO = Path(__file__).resolve().parents[1]

DEFAULT = DatapathConfig.default()
OTHER = DatapathConfig(transform="lavin", act_fmt=Fmt(6, 3, False), u_extra_frac=1, max_channels=8,
                       acc_width=12, acc_overflow=Overflow.WRAP, out_fmt=Fmt(5, 1, False),
                       rounding=Rounding.RND_CONV, overflow=Overflow.SAT_SYM, lanes=2)
# K = 0, SHIFT = 1, narrow signed activations, truncation and wrapping output.
TINY = DatapathConfig(act_fmt=Fmt(4, 2, True), u_extra_frac=0, out_fmt=Fmt(3, 1, True),
                      rounding=Rounding.TRN, overflow=Overflow.WRAP, lanes=1, max_channels=4)


def _unpack_signs(value: int, rows: int) -> np.ndarray:
    codes = np.array([(value >> (2 * k)) & 3 for k in range(4 * rows)]).reshape(rows, 4)
    return np.select([codes == 1, codes == 3], [1, -1], 0)


@pytest.mark.parametrize("cfg", [DEFAULT, OTHER, TINY], ids=["default", "other", "tiny"])
def test_rtl_parameters_follow_the_config(cfg):
    p = rtl_parameters(cfg)
    assert tuple(p) == CORE_PARAMETERS
    w = cfg.widths
    assert {k: p[k] for k in w.as_dict()} == w.as_dict()
    assert (p["P"], p["K"]) == (cfg.lanes, cfg.u_extra_frac)
    assert (p["A_SIGNED"], p["O_SIGNED"]) == (int(cfg.act_fmt.signed), int(cfg.out_fmt.signed))
    assert (p["ROUND"], p["OVF"]) == (ROUNDING_CODE[cfg.rounding], OVERFLOW_CODE[cfg.overflow])
    # SAT only where the accumulator can leave its range within max_channels (M <= 0 bounds the sum)
    can_overflow = cfg.max_channels * cfg.ranges["neg_abs_diff"][0] < cfg.acc_fmt.min_raw
    assert p["ACC_SAT"] == int(cfg.acc_overflow == Overflow.SAT and can_overflow)
    assert p["WL"] == max(1, int(np.ceil(np.log2(cfg.lanes))))
    assert np.array_equal(_unpack_signs(p["BT"], 4), cfg.transform.BT)
    assert np.array_equal(_unpack_signs(p["AT"], 2), cfg.transform.AT)
    check_rtl_parameters(cfg)
    direct = direct_pe_parameters(cfg)
    assert tuple(direct) == DIRECT_PARAMETERS and direct["WL"] == p["WL"] and direct["ACC_SAT"] == 0
    check_rtl_parameters(cfg, top="adder_pe_direct")


def test_acc_sat_is_set_for_a_narrow_saturating_accumulator():
    narrow = DEFAULT.replace(acc_width=DEFAULT.exact_acc_width - 1)
    assert rtl_parameters(narrow)["ACC_SAT"] == 1
    assert rtl_parameters(narrow.replace(acc_overflow=Overflow.WRAP))["ACC_SAT"] == 0
    assert rtl_parameters(DEFAULT)["ACC_SAT"] == 0  # exact width: the clamp can never act


def test_y_acc_is_set_exactly_when_the_accumulator_cannot_overflow():
    """Y_ACC (output-domain accumulation) needs an exact accumulator: not a narrow SAT nor a narrow WRAP."""
    assert rtl_parameters(DEFAULT)["Y_ACC"] == 1
    narrow = DEFAULT.replace(acc_width=DEFAULT.exact_acc_width - 1)
    assert rtl_parameters(narrow)["Y_ACC"] == 0
    assert rtl_parameters(narrow.replace(acc_overflow=Overflow.WRAP))["Y_ACC"] == 0
    assert rtl_parameters(DEFAULT.replace(acc_overflow=Overflow.WRAP))["Y_ACC"] == 1
    assert rtl_parameters(OTHER)["Y_ACC"] == 0


@pytest.mark.parametrize("cfg", [DEFAULT, OTHER, TINY], ids=["default", "other", "tiny"])
def test_wz_holds_both_steered_words_of_every_per_channel_output_transform(cfg):
    """WZ: Za' = Za − ca and Zb' = Zb − cb (Z = AᵀMA = Za + Zb for one channel, Za the term of the first
    nonzero coefficient of each row of Aᵀ) fit WZ signed bits, the bound is reached (M at its extremes),
    and Za + Zb is the simulator's output transform."""
    from simulator.datapath import output_transform
    from simulator.rtl_params import channel_term_split

    mlo, mhi = cfg.ranges["neg_abs_diff"]
    rng = np.random.default_rng(5)
    m = rng.choice([mlo, mhi], size=(4096, 4, 4))  # the extremes of Σ ±M are at corners of M's box
    za_coef, zb_coef = (c.astype(np.int64) for c in channel_term_split(cfg.transform.AT))
    za, zb = m.reshape(-1, 16) @ za_coef.T, m.reshape(-1, 16) @ zb_coef.T
    np.testing.assert_array_equal(za + zb, output_transform(m, cfg.transform.AT).reshape(-1, 4))
    wz = rtl_parameters(cfg)["WZ"]
    lo, hi = min(int(za.min()), int(zb.min())) - 1, max(int(za.max()), int(zb.max()))
    assert -(1 << (wz - 1)) <= lo and hi < 1 << (wz - 1)
    assert Fmt.signed_width_for(lo, hi) == wz


def test_sign_packing_matches_the_contract_layout():
    # docs/datapath.md: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 0 -> 00, +1 -> 01, -1 -> 11.
    assert pack_signs([[1, 0, -1, 0]]) == 0b00_11_00_01
    assert pack_signs([[0, 0, 0, 0], [0, 0, 0, -1]]) == 0b11 << 14
    with pytest.raises(ValueError, match="matrices"):
        pack_signs([[2, 0, 0, 0]])


def test_word_packing_round_trips():
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, (5, 16))
    b = rng.integers(-2048, 2048, (5, 3))
    words = pack_words([(a, 8), (b, 12)])
    assert np.array_equal(unpack_words(words, 8, 16), a)
    assert np.array_equal(unpack_words(words, 12, 3, offset=128), b)
    assert np.array_equal(unpack_words(words, 8, 1, signed=False), a[:, :1] & 0xFF)


def _edited_core(tmp_path: Path, old: str, new: str) -> Path:
    text = (RTL_DIR / "winoadder_core.v").read_text()
    assert old in text
    path = tmp_path / "winoadder_core.v"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("old,new,message", [
    ("input [P*16*WU-1:0] in_u,", "input [P*16*WV-1:0] in_u,", "port in_u: 640 bits .* implies 768"),
    ("output [4*WO-1:0] out_y", "output [P*4*WO-1:0] out_y", "port out_y: 128 bits .* implies 32"),
    ("output [WL-1:0] out_lane,", "output [WL:0] out_lane,", "port out_lane"),
    ("    parameter OVF = 1,\n", "", "parameter OVF: derived from the config but not declared"),
    ("    parameter OVF = 1,\n", "    parameter OVF = 1,\n    parameter EXTRA = 1,\n",
     "parameter EXTRA: declared in winoadder_core.v but not derived"),
    ("    input in_last,\n", "", "port in_last: expected by the contract but missing"),
    ("    output in_ready,", "    input in_ready,", "port in_ready: is an input"),
])
def test_interface_check_names_the_mismatch(tmp_path, old, new, message):
    with pytest.raises(ValueError, match=message):
        check_rtl_parameters(DEFAULT, _edited_core(tmp_path, old, new))


def test_interface_check_of_the_direct_pe(tmp_path):
    check_rtl_parameters(DEFAULT.replace(lanes=16), top="adder_pe_direct")
    text = (RTL_DIR / "adder_pe_direct.v").read_text().replace("output [WL-1:0] out_lane,\n", "")
    (tmp_path / "adder_pe_direct.v").write_text(text)
    with pytest.raises(ValueError, match="port out_lane: expected by the contract but missing"):
        check_rtl_parameters(DEFAULT, tmp_path / "adder_pe_direct.v", top="adder_pe_direct")


def test_lint_script_reports_every_module_clean():
    proc = subprocess.run([str(REPO / "tools" / "lint_rtl.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(rtl_sources())} modules clean" in proc.stdout


@pytest.mark.parametrize("cfg", [OTHER, TINY], ids=["other", "tiny"])
@pytest.mark.parametrize("top", ["winoadder_core", "adder_pe_direct"])
def test_lint_clean_with_other_parameters(cfg, top):
    params = rtl_parameters(cfg) if top == "winoadder_core" else direct_pe_parameters(cfg)
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={format_param(v)}" for k, v in params.items()] + [str(s) for s in rtl_sources()]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr


def test_pyverilog_parses_every_file():
    from pyverilog.vparser import ast as vast
    from pyverilog.vparser.parser import VerilogCodeParser

    files = [*rtl_sources(), *sorted(TB_DIR.glob("tb_smoke_*.v"))]
    with tempfile.TemporaryDirectory() as tmp:
        parser = VerilogCodeParser([str(f) for f in files], preprocess_output=str(Path(tmp) / "pp.out"),
                                   outputdir=tmp, debug=False)
        tree = parser.parse()
    names = {d.name for d in tree.description.definitions if isinstance(d, vast.ModuleDef)}
    assert names == {f.stem for f in files}


def _yosys(script: str) -> subprocess.CompletedProcess:
    sources = " ".join(str(s) for s in rtl_sources())
    return subprocess.run(["yosys", "-q", "-p", f"read_verilog {sources}; {script}"], capture_output=True,
                          text=True)


# One lane keeps the runtime down; every module and mode branch is still elaborated.
SYNTH_CASES = [
    ("winoadder_core", rtl_parameters(DEFAULT.replace(lanes=1)), "synth_ice40"),
    ("winoadder_core", rtl_parameters(TINY), "synth"),
    ("winoadder_core", rtl_parameters(OTHER.replace(acc_width=9, acc_overflow=Overflow.SAT)), "synth"),
    ("adder_pe_direct", direct_pe_parameters(OTHER.replace(lanes=1)), "synth"),
]


@pytest.mark.parametrize("top,params,flow", SYNTH_CASES,
                         ids=["core-ice40", "core-tiny", "core-sat", "direct-other"])
def test_yosys_synthesis_has_no_latches_or_bad_nets(top, params, flow, tmp_path):
    chparams = "; ".join(f"chparam -set {k} {format_param(v)} {top}" for k, v in params.items())
    stat = tmp_path / "stat.txt"
    script = (f"{chparams}; hierarchy -check -top {top}; proc; "
              "select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_*; "
              f"{flow} -top {top}; check -assert; tee -q -o {stat} stat")
    proc = _yosys(script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Number of cells" in stat.read_text()
