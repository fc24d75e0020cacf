"""DatapathConfig: every choice of the Winograd-adder datapath, and the widths derived from it.

The widths come from an interval analysis on raw integers (docs/datapath.md, "Formats and the interval
analysis"): for a coefficient matrix with entries in {−1, 0, 1} applied to values in [lo, hi], the
range of Σ c·x is [Σ_{c>0} c·lo + Σ_{c<0} c·hi, Σ_{c>0} c·hi + Σ_{c<0} c·lo]; a stage's range is the
union over its positions; its width is the fewest signed bits holding that range.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from fixedpoint import strictjson
from fixedpoint.fmt import MAX_WIDTH, Fmt
from fixedpoint.modes import Overflow, Rounding
from simulator.transforms import PRESETS, Transform, resolve

STAGES = (
    "input",
    "input_transform",
    "align",
    "weights",
    "neg_abs_diff_diff",
    "neg_abs_diff",
    "channel_accumulate",
    "output_transform",
    "requantize",
)
ACC_OVERFLOWS = (Overflow.WRAP, Overflow.SAT)
OUT_OVERFLOWS = (Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM)
DERIVABLE = ("u_width", "acc_width", "out_fmt")


@dataclass(frozen=True)
class StageWidths:
    """Widths (bits) of every stage and their raw ranges, as in docs/datapath.md's stage table."""

    WA: int
    WV: int
    WVA: int
    WU: int
    WD: int
    WM: int
    WS: int
    WY: int
    WO: int
    SHIFT: int
    ranges: dict = field(compare=False)  # stage name -> (lo, hi) raw, ints

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "ranges"}


