"""`winoadder synth --pnr/--activity`: nextpnr report parsing, the pin wrapper, real P&R of a small
design on both devices, VCD toggle counting and the real-layer activity harness."""

import json
from pathlib import Path

import numpy as np
import pytest

import winoadder.cli
from winoadder.hw import activity, pnr, synth

COUNTER = """
module counter #(parameter W = 4) (input clk, input rst, input en, output reg [W-1:0] q);
    always @(posedge clk) q <= rst ? {W{1'b0}} : q + {{(W-1){1'b0}}, en};
endmodule
"""


def _lc(lut: int, dff: bool, carry: bool) -> dict:
    params = {"LUT_INIT": format(lut, "016b"), "DFF_ENABLE": str(int(dff)), "CARRY_ENABLE": str(int(carry))}
    return {"type": "ICESTORM_LC", "parameters": params}


def test_routed_counts_ice40_classify_lcs():
    cells = [_lc(0x6996, True, True), _lc(0b10, True, False), _lc(0, False, True), _lc(0xFF00, False, False)]
    routed = {"modules": {"top": {"cells": {f"c{i}": c for i, c in enumerate(cells)}}}}
    # 3 LUTs in use, one of them the pass-through of a lone flip-flop; 2 FFs; 2 carry bits
    assert pnr.routed_counts(routed, "ice40") == {"lc": 4, "lut": 3, "lut_logic": 2, "ff": 2, "carry": 2}


def test_routed_counts_ecp5_count_lut_slots_and_carry_bits():
    cells = [{"type": "TRELLIS_COMB", "parameters": {"MODE": m}} for m in ("LOGIC", "CCU2", "CCU2", "LOGIC")]
    cells += [{"type": "TRELLIS_FF", "parameters": {}}] * 3 + [{"type": "TRELLIS_IO", "parameters": {}}]
    routed = {"modules": {"top": {"cells": {f"c{i}": c for i, c in enumerate(cells)}}}}
    assert pnr.routed_counts(routed, "ecp5") == {"lc": 4, "lut": 4, "lut_logic": 2, "carry": 2, "ff": 3}


def test_report_fmax_takes_the_slowest_clock():
    report = {
        "fmax": {"a": {"achieved": 120.123, "constraint": 100}, "b": {"achieved": 80.5, "constraint": 100}}
    }
    assert pnr.report_fmax(report) == 80.5
    with pytest.raises(RuntimeError, match="no clock"):
        pnr.report_fmax({"fmax": {}})


def test_critical_path_names_the_slowest_paths_ends_and_splits_its_delay():
    def seg(kind, delay, src, dst):
        return {"type": kind, "delay": delay, "from": {"cell": src}, "to": {"cell": dst}}

    fast = [seg("clk-to-q", 0.5, "a", "a"), seg("routing", 1.0, "a", "b"), seg("setup", 0.1, "b", "b")]
    slow = [seg("clk-to-q", 0.5, "q", "q"), seg("routing", 2.0, "q", "l"), seg("logic", 0.25, "l", "l"),
            seg("routing", 3.0, "l", "d"), seg("setup", 0.0, "d", "d")]  # fmt: skip
    report = {"critical_paths": [{"from": "posedge clk", "path": p} for p in (fast, slow)]}
    want = {"from": "q", "to": "d", "ns": 5.75, "logic_ns": 0.75, "routing_ns": 5.0}
    assert pnr.critical_path(report) == want
    assert pnr.critical_path({"critical_paths": []}) is None


def test_pin_wrapper_feeds_every_input_bit_and_counts_its_own_cells():
    ports = [("input", "clk", 1), ("input", "rst", 1), ("input", "a", 5), ("input", "b", 3),
             ("output", "y", 17), ("output", "v", 1)]  # fmt: skip
    text, overhead = pnr.pin_wrapper("dut_mod", {"W": 3}, ports)
    assert "reg [7:0] sr;" in text and ".a(sr[4:0])" in text and ".b(sr[7:5])" in text
    assert "dut_mod #(.W(3)) dut" in text
    # 18 output bits -> 5 XOR nodes -> 2 -> 1: 8 registered nodes
    assert text.count("always @(posedge clk) x") == 8
    assert overhead == {"ff": 8 + 8, "lut": 8 + 8, "lut_logic": 8, "lc": 8 + 8}


