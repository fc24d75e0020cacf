"""`winoadder tune`: the cheapest per-layer datapath that keeps a network's accuracy, with proved bounds.

Per 3×3 Winograd-adder layer the search sets the knobs of ``winoadder.ml.bound.LayerKnobs`` (activation
fraction and clipped integer bits, K, accumulator bits below the proved width, output width, rounding).
Three disjoint splits: the search scores candidates on the calibration split (noisy training images; for a
relative top-1 target by their prediction agreement with the float network); the search margin is chosen on
the validation half of the test images (start at 0, raise it while the winner misses the target there,
``Target.margins``); the final winner is run once on the held-out half, reported separately. Search
(docs/tune.md): (1) every knob of every layer swept alone with the rest generous, (2) each knob at its own
cheapest passing value, (3) repair by raising the knob whose raise passes most cheaply, (4) greedy descent
while a one-step cheaper neighbour passes, (5) rounding mode, (6) accumulator mode (WRAP only at the proved
width); ties and fallbacks by ``Search.score``.
Evaluations are Dask tasks (``winoadder.dask_exec``), cached by content, so a search at a larger margin
recomputes only new candidates.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fixedpoint.errors import UsageError
from fixedpoint.options import float_range, int_range

HELP = "search per-layer datapath formats for the lowest cost that meets an accuracy target (Dask)"
GENEROUS = {"fa": 10, "K": 2, "acc_drop": 0, "out_w": 20, "a_clip": 0}
SWEEPS = {"fa": range(0, 11), "K": range(0, 3), "acc_drop": range(0, 13), "out_w": range(3, 21),
          "a_clip": range(0, 3)}
CHEAPER = {"fa": -1, "K": -1, "acc_drop": 1, "out_w": -1, "a_clip": 1}  # one step towards fewer bits
ROUNDINGS = ("RND", "RND_CONV", "TRN")
ACC_MODES = ("SAT", "WRAP")  # WRAP only at the proved accumulator width (bound.build_config)
UNIFORM_WIDTHS = tuple(range(4, 13))
# calibration split: CALIB_DRAWS copies of the training images, each plus seeded Gaussian noise of
# CALIB_NOISE × their value span (seeds NOISE_SEED, NOISE_SEED + 1, …), so the network sees inputs it has
# not memorized (on the clean training images every width >= 6 scores ~100 %)
CALIB_NOISE = 0.1
CALIB_DRAWS = 2
# how a candidate is judged on the calibration split (docs/tune.md): "agree" (default) for a relative top-1
# target "top1 >= float - D": at most D - margin % of the images may change their predicted class against the
# float network (|top1 - float top1| <= that fraction, so it implies the target); "top1": the top-1 target
# itself with the margin to spare. Absolute top-1 and SQNR targets are judged on themselves. A candidate
# must also leave channel_accumulate and requantize without overflow (the error bound's conditions).
CRITERIA = ("agree", "top1")
# the margin (points or dB) is chosen on the validation split: 0, then + MARGIN_STEP while the winner misses
# the target there, up to MARGIN_CAP; with "agree" 0, D/AGREE_STEPS, 2·D/AGREE_STEPS, … up to D (then no
# prediction may change on the calibration split)
MARGIN_STEP = 0.25
MARGIN_CAP = 2.0
AGREE_STEPS = 5
# part of every cache key: the splits and the evaluation's result format
SPLIT_VERSION = 2
MAX_LANES = 64  # as synth --lanes: the widest core the RTL is synthesized and verified at
# the test images are split, stratified by class with this seed, into a validation half and a held-out half
VAL_SEED = 1
BOUND_STAGES = ("channel_accumulate", "requantize")
NOISE_SEED = 0
_TARGET = re.compile(r"^\s*(top1|sqnr)\s*>=\s*(float\s*-\s*)?([0-9]+(?:\.[0-9]+)?)\s*$")


# ------------------------------------------------------------------------------------------- target


@dataclass(frozen=True)
class Target:
    """``top1 >= float - D`` (points below the float accuracy of the same split), ``top1 >= A`` (percent)
    or ``sqnr >= X`` (dB, every layer's output against float)."""

    metric: str
    value: float
    relative: bool

    @classmethod
    def parse(cls, text: str) -> Target:
        m = _TARGET.match(text or "")
        if not m or (m.group(1) == "sqnr" and m.group(2)):
            raise UsageError(
                f"--target: expected 'top1 >= float - D', 'top1 >= A' or 'sqnr >= X', got {text!r}"
            )
        return cls(m.group(1), float(m.group(3)), bool(m.group(2)))

    def met(self, result: dict, float_accuracy: float, margin: float = 0.0) -> bool:
        """Whether ``result`` meets the target with ``margin`` to spare (points or dB)."""
        if self.metric == "sqnr":
            return min(result["sqnr_db"]) >= self.value + margin
        need = 100 * float_accuracy - self.value if self.relative else self.value
        return 100 * result["accuracy"] >= need + margin - 1e-9

    def uses_agreement(self, criterion: str) -> bool:
        return criterion == "agree" and self.metric == "top1" and self.relative

    def passes(self, result: dict, float_accuracy: float, margin: float, criterion: str) -> bool:
        """The search's test on the calibration split: with "agree" (relative top-1 targets), at most
        D − margin % of the images predicted differently from the float network; else ``met``."""
        if self.uses_agreement(criterion):
            return 100 * (1 - result["agreement"]) <= self.value - margin + 1e-9
        return self.met(result, float_accuracy, margin)

    def margins(self, criterion: str) -> list[float]:
        """The margins the validation loop tries, in order."""
        if self.uses_agreement(criterion):
            return margin_schedule(self.value / AGREE_STEPS, self.value) if self.value > 0 else [0.0]
        return margin_schedule(MARGIN_STEP, MARGIN_CAP)

    def __str__(self) -> str:
        return f"{self.metric} >= {'float - ' if self.relative else ''}{self.value:g}"


# ------------------------------------------------------------------------------- the worker side


def resolve_model(name: str) -> Path:
    """A shipped model name (``wino_balanced-p1``; a bare variant means its ``p1`` model) or a .npz path."""
    from winoadder.ml.nets.model import VARIANTS
    from winoadder.paths import MODELS_DIR

    path = Path(name)
    if path.suffix == ".npz":
        if not path.is_file():
            raise UsageError(f"--model: no such file: {path}")
        return path.resolve()
    stem = f"{name}-p1" if name in VARIANTS else name
    path = MODELS_DIR / f"{stem}.npz"
    if not path.is_file():
        shipped = sorted(p.stem for p in MODELS_DIR.glob("wino_*.npz"))
        raise UsageError(f"--model: unknown model {name!r}; shipped: {', '.join(shipped)}, or a .npz path")
    return path


def validation_mask(labels: np.ndarray, seed: int = VAL_SEED) -> np.ndarray:
    """Seeded stratified halving: True for the validation half (⌊n/2⌋ of each class), False held out."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        mask[rng.permutation(idx)[: len(idx) // 2]] = True
    return mask


def margin_schedule(step: float = MARGIN_STEP, cap: float = MARGIN_CAP) -> list[float]:
    """The margins the validation loop tries, in order: 0, step, 2·step, … up to cap."""
    return [round(k * step, 9) for k in range(int(np.floor(cap / step + 1e-9)) + 1)]


def noisy(x: np.ndarray, sigma: float, seed: int = NOISE_SEED) -> np.ndarray:
    """``x`` plus seeded Gaussian noise of ``sigma`` × the data's value span, clipped to that span."""
    lo, hi = float(x.min()), float(x.max())
    rng = np.random.default_rng(seed)
    return np.clip(x + rng.normal(0.0, sigma * (hi - lo), x.shape), lo, hi)


def calibration_split(x: np.ndarray, y: np.ndarray, draws: int = CALIB_DRAWS) -> tuple:
    """``draws`` noisy copies of the training images (seeds NOISE_SEED …), labels repeated."""
    xs = [noisy(x, CALIB_NOISE, NOISE_SEED + k) for k in range(draws)]
    return np.concatenate(xs), np.tile(y, draws)


@functools.lru_cache(maxsize=4)
def context(model: str, data: str | None):
    """Net, data set, per-layer facts and the float network's traces (cached per worker process)."""
    from winoadder.ml.bound import LayerFacts, int_bits
    from winoadder.ml.nets import data as data_mod
    from winoadder.ml.nets.model import Net, accuracy
    from winoadder.ml.nets.quantized import calibrate

    net = Net.load(model)
    dataset = data_mod.load(data)
    ranges = calibrate(net, dataset.x_train)
    facts = [
        LayerFacts(r.x_min < 0, int_bits(r.x_absmax), int_bits(r.y_absmax), int(w.shape[1]))
        for r, w in zip(ranges, net.conv, strict=True)
    ]
    val = validation_mask(dataset.y_test)
    splits = {"calib": calibration_split(dataset.x_train, dataset.y_train),
              "val": (dataset.x_test[val], dataset.y_test[val]),
              "heldout": (dataset.x_test[~val], dataset.y_test[~val]),
              "test": (dataset.x_test, dataset.y_test)}  # the whole test set: study --stage and explore
    floats = {}  # per split: (top-1, per-layer trace, predicted classes) of the float network
    for split, (x, y) in splits.items():
        trace: list = []
        logits = net.forward(x, trace=trace)
        floats[split] = (accuracy(logits, y), trace, np.argmax(logits, axis=1))
    return net, splits, facts, ranges, floats


def layer_configs(model: str, data: str | None, layers, lanes: int) -> list:
    """DatapathConfigs of every layer: ``layers`` a list of knob dicts, or ``{"uniform": W}`` (study's)."""
    from simulator import PRESETS
    from winoadder.ml.bound import LayerKnobs, build_config
    from winoadder.ml.nets.model import preset_of
    from winoadder.ml.nets.quantized import layer_formats

    net, _, facts, ranges, _ = context(model, data)
    if isinstance(layers, dict):
        return [layer_formats(net, i, r, layers["uniform"]).cfg.replace(lanes=lanes)
                for i, r in enumerate(ranges)]
    transform = PRESETS[preset_of(net.variant)]
    return [build_config(transform, f, LayerKnobs(**k), net.conv[i], lanes)
            for i, (f, k) in enumerate(zip(facts, layers, strict=True))]


def run_layer(net, i: int, cfg, x: np.ndarray, counts: dict) -> tuple[np.ndarray, np.ndarray]:
    """Layer ``i`` on the bit-accurate simulator: (float output, raw quantized input); counts overflows."""
    from fixedpoint import CastStats, Overflow, Rounding, from_float, to_float
    from simulator.layer import conv_layer
    from simulator.weights import prepare_weights

    xs, ws = CastStats(), CastStats()
    x_raw = from_float(x, cfg.act_fmt, Rounding.RND, Overflow.SAT, stats=xs)
    result = conv_layer(cfg, x_raw, prepare_weights(net.conv[i], cfg, stats=ws), padding=1)
    counts.update(input=xs.overflows, weights=ws.overflows,
                  channel_accumulate=result.stats["channel_accumulate"].overflows,
                  requantize=result.stats["requantize"].overflows)
    return to_float(result.out, cfg.out_fmt), x_raw


def evaluate(task: dict) -> dict:
    """One candidate network over one split: accuracy, agreement with the float network's predictions,
    per-layer SQNR against float, overflow counts."""
    from winoadder.ml.nets.model import accuracy
    from winoadder.ml.study import sqnr_db

    try:
        cfgs = layer_configs(task["model"], task["data"], task["layers"], task["lanes"])
    except ValueError as exc:
        return {"valid": False, "error": str(exc)}
    net, splits, _, _, floats = context(task["model"], task["data"])
    x, y = splits[task["split"]]
    counts = [dict() for _ in cfgs]
    trace: list = []
    logits = net.forward(x, layer=lambda i, h: run_layer(net, i, cfgs[i], h, counts[i])[0], trace=trace)
    float_trace = floats[task["split"]][1]
    sqnr = [sqnr_db(yf, yq, net.bn[i]["mean"])
            for i, ((_, yq), (_, yf)) in enumerate(zip(trace, float_trace, strict=True))]
    agreement = float(np.mean(np.argmax(logits, axis=1) == floats[task["split"]][2]))
    return {"valid": True, "accuracy": accuracy(logits, y), "agreement": agreement, "sqnr_db": sqnr,
            "overflows": counts}


# ----------------------------------------------------------------------------------------- search


@dataclass
class Search:
    """The search state: how to evaluate a batch of candidates and everything evaluated so far."""

    model: str
    data: str | None
    target: Target
    objective: str
    lanes: int
    margin: float
    run_batch: object  # callable(list of tasks) -> list of results
    history: list
    criterion: str = "agree"
    run_synth: object = None  # callable(list of stage synthesis tasks) -> results: the lut4 objective

    def costs(self, candidates: list[list[dict]], priced: bool = True) -> list[float | None]:
        """Each candidate's cost (None when its knobs give no valid config; NaN when not ``priced``: valid,
        not priced)."""
        from winoadder.ml.bound import datapath_bits

        cfgs = []
        for knobs in candidates:
            try:
                cfgs.append(layer_configs(self.model, self.data, knobs, self.lanes))
            except ValueError:
                cfgs.append(None)
        if not priced:
            return [None if c is None else float("nan") for c in cfgs]
        if self.objective == "lut4":
            from winoadder.hw.stage_area import network_lut4

            valid = [c for c in cfgs if c is not None]
            it = iter(network_lut4(valid, self.run_synth))
            return [None if c is None else float(next(it)) for c in cfgs]
        if self.objective == "bits":
            return [None if c is None else float(sum(datapath_bits(x) for x in c)) for c in cfgs]
        return [None if c is None else energy_pj(self.model, self.data, c) for c in cfgs]

    def cost(self, knobs: list[dict]) -> float | None:
        return self.costs([knobs])[0]

    def score(self, result: dict) -> tuple:
        """How well a calibration result does, higher is better: no overflow in the bound's stages, then
        agreement with float ("agree") or top-1, then the smallest layer SQNR."""
        clean = not any(o[s] for o in result["overflows"] for s in BOUND_STAGES)
        key = "agreement" if self.target.uses_agreement(self.criterion) else "accuracy"
        return clean, result[key], min(result["sqnr_db"])

    def task(self, layers, split: str = "calib") -> dict:
        return {"model": self.model, "data": self.data, "split": split, "layers": layers, "lanes": self.lanes}

    def evaluate(self, candidates: list[list[dict]], phase: str, priced: bool = True) -> list[tuple]:
        """Evaluate valid candidates on the calibration split: (knobs, cost, result, meets target).
        ``priced`` False leaves the cost NaN (for phases that compare no costs)."""
        costed = [(c, cost) for c, cost in zip(candidates, self.costs(candidates, priced), strict=True)
                  if cost is not None]
        results = self.run_batch([self.task(c) for c, _ in costed])
        float_acc = context(self.model, self.data)[4]["calib"][0]
        out = []
        for (c, cost), r in zip(costed, results, strict=True):
            if not r["valid"]:
                continue
            ok = self.target.passes(r, float_acc, self.margin, self.criterion) and not any(
                o[s] for o in r["overflows"] for s in BOUND_STAGES)
            self.history.append({"phase": phase, "margin": self.margin, "cost": cost if priced else None,
                                 "accuracy": r["accuracy"], "agreement": r["agreement"],
                                 "min_sqnr_db": min(r["sqnr_db"]), "meets": ok, "layers": c})
            out.append((c, cost, r, ok))
        return out


class Unreachable(UsageError):
    """The most generous datapath misses the target (with the search margin) on the calibration split."""


def with_knob(layers: list[dict], i: int, name: str, value) -> list[dict]:
    return [dict(k, **{name: value}) if j == i else dict(k) for j, k in enumerate(layers)]


def sweep_minima(search: Search, n_layers: int) -> list[dict]:
    """Each knob of each layer alone (the rest generous): its cheapest value above which all pass."""
    base = [dict(GENEROUS, rounding="RND") for _ in range(n_layers)]
    plan = [(i, name, v) for i in range(n_layers) for name, values in SWEEPS.items() for v in values]
    candidates = [with_knob(base, i, n, v) for i, n, v in plan]
    where = {id(c): p for c, p in zip(candidates, plan, strict=True)}
    # the sweep compares no costs: with the lut4 objective it skips the ~200 stage syntheses pricing it
    priced = search.objective != "lut4"
    by_value = {where[id(c)]: ok for c, _, _, ok in search.evaluate(candidates, "sweep", priced)}
    chosen = [dict(b) for b in base]
    for i in range(n_layers):
        for name, values in SWEEPS.items():
            order = sorted(values, key=lambda v: CHEAPER[name] * v)  # most generous first
            best = GENEROUS[name]
            for v in order:
                if not by_value.get((i, name, v), False):
                    break
                best = v
            chosen[i][name] = best
    return chosen


def neighbours(layers: list[dict], step: int) -> list[list[dict]]:
    """Every configuration one knob step cheaper (step=+1) or more generous (step=−1)."""
    out = []
    for i in range(len(layers)):
        for name, delta in CHEAPER.items():
            v = layers[i][name] + step * delta
            if v in SWEEPS[name]:
                out.append(with_knob(layers, i, name, v))
    return out


def search_layers(search: Search, n_layers: int) -> tuple[list[dict], dict]:
    """Phases 1–5 of the module docstring; the chosen knobs and their calibration result."""
    generous = [dict(GENEROUS, rounding="RND") for _ in range(n_layers)]
    first = search.evaluate([generous], "generous")
    if not first:
        raise UsageError("--model: no valid datapath for this model's layers even at the most precise knobs")
    (_, _, best_result, ok), = first
    if not ok:
        raise Unreachable(
            f"--target: unreachable: {search.target} fails even for the most precise datapath at margin "
            f"{search.margin:g} (top1 {100 * best_result['accuracy']:.1f} %, agreement with float "
            f"{100 * best_result['agreement']:.2f} %, min layer SQNR {min(best_result['sqnr_db']):.1f} dB)"
        )
    current = sweep_minima(search, n_layers)
    (_, _, result, ok), = search.evaluate([current], "combined") or [(None, None, None, False)]
    while not ok:  # repair: the most generous step that passes most cheaply, else that helps most
        cands = search.evaluate(neighbours(current, -1), "repair")
        if not cands:
            raise RuntimeError("tune: no valid configuration left to repair the combined choice")
        passing = [c for c in cands if c[3]]
        pick = min(passing, key=lambda c: c[1]) if passing else max(cands, key=lambda c: (search.score(c[2]),
                                                                                           -c[1]))
        current, _, result, ok = pick
    while True:  # descent
        passing = [c for c in search.evaluate(neighbours(current, +1), "descent") if c[3]]
        if not passing:
            break
        current, _, result, _ = min(passing, key=lambda c: (c[1], tuple(-v for v in search.score(c[2]))))
    for i in range(n_layers):  # rounding: the best-scoring mode that still meets the target
        cands = search.evaluate([with_knob(current, i, "rounding", r) for r in ROUNDINGS], "rounding")
        passing = [c for c in cands if c[3]]
        current, _, result, _ = max(passing, key=lambda c: search.score(c[2]))
    for i in range(n_layers):  # accumulator mode: the cheaper one that passes (WRAP only where proved)
        cands = search.evaluate([with_knob(current, i, "acc_mode", m) for m in ACC_MODES], "acc_mode")
        current, _, result, _ = min((c for c in cands if c[3]), key=lambda c: c[1])
    return current, result


def energy_pj(model: str, data: str | None, cfgs) -> float:
    """Op-count arithmetic energy of one image (pJ): Σ over layers of energy per tile × tiles."""
    from winoadder.hw.opcount import tile_ops

    net, splits, _, _, floats = context(model, data)
    total = 0.0
    for i, cfg in enumerate(cfgs):
        c_out, c_in = net.conv[i].shape[:2]
        h, w = floats["calib"][1][i][0].shape[2:]
        tiles = -(-h // 2) * -(-w // 2)
        total += tiles * sum(op.energy_pj for op in tile_ops("adder_winograd", cfg, c_in, c_out))
    return total


# ------------------------------------------------------------------------------------------ report


def check_data(model: str, data: str | None) -> None:
    from winoadder.ml.nets import data as data_mod
    from winoadder.ml.nets.model import Net, layer_kind
    from winoadder.ml.study import check_compatible

    net = Net.load_checked(model, "--model")
    if layer_kind(net.variant) != "wino":
        raise UsageError(f"--model: tune needs a Winograd-adder model (wino_lavin, wino_balanced), got "
                         f"{net.variant}")
    check_compatible([net], data_mod.load(data))


def uniform_baseline(search: Search) -> list[dict]:
    """Study's uniform widths on the calibration and held-out splits (a comparison only: nothing is chosen
    from it): accuracy, bits and whether each meets the target."""
    from winoadder.ml.bound import datapath_bits

    tasks = [search.task({"uniform": w}, split) for w in UNIFORM_WIDTHS for split in ("calib", "heldout")]
    results = search.run_batch(tasks)
    floats = context(search.model, search.data)[4]
    rows = []
    for k, w in enumerate(UNIFORM_WIDTHS):
        calib, held = results[2 * k], results[2 * k + 1]
        cfgs = layer_configs(search.model, search.data, {"uniform": w}, search.lanes)
        rows.append({"width": w, "bits": sum(datapath_bits(c) for c in cfgs),
                     "calib_accuracy": calib["accuracy"], "heldout_accuracy": held["accuracy"],
                     "meets_heldout": search.target.met(held, floats["heldout"][0]),
                     "meets_calib": search.target.met(calib, floats["calib"][0])})
    return rows


def choose_margin(search_at, validate, margins: list[float]) -> tuple[tuple, list[dict]]:
    """Search at each margin in turn until the winner meets the target on the validation split.

    ``search_at(m)`` -> (knobs, calibration result); ``validate(knobs)`` -> (validation result, meets).
    Returns (knobs, calibration result, validation result, margin) of the last search run, and one row per
    margin tried. A margin at which even the most generous datapath fails ends the loop (the previous
    winner stands); at the first margin it is the user's error (``Unreachable``).
    """
    tried: list[dict] = []
    final = None
    for m in margins:
        try:
            knobs, calib = search_at(m)
        except Unreachable:
            if final is None:
                raise
            tried.append({"margin": m, "unreachable": True})
            break
        val, ok = validate(knobs)
        final = (knobs, calib, val, m)
        tried.append({"margin": m, "knobs": knobs, "calib_accuracy": calib["accuracy"],
                      "calib_agreement": calib.get("agreement"), "val_accuracy": val["accuracy"],
                      "val_min_sqnr_db": min(val["sqnr_db"]), "val_meets": ok})
        if ok:
            break
    return final, tried


def memoized(run_batch):
    """``run_batch`` that runs each distinct task once per tune run (searches at several margins share most
    candidates; the content cache of ``dask_exec`` also shares them across runs)."""
    done: dict[str, dict] = {}

    def run(tasks):
        keys = [json.dumps(t, sort_keys=True) for t in tasks]
        new = list({k: t for k, t in zip(keys, tasks, strict=True) if k not in done}.items())
        if new:
            done.update(zip([k for k, _ in new], run_batch([t for _, t in new]), strict=True))
        return [done[k] for k in keys]

    return run


def tune(model: str, data: str | None, target: Target, objective: str, lanes: int, run_batch,
         margin: float | None = None, criterion: str = "agree", run_synth=None) -> dict:
    """The whole tuning run as a report (configs, bounds, margins tried, validation and held-out results,
    uniform baseline, history). ``margin`` fixes the search margin; None chooses it on the validation
    split. ``run_synth`` runs stage synthesis tasks (the lut4 objective)."""
    from winoadder.ml.bound import datapath_bits, error_bound

    net, splits, facts, _, floats = context(model, data)
    run_batch = memoized(run_batch)
    history: list = []
    search = Search(model, data, target, objective, lanes, 0.0, run_batch, history, criterion, run_synth)

    def search_at(m: float):
        return search_layers(Search(model, data, target, objective, lanes, m, run_batch, history, criterion,
                                    run_synth), len(net.conv))

    def validate(knobs):
        val = run_batch([search.task(knobs, "val")])[0]
        return val, target.met(val, floats["val"][0])

    margins = target.margins(criterion) if margin is None else [margin]
    (knobs, calib, val, chosen), tried = choose_margin(search_at, validate, margins)
    for row in tried:
        if "knobs" in row:
            row["cost"] = search.cost(row["knobs"])
            row["bits"] = sum(datapath_bits(c) for c in layer_configs(model, data, row["knobs"], lanes))
    held = run_batch([search.task(knobs, "heldout")])[0]
    cfgs = layer_configs(model, data, knobs, lanes)
    layers = []
    for i, (cfg, k) in enumerate(zip(cfgs, knobs, strict=True)):
        layers.append({"layer": i, "knobs": k, "config": cfg.to_dict(), "summary": str(cfg),
                       "widths": cfg.widths.as_dict(), "bits": datapath_bits(cfg),
                       "bound": error_bound(cfg, net.conv[i]),
                       "calib_overflows": calib["overflows"][i], "val_overflows": val["overflows"][i],
                       "heldout_overflows": held["overflows"][i]})
    baseline = uniform_baseline(search)
    smallest = next((r for r in baseline if r["meets_heldout"]), None)
    if smallest is not None:
        smallest["cost"] = search.cost({"uniform": smallest["width"]})
    bits = sum(layer["bits"] for layer in layers)
    cost = search.cost(knobs)
    return {
        "model": model, "data": data or "digits", "target": str(target), "objective": objective,
        "criterion": criterion if target.uses_agreement(criterion) else "target",
        "splits": {"calib": f"{len(splits['calib'][1])} images: {CALIB_DRAWS} copies of the "
                            f"{len(splits['calib'][1]) // CALIB_DRAWS} training images + Gaussian noise "
                            f"{CALIB_NOISE} x value span (seeds {NOISE_SEED}.."
                            f"{NOISE_SEED + CALIB_DRAWS - 1})",
                   "val": f"{len(splits['val'][1])} test images: floor(n/2) of each class (seed {VAL_SEED})",
                   "heldout": f"{len(splits['heldout'][1])} test images: the rest"},
        "margin": {"chosen": chosen, "fixed_by_user": margin is not None, "schedule": margins,
                   "val_meets": tried[-1].get("val_meets", False) if margin is None else None,
                   "tried": tried},
        "calib_noise": CALIB_NOISE,
        "cost": cost, "bits": bits,
        "float": {s: floats[s][0] for s in ("calib", "val", "heldout")},
        "calib": {"accuracy": calib["accuracy"], "agreement": calib["agreement"], "sqnr_db": calib["sqnr_db"],
                  "meets": target.met(calib, floats["calib"][0])},
        "val": {"accuracy": val["accuracy"], "agreement": val["agreement"], "sqnr_db": val["sqnr_db"],
                "meets": target.met(val, floats["val"][0])},
        "heldout": {"accuracy": held["accuracy"], "agreement": held["agreement"], "sqnr_db": held["sqnr_db"],
                    "meets": target.met(held, floats["heldout"][0])},
        "layers": layers,
        "uniform": baseline,
        "uniform_smallest": smallest,
        "bits_reduction_vs_uniform": None if smallest is None else 1 - bits / smallest["bits"],
        "cost_reduction_vs_uniform": None if smallest is None else 1 - cost / smallest["cost"],
        "evaluations": len(search.history),
        "history": search.history,
    }


def report_text(rep: dict) -> str:
    from tabulate import tabulate

    rows = [[la["layer"], la["summary"], la["bits"], f"{la['bound']['bound']:.4g}",
             ",".join(s for s, ok in la["bound"]["proved_overflow_free"].items() if ok) or "-",
             ",".join(la["bound"]["valid_when"]) or "-"] for la in rep["layers"]]
    table = tabulate(rows, headers=["layer", "config", "bits", "error bound", "proved overflow-free",
                                    "calibration only"])
    small = rep["uniform_smallest"]
    base = ("no uniform width meets the target on the held-out split" if small is None else
            f"smallest uniform width meeting it on the held-out split (study): W={small['width']}, "
            f"{small['bits']} bits -> {100 * rep['bits_reduction_vs_uniform']:.1f} % fewer bits")
    if small is not None and rep["objective"] != "bits":
        base += (f"; {rep['objective']} {rep['cost']:.6g} vs {small['cost']:.6g} -> "
                 f"{100 * rep['cost_reduction_vs_uniform']:.1f} % lower")
    mg = rep["margin"]
    if mg["fixed_by_user"]:
        margin = f"search margin {mg['chosen']:g} (fixed by --margin)"
    else:
        steps = ", ".join("{:g}: unreachable".format(t["margin"]) if t.get("unreachable") else
                          "{:g}: {} bits {:.2f} %{}".format(t["margin"], t["bits"], 100 * t["val_accuracy"],
                                                            "" if t["val_meets"] else " miss")
                          for t in mg["tried"])
        margin = (f"search margin chosen on the validation split: {mg['chosen']:g} (tried {steps}"
                  f"{'' if mg['val_meets'] else '; none met it up to the cap'})")
    criterion = ("prediction agreement with the float network >= 100 - (D - margin) %"
                 if rep["criterion"] == "agree" else "the target itself with the margin to spare")
    splits = "; ".join(f"{k}: {v}" for k, v in rep["splits"].items())
    return (
        f"tune {Path(rep['model']).stem}, target {rep['target']}, objective {rep['objective']}\n{table}\n"
        f"total {rep['bits']} datapath bits; {base}\n"
        f"splits: {splits}\ncalibration criterion: {criterion}\n{margin}\n"
        + "".join(f"{name:<19}top1 {100 * rep[key]['accuracy']:.2f} % (float {100 * rep['float'][key]:.2f}),"
                  f" agreement {100 * rep[key]['agreement']:.2f} %, meets: {rep[key]['meets']}\n"
                  for key, name in (("calib", "calibration split:"), ("val", "validation split:"),
                                    ("heldout", "held-out split:")))
        + f"{rep['evaluations']} candidate evaluations (all margins)\n"
    )


def plot_png(rep: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    final = [h for h in rep["history"] if h["margin"] == rep["margin"]["chosen"]]
    key = "agreement" if rep["criterion"] == "agree" else "accuracy"
    for phase, color in (("sweep", "tab:gray"), ("combined", "tab:red"), ("repair", "tab:orange"),
                         ("descent", "tab:blue"), ("rounding", "tab:purple"), ("acc_mode", "tab:brown")):
        pts = [(h["cost"], 100 * h[key]) for h in final if h["phase"] == phase and h["cost"] is not None]
        if pts:
            ax.scatter(*zip(*pts, strict=True), s=8, color=color, label=phase, alpha=0.7)
    ax.axhline(100 * rep["calib"][key], color="tab:green", lw=0.8, ls="--", label="chosen (calib)")
    ax.set_xlabel(f"cost ({rep['objective']})")
    ax.set_ylabel("agreement with float on the calibration split (%)" if key == "agreement" else
                  "top-1 on the calibration split (%)")
    ax.set_title(f"tune search at margin {rep['margin']['chosen']:g}: {len(final)} candidates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, format="png")  # path may be a temporary name without the suffix
    plt.close(fig)


# -------------------------------------------------------------------------------------------- CLI


def add_executor_arguments(parser: argparse.ArgumentParser, quiet: bool = True) -> None:
    """--scheduler, --workers, --cache (and --quiet): shared by tune, explore and study --stage."""
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:8786 "
                        "(default: a LocalCluster with one worker per core)")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: cores)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="result cache directory (default .cache/tasks in the checkout)")
    if quiet:
        parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True,
                        help="shipped model (wino_balanced, wino_balanced-cosine, …) or a .npz path")
    parser.add_argument("--data", default=None, help=".npz with images/labels (default digits)")
    parser.add_argument("--target", default="top1 >= float - 0.5",
                        help="'top1 >= float - D', 'top1 >= A' or 'sqnr >= X' (default top1 >= float - 0.5)")
    parser.add_argument("--objective", default="bits", choices=("bits", "energy", "lut4"),
                        help="cost: total datapath bits, op-count energy per image, or iCE40 LUT4 of one "
                             "core per layer at --lanes (sum of its stage modules, yosys) (default bits)")
    parser.add_argument("--criterion", default="agree", choices=CRITERIA,
                        help="calibration test of a relative top-1 target: 'agree' = at most D - margin "
                             "%% of the images change their predicted class against float (default), "
                             "'top1' = top-1 with the margin to spare")
    parser.add_argument("--margin", type=float_range(0, 100), default=None,
                        help="points (or dB) to spare on the calibration split; default: chosen on the "
                             f"validation split (0, then up by D/{AGREE_STEPS} up to D for 'agree', by "
                             f"{MARGIN_STEP} up to {MARGIN_CAP} otherwise, while the winner misses there)")
    parser.add_argument("--lanes", type=int_range(1, MAX_LANES), default=4,
                        help=f"lanes P of the written configs 1..{MAX_LANES} (default 4)")
    parser.add_argument("--out", type=Path, default=Path("winoadder-tune"), help="output directory")
    add_executor_arguments(parser)


