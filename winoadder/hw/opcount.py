"""Arithmetic operations per 2×2 output tile, and the energy they cost, for four convolution datapaths.

Designs (one layer, ``c_in`` input and ``c_out`` output channels, 3×3 kernel, one m×m output tile):

- ``cnn_direct``: every output sums its taps products x·w per input channel (window sum), then
  accumulates over input channels.
- ``adder_direct`` (AdderNet, the RTL's ``adder_pe_direct``): as ``cnn_direct`` with −|x − w| terms.
- ``cnn_winograd``: V = BᵀdB per input channel, c_in·c_out element-wise products U⊙V, accumulation over
  input channels in the Winograd domain, Y = AᵀSA once per output channel.
- ``adder_winograd``: as ``cnn_winograd`` with −|U − V| in place of U⊙V (the winoadder datapath).

Counts are derived from the matrices: a transform is applied as two 1-D passes, and applying a matrix
with entries in {−1, 0, 1} to one vector costs (nonzeros − 1) add/sub per row (a row that is a lone −1 is
a negation, counted as one add). The weight transform GgGᵀ is offline and not counted. ``abs`` is the
conditional negation of a two's-complement difference, counted as one add of its width.

Energies: Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm,
interpolated in bit width (adds linear, multiplies quadratic through the 8- and 32-bit integer figures).
The model counts arithmetic only: no memory traffic, registers, control or FPGA LUT mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fixedpoint.fmt import Fmt

# Horowitz, ISSCC 2014, "Computing's energy problem (and what we can do about it)", 45 nm, pJ per op.
HOROWITZ_45NM_PJ = {
    ("int_add", 8): 0.03,
    ("int_add", 32): 0.1,
    ("int_mul", 8): 0.2,
    ("int_mul", 32): 3.1,
    ("fp_add", 16): 0.4,
    ("fp_mul", 16): 1.1,
    ("fp_add", 32): 0.9,
    ("fp_mul", 32): 3.7,
}

DESIGNS = ("cnn_direct", "cnn_winograd", "adder_direct", "adder_winograd")


def add_energy_pj(width: int) -> float:
    """Integer add of ``width`` bits: linear in width through Horowitz's 8-bit and 32-bit adds."""
    lo, hi = HOROWITZ_45NM_PJ[("int_add", 8)], HOROWITZ_45NM_PJ[("int_add", 32)]
    return lo + (width - 8) * (hi - lo) / (32 - 8)


def mul_energy_pj(width_a: int, width_b: int) -> float:
    """Integer multiply ``width_a``×``width_b``: linear in width_a·width_b (quadratic in width) through
    Horowitz's 8×8 and 32×32 multiplies."""
    lo, hi = HOROWITZ_45NM_PJ[("int_mul", 8)], HOROWITZ_45NM_PJ[("int_mul", 32)]
    return lo + (width_a * width_b - 64) * (hi - lo) / (32 * 32 - 64)


def _sign_matrix(m) -> np.ndarray:
    a = np.asarray(m, dtype=object)
    if a.ndim != 2 or not all(v in (-1, 0, 1) for v in a.flat):
        raise ValueError(f"transform: expected a 2-D matrix with entries in {{-1, 0, 1}}, got {m!r}")
    return a.astype(np.int64)


def vector_adds(m) -> int:
    """Add/sub operations to apply ``m`` (entries in {−1, 0, 1}) to one vector."""
    a = _sign_matrix(m)
    nonzeros = np.count_nonzero(a, axis=1)
    negations = int(np.sum((nonzeros == 1) & (a.sum(axis=1) == -1)))
    return int(np.sum(np.maximum(nonzeros - 1, 0))) + negations


def separable_adds(m) -> int:
    """Add/sub operations for ``m · X · mᵀ`` on a square tile X, as two 1-D passes (columns, then rows)."""
    rows, cols = _sign_matrix(m).shape
    return (cols + rows) * vector_adds(m)


