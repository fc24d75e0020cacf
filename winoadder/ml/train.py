"""`winoadder train`: train the study network's variants (PyTorch, optional extra) and save .npz models.

Writes ``<out>/<variant>-<schedule>.npz`` (parameters + metadata: variant, schedule, seed, epochs,
channels, float train/test accuracy of the numpy inference path). ``winoadder train --out
winoadder/ml/models`` plus ``--variants wino_balanced --schedules linear,step`` reproduces the shipped models.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.options import float_range, int_range
from fixedpoint.safeio import check_out_dir, make_out_dir
from winoadder import tools
from winoadder.paths import cache_dir

HELP = "train the study network (cnn, adder, Winograd-adder variants; l2-to-l1 schedules); needs torch"
DEFAULT_EPOCHS = 40
MAX_LR = 10.0


def parse_list(text: str, option: str, allowed: tuple[str, ...]) -> list[str]:
    """Comma-separated names, each one of ``allowed`` (fixedpoint.options.name_list)."""
    from fixedpoint.options import name_list

    return name_list(text, option, allowed)


def parse_channels(text: str) -> tuple[int, ...]:
    try:
        channels = tuple(int(s) for s in text.split(","))
    except ValueError:
        channels = ()
    if not channels or any(not 1 <= c <= 256 for c in channels):
        raise UsageError(f"--channels: expected comma-separated integers 1..256, got {text!r}")
    return channels


def check_finite(net, lr: float) -> None:
    """UsageError naming --lr when training diverged (a NaN or infinite parameter): nothing is saved."""
    arrays = [*net.conv, net.fc_weight, net.fc_bias, *(v for bn in net.bn for v in bn.values())]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise UsageError(f"--lr: training {net.name} diverged (NaN or infinite parameters) at learning rate "
                         f"{lr:g}; lower --lr. Nothing was saved for it")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from winoadder.ml.nets.model import VARIANTS
    from winoadder.ml.nets.schedules import SCHEDULES

    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated from {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--schedules",
        default="cosine,p1",
        help=f"exponent schedules for the adder variants, from {', '.join(SCHEDULES)} "
        "(cnn always trains once, as p1)",
    )
    parser.add_argument("--seed", type=int_range(0, 2**32 - 1), default=0,
                        help="torch and shuffling seed (default 0)")
    parser.add_argument("--epochs", type=int_range(1, 100_000), default=DEFAULT_EPOCHS,
                        help="epochs (default 40)")
    parser.add_argument("--max-steps", type=int_range(1), default=None, help="stop after this many steps")
    parser.add_argument("--batch-size", type=int_range(1, 1 << 20), default=64,
                        help="batch size (default 64)")
    parser.add_argument(
        "--lr", type=float_range(0, MAX_LR, lo_open=True), default=0.1,
        help=f"initial SGD learning rate in (0, {MAX_LR:g}] (cosine decay)",
    )
    parser.add_argument("--channels", default="16,32", help="channels of the 3×3 layers (default 16,32)")
    parser.add_argument(
        "--data", default=None, help=".npz with images (N×C×H×W) and labels (N); default digits"
    )
    parser.add_argument(
        "--out", default="winoadder-models", help="output directory (default ./winoadder-models)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def train_all(args, dataset, channels, variants, schedules, out: Path) -> list[list]:
    """Train and save every (variant, schedule) run; one table row each."""
    from winoadder.ml.nets import torch_net

    runs = [(v, "p1" if v == "cnn" else s) for v in variants for s in (["p1"] if v == "cnn" else schedules)]
    rows = []
    for variant, schedule in runs:
        net = torch_net.train_and_export(
            variant,
            schedule,
            dataset,
            seed=args.seed,
            epochs=args.epochs,
            max_steps=args.max_steps,
            batch_size=args.batch_size,
            lr=args.lr,
            channels=channels,
            progress=not args.quiet,
        )
        check_finite(net, args.lr)
        path = out / f"{net.name}.npz"
        net.save(path)
        m = net.meta
        rows.append(
            [
                variant,
                schedule,
                m["seed"],
                f"{100 * m['float_train_accuracy']:.2f}",
                f"{100 * m['float_test_accuracy']:.2f}",
                m["train_seconds"],
                str(path),
            ]
        )
    return rows


def run(args) -> int:
    from tabulate import tabulate

    from winoadder.ml.nets import data as data_mod
    from winoadder.ml.nets.model import VARIANTS
    from winoadder.ml.nets.schedules import SCHEDULES

    variants = parse_list(args.variants, "--variants", VARIANTS)
    schedules = parse_list(args.schedules, "--schedules", SCHEDULES)
    channels = parse_channels(args.channels)
    out = check_out_dir(args.out, "--out")
    tools.require("torch", "train")
    # torch's compiler cache (made empty in $TMPDIR by an optimizer step) goes to our cache instead
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "torchinductor"))
    dataset = data_mod.load(args.data)
    created = [d for d in (out, *out.parents) if not d.exists()]
    make_out_dir(out, "--out")
    try:
        rows = train_all(args, dataset, channels, variants, schedules, out)
    except BaseException:
        for directory in created:  # a failed run leaves no empty directories behind
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        raise
    print(tabulate(rows, headers=["variant", "schedule", "seed", "train %", "test %", "seconds", "file"]))
    return 0
