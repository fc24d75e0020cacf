"""A vector set on disk: hex files, one .npz, and manifest.json (config, layout of every file, sha256).

``write_vector_set`` builds the whole directory in a temporary sibling and renames it into place, so a
reader never sees a half-written set; ``read_vector_set`` checks the schema and every file's sha256
before anything is used.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from fixedpoint import strictjson
from fixedpoint.errors import UsageError
from fixedpoint.safeio import check_dir_target, write_dir
from vectors.layout import Field, pack_hex, unpack_hex

SCHEMA = "winoadder-vectors/2"
MANIFEST = "manifest.json"
NPZ = "vectors.npz"
CORE_TOP = "winoadder_core"
DIRECT_TOP = "adder_pe_direct"
TOPS = (CORE_TOP, DIRECT_TOP)

_TILE = "element (r, c) at bits [{w}*(4r+c) +: {w}]"
_LANES = "lane p, element (r, c) at bits [{w}*(16p+4r+c) +: {w}]"
_OUT = "lane p, element (i, j) at bits [{w}*(4p+2i+j) +: {w}]"
_KERNELS = "lane p, element (a, b) at bits [{w}*(9p+3a+b) +: {w}]"
_BEAT = "element (i, j) at bits [{w}*(2i+j) +: {w}]"
_FLAGS = ("in_flags.hex", "transactions", (2,), None, False, None, "bit 0 = in_first, bit 1 = in_last",
          "accumulation flags -> ports in_first, in_last")
_EXPECTED_OUT = ("expected_out.hex", "beats", (2, 2), "WO", "out", "out", _BEAT,
                 "expected out_y of each output beat: lanes 0..P-1 of each accumulation, in order")
_EXPECTED_LANE = ("expected_lane.hex", "beats", (1,), "WL", False, None, "the lane index",
                  "expected out_lane of each output beat")
# name: (file, rows ("transactions" | "outputs" | "beats"), row shape ("P" = lanes), width key (a Verilog
# parameter of the top), signedness key, frac key, packing, description). A beat is one lane of one
# finished accumulation: beats = outputs * P.
FILES = {
    "in_tile": ("in_tile.hex", "transactions", (4, 4), "WA", "act", "act", _TILE,
                "activation tile d -> in_tile"),
    "in_u": ("in_u.hex", "transactions", ("P", 4, 4), "WU", True, "u", _LANES,
             "weight tiles U of the P lanes -> in_u"),
    "in_flags": _FLAGS,
    "expected_out": _EXPECTED_OUT,
    "expected_lane": _EXPECTED_LANE,
    "V": ("V.hex", "transactions", (4, 4), "WV", True, "act", _TILE, "debug: input transform V = BT d B"),
    "M": ("M.hex", "transactions", ("P", 4, 4), "WM", True, "u", _LANES, "debug: M = -|U - Va| per lane"),
    "S": ("S.hex", "transactions", ("P", 4, 4), "WS", True, "u", _LANES,
          "debug: accumulator S after the transaction"),
    "Y": ("Y.hex", "outputs", ("P", 2, 2), "WY", True, "u", _OUT, "debug: Y = AT S A of each accumulation"),
}
DIRECT_FILES = {
    "in_tile": FILES["in_tile"],
    "in_w": ("in_w.hex", "transactions", ("P", 3, 3), "WG", True, "act", _KERNELS,
             "3x3 kernels g of the P lanes -> in_w"),
    "in_flags": _FLAGS,
    "expected_out": _EXPECTED_OUT,
    "expected_lane": _EXPECTED_LANE,
    "M": ("M.hex", "transactions", ("P", 2, 2), "WP", True, "act", _OUT,
          "debug: window sums M = sum_ab -|x - w| per lane"),
    "S": ("S.hex", "outputs", ("P", 2, 2), "WS", True, "act", _OUT,
          "debug: accumulated sums of each accumulation"),
}
FILES_OF = {CORE_TOP: FILES, DIRECT_TOP: DIRECT_FILES}
# The files the testbench reads (the rest are debug files for people and tools).
TB_FILES = {CORE_TOP: ("in_tile", "in_u", "in_flags", "expected_out", "expected_lane"),
            DIRECT_TOP: ("in_tile", "in_w", "in_flags", "expected_out", "expected_lane")}


def check_top(top: str) -> str:
    if top not in TOPS:
        raise UsageError(f"top: must be one of {', '.join(TOPS)}, got {top!r}")
    return top


def top_parameters(cfg, top: str) -> dict[str, int]:
    """The Verilog parameters of ``top`` for a config (simulator.rtl_params)."""
    from simulator.rtl_params import direct_pe_parameters, rtl_parameters

    return rtl_parameters(cfg) if top == CORE_TOP else direct_pe_parameters(cfg)


@dataclass(frozen=True)
class VectorSet:
    """A loaded, checked vector set."""

    directory: Path
    manifest: dict
    cfg: object  # simulator.DatapathConfig

    def field(self, name: str) -> Field:
        spec = self.manifest["files"][name]
        return Field(name, tuple(spec["shape"]), spec["element_bits"], spec["signed"])

    def read(self, name: str) -> np.ndarray:
        path = self.directory / self.manifest["files"][name]["path"]
        return unpack_hex(path.read_bytes(), self.field(name))

    def arrays(self) -> dict[str, np.ndarray]:
        with np.load(self.directory / NPZ) as data:
            return {k: data[k] for k in data.files}

    @property
    def top(self) -> str:
        return self.manifest["top"]

    @property
    def beats(self) -> int:
        return int(self.manifest["beats"])

    @property
    def transactions(self) -> int:
        return int(self.manifest["transactions"])

    @property
    def outputs(self) -> int:
        return int(self.manifest["outputs"])


def tool_version() -> str:
    """The installed winoadder version recorded in manifests."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("winoadder")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown"