@dataclass(frozen=True)
class TileGeometry:
    """Sizes of F(m×m, r×r) from Bᵀ (n×n) and Aᵀ (m×n)."""

    n: int  # input tile side
    m: int  # output tile side
    r: int  # kernel side
    input_transform_adds: int
    output_transform_adds: int

    @property
    def outputs(self) -> int:
        return self.m * self.m

    @property
    def taps(self) -> int:
        return self.r * self.r

    @property
    def elements(self) -> int:
        return self.n * self.n

    @classmethod
    def from_matrices(cls, bt, at) -> TileGeometry:
        bt, at = _sign_matrix(bt), _sign_matrix(at)
        n = bt.shape[0]
        if bt.shape != (n, n) or at.shape[1] != n or at.shape[0] >= n:
            raise ValueError(f"transform: Bᵀ must be n×n and Aᵀ m×n with m < n, got {bt.shape}, {at.shape}")
        m = at.shape[0]
        return cls(n, m, n - m + 1, separable_adds(bt), separable_adds(at))


@dataclass(frozen=True)
class Op:
    """``count`` operations of one ``kind`` (add, sub, abs, mul) in one stage, at the given operand widths."""

    stage: str
    kind: str
    count: int
    widths: tuple[int, ...]

    @property
    def energy_pj(self) -> float:
        if self.kind == "mul":
            return self.count * mul_energy_pj(*self.widths)
        return self.count * add_energy_pj(self.widths[0])


