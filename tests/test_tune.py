"""tune: proved error bounds against the largest error seen, the search on a tiny data set with its configs
verified on both simulators, the target grammar, and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fixedpoint import to_float
from simulator import PRESETS, DatapathConfig, reference
from winoadder import cli
from winoadder.ml import tune
from winoadder.ml.bound import LayerKnobs, build_config, error_bound, size_output
from winoadder.ml.nets import data
from winoadder.ml.nets.model import Net

MODEL = str(tune.resolve_model("wino_balanced"))


@pytest.fixture(scope="module")
def net():
    return Net.load(MODEL)


@pytest.fixture(scope="module")
def layer_inputs(net):
    ds = data.load_digits()
    trace: list = []
    net.forward(ds.x_test[:60], trace=trace)
    return [h for h, _ in trace]


@pytest.fixture(scope="module")
def facts():
    return tune.context(MODEL, None)[2]


KNOBS = [
    LayerKnobs(fa=3, K=0, acc_drop=0, out_w=7, rounding="RND"),
    LayerKnobs(fa=2, K=1, acc_drop=0, out_w=9, rounding="TRN"),
    LayerKnobs(fa=4, K=2, acc_drop=0, out_w=12, rounding="RND_CONV"),
    LayerKnobs(fa=1, K=0, acc_drop=1, out_w=16, rounding="TRN_ZERO"),
    LayerKnobs(fa=5, K=2, acc_drop=2, out_w=6, rounding="RND_INF"),
    LayerKnobs(fa=3, K=1, acc_drop=0, out_w=8, rounding="RND", a_clip=1, acc_mode="WRAP"),
    # what tune returns for wino_balanced (docs/tune.md): layer 0 (SAT for bits, WRAP for lut4), layer 1
    LayerKnobs(fa=5, K=1, acc_drop=0, out_w=6, rounding="RND"),
    LayerKnobs(fa=5, K=1, acc_drop=0, out_w=6, rounding="RND", acc_mode="WRAP"),
    LayerKnobs(fa=2, K=0, acc_drop=2, out_w=8, rounding="RND"),
]


@pytest.mark.parametrize("knobs", KNOBS,
                         ids=lambda k: f"fa{k.fa}K{k.K}d{k.acc_drop}o{k.out_w}{k.rounding}c{k.a_clip}"
                                       f"{k.acc_mode}")
@pytest.mark.parametrize("layer", [0, 1])
def test_error_bound_holds_and_is_not_vacuous(net, layer_inputs, facts, knobs, layer):
    """Largest |out − Y_ref| over real layer inputs and random inputs spanning act_fmt ≤ the proved bound,
    where the simulator saw no overflow in the stages the bound assumes; the bound is within 8× of it."""
    g = net.conv[layer]
    cfg = build_config(PRESETS["balanced"], facts[layer], knobs, g, lanes=1)
    bound = error_bound(cfg, g)
    rng = np.random.default_rng(layer)
    x_real = layer_inputs[layer]
    act = cfg.act_fmt
    x_rand = rng.uniform(act.min_value, act.max_value, size=(4,) + x_real.shape[1:])
    worst, seen = 0.0, 0
    for x in (x_real, x_rand):
        counts: dict = {}
        out, x_raw = tune.run_layer(net, layer, cfg, x, counts)
        ref = reference.winograd_adder_conv(to_float(x_raw, act), g, cfg.transform)
        err = np.abs(out - ref)
        if counts["channel_accumulate"] or counts["requantize"]:
            assert bound["valid_when"], "an overflow happened in a stage proved overflow-free"
            lo, hi = cfg.out_fmt.min_value, cfg.out_fmt.max_value
            err = err[(out > lo) & (out < hi)] if not counts["channel_accumulate"] else err[:0]
        if err.size:
            worst, seen = max(worst, float(err.max())), seen + err.size
    assert worst <= bound["bound"] * (1 + 1e-12) + 1e-9
    if seen:
        assert worst >= bound["bound"] / 8, (worst, bound)
    else:  # every output went through a saturated accumulator: the bound must not claim that stage
        assert "channel_accumulate" in bound["valid_when"]


def test_only_a_proved_accumulator_may_wrap(net, facts):
    """WRAP at the proved width: proved overflow-free, and no clamp in the RTL; below it: not a config."""
    from simulator.rtl_params import rtl_parameters

    cfg = build_config(PRESETS["balanced"], facts[1], LayerKnobs(fa=3, K=0, acc_mode="WRAP"), net.conv[1])
    assert error_bound(cfg, net.conv[1])["proved_overflow_free"]["channel_accumulate"]
    assert rtl_parameters(cfg)["ACC_SAT"] == 0
    with pytest.raises(ValueError, match="acc_drop"):
        build_config(PRESETS["balanced"], facts[1], LayerKnobs(fa=3, acc_drop=1, acc_mode="WRAP"),
                     net.conv[1])


def test_error_bound_is_exact_rounding_when_u_is_exact(net, facts):
    """K = 2 with kernels on the activation grid: U = GgGᵀ is exact, the bound is requantize's ½ LSB."""
    cfg = build_config(PRESETS["balanced"], facts[0], LayerKnobs(fa=4, K=2, out_w=8), net.conv[0])
    g = np.round(net.conv[0] * 16) / 16
    b = error_bound(cfg, g)
    assert b["weight_term"] == 0 and b["bound"] == cfg.out_fmt.lsb / 2


