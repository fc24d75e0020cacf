"""The study network's data loading, p schedules, numpy inference, and numpy-vs-torch agreement."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoint.errors import UsageError
from simulator import reference
from winoadder.ml.nets import data
from winoadder.ml.nets.model import (
    VARIANTS,
    Net,
    adder_conv,
    correlate,
    winograd_adder_conv,
    winograd_weights,
)
from winoadder.ml.nets.schedules import ANNEAL_END, SCHEDULES, p_at
from winoadder.ml.nets.transforms import float_transform
from winoadder.paths import MODELS_DIR

U64 = np.finfo(np.float64).eps / 2  # unit roundoff of float64


def gamma(n: int) -> float:
    """Higham's γ_n = n·u/(1 − n·u): the relative error bound of an n-term float64 recursive sum."""
    return n * U64 / (1 - n * U64)


# ---- data -------------------------------------------------------------------------------------------


def test_digits_is_sklearns_digits_with_a_fixed_stratified_split():
    from sklearn.datasets import load_digits

    ds = data.load_digits()
    bunch = load_digits()
    images = np.concatenate([ds.x_train, ds.x_test])
    labels = np.concatenate([ds.y_train, ds.y_test])
    want = bunch.images[:, None] / 16.0
    # the split is a permutation of sklearn's images: compare as sorted rows
    key = np.lexsort(np.concatenate([images.reshape(len(images), -1), labels[:, None]], axis=1).T)
    want_key = np.lexsort(np.concatenate([want.reshape(len(want), -1), bunch.target[:, None]], axis=1).T)
    assert np.array_equal(images[key], want[want_key])
    assert np.array_equal(labels[key], bunch.target[want_key])
    again = data.load_digits()
    assert np.array_equal(again.x_test, ds.x_test) and np.array_equal(again.y_test, ds.y_test)
    per_class = np.bincount(ds.y_test) / np.bincount(labels)
    assert np.all(np.abs(per_class - data.TEST_FRACTION) < 0.02)


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_loader_reads_images_and_labels(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.normal(size=(40, 3, 6, 5))
    labels = np.arange(40) % 4
    ds = data.load_npz(write_npz(tmp_path / "mine.npz", images=images, labels=labels))
    assert ds.name == "mine" and ds.image_shape == (3, 6, 5) and ds.num_classes == 4
    assert len(ds.y_train) + len(ds.y_test) == 40
    got = np.sort(np.concatenate([ds.x_train, ds.x_test]).ravel())
    assert np.array_equal(got, np.sort(images.ravel()))


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"images": np.zeros((20, 1, 4, 4))}, "missing array(s) labels"),
        (
            {"images": np.zeros((20, 16)), "labels": np.zeros(20, int)},
            "'images' must be a real array N×C×H×W",
        ),
        (
            {"images": np.zeros((20, 1, 4, 4)), "labels": np.zeros(19, int)},
            "'labels' must be integers of shape",
        ),
        ({"images": np.zeros((20, 1, 4, 4)), "labels": np.zeros(20)}, "'labels' must be integers"),
        ({"images": np.zeros((20, 1, 4, 4)), "labels": -np.ones(20, int)}, "must be 0..K−1"),
        ({"images": np.full((20, 1, 4, 4), np.nan), "labels": np.zeros(20, int)}, "NaN"),
    ],
)
def test_npz_loader_rejects_bad_files_naming_the_problem(tmp_path, arrays, message):
    path = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UsageError, match="--data") as info:
        data.load_npz(path)
    assert message in str(info.value)