def tile_op_counts(design: str, geometry: TileGeometry, c_in: int, c_out: int) -> dict[str, tuple[str, int]]:
    """Operations per output tile of a layer: ``{stage: (kind, count)}``."""
    if design not in DESIGNS:
        raise ValueError(f"design: unknown {design!r}; valid: {', '.join(DESIGNS)}")
    for name, value in (("c_in", c_in), ("c_out", c_out)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: must be a positive integer, got {value!r}")
    g = geometry
    pairs = c_in * c_out
    if design in ("cnn_direct", "adder_direct"):
        terms = g.outputs * g.taps * pairs
        sums = [
            ("window_sum", ("add", g.outputs * (g.taps - 1) * pairs)),
            ("accumulate", ("add", g.outputs * c_out * (c_in - 1))),
        ]
        if design == "cnn_direct":
            return dict([("multiply", ("mul", terms)), *sums])
        return dict([("difference", ("sub", terms)), ("abs", ("abs", terms)), *sums])
    front = [("input_transform", ("add", g.input_transform_adds * c_in))]
    back = [
        ("accumulate", ("add", g.elements * c_out * (c_in - 1))),
        ("output_transform", ("add", g.output_transform_adds * c_out)),
    ]
    if design == "cnn_winograd":
        middle = [("multiply", ("mul", g.elements * pairs))]
    else:
        middle = [("difference", ("sub", g.elements * pairs)), ("abs", ("abs", g.elements * pairs))]
    return dict(front + middle + back)


# ---------------------------------------------------------------------------------------------- widths


def _width(lo: int, hi: int) -> int:
    return Fmt.signed_width_for(int(lo), int(hi))


def _product_range(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    corners = [x * y for x in a for y in b]
    return min(corners), max(corners)


def _sum_range(coeffs: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Range of Σ c·x over rows of ``coeffs``, every x in [lo, hi] (the contract's interval rule)."""
    pos = np.where(coeffs > 0, coeffs, 0).astype(object)  # Python ints: exact at any width, never wrap
    neg = np.where(coeffs < 0, coeffs, 0).astype(object)
    low = pos.sum(axis=1) * lo + neg.sum(axis=1) * hi
    high = pos.sum(axis=1) * hi + neg.sum(axis=1) * lo
    return int(low.min()), int(high.max())


def _kernel_range(cfg) -> tuple[int, int]:
    """Raw range of a direct kernel on the activation grid: signed, WA (+1 if activations are unsigned)."""
    fmt = Fmt(cfg.act_fmt.width + (0 if cfg.act_fmt.signed else 1), cfg.act_fmt.frac, True)
    return fmt.min_raw, fmt.max_raw


def stage_widths(design: str, cfg) -> dict[str, tuple[int, ...]]:
    """Operand widths of every stage of ``design`` for a DatapathConfig (exact interval analysis).

    ``adder_winograd`` uses the contract's widths (``cfg.widths``), ``adder_direct`` those of the RTL
    baseline (``simulator.rtl_params.direct_pe_parameters``); the CNNs are analysed the same way:
    activations in ``cfg.act_fmt``, a direct kernel on the activation grid, U in ``cfg.u_fmt``, sums of up to
    ``cfg.max_channels`` input channels. Each add is taken at the width of its result.
    """
    w = cfg.widths
    x = cfg.ranges["input"]
    cmax = cfg.max_channels
    taps = TileGeometry.from_matrices(cfg.transform.BT, cfg.transform.AT).taps
    if design == "adder_winograd":
        return {
            "input_transform": (w.WV,),
            "difference": (w.WD,),
            "abs": (w.WM,),
            "accumulate": (w.WS,),
            "output_transform": (w.WY,),
        }
    if design == "adder_direct":
        from simulator.rtl_params import direct_pe_parameters

        pe = direct_pe_parameters(cfg)
        return {
            "difference": (pe["WDIF"],),
            "abs": (pe["WDIF"],),
            "window_sum": (pe["WP"],),
            "accumulate": (pe["WS"],),
        }
    if design == "cnn_direct":
        k = _kernel_range(cfg)
        plo, phi = _product_range(x, k)
        return {
            "multiply": (_width(*x), _width(*k)),
            "window_sum": (_width(taps * plo, taps * phi),),
            "accumulate": (_width(taps * cmax * plo, taps * cmax * phi),),
        }
    if design == "cnn_winograd":
        v, u = cfg.ranges["input_transform"], cfg.ranges["weights"]
        plo, phi = _product_range(v, u)
        at = np.asarray(cfg.transform.AT, dtype=np.int64)
        ylo, yhi = _sum_range(np.kron(at, at), cmax * plo, cmax * phi)
        return {
            "input_transform": (w.WV,),
            "multiply": (w.WV, w.WU),
            "accumulate": (_width(cmax * plo, cmax * phi),),
            "output_transform": (_width(ylo, yhi),),
        }
    raise ValueError(f"design: unknown {design!r}; valid: {', '.join(DESIGNS)}")


def tile_ops(design: str, cfg, c_in: int, c_out: int) -> list[Op]:
    """The operations of one output tile of a ``c_in``→``c_out`` layer, with widths from ``cfg``."""
    geometry = TileGeometry.from_matrices(cfg.transform.BT, cfg.transform.AT)
    widths = stage_widths(design, cfg)
    return [
        Op(stage, kind, count, widths[stage])
        for stage, (kind, count) in tile_op_counts(design, geometry, c_in, c_out).items()
    ]


def energy_table(cfg, c_in: int, c_out: int) -> list[dict]:
    """One row per design: op counts and energy per output tile, per output value, and relative costs."""
    geometry = TileGeometry.from_matrices(cfg.transform.BT, cfg.transform.AT)
    rows = []
    for design in DESIGNS:
        ops = tile_ops(design, cfg, c_in, c_out)
        energy = sum(op.energy_pj for op in ops)
        rows.append(
            {
                "design": design,
                "act_width": cfg.act_fmt.width,
                "c_in": c_in,
                "c_out": c_out,
                "mul": sum(op.count for op in ops if op.kind == "mul"),
                "add_sub_abs": sum(op.count for op in ops if op.kind != "mul"),
                "energy_pj_per_tile": energy,
                "energy_pj_per_output": energy / (geometry.outputs * c_out),
                "ops": [asdict(op) | {"widths": list(op.widths), "energy_pj": op.energy_pj} for op in ops],
            }
        )
    reference = {r["design"]: r["energy_pj_per_tile"] for r in rows}
    for row in rows:
        row["vs_adder_direct"] = row["energy_pj_per_tile"] / reference["adder_direct"]
        row["vs_cnn_direct"] = row["energy_pj_per_tile"] / reference["cnn_direct"]
    return rows


def per_channel_pair(design: str, geometry: TileGeometry) -> dict[str, int]:
    """Operations per tile and (input, output) channel pair: the c_in·c_out coefficient of each count.

    Every count is a·c_in·c_out + b·c_in + c·c_out + d, so the mixed difference f(2,2)−f(2,1)−f(1,2)+f(1,1)
    is exactly a; stages with a = 0 (the transforms, shared across channels) are left out.
    """
    f = {(i, o): tile_op_counts(design, geometry, i, o) for i in (1, 2) for o in (1, 2)}
    pair = {
        stage: f[2, 2][stage][1] - f[2, 1][stage][1] - f[1, 2][stage][1] + f[1, 1][stage][1]
        for stage in f[1, 1]
    }
    return {stage: count for stage, count in pair.items() if count}
