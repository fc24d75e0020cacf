"""`winoadder study`: accuracy of the trained variants against the datapath width.

For every model (``<models>/<variant>-<schedule>.npz``): the float test accuracy, then for each width
every 3×3 layer in fixed point (Winograd-adder layers on the bit-accurate simulator; formats from range
calibration on the training split, see ``winoadder.ml.nets.quantized``) over the test split, the rest of the
network in float. Writes ``study.txt`` (tables), ``study.csv``, ``study.json`` and ``study.png`` to --out.
Runs without torch, from the shipped .npz files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from functools import partial
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.options import int_list, int_range
from fixedpoint.safeio import check_out_dir, make_out_dir, write_files

HELP = (
    "accuracy vs datapath width of the trained cnn / adder / Winograd-adder networks (table, CSV, JSON, PNG)"
)
DEFAULT_WIDTHS = tuple(range(4, 17))
MIN_WIDTH, MAX_WIDTH = 3, 24


def parse_widths(text: str) -> list[int]:
    """``4..16``, ``4,6,8`` or a mix (``4..8,12``); each width MIN_WIDTH..MAX_WIDTH (fixedpoint.options)."""
    return int_list(text, "--widths", MIN_WIDTH, MAX_WIDTH)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from winoadder.ml.nets.model import VARIANTS
    from winoadder.ml.nets.schedules import SCHEDULES

    parser.add_argument(
        "--widths", default="4..16", help="datapath widths, e.g. 4..16 or 6,8,12 (default 4..16)"
    )
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated from {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--schedules",
        default=",".join(SCHEDULES),
        help=f"training schedules to include, from {', '.join(SCHEDULES)}",
    )
    parser.add_argument("--models", default=None, help="directory of trained .npz models (default: shipped)")
    parser.add_argument(
        "--data",
        default=None,
        help=".npz with images (N×C×H×W) and labels (N) matching the models; default digits",
    )
    parser.add_argument("--limit", type=int_range(1), default=None, help="use only the first N test images")
    parser.add_argument(
        "--out", default="winoadder-study", help="output directory (default ./winoadder-study)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--stage", default=None, choices=("act", "u", "acc", "out"),
                        help="sweep one stage's width per layer, every other stage exact (Winograd models)")
    from winoadder.ml.tune import add_executor_arguments

    add_executor_arguments(parser, quiet=False)


def load_models(models_dir: Path, variants: list[str], schedules: list[str]):
    from winoadder.ml.nets.model import Net

    if not models_dir.is_dir():
        raise UsageError(f"--models: {models_dir} is not a directory")
    nets = []
    for variant in variants:
        for schedule in schedules:
            path = models_dir / f"{variant}-{schedule}.npz"
            if path.is_file():
                nets.append(Net.load_checked(path, "--models"))
    if not nets:
        raise UsageError(
            f"--models: no <variant>-<schedule>.npz in {models_dir} for variants "
            f"{','.join(variants)} and schedules {','.join(schedules)}"
        )
    return nets


def check_compatible(nets, dataset) -> None:
    for net in nets:
        want = tuple(net.meta["image_shape"])
        if want != dataset.image_shape or net.meta["num_classes"] < dataset.num_classes:
            raise UsageError(
                f"--data: images {dataset.image_shape} with {dataset.num_classes} classes do not fit model "
                f"{net.name} ({want}, {net.meta['num_classes']} classes); train models on this data with "
                "`winoadder train --data FILE --out DIR` and pass --models DIR"
            )


def sqnr_db(reference: np.ndarray, test: np.ndarray, center: np.ndarray) -> float:
    """10·log10(signal/noise) of ``test`` against ``reference``; the signal is centred per channel by
    ``center`` (batch norm's running mean: the large constant offset of −Σ|·| carries no information)."""
    signal = float(np.sum((reference - center[:, None, None]) ** 2))
    noise = float(np.sum((test - reference) ** 2))
    if noise == 0 or signal == 0:
        return float("inf") if noise == 0 else float("-inf")
    return float(10 * np.log10(signal / noise))


def run_layer(net, quants, i: int, x: np.ndarray) -> np.ndarray:
    from winoadder.ml.nets.quantized import quantized_layer

    return quantized_layer(net, i, quants[i], x)


def study_model(net, dataset, widths, bar=None) -> dict:
    """Float accuracy and, per width, fixed-point accuracy with per-layer SQNR, formats and overflows."""
    from winoadder.ml.nets.model import accuracy
    from winoadder.ml.nets.quantized import calibrate, layer_formats

    ranges = calibrate(net, dataset.x_train)
    float_trace: list = []
    float_acc = accuracy(net.forward(dataset.x_test, trace=float_trace), dataset.y_test)
    rows = []
    for width in widths:
        quants = [layer_formats(net, i, r, width) for i, r in enumerate(ranges)]
        trace: list = []
        logits = net.forward(dataset.x_test, layer=partial(run_layer, net, quants), trace=trace)
        layers = []
        for i, (q, (_, y_q), (_, y_f)) in enumerate(zip(quants, trace, float_trace, strict=True)):
            layers.append(
                {
                    "layer": i,
                    "sqnr_db": sqnr_db(y_f, y_q, net.bn[i]["mean"]),
                    **q.describe(),
                    "overflow_total": q.overflows,
                }
            )
        rows.append({"width": width, "accuracy": accuracy(logits, dataset.y_test), "layers": layers})
        if bar is not None:
            bar.update(1)
    return {
        "model": net.name,
        "variant": net.variant,
        "schedule": net.meta["schedule"],
        "seed": net.meta["seed"],
        "float_accuracy": float_acc,
        "shipped_float_test_accuracy": net.meta.get("float_test_accuracy"),
        "results": rows,
    }


def accuracy_table(report: dict) -> str:
    from tabulate import tabulate

    widths = report["widths"]
    rows = [
        [m["model"], f"{100 * m['float_accuracy']:.1f}"]
        + [f"{100 * r['accuracy']:.1f}" for r in m["results"]]
        for m in report["models"]
    ]
    return tabulate(rows, headers=["model", "float"] + [f"W={w}" for w in widths], stralign="right")


def layer_table(report: dict) -> str:
    from tabulate import tabulate

    rows = []
    for m in report["models"]:
        for i in range(len(m["results"][0]["layers"])):
            cells = []
            for r in m["results"]:
                layer = r["layers"][i]
                cells.append(f"{layer['sqnr_db']:.1f}/{layer['overflow_total']}")
            rows.append([m["model"], i] + cells)
    return tabulate(rows, headers=["model", "layer"] + [f"W={w}" for w in report["widths"]])


def csv_text(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "model",
            "variant",
            "schedule",
            "seed",
            "width",
            "accuracy",
            "float_accuracy",
            "layer",
            "sqnr_db",
            "overflows",
            "input_overflows",
            "weight_overflows",
            "output_overflows",
            "act_fmt",
            "weight_fmt",
            "out_fmt",
        ]
    )
    for m in report["models"]:
        for r in m["results"]:
            for layer in r["layers"]:
                ovf = layer["overflows"]
                writer.writerow(
                    [
                        m["model"],
                        m["variant"],
                        m["schedule"],
                        m["seed"],
                        r["width"],
                        f"{r['accuracy']:.6f}",
                        f"{m['float_accuracy']:.6f}",
                        layer["layer"],
                        f"{layer['sqnr_db']:.3f}",
                        layer["overflow_total"],
                        ovf["input"],
                        ovf["weights"],
                        ovf["output"],
                        layer["act_fmt"],
                        layer["weight_fmt"],
                        layer["out_fmt"],
                    ]
                )
    return buf.getvalue()


