"""Layers: Linear, Identity, Flatten, Dropout, BatchNorm1d, LayerNorm against torch.nn."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from nn_parity import assert_close, check_fn, check_module, copy_to_torch

rng = np.random.default_rng(0)


def f64(module, device):
    return module.to(device).double()


# ---------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_matches_torch(torch, device, bias, shape):
    m = f64(nn.Linear(4, 3, bias=bias), device)
    t = copy_to_torch(m, torch.nn.Linear(4, 3, bias=bias).double())
    check_module(torch, m, t, rng.standard_normal(shape), device)


def test_linear_float32_close_to_torch(torch, device):
    m = nn.Linear(6, 3).to(device)
    t = copy_to_torch(m, torch.nn.Linear(6, 3))
    check_module(torch, m, t, rng.standard_normal((8, 6)).astype(np.float32), device, rtol=1e-5, atol=1e-6)


def test_linear_weight_shape_and_repr_match_torch(torch):
    m = nn.Linear(7, 2)
    assert m.weight.shape == (2, 7) and m.bias.shape == (2,)
    assert repr(m) == repr(torch.nn.Linear(7, 2))
    assert repr(nn.Linear(7, 2, bias=False)) == repr(torch.nn.Linear(7, 2, bias=False))


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has std a / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound


def test_linear_init_follows_the_global_seed():
    mg.manual_seed(3)
    a = nn.Linear(5, 4).weight.detach().numpy().copy()
    mg.manual_seed(3)
    assert np.array_equal(a, nn.Linear(5, 4).weight.detach().numpy())


def test_linear_gradcheck(device):
    m = f64(nn.Linear(3, 2), device)
    x = mg.tensor(rng.standard_normal((4, 3)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, m.weight, m.bias])


def test_linear_wrong_input_size_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 5\)"):
        nn.Linear(4, 3)(mg.randn(2, 5))


def test_linear_rejects_negative_features():
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 3)


# ---------------------------------------------------------------------------- Identity / Flatten
def test_identity_returns_its_input_and_ignores_arguments():
    x = mg.randn(3)
    assert nn.Identity(54, unused="x")(x) is x


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3)])
def test_flatten_matches_torch(torch, device, start, end):
    check_fn(torch, nn.Flatten(start, end), torch.nn.Flatten(start, end), [rng.standard_normal((2, 3, 4, 5))], device)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


# ---------------------------------------------------------------------------- Dropout
def test_dropout_keeps_about_1_minus_p_and_scales_survivors(device):
    x = mg.ones(200_000, device=device)
    out = nn.Dropout(0.3)(x).detach().numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.005  # ~7 standard errors
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)


def test_dropout_preserves_the_mean(device):
    x = mg.ones(200_000, device=device)
    assert abs(nn.Dropout(0.5)(x).detach().numpy().mean() - 1.0) < 0.01


def test_dropout_gradient_uses_the_same_mask(device):
    x = mg.ones(1000, dtype=mg.float64, device=device, requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), out.detach().numpy())


def test_dropout_is_identity_in_eval_mode(device):
    d = nn.Dropout(0.9).eval()
    x = mg.randn(100, device=device)
    assert d(x) is x


def test_dropout_with_p_one_zeros_everything(device):
    x = mg.randn(50, device=device, requires_grad=True)
    out = F.dropout(x, 1.0)
    out.sum().backward()
    assert not out.detach().numpy().any() and not x.grad.detach().numpy().any()


def test_dropout_with_a_seeded_generator_is_reproducible(device):
    x = mg.ones(100, device=device)
    a = F.dropout(x, 0.5, generator=mg.Generator(device).manual_seed(7)).detach().numpy()
    b = F.dropout(x, 0.5, generator=mg.Generator(device).manual_seed(7)).detach().numpy()
    assert np.array_equal(a, b)


@pytest.mark.parametrize("p", [-0.1, 1.1, "0.5"])
def test_dropout_probability_outside_0_1_raises(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(mg.ones(3), p)


def test_dropout_repr_matches_torch(torch):
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))


# ---------------------------------------------------------------------------- BatchNorm1d
def _bn_pair(torch, device, **kwargs):
    m = f64(nn.BatchNorm1d(4, **kwargs), device)
    with mg.no_grad():
        for p in m.parameters():
            p.copy_(rng.standard_normal(4))
    return m, copy_to_torch(m, torch.nn.BatchNorm1d(4, **kwargs).double())


def _assert_same_buffers(m, t):
    tb = dict(t.named_buffers())
    for name, b in m.named_buffers():
        assert_close(b, tb[name], what=name)
        assert b.dtype == to_np_dtype(tb[name])


def to_np_dtype(t):
    return t.detach().numpy().dtype


@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.3}, {"affine": False}, {"bias": False},
                                    {"track_running_stats": False}, {"eps": 1e-2}])
def test_batchnorm_matches_torch_over_several_training_steps_then_eval(torch, device, shape, kwargs):
    m, t = _bn_pair(torch, device, **kwargs)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        for p in list(m.parameters()) + list(t.parameters()):
            p.grad = None
        check_module(torch, m, t, x, device)
        _assert_same_buffers(m, t)
    m.eval()
    t.eval()
    check_module(torch, m, t, rng.standard_normal(shape), device)
    _assert_same_buffers(m, t)


def test_batchnorm_state_dict_keys_and_types_match_torch(torch):
    m = nn.BatchNorm1d(3)
    t = torch.nn.BatchNorm1d(3)
    assert list(m.state_dict()) == list(t.state_dict())
    nbt = m.state_dict()["num_batches_tracked"]
    assert nbt.dtype == mg.int64 and nbt.shape == ()
    assert repr(m) == repr(t)
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == repr(torch.nn.BatchNorm1d(3, momentum=None, affine=False))


def test_batchnorm_counts_batches(device):
    m = nn.BatchNorm1d(2).to(device)
    for _ in range(3):
        m(mg.randn(4, 2, device=device))
    assert m.num_batches_tracked.item() == 3
    m.eval()
    m(mg.randn(4, 2, device=device))
    assert m.num_batches_tracked.item() == 3


def test_batchnorm_float32_close_to_torch(torch, device):
    m = nn.BatchNorm1d(4).to(device)
    t = copy_to_torch(m, torch.nn.BatchNorm1d(4))
    check_module(torch, m, t, rng.standard_normal((16, 4)).astype(np.float32), device, rtol=1e-4, atol=1e-5)


def test_batchnorm_gradcheck_in_training(device):
    m = f64(nn.BatchNorm1d(3), device)
    x = mg.tensor(rng.standard_normal((5, 3, 2)), device=device, requires_grad=True)
    w, b = m.weight, m.bias
    assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])


def test_batchnorm_batch_of_one_in_training_raises(device):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3).to(device)(mg.randn(1, 3, device=device))


def test_batchnorm_batch_of_one_in_eval_is_fine(device):
    m = nn.BatchNorm1d(3).to(device).eval()
    assert m(mg.randn(1, 3, device=device)).shape == (1, 3)


def test_batchnorm_rejects_4d_input_and_wrong_channels():
    with pytest.raises(ValueError, match="2D or 3D"):
        nn.BatchNorm1d(3)(mg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm1d(3)(mg.randn(2, 4))


def test_batchnorm_bad_momentum_raises():
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)


def test_fused_batchnorm_equals_composed_ops(device):
    x = mg.tensor(rng.standard_normal((6, 3)), device=device, requires_grad=True)
    w = mg.tensor(rng.standard_normal(3), device=device, requires_grad=True)
    fused = F.batch_norm(x, None, None, w, None, training=True)
    g = mg.tensor(rng.standard_normal((6, 3)), device=device)
    fused.backward(g)
    gx, gw = x.grad.detach().numpy().copy(), w.grad.detach().numpy().copy()
    x.grad = w.grad = None
    mean = x.mean(0, keepdim=True)
    composed = (x - mean) / ((x - mean) ** 2).mean(0, keepdim=True).__add__(1e-5).sqrt() * w
    composed.backward(g)
    assert_close(fused, composed)
    assert_close(gx, x.grad)
    assert_close(gw, w.grad)


# ---------------------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize("shape,norm", [((4, 6), 6), ((2, 3, 4), (3, 4)), ((2, 3, 4), 4)])
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}])
def test_layernorm_matches_torch(torch, device, shape, norm, kwargs):
    m = f64(nn.LayerNorm(norm, **kwargs), device)
    with mg.no_grad():
        for p in m.parameters():
            p.copy_(rng.standard_normal(p.shape))
    t = copy_to_torch(m, torch.nn.LayerNorm(norm, **kwargs).double())
    check_module(torch, m, t, rng.standard_normal(shape) * 3 + 1, device)
    assert repr(m) == repr(t)


def test_layernorm_gradcheck(device):
    m = f64(nn.LayerNorm(4), device)
    x = mg.tensor(rng.standard_normal((3, 4)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), [x, m.weight, m.bias])


def test_layernorm_shape_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(5)(mg.randn(2, 4))