def file_fields(cfg, top: str = CORE_TOP) -> dict[str, Field]:
    """The Field (shape, element width, signedness) of every hex file of ``top``'s sets for a config."""
    params = top_parameters(cfg, top)
    fields = {}
    for name, (_path, _rows, shape, width_key, signed_key, _frac, _packing, _doc) in FILES_OF[top].items():
        shape = tuple(cfg.lanes if n == "P" else n for n in shape)
        width = 1 if width_key is None else params[width_key]
        signed = {"act": cfg.act_fmt.signed, "out": cfg.out_fmt.signed}.get(signed_key, signed_key)
        fields[name] = Field(name, shape, width, bool(signed))
    return fields


def beat_arrays(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-accumulation outputs (outputs, P, 2, 2) as output beats: tiles (beats, 2, 2), lanes (beats, 1)."""
    outputs, lanes = out.shape[:2]
    lane = np.tile(np.arange(lanes, dtype=np.int64), outputs).reshape(-1, 1)
    return out.reshape(outputs * lanes, 2, 2), lane


def build_arrays(cfg, tx, res) -> dict[str, np.ndarray]:
    """Every array of a core set: inputs, flags, per-transaction intermediates and per-output results."""
    outputs = np.flatnonzero(tx.last)
    return {
        "d": tx.d, "u": tx.u, "first": tx.first, "last": tx.last, "class_index": tx.class_index,
        "V": res.V, "Va": res.Va, "M": res.M, "S": res.S,
        "out_index": outputs, "Y": res.Y[outputs], "out": res.out[outputs],
    }


def build_direct_arrays(cfg, tx, res) -> dict[str, np.ndarray]:
    """Every array of a direct-PE set: inputs, flags, window sums, per-output sums and results."""
    outputs = np.flatnonzero(tx.last)
    return {
        "d": tx.d, "g": tx.g, "first": tx.first, "last": tx.last, "class_index": tx.class_index,
        "M": res.M, "out_index": outputs, "S": res.S[outputs], "out": res.out[outputs],
    }


def hex_payloads(cfg, arrays: dict[str, np.ndarray], top: str = CORE_TOP) -> dict[str, bytes]:
    fields = file_fields(cfg, top)
    flags = np.stack([arrays["first"], arrays["last"]], axis=1).astype(np.int64)
    tiles, lanes = beat_arrays(arrays["out"])
    values = {"in_tile": arrays["d"], "in_flags": flags, "expected_out": tiles, "expected_lane": lanes,
              "M": arrays["M"], "S": arrays["S"]}
    if top == CORE_TOP:
        values.update({"in_u": arrays["u"], "V": arrays["V"], "Y": arrays["Y"]})
    else:
        values["in_w"] = arrays["g"]
    return {name: pack_hex(values[name], fields[name]) for name in FILES_OF[top]}


def deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed .npz (np.load-able) with fixed timestamps, so equal arrays give equal bytes.

    Integer arrays are stored in the narrowest signed dtype holding their values (int8..int64).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(_narrowest(array)), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    return buffer.getvalue()


def _narrowest(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind != "i":
        return array
    lo, hi = (int(array.min()), int(array.max())) if array.size else (0, 0)
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return array.astype(dtype)
    return array.astype(np.int64)


def build_manifest(cfg, tx, arrays, payloads: dict[str, bytes], npz: bytes, *, seed, count, coverage,
                   stage_ranges, top: str = CORE_TOP) -> dict:
    fields = file_fields(cfg, top)
    outputs = int(tx.last.sum())
    rows = {"transactions": len(tx), "outputs": outputs, "beats": outputs * cfg.lanes}
    files = {}
    for name, (path, row_kind, _shape, _wk, _sk, frac_key, packing, doc) in FILES_OF[top].items():
        field = fields[name]
        frac = {"act": cfg.act_fmt.frac, "u": cfg.u_fmt.frac, "out": cfg.out_fmt.frac}.get(frac_key)
        files[name] = {
            "path": path, "description": doc, "rows": rows[row_kind], "row_kind": row_kind,
            "shape": list(field.shape), "element_bits": field.width, "word_bits": field.word_bits,
            "hex_digits": field.digits, "signed": field.signed, "frac": frac,
            "packing": packing.format(w=field.width), "sha256": _sha256(payloads[name]),
        }
    files["npz"] = {
        "path": NPZ, "description": "all arrays for Python users (np.load)", "sha256": _sha256(npz),
        "arrays": {k: {"shape": list(v.shape), "dtype": str(_narrowest(v).dtype)} for k, v in arrays.items()},
    }
    starts = np.searchsorted(tx.class_index, np.arange(len(tx.classes)))
    classes = []
    for index, name in enumerate(tx.classes):
        mask = tx.class_index == index
        classes.append({"name": name, "first_transaction": int(starts[index]),
                        "transactions": int(mask.sum()), "outputs": int((mask & tx.last).sum())})
    transform = cfg.transform
    return {
        "schema": SCHEMA,
        "top": top,
        "tool": f"winoadder {tool_version()}",
        "seed": seed,
        "count": count,
        "transactions": rows["transactions"],
        "outputs": rows["outputs"],
        "beats": rows["beats"],
        "config": cfg.to_dict(),
        "rtl_parameters": top_parameters(cfg, top),
        "matrices": {
            "name": transform.name,
            "BT": np.asarray(transform.BT, dtype=np.int64).tolist(),
            "G": [[str(Fraction(x)) for x in row] for row in np.asarray(transform.G)],
            "AT": np.asarray(transform.AT, dtype=np.int64).tolist(),
        },
        "classes": classes,
        "files": files,
        "coverage": coverage,
        "stage_ranges": stage_ranges,
    }


def write_vector_set(out_dir, cfg, tx, res, *, seed, count, coverage, stage_ranges, force=False,
                     top: str = CORE_TOP) -> dict:
    """Write the set atomically into ``out_dir`` (fixedpoint.safeio.write_dir: a non-empty ``out_dir`` is
    refused unless ``force``, checked again at the rename)."""
    check_dir_target(out_dir, "--out", force=force)
    arrays = build_arrays(cfg, tx, res) if top == CORE_TOP else build_direct_arrays(cfg, tx, res)
    payloads = hex_payloads(cfg, arrays, top)
    npz = deterministic_npz(arrays)
    manifest = build_manifest(cfg, tx, arrays, payloads, npz, seed=seed, count=count, coverage=coverage,
                              stage_ranges=stage_ranges, top=top)

    def fill(tmp: Path) -> None:
        for name, payload in payloads.items():
            (tmp / FILES_OF[top][name][0]).write_bytes(payload)
        (tmp / NPZ).write_bytes(npz)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

    write_dir(out_dir, fill, option="--out", force=force)
    return manifest


def _manifest_error(message: str) -> UsageError:
    return UsageError(f"manifest: {message}")


def _count(manifest: dict, key: str) -> int:
    value = manifest.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _manifest_error(f"{key} must be a non-negative integer, got {value!r}")
    return value


def _member_path(directory: Path, name: str, spec) -> Path:
    """The file of a manifest entry: a plain file name inside the set (no '/', '..' or absolute path)."""
    if not isinstance(spec, dict):
        raise _manifest_error(f"files.{name} must be an object, got {type(spec).__name__}")
    path = spec.get("path")
    if not isinstance(path, str) or not path or path in (".", "..") or "/" in path or "\\" in path \
            or "\0" in path:
        raise _manifest_error(f"files.{name}.path must be a file name inside the set, got {path!r}")
    if not isinstance(spec.get("sha256"), str):
        raise _manifest_error(f"files.{name}.sha256 must be a string")
    file = directory / path
    if file.is_symlink() or not file.is_file():
        raise UsageError(f"vectors: {file} listed in the manifest is missing or not a regular file")
    return file


def read_vector_set(directory) -> VectorSet:
    """Load and check a set: schema and types of every key, every file a plain member of the set with its
    recorded sha256, every hex file's row count equal to the manifest's, the flags consistent with it."""
    from simulator import DatapathConfig

    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise UsageError(f"vectors: {directory} is not a directory")
    if not path.is_file():
        raise UsageError(f"vectors: {path} not found (is {directory} a vector set from 'winoadder vectors'?)")
    try:
        manifest = strictjson.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"manifest: {path} is not valid UTF-8 JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        found = manifest.get("schema") if isinstance(manifest, dict) else None
        raise UsageError(f"manifest: schema must be {SCHEMA!r}, found {found!r}")
    for key in ("top", "config", "files", "transactions", "outputs", "beats", "rtl_parameters"):
        if key not in manifest:
            raise UsageError(f"manifest: missing key {key!r}")
    rows = {kind: _count(manifest, kind) for kind in ("transactions", "outputs", "beats")}
    if not isinstance(manifest["files"], dict):
        raise _manifest_error("files must be an object")
    if not isinstance(manifest["rtl_parameters"], dict):
        raise _manifest_error("rtl_parameters must be an object")
    if manifest["top"] not in TOPS:
        raise _manifest_error(f"top must be one of {', '.join(TOPS)}, found {manifest['top']!r}")
    top = manifest["top"]
    files = FILES_OF[top]
    missing = [n for n in (*files, "npz") if n not in manifest["files"]]
    if missing:
        raise UsageError(f"manifest: files entry lacks {', '.join(missing)}")
    contents = {}
    for name, spec in manifest["files"].items():
        file = _member_path(directory, name, spec)
        contents[name] = file.read_bytes()
        if _sha256(contents[name]) != spec["sha256"]:
            raise UsageError(f"vectors: sha256 of {file} does not match the manifest (changed or corrupt)")
    matrices = manifest["config"].get("matrices") if isinstance(manifest["config"], dict) else None
    if not isinstance(matrices, dict):  # never a path: a manifest must not make us read outside the set
        raise _manifest_error(f"config.matrices must be the matrices object, got {type(matrices).__name__}")
    try:
        cfg = DatapathConfig.from_dict(manifest["config"])
    except (ValueError, TypeError) as exc:
        raise UsageError(f"manifest: config is invalid: {str(exc).splitlines()[0]}") from None
    if rows["beats"] != rows["outputs"] * cfg.lanes:
        raise _manifest_error(f"beats must be outputs * P = {rows['outputs'] * cfg.lanes}")
    try:
        expected = file_fields(cfg, top)
    except ValueError as exc:
        raise UsageError(f"manifest: config is invalid for {top}: {exc}") from None
    for name in files:
        spec = manifest["files"][name]
        try:
            field = Field(name, tuple(spec["shape"]), spec["element_bits"], spec["signed"])
            layout_ok = field == expected[name] and spec["row_kind"] in rows
        except (KeyError, TypeError):
            layout_ok = False
        if not layout_ok or spec.get("rows") != rows.get(spec.get("row_kind")) \
                or spec["row_kind"] != files[name][1]:
            raise UsageError(f"manifest: layout of {name} does not match its config ({expected[name]})")
        line = expected[name].digits + 1
        if len(contents[name]) != rows[spec["row_kind"]] * line:
            found = len(contents[name]) / line
            raise UsageError(f"vectors: {directory / spec['path']} holds {found:g} rows; the manifest says "
                             f"{rows[spec['row_kind']]} {spec['row_kind']}")
    vset = VectorSet(directory, manifest, cfg)
    try:
        flags = vset.read("in_flags")
    except ValueError as exc:
        raise UsageError(f"vectors: {directory / files['in_flags'][0]}: {exc}") from None
    if int(flags[:, 1].sum()) != rows["outputs"] or (rows["transactions"] and not flags[0, 0]):
        raise UsageError(f"vectors: in_flags.hex has {int(flags[:, 1].sum())} last flags for "
                         f"{rows['outputs']} outputs in the manifest (or does not start an accumulation)")
    check_expected_outputs(vset, flags)
    return vset


def check_expected_outputs(vset: VectorSet, flags: np.ndarray) -> None:
    """The expected output beats must be what the bit-exact model of the manifest's config and top gives
    for the set's inputs: a set edited after writing (checksums recomputed) or a config swapped in is
    refused here, so verify can never report a false PASS or FAIL against it."""
    first, last = flags[:, 0].astype(bool), flags[:, 1].astype(bool)
    try:
        if vset.top == CORE_TOP:
            from simulator.datapath import run_stream

            res = run_stream(vset.cfg, vset.read("in_tile"), vset.read("in_u"), first, last)
        else:
            from simulator.direct import run_direct_stream

            res = run_direct_stream(vset.cfg, vset.read("in_tile"), vset.read("in_w"), first, last)
        expected, lanes = vset.read("expected_out"), vset.read("expected_lane")
    except ValueError as exc:
        raise UsageError(f"vectors: {vset.directory}: inputs do not fit the manifest's config "
                         f"({str(exc).splitlines()[0]})") from None
    model, model_lanes = beat_arrays(res.out[last])
    if model.size != expected.size or model_lanes.size != lanes.size:
        raise UsageError("vectors: expected_out.hex/expected_lane.hex do not hold one beat per lane and "
                         "accumulation of in_flags.hex")
    wrong = np.any(model.reshape(expected.shape) != expected, axis=tuple(range(1, expected.ndim)))
    wrong |= model_lanes.reshape(-1) != lanes.reshape(-1)
    if wrong.any():
        raise UsageError(f"vectors: expected_out.hex/expected_lane.hex row {int(np.argmax(wrong))} is not "
                         "what the manifest's config gives for the inputs (edited after writing, or from "
                         "another config)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_vector_set(out_dir, cfg, *, count: int, seed: int, classes="random,directed", force=False,
                      top: str = CORE_TOP) -> dict:
    """Generate the transactions for ``top``, run its bit-exact model, compute coverage and write the set."""
    from vectors.direct import generate_direct
    from vectors.generator import generate

    check_top(top)
    check_dir_target(out_dir, "--out", force=force)
    if top == DIRECT_TOP:
        try:
            top_parameters(cfg, top)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    tx = (generate if top == CORE_TOP else generate_direct)(cfg, count, seed, classes)
    return write_transactions(out_dir, cfg, tx, seed=seed, count=count, force=force)


def write_transactions(out_dir, cfg, tx, *, seed: int, count: int, force=False) -> dict:
    """Run the bit-exact model on ``tx`` (core Transactions or DirectTransactions: the top follows),
    compute coverage and write the set."""
    from simulator.datapath import run_stream
    from vectors.coverage import coverage, stage_ranges
    from vectors.direct import DirectTransactions, direct_coverage, direct_stage_ranges

    if isinstance(tx, DirectTransactions):
        from simulator.direct import run_direct_stream

        res = run_direct_stream(cfg, tx.d, tx.g, tx.first, tx.last)
        return write_vector_set(out_dir, cfg, tx, res, seed=seed, count=count,
                                coverage=direct_coverage(cfg, tx, res),
                                stage_ranges=direct_stage_ranges(cfg, tx, res), force=force, top=DIRECT_TOP)
    res = run_stream(cfg, tx.d, tx.u, tx.first, tx.last)
    return write_vector_set(out_dir, cfg, tx, res, seed=seed, count=count, coverage=coverage(cfg, tx, res),
                            stage_ranges=stage_ranges(cfg, tx, res), force=force)
