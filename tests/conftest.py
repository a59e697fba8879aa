"""Shared fixtures: the device under test, PyTorch as an optional oracle, and helpers.

``MINIGRAD_TEST_DEVICE=cuda pytest`` runs the whole suite on the GPU; without a GPU the
cuda parametrisations skip cleanly. Tests that compare with PyTorch take the `torch`
fixture, which skips where torch is not installed.
"""
import os

import numpy as np
import pytest

import minigrad as mg

try:  # every property test draws the same examples on every run: a red CI is a real bug
    from hypothesis import settings

    settings.register_profile("minigrad", derandomize=True, database=None, deadline=None)
    settings.load_profile("minigrad")
except ImportError:  # hypothesis is a dev extra; its tests import it and skip without it
    pass

_REQUESTED = os.environ.get("MINIGRAD_TEST_DEVICE", "cpu")


@pytest.fixture(scope="session")
def device():
    """The device every test runs on: 'cpu', or 'cuda' when MINIGRAD_TEST_DEVICE=cuda."""
    if _REQUESTED.startswith("cuda"):
        if not mg.cuda.is_available():
            pytest.skip("MINIGRAD_TEST_DEVICE=cuda but no GPU/cupy is available")
        return "cuda:0"
    return "cpu"


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
