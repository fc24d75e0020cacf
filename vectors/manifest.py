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

from fixedpoint.errors import UsageError
from fixedpoint.safeio import check_dir_target, write_dir
from vectors.layout import Field, pack_hex, unpack_hex

SCHEMA = "winoadder-vectors/1"
MANIFEST = "manifest.json"
NPZ = "vectors.npz"

_TILE = "element (r, c) at bits [{w}*(4r+c) +: {w}]"
_LANES = "lane p, element (r, c) at bits [{w}*(16p+4r+c) +: {w}]"
_OUT = "lane p, element (i, j) at bits [{w}*(4p+2i+j) +: {w}]"
# name: (file, rows ("transactions" | "outputs"), width key, signedness key, frac key, packing, description)
FILES = {
    "in_tile": ("in_tile.hex", "transactions", "WA", "act", "act", _TILE, "activation tile d -> in_tile"),
    "in_u": ("in_u.hex", "transactions", "WU", True, "u", _LANES, "weight tiles U of the P lanes -> in_u"),
    "in_flags": ("in_flags.hex", "transactions", None, False, None, "bit 0 = in_first, bit 1 = in_last",
                 "accumulation flags -> ports in_first, in_last"),
    "expected_out": ("expected_out.hex", "outputs", "WO", "out", "out", _OUT,
                     "expected out_y of each accumulation (one line per in_last transaction)"),
    "V": ("V.hex", "transactions", "WV", True, "act", _TILE, "debug: input transform V = BT d B"),
    "M": ("M.hex", "transactions", "WM", True, "u", _LANES, "debug: M = -|U - Va| per lane"),
    "S": ("S.hex", "transactions", "WS", True, "u", _LANES, "debug: accumulator S after the transaction"),
    "Y": ("Y.hex", "outputs", "WY", True, "u", _OUT, "debug: Y = AT S A of each accumulation"),
}
# Row shape of each file; "lanes" files hold P tiles per row.
_SHAPES = {"in_tile": (4, 4), "V": (4, 4), "in_flags": (2,)}
_LANE_SHAPES = {"expected_out": (2, 2), "Y": (2, 2), "in_u": (4, 4), "M": (4, 4), "S": (4, 4)}


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


def file_fields(cfg) -> dict[str, Field]:
    """The Field (shape, element width, signedness) of every hex file for a config."""
    widths = cfg.widths
    fields = {}
    for name, (_path, _rows, width_key, signed_key, _frac, _packing, _doc) in FILES.items():
        shape = _SHAPES[name] if name in _SHAPES else (cfg.lanes, *_LANE_SHAPES[name])
        width = 1 if width_key is None else getattr(widths, width_key)
        signed = {"act": cfg.act_fmt.signed, "out": cfg.out_fmt.signed}.get(signed_key, signed_key)
        fields[name] = Field(name, shape, width, bool(signed))
    return fields


def build_arrays(cfg, tx, res) -> dict[str, np.ndarray]:
    """Every array of the set: inputs, flags, per-transaction intermediates and per-output results."""
    outputs = np.flatnonzero(tx.last)
    return {
        "d": tx.d, "u": tx.u, "first": tx.first, "last": tx.last, "class_index": tx.class_index,
        "V": res.V, "Va": res.Va, "M": res.M, "S": res.S,
        "out_index": outputs, "Y": res.Y[outputs], "out": res.out[outputs],
    }


def hex_payloads(cfg, arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    fields = file_fields(cfg)
    flags = np.stack([arrays["first"], arrays["last"]], axis=1).astype(np.int64)
    values = {"in_tile": arrays["d"], "in_u": arrays["u"], "in_flags": flags, "expected_out": arrays["out"],
              "V": arrays["V"], "M": arrays["M"], "S": arrays["S"], "Y": arrays["Y"]}
    return {name: pack_hex(values[name], fields[name]) for name in FILES}


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
                   stage_ranges) -> dict:
    from simulator.rtl_params import rtl_parameters

    fields = file_fields(cfg)
    rows = {"transactions": len(tx), "outputs": int(tx.last.sum())}
    files = {}
    for name, (path, row_kind, _wk, _sk, frac_key, packing, doc) in FILES.items():
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
        "tool": f"winoadder {tool_version()}",
        "seed": seed,
        "count": count,
        "transactions": rows["transactions"],
        "outputs": rows["outputs"],
        "config": cfg.to_dict(),
        "rtl_parameters": rtl_parameters(cfg),
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