@pytest.mark.parametrize("device", pnr.DEVICES)
def test_real_place_and_route_of_a_counter(device, tmp_path, monkeypatch):
    """One small run per device: the wrapper is subtracted exactly (W flip-flops remain) and Fmax is real.
    ECP5 runs on the 25k part here: the same tools, a smaller chip database to load."""
    monkeypatch.setattr(pnr, "ECP5_PART", ("--25k", "CABGA256"))
    source = tmp_path / "counter.v"
    source.write_text(COUNTER)
    job = pnr.PnrJob("counter", device, (source,), (("W", 12),), 50.0)
    result = pnr.place_and_route(job, cache_dir=tmp_path / "cache")
    assert result["fits"] and result["ff"] == 12
    assert result["carry"] >= 10 and result["lut"] >= result["lut_logic"] > 0
    assert 20 < result["fmax_mhz"] < 1000
    path = result["critical_path"]  # the slowest path sets Fmax
    assert path["ns"] == pytest.approx(1000 / result["fmax_mhz"], rel=0.01)
    assert path["logic_ns"] + path["routing_ns"] == pytest.approx(path["ns"], abs=0.02)  # each rounded
    again = pnr.place_and_route(job, cache_dir=tmp_path / "cache")
    assert again["cached"] and again["fmax_mhz"] == result["fmax_mhz"]


def test_count_toggles_counts_known_bit_changes_only(tmp_path):
    vcd = tmp_path / "t.vcd"
    vcd.write_text(
        '$timescale 1ns $end\n$scope module dut $end\n$var reg 4 ! q [3:0] $end\n$var reg 1 " f $end\n'
        '$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\nbxxxx !\nx"\n$end\n'
        '#10\nb1010 !\n1"\n#20\nb101 !\n0"\n#30\nb1x1 !\n#40\nb11 !\n'
    )
    # q: xxxx->1010 (0), 1010->0101 (4), 0101->01x1 (bit 1 becomes unknown: 0), 01x1->0011 (bit 2
    # falls: 1; bit 1 was unknown: 0); f: x->1 (0), 1->0 (1)
    assert activity.count_toggles(vcd) == {"q [3:0]": 5, "f": 1}


