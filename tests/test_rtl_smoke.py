"""Per-module smoke testbenches (rtl/tb/tb_smoke_*.v) on Icarus and Verilator, bit-exact against the
simulator's stage functions. Stimuli are random plus range extremes, passed through $readmemh files.

Icarus builds each testbench on its own (cheap) for two configurations; Verilator builds them all at
once (rtl/tb/tb_smoke_all.v, one slow build) for the default configuration and runs them concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from fixedpoint import Fmt, Overflow, Rounding, cast
from simulator import DatapathConfig
from simulator import datapath as dp
from simulator.reference import adder_conv
from simulator.rtl_params import (
    CORE_LATENCY,
    DIRECT_LATENCY,
    core_latency,
    direct_pe_parameters,
    rtl_parameters,
)
from winoadder.hw import hdl
from winoadder.hw.rtl import pack_words, rtl_sources, unpack_words
from winoadder.paths import TB_DIR

pytestmark = pytest.mark.rtl

DEFAULT = DatapathConfig.default()
# Unsigned activations, lavin, K = 1, a narrow wrapping accumulator, unsigned output with SHIFT = 2.
OTHER = DatapathConfig(transform="lavin", act_fmt=Fmt(6, 3, False), u_extra_frac=1, max_channels=8,
                       acc_width=12, acc_overflow=Overflow.WRAP, out_fmt=Fmt(5, 1, False),
                       rounding=Rounding.RND_CONV, overflow=Overflow.SAT_SYM, lanes=2)
CASES = [("iverilog", "default"), ("iverilog", "other"), ("verilator", "default")]
CASE_IDS = [f"{sim}-{name}" for sim, name in CASES]
CONFIGS = {"default": DEFAULT, "other": OTHER}
N_VECTORS = 300
N_TRANSACTIONS = 160
PATTERN_CYCLES = 613
TB_MEMORY_WORDS = 4096  # NMAX of the smoke testbenches
OUT_OVERFLOWS = [Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM]  # codes 0..3


@dataclass
class Case:
    """One testbench run: its parameters, stimulus words and a check of its output."""

    params: dict[str, int]
    words: list[int]
    width: int  # bits per stimulus word
    check: Callable  # combinational: check(lines); streaming: check(accepts, beats, gaps)
    streaming: bool = False


def _rng(*salt) -> np.random.Generator:
    return np.random.default_rng([20260529, *salt])


def _values(rng, lo: int, hi: int, shape) -> np.ndarray:
    """Random raw values in [lo, hi], a quarter of them pinned to the extremes."""
    x = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    pick = rng.random(shape)
    x[pick < 0.125] = lo
    x[(pick >= 0.125) & (pick < 0.25)] = hi
    return x


def _tiles(rng, fmt: Fmt, n: int) -> np.ndarray:
    return _values(rng, fmt.min_raw, fmt.max_raw, (n, 4, 4))


def _extreme_tiles(BT, fmt: Fmt) -> np.ndarray:
    """For each V position the two tiles reaching its lowest and highest value (32 tiles)."""
    coef = np.einsum("ia,jb->ijab", BT, BT).reshape(16, 4, 4)
    high = np.where(coef > 0, fmt.max_raw, fmt.min_raw)
    low = np.where(coef > 0, fmt.min_raw, fmt.max_raw)
    return np.concatenate([low, high]).astype(np.int64)


def _hex(lines, column: int = 0) -> list[int]:
    return [int(line.split()[column], 16) for line in lines]


# ---- combinational and accumulator cases ----------------------------------------------------------

def case_input_transform(cfg) -> Case:
    p = rtl_parameters(cfg)
    extremes = _extreme_tiles(cfg.transform.BT, cfg.act_fmt)
    d = np.concatenate([extremes, _tiles(_rng(1), cfg.act_fmt, N_VECTORS)])

    def check(lines):
        got = unpack_words(_hex(lines), p["WV"], 16).reshape(-1, 4, 4)
        assert np.array_equal(got, dp.input_transform(d, cfg.transform.BT))
        assert (got.min(), got.max()) == cfg.ranges["input_transform"]  # both extremes reached

    params = {k: p[k] for k in ("WA", "A_SIGNED", "WV", "BT")}
    return Case(params, pack_words([(d, p["WA"])]), 16 * p["WA"], check)


def case_align(cfg) -> Case:
    p = rtl_parameters(cfg)
    v = _values(_rng(2), *cfg.ranges["input_transform"], (N_VECTORS, 16))

    def check(lines):
        assert np.array_equal(unpack_words(_hex(lines), p["WVA"], 16), dp.align(v, cfg.u_extra_frac))

    params = {k: p[k] for k in ("WV", "K", "WVA")}
    return Case(params, pack_words([(v, p["WV"])]), 16 * p["WV"], check)


def steered(d: np.ndarray, wd: int) -> np.ndarray:
    """neg_abs_diff's steered word of D: {k, N[WD-2:0]}, k = (D >= 0), N = D if D < 0 else ~D."""
    k = (d >= 0).astype(np.int64)
    n = np.where(d < 0, d, -d - 1)
    return (k << (wd - 1)) | (n & ((1 << (wd - 1)) - 1))


