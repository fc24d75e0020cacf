"""Winograd F(2×2,3×3) transform matrices: presets, validated user matrices, the sign-flip family.

Bᵀ (4×4) and Aᵀ (2×4) hold only −1, 0, 1 (the transforms are adders); G (4×3) is rational and applied
offline to the kernels. A transform is valid when the multiplicative Winograd identity
Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A = correlate(d, g) holds exactly for every 4×4 d and 3×3 g.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from fixedpoint import strictjson

ADDER_ENTRIES = (-1, 0, 1)


def _fraction(value, where: str) -> Fraction:
    """A rational from an int, a decimal/float or a string like '1/2' (floats read by their decimal text)."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    try:
        if isinstance(value, Fraction | int):
            return Fraction(value)
        if isinstance(value, float | np.floating):
            if not np.isfinite(value):
                raise ValueError
            return Fraction(repr(float(value)))
        if isinstance(value, np.integer):
            return Fraction(int(value))
        if isinstance(value, str):
            return Fraction(value.strip())
    except (ValueError, ZeroDivisionError):
        pass
    raise ValueError(f"{where}: expected a finite rational number (e.g. 1, 0.5 or '1/2'), got {value!r}")


def _matrix(value, name: str, shape: tuple[int, int]) -> list[list]:
    rows = value.tolist() if isinstance(value, np.ndarray) else value
    if (
        not isinstance(rows, list | tuple)
        or len(rows) != shape[0]
        or any(not isinstance(r, list | tuple) or len(r) != shape[1] for r in rows)
    ):
        if isinstance(rows, list | tuple):
            got = "row lengths " + str([len(r) if isinstance(r, list | tuple) else "scalar" for r in rows])
        else:
            got = type(rows).__name__
        raise ValueError(f"{name}: must be a {shape[0]}×{shape[1]} matrix, got {got}")
    return [list(r) for r in rows]


def _adder_matrix(value, name: str, shape: tuple[int, int]) -> np.ndarray:
    rows = _matrix(value, name, shape)
    out = np.zeros(shape, dtype=np.int64)
    for i, j in np.ndindex(*shape):
        q = _fraction(rows[i][j], f"{name}[{i}][{j}]")
        if q not in ADDER_ENTRIES:
            raise ValueError(f"{name}: entries must be in {{-1, 0, 1}} (adders only), got {q} at [{i}][{j}]")
        out[i, j] = int(q)
    return out


def _rational_matrix(value, name: str, shape: tuple[int, int]) -> np.ndarray:
    rows = _matrix(value, name, shape)
    out = np.empty(shape, dtype=object)
    for i, j in np.ndindex(*shape):
        out[i, j] = _fraction(rows[i][j], f"{name}[{i}][{j}]")
    return out


def identity_tensor_1d(BT: np.ndarray, G: np.ndarray, AT: np.ndarray) -> np.ndarray:
    """T[i,a,k] = Σ_p Aᵀ[i,p] G[p,k] Bᵀ[p,a]: the 1-D transform applied to basis input a and kernel k."""
    T = np.empty((2, 4, 3), dtype=object)
    for i, a, k in np.ndindex(2, 4, 3):
        T[i, a, k] = sum((Fraction(int(AT[i, p])) * G[p, k] * int(BT[p, a]) for p in range(4)), Fraction(0))
    return T


def identity_mismatch(BT: np.ndarray, G: np.ndarray, AT: np.ndarray) -> str | None:
    """None if the 2-D identity holds exactly on all 16·9 basis cases, else the first failure.

    For d = e[a][b] and g = e[k][l] the transform gives T[i,a,k]·T[j,b,l] at output (i,j); correlation
    gives 1 where a = i+k and b = j+l, else 0.
    """
    T = identity_tensor_1d(BT, G, AT)
    for a, b, k, l, i, j in itertools.product(range(4), range(4), range(3), range(3), range(2), range(2)):
        got = T[i, a, k] * T[j, b, l]
        want = int(a == i + k and b == j + l)
        if got != want:
            return f"d=e[{a}][{b}], g=e[{k}][{l}], output [{i}][{j}]: transform {got}, correlation {want}"
    return None


def output_coefficient_sums(AT: np.ndarray) -> np.ndarray:
    """(2,2) int array: Σ_ab Aᵀ[i,a]·Aᵀ[j,b] for output (i,j) (the 'balance' of the outputs)."""
    row = np.asarray(AT, dtype=np.int64).sum(axis=1)
    return np.outer(row, row)


