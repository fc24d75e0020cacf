"""The study's small network: data loading, numpy inference (float and fixed-point) and, with torch, training.

Torch is imported only by ``winoadder.ml.nets.torch_net`` (the ``train`` extra); everything else is numpy.
"""