def write_vector_set(out_dir, cfg, tx, res, *, seed, count, coverage, stage_ranges, force=False) -> dict:
    """Write the set atomically into ``out_dir`` (fixedpoint.safeio.write_dir: a non-empty ``out_dir`` is
    refused unless ``force``, checked again at the rename)."""
    check_dir_target(out_dir, "--out", force=force)
    arrays = build_arrays(cfg, tx, res)
    payloads = hex_payloads(cfg, arrays)
    npz = deterministic_npz(arrays)
    manifest = build_manifest(cfg, tx, arrays, payloads, npz, seed=seed, count=count, coverage=coverage,
                              stage_ranges=stage_ranges)

    def fill(tmp: Path) -> None:
        for name, payload in payloads.items():
            (tmp / FILES[name][0]).write_bytes(payload)
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
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"manifest: {path} is not valid UTF-8 JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        found = manifest.get("schema") if isinstance(manifest, dict) else None
        raise UsageError(f"manifest: schema must be {SCHEMA!r}, found {found!r}")
    for key in ("config", "files", "transactions", "outputs", "rtl_parameters"):
        if key not in manifest:
            raise UsageError(f"manifest: missing key {key!r}")
    rows = {kind: _count(manifest, kind) for kind in ("transactions", "outputs")}
    if not isinstance(manifest["files"], dict):
        raise _manifest_error("files must be an object")
    if not isinstance(manifest["rtl_parameters"], dict):
        raise _manifest_error("rtl_parameters must be an object")
    missing = [n for n in (*FILES, "npz") if n not in manifest["files"]]
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
    expected = file_fields(cfg)
    for name in FILES:
        spec = manifest["files"][name]
        try:
            field = Field(name, tuple(spec["shape"]), spec["element_bits"], spec["signed"])
            layout_ok = field == expected[name] and spec["row_kind"] in rows
        except (KeyError, TypeError):
            layout_ok = False
        if not layout_ok or spec.get("rows") != rows.get(spec.get("row_kind")) \
                or spec["row_kind"] != FILES[name][1]:
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
        raise UsageError(f"vectors: {directory / FILES['in_flags'][0]}: {exc}") from None
    if int(flags[:, 1].sum()) != rows["outputs"] or (rows["transactions"] and not flags[0, 0]):
        raise UsageError(f"vectors: in_flags.hex has {int(flags[:, 1].sum())} last flags for "
                         f"{rows['outputs']} outputs in the manifest (or does not start an accumulation)")
    check_expected_outputs(vset, flags)
    return vset


def check_expected_outputs(vset: VectorSet, flags: np.ndarray) -> None:
    """The expected outputs must be what the bit-exact model of the manifest's config gives for the set's
    inputs: a set edited after writing (checksums recomputed) or a config swapped in is refused here,
    so verify can never report a false PASS or FAIL against it."""
    from simulator.datapath import run_stream

    try:
        d, u = vset.read("in_tile"), vset.read("in_u")
        res = run_stream(vset.cfg, d, u, flags[:, 0].astype(bool), flags[:, 1].astype(bool))
        expected = vset.read("expected_out")
    except ValueError as exc:
        raise UsageError(f"vectors: {vset.directory}: inputs do not fit the manifest's config "
                         f"({str(exc).splitlines()[0]})") from None
    model = res.out[flags[:, 1].astype(bool)]
    if model.size != expected.size:
        raise UsageError("vectors: expected_out.hex does not hold one output per accumulation of "
                         "in_flags.hex")
    wrong = np.any(model.reshape(expected.shape) != expected, axis=tuple(range(1, expected.ndim)))
    if wrong.any():
        raise UsageError(f"vectors: expected_out.hex row {int(np.argmax(wrong))} is not what the manifest's "
                         "config gives for the inputs (edited after writing, or from another config)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_vector_set(out_dir, cfg, *, count: int, seed: int, classes="random,directed", force=False) -> dict:
    """Generate the transactions, run the bit-exact model, compute coverage and write the set."""
    from vectors.generator import generate

    check_dir_target(out_dir, "--out", force=force)
    tx = generate(cfg, count, seed, classes)
    return write_transactions(out_dir, cfg, tx, seed=seed, count=count, force=force)


def write_transactions(out_dir, cfg, tx, *, seed: int, count: int, force=False) -> dict:
    """Run the bit-exact model on ``tx``, compute coverage and write the set."""
    from simulator.datapath import run_stream
    from vectors.coverage import coverage, stage_ranges

    res = run_stream(cfg, tx.d, tx.u, tx.first, tx.last)
    return write_vector_set(out_dir, cfg, tx, res, seed=seed, count=count, coverage=coverage(cfg, tx, res),
                            stage_ranges=stage_ranges(cfg, tx, res), force=force)
