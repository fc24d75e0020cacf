"""Transform presets, user-matrix validation and the sign-flip family."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.transforms import PRESETS, Transform, resolve, sign_flip_family


def _correlate_exact(d, g):
    return np.array(
        [
            [sum(d[i + k][j + l] * g[k][l] for k in range(3) for l in range(3)) for j in range(2)]
            for i in range(2)
        ],
        dtype=object,
    )


def _winograd_exact(t: Transform, d, g):
    G, BT, AT = t.G, t.BT.astype(object), t.AT.astype(object)
    U = G @ np.asarray(g, dtype=object) @ G.T
    V = BT @ np.asarray(d, dtype=object) @ BT.T
    return AT @ (U * V) @ AT.T


small_ints = st.integers(-50, 50)


@pytest.mark.parametrize("name", sorted(PRESETS))
@given(
    d=st.lists(st.lists(small_ints, min_size=4, max_size=4), min_size=4, max_size=4),
    g=st.lists(st.lists(small_ints, min_size=3, max_size=3), min_size=3, max_size=3),
)
def test_presets_satisfy_the_multiplicative_identity(name, d, g):
    assert np.array_equal(_winograd_exact(PRESETS[name], d, g), _correlate_exact(d, g))


def test_preset_coefficient_sums():
    assert PRESETS["lavin"].coefficient_sums.ravel().tolist() == [9, -3, -3, 1]
    assert PRESETS["balanced"].coefficient_sums.ravel().tolist() == [1, 1, 1, 1]
    assert PRESETS["balanced"].is_balanced and not PRESETS["lavin"].is_balanced


def test_presets_match_the_documented_matrices():
    doc = open("docs/datapath.md").read()
    for t in PRESETS.values():
        bt = "[" + ",".join("[" + ",".join(str(v) for v in row) + "]" for row in t.BT) + "]"
        at = "[" + ",".join("[" + ",".join(str(v) for v in row) + "]" for row in t.AT) + "]"
        assert bt.replace("-", "−") in doc and at.replace("-", "−") in doc
        assert t.G.tolist() == [
            [1, 0, 0],
            [Fraction(1, 2)] * 3,
            [Fraction(1, 2), Fraction(-1, 2), Fraction(1, 2)],
            [0, 0, 1],
        ]


def test_sign_flip_family_members_keep_the_identity_and_report_their_sums():
    members = sign_flip_family(PRESETS["lavin"])
    assert len(members) == 16
    rng = np.random.default_rng(0)
    d = rng.integers(-9, 9, (4, 4)).tolist()
    g = rng.integers(-9, 9, (3, 3)).tolist()
    for m in members:
        assert np.array_equal(_winograd_exact(m.transform, d, g), _correlate_exact(d, g))
        row = m.transform.AT.sum(axis=1)
        assert list(m.coefficient_sums) == [
            row[0] * row[0],
            row[0] * row[1],
            row[1] * row[0],
            row[1] * row[1],
        ]
    balanced = sorted(m.signs for m in members if m.balanced)
    assert balanced == sorted([(1, 1, -1, 1), (1, -1, -1, 1), (-1, 1, 1, -1), (-1, -1, 1, -1)])
    assert PRESETS["lavin"].flipped((1, 1, -1, 1)).same_matrices(PRESETS["balanced"])


def _user(**overrides):
    d = PRESETS["lavin"].to_dict() | {"name": "mine"}
    d.update(overrides)
    return d


def test_user_matrices_json_round_trip(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_user(G=[[1, 0, 0], [0.5, 0.5, 0.5], ["1/2", "-1/2", "1/2"], [0, 0, 1]])))
    t = Transform.from_json(path)
    assert t.same_matrices(PRESETS["lavin"]) and t.name == "mine"
    assert Transform.from_json(json.dumps(t.to_dict())) == t
    assert resolve(str(path)) == t


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"BT": [[2, 0, -2, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]},
            "BT: entries must be in {-1, 0, 1}",
        ),
        ({"AT": [[1, 1, 1, 0], [0, 1, -1, 0.5]]}, "AT: entries must be in {-1, 0, 1}"),
        ({"AT": [[1, 1, 1, 0]]}, "AT: must be a 2×4 matrix"),
        ({"G": [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5]]}, "G: must be a 4×3 matrix"),
        (
            {"G": [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, "x"]]},
            "G[3][2]: expected a finite rational",
        ),
        ({"G": [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, -1]]}, "identity:"),
        ({"BT": [[1, 0, -1, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 0, -1]]}, "identity:"),
    ],
)
def test_user_matrices_are_validated_naming_the_failed_check(overrides, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("{", r"\{")):
        Transform.from_dict(_user(**overrides))


def test_unknown_preset_and_bad_json_are_reported(tmp_path):
    with pytest.raises(ValueError, match="matrices: unknown preset 'winograd'"):
        resolve("winograd")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ValueError, match="matrices: not valid JSON"):
        Transform.from_json(bad)