def test_npz_loader_rejects_missing_and_unreadable_files(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        data.load_npz(tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(UsageError, match="not a readable .npz"):
        data.load_npz(tmp_path / "junk.npz")


# ---- p schedules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["linear", "cosine", "step"])
def test_l2_to_l1_schedules_start_at_2_end_at_1_and_never_rise(schedule):
    assert p_at(schedule, 0.0) == 2.0
    assert p_at(schedule, ANNEAL_END) == 1.0 and p_at(schedule, 1.0) == 1.0
    ps = [p_at(schedule, t) for t in np.linspace(0, 1, 201)]
    assert all(b <= a for a, b in zip(ps, ps[1:], strict=False))
    assert all(1.0 <= p <= 2.0 for p in ps)
    assert any(1.0 < p < 2.0 for p in ps)


def test_p1_schedule_is_one_throughout_and_unknown_names_are_rejected():
    assert {p_at("p1", t) for t in np.linspace(0, 1, 11)} == {1.0}
    assert set(SCHEDULES) == {"linear", "cosine", "step", "p1"}
    with pytest.raises(ValueError, match="schedule: unknown 'quadratic'"):
        p_at("quadratic", 0.5)


# ---- numpy layers against the simulator's float references ----------------------------------------


@pytest.fixture(scope="module")
def small_layer_case():
    rng = np.random.default_rng(7)
    return rng.uniform(0, 2, size=(3, 4, 6, 7)), rng.normal(size=(5, 4, 3, 3))


def test_numpy_correlate_and_adder_match_the_references(small_layer_case):
    x, w = small_layer_case
    k = w[0].size
    ref = reference.correlate(x, w)
    # both sides are k-term float64 sums of products: each within γ_{k+1}·Σ|x·w| of the exact value
    bound = 2 * gamma(k + 1) * correlate(np.abs(x), np.abs(w))
    assert np.all(np.abs(correlate(x, w) - ref) <= bound)
    ref = reference.adder_conv(x, w)
    bound = 2 * gamma(k + 1) * np.abs(ref)  # all k terms |x − w| have one sign: Σ|terms| = |y|
    assert np.all(np.abs(adder_conv(x, w) - ref) <= bound)


@pytest.mark.parametrize("preset", ["lavin", "balanced"])
def test_numpy_winograd_adder_matches_the_reference(small_layer_case, preset):
    x, g = small_layer_case
    t = float_transform(preset)
    U = winograd_weights(g, t.G)
    ref = reference.winograd_adder_conv(x, U, preset)
    got = winograd_adder_conv(x, U, t.BT, t.AT)
    abs_bound = winograd_adder_conv_abs(x, U, t)
    n = x.shape[1] + 16 + 16 + 2  # roundings along the deepest path: Bᵀ·B, |U − V|, Σ_c, Aᵀ·A
    assert np.all(np.abs(got - ref) <= 2 * gamma(n) * abs_bound)


def winograd_adder_conv_abs(x, U, t):
    """Σ|terms| of every Winograd-adder output: |Aᵀ|(Σ_c |U| + |Bᵀ||d||B|)|A| (−Y of absolute inputs)."""
    return -winograd_adder_conv(np.abs(x), -np.abs(U), np.abs(t.BT), np.abs(t.AT))


def test_shipped_models_exist_with_metadata():
    for variant in VARIANTS:
        net = Net.load(MODELS_DIR / f"{variant}-p1.npz")
        meta = net.meta
        assert meta["variant"] == variant and meta["schedule"] == "p1" and meta["p_final"] == 1.0
        assert isinstance(meta["seed"], int) and 0.5 < meta["float_test_accuracy"] <= 1.0
    for variant in ("adder", "wino_lavin", "wino_balanced"):
        assert Net.load(MODELS_DIR / f"{variant}-cosine.npz").meta["schedule"] == "cosine"


def test_float_accuracy_of_shipped_models_is_what_their_metadata_records():
    ds = data.load_digits()
    for path in sorted(MODELS_DIR.glob("*.npz")):
        net = Net.load(path)
        acc = float(np.mean(np.argmax(net.forward(ds.x_test), axis=1) == ds.y_test))
        assert acc == net.meta["float_test_accuracy"], path.name


def test_save_and_load_round_trip(tmp_path):
    net = Net.load(MODELS_DIR / "wino_balanced-p1.npz")
    net.save(tmp_path / "copy.npz")
    back = Net.load(tmp_path / "copy.npz")
    assert back.meta == net.meta
    for a, b in zip(
        back.conv + [back.fc_weight, back.fc_bias], net.conv + [net.fc_weight, net.fc_bias], strict=True
    ):
        assert np.array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["copy.npz"]


# ---- numpy inference against torch ------------------------------------------------------------------


def abs_forward(net: Net, x: np.ndarray) -> np.ndarray:
    """Σ|terms| bound of every logit: the network evaluated on absolute values with every subtraction
    made an addition (first-order running error analysis: the rounding error of the float64 forward
    pass is at most γ_n times this, n the number of roundings along the deepest path)."""
    from winoadder.ml.nets.model import layer_kind, max_pool2, patches3

    kind = layer_kind(net.variant)
    h = np.abs(x)
    for i, w in enumerate(net.conv):
        n_img, _, height, width = h.shape
        if kind == "conv":
            y = correlate(h, np.abs(w))
        elif kind == "adder":
            p = patches3(h)
            y = p.sum(axis=1)[:, None] + np.abs(w).reshape(len(w), -1).sum(axis=1)[None, :, None]
            y = y.reshape(n_img, len(w), height, width)
        else:
            t = net.transform
            y = winograd_adder_conv_abs(h, winograd_weights(np.abs(w), np.abs(t.G)), t)
        bn = net.bn[i]
        scale = np.abs(bn["gamma"]) / np.sqrt(bn["var"] + 1e-5)
        z = (y + np.abs(bn["mean"])[:, None, None]) * scale[:, None, None] + np.abs(bn["beta"])[:, None, None]
        h = max_pool2(z)
    return h.reshape(len(h), -1) @ np.abs(net.fc_weight).T + np.abs(net.fc_bias)


@pytest.mark.parametrize("variant", VARIANTS)
def test_numpy_inference_matches_torch_within_the_rounding_bound(variant):
    import torch

    from winoadder.ml.nets.torch_net import StudyNet

    ds = data.load_digits()
    net = Net.load(MODELS_DIR / f"{variant}-p1.npz")
    x = ds.x_test[:64]
    model = StudyNet.from_net(net).double()
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = net.forward(x)
    c = max(net.meta["channels"])
    n = 2 * (9 * c + 40) + net.fc_weight.shape[1] + 10  # roundings along the deepest path, generously
    bound = 2 * gamma(n) * abs_forward(net, x)
    assert np.all(np.abs(got - want) <= bound)
    assert np.array_equal(np.argmax(got, axis=1), np.argmax(want, axis=1))
