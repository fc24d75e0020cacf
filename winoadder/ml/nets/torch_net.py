"""The study network in PyTorch and its training loop (AdderNet rules, l2-to-l1 exponent schedules).

Imported only by the ``train`` path: needs the optional ``train`` extra (torch, CPU).

Training rules (AdderNet, Chen et al. 2020), applied to every adder and Winograd-adder layer, written for
the shared core M = −|w − x|^p summed over input channels (``AdderSum``):
- weight gradient: the full-precision ∂M/∂w := x − w (not p·|w−x|^(p−1)·sign(x−w));
- input gradient: the HardTanh-clipped ∂M/∂x := HT(w − x) = clamp(w − x, −1, 1);
- both are independent of p: at p = 2 they are the exact gradient up to the factor 2 (and the clip),
  and the factor is cancelled by the adaptive learning-rate scaling below;
- adaptive per-layer learning rate: the weight gradient of each adder layer is replaced by
  η·√k·grad/‖grad‖₂ (k = number of weights of the layer, η = 0.2) before the optimizer step.
For the Winograd variants x is V = BᵀdB and w is U = GgGᵀ; the trainable parameter is the 3×3 kernel g,
its gradient comes from ∂M/∂U through the linear map g ↦ GgGᵀ, and the input gradient flows from V back
to d through Bᵀ·B. The forward pass at progress t uses p = schedules.p_at(schedule, t).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from winoadder.ml.nets.data import Dataset
from winoadder.ml.nets.model import Net, accuracy, layer_kind, preset_of
from winoadder.ml.nets.schedules import p_at
from winoadder.ml.nets.transforms import float_transform

ETA = 0.2
DEFAULT_CHANNELS = (16, 32)


class AdderSum(torch.autograd.Function):
    """out[n,o,l,f] = −Σ_c |w[o,c,f] − x[n,c,l,f]|^p with AdderNet's surrogate gradients."""

    @staticmethod
    def forward(ctx, x, w, p: float):
        ctx.save_for_backward(x, w)
        d = (w[None, :, :, None, :] - x[:, None]).abs()  # N,O,C,L,F
        if p != 1.0:
            d = d.pow(p)
        return -d.sum(dim=2)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_tensors
        grad_w = torch.einsum("nolf,nclf->ocf", grad_out, x) - w * grad_out.sum(dim=(0, 2))[:, None, :]
        diff = (w[None, :, :, None, :] - x[:, None]).clamp_(-1.0, 1.0)  # N,O,C,L,F
        grad_x = torch.einsum("nolf,noclf->nclf", grad_out, diff)
        return grad_x, grad_w, None


