"""``cupy.linalg``: NumPy's routines on the device copy (the names CuPy has)."""
import numpy as _numpy

from .. import _names
from .._routines import _routine

globals().update({n: _routine(n, getattr(_numpy.linalg, n)) for n in _names.LINALG if hasattr(_numpy.linalg, n)})
LinAlgError = _numpy.linalg.LinAlgError
