"""`winoadder simulate`: one convolution layer through the bit-accurate datapath."""

from __future__ import annotations

from pathlib import Path

from fixedpoint.errors import UsageError
from fixedpoint.options import int_range

MAX_PADDING = 1 << 16
HELP = "run a conv layer through the bit-accurate Winograd-adder datapath (raw .npy in, raw .npy out)"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--config", metavar="C", help="DatapathConfig JSON (default: DatapathConfig.default())"
    )
    parser.add_argument(
        "--input",
        metavar="X.npy",
        help="activations (N,C,H,W) or (C,H,W): integers are raw values in act_fmt, floats "
        "are real values (quantized with the config's rounding, saturated)",
    )
    parser.add_argument(
        "--weights",
        metavar="W.npy",
        help="float kernels (O,C,3,3) (prepared with weight_rounding) or raw integer U (O,C,4,4)",
    )
    parser.add_argument("--out", metavar="Y.npy", help="raw outputs (N,O,Ho,Wo) in out_fmt, int64")
    parser.add_argument("--padding", type=int_range(0, MAX_PADDING), default=1,
                        help=f"zero padding 0..{MAX_PADDING} (default 1: same size)")
    parser.add_argument("--stats", action="store_true", help="print per-stage ranges and overflow counts")
    parser.add_argument(
        "--family",
        metavar="MATRICES",
        help="instead of simulating: list the sign-flip family of a preset or matrices JSON "
        "with each member's output coefficient sums",
    )


def _load_array(path: str, option: str):
    """A .npy array (not a pickle, not an .npz archive), checked against the memory budget before it is
    read into memory."""
    import numpy as np

    from fixedpoint import budget

    file = Path(path)
    if not file.exists():
        raise UsageError(f"{option}: no such file: {path}")
    if not file.is_file():
        raise UsageError(f"{option}: {path} is not a regular file")
    try:
        mapped = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError, EOFError) as exc:
        raise UsageError(f"{option}: {path} is not a .npy array ({str(exc).splitlines()[0]})") from None
    if not isinstance(mapped, np.ndarray):  # an .npz archive
        mapped.close()
        raise UsageError(f"{option}: {path} is an .npz archive; give one .npy array (np.save)")
    budget.check(mapped.nbytes * 3, option=option, what=f"the array {path} of shape {mapped.shape}")
    if mapped.size == 0:
        raise UsageError(f"{option}: {path} is empty (shape {mapped.shape})")
    return np.array(mapped)


def _activations(x, cfg, stats, option: str = "--input"):
    import numpy as np

    from fixedpoint import CastStats, Overflow, from_float

    if x.ndim not in (3, 4):
        raise UsageError(f"{option}: expected shape (N, C, H, W) or (C, H, W), got {x.shape}")
    if x.dtype.kind in "iu":
        if x.dtype == np.uint64 and int(x.max()) > np.iinfo(np.int64).max:
            raise UsageError(f"{option}: raw value {int(x.max())} outside act_fmt {cfg.act_fmt} "
                             f"[{cfg.act_fmt.min_raw}, {cfg.act_fmt.max_raw}]")
        raw = x.astype(np.int64)
        lo, hi = int(raw.min()), int(raw.max())
        if lo < cfg.act_fmt.min_raw or hi > cfg.act_fmt.max_raw:
            raise UsageError(
                f"{option}: raw values [{lo}, {hi}] outside act_fmt {cfg.act_fmt} "
                f"[{cfg.act_fmt.min_raw}, {cfg.act_fmt.max_raw}]"
            )
    elif x.dtype.kind == "f":
        cast_stats = CastStats()
        try:
            raw = from_float(x, cfg.act_fmt, cfg.rounding, Overflow.SAT, stats=cast_stats)
        except ValueError as exc:
            raise UsageError(f"{option}: {str(exc).removeprefix('x: ')}") from None
        stats.update(overflows=cast_stats.overflows, zeroed=cast_stats.zeroed)
    else:
        raise UsageError(f"{option}: expected integer or float values, got dtype {x.dtype}")
    return raw if raw.ndim == 4 else raw[None]