@dataclass(frozen=True, eq=False)
class Transform:
    """A validated F(2×2,3×3) transform: Bᵀ (4,4) int64, G (4,3) object array of Fraction, Aᵀ (2,4) int64."""

    name: str
    BT: np.ndarray
    G: np.ndarray
    AT: np.ndarray

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name: a transform needs a non-empty name, got {self.name!r}")
        BT = _adder_matrix(self.BT, "BT", (4, 4))
        AT = _adder_matrix(self.AT, "AT", (2, 4))
        G = _rational_matrix(self.G, "G", (4, 3))
        mismatch = identity_mismatch(BT, G, AT)
        if mismatch:
            raise ValueError(f"identity: AT[(G g Gᵀ)⊙(BT d B)]A != correlate(d, g) for {mismatch}")
        for arr in (BT, AT, G):
            arr.setflags(write=False)
        object.__setattr__(self, "BT", BT)
        object.__setattr__(self, "AT", AT)
        object.__setattr__(self, "G", G)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Transform):
            return NotImplemented
        return (
            self.name == other.name
            and np.array_equal(self.BT, other.BT)
            and np.array_equal(self.AT, other.AT)
            and bool(np.all(self.G == other.G))
        )

    def __hash__(self) -> int:
        return hash((self.name, self.BT.tobytes(), self.AT.tobytes(), tuple(self.G.ravel())))

    def same_matrices(self, other: Transform) -> bool:
        return (
            np.array_equal(self.BT, other.BT)
            and np.array_equal(self.AT, other.AT)
            and bool(np.all(self.G == other.G))
        )

    @property
    def G_float(self) -> np.ndarray:
        return self.G.astype(np.float64)

    @property
    def coefficient_sums(self) -> np.ndarray:
        return output_coefficient_sums(self.AT)

    @property
    def is_balanced(self) -> bool:
        sums = self.coefficient_sums
        return bool(np.all(sums == sums[0, 0]))

    def to_dict(self) -> dict:
        """JSON-able: integer matrices as ints, G entries as ints or 'p/q' strings."""
        return {
            "name": self.name,
            "BT": self.BT.tolist(),
            "G": [[int(q) if q.denominator == 1 else str(q) for q in row] for row in self.G],
            "AT": self.AT.tolist(),
        }

    @classmethod
    def from_dict(cls, data) -> Transform:
        if not isinstance(data, dict):
            raise ValueError(f"matrices: expected an object with BT, G, AT, got {type(data).__name__}")
        unknown = set(data) - {"name", "BT", "G", "AT"}
        if unknown:
            raise ValueError(f"matrices: unknown keys {sorted(unknown)}; allowed: name, BT, G, AT")
        missing = [k for k in ("BT", "G", "AT") if k not in data]
        if missing:
            raise ValueError(f"matrices: missing {', '.join(missing)}")
        return cls(data.get("name", "custom"), data["BT"], data["G"], data["AT"])

    @classmethod
    def from_json(cls, source) -> Transform:
        """From a dict, a JSON text, or a path to a JSON file with keys BT, G, AT (and optional name)."""
        if isinstance(source, dict):
            return cls.from_dict(source)
        if not isinstance(source, (str, Path)):
            raise ValueError(f"matrices: expected a preset name, a JSON object or a path to one, "
                             f"got {type(source).__name__}")
        text, where = str(source), ""
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            where = f" in {source}"
            if Path(source).exists() and not Path(source).is_file():
                raise ValueError(f"matrices: {source} is not a regular file")
            try:
                text = Path(source).read_bytes().decode("utf-8")
            except OSError as exc:
                raise ValueError(f"matrices: cannot read {source}: {exc.strerror or exc}") from None
            except UnicodeDecodeError:
                raise ValueError(f"matrices: {source} is not UTF-8 JSON text") from None
        try:
            data = strictjson.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"matrices: not valid JSON{where} ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise ValueError(f"matrices: JSON nested too deeply{where}") from None
        return cls.from_dict(data)

    def flipped(self, signs) -> Transform:
        """The family member with Bᵀ row k and Aᵀ column k multiplied by signs[k] (identity preserved)."""
        s = np.asarray(signs, dtype=np.int64)
        if s.shape != (4,) or not np.all(np.abs(s) == 1):
            raise ValueError(f"signs: need four entries of ±1, got {signs!r}")
        label = "".join("+" if v > 0 else "-" for v in s)
        return Transform(f"{self.name}[{label}]", s[:, None] * self.BT, self.G, self.AT * s[None, :])


@dataclass(frozen=True)
class FamilyMember:
    signs: tuple[int, int, int, int]
    transform: Transform
    coefficient_sums: tuple[int, int, int, int]  # outputs (0,0), (0,1), (1,0), (1,1)

    @property
    def balanced(self) -> bool:
        return len(set(self.coefficient_sums)) == 1


def sign_flip_family(transform: Transform) -> list[FamilyMember]:
    """All 16 sign flips (Bᵀ row k with Aᵀ column k) of a transform, each with its output coefficient sums."""
    members = []
    for signs in itertools.product((1, -1), repeat=4):
        member = transform.flipped(signs)
        sums = tuple(int(v) for v in member.coefficient_sums.ravel())
        members.append(FamilyMember(tuple(signs), member, sums))
    return members


def format_family(members: list[FamilyMember]) -> str:
    lines = ["signs      coefficient sums (00 01 10 11)  balanced"]
    for m in members:
        signs = " ".join("+1" if v > 0 else "-1" for v in m.signs)
        sums = " ".join(f"{v:3d}" for v in m.coefficient_sums)
        lines.append(f"{signs}  {sums:<31} {'yes' if m.balanced else 'no'}")
    return "\n".join(lines)


_HALF = Fraction(1, 2)
_G_STANDARD = [[1, 0, 0], [_HALF, _HALF, _HALF], [_HALF, -_HALF, _HALF], [0, 0, 1]]

PRESETS: dict[str, Transform] = {
    "lavin": Transform(
        "lavin",
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        _G_STANDARD,
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    "balanced": Transform(
        "balanced",
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, 1, -1, 0], [0, 1, 0, -1]],
        _G_STANDARD,
        [[1, 1, -1, 0], [0, 1, 1, -1]],
    ),
}


def resolve(value) -> Transform:
    """A Transform from a Transform, a preset name, or a dict/JSON/path (the config's `matrices` field)."""
    if isinstance(value, Transform):
        return value
    if isinstance(value, str) and value.strip() in PRESETS:
        return PRESETS[value.strip()]
    if isinstance(value, str) and not value.lstrip().startswith("{") and not Path(value).exists():
        raise ValueError(f"matrices: unknown preset {value!r}; presets: {', '.join(PRESETS)}, or a JSON file")
    return Transform.from_json(value)
