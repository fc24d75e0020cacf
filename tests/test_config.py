"""DatapathConfig: defaults, JSON round trip, validation naming the field, derived widths."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint.fmt import Fmt
from fixedpoint.modes import Overflow, Rounding
from simulator import PRESETS, DatapathConfig


def test_default_widths_are_the_documented_example():
    doc = open("docs/datapath.md").read()
    example = re.search(r"Example, the default config.*?: (WV=.*?SHIFT=\d+)", doc, re.S).group(1)
    documented = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", example)}
    widths = DatapathConfig.default().widths.as_dict()
    assert {k: widths[k] for k in documented} == documented


def test_default_fields():
    cfg = DatapathConfig.default()
    assert cfg.transform == PRESETS["balanced"]
    assert (cfg.act_fmt, cfg.u_fmt, cfg.acc_fmt, cfg.out_fmt) == (
        Fmt(8, 4),
        Fmt(12, 6),
        Fmt(19, 6),
        Fmt(8, 4),
    )
    assert (cfg.acc_overflow, cfg.rounding, cfg.overflow, cfg.weight_rounding) == (
        Overflow.SAT,
        Rounding.RND,
        Overflow.SAT,
        Rounding.RND,
    )
    assert cfg.y_fmt == Fmt(cfg.widths.WY, 6)
    assert max(abs(v) for v in cfg.ranges["weights"]) >= 1152  # |U| <= 1152 for s8.4, K=2 fits in u_width


configs = st.builds(
    dict,
    matrices=st.sampled_from(["lavin", "balanced"]),
    act_fmt=st.sampled_from(["s8.4", "u8.4", "s6.2", "s12.8", "u4.0"]),
    u_extra_frac=st.integers(0, 2),
    max_channels=st.integers(1, 512),
    acc_overflow=st.sampled_from(["WRAP", "SAT"]),
    rounding=st.sampled_from(list(Rounding)).map(str),
    overflow=st.sampled_from(["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]),
    lanes=st.integers(1, 8),
)


@given(configs)
def test_json_round_trip(fields):
    cfg = DatapathConfig.from_dict(fields)
    again = DatapathConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.widths == cfg.widths and again.ranges == cfg.ranges


def test_save_and_load(tmp_path):
    cfg = DatapathConfig.default().replace(matrices="lavin", acc_width=16, acc_overflow="WRAP")
    cfg.save(tmp_path / "c.json")
    assert DatapathConfig.load(tmp_path / "c.json") == cfg
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_replace_rederives_only_derived_fields():
    cfg = DatapathConfig.default()
    wide = cfg.replace(max_channels=256)
    assert wide.acc_width == wide.exact_acc_width == cfg.acc_width + 2
    pinned = cfg.replace(acc_width=17).replace(max_channels=256)
    assert pinned.acc_width == 17 and pinned.exact_acc_width == wide.acc_width
    assert cfg.replace(act_fmt="s10.5").out_fmt == Fmt(10, 5)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"act_fmt": "q8.4"}, "act_fmt"),
        ({"u_extra_frac": 3}, "u_extra_frac"),
        ({"u_extra_frac": True}, "u_extra_frac"),
        ({"u_width": 1}, "u_width"),
        ({"max_channels": 0}, "max_channels"),
        ({"max_channels": 2**50}, "max_channels"),
        ({"acc_width": 70}, "acc_width"),
        ({"acc_overflow": "SAT_SYM"}, "acc_overflow"),
        ({"out_fmt": "s8.7"}, "out_fmt"),
        ({"rounding": "NEAREST"}, "rounding"),
        ({"overflow": "ERROR"}, "overflow"),
        ({"weight_rounding": 3}, "weight_rounding"),
        ({"lanes": 0}, "lanes"),
        ({"matrices": "nope"}, "matrices"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_values_name_the_field(changes, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        DatapathConfig.from_dict(changes)
    with pytest.raises(ValueError, match=f"^{field}: "):
        DatapathConfig.default().replace(**changes)


def test_custom_matrices_round_trip_through_json_and_a_path(tmp_path):
    member = PRESETS["lavin"].flipped((-1, 1, 1, -1))
    cfg = DatapathConfig.default().replace(matrices=member)
    again = DatapathConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.transform.same_matrices(member) and again.transform.is_balanced
    path = tmp_path / "m.json"
    path.write_text(json.dumps(member.to_dict()))
    assert DatapathConfig.from_dict({"matrices": str(path)}).transform == member


def test_requantize_must_keep_a_bit_of_y():
    cfg = DatapathConfig.default()
    wy = cfg.widths.WY
    fy = cfg.y_fmt.frac
    keeps_one = cfg.replace(out_fmt=Fmt(8, fy - (wy - 1), True))
    assert keeps_one.widths.SHIFT == wy - 1
    with pytest.raises(ValueError, match=r"^out_fmt: requantize would discard all"):
        cfg.replace(out_fmt=Fmt(8, fy - wy, True))


def test_sat_sym_output_range_excludes_the_most_negative_value():
    cfg = DatapathConfig.default().replace(overflow="SAT_SYM")
    assert cfg.ranges["requantize"] == (-cfg.out_fmt.max_raw, cfg.out_fmt.max_raw)
    assert DatapathConfig.default().ranges["requantize"] == (cfg.out_fmt.min_raw, cfg.out_fmt.max_raw)