def from_steered(words: np.ndarray, wd: int) -> np.ndarray:
    """M = -2^(WD-1) + N[WD-2:0] + k of steered words (unsigned WD-bit integers)."""
    return (words & ((1 << (wd - 1)) - 1)) - (1 << (wd - 1)) + (words >> (wd - 1))


def case_neg_abs_diff(cfg) -> Case:
    p = rtl_parameters(cfg)
    rng = _rng(3)
    u = _values(rng, cfg.u_fmt.min_raw, cfg.u_fmt.max_raw, (N_VECTORS, 16))
    va = dp.align(_values(rng, *cfg.ranges["input_transform"], (N_VECTORS, 16)), cfg.u_extra_frac)

    def check(lines):
        words = unpack_words(_hex(lines), p["WD"], 16, signed=False)
        got = from_steered(words, p["WD"])
        assert np.array_equal(got, dp.neg_abs_diff(u, va))
        assert np.array_equal(words, steered(u - va, p["WD"]))  # k is D's sign, not just any split
        assert got.min() == cfg.ranges["neg_abs_diff"][0]

    params = {k: p[k] for k in ("WU", "WVA", "WD")}
    return Case(params, pack_words([(u, p["WU"]), (va, p["WVA"])]), 16 * (p["WU"] + p["WVA"]), check)


def case_output_transform(cfg) -> Case:
    p = rtl_parameters(cfg)
    s = _values(_rng(4), *cfg.ranges["channel_accumulate"], (N_VECTORS, 4, 4))

    def check(lines):
        got = unpack_words(_hex(lines), p["WY"], 4).reshape(-1, 2, 2)
        assert np.array_equal(got, dp.output_transform(s, cfg.transform.AT))

    params = {k: p[k] for k in ("WS", "WY", "AT")}
    return Case(params, pack_words([(s, p["WS"])]), 16 * p["WS"], check)


def case_requantize(cfg) -> Case:
    """All 40 (overflow, rounding) modes at once, on wide values and values near the output range."""
    p = rtl_parameters(cfg)
    rng = _rng(5)
    lo, hi = cfg.ranges["output_transform"]
    out = cfg.out_fmt
    near = (rng.integers(out.min_raw - 3, out.max_raw + 4, N_VECTORS) << p["SHIFT"]) + rng.integers(
        0, 1 << p["SHIFT"], N_VECTORS)
    y = np.concatenate([_values(rng, lo, hi, N_VECTORS), np.clip(near, lo, hi)])

    def check(lines):
        got = unpack_words(_hex(lines), p["WO"], 40, signed=out.signed)
        for o, overflow in enumerate(OUT_OVERFLOWS):
            for r, rounding in enumerate(Rounding):
                want = dp.requantize(y, cfg.replace(rounding=rounding, overflow=overflow))
                assert np.array_equal(got[:, 10 * o + r], want), (rounding, overflow)

    params = {k: p[k] for k in ("WY", "WO", "O_SIGNED", "SHIFT")}
    return Case(params, pack_words([(y, p["WY"])]), p["WY"], check)


