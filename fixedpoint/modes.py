"""Rounding and overflow modes, by their Xilinx ap_fixed names."""

from __future__ import annotations

from enum import Enum


class _NamedMode(str, Enum):
    @classmethod
    def parse(cls, value):
        """Accept a member or its name (case-insensitive); an unknown name lists the valid ones."""
        if isinstance(value, str):  # members are strs equal to their names, so they are found too
            members = cls._member_map_
            member = members.get(value) or members.get(value.strip().upper())
            if member is not None:
                return member
        valid = ", ".join(cls.__members__)
        field = "rounding" if cls.__name__ == "Rounding" else "overflow"
        raise ValueError(f"{field}: unknown mode {value!r}; valid: {valid}")

    def __str__(self) -> str:
        return self.value


class Rounding(_NamedMode):
    """How a cast to fewer fraction bits rounds. Ties are exact halves of the new LSB."""

    TRN = "TRN"  # floor (toward -inf)
    TRN_ZERO = "TRN_ZERO"  # toward zero
    TRN_INF = "TRN_INF"  # ceil (toward +inf)
    TRN_AWAY = "TRN_AWAY"  # away from zero
    RND = "RND"  # nearest, ties toward +inf
    RND_ZERO = "RND_ZERO"  # nearest, ties toward zero
    RND_MIN_INF = "RND_MIN_INF"  # nearest, ties toward -inf
    RND_INF = "RND_INF"  # nearest, ties away from zero
    RND_CONV = "RND_CONV"  # nearest, ties to even
    RND_CONV_ODD = "RND_CONV_ODD"  # nearest, ties to odd


class Overflow(_NamedMode):
    """What a cast does with a value outside the destination format."""

    WRAP = "WRAP"  # two's-complement wrap-around
    SAT = "SAT"  # clamp to min/max
    SAT_ZERO = "SAT_ZERO"  # overflow gives 0
    SAT_SYM = "SAT_SYM"  # clamp to +-max; the most negative value maps to -max too
    ERROR = "ERROR"  # raise OverflowError naming the count and the first index


# Integer codes shared by DatapathConfig and the RTL parameters (docs/datapath.md, "Mode codes").
ROUNDING_CODE = {m: i for i, m in enumerate(Rounding)}
OVERFLOW_CODE = {Overflow.WRAP: 0, Overflow.SAT: 1, Overflow.SAT_ZERO: 2, Overflow.SAT_SYM: 3}
