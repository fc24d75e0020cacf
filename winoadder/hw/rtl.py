"""The RTL side of the contract: Verilog parameters from a DatapathConfig, the sources, and a check that
the Verilog's declared parameters and port widths agree with the config (docs/datapath.md, docs/rtl.md).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from simulator.rtl_params import direct_pe_parameters, rtl_parameters
from winoadder import tools
from winoadder.paths import RTL_DIR

CORE_TOP = "winoadder_core"
DIRECT_TOP = "adder_pe_direct"
STAGE_MODULES = ("input_transform", "align", "neg_abs_diff", "channel_accumulate", "output_transform",
                 "requantize")
CORE_PARAMETERS = ("P", "WA", "A_SIGNED", "K", "WU", "WV", "WVA", "WD", "WM", "WS", "ACC_SAT", "WY", "WO",
                   "O_SIGNED", "SHIFT", "ROUND", "OVF", "BT", "AT", "WL", "Y_ACC", "WZ")
DIRECT_PARAMETERS = ("P", "WA", "A_SIGNED", "WG", "WDIF", "WP", "WS", "ACC_SAT", "WO", "O_SIGNED", "SHIFT",
                     "ROUND", "OVF", "WL")
TOPS = (CORE_TOP, DIRECT_TOP)



def rtl_sources() -> list[Path]:
    """Every RTL module file, stage modules first: enough for either top (core or direct PE)."""
    names = [*STAGE_MODULES, CORE_TOP, DIRECT_TOP]
    return [RTL_DIR / f"{name}.v" for name in names]


def top_parameters(cfg, top: str = CORE_TOP) -> dict[str, int]:
    """The Verilog parameters of ``top`` (winoadder_core or adder_pe_direct) for a DatapathConfig."""
    if top == CORE_TOP:
        return rtl_parameters(cfg)
    if top == DIRECT_TOP:
        return direct_pe_parameters(cfg)
    raise ValueError(f"top: must be one of {', '.join(TOPS)}, got {top!r}")


def expected_core_ports(params: dict[str, int]) -> dict[str, tuple[str, int]]:
    """winoadder_core's ports as name -> (direction, width) implied by the parameter values."""
    return _ports(params, "in_u", params["P"] * 16 * params["WU"])


def expected_direct_ports(params: dict[str, int]) -> dict[str, tuple[str, int]]:
    """adder_pe_direct's ports as name -> (direction, width) implied by the parameter values."""
    return _ports(params, "in_w", params["P"] * 9 * params["WG"])


def _ports(params: dict[str, int], weight_port: str, weight_bits: int) -> dict[str, tuple[str, int]]:
    one = 1
    return {
        "clk": ("input", one),
        "rst": ("input", one),
        "in_valid": ("input", one),
        "in_ready": ("output", one),
        "in_tile": ("input", 16 * params["WA"]),
        weight_port: ("input", weight_bits),
        "in_first": ("input", one),
        "in_last": ("input", one),
        "out_valid": ("output", one),
        "out_ready": ("input", one),
        "out_lane": ("output", params["WL"]),
        "out_y": ("output", 4 * params["WO"]),
    }


def preprocess(path: Path) -> str:
    """``path`` after the Verilog preprocessor: Icarus's (``iverilog -E``, what pyverilog itself runs) or,
    without Icarus, Verilator's (``verilator -E -P``), so checking the RTL needs only one simulator."""
    if tools.locate("iverilog") is not None:
        with tempfile.TemporaryDirectory(prefix="winoadder-preprocess-") as tmp:
            out = Path(tmp) / "preprocessed.v"
            _run_preprocessor([tools.require("iverilog"), "-E", "-o", str(out), str(path)])
            return out.read_text()
    verilator = tools.require("verilator", "the RTL parameter check (or install iverilog)")
    return _run_preprocessor([verilator, "-E", "-P", str(path)])