def accumulator_test_width(cfg) -> int:
    """Deliberately narrow (WM + 2 bits), so a few channels overflow it in both modes."""
    return rtl_parameters(cfg)["WM"] + 2


def accumulate_model(m, enable, clear, last, ws: int, sat: bool) -> np.ndarray:
    """channel_accumulate's drain buffer s after every edge (16 entries): next = overflow(acc + M);
    s <- next on en & last; acc <- 0 on clear, else next on en."""
    lo = -(1 << (ws - 1))
    acc = np.zeros(16, dtype=np.int64)
    s = np.zeros(16, dtype=np.int64)
    out = []
    for i in range(len(m)):
        total = acc + m[i]
        nxt = np.maximum(total, lo) if sat else ((total - lo) % (1 << ws)) + lo
        if enable[i] and last[i]:
            s = nxt
        if clear[i]:
            acc = np.zeros(16, dtype=np.int64)
        elif enable[i]:
            acc = nxt
        out.append(s)
    return np.array(out)


def case_channel_accumulate(cfg) -> Case:
    """A random en/clear/last stream into WRAP and SAT accumulators, steered (core) and plain M (direct)."""
    p = rtl_parameters(cfg)
    ws = accumulator_test_width(cfg)
    wd = p["WD"]
    rng = _rng(6)
    d = _values(rng, *cfg.ranges["neg_abs_diff_diff"], (N_VECTORS, 16))
    m = -np.abs(d)
    enable = rng.random(N_VECTORS) < 0.8
    clear = rng.random(N_VECTORS) < 0.08
    last = rng.random(N_VECTORS) < 0.3
    enable[0] = clear[0] = last[0] = True  # the drain buffers hold a value from the first edge on

    def check(lines):
        got = [unpack_words(_hex(lines, col), ws, 16) for col in range(4)]
        want_wrap = accumulate_model(m, enable, clear, last, ws, sat=False)
        want_sat = accumulate_model(m, enable, clear, last, ws, sat=True)
        for col, want in enumerate((want_wrap, want_sat, want_wrap, want_sat)):
            assert np.array_equal(got[col], want), col
        assert (want_sat == -(1 << (ws - 1))).any() and (want_wrap > 0).any()  # both overflow modes act

    flags = [(enable.astype(np.int64), 1), (clear.astype(np.int64), 1), (last.astype(np.int64), 1)]
    words = pack_words([(m, wd), (steered(d, wd), wd), *flags[::-1]])
    return Case({"WIN": wd, "WS": ws}, words, 32 * wd + 3, check)


# ---- streaming cases (core and direct PE) ---------------------------------------------------------