def test_size_output_never_clips():
    cfg = DatapathConfig.default()
    rng = np.random.default_rng(1)
    g = rng.normal(0, cfg.act_fmt.max_value / 4, size=(8, 8, 3, 3))
    sized = size_output(cfg, g)
    assert error_bound(sized, g)["proved_overflow_free"]["requantize"]
    assert not error_bound(cfg, g)["proved_overflow_free"]["requantize"]


def test_target_grammar():
    assert tune.Target.parse("top1 >= float - 0.5") == tune.Target("top1", 0.5, True)
    assert tune.Target.parse("sqnr>=30") == tune.Target("sqnr", 30.0, False)
    result = {"accuracy": 0.95, "sqnr_db": [31.0, 29.0]}
    assert tune.Target.parse("top1 >= float - 0.5").met(result, 0.955)
    assert not tune.Target.parse("top1 >= float - 0.5").met(result, 0.956)
    assert not tune.Target.parse("sqnr >= 30").met(result, 1.0)
    for bad in ("top5 >= 3", "sqnr >= float - 3", "top1 > 3", ""):
        with pytest.raises(ValueError, match="--target"):
            tune.Target.parse(bad)


def test_agreement_criterion_implies_the_target():
    """Prediction agreement >= 1 − (D − margin) % on a split implies top-1 >= float − (D − margin) there
    (|top1 − float top1| <= the fraction of changed predictions); the converse does not hold, since top-1
    lets a lost and a gained image cancel."""
    target = tune.Target.parse("top1 >= float - 0.5")
    rng = np.random.default_rng(0)
    passed = 0
    for _ in range(300):
        labels = rng.integers(0, 10, 400)
        pred_f = np.where(rng.random(400) < 0.97, labels, rng.integers(0, 10, 400))
        pred_q = np.where(rng.random(400) < rng.uniform(0.98, 1.0), pred_f, rng.integers(0, 10, 400))
        result = {"accuracy": float(np.mean(pred_q == labels)), "agreement": float(np.mean(pred_q == pred_f))}
        margin = float(rng.choice([0.0, 0.1, 0.3]))
        if target.passes(result, float(np.mean(pred_f == labels)), margin, "agree"):
            assert target.met(result, float(np.mean(pred_f == labels)), margin)
            passed += 1
    assert 0 < passed < 300
    cancelling = {"accuracy": 0.99, "agreement": 0.99}  # two images changed, one lost and one gained
    assert target.passes(cancelling, 0.99, 0.0, "top1") and not target.passes(cancelling, 0.99, 0.0, "agree")
    assert target.passes({"accuracy": 0.99, "agreement": 0.995}, 0.99, 0.0, "agree")
    assert not target.passes({"accuracy": 0.99, "agreement": 0.995}, 0.99, 0.1, "agree")


