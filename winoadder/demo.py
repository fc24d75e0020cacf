"""`winoadder demo`: the main flow end to end on the embedded defaults.

Simulate a layer bit-accurately (checked against the float reference), write a vector set, verify it on
Icarus and Verilator, and print the accuracy-vs-bitwidth table of the shipped networks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.options import int_range
from fixedpoint.safeio import check_out_dir, make_out_dir

HELP = "run the whole flow on the defaults: simulate, write vectors, verify on both simulators, study"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    parser.add_argument("--config", type=Path, help="DatapathConfig JSON (default: the built-in default)")
    parser.add_argument("--count", type=int_range(0, 10_000_000), default=2000,
                        help="vector transactions (default 2000)")
    parser.add_argument("--sim", default="all", choices=["iverilog", "verilator", "all"])
    parser.add_argument("--seed", type=int_range(0, 2**32 - 1), default=1,
                        help="seed for the layer data and vectors")
    parser.add_argument("--widths", default="4,6,8,10,12,16", help="study widths (default 4,6,8,10,12,16)")


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _layer_data(cfg, seed: int):
    rng = np.random.default_rng(seed)
    act = cfg.act_fmt
    x = rng.uniform(act.min_value, act.max_value, size=(1, 8, 15, 15))
    g = rng.normal(0.0, act.max_value / 4, size=(8, 8, 3, 3))
    return x, g


def _sized_config(out: Path, seed: int) -> Path:
    """The default config with out_fmt sized for the demo layer (proved never to clip); saved to out."""
    from simulator import DatapathConfig
    from winoadder.ml.bound import size_output

    default = DatapathConfig.default()
    cfg = size_output(default, _layer_data(default, seed)[1])
    path = out / "config.json"
    cfg.save(path)
    print(f"datapath sized for the demo layer: out_fmt {default.out_fmt} -> {cfg.out_fmt} (the interval "
          f"analysis of this layer's U proves requantize never clips); config {path}:\n  {cfg}")
    return path


def _simulate_layer(out: Path, config: Path | None, seed: int) -> int:
    from fixedpoint import Fmt, from_float, to_float
    from simulator import DatapathConfig
    from simulator.cli import save_npy_atomic
    from simulator.layer import conv_layer
    from simulator.reference import winograd_adder_conv
    from simulator.weights import prepare_weights
    from winoadder.cli import main as cli

    cfg = DatapathConfig.load(config)
    act = cfg.act_fmt
    x, g = _layer_data(cfg, seed)
    save_npy_atomic(out / "layer_x.npy", x)
    save_npy_atomic(out / "layer_g.npy", g)
    x_raw = from_float(x, act, "RND", "SAT")
    u_raw = prepare_weights(g, cfg)
    result = conv_layer(cfg, x_raw, u_raw)
    ref = winograd_adder_conv(to_float(x_raw, act), to_float(u_raw, cfg.u_fmt), cfg.transform)
    y_fmt: Fmt = cfg.y_fmt
    exact = np.array_equal(result.y, (ref * 2.0**y_fmt.frac).astype(np.int64))
    print(
        f"8->8 channels, 15x15, {cfg.transform.name}: Y before requantize equals the float64 reference "
        f"x 2^{y_fmt.frac} exactly: {'yes' if exact else 'NO'}"
    )
    requantize = result.stats["requantize"]
    if requantize.overflows:
        print(
            f"note: requantize clipped {requantize.overflows} of {requantize.count} tile outputs "
            f"to {cfg.out_fmt} "
            f"({cfg.overflow}); this layer's Y reaches {result.stats['output_transform'].min} "
            f"(raw {y_fmt}) — choose out_fmt in the config for your layer's range"
        )
    status = cli(["simulate", "--config", str(config), "--input", str(out / "layer_x.npy"),
                  "--weights", str(out / "layer_g.npy"), "--out", str(out / "layer_y.npy"), "--stats"])
    return status if exact else 1


def check_options(args: argparse.Namespace) -> None:
    """Every option, the config and the tools, checked before anything is written."""
    from simulator import DatapathConfig
    from vectors.generator import check_budget, parse_classes
    from winoadder.hw.hdl import require_simulator
    from winoadder.ml.study import parse_widths

    check_out_dir(args.out, "--out")
    try:
        cfg = DatapathConfig.load(args.config) if args.config else DatapathConfig.default()
    except ValueError as exc:
        raise UsageError(f"--config: {exc}") from None
    parse_widths(args.widths)
    check_budget(cfg, args.count, parse_classes("random,directed"))
    for sim in ("iverilog", "verilator") if args.sim == "all" else (args.sim,):
        require_simulator(sim)


def run(args: argparse.Namespace) -> int:
    from winoadder.cli import main as cli

    out: Path = args.out
    check_options(args)
    make_out_dir(out, "--out")

    _step("1/4 simulate a layer bit-accurately")
    config = args.config or _sized_config(out, args.seed)
    config_args = ["--config", str(config)]
    if _simulate_layer(out, config, args.seed):
        return 1

    _step("2/4 write a test-vector set")
    vec_dir = out / "vectors"
    status = cli(["vectors", *config_args, "--count", str(args.count), "--seed", str(args.seed),
                  "--classes", "random,directed", "--out", str(vec_dir), "--force"])
    if status:
        return status

    _step(f"3/4 verify the RTL on {args.sim}")
    status = cli(["verify", str(vec_dir), "--sim", args.sim])
    if status:
        return status

    _step("4/4 accuracy against datapath width (shipped networks, digits test split)")
    status = cli(["study", "--widths", args.widths, "--out", str(out / "study")])
    if status:
        return status
    print(f"\ndemo: all steps passed; outputs in {out}/")
    return 0