class AdderLayer(nn.Module):
    """Direct AdderNet 3×3 layer, padding 1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.weight = nn.Parameter(nn.Conv2d(cin, cout, 3, bias=False).weight.detach().clone())
        self.p = 1.0

    def forward(self, x):
        n, _, h, w = x.shape
        cols = F.unfold(x, 3, padding=1)  # N, C·9, L
        out = AdderSum.apply(cols[..., None], self.weight.reshape(len(self.weight), -1, 1), self.p)
        return out.reshape(n, -1, h, w)


class WinoAdderLayer(nn.Module):
    """Winograd-adder 3×3 layer, padding 1: Y = Aᵀ(−Σ_c |GgGᵀ − BᵀdB|^p)A over 2×2 output tiles."""

    def __init__(self, cin: int, cout: int, preset: str):
        super().__init__()
        self.weight = nn.Parameter(nn.Conv2d(cin, cout, 3, bias=False).weight.detach().clone())
        t = float_transform(preset)
        for name in ("BT", "G", "AT"):
            self.register_buffer(name, torch.tensor(getattr(t, name), dtype=torch.float32), persistent=False)
        self.p = 1.0

    def forward(self, x):
        n, c, h, w = x.shape
        th, tw = -(-h // 2), -(-w // 2)
        xp = F.pad(x, (1, 2 * tw + 1 - w, 1, 2 * th + 1 - h))
        d = F.unfold(xp, 4, stride=2).reshape(n, c, 4, 4, th * tw)
        V = torch.einsum("ia,ncabt,jb->nctij", self.BT, d, self.BT).reshape(n, c, th * tw, 16)
        U = torch.einsum("ia,ocab,jb->ocij", self.G, self.weight, self.G).reshape(len(self.weight), c, 16)
        S = AdderSum.apply(V, U, self.p).reshape(n, -1, th, tw, 4, 4)
        Y = torch.einsum("ia,notuab,jb->notiuj", self.AT, S, self.AT).reshape(n, -1, 2 * th, 2 * tw)
        return Y[:, :, :h, :w]


class StudyNet(nn.Module):
    """[3×3 layer → BN → ReLU → 2×2 max pool] × len(channels) → linear (see winoadder.ml.nets.model)."""

    def __init__(self, variant: str, image_shape, num_classes: int, channels=DEFAULT_CHANNELS):
        super().__init__()
        kind = layer_kind(variant)
        cin, h, w = image_shape
        layers, norms = [], []
        for cout in channels:
            if kind == "conv":
                layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            elif kind == "adder":
                layers.append(AdderLayer(cin, cout))
            else:
                layers.append(WinoAdderLayer(cin, cout, preset_of(variant)))
            norms.append(nn.BatchNorm2d(cout))
            cin, h, w = cout, h // 2, w // 2
        if h < 1 or w < 1:
            raise ValueError(
                f"--channels: images of {image_shape[1]}×{image_shape[2]} are too small for {len(channels)} "
                "pooling stages (one per entry)"
            )
        self.layers, self.norms = nn.ModuleList(layers), nn.ModuleList(norms)
        self.fc = nn.Linear(cin * h * w, num_classes)
        self.adder_layers = [m for m in layers if not isinstance(m, nn.Conv2d)]

    def set_p(self, p: float) -> None:
        for m in self.adder_layers:
            m.p = p

    def forward(self, x):
        for layer, norm in zip(self.layers, self.norms, strict=True):
            x = F.max_pool2d(F.relu(norm(layer(x))), 2)
        return self.fc(x.flatten(1))

    def to_net(self, meta: dict) -> Net:
        """Export the parameters (float32 values, stored as float32) to the numpy ``Net``."""

        def arr(t):
            return t.detach().cpu().numpy().astype(np.float32)

        bn = [
            {
                "gamma": arr(b.weight),
                "beta": arr(b.bias),
                "mean": arr(b.running_mean),
                "var": arr(b.running_var),
            }
            for b in self.norms
        ]
        conv = [arr(m.weight) for m in self.layers]
        return Net(dict(meta), conv, bn, arr(self.fc.weight), arr(self.fc.bias))

    @classmethod
    def from_net(cls, net: Net) -> StudyNet:
        m = cls(net.variant, tuple(net.meta["image_shape"]), net.meta["num_classes"], net.meta["channels"])
        with torch.no_grad():
            for layer, w in zip(m.layers, net.conv, strict=True):
                layer.weight.copy_(torch.from_numpy(w))
            for b, p in zip(m.norms, net.bn, strict=True):
                b.weight.copy_(torch.from_numpy(p["gamma"]))
                b.bias.copy_(torch.from_numpy(p["beta"]))
                b.running_mean.copy_(torch.from_numpy(p["mean"]))
                b.running_var.copy_(torch.from_numpy(p["var"]))
            m.fc.weight.copy_(torch.from_numpy(net.fc_weight))
            m.fc.bias.copy_(torch.from_numpy(net.fc_bias))
        m.eval()
        return m


def adaptive_scale_(model: StudyNet, eta: float = ETA) -> None:
    """AdderNet's adaptive learning rate: each adder layer's gradient ← η·√k·grad/‖grad‖₂."""
    for m in model.adder_layers:
        g = m.weight.grad
        norm = g.norm()
        if norm > 0:
            g.mul_(eta * math.sqrt(g.numel()) / norm)


def configure_determinism(seed: int) -> torch.Generator:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def train(
    variant: str,
    schedule: str,
    data: Dataset,
    *,
    seed: int = 0,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 0.1,
    channels=DEFAULT_CHANNELS,
    max_steps: int | None = None,
    progress: bool = True,
):
    """Train one variant; returns (torch model, per-step training losses). Seeded and reproducible."""
    from tqdm import tqdm

    if layer_kind(variant) == "conv" and schedule != "p1":
        raise ValueError(f"schedule: the cnn variant has no exponent p; use 'p1', got {schedule!r}")
    gen = configure_determinism(seed)
    model = StudyNet(variant, data.image_shape, data.num_classes, channels)
    x = torch.tensor(data.x_train, dtype=torch.float32)
    y = torch.tensor(data.y_train, dtype=torch.long)
    steps_per_epoch = -(-len(x) // batch_size)
    total = epochs * steps_per_epoch if max_steps is None else max_steps
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / total, 1.0)))
    )
    losses, step = [], 0
    bar = tqdm(
        total=total, desc=f"train {variant}-{schedule}", unit="step", disable=not progress, leave=False
    )
    model.train()
    while step < total:
        order = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), batch_size):
            if step >= total:
                break
            idx = order[s : s + batch_size]
            model.set_p(p_at(schedule, step / total))
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            adaptive_scale_(model)
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            bar.update(1)
            bar.set_postfix(
                loss=f"{losses[-1]:.3f}", p=f"{model.adder_layers[0].p:.2f}" if model.adder_layers else "-"
            )
    bar.close()
    model.set_p(1.0)
    model.eval()
    return model, losses


def export(
    model: StudyNet,
    variant: str,
    schedule: str,
    data: Dataset,
    *,
    seed: int,
    epochs: int,
    seconds: float | None = None,
) -> Net:
    """Numpy ``Net`` with metadata, its float accuracies measured by the numpy inference path."""
    meta = {
        "variant": variant,
        "schedule": schedule,
        "seed": seed,
        "epochs": epochs,
        "channels": [m.weight.shape[0] for m in model.layers],
        "image_shape": list(data.image_shape),
        "num_classes": data.num_classes,
        "data": data.name,
        "torch_version": torch.__version__,
        "p_final": 1.0,
    }
    if seconds is not None:
        meta["train_seconds"] = round(seconds, 1)
    net = model.to_net(meta)
    net.meta["float_train_accuracy"] = accuracy(net.forward(data.x_train), data.y_train)
    net.meta["float_test_accuracy"] = accuracy(net.forward(data.x_test), data.y_test)
    return net


def train_and_export(
    variant: str,
    schedule: str,
    data: Dataset,
    *,
    seed: int = 0,
    epochs: int = 30,
    progress: bool = True,
    **kwargs,
) -> Net:
    start = time.perf_counter()
    model, _ = train(variant, schedule, data, seed=seed, epochs=epochs, progress=progress, **kwargs)
    seconds = time.perf_counter() - start
    return export(model, variant, schedule, data, seed=seed, epochs=epochs, seconds=seconds)
