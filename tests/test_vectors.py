"""Vector sets: packed hex layout, determinism, atomic writes, manifest checks, directed coverage."""

import hashlib
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixedpoint import Fmt, Overflow, Rounding, to_hex
from fixedpoint.errors import UsageError
from simulator import DatapathConfig
from simulator.datapath import run_stream
from vectors.coverage import missed
from vectors.direct import DIRECT_CLASSES, generate_direct
from vectors.generator import ALL_CLASSES, RANDOM_CLASSES, flags_from_lengths, generate, parse_classes
from vectors.layout import Field, pack_bin, pack_hex, read_memh, unpack_hex
from vectors.manifest import FILES, MANIFEST, NPZ, create_vector_set, read_vector_set
from vectors.regressions import regression_sets, save_regression
from winoadder.cli import main

SMALL = DatapathConfig.default().replace(max_channels=8, lanes=2)
NARROW_WRAP = DatapathConfig.default().replace(
    max_channels=16, lanes=2, acc_width=15, acc_overflow=Overflow.WRAP, rounding=Rounding.RND_CONV,
    overflow=Overflow.SAT_SYM)
NARROW_SAT = NARROW_WRAP.replace(acc_overflow=Overflow.SAT, rounding=Rounding.RND_ZERO, overflow=Overflow.SAT)
UNSIGNED = DatapathConfig.default().replace(
    act_fmt=Fmt(6, 2, False), out_fmt=Fmt(6, 1, False), max_channels=4, lanes=1,
    rounding=Rounding.RND_MIN_INF, overflow=Overflow.SAT_ZERO)


@st.composite
def fields_and_values(draw):
    width = draw(st.integers(1, 24))
    signed = draw(st.booleans()) if width > 1 else False
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    rows = draw(st.integers(0, 6))
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    values = draw(st.lists(st.integers(lo, hi), min_size=rows * int(np.prod(shape)),
                           max_size=rows * int(np.prod(shape))))
    return Field("f", shape, width, signed), np.array(values, dtype=np.int64).reshape((rows, *shape))


