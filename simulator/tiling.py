"""Shared machinery of the layer and the float references: the tile grid, the separable input and output
transform, blocking over tiles, the per-position l1 kernel (scipy cdist) and reassembly of outputs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

BLOCK_BYTES = 48 << 20  # working set of one tile block (V, S and Y buffers)


@dataclass(frozen=True)
class TileGrid:
    """Stride-1 'same'-style grid: output Ho×Wo = (H+2p−2)×(W+2p−2) covered by nth×ntw 2×2 tiles."""

    n: int
    h: int
    w: int
    padding: int
    ho: int
    wo: int
    nth: int
    ntw: int

    @classmethod
    def for_input(cls, shape: tuple[int, ...], padding: int) -> TileGrid:
        if isinstance(padding, bool) or not isinstance(padding, int | np.integer) or padding < 0:
            raise ValueError(f"padding: must be a non-negative integer, got {padding!r}")
        n, _, h, w = shape
        ho, wo = h + 2 * padding - 2, w + 2 * padding - 2
        if ho < 1 or wo < 1:
            raise ValueError(
                f"x: a {h}×{w} input with padding {padding} gives no 3×3 window (output {ho}×{wo})"
            )
        return cls(n, h, w, int(padding), ho, wo, -(-ho // 2), -(-wo // 2))

    @property
    def tiles(self) -> int:
        return self.n * self.nth * self.ntw

    @property
    def padded_shape(self) -> tuple[int, int, int]:
        return self.n, 2 * self.nth + 2, 2 * self.ntw + 2

    def padded(self, x: np.ndarray, dtype=None) -> np.ndarray:
        """(N, Hp, Wp, C) channels-last, zero padded so the tile grid covers it exactly."""
        p = self.padding
        xp = np.zeros((*self.padded_shape, x.shape[1]), dtype=dtype or x.dtype)
        xp[:, p : p + self.h, p : p + self.w, :] = x.transpose(0, 2, 3, 1)
        return xp

    def blocks(self, per_tile_bytes: int) -> Iterator[tuple[int, int, int, int]]:
        """(n0, n1, r0, r1): images n0..n1−1, tile rows r0..r1−1, at most ~BLOCK_BYTES of work each."""
        max_tiles = max(1, BLOCK_BYTES // max(1, per_tile_bytes))
        per_image = self.nth * self.ntw
        if per_image <= max_tiles:
            step = max_tiles // per_image
            for n0 in range(0, self.n, step):
                yield n0, min(self.n, n0 + step), 0, self.nth
        else:
            rows = max(1, max_tiles // self.ntw)
            for n0 in range(self.n):
                for r0 in range(0, self.nth, rows):
                    yield n0, n0 + 1, r0, min(self.nth, r0 + rows)

    def nchw_tiles(self, o: int, dtype=np.int64) -> tuple[np.ndarray, np.ndarray]:
        """A new (N, O, 2nth, 2ntw) array and its view as (2, 2, N, nth, ntw, O) tile outputs."""
        full = np.empty((self.n, o, 2 * self.nth, 2 * self.ntw), dtype=dtype)
        return full, full.reshape(self.n, o, self.nth, 2, self.ntw, 2).transpose(3, 5, 0, 2, 4, 1)

    def channel_major_tiles(self, full: np.ndarray) -> np.ndarray:
        """The (2, 2, O, N, nth, ntw) tile-output view of a (N, O, 2nth, 2ntw) array."""
        n, o = full.shape[:2]
        return full.reshape(n, o, self.nth, 2, self.ntw, 2).transpose(3, 5, 1, 0, 2, 4)

    def crop(self, full: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(full[:, :, : self.ho, : self.wo])


def _signed_sum(terms: list[tuple[int, np.ndarray]], out: np.ndarray) -> np.ndarray:
    """out = Σ c·x for c in {−1, 0, 1} with adds and subtracts only (the first two terms in one pass)."""
    terms = [(c, x) for c, x in terms if c != 0]
    if not terms:
        out[...] = 0
        return out
    if len(terms) == 1:
        (c, x), rest = terms[0], []
        np.copyto(out, x) if c > 0 else np.negative(x, out=out)
    else:
        (c0, x0), (c1, x1), rest = terms[0], terms[1], terms[2:]
        if c0 > 0:
            np.add(x0, x1, out=out) if c1 > 0 else np.subtract(x0, x1, out=out)
        elif c1 > 0:
            np.subtract(x1, x0, out=out)
        else:
            np.add(x0, x1, out=out)
            np.negative(out, out=out)
    for c, x in rest:
        if c > 0:
            out += x
        else:
            out -= x
    return out


def transform_tiles(xp: np.ndarray, BT: np.ndarray, nth: int, ntw: int, out: np.ndarray) -> np.ndarray:
    """V = Bᵀ d B for every tile of channels-last xp (N, 2nth+2, 2ntw+2, C), separably.

    ``out`` is (16, N·nth·ntw, C) with position 4i+j first (the layout the l1 kernel wants)."""
    n, _, wp, c = xp.shape
    row = np.empty((n, nth, wp, c), dtype=out.dtype)
    view = out.reshape(4, 4, n, nth, ntw, c)
    for i in range(4):
        _signed_sum([(BT[i, a], xp[:, a : a + 2 * nth : 2]) for a in range(4)], row)
        for j in range(4):
            _signed_sum([(BT[j, b], row[:, :, b : b + 2 * ntw : 2]) for b in range(4)], view[i, j])
    return out


def adder_bound(M: np.ndarray, bound: int) -> int:
    """Bound of every partial sum while ``_signed_sum`` applies the rows of M to values within ±bound."""
    return int(np.abs(np.asarray(M, dtype=np.int64)).sum(axis=1).max()) * bound


def int_dtype_for(bound: int) -> type:
    """The narrowest of int16/int32/int64 holding ±bound."""
    return next(t for t in (np.int16, np.int32, np.int64) if bound <= np.iinfo(t).max)


def extremes_over_tiles(v16: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of (16, T, C) over the tile axis, each (16, C): by folding halves (overlapping by one
    row when odd), so every step is one long element-wise min/max rather than 64-element inner loops."""
    lo = hi = v16
    while lo.shape[1] > 1:
        n, h = lo.shape[1], (lo.shape[1] + 1) // 2
        lo, hi = np.minimum(lo[:, :h], lo[:, n - h :]), np.maximum(hi[:, :h], hi[:, n - h :])
    return lo[:, 0], hi[:, 0]


