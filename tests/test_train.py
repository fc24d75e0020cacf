"""Training: AdderNet gradient rules, adaptive learning rate, p schedule in the loop, reproducibility, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from winoadder import cli
from winoadder.ml.nets import data
from winoadder.ml.nets.model import Net, winograd_adder_conv
from winoadder.ml.nets.schedules import p_at
from winoadder.ml.nets.torch_net import ETA, AdderSum, StudyNet, WinoAdderLayer, adaptive_scale_, train
from winoadder.ml.nets.transforms import float_transform

U64 = np.finfo(np.float64).eps / 2


def gamma(n: int) -> float:
    return n * U64 / (1 - n * U64)


@pytest.fixture(scope="module")
def tiny():
    ds = data.load_digits()
    return data.Dataset("tiny", ds.x_train[:96], ds.y_train[:96], ds.x_test[:32], ds.y_test[:32])


@pytest.fixture
def adder_case():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5, 4))  # N, C, L, F
    w = rng.normal(size=(4, 3, 4))  # O, C, F
    r = rng.normal(size=(2, 4, 5, 4))  # upstream gradient, N, O, L, F
    return x, w, r


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0])
def test_adder_sum_forward_is_minus_the_p_norm_power(adder_case, p):
    x, w, _ = adder_case
    got = AdderSum.apply(torch.from_numpy(x), torch.from_numpy(w), p).numpy()
    terms = np.abs(w[None, :, :, None, :] - x[:, None]) ** p  # N, O, C, L, F
    want = -terms.sum(axis=2)
    # C-term sums of pow results (each within a few ulps): bound γ_{C+4}·Σ|terms| for each side
    assert np.all(np.abs(got - want) <= 2 * gamma(x.shape[1] + 4) * terms.sum(axis=2))


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_adder_sum_gradients_are_full_precision_for_weights_and_hardtanh_for_inputs(adder_case, p):
    x, w, r = adder_case
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    (AdderSum.apply(xt, wt, p) * torch.from_numpy(r)).sum().backward()
    diff = w[None, :, :, None, :] - x[:, None]  # N, O, C, L, F: w − x
    grad_w_terms = r[:, :, None] * -diff  # ∂M/∂w := x − w
    grad_x_terms = r[:, :, None] * np.clip(diff, -1, 1)  # ∂M/∂x := HT(w − x)
    want_w = grad_w_terms.sum(axis=(0, 3))
    want_x = grad_x_terms.sum(axis=1)
    n_w = x.shape[0] * x.shape[2] + 2
    assert np.all(np.abs(wt.grad.numpy() - want_w) <= 2 * gamma(n_w) * np.abs(grad_w_terms).sum(axis=(0, 3)))
    assert np.all(
        np.abs(xt.grad.numpy() - want_x) <= 2 * gamma(w.shape[0] + 2) * np.abs(grad_x_terms).sum(axis=1)
    )
    # the surrogate is not the true gradient of |w − x|: the weight gradient is not its sign
    assert not np.allclose(
        want_w, (r[:, :, None] * np.sign(x[:, None] - w[None, :, :, None, :])).sum(axis=(0, 3))
    )


def test_input_gradient_is_clipped_to_one():
    x = torch.tensor([[[[0.0]]]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[[5.0]], [[-0.25]]], dtype=torch.float64, requires_grad=True)
    AdderSum.apply(x, w, 1.0).sum().backward()
    assert x.grad.item() == 1.0 - 0.25  # HT(5 − 0) = 1, HT(−0.25 − 0) = −0.25
    assert w.grad[:, 0, 0].tolist() == [-5.0, 0.25]  # x − w, unclipped


def test_wino_layer_forward_matches_numpy_and_weight_gradient_goes_through_g():
    rng = np.random.default_rng(5)
    layer = WinoAdderLayer(3, 4, "lavin").double()
    x = torch.from_numpy(rng.uniform(0, 1, size=(2, 3, 6, 6))).requires_grad_()
    y = layer(x)
    t = float_transform("lavin")
    g = layer.weight.detach().numpy()
    U = np.einsum("ia,ocab,jb->ocij", t.G, g, t.G)
    want = winograd_adder_conv(x.detach().numpy(), U, t.BT, t.AT)
    abs_terms = -winograd_adder_conv(np.abs(x.detach().numpy()), -np.abs(U), np.abs(t.BT), np.abs(t.AT))
    n = 3 + 16 + 16 + 2  # roundings along the deepest path: Bᵀ·B, |U − V|, Σ_c, Aᵀ·A
    assert np.all(np.abs(y.detach().numpy() - want) <= 2 * gamma(n) * abs_terms)
    r = rng.normal(size=y.shape)
    (y * torch.from_numpy(r)).sum().backward()
    assert layer.weight.grad.shape == (4, 3, 3, 3)  # the trainable parameter is the 3×3 kernel g


def test_adaptive_learning_rate_sets_each_adder_layer_gradient_norm_to_eta_sqrt_k():
    model = StudyNet("adder", (1, 8, 8), 10)
    x = torch.rand(4, 1, 8, 8)
    model(x).sum().backward()
    adaptive_scale_(model)
    for layer in model.adder_layers:
        k = layer.weight.numel()
        assert layer.weight.grad.norm().item() == pytest.approx(ETA * np.sqrt(k), rel=1e-6)


def test_training_is_reproducible_and_reduces_the_loss(tiny):
    runs = [
        train("wino_balanced", "cosine", tiny, seed=3, epochs=1, batch_size=32, max_steps=12, progress=False)
        for _ in range(2)
    ]
    (m1, l1), (m2, l2) = runs
    assert l1 == l2
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert np.mean(l1[-3:]) < l1[0]
    assert all(layer.p == 1.0 for layer in m1.adder_layers)  # ends at p = 1
    other, _ = train(
        "wino_balanced", "cosine", tiny, seed=4, epochs=1, batch_size=32, max_steps=2, progress=False
    )
    assert not torch.equal(other.layers[0].weight, m1.layers[0].weight)


def test_training_uses_the_schedule_p_at_every_step(tiny, monkeypatch):
    seen = []
    monkeypatch.setattr(StudyNet, "set_p", lambda self, p: seen.append(p))
    train("adder", "linear", tiny, epochs=1, batch_size=48, max_steps=5, progress=False)
    assert seen[:5] == [p_at("linear", s / 5) for s in range(5)]


def test_cnn_has_no_exponent_schedule(tiny):
    with pytest.raises(ValueError, match="schedule: the cnn variant has no exponent p"):
        train("cnn", "cosine", tiny, max_steps=1, progress=False)


def test_train_cli_writes_models_with_metadata(tmp_path, capsys):
    out = tmp_path / "models"
    rc = cli.main(
        [
            "train",
            "--variants",
            "cnn,adder",
            "--schedules",
            "step",
            "--max-steps",
            "2",
            "--epochs",
            "1",
            "--channels",
            "4,4",
            "--out",
            str(out),
            "--quiet",
            "--seed",
            "5",
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["adder-step.npz", "cnn-p1.npz"]
    net = Net.load(out / "adder-step.npz")
    assert (net.meta["variant"], net.meta["schedule"], net.meta["seed"], net.meta["channels"]) == (
        "adder",
        "step",
        5,
        [4, 4],
    )
    assert 0 <= net.meta["float_test_accuracy"] <= 1
    json.dumps(net.meta)
    assert "adder-step.npz" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--variants", "resnet"], "--variants: unknown 'resnet'"),
        (["--schedules", "quadratic"], "--schedules: unknown 'quadratic'"),
        (["--channels", "4,x"], "--channels"),
        (["--epochs", "0"], "--epochs"),
        (["--data", "/nonexistent/data.npz"], "--data: no such file"),
    ],
)
def test_train_cli_rejects_bad_arguments_with_exit_2_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    assert run_cli(["train", "--out", str(out), "--quiet", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def run_cli(argv: list[str]) -> int:
    """The CLI's exit status, whether it returns it or argparse exits."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code
