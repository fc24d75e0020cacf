"""Fixed-point formats: (width, fraction bits, signedness), in the APyTypes / ap_fixed sense."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_WIDTH = 62

_SHORT = re.compile(r"^\s*([su])(\d+)\.(-?\d+)\s*$")
_APFIXED = re.compile(r"^\s*ap_(u?)fixed\s*<\s*(\d+)\s*,\s*(-?\d+)\s*>\s*$")


@dataclass(frozen=True, order=True)
class Fmt:
    """A two's-complement (or unsigned) fixed-point format.

    ``width`` bits in total, ``frac`` of them fractional (may be negative or exceed width), so a raw
    integer r stands for r * 2**-frac. Raw values are held in numpy int64, hence width <= 62.
    """

    width: int
    frac: int
    signed: bool = True

    def __post_init__(self):
        if isinstance(self.width, bool) or not isinstance(self.width, int):
            raise ValueError(f"width: must be an integer 1..{MAX_WIDTH}, got {self.width!r}")
        if isinstance(self.frac, bool) or not isinstance(self.frac, int):
            raise ValueError(f"frac: must be an integer, got {self.frac!r}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"width: must be 1..{MAX_WIDTH} (raw values are int64), got {self.width}")
        if self.signed and self.width < 2:
            raise ValueError("width: a signed format needs at least 2 bits, got 1")
        if not isinstance(self.signed, bool):
            raise ValueError(f"signed: must be true or false, got {self.signed!r}")
        # Formats key the lru_caches of every operation: hash once, not per call.
        object.__setattr__(self, "_hash", hash((self.width, self.frac, self.signed)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def int_bits(self) -> int:
        """Integer bits including the sign bit (ap_fixed's I)."""
        return self.width - self.frac

    @property
    def min_raw(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def min_value(self) -> float:
        return self.min_raw * self.lsb

    @property
    def max_value(self) -> float:
        return self.max_raw * self.lsb

    @classmethod
    def parse(cls, text: str | Fmt) -> Fmt:
        """Parse ``s8.4`` / ``u8.4`` (width.frac) or ``ap_fixed<8,4>`` / ``ap_ufixed<8,4>`` (width,int)."""
        if isinstance(text, Fmt):
            return text
        if not isinstance(text, str):
            raise ValueError(f"format: expected a string like 's8.4' or 'ap_fixed<8,4>', got {text!r}")
        m = _SHORT.match(text)
        if m:
            return cls(int(m.group(2)), int(m.group(3)), m.group(1) == "s")
        m = _APFIXED.match(text)
        if m:
            width, int_bits = int(m.group(2)), int(m.group(3))
            return cls(width, width - int_bits, m.group(1) != "u")
        raise ValueError(
            f"format: cannot parse {text!r}; use 's<width>.<frac>', 'u<width>.<frac>', "
            "'ap_fixed<W,I>' or 'ap_ufixed<W,I>'"
        )

    def __str__(self) -> str:
        return f"{'s' if self.signed else 'u'}{self.width}.{self.frac}"

    def ap_type(self) -> str:
        return f"ap_{'' if self.signed else 'u'}fixed<{self.width},{self.int_bits}>"

    @staticmethod
    def signed_width_for(lo: int, hi: int) -> int:
        """Fewest bits of a signed format whose raw range holds every integer in [lo, hi]."""
        w = 2
        while lo < -(1 << (w - 1)) or hi > (1 << (w - 1)) - 1:
            w += 1
        return w
