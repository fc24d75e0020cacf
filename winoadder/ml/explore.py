"""`winoadder explore`: a design-space grid with study accuracy, yosys area, op-count energy and verification,
and its Pareto front (accuracy up, area down, energy down).

A point is (matrices, datapath width W, lanes P, accumulator overflow mode, requantize rounding). Its network
is the shipped ``wino_<matrices>-p1`` with every layer at study's formats for W (``layer_formats``) and the
point's modes; accuracy is its top-1 on the test split (as ``study``). Its hardware is ``winoadder_core`` at
the widest layer's config with P lanes: iCE40 LUT4 from yosys (``winoadder.hw.synth``), and the op-count
arithmetic energy per image (``winoadder.hw.opcount``). Front points (``--verify all``: every point) get a
vector set verified bit-exactly on Verilator. Accuracy, synthesis and verification are Dask tasks on the
executor of ``winoadder.dask_exec``, cached by content.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import tempfile
from pathlib import Path

from fixedpoint.errors import UsageError

HELP = "design-space grid: accuracy x yosys area x energy, verified; Pareto front (Dask)"
AXES = {
    "matrices": ("balanced", "lavin"),
    "width": (6, 8, 10),
    "lanes": (1, 2),
    "acc_overflow": ("SAT", "WRAP"),
    "rounding": ("RND", "TRN"),
}
VERIFY_COUNT = 300


def parse_axes(args) -> dict:
    """The grid from the CLI's comma lists (each value checked against what the datapath allows)."""
    from fixedpoint import Rounding
    from fixedpoint.options import int_list, name_list

    allowed = {"matrices": ("balanced", "lavin"), "acc_overflow": ("SAT", "WRAP"),
               "rounding": tuple(r.value for r in Rounding)}
    axes = {}
    for name, default in AXES.items():
        text = getattr(args, name)
        option = f"--{name.replace('_', '-')}"
        if text is None:
            axes[name] = list(default)
        elif name in ("width", "lanes"):
            axes[name] = int_list(text, option, 3 if name == "width" else 1, 16, ranges=False)
        else:
            axes[name] = name_list(text, option, allowed[name])
    return axes


def grid(axes: dict) -> list[dict]:
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


def network_configs(point: dict) -> list:
    """Per-layer DatapathConfigs of the point's network (study formats at W, the point's modes and P)."""
    from winoadder.ml import tune

    model = str(tune.resolve_model(f"wino_{point['matrices']}"))
    cfgs = tune.layer_configs(model, None, {"uniform": point["width"]}, point["lanes"])
    return [c.replace(acc_overflow=point["acc_overflow"], rounding=point["rounding"]) for c in cfgs]


def accuracy_task(task: dict) -> dict:
    """Test-split top-1 of the point's network (lanes do not change it)."""
    from winoadder.ml import tune
    from winoadder.ml.nets.model import accuracy

    model = str(tune.resolve_model(f"wino_{task['matrices']}"))
    net, splits, _, _, floats = tune.context(model, None)
    cfgs = network_configs(dict(task, lanes=1))
    x, y = splits["test"]
    counts = [dict() for _ in cfgs]
    logits = net.forward(x, layer=lambda i, h: tune.run_layer(net, i, cfgs[i], h, counts[i])[0])
    return {"accuracy": accuracy(logits, y), "float_accuracy": floats["test"][0], "overflows": counts}


def hardware_config(point: dict):
    """The core's config: the widest layer's (most input channels)."""
    return max(network_configs(point), key=lambda c: c.max_channels)


def synth_params(point: dict) -> list:
    """The core's Verilog parameters at the point's hardware config (the synthesis task's identity)."""
    from simulator.rtl_params import rtl_parameters

    return sorted([k, v] for k, v in rtl_parameters(hardware_config(point)).items())


def synth_task(task: dict) -> dict:
    """yosys iCE40 area of winoadder_core at the given parameters.

    Points that differ only in what the RTL does not see (e.g. WRAP and SAT where the accumulator is
    exact) have the same parameters, hence the same task: ``map_tasks`` runs it once.
    """
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.synth import SynthJob, synthesize

    params = tuple((k, v) for k, v in task["params"])
    job = SynthJob("winoadder_core", "ice40", tuple(rtl_sources()), params)
    cache = Path(task["synth_cache"]) if task.get("synth_cache") else None
    r = synthesize(job, cache)
    return {k: r[k] for k in ("lut4", "carry", "ff", "cells", "latches", "check_problems", "seconds")}