def batch_runner(client, cache: Path | None, salt: str, desc: str, quiet: bool, stats=None):
    from winoadder.dask_exec import map_tasks

    def run_batch(tasks):
        return map_tasks(evaluate, tasks, client=client, cache_dir=cache, salt=salt, desc=desc,
                         progress=not quiet, stats=stats)

    return run_batch


def synth_runner(client, cache: Path | None, quiet: bool):
    """``run_synth`` of the lut4 objective: stage syntheses as Dask tasks, cached by content."""
    from winoadder.dask_exec import file_digest, map_tasks
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.stage_area import stage_lut4
    from winoadder.hw.synth import yosys_version

    salt = json.dumps([yosys_version(), [file_digest(s) for s in rtl_sources()]])

    def run_synth(tasks):
        return map_tasks(stage_lut4, tasks, client=client, cache_dir=cache, salt=salt, desc="tune synth",
                         progress=not quiet)

    return run_synth


def task_salt(model: str, data: str | None) -> str:
    """Content of the model and data files, the split definition and the tool version: part of every
    cache key."""
    from winoadder import __version__
    from winoadder.dask_exec import file_digest

    splits = [SPLIT_VERSION, CALIB_NOISE, CALIB_DRAWS, NOISE_SEED, VAL_SEED]
    return json.dumps([__version__, file_digest(Path(model)), data and file_digest(Path(data)), splits])