def test_margin_schedules():
    assert tune.Target.parse("top1 >= float - 0.5").margins("agree") == [0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert tune.Target.parse("top1 >= float - 0").margins("agree") == [0.0]
    assert tune.Target.parse("top1 >= float - 0.5").margins("top1") == tune.margin_schedule(0.25, 2.0)
    assert tune.Target.parse("sqnr >= 30").margins("agree") == tune.margin_schedule(0.25, 2.0)
    assert not tune.Target.parse("top1 >= 95").uses_agreement("agree")


def test_calibration_split_is_seeded_noise_draws():
    x = np.linspace(0, 1, 2 * 3 * 4).reshape(2, 1, 3, 4)
    xs, ys = tune.calibration_split(x, np.array([3, 7]), draws=3)
    assert xs.shape == (6, 1, 3, 4) and list(ys) == [3, 7] * 3
    assert np.array_equal(xs[:2], tune.noisy(x, tune.CALIB_NOISE, tune.NOISE_SEED))
    assert not np.array_equal(xs[:2], xs[2:4]) and xs.min() >= 0 and xs.max() <= 1


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    ds = data.load_digits()
    path = tmp_path_factory.mktemp("tiny") / "tiny.npz"
    np.savez(path, images=ds.x_train[:150], labels=ds.y_train[:150])
    return str(path)


@pytest.fixture(scope="module")
def tiny_run(tiny_data):
    """The tiny tune (margin chosen on validation) and every task it ran, in order."""
    run = tune.batch_runner(None, None, "test", "tune", quiet=True)
    seen: list = []

    def recording(tasks):
        seen.extend(tasks)
        return run(tasks)

    rep = tune.tune(MODEL, tiny_data, tune.Target.parse("top1 >= float - 3"), "bits", 1, recording)
    return rep, seen


@pytest.fixture(scope="module")
def tiny_tune(tiny_run):
    return tiny_run[0]


def test_validation_and_heldout_halves_are_disjoint_stratified_and_seeded():
    y = np.repeat(np.arange(10), [5, 6, 7, 8, 9, 10, 11, 12, 13, 1])
    mask = tune.validation_mask(y)
    assert np.array_equal(mask, tune.validation_mask(y))
    assert not np.array_equal(mask, tune.validation_mask(y, seed=tune.VAL_SEED + 1))
    for cls in range(10):
        n = int((y == cls).sum())
        assert mask[y == cls].sum() == n // 2  # the held-out half gets the odd image
    _, splits, _, _, _ = tune.context(MODEL, None)
    val, held, test = splits["val"][0], splits["heldout"][0], splits["test"][0]
    assert len(val) + len(held) == len(test) and abs(len(val) - len(held)) <= 10
    flat = {tuple(x.ravel()) for x in held}
    assert not any(tuple(x.ravel()) in flat for x in val)


def test_margin_loop_raises_margin_until_validation_passes():
    """Searches at 0, 0.25, 0.5 …; stops at the first winner that meets the target on validation."""
    calls = []

    def search_at(m):
        calls.append(m)
        return [{"m": m}], {"accuracy": 0.9}

    def validate(knobs):
        return {"accuracy": 0.8 + knobs[0]["m"] / 10, "sqnr_db": [20.0]}, knobs[0]["m"] >= 0.5

    (knobs, _, val, chosen), tried = tune.choose_margin(search_at, validate, tune.margin_schedule(0.25, 1.0))
    assert calls == [0, 0.25, 0.5] and chosen == 0.5 and knobs == [{"m": 0.5}]
    assert [t["val_meets"] for t in tried] == [False, False, True]
    (_, _, _, chosen), tried = tune.choose_margin(search_at, lambda k: (validate(k)[0], False),
                                                  tune.margin_schedule(0.25, 1.0))
    assert chosen == 1.0 and len(tried) == 5 and not tried[-1]["val_meets"]  # the cap: last winner stands

    def unreachable_from_half(m):
        if m >= 0.5:
            raise tune.Unreachable("--target: unreachable")
        return search_at(m)

    (_, _, _, chosen), tried = tune.choose_margin(unreachable_from_half, lambda k: (validate(k)[0], False),
                                                  [0, 0.25, 0.5, 0.75])
    assert chosen == 0.25 and tried[-1] == {"margin": 0.5, "unreachable": True}
    with pytest.raises(tune.Unreachable):
        tune.choose_margin(unreachable_from_half, validate, [0.5])


def test_heldout_images_never_enter_the_search(tiny_run):
    """Search candidates run on the calibration split, the margin check on validation, and the held-out
    split sees only the final winner (once) and study's uniform baseline."""
    rep, seen = tiny_run
    keys = [json.dumps(t, sort_keys=True) for t in seen]
    assert len(set(keys)) == len(keys)  # each distinct evaluation runs once, whatever the margins tried
    splits = [t["split"] for t in seen]
    assert set(splits) == {"calib", "val", "heldout"}
    first_held = splits.index("heldout")
    assert set(splits[first_held:]) <= {"heldout", "calib"}  # the winner, then the uniform baseline
    held_layers = [t["layers"] for t in seen if t["split"] == "heldout"]
    final = [la["knobs"] for la in rep["layers"]]
    assert held_layers[0] == final and all(isinstance(h, dict) for h in held_layers[1:])
    val_layers = [t["layers"] for t in seen if t["split"] == "val"]
    assert val_layers == [t["knobs"] for t in rep["margin"]["tried"]]
    margins = [t["margin"] for t in rep["margin"]["tried"]]
    schedule = tune.Target.parse("top1 >= float - 3").margins("agree")
    assert margins == schedule[: len(margins)] and rep["margin"]["chosen"] == margins[-1]
    assert rep["margin"]["val_meets"] == rep["margin"]["tried"][-1]["val_meets"]
    assert all(not t["val_meets"] for t in rep["margin"]["tried"][:-1])
    assert {h["margin"] for h in rep["history"]} == set(margins)


def test_tune_meets_target_with_fewer_bits(tiny_tune):
    rep = tiny_tune
    assert rep["calib"]["meets"] and rep["criterion"] == "agree"
    allowed = 3 - rep["margin"]["chosen"]  # the target is top1 >= float - 3
    assert 100 * (1 - rep["calib"]["agreement"]) <= allowed + 1e-9
    generous = sum(la["bits"] for la in rep["layers"])
    assert rep["bits"] == generous and rep["bits"] < rep["uniform"][-1]["bits"]
    for layer in rep["layers"]:
        cfg = DatapathConfig.from_dict(layer["config"])
        assert cfg.to_dict() == layer["config"]
        assert layer["bound"]["bound"] > 0
        assert not any(layer["calib_overflows"][s] for s in tune.BOUND_STAGES)


@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["iverilog", "verilator"])
def test_tuned_configs_verify_on_both_simulators(tiny_tune, tmp_path, sim):
    from vectors.manifest import create_vector_set, read_vector_set
    from winoadder.hw.verify import run_simulator

    for layer in tiny_tune["layers"]:
        cfg = DatapathConfig.from_dict(layer["config"])
        out = tmp_path / f"layer{layer['layer']}"
        create_vector_set(out, cfg, count=120, seed=3)
        result = run_simulator(read_vector_set(out), sim)
        assert result.ok, (layer["summary"], result.tb_summary)


