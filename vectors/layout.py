"""Packed-word hex files: one transaction a line, the bits exactly as on the RTL port.

A field holds ``E`` elements of ``W`` bits per row; element ``e`` sits at bits ``[W*e +: W]`` of the row's
word (little end first, as in docs/datapath.md "Packing"), two's complement for signed fields. A row is
written as ``ceil(E*W/4)`` lower-case hex digits, most significant first, which is what Verilog's
``$readmemh`` reads into a ``reg [E*W-1:0]`` memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NIBBLE_OF = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789abcdef"):
    _NIBBLE_OF[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _NIBBLE_OF[_c] = 10 + _i
_CHUNK_ROWS = 8192


@dataclass(frozen=True)
class Field:
    """The layout of one hex file: ``shape`` per row, ``width`` bits per element, signedness."""

    name: str
    shape: tuple[int, ...]
    width: int
    signed: bool

    @property
    def elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def word_bits(self) -> int:
        return self.elements * self.width

    @property
    def digits(self) -> int:
        return -(-self.word_bits // 4)


def pack_hex(values: np.ndarray, field: Field) -> bytes:
    """Encode ``values`` (rows, *field.shape) raw integers as hex lines (newline-terminated)."""
    values = np.asarray(values)
    if values.dtype.kind not in "biu":
        raise ValueError(f"{field.name}: expected raw integers, got dtype {values.dtype}")
    values = values.astype(np.int64)
    if values.shape[1:] != field.shape:
        raise ValueError(f"{field.name}: expected rows of shape {field.shape}, got {values.shape[1:]}")
    flat = values.reshape(len(values), field.elements)
    lo = -(1 << (field.width - 1)) if field.signed else 0
    hi = (1 << (field.width - 1)) - 1 if field.signed else (1 << field.width) - 1
    if flat.size and (flat.min() < lo or flat.max() > hi):
        raise ValueError(f"{field.name}: values outside the {field.width}-bit field range [{lo}, {hi}]")
    return b"".join(_pack_chunk(flat[i : i + _CHUNK_ROWS], field) for i in range(0, len(flat), _CHUNK_ROWS))


def _limbs(flat: np.ndarray, field: Field) -> np.ndarray:
    """Rows as little-endian uint64 limbs of the packed word (one spare limb for spills)."""
    rows = len(flat)
    values = flat.astype(np.uint64) & np.uint64((1 << field.width) - 1)  # two's complement bits
    limbs = np.zeros((rows, field.word_bits // 64 + 2), dtype=np.uint64)
    for e in range(field.elements):  # over element positions; every row at once
        limb, shift = divmod(field.width * e, 64)
        limbs[:, limb] |= values[:, e] << np.uint64(shift)
        if shift + field.width > 64:
            limbs[:, limb + 1] |= values[:, e] >> np.uint64(64 - shift)
    return limbs


def _pack_chunk(flat: np.ndarray, field: Field) -> bytes:
    rows = len(flat)
    limbs = _limbs(flat, field)
    nibbles = (limbs[:, :, None] >> (np.arange(16, dtype=np.uint64) * np.uint64(4))) & np.uint64(15)
    nibbles = nibbles.reshape(rows, -1)[:, : field.digits]
    text = np.empty((rows, field.digits + 1), dtype=np.uint8)
    text[:, : field.digits] = _HEX_DIGITS[nibbles[:, ::-1]]
    text[:, field.digits] = ord("\n")
    return text.tobytes()


def pack_bin(values: np.ndarray, field: Field) -> bytes:
    """The same words as raw bytes for Verilog ``$fread``: ceil(word_bits/8) bytes a row, most significant
    first (a simulator-side fast path; the hex files remain the interchange format)."""
    values = np.asarray(values, dtype=np.int64)
    flat = values.reshape(len(values), field.elements)
    nbytes = -(-field.word_bits // 8)
    chunks = []
    for i in range(0, len(flat), _CHUNK_ROWS):
        part = flat[i : i + _CHUNK_ROWS]
        little = _limbs(part, field).astype("<u8").view(np.uint8).reshape(len(part), -1)
        chunks.append(np.ascontiguousarray(little[:, :nbytes][:, ::-1]).tobytes())
    return b"".join(chunks)


def unpack_hex(data: bytes, field: Field) -> np.ndarray:
    """Decode strict hex lines as written by ``pack_hex`` into (rows, *field.shape) int64."""
    line = field.digits + 1
    if len(data) % line:
        raise ValueError(f"{field.name}: file length is not a multiple of {line}-byte lines")
    text = np.frombuffer(data, dtype=np.uint8).reshape(-1, line)
    if np.any(text[:, -1] != ord("\n")):
        raise ValueError(f"{field.name}: every line must hold exactly {field.digits} hex digits")
    nibbles = _NIBBLE_OF[text[:, :-1]]
    if np.any(nibbles < 0):
        raise ValueError(f"{field.name}: non-hex character in the file")
    return _from_nibbles(nibbles, field)


def read_memh(text: str, field: Field) -> tuple[np.ndarray, np.ndarray]:
    """Parse a simulator's ``$writememh`` output (comments, ``@`` addresses, x/z digits tolerated).

    Returns (values (rows, *shape), known (rows,) bool); a row with an x or z digit is not known and its
    value is 0.
    """
    stripped = (ln.split("//")[0].strip() for ln in text.splitlines())
    words = [w for w in stripped if w and not w.startswith("@")]
    too_long = np.array([len(w) > field.digits for w in words], dtype=bool)
    joined = "".join(w.zfill(field.digits)[-field.digits :] for w in words).encode()
    codes = _NIBBLE_OF[np.frombuffer(joined, dtype=np.uint8)].reshape(len(words), field.digits)
    known = ~too_long & np.all(codes >= 0, axis=1)
    return _from_nibbles(np.where(known[:, None], codes, 0), field), known


def _from_nibbles(nibbles: np.ndarray, field: Field) -> np.ndarray:
    rows = len(nibbles)
    little = nibbles[:, ::-1].astype(np.uint8)
    bits = ((little[:, :, None] >> np.arange(4, dtype=np.uint8)) & 1).reshape(rows, field.digits * 4)
    elems = bits[:, : field.word_bits].reshape(rows, field.elements, field.width).astype(np.int64)
    values = elems @ (np.int64(1) << np.arange(field.width, dtype=np.int64))
    if field.signed:
        values = np.where(values >= (1 << (field.width - 1)), values - (1 << field.width), values)
    return values.reshape((rows, *field.shape))