def pnr_task(task: dict) -> dict:
    """Post-route LUT4, flip-flops and Fmax of winoadder_core at the given parameters on one device
    (``winoadder.hw.pnr``: nextpnr-ice40 on an HX8K in its pin wrapper, nextpnr-ecp5 on an 85F)."""
    from winoadder.hw.pnr import PnrJob, place_and_route
    from winoadder.hw.rtl import rtl_sources

    job = PnrJob("winoadder_core", task["device"], tuple(rtl_sources()),
                 tuple((k, v) for k, v in task["params"]), task["freq_mhz"])
    cache = Path(task["pnr_cache"]) if task.get("pnr_cache") else None
    r = place_and_route(job, cache)
    if not r["fits"]:
        return {"fits": False}
    return {"fits": True, "lut4": r["lut"], "ff": r["ff"], "fmax_mhz": r["fmax_mhz"]}


def verify_task(task: dict) -> dict:
    """A vector set of the point's hardware config, run bit-exactly on Verilator."""
    from vectors.manifest import create_vector_set, read_vector_set
    from winoadder.hw.verify import run_simulator

    cfg = hardware_config(task["point"])
    with tempfile.TemporaryDirectory(prefix="winoadder-explore-") as tmp:
        create_vector_set(Path(tmp) / "v", cfg, count=task["count"], seed=1)
        result = run_simulator(read_vector_set(Path(tmp) / "v"), "verilator")
    return {"ok": result.ok, "passed": result.passed, "failed": result.failed, "outputs": result.outputs}


def energy_pj(point: dict) -> float:
    from winoadder.ml import tune

    model = str(tune.resolve_model(f"wino_{point['matrices']}"))
    return tune.energy_pj(model, None, network_configs(point))


def pareto_front(rows: list[dict]) -> list[int]:
    """Indices of the rows no other row dominates (accuracy ≥, lut4 ≤, energy ≤, one strictly)."""
    def dominates(a, b):
        ge = a["accuracy"] >= b["accuracy"] and a["lut4"] <= b["lut4"] and a["energy_pj"] <= b["energy_pj"]
        gt = a["accuracy"] > b["accuracy"] or a["lut4"] < b["lut4"] or a["energy_pj"] < b["energy_pj"]
        return ge and gt

    return [i for i, r in enumerate(rows) if not any(dominates(o, r) for o in rows)]


def explore(points: list[dict], client, cache: Path | None, verify: str, progress: bool,
            synth_cache: Path | None = None, stats=None, pnr: tuple[str, ...] = (),
            freq_mhz: float = 100.0, pnr_cache: Path | None = None) -> list[dict]:
    """Every point's accuracy, area, energy and verification status, with its front membership; with
    ``pnr`` devices also post-route LUT4, FF and Fmax per device (``pnr_<device>_*`` columns)."""
    from winoadder import __version__
    from winoadder.dask_exec import file_digest, map_task_groups, map_tasks
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.synth import yosys_version
    from winoadder.paths import MODELS_DIR

    models = sorted({p["matrices"] for p in points})
    salt_acc = json.dumps([__version__, [file_digest(MODELS_DIR / f"wino_{m}-p1.npz") for m in models]])
    salt_hw = json.dumps([salt_acc, yosys_version(), [file_digest(s) for s in rtl_sources()]])
    if pnr:
        from winoadder.hw.pnr import tool_versions

        salt_pnr = json.dumps([salt_hw, {d: tool_versions(d) for d in pnr}])
    acc_tasks = [{k: v for k, v in p.items() if k != "lanes"} for p in points]
    params = [synth_params(p) for p in points]
    synth_tasks = [{"params": q, "synth_cache": str(synth_cache) if synth_cache else None} for q in params]
    pnr_tasks = [{"params": q, "device": d, "freq_mhz": freq_mhz,
                  "pnr_cache": str(pnr_cache) if pnr_cache else None} for d in pnr for q in params]
    # the long place-and-route and synthesis tasks go first; the accuracy tasks fill the gaps
    groups = [(synth_task, synth_tasks, salt_hw), (accuracy_task, acc_tasks, salt_acc)]
    if pnr:
        groups.insert(0, (pnr_task, pnr_tasks, salt_pnr))
    results = map_task_groups(groups, client=client, cache_dir=cache, desc="explore", progress=progress,
                              stats=stats)
    routed = results.pop(0) if pnr else []
    areas, accs = results
    rows = []
    for i, (p, a, s) in enumerate(zip(points, accs, areas, strict=True)):
        row = {**p, "accuracy": a["accuracy"], "float_accuracy": a["float_accuracy"],
               "lut4": s["lut4"], "ff": s["ff"], "carry": s["carry"], "latches": s["latches"],
               "energy_pj": energy_pj(p), "verified": "not run"}
        for j, device in enumerate(pnr):
            r = routed[j * len(points) + i]
            row[f"pnr_{device}_lut4"] = r.get("lut4") if r["fits"] else "does not fit"
            row[f"pnr_{device}_ff"] = r.get("ff") if r["fits"] else None
            row[f"pnr_{device}_fmax_mhz"] = r.get("fmax_mhz") if r["fits"] else None
        rows.append(row)
    front = pareto_front(rows)
    for i in front:
        rows[i]["front"] = True
    chosen = range(len(rows)) if verify == "all" else front if verify == "front" else []
    if chosen:
        ver = map_tasks(verify_task, [{"point": points[i], "count": VERIFY_COUNT} for i in chosen],
                        client=client, cache_dir=cache, salt=salt_hw, desc="explore verify",
                        progress=progress, stats=stats)
        for i, v in zip(chosen, ver, strict=True):
            rows[i]["verified"] = "passed" if v["ok"] else f"FAILED ({v['failed']} of {v['outputs']})"
    for r in rows:
        r.setdefault("front", False)
    return rows


