"""Shared fixtures: the device under test, PyTorch as an optional oracle, and helpers.

``MINIGRAD_TEST_DEVICE=cuda pytest`` runs the whole suite on the GPU. Where real CuPy is
not importable (or MINIGRAD_STRICT_CUPY=1) it runs on the strict CuPy stand-in in
tests/strict_cupy instead, which is put first on sys.path here, before minigrad is
imported. Tests that compare with PyTorch take the `torch` fixture, which skips where
torch is not installed.
"""
import importlib.util
import os
import sys

import numpy as np
import pytest

_REQUESTED = os.environ.get("MINIGRAD_TEST_DEVICE", "cpu")
STRICT_CUPY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "strict_cupy")
STRICT_CUPY = _REQUESTED.startswith("cuda") and (
    os.environ.get("MINIGRAD_STRICT_CUPY") == "1" or importlib.util.find_spec("cupy") is None
)
if STRICT_CUPY and STRICT_CUPY_PATH not in sys.path:
    sys.path.insert(0, STRICT_CUPY_PATH)

import minigrad as mg  # noqa: E402  (after the stand-in is on the path)

try:  # every property test draws the same examples on every run: a red CI is a real bug
    from hypothesis import settings

    settings.register_profile("minigrad", derandomize=True, database=None, deadline=None)
    settings.load_profile("minigrad")
except ImportError:  # hypothesis is a dev extra; its tests import it and skip without it
    pass

@pytest.fixture(scope="session")
def device():
    """The device every test runs on: 'cpu', or 'cuda:0' when MINIGRAD_TEST_DEVICE=cuda."""
    if _REQUESTED.startswith("cuda"):
        if not mg.cuda.is_available():
            pytest.skip("MINIGRAD_TEST_DEVICE=cuda but no GPU/cupy is available")
        return "cuda:0"
    return "cpu"


@pytest.fixture
def syncs():
    """The stand-in's host-sync counter (``cupy._strict``); skips off the stand-in."""
    if not STRICT_CUPY:
        pytest.skip("counting host syncs needs the strict CuPy stand-in (MINIGRAD_TEST_DEVICE=cuda)")
    import cupy

    return cupy._strict


@pytest.fixture(scope="session")
def torch():
    """PyTorch, as an oracle; the test is skipped where it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _seed():
    mg.manual_seed(0)
    np.random.seed(0)
    yield


def to_np(x):
    """Host NumPy values of a minigrad tensor, torch tensor, or array."""
    if isinstance(x, mg.Tensor):
        return x.detach().numpy()
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)