def _flags(rng, n: int, max_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Random accumulation lengths 1..min(max_channels, 6) covering n transactions."""
    first = np.zeros(n, dtype=bool)
    i = 0
    while i < n:
        first[i] = True
        i += int(rng.integers(1, min(max_channels, 6) + 1))
    return first, np.append(first[1:], True)


def stream_pattern(gaps: bool) -> np.ndarray:
    """Per-cycle bits {out_ready, offer a transaction}: random gaps and bursts of backpressure, or all on."""
    if not gaps:
        return np.array([3], dtype=np.int64)
    rng = _rng(7)
    offer = rng.random(PATTERN_CYCLES) < 0.7
    bursts = np.repeat(rng.random(PATTERN_CYCLES // 8 + 1) < 0.6, 8)[:PATTERN_CYCLES]
    ready = bursts | (rng.random(PATTERN_CYCLES) < 0.3)
    return offer.astype(np.int64) | (ready.astype(np.int64) << 1)


def flow_model(last, lanes: int, latency: int) -> tuple[list[int], list[int]]:
    """Cycles of the accepted transactions and of the output beats with no input gaps and out_ready high,
    by docs/rtl.md's throughput rule: a last transaction waits in stage 1 until the drain buffer is free
    (the previous accumulation's P beats have left it, one a cycle)."""
    accepts, beats = [], []
    s1_valid = s1_last = False
    busy, lane, idx, cycle = False, 0, 0, 0
    n = len(last)
    while idx < n or s1_valid or busy:
        take_last = busy and lane == lanes - 1
        advance = not (s1_valid and s1_last and busy and not take_last)
        if busy:
            beats.append(cycle + latency - 2)  # take, then (core) Y and the output register
        finish = advance and s1_valid and s1_last
        if advance:
            if idx < n:
                accepts.append(cycle)
            s1_valid, s1_last = idx < n, bool(last[idx]) if idx < n else False
            idx += int(idx < n)
        lane = 0 if take_last else lane + int(busy)
        busy = finish or (busy and not take_last)
        cycle += 1
    return accepts, beats


def _stream_check(want, last, p, latency):
    """Output beats equal ``want`` (lanes 0..P-1 of each accumulation, in order); without gaps also the
    accept and beat cycles of the documented throughput rule and latency."""
    def check(accepts, beats, gaps):
        assert len(accepts) == len(last)
        lanes = p["P"]
        got = unpack_words([y for _, _, y in beats], p["WO"], 4, signed=bool(p["O_SIGNED"]))
        assert np.array_equal(got, want.reshape(-1, 4))
        assert [lane for _, lane, _ in beats] == list(range(lanes)) * len(want)
        if not gaps:
            want_accepts, want_beats = flow_model(last, lanes, latency)
            assert accepts == want_accepts
            assert [c for c, _, _ in beats] == want_beats
    return check


def _bits(flags) -> tuple[np.ndarray, int]:
    return np.asarray(flags, dtype=np.int64), 1


def case_winoadder_core(cfg) -> Case:
    p = rtl_parameters(cfg)
    rng = _rng(8)
    n = N_TRANSACTIONS
    d = _tiles(rng, cfg.act_fmt, n)
    u = _values(rng, cfg.u_fmt.min_raw, cfg.u_fmt.max_raw, (n, cfg.lanes, 4, 4))
    first, last = _flags(rng, n, cfg.max_channels)
    want = dp.run_stream(cfg, d, u, first, last).out[last]
    words = pack_words([(d, p["WA"]), (u, p["WU"]), _bits(first), _bits(last)])
    width = 16 * p["WA"] + cfg.lanes * 16 * p["WU"] + 2
    return Case(p, words, width, _stream_check(want, last, p, core_latency(p)), streaming=True)


def direct_reference(cfg, d, g, first, last) -> np.ndarray:
    """Direct AdderNet per channel step (Σ_ab −|x − w| per output), accumulated and requantized."""
    p = direct_pe_parameters(cfg)
    windows = np.lib.stride_tricks.sliding_window_view(d, (3, 3), axis=(1, 2))  # (N, 2, 2, 3, 3)
    m = -np.abs(windows[:, None] - g[:, :, None, None]).sum(axis=(-2, -1))  # (N, P, 2, 2)
    n, lanes = g.shape[:2]
    every_pair = adder_conv(d[:, None].astype(float), g.reshape(n * lanes, 1, 3, 3).astype(float), padding=0)
    own = every_pair.reshape(n, n, lanes, 2, 2)[np.arange(n), np.arange(n)]  # transaction n with its own g
    assert np.array_equal(own, m)  # the simulator's float reference agrees on these small integers
    start = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0))
    partial = np.cumsum(m, axis=0)
    before = np.concatenate([np.zeros_like(partial[:1]), partial[:-1]])
    acc_fmt = Fmt(p["WS"], cfg.act_fmt.frac)
    acc = dp.accumulator_result((partial - before[start])[last], Fmt(p["WS"], 0), cfg.acc_overflow)
    return cast(acc, acc_fmt, cfg.out_fmt, cfg.rounding, cfg.overflow)


