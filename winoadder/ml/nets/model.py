"""The study network in numpy: parameters (.npz with metadata) and float inference.

Architecture: ``len(channels)`` blocks of [3×3 layer (padding 1, no bias) → batch norm → ReLU → 2×2 max
pool], then a linear classifier on the flattened features. The 3×3 layer is what the variant says:
``cnn`` a correlation, ``adder`` direct AdderNet −Σ|x − w| over the 3×3×C window, ``wino_<preset>`` the
Winograd-adder −Σ_c Aᵀ|GgGᵀ − BᵀdB|A over 2×2 output tiles (docs/datapath.md). The trainable kernel is
the 3×3 ``g`` in every variant (U = GgGᵀ is derived from it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

from winoadder.ml.nets.transforms import float_transform

VARIANTS = ("cnn", "adder", "wino_lavin", "wino_balanced")
BN_EPS = 1e-5


def layer_kind(variant: str) -> str:
    """``conv``, ``adder`` or ``wino``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant: unknown {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant.split("_")[0] if variant.startswith("wino") else {"cnn": "conv", "adder": "adder"}[variant]


def preset_of(variant: str) -> str:
    """Transform preset name of a Winograd variant (``wino_lavin`` → ``lavin``)."""
    return variant.split("_", 1)[1]


@dataclass
class Net:
    """Trained parameters and their metadata (variant, schedule, seed, channels, accuracies, …)."""

    meta: dict
    conv: list[np.ndarray]  # (O, C, 3, 3) each
    bn: list[dict[str, np.ndarray]]  # gamma, beta, mean, var
    fc_weight: np.ndarray  # (classes, features)
    fc_bias: np.ndarray  # (classes,)
    _transform: object = field(default=None, repr=False)

    @property
    def variant(self) -> str:
        return self.meta["variant"]

    @property
    def name(self) -> str:
        return f"{self.meta['variant']}-{self.meta['schedule']}"

    @property
    def transform(self):
        if self._transform is None and layer_kind(self.variant) == "wino":
            self._transform = float_transform(preset_of(self.variant))
        return self._transform

    def save(self, path: str | Path) -> None:
        arrays = {
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
            "fc.weight": self.fc_weight,
            "fc.bias": self.fc_bias,
        }
        for i, (w, bn) in enumerate(zip(self.conv, self.bn, strict=True)):
            arrays[f"conv{i}.weight"] = w
            arrays.update({f"bn{i}.{k}": v for k, v in bn.items()})
        from fixedpoint.safeio import write_file

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:  # a file object: savez would append .npz to a name
                np.savez_compressed(fh, **{k: np.asarray(v) for k, v in arrays.items()})

        write_file(path, write, option="--out")

    @classmethod
    def load_checked(cls, path: str | Path, option: str) -> Net:
        """``load`` for a file the user named: every way a file can fail to be a study model (not a
        zip, truncated, a pickle, missing or malformed ``meta`` or arrays) is one UsageError naming
        ``option`` and the path."""
        import zipfile

        from fixedpoint.errors import UsageError

        try:
            return cls.load(path)
        except (KeyError, ValueError, OSError, TypeError, IndexError, AttributeError, EOFError,
                zipfile.BadZipFile) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(f"{option}: {path} is not a study model ({why[:120]})") from None

    @classmethod
    def load(cls, path: str | Path) -> Net:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            n = len(meta["channels"])
            conv = [npz[f"conv{i}.weight"].astype(np.float64) for i in range(n)]
            bn = [
                {k: npz[f"bn{i}.{k}"].astype(np.float64) for k in ("gamma", "beta", "mean", "var")}
                for i in range(n)
            ]
            net = cls(meta, conv, bn, npz["fc.weight"].astype(np.float64), npz["fc.bias"].astype(np.float64))
        layer_kind(net.variant)
        return net

    def float_layer(self, i: int, x: np.ndarray) -> np.ndarray:
        """Output of 3×3 layer ``i`` (before batch norm) in float64."""
        kind = layer_kind(self.variant)
        if kind == "conv":
            return correlate(x, self.conv[i])
        if kind == "adder":
            return adder_conv(x, self.conv[i])
        t = self.transform
        return winograd_adder_conv(x, winograd_weights(self.conv[i], t.G), t.BT, t.AT)

    def block_tail(self, i: int, y: np.ndarray) -> np.ndarray:
        """Batch norm (running statistics), ReLU and 2×2 max pool after layer ``i``."""
        bn = self.bn[i]
        scale = bn["gamma"] / np.sqrt(bn["var"] + BN_EPS)
        z = (y - bn["mean"][:, None, None]) * scale[:, None, None] + bn["beta"][:, None, None]
        return max_pool2(np.maximum(z, 0.0))

    def forward(
        self,
        x: np.ndarray,
        layer: Callable[[int, np.ndarray], np.ndarray] | None = None,
        trace: list | None = None,
    ) -> np.ndarray:
        """Logits (N, classes). ``layer(i, x)`` replaces the 3×3 layers (default: float); ``trace``
        collects (layer input, layer output) per layer."""
        layer = layer or self.float_layer
        h = x
        for i in range(len(self.conv)):
            y = layer(i, h)
            if trace is not None:
                trace.append((h, y))
            h = self.block_tail(i, y)
        return h.reshape(len(h), -1) @ self.fc_weight.T + self.fc_bias


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def max_pool2(x: np.ndarray) -> np.ndarray:
    """2×2 max pool, stride 2, odd trailing row/column dropped (torch's default)."""
    n, c, h, w = x.shape
    x = x[:, :, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def patches3(x: np.ndarray) -> np.ndarray:
    """3×3 windows with padding 1: (N, C, H, W) → (N, C·9, H·W), (c, ky, kx) order as torch's unfold."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # N,C,H,W,3,3
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)


def correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Ordinary 3×3 convolution layer (cross-correlation, padding 1)."""
    n, _, h, wd = x.shape
    y = np.einsum("ok,nkl->nol", w.reshape(len(w), -1), patches3(x))
    return y.reshape(n, len(w), h, wd)


def l1_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ_k |a[i,k] − b[j,k]| for (I, K) and (J, K) float64 arrays → (I, J) (scipy's cityblock cdist)."""
    return cdist(a, b, "cityblock")


def adder_conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Direct AdderNet layer: y = −Σ_{c,ky,kx} |x − w| over each padded 3×3 window."""
    n, _, h, wd = x.shape
    p = patches3(x).transpose(0, 2, 1).reshape(n * h * wd, -1)
    y = -l1_distances(p, w.reshape(len(w), -1).astype(np.float64))
    return y.reshape(n, h, wd, len(w)).transpose(0, 3, 1, 2)


def winograd_weights(g: np.ndarray, G: np.ndarray) -> np.ndarray:
    """U = G g Gᵀ for every (o, c): (O, C, 3, 3) → (O, C, 4, 4)."""
    return np.einsum("ia,ocab,jb->ocij", G, g, G)


def input_tiles(x: np.ndarray) -> np.ndarray:
    """Overlapping 4×4 input tiles (stride 2) of the padded input: (N, C, Th, Tw, 4, 4).

    Padding is 1 on top/left and enough zeros on bottom/right for ceil(H/2)×ceil(W/2) output tiles.
    """
    h, w = x.shape[2:]
    th, tw = -(-h // 2), -(-w // 2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2 * th + 1 - h), (1, 2 * tw + 1 - w)))
    return np.lib.stride_tricks.sliding_window_view(xp, (4, 4), axis=(2, 3))[:, :, ::2, ::2]


def untile(y: np.ndarray, h: int, w: int) -> np.ndarray:
    """(N, O, Th, Tw, 2, 2) output tiles → (N, O, H, W), dropping the padding row/column of odd sizes."""
    n, o, th, tw = y.shape[:4]
    return y.transpose(0, 1, 2, 4, 3, 5).reshape(n, o, 2 * th, 2 * tw)[:, :, :h, :w]


def winograd_adder_conv(x: np.ndarray, U: np.ndarray, BT: np.ndarray, AT: np.ndarray) -> np.ndarray:
    """Winograd-adder layer in float64: Y = Aᵀ(−Σ_c |U − BᵀdB|)A per 2×2 output tile."""
    n, _, h, w = x.shape
    V = np.einsum("ia,nctuab,jb->ntuijc", BT, input_tiles(x), BT)  # channels last
    th, tw = V.shape[1:3]
    V = V.reshape(n * th * tw, 16, -1)
    U16 = U.reshape(len(U), -1, 16)
    S = np.stack([-l1_distances(V[:, f], U16[:, :, f]) for f in range(16)], axis=-1)  # (N·T, O, 16)
    S = S.reshape(n, th, tw, len(U), 4, 4).transpose(0, 3, 1, 2, 4, 5)
    return untile(np.einsum("ia,notuab,jb->notuij", AT, S, AT), h, w)
