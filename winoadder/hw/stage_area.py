"""iCE40 LUT4 of ``winoadder_core`` as the sum of its stage modules, each synthesized alone: tune's lut4
objective (docs/tune.md).

At P lanes the core instantiates ``input_transform`` and ``align`` once, ``neg_abs_diff`` 4·P times
(one per tile row and lane) and ``requantize`` 4 times; with a Winograd-domain accumulator (Y_ACC = 0)
``channel_accumulate`` 4·P times and ``output_transform`` once, with an output-domain one (Y_ACC = 1)
``output_transform`` (STEERED) and ``channel_accumulate`` once per lane; all with the parameters
``simulator.rtl_params.rtl_parameters`` derives from the DatapathConfig. The
estimate is Σ instances × LUT4 of that module synthesized alone (``synth_ice40``, its own file only); the
lane multiplexer, the T register and the control logic of the core are not counted, and cross-module
optimization of the flattened core is not seen (the measured gap to full-core synthesis is in
docs/tune.md). Each (module, parameters) is one yosys run, cached by content in the synth cache
(``winoadder.hw.synth``); tune runs the runs a batch needs as Dask tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

CORE_TOP = "winoadder_core"


def stage_instances(cfg) -> list[tuple[str, dict[str, int], int]]:
    """(module, parameters, instances) of every stage module in winoadder_core for ``cfg``."""
    from simulator.rtl_params import rtl_parameters

    p = rtl_parameters(cfg)

    def pick(*names):
        return {n: p[n] for n in names}

    rows = 4 * p["P"]
    if p["Y_ACC"]:  # output domain: per lane one transform of M and one row of 4 accumulators of WY bits
        accumulate = [
            ("output_transform", {"WS": p["WD"], "WY": p["WZ"] + 1, "AT": p["AT"], "STEERED": 1}, p["P"]),
            ("channel_accumulate", {"WIN": p["WZ"] + 1, "WM": p["WZ"], "WS": p["WY"], "ACC_SAT": 0,
                                    "NEG_ABS": 2}, p["P"]),
        ]
    else:  # Winograd domain: 4 accumulator rows per lane, one shared output transform
        accumulate = [
            ("channel_accumulate", {"WIN": p["WD"], **pick("WM", "WS", "ACC_SAT"), "NEG_ABS": 1}, rows),
            ("output_transform", pick("WS", "WY", "AT"), 1),
        ]
    return [
        ("input_transform", pick("WA", "A_SIGNED", "WV", "BT"), 1),
        ("align", pick("WV", "K", "WVA"), 1),
        ("neg_abs_diff", pick("WU", "WVA", "WD"), rows),
        *accumulate,
        ("requantize", pick("WY", "WO", "O_SIGNED", "SHIFT", "ROUND", "OVF"), 4),
    ]


def stage_task(module: str, params: dict[str, int], synth_cache: Path | None = None) -> dict:
    """The JSON-able task of one stage synthesis (``stage_lut4``)."""
    return {"top": module, "params": sorted(params.items()),
            "synth_cache": None if synth_cache is None else str(synth_cache)}


def stage_lut4(task: dict) -> dict:
    """One stage module synthesized alone for iCE40 (yosys, cached by content): its LUT4, carry and FF."""
    from winoadder.hw.rtl import RTL_DIR
    from winoadder.hw.synth import SynthJob, synthesize

    job = SynthJob(task["top"], "ice40", (RTL_DIR / f"{task['top']}.v",),
                   tuple((k, v) for k, v in task["params"]))
    cache = Path(task["synth_cache"]) if task.get("synth_cache") else None
    r = synthesize(job, cache)
    return {"lut4": r["lut4"], "carry": r["carry"], "ff": r["ff"]}


def network_lut4(networks: Sequence[Sequence], run_synth: Callable[[list], list],
                 synth_cache: Path | None = None) -> list[int]:
    """Per network (a list of layer configs, one core per layer) Σ over layers of the core's stage-sum
    LUT4. ``run_synth`` maps a list of ``stage_task``s to ``stage_lut4`` results (a Dask batch)."""
    tasks: dict[str, dict] = {}
    for cfgs in networks:
        for cfg in cfgs:
            for module, params, _ in stage_instances(cfg):
                t = stage_task(module, params, synth_cache)
                tasks.setdefault(repr(t), t)
    keys = list(tasks)
    lut = dict(zip(keys, (r["lut4"] for r in run_synth([tasks[k] for k in keys])), strict=True))
    return [sum(n * lut[repr(stage_task(m, p, synth_cache))]
                for cfg in net for m, p, n in stage_instances(cfg)) for net in networks]


def core_lut4(cfg, synth_cache: Path | None = None) -> int:
    """LUT4 of the whole winoadder_core at ``cfg`` (full synthesis; to validate the stage sum)."""
    from simulator.rtl_params import rtl_parameters
    from winoadder.hw.rtl import rtl_sources
    from winoadder.hw.synth import SynthJob, synthesize

    job = SynthJob(CORE_TOP, "ice40", tuple(rtl_sources()), tuple(rtl_parameters(cfg).items()))
    return synthesize(job, synth_cache)["lut4"]


def stage_sum_lut4(cfg, synth_cache: Path | None = None) -> int:
    """The stage-sum LUT4 of one core, in this process."""
    return network_lut4([[cfg]], lambda tasks: [stage_lut4(t) for t in tasks], synth_cache)[0]