def run_cli(argv, capsys):
    status = cli.main(argv)
    return status, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model", "nosuch"], "--model: unknown model 'nosuch'"),
        (["--model", "cnn-p1"], "--model: tune needs a Winograd-adder model"),
        (["--model", "wino_balanced", "--target", "top1 > 3"], "--target"),
        (["--model", "wino_balanced", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler: cannot reach"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, args, needle):
    out = tmp_path / "out"
    status, err = run_cli(["tune", *args, "--out", str(out), "--quiet"], capsys)
    assert status == 2 and len(err) == 1 and needle in err[0]
    assert not out.exists()


def test_data_of_the_wrong_shape(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((20, 1, 6, 6)), labels=np.arange(20) % 10)
    status, err = run_cli(["tune", "--model", "wino_balanced", "--data", str(bad), "--out",
                           str(tmp_path / "o")], capsys)
    assert status == 2 and len(err) == 1 and "--data" in err[0] and not (tmp_path / "o").exists()


def test_unreachable_target(tmp_path, capsys, tiny_data):
    status, err = run_cli(["tune", "--model", "wino_balanced", "--data", tiny_data, "--target", "sqnr >= 300",
                           "--workers", "1", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o"),
                           "--quiet"], capsys)
    assert status == 2 and len(err) == 1 and "--target: unreachable" in err[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("stage", ["act", "u", "acc", "out"])
def test_stage_sweep_sets_only_that_stage(stage):
    """study --stage: the swept layer's stage has the asked width; every other knob stays generous."""
    from winoadder.ml.stage import stage_knobs

    for width in (7, 9):
        knobs = stage_knobs(stage, 1, width, MODEL, None)
        assert knobs[0] == dict(tune.GENEROUS, rounding="RND")
        cfg = tune.layer_configs(MODEL, None, knobs, 1)[1]
        got = {"act": cfg.act_fmt.width, "u": cfg.u_width, "acc": cfg.acc_width, "out": cfg.out_fmt.width}
        assert got[stage] == width


def test_report_states_splits_and_margins_and_writes_the_plot(tiny_tune, tmp_path):
    """tune.txt names the three splits, the margins tried with their validation accuracy and the held-out
    result; tune.png is written through safeio's temporary name (no .png suffix) as a real PNG."""
    from fixedpoint.safeio import write_file

    text = tune.report_text(tiny_tune)
    for needle in ("calib:", "val:", "heldout:", "search margin chosen on the validation split",
                   "validation split:", "held-out split:"):
        assert needle in text, needle
    for t in tiny_tune["margin"]["tried"]:
        assert f"{t['margin']:g}: {t['bits']} bits {100 * t['val_accuracy']:.2f} %" in text
    png = write_file(tmp_path / "tune.png", lambda p: tune.plot_png(tiny_tune, p), option="--out")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stage_sweep_on_a_user_model_and_data(tmp_path, tiny_data, capsys):
    """study --stage on --models DIR (<variant>-<schedule>.npz, as train writes them) and --data FILE.npz:
    the sweep runs on the user's test images; data that does not fit the model is one line, exit 2."""
    import shutil

    from winoadder.ml.stage import sweep

    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODEL, models / "wino_balanced-p1.npz")
    user_model = str(models / "wino_balanced-p1.npz")
    run = tune.batch_runner(None, None, "test", "study", quiet=True)
    rows = sweep([user_model], "out", [5, 8], run, tiny_data)
    float_test = tune.context(user_model, tiny_data)[4]["test"][0]
    user_test = tune.context(user_model, tiny_data)[1]["test"][1]  # the user data's test split
    assert np.array_equal(user_test, data.load(tiny_data).y_test) and len(user_test) < 150
    assert {(r["layer"], r["width"]) for r in rows} == {(0, 5), (0, 8), (1, 5), (1, 8)}
    assert all(r["float_accuracy"] == float_test and 0 <= r["accuracy"] <= 1 for r in rows)
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((20, 1, 6, 6)), labels=np.arange(20) % 10)
    out = tmp_path / "o"
    for args, needle in ((["--data", str(bad)], "--data"), (["--schedules", "cosine"], "--models")):
        status, err = run_cli(["study", "--stage", "out", "--variants", "wino_balanced", "--schedules", "p1",
                               "--models", str(models), "--out", str(out), "--quiet", *args], capsys)
        assert status == 2 and len(err) == 1 and needle in err[0] and not out.exists()
    status, _ = run_cli(["study", "--stage", "acc", "--widths", "6", "--variants", "wino_balanced",
                         "--schedules", "p1", "--models", str(models), "--data", tiny_data, "--workers", "1",
                         "--cache", str(tmp_path / "cache"), "--out", str(out), "--quiet"], capsys)
    written = json.loads((out / "stage-acc.json").read_text())
    assert status == 0 and {r["layer"] for r in written} == {0, 1}
    assert all(r["float_accuracy"] == float_test for r in written)
