"""explore on a Dask LocalCluster (a resumed run recomputes nothing), the Pareto front, the task cache."""

from __future__ import annotations

import pytest

from winoadder import dask_exec
from winoadder.ml import explore


def _square(task):
    if task["x"] == 3:
        raise RuntimeError("interrupted")
    return {"y": task["x"] ** 2}


def test_map_tasks_keeps_what_finished_and_resumes(tmp_path):
    tasks = [{"x": x} for x in range(5)]
    stats = dask_exec.MapStats()
    with pytest.raises(RuntimeError):
        dask_exec.map_tasks(_square, tasks, cache_dir=tmp_path, progress=False, stats=stats)
    cached = [dask_exec.read_cached(tmp_path, dask_exec.task_key(_square, t)) for t in tasks]
    assert cached[:3] == [{"y": 0}, {"y": 1}, {"y": 4}] and cached[3] is None
    again = dask_exec.MapStats()
    assert dask_exec.map_tasks(_square, tasks[:3] + tasks[:1], cache_dir=tmp_path, progress=False,
                               stats=again) == [{"y": 0}, {"y": 1}, {"y": 4}, {"y": 0}]
    assert (again.cached, again.computed) == (4, 0)
    assert dask_exec.task_key(_square, tasks[0], "a") != dask_exec.task_key(_square, tasks[0], "b")


def _cube(task):
    return {"y": task["x"] ** 3}


def test_task_groups_share_one_submission_and_keep_their_order(tmp_path):
    stats = dask_exec.MapStats()
    squares, cubes = dask_exec.map_task_groups(
        [(_square, [{"x": 2}, {"x": 1}, {"x": 2}], ""), (_cube, [{"x": 2}], "")],
        cache_dir=tmp_path, progress=False, stats=stats)
    assert squares == [{"y": 4}, {"y": 1}, {"y": 4}] and cubes == [{"y": 8}]
    assert (stats.total, stats.computed) == (4, 3)  # the repeated square once; the cube is its own task


def test_points_the_rtl_cannot_tell_apart_share_one_synthesis():
    sat, wrap = explore.grid({"matrices": ["balanced"], "width": [6], "lanes": [1],
                              "acc_overflow": ["SAT", "WRAP"], "rounding": ["RND"]})
    assert explore.synth_params(sat) == explore.synth_params(wrap)  # study formats: the accumulator is exact
    other = dict(sat, rounding="TRN")
    assert explore.synth_params(other) != explore.synth_params(sat)


def test_pareto_front():
    rows = [{"accuracy": a, "lut4": lut, "energy_pj": e}
            for a, lut, e in ((0.9, 100, 5.0), (0.95, 200, 6.0), (0.9, 150, 5.0), (0.8, 100, 4.0))]
    assert explore.pareto_front(rows) == [0, 1, 3]


@pytest.mark.rtl
def test_small_explore_on_a_local_cluster_resumes_without_recomputing(tmp_path):
    points = explore.grid({"matrices": ["balanced"], "width": [4], "lanes": [1], "acc_overflow": ["SAT"],
                           "rounding": ["RND", "TRN"]})
    first, second = dask_exec.MapStats(), dask_exec.MapStats()
    with dask_exec.dask_client(workers=1) as client:
        rows = explore.explore(points, client, tmp_path / "tasks", "none", False, stats=first)
        again = explore.explore(points, client, tmp_path / "tasks", "none", False, stats=second)
    assert first.computed > 0 and second.computed == 0 and second.cached == first.total
    assert rows == again
    assert all(r["lut4"] > 0 and r["energy_pj"] > 0 and 0 < r["accuracy"] <= 1 for r in rows)
    assert any(r["front"] for r in rows) and all(r["verified"] == "not run" for r in rows)


@pytest.mark.rtl
def test_explore_places_and_routes_each_distinct_core(tmp_path):
    points = explore.grid({"matrices": ["balanced"], "width": [4], "lanes": [1],
                           "acc_overflow": ["SAT", "WRAP"], "rounding": ["TRN"]})
    assert explore.synth_params(points[0]) == explore.synth_params(points[1])
    stats = dask_exec.MapStats()
    rows = explore.explore(points, None, tmp_path / "tasks", "none", False, stats=stats, pnr=("ice40",),
                           synth_cache=tmp_path / "synth", pnr_cache=tmp_path / "pnr")
    assert (stats.total, stats.computed) == (6, 4)  # one P&R and one synthesis for both; accuracy apiece
    for r in rows:
        assert r["pnr_ice40_lut4"] > 0 and r["pnr_ice40_ff"] == r["ff"] and r["pnr_ice40_fmax_mhz"] > 10
    assert "pnr_ice40_fmax_mhz" in explore.table(rows) and "pnr_ice40_lut4" in explore.csv_text(rows)


def test_bad_axis_and_scheduler(tmp_path, capsys):
    from winoadder import cli

    for args, needle in ((["--width", "2"], "--width"), (["--rounding", "NEAR"], "--rounding"),
                         (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler: cannot reach"),
                         (["--pnr", "gowin"], "--pnr: unknown device"), (["--freq", "0"], "--freq")):
        status = cli.main(["explore", *args, "--out", str(tmp_path / "o"), "--quiet"])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and len(err) == 1 and needle in err[0]
        assert not (tmp_path / "o").exists()
