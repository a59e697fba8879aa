"""Hyper-parameter checks for layer constructors: a bad setting fails when the model is
built, with a message naming the layer and the argument, not as NaN at the first step."""
from __future__ import annotations

import math
import numbers


def number(owner, name, value, *, low=None, low_open=False, high=None, allow_none=False):
    """`value` as a real number within [low, high] (`low_open`: strictly above low)."""
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}")
    if math.isnan(value):
        raise ValueError(f"{owner}: {name} must not be NaN")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{owner}: {name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{owner}: {name} must be <= {high}, got {value}")
    return value


def integer(owner, name, value, *, low=None, allow_none=False):
    """`value` as an int (not a bool) of at least `low`."""
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value}")
    return int(value)