def case_adder_pe_direct(cfg) -> Case:
    p = direct_pe_parameters(cfg)
    rng = _rng(9)
    n = N_TRANSACTIONS
    d = _tiles(rng, cfg.act_fmt, n)
    g_fmt = Fmt(p["WG"], cfg.act_fmt.frac)
    g = _values(rng, g_fmt.min_raw, g_fmt.max_raw, (n, cfg.lanes, 3, 3))
    first, last = _flags(rng, n, cfg.max_channels)
    want = direct_reference(cfg, d, g, first, last)
    words = pack_words([(d, p["WA"]), (g, p["WG"]), _bits(first), _bits(last)])
    width = 16 * p["WA"] + cfg.lanes * 9 * p["WG"] + 2
    return Case(p, words, width, _stream_check(want, last, p, DIRECT_LATENCY), streaming=True)


CASE_BUILDERS = {
    "input_transform": case_input_transform,
    "align": case_align,
    "neg_abs_diff": case_neg_abs_diff,
    "channel_accumulate": case_channel_accumulate,
    "output_transform": case_output_transform,
    "requantize": case_requantize,
    "winoadder_core": case_winoadder_core,
    "adder_pe_direct": case_adder_pe_direct,
}


# ---- running ----------------------------------------------------------------------------------------

