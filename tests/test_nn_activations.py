"""Activations: float64 parity with torch (forward and gradient), float32 sanity, erf."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.ops.erf import erf
from nn_parity import check_fn

# values that cover each branch: negatives, zero, tiny, and the saturated tails
X = np.concatenate([np.linspace(-12, 12, 97), [0.0, 1e-8, -1e-8, 25.0, -25.0, 40.0, -40.0]]).reshape(13, 8)

CASES = [
    ("ReLU", {}), ("Sigmoid", {}), ("Tanh", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {}), ("ELU", {"alpha": 0.5}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("Softplus", {}), ("Softplus", {"beta": 2.0, "threshold": 5.0}),
    ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 1}), ("Softmax", {"dim": 0}), ("LogSoftmax", {"dim": -1}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_activation_matches_torch_in_float64(torch, device, name, kwargs):
    check_fn(torch, getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), [X], device)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_activation_float32_close_to_torch(torch, device, name, kwargs):
    x32 = X.astype(np.float32) / 4
    check_fn(torch, getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), [x32], device,
             rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs", [("LeakyReLU", {}), ("ELU", {}), ("GELU", {}),
                                         ("GELU", {"approximate": "tanh"}), ("Softplus", {})])
def test_activation_gradcheck(device, name, kwargs):
    x = mg.tensor(np.random.default_rng(0).standard_normal(12) * 2 + 0.1, device=device, requires_grad=True)
    assert mg.gradcheck(getattr(nn, name)(**kwargs), [x])


def test_erf_is_accurate_to_round_off(torch):
    x = np.concatenate([np.linspace(-8, 8, 200001), [0.46875, -0.46875, 4.0, -4.0, 26.6, -30.0]])
    ref = torch.erf(torch.tensor(x)).detach().numpy()
    assert np.max(np.abs(erf(x) - ref)) <= 4.5e-16


def test_erf_keeps_nan_and_infinities():
    out = erf(np.array([np.nan, np.inf, -np.inf, 0.0]))
    assert np.isnan(out[0]) and out[1] == 1.0 and out[2] == -1.0 and out[3] == 0.0


def test_erf_keeps_float32_dtype():
    assert erf(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_softmax_without_dim_warns_and_uses_torch_legacy_dim(torch):
    x = np.random.default_rng(0).standard_normal((3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(mg.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), torch.softmax(torch.tensor(x), 1).detach().numpy(), rtol=1e-12)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


def test_activation_reprs_match_torch(torch):
    for name, kwargs in CASES:
        assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_erf_in_float32_is_accurate(torch):
    x = np.linspace(-6, 6, 100001).astype(np.float32)
    out = erf(x)
    assert out.dtype == np.float32
    assert np.max(np.abs(out - torch.erf(torch.tensor(x)).detach().numpy())) <= 3e-7
