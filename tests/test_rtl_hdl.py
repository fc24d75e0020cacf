"""winoadder.hw.hdl: the simulator runner's cache, parameters, plusargs, errors and concurrency."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from fixedpoint.errors import UsageError
from winoadder.hw import hdl

pytestmark = pytest.mark.rtl

PROBE = """
module probe;
    parameter WIDTH = 3;
    parameter PATTERN = 32'h0;
    integer n;
    initial begin
        if (!$value$plusargs("n=%d", n)) n = -1;
        $display("WIDTH=%0d PATTERN=%h n=%0d", WIDTH, PATTERN, n);
        if ($test$plusargs("stop")) $stop;
        $finish;
    end
endmodule
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache directory, so every test starts cold."""
    monkeypatch.setenv("WINOADDER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hdl"


def _directories(cache):
    return [p for p in cache.iterdir() if p.is_dir()]


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.v"
    path.write_text(PROBE)
    return path


def test_parameters_and_plusargs_reach_the_simulation(cache, probe):
    build = hdl.build("iverilog", "probe", [probe], {"WIDTH": 7, "PATTERN": 0xC4341431})
    out = build.run({"n": 5}).stdout
    assert "WIDTH=7 PATTERN=c4341431 n=5" in out
    assert "n=9" in build.run(["+n=9"]).stdout


def test_verilator_build_runs_the_same_probe(cache, probe):
    build = hdl.build("verilator", "probe", [probe], {"WIDTH": 7, "PATTERN": 0xC4341431})
    assert "WIDTH=7 PATTERN=c4341431 n=5" in build.run({"n": 5}).stdout
    assert build.build_seconds > 0 and not build.cached
    assert build.run(["+stop"], check=False).returncode != 0
    with pytest.raises(RuntimeError, match="verilator simulation of probe exited"):
        build.run(["+stop"])


def test_cache_is_content_addressed(cache, probe):
    first = hdl.build("iverilog", "probe", [probe], {"WIDTH": 4})
    again = hdl.build("iverilog", "probe", [probe], {"WIDTH": 4})
    assert not first.cached and again.cached
    assert again.directory == first.directory and again.build_seconds == first.build_seconds
    other_params = hdl.build("iverilog", "probe", [probe], {"WIDTH": 5})
    assert other_params.directory != first.directory
    probe.write_text(PROBE.replace("WIDTH=%0d", "W=%0d"))
    edited = hdl.build("iverilog", "probe", [probe], {"WIDTH": 4})
    assert edited.directory != first.directory and not edited.cached
    assert "W=4" in edited.run({}).stdout
    assert sorted(p.name for p in _directories(cache)) == sorted(
        {first.directory.name, other_params.directory.name, edited.directory.name})


def test_concurrent_builds_of_one_key_share_one_result(cache, probe):
    with ThreadPoolExecutor(4) as pool:
        builds = list(pool.map(lambda _: hdl.build("iverilog", "probe", [probe], {"WIDTH": 6}), range(4)))
    assert len({b.directory for b in builds}) == 1
    assert [p.name for p in _directories(cache)] == [builds[0].directory.name]  # no temp dirs left behind
    assert sum(not b.cached for b in builds) == 1  # the others waited for the lock and reused it
    assert "WIDTH=6" in builds[0].run({}).stdout


def test_compile_error_raises_and_leaves_no_partial_build(cache, tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module probe; initial begin $display(\"x\") end endmodule\n")
    with pytest.raises(RuntimeError, match="iverilog failed to build probe"):
        hdl.build("iverilog", "probe", [bad], {})
    assert not _directories(cache)


def test_missing_source_and_bad_parameter_are_usage_errors(cache, probe, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        hdl.build("iverilog", "probe", [tmp_path / "missing.v"], {})
    with pytest.raises(ValueError, match="params"):
        hdl.build("iverilog", "probe", [probe], {"WIDTH": "wide"})


def test_require_simulator_names_the_install_command(monkeypatch, tmp_path):
    assert os.path.basename(hdl.require_simulator("iverilog")) == "iverilog"
    with pytest.raises(UsageError, match="sim: unknown simulator 'modelsim'"):
        hdl.require_simulator("modelsim")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="apt-get install iverilog"):
        hdl.require_simulator("iverilog")
    with pytest.raises(UsageError, match="apt-get install verilator"):
        hdl.require_simulator("verilator")
