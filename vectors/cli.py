"""`winoadder vectors`: write a hardware test-vector set (hex for $readmemh, .npz, manifest, coverage)."""

from __future__ import annotations

import argparse

HELP = ("generate test vectors for winoadder_core or adder_pe_direct: $readmemh hex, .npz, manifest with "
        "sha256 and coverage")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="JSON", help="DatapathConfig JSON (default: the default config)")
    parser.add_argument("--count", type=int, default=10000, metavar="N",
                        help="transactions of the random classes (default 10000); directed add theirs")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--classes", default="random,directed", metavar="LIST",
                        help="comma-separated groups (random, directed) or class names (default: both)")
    parser.add_argument("--top", default="winoadder_core", choices=("winoadder_core", "adder_pe_direct"),
                        help="the design the set targets (default winoadder_core); adder_pe_direct sets hold "
                             "3x3 kernels and the direct AdderNet reference's outputs")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created atomically)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")


def run(args) -> int:
    from tabulate import tabulate

    from simulator import DatapathConfig
    from vectors.coverage import coverage_rows, missed
    from vectors.manifest import create_vector_set

    cfg = DatapathConfig.load(args.config) if args.config else DatapathConfig.default()
    manifest = create_vector_set(args.out, cfg, count=args.count, seed=args.seed, classes=args.classes,
                                 force=args.force, top=args.top)
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