def run(args) -> int:
    from fixedpoint.safeio import check_out_dir, make_out_dir, write_files
    from winoadder.dask_exec import dask_client
    from winoadder.paths import task_cache

    target = Target.parse(args.target)
    check_out_dir(args.out, "--out")
    model = str(resolve_model(args.model))
    data = str(Path(args.data).resolve()) if args.data else None
    check_data(model, data)
    if args.objective == "lut4":
        from winoadder.tools import require

        require("yosys", "tune --objective lut4")
    cache = task_cache(args.cache)
    with dask_client(args.scheduler, args.workers) as client:
        runner = batch_runner(client, cache, task_salt(model, data), "tune", args.quiet)
        run_synth = synth_runner(client, cache, args.quiet) if args.objective == "lut4" else None
        rep = tune(model, data, target, args.objective, args.lanes, runner, args.margin, args.criterion,
                   run_synth)
    text = report_text(rep)
    out = make_out_dir(args.out, "--out")
    files = {out / f"layer{layer['layer']}.json": json.dumps(layer["config"], indent=2) + "\n"
             for layer in rep["layers"]}
    files.update({out / "tune.json": json.dumps(rep, indent=1) + "\n", out / "tune.txt": text,
                  out / "tune.png": lambda p: plot_png(rep, p)})
    write_files(files, option="--out")
    print(text + f"wrote {out}/layer*.json, tune.json, tune.txt, tune.png")
    return 0

