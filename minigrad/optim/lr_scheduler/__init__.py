"""Learning-rate schedulers, with PyTorch's names, arguments and exact numbers (one module
per family, all importable from here as ``mg.optim.lr_scheduler.X``).

A scheduler only rewrites ``group["lr"]`` (and ``momentum`` / ``betas[0]`` where PyTorch's
cyclic schedulers do) as plain Python floats, so stepping one never touches the device.
Most schedulers use PyTorch's *chainable* (recursive) form — each step multiplies the
current lr — so several schedulers can act on one optimizer, and the numbers match
PyTorch's to the last bit.
``mg.viz.plot_schedule`` draws a schedule without training.

Call ``optimizer.step()`` before ``scheduler.step()`` in each iteration, as in PyTorch.
"""
from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR, OneCycleLR
from .multiplicative import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR,
                             PolynomialLR, StepLR)
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]
