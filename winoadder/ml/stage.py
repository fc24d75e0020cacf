"""`winoadder study --stage act|u|acc|out`: one stage's width swept per layer, every other stage exact.

"Exact" is tune's most generous datapath (``winoadder.ml.tune.GENEROUS``: 10 activation fraction bits,
K = 2, the proved accumulator width, 20-bit outputs). For layer ℓ and width W only layer ℓ's stage changes:

- ``act``: activations W bits, fraction from calibration (the integer bits of the layer's inputs);
- ``u``: U W bits, fraction from the layer's largest |U|; the contract ties the activation grid to U's
  (fa = frac_U − K, K = min(2, frac_U)), so this sweep moves the activation grid with it;
- ``acc``: accumulator W bits (saturating; never wider than the proved width, which cannot overflow);
- ``out``: outputs W bits, fraction from calibration.

Each (model, layer, W) is a task of tune's ``evaluate`` on the test split, run on Dask and cached. Models
and data: the shipped models on digits, or ``--models DIR`` (``<variant>-<schedule>.npz`` as ``train``
writes them) with ``--data FILE.npz`` (images N×C×H×W, labels N), checked as ``study`` checks them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STAGES = ("act", "u", "acc", "out")


def stage_knobs(stage: str, layer: int, width: int, model: str, data: str | None) -> list[dict] | None:
    """Per-layer knob dicts with layer ``layer``'s ``stage`` at ``width`` bits; None if not realisable."""
    from simulator import PRESETS
    from winoadder.ml.bound import LayerKnobs, build_config, int_bits, kernel_u
    from winoadder.ml.nets.model import preset_of
    from winoadder.ml.tune import GENEROUS, context

    net, _, facts, _, _ = context(model, data)
    knobs = [dict(GENEROUS, rounding="RND") for _ in facts]
    f = facts[layer]
    k = knobs[layer]
    transform = PRESETS[preset_of(net.variant)]
    if stage == "act":
        k["fa"] = width - f.x_int_bits - int(f.x_signed)
    elif stage == "u":
        u_max = float(np.abs(kernel_u(net.conv[layer], transform)).max())
        frac_u = width - 1 - int_bits(u_max)
        k["K"] = min(2, max(frac_u, 0))
        k["fa"] = frac_u - k["K"]
    elif stage == "acc":
        proved = build_config(transform, f, LayerKnobs(**k), net.conv[layer]).acc_width
        k["acc_drop"] = max(0, proved - width)
    else:
        k["out_w"] = width
    return knobs if k["fa"] >= 0 else None


def sweep(models: list[str], stage: str, widths: list[int], run_batch, data: str | None = None) -> list[dict]:
    """One row per (model, layer, width): accuracy, per-layer SQNR, overflows and the swept layer's config.
    ``data``: a user .npz (images, labels) the models fit, None for digits."""
    from winoadder.ml.tune import context, layer_configs

    plan = []
    for model in models:
        for layer in range(len(context(model, data)[0].conv)):
            for w in widths:
                knobs = stage_knobs(stage, layer, w, model, data)
                if knobs is not None:
                    plan.append((model, layer, w, knobs))
    tasks = [{"model": m, "data": data, "split": "test", "layers": k, "lanes": 1} for m, _, _, k in plan]
    rows = []
    for (model, layer, w, knobs), r in zip(plan, run_batch(tasks), strict=True):
        if not r["valid"]:
            continue
        cfg = layer_configs(model, data, knobs, 1)[layer]
        rows.append({"model": Path(model).stem, "stage": stage, "layer": layer, "width": w,
                     "accuracy": r["accuracy"], "float_accuracy": context(model, data)[4]["test"][0],
                     "sqnr_db": r["sqnr_db"][layer], "overflows": sum(r["overflows"][layer].values()),
                     "config": str(cfg)})
    return rows


def table(rows: list[dict]) -> str:
    from tabulate import tabulate

    keys = sorted({(r["model"], r["layer"]) for r in rows})
    widths = sorted({r["width"] for r in rows})
    cell = {(r["model"], r["layer"], r["width"]): r for r in rows}
    body = []
    for model, layer in keys:
        body.append([model, layer] + [
            f"{100 * cell[model, layer, w]['accuracy']:.1f}/{cell[model, layer, w]['sqnr_db']:.0f}/"
            f"{cell[model, layer, w]['overflows']}" if (model, layer, w) in cell else "-" for w in widths])
    return tabulate(body, headers=["model", "layer"] + [f"W={w}" for w in widths])


def run(args, models: list[str], widths: list[int], data: str | None) -> int:
    """Models (checked .npz paths of Winograd-adder models that fit ``data``) swept on Dask, cached."""
    from fixedpoint.safeio import make_out_dir, write_files
    from winoadder.dask_exec import dask_client
    from winoadder.ml.tune import batch_runner, task_salt
    from winoadder.paths import task_cache

    cache = task_cache(args.cache)
    salt = json.dumps([task_salt(m, data) for m in models])
    with dask_client(args.scheduler, args.workers) as client:
        rows = sweep(models, args.stage, widths, batch_runner(client, cache, salt, "study", args.quiet), data)
    text = (f"stage {args.stage}: top-1 test % / that layer's SQNR dB / its overflows, per layer and width "
            f"(every other stage exact)\n{table(rows)}\n")
    out = make_out_dir(args.out, "--out")
    write_files({out / f"stage-{args.stage}.txt": text,
                 out / f"stage-{args.stage}.json": json.dumps(rows, indent=1) + "\n"}, option="--out")
    print(text + f"wrote {out}/stage-{args.stage}.txt, stage-{args.stage}.json")
    return 0
