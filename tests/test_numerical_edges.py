"""Numerical edges where float32 arithmetic would silently go wrong, compared with PyTorch."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from nn_parity import assert_close


@pytest.mark.parametrize("values", [[0.0, 1e30], [-3e37, 3e37, 1e37], [1e20, -1e20, 0.0, 5e19]])
def test_float32_std_of_huge_values_matches_torch_with_its_gradient(torch, device, values):
    x = mg.tensor(values, device=device, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    y, ty = x.std(), t.std()
    y.backward()
    ty.backward()
    assert np.isfinite(y.item())
    assert_close(y, ty, rtol=1e-6)
    assert_close(x.grad, t.grad, rtol=1e-5, atol=1e-7)
    assert np.abs(x.grad.numpy()).max() > 0  # not silently 0


def test_float32_var_overflows_only_where_the_true_value_does(torch, device):
    x = mg.tensor([0.0, 1e30], device=device, requires_grad=True)
    t = torch.tensor([0.0, 1e30], requires_grad=True)
    x.var().backward()
    t.var().backward()
    assert x.var().item() == t.var().item() == float("inf")  # 5e59 is past float32's range
    assert_close(x.grad, t.grad, rtol=1e-6)
    # 1e19**2 overflows float32 on its own; the variance (5e37) does not
    assert_close(mg.tensor([0.0, 1e19], device=device).var(), torch.tensor([0.0, 1e19]).var(), rtol=1e-6)


@pytest.mark.parametrize("dim", [0, 1, (0, 1), None])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_and_std_of_ordinary_values_are_numpys_bits(device, dim, correction):
    a = np.random.default_rng(3).standard_normal((5, 7)).astype(np.float32) * 1e3
    x = mg.tensor(a, device=device)
    axis = dim if dim is not None else None
    np.testing.assert_array_equal(x.var(dim=dim, correction=correction).numpy(), np.var(a, axis=axis, ddof=correction))
    np.testing.assert_array_equal(x.std(dim=dim, correction=correction).numpy(), np.std(a, axis=axis, ddof=correction))


def test_var_gradcheck_in_float64():
    x = mg.tensor(np.random.default_rng(1).standard_normal((3, 4)), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: t.std(dim=1), (x,))
    assert mg.gradcheck(lambda t: t.var(dim=0, correction=0), (x,))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "logsumexp"])
@pytest.mark.parametrize("empty", [[], ()])
def test_reducing_over_an_empty_dim_list_reduces_every_dim_as_torch(torch, device, name, empty):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x, t = mg.tensor(a, device=device), torch.tensor(a)
    assert_close(getattr(x, name)(dim=empty), getattr(t, name)(dim=list(empty) if name != "logsumexp" else (0, 1)))
    kept = getattr(x, name)(dim=empty, keepdim=True)
    assert kept.shape == getattr(t, name)(dim=list(empty), keepdim=True).shape == (1, 1)


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_and_all_over_an_empty_dim_list_reduce_nothing_as_torch(torch, name):
    a = np.array([[True, False, True]])
    assert_close(getattr(mg.tensor(a), name)(dim=[]), getattr(torch.tensor(a), name)(dim=[]))


# Inputs where ReLU's and sigmoid's fast paths could go wrong: signed zeros, NaN with either
# sign bit (x86 makes -NaN), infinities, and sigmoid inputs whose exp(-x) overflows.
_EDGES = [-1e4, -100.0, -89.0, -0.0, 0.0, 1e-30, 1.0, 90.0, float("inf"), float("-inf")]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_relu_gradient_is_a_select_like_torchs_at_every_edge(torch, device, dtype):
    values = np.array(_EDGES + [np.nan], dtype=dtype)
    values = np.append(values, -values[-1:])  # the same NaN with its sign bit set
    assert np.signbit(values[-1]) and not np.signbit(values[-2])
    upstream = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, float("inf"), float("nan"), 11, 12], dtype=dtype)
    x = mg.tensor(values, device=device, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    x.relu().backward(mg.tensor(upstream, device=device))
    t.relu().backward(torch.tensor(upstream))
    # blocked elements get exactly 0 (not inf * 0 = NaN), NaN outputs pass their gradient
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_at_overflowing_inputs_matches_torch_and_stays_silent(torch, device, dtype):
    values = np.array(_EDGES + [np.nan], dtype=dtype)
    x = mg.tensor(values, device=device, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(-x) overflowing to inf is intended
        y = x.sigmoid()
        y.backward(mg.ones_like(y))
    ty = t.sigmoid()
    ty.backward(torch.ones_like(ty))
    assert_close(y, ty, rtol=1e-6, atol=1e-37)
    assert_close(x.grad, t.grad, rtol=1e-6, atol=1e-37)