def l1_distances(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[i, j] = Σ_c |a[i, c] − b[j, c]|: scipy cdist for float64 (exact on integers while the sums stay
    below 2^53), else an exact integer broadcast in chunks of about 8 MiB."""
    if a.dtype == np.float64:
        return cdist(a, b, "cityblock", out=out)
    step = max(1, (8 << 20) // max(1, b.shape[0] * a.shape[1] * 8))
    for i0 in range(0, a.shape[0], step):
        diff = a[i0 : i0 + step, None, :] - b[None, :, :]
        np.abs(diff).sum(axis=-1, out=out[i0 : i0 + step])
    return out


def output_coefficients(AT: np.ndarray) -> np.ndarray:
    """(4, 16) matrix of Y = Aᵀ S A on flattened S: row 2i+j, column 4a+b holds Aᵀ[i,a]·Aᵀ[j,b]."""
    AT = np.asarray(AT)
    return np.einsum("ia,jb->ijab", AT, AT).reshape(4, 16)


def output_matmul(coef: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(4,16) @ (16,n) without BLAS: a product this thin gains nothing from BLAS threads, which only spin."""
    return np.einsum("ij,jk->ik", coef, s)


def to_position_major(w: np.ndarray, dtype) -> np.ndarray:
    """(O, C, 4, 4) → contiguous (16, O, C)."""
    o, c = w.shape[:2]
    return np.ascontiguousarray(w.reshape(o, c, 16).transpose(2, 0, 1), dtype=dtype)