def _run_preprocessor(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ValueError(f"{command[-1]}: the preprocessor failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def parse_module_interface(path: Path, module: str) -> tuple[dict, dict]:
    """Parse ``path`` with pyverilog; return (parameter name -> (msb, lsb) width AST or None,
    port name -> (direction, (msb, lsb) AST or None)) of ``module``. Parser files go to a temp dir."""
    from pyverilog.vparser import ast as vast
    from pyverilog.vparser.parser import VerilogParser

    text = preprocess(path)
    with tempfile.TemporaryDirectory(prefix="winoadder-pyverilog-") as tmp:
        tree = VerilogParser(outputdir=tmp, debug=False).parse(text, debug=0)
    modules = [d for d in tree.description.definitions if isinstance(d, vast.ModuleDef) and d.name == module]
    if not modules:
        raise ValueError(f"{path}: no module named {module}")
    mod = modules[0]
    params = {}
    for decl in mod.paramlist.params:
        for item in decl.list:
            if isinstance(item, vast.Parameter):
                params[item.name] = _width_pair(item.width)
    ports = {}
    for port in mod.portlist.ports:
        first = port.first if isinstance(port, vast.Ioport) else port
        direction = {vast.Input: "input", vast.Output: "output", vast.Inout: "inout"}.get(type(first))
        ports[first.name] = (direction, _width_pair(first.width))
    return params, ports


def check_rtl_parameters(cfg, path: Path | None = None, top: str = CORE_TOP) -> None:
    """Raise ValueError naming the first disagreement between ``top``'s Verilog and the config.

    The RTL's parameter set must equal top_parameters' keys, each value must fit its declared width,
    and every port width (evaluated from the parsed width expressions with the config's values) must
    equal the width the config implies.
    """
    path = Path(path) if path is not None else RTL_DIR / f"{top}.v"
    values = top_parameters(cfg, top)
    declared, ports = parse_module_interface(path, top)
    missing = sorted(set(values) - set(declared))
    extra = sorted(set(declared) - set(values))
    if missing:
        raise ValueError(f"parameter {missing[0]}: derived from the config but not declared in {path.name}")
    if extra:
        raise ValueError(f"parameter {extra[0]}: declared in {path.name} but not derived from the config")
    for name, width in declared.items():
        if width is not None:
            bits = _evaluate(width[0], values) - _evaluate(width[1], values) + 1
            if values[name] >= (1 << bits):
                raise ValueError(f"parameter {name}: value {values[name]} does not fit its {bits}-bit width")
    expected = expected_core_ports(values) if top == CORE_TOP else expected_direct_ports(values)
    for name in sorted(set(expected) | set(ports)):
        if name not in ports:
            raise ValueError(f"port {name}: expected by the contract but missing from {path.name}")
        if name not in expected:
            raise ValueError(f"port {name}: present in {path.name} but not in the contract")
        direction, width = ports[name]
        bits = 1 if width is None else _evaluate(width[0], values) - _evaluate(width[1], values) + 1
        want_dir, want_bits = expected[name]
        if direction != want_dir:
            raise ValueError(f"port {name}: is an {direction} in {path.name}, the contract says {want_dir}")
        if bits != want_bits:
            raise ValueError(f"port {name}: {bits} bits in {path.name} with these parameters, "
                             f"the config implies {want_bits}")


def _width_pair(width):
    return None if width is None else (width.msb, width.lsb)


_BINARY = {
    "Plus": lambda a, b: a + b,
    "Minus": lambda a, b: a - b,
    "Times": lambda a, b: a * b,
    "Divide": lambda a, b: int(a / b),
    "Mod": lambda a, b: a % b,
    "Sll": lambda a, b: a << b,
    "Srl": lambda a, b: a >> b,
}


def _evaluate(node, values: dict[str, int]) -> int:
    """Evaluate a pyverilog constant expression (integers, parameters, + - * / % << >>, unary -)."""
    kind = type(node).__name__
    if kind == "IntConst":
        return _verilog_int(node.value)
    if kind == "Identifier":
        if node.name not in values:
            raise ValueError(f"parameter {node.name}: used in a width but has no value")
        return values[node.name]
    if kind == "Uminus":
        return -_evaluate(node.right, values)
    if kind in _BINARY:
        return _BINARY[kind](_evaluate(node.left, values), _evaluate(node.right, values))
    raise ValueError(f"width expression: unsupported construct {kind}")


def _verilog_int(text: str) -> int:
    text = text.replace("_", "").lower()
    if "'" not in text:
        return int(text)
    digits = text.split("'", 1)[1].lstrip("s")
    base = {"d": 10, "h": 16, "b": 2, "o": 8}[digits[0]]
    return int(digits[1:], base)


def pack_words(fields) -> list[int]:
    """Concatenate fields into one integer per row, the first field at the low end.

    ``fields`` is a sequence of ``(raw, width)``: raw an integer array (N, k) (or (N,) for k = 1) of
    two's-complement values; element e of a field sits at bits [offset + width·e +: width].
    """
    rows = None
    shift = 0
    for raw, width in fields:
        raw = np.asarray(raw, dtype=np.int64)
        raw = raw.reshape(raw.shape[0], -1)
        unsigned = [[int(x) & ((1 << width) - 1) for x in row] for row in raw.tolist()]
        if rows is None:
            rows = [0] * len(unsigned)
        for r, elements in enumerate(unsigned):
            word = 0
            for e, x in enumerate(elements):
                word |= x << (width * e)
            rows[r] |= word << shift
        shift += width * raw.shape[1]
    return rows or []


def unpack_words(words, width: int, count: int, *, signed: bool = True, offset: int = 0) -> np.ndarray:
    """The inverse of pack_words for one field: (N, count) int64 raw values from integer words."""
    mask = (1 << width) - 1
    out = np.empty((len(words), count), dtype=np.int64)
    for r, word in enumerate(words):
        for e in range(count):
            x = (word >> (offset + width * e)) & mask
            out[r, e] = x - (1 << width) if signed and x >> (width - 1) else x
    return out
