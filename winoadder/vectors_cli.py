"""`winoadder vectors`: vectors.cli plus ``--from-model NAME --layer K`` (a study model's layer on the study
data; the model loading lives here because the vectors package does not import winoadder)."""

from __future__ import annotations

import argparse

from fixedpoint.options import int_range
from vectors import cli as _vectors

HELP = _vectors.HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _vectors.add_arguments(parser)
    parser.add_argument("--from-model", metavar="NAME",
                        help="add the 'layer' class from a shipped model (e.g. wino_balanced-cosine) or a "
                             "model .npz: its layer --layer on the study data's test images")
    parser.add_argument("--layer", type=int, default=0, metavar="K", help="the model's 3x3 layer (default 0)")
    parser.add_argument("--images", type=int_range(1), default=4, metavar="N",
                        help="test images whose layer inputs are used (default 4)")


def run(args) -> int:
    if args.from_model:
        from fixedpoint.errors import UsageError

        if args.from_layer or args.weights:
            raise UsageError("--from-model: give either --from-model or --from-layer/--weights, not both")
        cfg = _vectors.load_config(args.config)
        x, w = model_layer(args.from_model, args.layer, args.images)
        args.layer_arrays = _vectors.load_arrays(x, w, cfg, "--from-model")
    return _vectors.run(args)


def model_layer(name: str, k: int, images: int):
    """(float layer inputs (N,C,H,W), float kernels (O,C,3,3)) of layer ``k`` of a study model."""
    from pathlib import Path

    from fixedpoint.errors import UsageError
    from winoadder.ml.nets.data import load
    from winoadder.ml.nets.model import Net
    from winoadder.paths import MODELS_DIR

    path = Path(name) if name.endswith(".npz") else MODELS_DIR / f"{name}.npz"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in MODELS_DIR.glob("*.npz")))
        raise UsageError(f"--from-model: no model {name!r} (shipped: {shipped}; or a path to a .npz)")
    net = Net.load_checked(path, "--from-model")
    if not 0 <= k < len(net.conv):
        raise UsageError(f"--layer: model {net.name} has 3x3 layers 0..{len(net.conv) - 1}, got {k}")
    data = load(None)
    if images > len(data.x_test):
        raise UsageError(f"--images: the study data has {len(data.x_test)} test images, got {images}")
    trace: list = []
    net.forward(data.x_test[:images], trace=trace)
    return trace[k][0], net.conv[k]
