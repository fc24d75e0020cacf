"""winoadder: bit-accurate Winograd AdderNet datapath simulator and verification harness."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("winoadder")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