# -------------------------------------------------------------------------------------------- output

COLUMNS = ("matrices", "width", "lanes", "acc_overflow", "rounding", "accuracy", "lut4", "ff", "energy_pj",
           "verified", "front")


def columns(rows: list[dict]) -> tuple[str, ...]:
    """COLUMNS, with the post-route columns before ``energy_pj`` when the rows have them."""
    routed = tuple(k for k in (rows[0] if rows else {}) if k.startswith("pnr_"))
    i = COLUMNS.index("energy_pj")
    return COLUMNS[:i] + routed + COLUMNS[i:]


def table(rows: list[dict]) -> str:
    from tabulate import tabulate

    cols = columns(rows)
    body = [[f"{100 * r[c]:.1f}" if c == "accuracy" else r[c] for c in cols] for r in rows]
    return tabulate(body, headers=cols, floatfmt=".1f")


def csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(rows), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def plot_png(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    sc = ax.scatter([r["lut4"] for r in rows], [100 * r["accuracy"] for r in rows],
                    c=[r["energy_pj"] for r in rows], s=[40 if r["front"] else 12 for r in rows],
                    edgecolors=["black" if r["front"] else "none" for r in rows], cmap="viridis")
    fig.colorbar(sc, ax=ax, label="arithmetic energy per image (pJ)")
    ax.set_xlabel("winoadder_core iCE40 LUT4 (yosys)")
    ax.set_ylabel("top-1 test accuracy (%)")
    ax.set_title(f"explore: {len(rows)} points, front outlined")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")  # path may be a temporary name without the suffix
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from winoadder.ml.tune import add_executor_arguments

    for name, default in AXES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None,
                            help=f"comma list (default {','.join(map(str, default))})")
    parser.add_argument("--verify", default="front", choices=("front", "all", "none"),
                        help="which points get vectors + verify on Verilator (default front)")
    parser.add_argument("--pnr", default=None, metavar="DEVICES",
                        help="also place and route every distinct core on these devices (comma list of "
                             "ice40,ecp5; default none): post-route LUT4, FF and Fmax columns")
    parser.add_argument("--freq", type=float, default=100.0, metavar="MHZ",
                        help="the place-and-route clock constraint (default 100)")
    parser.add_argument("--out", type=Path, default=Path("winoadder-explore"), help="output directory")
    add_executor_arguments(parser)


def parse_pnr(text: str | None, freq: float) -> tuple[str, ...]:
    """The --pnr devices (checked, their tools found) and a sane --freq."""
    from fixedpoint.options import name_list
    from winoadder.hw.pnr import DEVICES, require_device_tools

    devices = tuple(name_list(text, "--pnr", DEVICES, what="device")) if text else ()
    if not 1 <= freq <= 2000:
        raise UsageError(f"--freq: expected a clock constraint in 1..2000 MHz, got {freq:g}")
    for d in devices:
        require_device_tools(d, "explore")
    return devices


def run(args) -> int:
    from fixedpoint.safeio import check_out_dir, make_out_dir, write_files
    from winoadder.dask_exec import MapStats, dask_client
    from winoadder.hw.synth import require_yosys
    from winoadder.paths import task_cache

    points = grid(parse_axes(args))
    pnr = parse_pnr(args.pnr, args.freq)
    check_out_dir(args.out, "--out")
    require_yosys()
    cache = task_cache(args.cache)
    stats = MapStats()
    with dask_client(args.scheduler, args.workers) as client:
        rows = explore(points, client, cache, args.verify, not args.quiet, stats=stats, pnr=pnr,
                       freq_mhz=args.freq)
    front = [r for r in rows if r["front"]]
    text = (f"{len(rows)} points ({stats.total} tasks: {stats.cached} from the cache, {stats.computed} "
            f"computed); Pareto front (accuracy up, LUT4 down, energy down): {len(front)} points\n"
            f"{table(front)}\n\nall points\n{table(rows)}\n")
    out = make_out_dir(args.out, "--out")
    write_files({out / "explore.json": json.dumps(rows, indent=1) + "\n", out / "explore.csv": csv_text(rows),
                 out / "explore.txt": text, out / "explore.png": lambda p: plot_png(rows, p)}, option="--out")
    print(text + f"wrote {out}/explore.txt, explore.csv, explore.json, explore.png")
    return 0