@given(fields_and_values())
def test_pack_hex_places_element_e_at_bits_w_times_e(case):
    field, values = case
    text = pack_hex(values, field)
    lines = text.decode().splitlines()
    assert len(lines) == len(values)
    mask = (1 << field.width) - 1
    for line, row in zip(lines, values.reshape(len(values), field.elements), strict=True):
        word = sum((int(v) & mask) << (field.width * e) for e, v in enumerate(row))
        assert len(line) == field.digits and int(line, 16) == word
    assert np.array_equal(unpack_hex(text, field), values)
    decoded, known = read_memh("// header\n@0\n" + text.decode().upper(), field)
    assert known.all() and np.array_equal(decoded, values)
    row_bytes = -(-field.word_bits // 8)
    assert pack_bin(values, field) == b"".join(int(line, 16).to_bytes(row_bytes, "big") for line in lines)


def test_single_element_field_matches_fixedpoint_to_hex():
    fmt = Fmt(11, 3, True)
    raw = np.arange(fmt.min_raw, fmt.max_raw + 1, 7, dtype=np.int64)
    text = pack_hex(raw[:, None], Field("x", (1,), fmt.width, True)).decode().split()
    assert text == to_hex(raw, fmt)


def test_read_memh_marks_unknown_and_overlong_rows():
    field = Field("f", (2,), 4, False)
    values, known = read_memh("1f\nxz\n123\n0a\n", field)
    assert known.tolist() == [True, False, False, True]
    assert values[0].tolist() == [15, 1] and values[3].tolist() == [10, 0]


def test_unpack_hex_rejects_malformed_lines():
    field = Field("f", (2,), 4, False)
    with pytest.raises(ValueError, match="hex"):
        unpack_hex(b"1g\n", field)
    with pytest.raises(ValueError, match="multiple"):
        unpack_hex(b"1f\n2\n", field)


def test_parse_classes_expands_groups_and_rejects_unknown():
    assert parse_classes("random,directed") == ALL_CLASSES
    assert parse_classes("ties, uniform") == ("uniform", "ties")
    with pytest.raises(ValueError, match="classes: unknown class 'bogus'"):
        parse_classes("uniform,bogus")
    with pytest.raises(ValueError, match="count: 0 transactions of uniform is an empty set"):
        generate(SMALL, 0, 0, "uniform")


@pytest.mark.parametrize("cfg", [SMALL, NARROW_WRAP, UNSIGNED], ids=["small", "narrow_wrap", "unsigned"])
def test_generated_stream_is_valid_for_the_model(cfg):
    tx = generate(cfg, 300, 5)
    assert tx.d.min() >= cfg.act_fmt.min_raw and tx.d.max() <= cfg.act_fmt.max_raw
    assert tx.u.min() >= cfg.u_fmt.min_raw and tx.u.max() <= cfg.u_fmt.max_raw
    random_rows = np.isin(tx.class_index, [tx.classes.index(c) for c in RANDOM_CLASSES])
    assert random_rows.sum() == 300
    run_stream(cfg, tx.d, tx.u, tx.first, tx.last)  # validates the flags and the channel counts


def test_flags_from_lengths():
    first, last = flags_from_lengths(np.array([1, 3, 2]))
    assert first.tolist() == [1, 1, 0, 0, 1, 0]
    assert last.tolist() == [1, 0, 0, 1, 0, 1]


def _digest(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_arguments_give_byte_identical_sets(tmp_path):
    a = create_vector_set(tmp_path / "a", SMALL, count=200, seed=3)
    b = create_vector_set(tmp_path / "b", SMALL, count=200, seed=3)
    assert a == b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    create_vector_set(tmp_path / "c", SMALL, count=200, seed=4)
    assert _digest(tmp_path / "c")["in_tile.hex"] != _digest(tmp_path / "a")["in_tile.hex"]


def test_set_files_agree_with_manifest_and_npz(tmp_path):
    manifest = create_vector_set(tmp_path / "v", NARROW_WRAP, count=100, seed=1)
    vset = read_vector_set(tmp_path / "v")
    arrays = vset.arrays()
    for spec in manifest["files"].values():
        assert hashlib.sha256((tmp_path / "v" / spec["path"]).read_bytes()).hexdigest() == spec["sha256"]
    assert np.array_equal(vset.read("in_tile"), arrays["d"])
    assert np.array_equal(vset.read("in_u"), arrays["u"])
    flags = vset.read("in_flags")
    assert np.array_equal(flags[:, 0], arrays["first"]) and np.array_equal(flags[:, 1], arrays["last"])
    # one beat per lane of each accumulation, lanes 0..P-1 in order
    lanes = vset.cfg.lanes
    assert manifest["beats"] == manifest["outputs"] * lanes == len(vset.read("expected_out"))
    assert np.array_equal(vset.read("expected_out"), arrays["out"].reshape(-1, 2, 2))
    assert np.array_equal(vset.read("expected_lane")[:, 0], np.tile(np.arange(lanes), manifest["outputs"]))
    assert manifest["top"] == "winoadder_core"
    assert np.array_equal(vset.read("Y"), arrays["Y"])
    assert np.array_equal(arrays["out_index"], np.flatnonzero(arrays["last"]))
    res = run_stream(vset.cfg, arrays["d"], arrays["u"], arrays["first"], arrays["last"])
    assert np.array_equal(res.out[arrays["last"]], arrays["out"])
    assert manifest["files"]["in_u"]["element_bits"] == vset.cfg.widths.WU
    assert manifest["files"]["in_u"]["word_bits"] == vset.cfg.lanes * 16 * vset.cfg.widths.WU
    assert sum(c["transactions"] for c in manifest["classes"]) == manifest["transactions"]


def test_non_empty_directory_needs_force_and_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    with pytest.raises(UsageError, match="--force"):
        create_vector_set(out, SMALL, count=10, seed=0)
    with pytest.raises(ValueError, match="classes"):
        create_vector_set(out, SMALL, count=10, seed=0, classes="nope", force=True)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    create_vector_set(out, SMALL, count=10, seed=0, force=True)
    assert not (out / "keep.txt").exists() and (out / MANIFEST).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]  # no temporary directories left behind


def test_tampered_file_and_wrong_schema_are_rejected(tmp_path):
    create_vector_set(tmp_path / "v", SMALL, count=20, seed=0)
    path = tmp_path / "v" / FILES["expected_out"][0]
    data = bytearray(path.read_bytes())
    data[0] = ord("0") if data[0] != ord("0") else ord("1")
    path.write_bytes(bytes(data))
    with pytest.raises(UsageError, match="sha256 of .*expected_out.hex"):
        read_vector_set(tmp_path / "v")
    manifest_path = tmp_path / "v" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["schema"] = "something/0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(UsageError, match="schema"):
        read_vector_set(tmp_path / "v")
    (tmp_path / "v" / NPZ).unlink()
    with pytest.raises(UsageError):
        read_vector_set(tmp_path / "v")


@pytest.mark.parametrize("cfg", [DatapathConfig.default(), NARROW_WRAP, NARROW_SAT, UNSIGNED],
                         ids=["default", "narrow_wrap", "narrow_sat", "unsigned"])
def test_directed_classes_hit_every_applicable_event(tmp_path, cfg):
    manifest = create_vector_set(tmp_path / "v", cfg, count=0, seed=0, classes="directed")
    assert missed(manifest["coverage"]) == []
    acc_events = [name for name in manifest["coverage"] if name.startswith("acc_overflow")]
    assert acc_events == [f"acc_overflow_{cfg.acc_overflow.value.lower()}"]
    narrow = cfg.acc_width < cfg.exact_acc_width
    assert manifest["coverage"][acc_events[0]]["applicable"] == narrow


def test_ties_are_exact_half_lsbs_of_both_signs(tmp_path):
    cfg = SMALL
    create_vector_set(tmp_path / "v", cfg, count=0, seed=0, classes="ties")
    y = read_vector_set(tmp_path / "v").arrays()["Y"]
    shift = cfg.widths.SHIFT
    half_lsb = (y % (1 << shift)) == (1 << (shift - 1))
    assert (half_lsb & (y > 0)).any() and (half_lsb & (y < 0)).any()
    assert (half_lsb | (y == 0)).all()


def test_cli_writes_set_and_prints_coverage(tmp_path, capsys):
    out = tmp_path / "v"
    args = ["vectors", "--count", "50", "--seed", "2", "--classes", "uniform,ties", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "tie_positive" in text and "hit by" in text and "reached max" in text
    assert main(["vectors", "--count", "50", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["vectors", "--count", "5", "--classes", "bogus", "--out", str(tmp_path / "w")]) == 2
    assert not (tmp_path / "w").exists()


def test_save_regression_writes_a_replayable_set(tmp_path):
    tx = generate(SMALL, 12, 9, "uniform")
    path = save_regression("property-example", SMALL, tx, root=tmp_path)
    assert regression_sets(tmp_path) == [path]
    arrays = read_vector_set(path).arrays()
    assert np.array_equal(arrays["d"], tx.d) and np.array_equal(arrays["u"], tx.u)
    with pytest.raises(ValueError, match="name"):
        save_regression("../outside", SMALL, tx, root=tmp_path)


def test_direct_set_matches_the_direct_reference(tmp_path):
    """adder_pe_direct sets: beats of the direct AdderNet reference (float adder_conv, then the same
    requantizer), every class and coverage event present."""
    from fixedpoint import cast
    from simulator.direct import weight_fmt
    from simulator.reference import adder_conv
    from simulator.rtl_params import direct_pe_parameters

    cfg = SMALL
    manifest = create_vector_set(tmp_path / "d", cfg, count=60, seed=5, top="adder_pe_direct")
    vset = read_vector_set(tmp_path / "d")
    assert vset.top == "adder_pe_direct" and manifest["rtl_parameters"] == direct_pe_parameters(cfg)
    assert [c["name"] for c in manifest["classes"]] == list(DIRECT_CLASSES)
    assert missed(manifest["coverage"]) == []
    arrays = vset.arrays()
    assert np.array_equal(vset.read("in_w"), arrays["g"])
    assert np.array_equal(vset.read("in_tile"), arrays["d"])
    d, g = arrays["d"].astype(float), arrays["g"].astype(float)
    n = len(d)
    pairs = adder_conv(d[:, None], g.reshape(n * cfg.lanes, 1, 3, 3), padding=0)  # every tile x kernel
    m = pairs.reshape(n, n, cfg.lanes, 2, 2)[np.arange(n), np.arange(n)]
    starts = np.maximum.accumulate(np.where(arrays["first"], np.arange(n), 0))
    sums = np.stack([m[starts[t]:t + 1].sum(axis=0) for t in arrays["out_index"]]).astype(np.int64)
    assert np.array_equal(sums, arrays["S"])
    acc = Fmt(direct_pe_parameters(cfg)["WS"], cfg.act_fmt.frac)
    want = cast(sums, acc, cfg.out_fmt, cfg.rounding, cfg.overflow)
    assert np.array_equal(vset.read("expected_out"), want.reshape(-1, 2, 2))
    assert weight_fmt(cfg).min_raw <= arrays["g"].min() and arrays["g"].max() <= weight_fmt(cfg).max_raw


def test_direct_generation_is_deterministic_and_rejects_core_classes():
    a = generate_direct(SMALL, 40, 3)
    b = generate_direct(SMALL, 40, 3)
    assert np.array_equal(a.d, b.d) and np.array_equal(a.g, b.g)
    with pytest.raises(ValueError, match="ties"):
        generate_direct(SMALL, 10, 0, "ties")


def test_cli_top_selects_the_direct_pe(tmp_path, capsys):
    out = tmp_path / "d"
    assert main(["vectors", "--top", "adder_pe_direct", "--count", "20", "--out", str(out)]) == 0
    assert "adder_pe_direct" in capsys.readouterr().out
    assert json.loads((out / MANIFEST).read_text())["top"] == "adder_pe_direct"
    with pytest.raises(SystemExit) as exc:
        main(["vectors", "--top", "bogus", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2 and not (tmp_path / "x").exists()


def _as_schema_1(directory):
    """Rewrite a current core set the way schema winoadder-vectors/1 stored it: one expected_out word of
    all P lanes per accumulation, no expected_lane file, no top/beats keys."""
    vset = read_vector_set(directory)
    spec = vset.manifest["files"]["expected_out"]
    field = Field("expected_out", (vset.cfg.lanes, 2, 2), spec["element_bits"], spec["signed"])
    payload = pack_hex(vset.arrays()["out"], field)
    (directory / "expected_out.hex").write_bytes(payload)
    (directory / "expected_lane.hex").unlink()
    manifest = dict(vset.manifest, schema="winoadder-vectors/1")
    for key in ("top", "beats"):
        del manifest[key]
    del manifest["files"]["expected_lane"]
    manifest["files"]["expected_out"].update(shape=list(field.shape), row_kind="outputs", rows=vset.outputs,
                                             word_bits=field.word_bits, hex_digits=field.digits,
                                             sha256=hashlib.sha256(payload).hexdigest())
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def test_migrate_v1_restores_the_current_set_byte_for_byte(tmp_path):
    import shutil

    from vectors.regressions import migrate_v1

    create_vector_set(tmp_path / "new", NARROW_WRAP, count=40, seed=6, classes="uniform,ties,acc_overflow")
    shutil.copytree(tmp_path / "new", tmp_path / "old")
    _as_schema_1(tmp_path / "old")
    with pytest.raises(UsageError, match="schema"):
        read_vector_set(tmp_path / "old")
    migrate_v1(tmp_path / "old")
    for path in sorted((tmp_path / "new").iterdir()):
        assert (tmp_path / "old" / path.name).read_bytes() == path.read_bytes(), path.name
    with pytest.raises(UsageError, match="not a winoadder-vectors/1 set"):
        migrate_v1(tmp_path / "old")
    _as_schema_1(tmp_path / "old")
    in_u = tmp_path / "old" / "in_u.hex"
    in_u.write_text(in_u.read_text().replace("0", "1", 1))
    with pytest.raises(UsageError, match="sha256"):
        migrate_v1(tmp_path / "old")


def test_add_rtl_parameters_records_only_the_new_names(tmp_path):
    from vectors.regressions import add_rtl_parameters

    directory = tmp_path / "set"
    create_vector_set(directory, SMALL, count=20, seed=3, classes="uniform")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    manifest = json.loads(before[MANIFEST])
    for name in ("Y_ACC", "WZ"):  # a set written before the output-domain accumulator
        del manifest["rtl_parameters"][name]
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    add_rtl_parameters(directory)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    read_vector_set(directory)
    manifest["rtl_parameters"]["WS"] += 1  # a recorded parameter the config no longer gives
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    with pytest.raises(UsageError, match="rtl_parameters.WS"):
        add_rtl_parameters(directory)
    assert json.loads((directory / MANIFEST).read_text()) == manifest
