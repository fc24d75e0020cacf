"""Float64 references (numpy/scipy, vectorised): Winograd-adder conv, direct AdderNet conv, correlation,
Winograd CNN. Stride 1, zero padding ``padding`` (default 1, 'same'); x (N,C,H,W) → (N,O,H+2p−2,W+2p−2).

The Winograd-adder reference uses the same tile machinery and l1 kernel (scipy cdist) as the
bit-accurate layer, so the two are compared on equal terms.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from simulator.tiling import TileGrid, output_coefficients, output_matmul, to_position_major, transform_tiles
from simulator.transforms import Transform, resolve


def _float_input(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x: expected shape (N, C, H, W), got {x.shape}")
    return x


def _kernels(w, c: int, shapes: tuple[tuple[int, int], ...]) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 4 or w.shape[1] != c or w.shape[2:] not in shapes:
        allowed = " or ".join(f"(O, {c}, {a}, {b})" for a, b in shapes)
        raise ValueError(f"w: expected shape {allowed}, got {w.shape}")
    return w


def kernel_transform(g, transform) -> np.ndarray:
    """U = G g Gᵀ in float64 for kernels g (..., 3, 3)."""
    G = resolve(transform).G_float
    return G @ np.asarray(g, dtype=np.float64) @ G.T


def _winograd_layer(x: np.ndarray, u16: np.ndarray, transform: Transform, padding: int, position_sums, sign):
    """Y = Aᵀ S A per tile with S[pos] = sign · position_sums(V[pos] (T,C), U[pos] (O,C), out=(T,O)),
    blocked over tiles."""
    grid = TileGrid.for_input(x.shape, padding)
    xp = grid.padded(x)
    c, o = x.shape[1], u16.shape[1]
    coef = sign * output_coefficients(transform.AT).astype(np.float64)
    full, tiles = grid.nchw_tiles(o, np.float64)
    for n0, n1, r0, r1 in grid.blocks(16 * 8 * (o + c) * 2):
        tb = (n1 - n0) * (r1 - r0) * grid.ntw
        v16 = transform_tiles(
            xp[n0:n1, 2 * r0 : 2 * r1 + 2], transform.BT, r1 - r0, grid.ntw, np.empty((16, tb, c))
        )
        s16 = np.empty((16, tb, o))
        for pos in range(16):
            position_sums(v16[pos], u16[pos], s16[pos])
        block = tiles[:, :, n0:n1, r0:r1]
        block[...] = output_matmul(coef, s16.reshape(16, tb * o)).reshape(block.shape)
    return grid.crop(full)


def _l1(v: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    cdist(v, u, "cityblock", out=out)


def _dot(v: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    np.dot(v, u.T, out=out)


def winograd_adder_conv(x, U_or_g, transform="balanced", padding: int = 1) -> np.ndarray:
    """Y = Aᵀ(Σ_c −|U[o,c] − Bᵀ d B|)A per 4×4 tile; kernels g (O,C,3,3) (U = G g Gᵀ) or U (O,C,4,4)."""
    x, transform = _float_input(x), resolve(transform)
    w = _kernels(U_or_g, x.shape[1], ((3, 3), (4, 4)))
    U = kernel_transform(w, transform) if w.shape[2:] == (3, 3) else w
    return _winograd_layer(x, to_position_major(U, np.float64), transform, padding, _l1, -1.0)


def winograd_cnn(x, g, transform="balanced", padding: int = 1) -> np.ndarray:
    """Y = Aᵀ(Σ_c U[o,c] ⊙ Bᵀ d B)A per tile: equals ``correlate`` for every valid transform."""
    x, transform = _float_input(x), resolve(transform)
    g = _kernels(g, x.shape[1], ((3, 3),))
    u16 = to_position_major(kernel_transform(g, transform), np.float64)
    return _winograd_layer(x, u16, transform, padding, _dot, 1.0)


def _patches(x: np.ndarray, padding: int) -> tuple[np.ndarray, tuple[int, int]]:
    """(N·Ho·Wo, C·9) 3×3 windows (channel-major, then row, then column) of the zero-padded input."""
    grid = TileGrid.for_input(x.shape, padding)
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # (N, C, Ho, Wo, 3, 3)
    n, c = x.shape[:2]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * grid.ho * grid.wo, c * 9), (grid.ho, grid.wo)


def _to_nchw(flat: np.ndarray, n: int, size: tuple[int, int]) -> np.ndarray:
    return np.ascontiguousarray(flat.reshape(n, size[0], size[1], -1).transpose(0, 3, 1, 2))


def adder_conv(x, w, padding: int = 1) -> np.ndarray:
    """Direct AdderNet: y[n,o] = −Σ_c Σ_{3×3} |x − w[o,c]| over each window."""
    x = _float_input(x)
    w = _kernels(w, x.shape[1], ((3, 3),))
    cols, size = _patches(x, padding)
    return -_to_nchw(cdist(cols, w.reshape(w.shape[0], -1), "cityblock"), x.shape[0], size)


def correlate(x, w, padding: int = 1) -> np.ndarray:
    """Ordinary 3×3 cross-correlation (what deep-learning 'conv' computes)."""
    x = _float_input(x)
    w = _kernels(w, x.shape[1], ((3, 3),))
    cols, size = _patches(x, padding)
    return _to_nchw(cols @ w.reshape(w.shape[0], -1).T, x.shape[0], size)