def _plusargs(module: str, case: Case, directory, tag: str, pattern=None) -> dict:
    """Write the case's stimulus (and pattern) files; return the testbench's plusargs."""
    assert len(case.words) <= TB_MEMORY_WORDS and (pattern is None or len(pattern) <= TB_MEMORY_WORDS)
    digits = -(-case.width // 4)
    stim = directory / f"{module}_{tag}.in"
    stim.write_text("".join(f"{w:0{digits}x}\n" for w in case.words))
    args = {f"{module}_in": stim, f"{module}_out": directory / f"{module}_{tag}.out",
            f"{module}_n": len(case.words)}
    if pattern is not None:
        pat = directory / f"{module}_{tag}.pattern"
        pat.write_text("".join(f"{x:x}\n" for x in pattern))
        args.update({f"{module}_pattern": pat, f"{module}_npat": len(pattern)})
    return args


def _read_output(module: str, case: Case, args: dict):
    text = args[f"{module}_out"].read_text()
    if not case.streaming:
        lines = text.splitlines()
        assert len(lines) == len(case.words)
        return lines
    accepts, beats = [], []
    for line in text.splitlines():
        fields = line.split()
        if fields[0] == "A":
            accepts.append(int(fields[1]))
        else:
            beats.append((int(fields[1]), int(fields[2]), int(fields[3], 16)))
    return accepts, beats


def _run(build, plusargs: dict) -> None:
    proc = build.run(plusargs)
    assert "ERROR" not in proc.stdout, proc.stdout


def _run_standalone(sim: str, module: str, case: Case, directory) -> None:
    """Build tb_smoke_<module> alone and run its check (twice, with and without gaps, if streaming)."""
    build = hdl.build(sim, f"tb_smoke_{module}", [*rtl_sources(), TB_DIR / f"tb_smoke_{module}.v"],
                      case.params)
    if not case.streaming:
        args = _plusargs(module, case, directory, "run")
        _run(build, args)
        case.check(_read_output(module, case, args))
        return
    for gaps in (True, False):
        args = _plusargs(module, case, directory, f"gaps{int(gaps)}", stream_pattern(gaps))
        _run(build, args)
        case.check(*_read_output(module, case, args), gaps)


def tb_smoke_all_parameters(cfg) -> dict[str, int]:
    direct = direct_pe_parameters(cfg)
    params = rtl_parameters(cfg)
    params.update({f"D_{k}": direct[k] for k in ("WG", "WDIF", "WP", "WS", "SHIFT", "ACC_SAT")})
    params["CA_WS"] = accumulator_test_width(cfg)
    return params


@pytest.fixture(scope="module")
def verilator_outputs(tmp_path_factory):
    """Run every smoke testbench in one Verilator build of tb_smoke_all (default config).

    Returns module -> a callable that runs the module's check (streams: with gaps, then without).
    """
    directory = tmp_path_factory.mktemp("verilator_smoke")
    build = hdl.build("verilator", "tb_smoke_all", [*rtl_sources(), *sorted(TB_DIR.glob("tb_smoke_*.v"))],
                      tb_smoke_all_parameters(DEFAULT))
    cases = {module: make(DEFAULT) for module, make in CASE_BUILDERS.items()}
    runs = {}
    for gaps in (True, False):
        plusargs, args_of = {}, {}
        for module, case in cases.items():
            if case.streaming or gaps:
                pattern = stream_pattern(gaps) if case.streaming else None
                args_of[module] = _plusargs(module, case, directory, f"gaps{int(gaps)}", pattern)
                plusargs.update(args_of[module])
        _run(build, plusargs)
        runs[gaps] = {module: _read_output(module, cases[module], args) for module, args in args_of.items()}

    def checker(module):
        case = cases[module]
        if not case.streaming:
            return lambda: case.check(runs[True][module])
        return lambda: [case.check(*runs[gaps][module], gaps) for gaps in (True, False)]

    return {module: checker(module) for module in cases}


@pytest.mark.parametrize("module", list(CASE_BUILDERS))
@pytest.mark.parametrize("sim,config", CASES, ids=CASE_IDS)
def test_smoke(sim, config, module, tmp_path, request):
    """Every module's smoke testbench, bit-exact with the simulator (core/direct PE: under gaps and
    backpressure, and at one transaction per cycle with the documented latency)."""
    if sim == "verilator":
        request.getfixturevalue("verilator_outputs")[module]()
    else:
        _run_standalone(sim, module, CASE_BUILDERS[module](CONFIGS[config]), tmp_path)


@pytest.mark.parametrize("out_fmt,shift", [(Fmt(12, 6, True), 0), (Fmt(8, -15, True), 21),
                                           (Fmt(3, 1, False), 5)])
def test_requantize_extreme_shifts_on_icarus(out_fmt, shift, tmp_path):
    """SHIFT = 0 (no rounding, only overflow acts), SHIFT = WY − 1 (the largest the RTL takes), and
    a narrow unsigned output."""
    cfg = DEFAULT.replace(out_fmt=out_fmt)
    assert rtl_parameters(cfg)["SHIFT"] == shift
    _run_standalone("iverilog", "requantize", case_requantize(cfg), tmp_path)


def test_a_shift_beyond_the_output_transform_width_never_reaches_the_rtl():
    with pytest.raises(ValueError, match="out_fmt: requantize would discard all"):
        rtl_parameters(DEFAULT.replace(out_fmt=Fmt(8, -16, True)))


def test_throughput_rule_one_transaction_per_cycle_when_every_accumulation_has_p_channels():
    """docs/rtl.md: with C >= P channels per accumulation nothing stalls; with C < P the input waits
    P - C cycles per accumulation (here C = 1, P = 4: a transaction every 4 cycles after the first)."""
    last = np.tile([False, False, False, True], 10)
    accepts, beats = flow_model(last, 4, CORE_LATENCY)
    assert accepts == list(range(40)) and beats == [c + CORE_LATENCY for c in range(3, 43)]
    accepts, _ = flow_model(np.ones(6, dtype=bool), 4, DIRECT_LATENCY)
    assert accepts == [0, 1, 5, 9, 13, 17]