def test_layer_transactions_follow_the_layer_order():
    cfg = activity.layer_config(8, 4)
    tx = activity.layer_transactions(cfg, 1)
    net, _, _ = activity._model_and_ranges()
    o, c = net.conv[activity.LAYER].shape[:2]
    tiles = 4  # 4x4 maps, 2x2 output tiles
    assert len(tx["d"]) == tiles * (o // 4) * c
    assert tx["first"].sum() == tx["last"].sum() == tiles * (o // 4)
    assert tx["first"][0] and tx["last"][c - 1] and not tx["last"][: c - 1].any()
    from simulator.weights import prepare_weights

    u = prepare_weights(net.conv[activity.LAYER], cfg)
    assert np.array_equal(tx["u"][c + 3], u[4:8, 3])  # second group, channel 3
    assert np.array_equal(tx["d"][0], tx["d"][c])  # every group sees the same tile
    assert not np.array_equal(tx["d"][0], tx["d"][1])  # channels differ (a real, nonuniform layer)


def test_activity_of_both_designs_on_the_real_layer():
    rows = activity.run_activity([4], [1], 1)
    assert [r["design"] for r in rows] == ["winoadder_core", "adder_pe_direct"]
    for row in rows:
        lasts = row["transactions"] // 16  # layer 1 has 16 input channels
        assert row["output_beats"] == lasts  # P = 1: one beat per accumulation in either output layout
        assert row["toggles"] > row["transactions"] and row["register_bits"] > 100
        assert row["toggles_per_output"] == pytest.approx(row["toggles"] / (4 * row["transactions"]))
    assert rows[0]["core_over_direct"] == pytest.approx(
        rows[0]["toggles_per_output"] / rows[1]["toggles_per_output"]
    )


@pytest.fixture
def synth_cli(monkeypatch):
    monkeypatch.setattr(winoadder.cli, "SUBCOMMANDS", {"synth": "winoadder.hw.synth"})
    return winoadder.cli.main


def test_missing_nextpnr_is_a_one_line_usage_error(synth_cli, monkeypatch, tmp_path, capsys):
    import shutil

    (tmp_path / "yosys").symlink_to(shutil.which("yosys"))
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "synth.json"
    assert synth_cli(["synth", "--widths", "4", "--lanes", "1", "--pnr", "ice40", "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "nextpnr-ice40 not found" in err and "apt-get install nextpnr-ice40" in err and "\n" not in err
    assert not out.exists()


def test_real_xilinx_synthesis_of_a_counter(tmp_path):
    source = tmp_path / "counter.v"
    source.write_text(COUNTER)
    result = synth.synthesize(
        synth.SynthJob("counter", "xilinx", (source,), (("W", 12),)), cache_dir=tmp_path
    )
    assert result["ff"] == 12 and result["carry4"] == 3 and result["lut6"] > 0 and result["lut4"] is None


def _captured_synthesis(jobs, progress=None):
    """synthesize_all stand-in: every job gets the captured xilinx report's counts."""
    report = json.loads((Path(__file__).parent / "data" / "yosys_stat_xilinx.json").read_text())
    counts = synth.parse_stat(report, "winoadder_core", "xilinx")
    return [{"top": j.top, "target": j.target, "params": dict(j.params), **counts, "latches": 0,
             "check_problems": 0, "warnings": 0, "seconds": 1.0, "cached": True} for j in jobs]  # fmt: skip


def test_cli_pnr_and_xilinx_rows_in_json(synth_cli, tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(synth, "synthesize_all", _captured_synthesis)

    def fake_pnr(job, cache_dir=None):
        calls.append(job)
        fits = job.device == "ecp5" or job.top == "adder_pe_direct"
        base = {"top": job.top, "device": job.device, "params": dict(job.params), "fits": fits,
                "synth_seconds": 1.0, "pnr_seconds": 2.0, "cached": False}  # fmt: skip
        if fits:
            base.update(
                lut=400 if job.top == "winoadder_core" else 500,
                lut_logic=300,
                carry=50,
                ff=100,
                fmax_mhz=90.0,
            )
        return base

    monkeypatch.setattr(pnr, "place_and_route", fake_pnr)
    out = tmp_path / "synth.json"
    argv = [
        "synth",
        "--widths",
        "4",
        "--lanes",
        "1",
        "--target",
        "xilinx",
        "--pnr",
        "ice40,ecp5",
        "--json",
        str(out),
    ]
    assert synth_cli(argv) == 0
    report = json.loads(out.read_text())
    assert {r["target"] for r in report["synthesis"]} == {"xilinx"}
    assert all(r["lut6"] > 0 and r["carry4"] > 0 and r["lut4"] is None for r in report["synthesis"])
    assert len(report["pnr"]) == 4 and {j.freq_mhz for j in calls} == {100.0}
    row = next(r for r in report["pnr"] if r["device"] == "ecp5" and r["design"] == "winoadder_core")
    assert row["lut_per_output"] == 100 and row["outputs_per_us"] == 360
    printed = capsys.readouterr().out
    assert "LUT4 core/direct" in printed and "0.800" in printed  # ecp5 only: the ice40 core did not fit
    assert set(report["pnr_tools"]) == {"ice40", "ecp5"}


def test_pnr_cache_key_follows_the_rtl(tmp_path):
    source = Path(tmp_path / "counter.v")
    source.write_text(COUNTER)
    job = pnr.PnrJob("counter", "ecp5", (source,), (("W", 4),), 100.0)
    key = job.cache_key(("y", "n"), "")
    assert key == job.cache_key(("y", "n"), "")
    assert key != job.cache_key(("y", "n2"), "")
    assert key != pnr.PnrJob("counter", "ecp5", (source,), (("W", 4),), 120.0).cache_key(("y", "n"), "")
    source.write_text(COUNTER.replace("q +", "q -"))
    assert key != job.cache_key(("y", "n"), "")
    assert synth.outputs_per_cycle({"P": 4}) == 16


def test_ice40_points_bigger_than_the_part_are_skipped():
    rows = [
        {"target": "ice40", "design": "winoadder_core", "act_width": 8, "lanes": 4, "lut4": 10067},
        {"target": "ice40", "design": "adder_pe_direct", "act_width": 8, "lanes": 1, "lut4": 2071},
    ]
    assert "10067 LUT4s" in synth.too_big_for_ice40(rows, "winoadder_core", 8, 4)
    assert synth.too_big_for_ice40(rows, "adder_pe_direct", 8, 1) is None
    assert synth.too_big_for_ice40(rows, "adder_pe_direct", 8, 4) is None  # not synthesized: nextpnr decides
