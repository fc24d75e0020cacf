"""`winoadder synth`: yosys report parsing, the cached parallel runner, a real synthesis, the CLI."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import winoadder.cli
from winoadder.hw import synth

DATA = Path(__file__).parent / "data"

# Captured with `winoadder synth` (yosys 0.23): winoadder_core, WA=4, P=1. The expected numbers below are
# read off yosys's own report (cells by type), not produced by the parser.
CAPTURED = {
    # FFs: SB_DFFE, SB_DFFESR, SB_DFFESS
    "ice40": {"lut4": 2391, "carry": 801, "ff": 440 + 245 + 16, "cells": 3893},
    # FFs: $_DFFE_PN_, $_SDFFCE_PN1N_, $_SDFFE_PP0N_, $_SDFFE_PP0P_
    "generic": {"lut4": None, "carry": None, "ff": 434 + 16 + 5 + 240, "cells": 7535},
    # winoadder_core, WA=8, P=1 (synth_xilinx): LUT2..LUT6 + INV; FDRE + FDSE
    "xilinx": {
        "lut6": 744 + 139 + 191 + 335 + 745 + 276, "carry4": 366, "srl": 0, "ff": 973 + 16, "cells": 4471,
    },  # fmt: skip
}

LATCHY = """
module latchy (
    input en,
    input [3:0] a,
    output reg [3:0] q,
    output [1:0] undriven
);
    always @(*) if (en) q = a;
endmodule
"""

COUNTER = """
module counter #(
    parameter W = 4,
    parameter [31:0] STEP = 32'd1
) (
    input clk,
    input rst,
    output reg [W-1:0] q
);
    localparam UNUSED = 3;
    always @(posedge clk) q <= rst ? {W{1'b0}} : q + STEP[W-1:0];
endmodule
"""


@pytest.mark.parametrize("target", ["ice40", "generic", "xilinx"])
def test_parse_stat_on_captured_report(target):
    report = json.loads((DATA / f"yosys_stat_{target}.json").read_text())
    counts = synth.parse_stat(report, "winoadder_core", target)
    assert {k: counts[k] for k in CAPTURED[target]} == CAPTURED[target]
    assert counts["latch_cells"] == 0
    assert sum(counts["cells_by_type"].values()) == counts["cells"]


def test_parse_stat_falls_back_to_the_top_module():
    report = json.loads((DATA / "yosys_stat_ice40.json").read_text())
    del report["design"]
    assert synth.parse_stat(report, "winoadder_core", "ice40")["lut4"] == CAPTURED["ice40"]["lut4"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.v"
    path.write_text(text)
    return path


def test_latch_and_undriven_wire_are_reported(tmp_path):
    job = synth.SynthJob("latchy", "generic", (_write(tmp_path, "latchy", LATCHY),))
    result = synth.synthesize(job, cache_dir=tmp_path / "cache")
    assert result["latches"] == 1
    assert result["latch_cells"] == 4
    assert result["check_problems"] == 2  # the two undriven bits


def test_cache_is_reused_and_safe_under_concurrent_runs(tmp_path):
    source = _write(tmp_path, "counter", COUNTER)
    job = synth.SynthJob("counter", "ice40", (source,), (("W", 6), ("STEP", 3)))
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda j: synth.synthesize(j, cache_dir=cache), [job, job])
    again = synth.synthesize(job, cache_dir=cache)
    assert again["cached"]
    for result in (first, second, again):
        assert {k: result[k] for k in ("ff", "lut4", "carry", "cells")} == {
            k: first[k] for k in ("ff", "lut4", "carry", "cells")
        }
    assert first["ff"] == 6  # W = 6 reached the module through chparam
    assert [p.name for p in cache.iterdir()] == [job.cache_key(synth.yosys_version())]
    source.write_text(COUNTER.replace("q + STEP", "q - STEP"))
    assert not synth.synthesize(job, cache_dir=cache)["cached"]  # the key follows the RTL content


def test_declared_parameters_skip_localparams(tmp_path):
    assert synth.declared_parameters(_write(tmp_path, "counter", COUNTER), "counter") == ["W", "STEP"]


@pytest.mark.parametrize("design", synth.DESIGNS)
def test_real_synthesis_of_the_rtl_is_clean_and_sane(design, tmp_path):
    (job,) = synth.design_jobs(4, 1, "ice40", designs=[design])
    result = synth.synthesize(job, cache_dir=tmp_path)
    params = result["params"]
    assert result["latches"] == 0 and result["latch_cells"] == 0
    assert result["check_problems"] == 0
    assert result["lut4"] > 0 and result["carry"] > 0
    assert result["lut4"] + result["carry"] + result["ff"] <= result["cells"]
    # Every accumulator bit and the output register must survive synthesis.
    entries = 16 if design == "winoadder_core" else 4
    assert result["ff"] >= params["P"] * (entries * params["WS"] + 4 * params["WO"])
    row = synth.synthesis_row(4, 1, result)
    assert row["outputs_per_cycle"] == 4 * params["P"]
    assert row["lut4_per_output"] * row["outputs_per_cycle"] == result["lut4"]


def cli(argv: list[str]) -> int:
    return winoadder.cli.main(argv)


@pytest.fixture(autouse=True)
def only_the_synth_subcommand(monkeypatch):
    """The CLI's own dispatch and error handling, independent of the other subcommands' modules."""
    monkeypatch.setattr(winoadder.cli, "SUBCOMMANDS", {"synth": "winoadder.hw.synth"})


def test_missing_yosys_is_a_one_line_usage_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "synth.json"
    assert cli(["synth", "--widths", "4", "--lanes", "1", "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "yosys not found" in err and "apt-get install yosys" in err and "\n" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--widths", "8,x"], "--widths"),
        (["--widths", "1"], "--widths"),
        (["--lanes", "0"], "--lanes"),
        (["--target", "ice40,asic"], "--target"),
        (["--pnr", "ice40,vu9p"], "--pnr"),
        (["--freq", "0"], "--freq"),
        (["--activity-images", "0"], "--activity-images"),
        (["--channels", "64"], "--channels"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(argv, field, tmp_path, capsys):
    out = tmp_path / "synth.json"
    assert cli(["synth", *argv, "--json", str(out)]) == 2
    assert field in capsys.readouterr().err
    assert not out.exists()


def test_model_only_writes_the_energy_table(tmp_path, capsys):
    out = tmp_path / "synth.json"
    assert cli(["synth", "--model-only", "--widths", "8", "--channels", "16,32", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert "synthesis" not in report
    assert [r["design"] for r in report["energy"]] == [
        "cnn_direct",
        "cnn_winograd",
        "adder_direct",
        "adder_winograd",
    ]
    assert "52.4 %" in capsys.readouterr().out
