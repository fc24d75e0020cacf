"""Bit-exact text I/O: fixed-width hexadecimal / binary two's-complement strings, vectorized.

A raw value of a ``width``-bit format is written as its low ``width`` bits: ceil(width/4) hex digits or
``width`` binary digits, most significant first, lowercase (uppercase hex is accepted on input).
"""

from __future__ import annotations

import numpy as np

from .core import _as_raw
from .fmt import Fmt

_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _digit_values(bits: int) -> np.ndarray:
    """Code point (0..127) -> digit value, or -1 when the character is not a digit of base 2**bits."""
    table = np.full(128, -1, dtype=np.int64)
    for value in range(1 << bits):
        for char in {f"{value:x}", f"{value:X}"}:
            table[ord(char)] = value
    return table


_DIGIT_VALUES = {4: _digit_values(4), 1: _digit_values(1)}


def _to_text(raw, fmt: Fmt | str, bits: int) -> list[str]:
    fmt = Fmt.parse(fmt)
    x = _as_raw(raw, fmt).ravel()
    n_digits = -(-fmt.width // bits)
    low_bits = np.bitwise_and(x, (1 << fmt.width) - 1)
    shifts = np.arange(n_digits - 1, -1, -1, dtype=np.int64) * bits
    digits = (low_bits[:, None] >> shifts) & ((1 << bits) - 1)
    chars = np.ascontiguousarray(_DIGITS[digits])
    return chars.view(f"S{n_digits}").ravel().astype(f"U{n_digits}").tolist()


def _from_text(strings, fmt: Fmt | str, bits: int, name: str) -> np.ndarray:
    fmt = Fmt.parse(fmt)
    if isinstance(strings, (str, bytes)):
        raise ValueError(f"{name}: expected a sequence of strings, got one {type(strings).__name__} "
                         f"{strings!r}; wrap a single value in a list")
    if isinstance(strings, np.ndarray) and strings.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of strings, got an array of shape {strings.shape}")
    try:
        items = list(strings)
    except TypeError:
        raise ValueError(f"{name}: expected a sequence of strings, got {type(strings).__name__}") from None
    items = [str(s) if isinstance(s, np.str_) else s for s in items]
    n_digits = -(-fmt.width // bits)
    if not items:
        return np.empty(0, dtype=np.int64)
    if not set(map(type, items)) <= {str}:
        i = next(k for k, s in enumerate(items) if not isinstance(s, str))
        raise ValueError(f"{name}: item {i} is a {type(items[i]).__name__}, expected a string")
    text = np.array(items)
    wrong_length = np.char.str_len(text) != n_digits
    if wrong_length.any():
        i = int(np.argmax(wrong_length))
        raise ValueError(
            f"{name}: string {i} {items[i]!r} has {len(items[i])} characters; {fmt} needs exactly {n_digits}"
        )
    codes = np.frombuffer(text.astype(f"U{n_digits}").tobytes(), dtype=np.uint32)
    codes = codes.reshape(len(items), n_digits).astype(np.int64)
    values = np.where(codes < 128, _DIGIT_VALUES[bits][np.minimum(codes, 127)], -1)
    top_limit = 1 << (fmt.width - bits * (n_digits - 1))  # the first digit holds the remaining bits
    bad = values < 0
    bad[:, 0] |= values[:, 0] >= top_limit
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        why = "exceeds the format's width" if values[i, j] >= 0 else "is not a valid digit"
        raise ValueError(f"{name}: string {i} {items[i]!r}: character {items[i][j]!r} at position {j} {why}")
    shifts = np.arange(n_digits - 1, -1, -1, dtype=np.int64) * bits
    raw = np.bitwise_or.reduce(values << shifts, axis=1)
    if fmt.signed:
        k = 64 - fmt.width
        raw = (raw << k) >> k
    return raw


def to_hex(raw, fmt: Fmt | str) -> list[str]:
    """Raw values (flattened, C order) as ceil(width/4)-digit two's-complement hex strings."""
    return _to_text(raw, fmt, 4)


def from_hex(strings, fmt: Fmt | str) -> np.ndarray:
    """Parse ceil(width/4)-digit hex strings (two's complement if signed) into a 1-D raw array."""
    return _from_text(strings, fmt, 4, "from_hex")


def to_bin(raw, fmt: Fmt | str) -> list[str]:
    """Raw values (flattened, C order) as width-digit two's-complement binary strings."""
    return _to_text(raw, fmt, 1)


def from_bin(strings, fmt: Fmt | str) -> np.ndarray:
    """Parse width-digit binary strings (two's complement if signed) into a 1-D raw array."""
    return _from_text(strings, fmt, 1, "from_bin")