def plot_png(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {"cosine": "-", "linear": "-.", "step": ":", "p1": "--"}
    colors = {"cnn": "tab:gray", "adder": "tab:blue", "wino_lavin": "tab:red", "wino_balanced": "tab:green"}
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    for m in report["models"]:
        ax.plot(
            report["widths"],
            [100 * r["accuracy"] for r in m["results"]],
            marker="o",
            markersize=3,
            linestyle=styles.get(m["schedule"], "-"),
            color=colors.get(m["variant"]),
            label=m["model"],
        )
    ax.set_xlabel("datapath width W (bits): activations, outputs; U and accumulators derived")
    ax.set_ylabel("top-1 test accuracy (%)")
    ax.set_title(f"accuracy vs width ({report['data']}, {report['n_test']} test images)")
    ax.set_xticks(report["widths"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png")  # path may be a temporary name without the suffix
    plt.close(fig)


def run(args) -> int:
    from tqdm import tqdm

    from winoadder.ml.nets import data as data_mod
    from winoadder.ml.nets.model import VARIANTS
    from winoadder.ml.nets.schedules import SCHEDULES
    from winoadder.ml.train import parse_list
    from winoadder.paths import MODELS_DIR

    widths = parse_widths(args.widths)
    variants = parse_list(args.variants, "--variants", VARIANTS)
    schedules = parse_list(args.schedules, "--schedules", SCHEDULES)
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit: expected a positive number of test images, got {args.limit}")
    out = check_out_dir(args.out, "--out")
    if args.stage:
        from winoadder.ml import stage

        wino = [v for v in variants if v.startswith("wino")]
        if not wino:
            raise UsageError("--stage: needs a Winograd-adder variant (wino_lavin, wino_balanced)")
        models_dir = Path(args.models) if args.models else MODELS_DIR
        check_compatible(load_models(models_dir, wino, schedules), data_mod.load(args.data))
        models = [models_dir / f"{v}-{s}.npz" for v in wino for s in schedules]
        data = str(Path(args.data).resolve()) if args.data else None
        return stage.run(args, [str(m.resolve()) for m in models if m.is_file()], widths, data)
    nets = load_models(Path(args.models) if args.models else MODELS_DIR, variants, schedules)
    dataset = data_mod.load(args.data)
    check_compatible(nets, dataset)
    if args.limit is not None:
        dataset = data_mod.Dataset(
            dataset.name,
            dataset.x_train,
            dataset.y_train,
            dataset.x_test[: args.limit],
            dataset.y_test[: args.limit],
        )
    report = {
        "data": dataset.name,
        "n_train": len(dataset.y_train),
        "n_test": len(dataset.y_test),
        "widths": widths,
        "models": [],
    }
    with tqdm(total=len(nets) * len(widths), desc="study", unit="run", disable=args.quiet) as bar:
        for net in nets:
            bar.set_postfix(model=net.name)
            report["models"].append(study_model(net, dataset, widths, bar))
    text = (
        f"top-1 test accuracy (%), {dataset.name}, {report['n_test']} test images\n"
        f"{accuracy_table(report)}\n\n"
        f"per layer: SQNR vs float (dB) / overflow count\n{layer_table(report)}\n"
    )
    make_out_dir(out, "--out")
    write_files({out / "study.txt": text, out / "study.csv": csv_text(report),
                 out / "study.json": json.dumps(report, indent=1) + "\n",
                 out / "study.png": partial(plot_png, report)}, option="--out")
    print(text + f"wrote {out}/study.txt, study.csv, study.json, study.png")
    return 0