def _weights(w, cfg, stats):
    import numpy as np

    from fixedpoint import CastStats
    from simulator.weights import prepare_weights

    if w.ndim == 4 and w.shape[2:] == (3, 3) and w.dtype.kind in "fiu":
        cast_stats = CastStats()
        try:
            u = prepare_weights(w, cfg, stats=cast_stats)
        except ValueError as exc:
            raise UsageError(f"--weights: {str(exc).removeprefix('x: ').removeprefix('weights: ')}") from None
        stats.update(overflows=cast_stats.overflows, zeroed=cast_stats.zeroed)
        return u
    if w.ndim == 4 and w.shape[2:] == (4, 4):
        if w.dtype.kind not in "iu":
            raise UsageError(
                f"--weights: a (O, C, 4, 4) array is raw U and must hold integers, got {w.dtype}"
            )
        if w.dtype == np.uint64 and int(w.max()) > np.iinfo(np.int64).max:
            raise UsageError(f"--weights: raw U value {int(w.max())} outside u_fmt {cfg.u_fmt}")
        u = w.astype(np.int64)
        lo, hi = int(u.min()), int(u.max())
        if lo < cfg.u_fmt.min_raw or hi > cfg.u_fmt.max_raw:
            raise UsageError(
                f"--weights: raw U values [{lo}, {hi}] outside u_fmt {cfg.u_fmt} "
                f"[{cfg.u_fmt.min_raw}, {cfg.u_fmt.max_raw}]"
            )
        return u
    raise UsageError(f"--weights: expected float kernels (O, C, 3, 3) or raw U (O, C, 4, 4), got {w.shape}")


def save_npy_atomic(path: Path, array, option: str = "--out") -> None:
    """np.save through the one write path (fixedpoint.safeio.write_file)."""
    import numpy as np

    from fixedpoint.safeio import write_file

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, array)

    write_file(path, write, option=option)


def layer_bytes(x_shape, u_shape, padding: int) -> int:
    """Peak working bytes of conv_layer on these shapes (padded input, tiles x channels for V/Va and the
    per-position distance matrices, outputs), an upper estimate used for the memory budget."""
    n, c, h, w = x_shape
    o = u_shape[0]
    hp, wp = h + 2 * padding, w + 2 * padding
    tiles = n * max(hp - 2, 1) * max(wp - 2, 1) // 4 + n
    return 8 * (2 * n * c * hp * wp + 3 * 16 * tiles * c + 4 * tiles * o + 2 * 16 * o * c)


def check_layer(x_shape, u_shape, cfg, padding: int, x_option: str = "--input") -> None:
    """A layer of raw activations (N,C,H,W) and U (O,C,4,4) that ``cfg`` can run at ``padding``, within
    the memory budget (shared by ``simulate`` and ``vectors --from-layer``)."""
    from fixedpoint import budget

    if u_shape[1] != x_shape[1]:
        raise UsageError(f"--weights: {u_shape[1]} input channels, but {x_option} has {x_shape[1]}")
    if x_shape[1] > cfg.max_channels:
        raise UsageError(
            f"{x_option}: {x_shape[1]} channels exceed the config's max_channels={cfg.max_channels}"
        )
    if min(x_shape[2:]) + 2 * padding < 3:
        raise UsageError(f"--padding: an input of {x_shape[2]}x{x_shape[3]} needs padding >= "
                         f"{(3 - min(x_shape[2:]) + 1) // 2} for a 3x3 kernel")
    budget.check(layer_bytes(x_shape, u_shape, padding), option="--padding" if padding > 1 else x_option,
                 what=f"the layer {tuple(x_shape)} -> {u_shape[0]} channels, padding {padding}")


def _print_family(matrices: str) -> int:
    from simulator.transforms import format_family, resolve, sign_flip_family

    try:
        transform = resolve(matrices)
    except ValueError as exc:
        raise UsageError(f"--family: {str(exc).removeprefix('matrices: ')}") from None
    print(format_family(sign_flip_family(transform)))
    return 0


def run(args) -> int:
    if args.family:
        return _print_family(args.family)
    missing = [f"--{name}" for name in ("input", "weights", "out") if not getattr(args, name)]
    if missing:
        raise UsageError(f"{', '.join(missing)}: required (or use --family)")
    from simulator.config import DatapathConfig
    from simulator.layer import conv_layer
    from simulator.stats import format_stats

    if args.config:
        if not Path(args.config).is_file():
            raise UsageError(f"--config: no such file: {args.config}")
        try:
            cfg = DatapathConfig.load(args.config)
        except ValueError as exc:
            raise UsageError(f"--config: {exc}") from None
    else:
        cfg = DatapathConfig.default()
    from fixedpoint.safeio import resolve_file_target

    out_path = Path(args.out)
    resolve_file_target(out_path, "--out")
    input_counts, weight_counts = {}, {}
    x_file = _load_array(args.input, "--input")
    x = _activations(x_file, cfg, input_counts)
    u = _weights(_load_array(args.weights, "--weights"), cfg, weight_counts)
    check_layer(x.shape, u.shape, cfg, args.padding)
    result = conv_layer(cfg, x, u, padding=args.padding, exact_stats=args.stats)
    for name, counts in (("input", input_counts), ("weights", weight_counts)):
        if counts:
            result.stats[name].record_range(0, 0, 0, **counts)
    out = result.out if x_file.ndim == 4 else result.out[0]
    save_npy_atomic(out_path, out)
    if args.stats:
        print(format_stats(result.stats, cfg))
    print(f"wrote {out_path}: shape {tuple(out.shape)}, raw {cfg.out_fmt}")
    return 0
