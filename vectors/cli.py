"""`winoadder vectors`: write a hardware test-vector set (hex for $readmemh, .npz, manifest, coverage)."""

from __future__ import annotations

import argparse

from fixedpoint.options import int_range
from simulator.cli import MAX_PADDING

HELP = ("generate test vectors for winoadder_core or adder_pe_direct: $readmemh hex, .npz, manifest with "
        "sha256 and coverage")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="JSON", help="DatapathConfig JSON (default: the default config)")
    parser.add_argument("--count", type=int_range(0), default=10000, metavar="N",
                        help="transactions of the random classes (default 10000); directed add theirs")
    parser.add_argument("--seed", type=int_range(0, 2**64 - 1), default=0, metavar="S",
                        help="random seed (default 0)")
    parser.add_argument("--classes", metavar="LIST",
                        help="comma-separated groups (random, directed) or class names (default: both; with "
                             "--from-layer none)")
    parser.add_argument("--top", default="winoadder_core", choices=("winoadder_core", "adder_pe_direct"),
                        help="the design the set targets (default winoadder_core); adder_pe_direct sets hold "
                             "3x3 kernels and the direct AdderNet reference's outputs")
    parser.add_argument("--from-layer", metavar="X.npy",
                        help="add the 'layer' class: a real layer's activations (N,C,H,W) or (C,H,W), raw "
                             "integers or floats, as 'simulate --input' takes them (needs --weights); "
                             "--count bounds it (winoadder_core sets)")
    parser.add_argument("--weights", metavar="W.npy",
                        help="the layer's float kernels (O,C,3,3) or raw U (O,C,4,4), as 'simulate' takes "
                             "them")
    parser.add_argument("--padding", type=int_range(0, MAX_PADDING), default=1,
                        help="the layer's zero padding 0..65536 (default 1)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created atomically)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")


def load_config(path):
    """The config of --config (default: the default config); errors name --config."""
    from fixedpoint.errors import UsageError
    from simulator import DatapathConfig

    if path is None:
        return DatapathConfig.default()
    try:
        return DatapathConfig.load(path)
    except ValueError as exc:
        raise UsageError(f"--config: {exc}") from None


def run(args) -> int:
    from tabulate import tabulate

    from fixedpoint.errors import UsageError
    from fixedpoint.safeio import check_dir_target
    from simulator.cli import check_layer
    from vectors.coverage import coverage_rows, missed
    from vectors.generator import parse_classes
    from vectors.manifest import create_vector_set

    cfg = load_config(args.config)
    if args.classes is not None:
        parse_classes(args.classes, option="--classes")
    check_dir_target(args.out, "--out", force=args.force)
    layer = getattr(args, "layer_arrays", None)
    if layer is None and (args.from_layer or args.weights):
        layer = load_layer(args.from_layer, args.weights, cfg)
    if layer is not None and args.top != "winoadder_core":
        raise UsageError("--from-layer: layer vectors are winoadder_core sets (--top winoadder_core)")
    if layer is not None:
        check_layer(layer[0].shape, layer[1].shape, cfg, args.padding,
                    "--from-layer" if args.from_layer else "--from-model")
    if layer is None:
        manifest = create_vector_set(args.out, cfg, count=args.count, seed=args.seed,
                                     classes=args.classes or "random,directed", force=args.force,
                                     top=args.top)
    else:
        manifest = create_layer_set(args.out, cfg, layer, count=args.count, seed=args.seed,
                                    classes=args.classes, padding=args.padding, force=args.force)
    print(f"wrote {args.out} ({args.top}): {manifest['transactions']} transactions, {manifest['outputs']} "
          f"outputs, {manifest['beats']} output beats ({cfg})")
    print(tabulate([[c["name"], c["transactions"], c["outputs"]] for c in manifest["classes"]],
                   headers=["class", "transactions", "outputs"]))
    print()
    print(tabulate(coverage_rows(manifest["coverage"]), headers=["event", "applicable", "hits", "hit by"]))
    print()
    ranges = [[s, *e["bound"], *(e["observed"] or ["-", "-"])] for s, e in manifest["stage_ranges"].items()]
    print(tabulate(ranges, headers=["stage", "bound min", "bound max", "reached min", "reached max"]))
    not_hit = missed(manifest["coverage"])
    if not_hit:
        print(f"\napplicable events not hit: {', '.join(not_hit)}")
    return 0


def load_layer(x_path, w_path, cfg):
    """(raw activations (N,C,H,W), raw U (O,C,4,4)) from the .npy files 'simulate' takes."""
    from fixedpoint.errors import UsageError
    from simulator.cli import _load_array

    if not x_path or not w_path:
        raise UsageError("--from-layer: --from-layer X.npy and --weights W.npy go together")
    return load_arrays(_load_array(x_path, "--from-layer"), _load_array(w_path, "--weights"), cfg,
                       "--from-layer")


def load_arrays(x, w, cfg, x_option: str):
    """Raw activations and U from arrays as 'simulate' takes them (floats quantized with the config)."""
    from simulator.cli import _activations, _weights

    stats: dict = {}
    return _activations(x, cfg, stats, x_option), _weights(w, cfg, stats)


def create_layer_set(out, cfg, layer, *, count, seed, classes, padding, force):
    """A set whose first class is the layer's transactions (at most ``count``), then ``classes`` if given."""
    from pathlib import Path

    from vectors.generator import concatenate, generate, layer_transactions
    from vectors.manifest import write_transactions

    out = Path(out)
    x_raw, u = layer
    parts = [layer_transactions(cfg, x_raw, u, padding=padding, limit=count)]
    if classes:
        parts.append(generate(cfg, count, seed, classes))
    return write_transactions(out, cfg, concatenate(parts), seed=seed, count=count, force=force)
