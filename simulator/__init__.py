"""Bit-accurate golden model of the Winograd-adder datapath (docs/datapath.md), references, layer conv."""

from simulator.config import DatapathConfig, StageWidths
from simulator.transforms import PRESETS, Transform, sign_flip_family

__all__ = ["DatapathConfig", "PRESETS", "StageWidths", "Transform", "sign_flip_family"]
