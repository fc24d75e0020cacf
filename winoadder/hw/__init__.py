"""Hardware: RTL parameters, simulator builds, verification, synthesis and the op-count cost model."""