def linear_range(coef: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per-row range of Σ_k coef[r,k]·x[k] for x[k] in [lo[k], hi[k]] (coef ints or Fractions)."""
    coef = np.asarray(coef, dtype=object)
    n = coef.shape[1]
    lo = np.broadcast_to(np.asarray(lo, dtype=object), (n,))
    hi = np.broadcast_to(np.asarray(hi, dtype=object), (n,))
    pos = coef * (coef > 0)
    neg = coef * (coef < 0)
    return pos @ lo + neg @ hi, pos @ hi + neg @ lo


def _kron_coefficients(M: np.ndarray) -> np.ndarray:
    """Coefficients of X ↦ M X Mᵀ as a matrix on flattened X: C[(i,j),(a,b)] = M[i,a]·M[j,b]."""
    M = np.asarray(M, dtype=object)
    return np.einsum("ia,jb->ijab", M, M).reshape(M.shape[0] ** 2, M.shape[1] ** 2)


def _span(lo, hi) -> tuple[int, int]:
    return int(min(lo)), int(max(hi))


@functools.lru_cache(maxsize=256)
def default_u_width(transform: Transform, act_fmt: Fmt, k: int) -> int:
    """Fewest signed bits for U = G g Gᵀ·2^K with g raw in the signed format (WA + [unsigned act], fa)."""
    g_fmt = Fmt(act_fmt.width + (0 if act_fmt.signed else 1), act_fmt.frac, True)
    coef = _kron_coefficients(transform.G) * Fraction(2**k)
    lo, hi = linear_range(coef, g_fmt.min_raw, g_fmt.max_raw)
    return Fmt.signed_width_for(math.floor(min(lo)), math.ceil(max(hi)))


def analyse(
    transform: Transform,
    act_fmt: Fmt,
    k: int,
    u_fmt: Fmt,
    max_channels: int,
    acc_width: int | None,
    acc_overflow: Overflow,
) -> dict[str, tuple[int, int]]:
    """Raw (lo, hi) of every stage; acc_width None means the exact accumulator."""
    r = {"input": (act_fmt.min_raw, act_fmt.max_raw)}
    r["input_transform"] = _span(*linear_range(_kron_coefficients(transform.BT), *r["input"]))
    vlo, vhi = r["input_transform"]
    r["align"] = (vlo << k, vhi << k)
    r["weights"] = (u_fmt.min_raw, u_fmt.max_raw)
    valo, vahi = r["align"]
    dlo, dhi = u_fmt.min_raw - vahi, u_fmt.max_raw - valo
    r["neg_abs_diff_diff"] = (dlo, dhi)
    mhi = 0 if dlo <= 0 <= dhi else -min(abs(dlo), abs(dhi))
    mlo = -max(abs(dlo), abs(dhi))
    r["neg_abs_diff"] = (mlo, mhi)
    slo, shi = max_channels * mlo, mhi
    if acc_width is not None:
        acc = Fmt(acc_width, 0, True)
        if slo < acc.min_raw:
            if acc_overflow == Overflow.SAT:
                slo, shi = acc.min_raw, max(shi, acc.min_raw)
            else:
                slo, shi = acc.min_raw, acc.max_raw
    r["channel_accumulate"] = (slo, shi)
    r["output_transform"] = _span(*linear_range(_kron_coefficients(transform.AT), slo, shi))
    return r


def _check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        allowed = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name}: must be {allowed}, got {value}")
    return value


def _check_fmt(name: str, value) -> Fmt:
    try:
        return Fmt.parse(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _check_mode(name: str, value, enum, allowed=None):
    try:
        mode = enum.parse(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {str(exc).split(': ', 1)[1]}") from None
    if allowed is not None and mode not in allowed:
        raise ValueError(f"{name}: must be one of {', '.join(m.value for m in allowed)}, got {mode.value}")
    return mode


@dataclass(frozen=True)
class DatapathConfig:
    """One source of truth for the simulator, the RTL parameters and the vector manifests.

    ``u_width``, ``acc_width`` and ``out_fmt`` given as None are derived (docs/datapath.md); ``replace``
    re-derives them unless they were set explicitly.
    """

    transform: Transform = PRESETS["balanced"]
    act_fmt: Fmt = Fmt(8, 4, True)
    u_extra_frac: int = 2
    u_width: int | None = None
    max_channels: int = 64
    acc_width: int | None = None
    acc_overflow: Overflow = Overflow.SAT
    out_fmt: Fmt | None = None
    rounding: Rounding = Rounding.RND
    overflow: Overflow = Overflow.SAT
    weight_rounding: Rounding = Rounding.RND
    lanes: int = 4
    _derived: frozenset = field(default=frozenset(), compare=False, repr=False)
    _widths: StageWidths | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        try:
            put("transform", resolve(self.transform))
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(msg if msg.startswith("matrices") else f"matrices: {msg}") from None
        put("act_fmt", _check_fmt("act_fmt", self.act_fmt))
        put("u_extra_frac", _check_int("u_extra_frac", self.u_extra_frac, 0, 2))
        put("max_channels", _check_int("max_channels", self.max_channels, 1))
        put("acc_overflow", _check_mode("acc_overflow", self.acc_overflow, Overflow, ACC_OVERFLOWS))
        put("rounding", _check_mode("rounding", self.rounding, Rounding))
        put("overflow", _check_mode("overflow", self.overflow, Overflow, OUT_OVERFLOWS))
        put("weight_rounding", _check_mode("weight_rounding", self.weight_rounding, Rounding))
        put("lanes", _check_int("lanes", self.lanes, 1))
        derived = set()
        fa, k = self.act_fmt.frac, self.u_extra_frac
        if self.u_width is None:
            derived.add("u_width")
            put("u_width", default_u_width(self.transform, self.act_fmt, k))
        put("u_width", _check_int("u_width", self.u_width, 2, MAX_WIDTH))
        if self.out_fmt is None:
            derived.add("out_fmt")
            try:
                put("out_fmt", Fmt(self.act_fmt.width, fa, True))
            except ValueError as exc:
                raise ValueError(f"out_fmt: derived from act_fmt {self.act_fmt} as a signed "
                                 f"{self.act_fmt.width}-bit format, which is invalid ({exc}); "
                                 "set out_fmt explicitly") from None
        put("out_fmt", _check_fmt("out_fmt", self.out_fmt))
        if self.out_fmt.frac > fa + k:
            raise ValueError(
                f"out_fmt: frac must be <= act_fmt.frac + u_extra_frac = {fa + k}, got {self.out_fmt.frac}"
            )
        if self.acc_width is not None:
            put("acc_width", _check_int("acc_width", self.acc_width, 2, MAX_WIDTH))
        ranges = analyse(
            self.transform, self.act_fmt, k, self.u_fmt, self.max_channels, self.acc_width, self.acc_overflow
        )
        exact_ws = Fmt.signed_width_for(*ranges["channel_accumulate"])
        if self.acc_width is None:
            derived.add("acc_width")
            if exact_ws > MAX_WIDTH:
                raise ValueError(
                    f"max_channels: the exact accumulator needs {exact_ws} bits > {MAX_WIDTH} "
                    "(int64 raw); lower max_channels or set acc_width"
                )
            put("acc_width", exact_ws)
        out_min = self.out_fmt.min_raw
        if self.overflow is Overflow.SAT_SYM and self.out_fmt.signed:
            out_min = -self.out_fmt.max_raw  # SAT_SYM never yields the most negative value
        ranges["requantize"] = (out_min, self.out_fmt.max_raw)
        w = {name: Fmt.signed_width_for(*ranges[name]) for name in STAGES[1:-1]}
        if w["output_transform"] > MAX_WIDTH:
            wy = w["output_transform"]
            raise ValueError(
                f"max_channels: output_transform needs {wy} bits > {MAX_WIDTH} (int64 raw); "
                "lower max_channels or acc_width"
            )
        shift = fa + k - self.out_fmt.frac
        if shift >= w["output_transform"]:
            raise ValueError(
                f"out_fmt: requantize would discard all {w['output_transform']} bits of Y: SHIFT = "
                f"act_fmt.frac + u_extra_frac - out_fmt.frac = {shift} must be < {w['output_transform']}"
            )
        widths = StageWidths(
            WA=self.act_fmt.width,
            WV=w["input_transform"],
            WVA=w["input_transform"] + k,
            WU=self.u_width,
            WD=w["neg_abs_diff_diff"],
            WM=w["neg_abs_diff"],
            WS=self.acc_width,
            WY=w["output_transform"],
            WO=self.out_fmt.width,
            SHIFT=shift,
            ranges=ranges,
        )
        put("_derived", frozenset(derived))
        put("_widths", widths)

    # ---- formats and widths ----------------------------------------------------------------------
    @property
    def u_fmt(self) -> Fmt:
        return Fmt(self.u_width, self.act_fmt.frac + self.u_extra_frac, True)

    @property
    def acc_fmt(self) -> Fmt:
        return Fmt(self.acc_width, self.act_fmt.frac + self.u_extra_frac, True)

    @property
    def y_fmt(self) -> Fmt:
        return Fmt(self.widths.WY, self.act_fmt.frac + self.u_extra_frac, True)

    @property
    def widths(self) -> StageWidths:
        return self._widths

    @property
    def ranges(self) -> dict[str, tuple[int, int]]:
        return self._widths.ranges

    @property
    def exact_acc_width(self) -> int:
        """The accumulator width at which channel_accumulate can never overflow."""
        r = analyse(
            self.transform,
            self.act_fmt,
            self.u_extra_frac,
            self.u_fmt,
            self.max_channels,
            None,
            self.acc_overflow,
        )
        return Fmt.signed_width_for(*r["channel_accumulate"])

    # ---- construction and serialisation ------------------------------------------------------------
    @classmethod
    def default(cls) -> DatapathConfig:
        return cls()

    def replace(self, **changes) -> DatapathConfig:
        """A new validated config; derived fields not named in ``changes`` are derived again."""
        names = [f.name for f in dataclasses.fields(self) if not f.name.startswith("_")]
        unknown = sorted(set(changes) - set(names) - {"matrices"})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown config field; fields: {', '.join(names)}")
        if "matrices" in changes:
            changes["transform"] = changes.pop("matrices")
        values = {n: (None if n in self._derived else getattr(self, n)) for n in names}
        values.update(changes)
        return DatapathConfig(**values)

    def to_dict(self) -> dict:
        """Fully resolved and JSON-able (matrices written out, derived widths as numbers)."""
        return {
            "matrices": self.transform.to_dict(),
            "act_fmt": str(self.act_fmt),
            "u_extra_frac": self.u_extra_frac,
            "u_width": self.u_width,
            "max_channels": self.max_channels,
            "acc_width": self.acc_width,
            "acc_overflow": self.acc_overflow.value,
            "out_fmt": str(self.out_fmt),
            "rounding": self.rounding.value,
            "overflow": self.overflow.value,
            "weight_rounding": self.weight_rounding.value,
            "lanes": self.lanes,
        }

    @classmethod
    def from_dict(cls, data: dict) -> DatapathConfig:
        """From the JSON form; missing fields take their defaults (u_width, acc_width, out_fmt derived)."""
        if not isinstance(data, dict):
            raise ValueError(f"config: expected a JSON object, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
        allowed = ["matrices"] + names[1:]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown config field; fields: {', '.join(allowed)}")
        values = {("transform" if k == "matrices" else k): v for k, v in data.items()}
        return cls(**values)

    @classmethod
    def load(cls, path) -> DatapathConfig:
        """From a JSON file; every failure is a ValueError naming the file (or the bad field)."""
        path = Path(path)
        if not path.is_file():
            missing = "is not a file" if path.exists() else "does not exist"
            raise ValueError(f"config: {path} {missing}")
        try:
            data = strictjson.loads(path.read_bytes().decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"config: {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        except (UnicodeDecodeError, RecursionError):
            raise ValueError(f"config: {path}: not UTF-8 JSON text") from None
        return cls.from_dict(data)

    def save(self, path) -> None:
        """Write the resolved JSON through the one write path (fixedpoint.safeio: atomic, umask modes)."""
        from fixedpoint.safeio import write_file

        write_file(path, json.dumps(self.to_dict(), indent=2) + "\n", option="config")

    def __str__(self) -> str:
        w = self.widths
        return (
            f"{self.transform.name} act={self.act_fmt} K={self.u_extra_frac} U={self.u_fmt} "
            f"Cmax={self.max_channels} acc={self.acc_fmt}/{self.acc_overflow.value} out={self.out_fmt} "
            f"{self.rounding.value}/{self.overflow.value} P={self.lanes} "
            f"(WV={w.WV} WD={w.WD} WS={w.WS} WY={w.WY})"
        )
