"""nn.init: gains and fans as PyTorch, and the statistics of every initializer."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import init


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_calculate_gain_rejects_unknown_nonlinearity_and_bad_slope():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape", [(30, 20), (8, 4, 3, 3)])
def test_fans_match_torch(torch, shape):
    ours = init._calculate_fan_in_and_fan_out(mg.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fans_of_a_vector_raise():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mg.empty(5))


def _uniform_check(t, bound):
    a = t.detach().numpy()
    assert np.abs(a).max() <= bound * (1 + 1e-6)
    assert abs(a.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(a.mean()) < 0.02 * bound


def _normal_check(t, std, mean=0.0):
    a = t.detach().numpy()
    assert abs(a.std() - std) < 0.02 * std
    assert abs(a.mean() - mean) < 0.02 * std + 1e-12


SHAPE = (500, 400)  # fan_in 400, fan_out 500: 200,000 samples


def test_uniform_and_normal_fill_with_requested_statistics(device):
    t = mg.empty(*SHAPE, device=device)
    init.uniform_(t, -2.0, 2.0)
    _uniform_check(t, 2.0)
    init.normal_(t, 1.5, 0.3)
    _normal_check(t, 0.3, 1.5)


def test_xavier_uniform_bound(device):
    t = init.xavier_uniform_(mg.empty(*SHAPE, device=device), gain=2.0)
    _uniform_check(t, 2.0 * math.sqrt(6 / 900))


def test_xavier_normal_std(device):
    t = init.xavier_normal_(mg.empty(*SHAPE, device=device))
    _normal_check(t, math.sqrt(2 / 900))


@pytest.mark.parametrize("mode,fan", [("fan_in", 400), ("fan_out", 500)])
def test_kaiming_uniform_bound(device, mode, fan):
    t = init.kaiming_uniform_(mg.empty(*SHAPE, device=device), mode=mode, nonlinearity="relu")
    _uniform_check(t, math.sqrt(2) * math.sqrt(3 / fan))


def test_kaiming_normal_std_with_leaky_slope(device):
    t = init.kaiming_normal_(mg.empty(*SHAPE, device=device), a=0.1)
    _normal_check(t, math.sqrt(2 / (1 + 0.01)) / math.sqrt(400))


def test_kaiming_rejects_unknown_mode():
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_uniform_(mg.empty(3, 3), mode="fan_avg")


def test_constant_ones_zeros_and_eye(device):
    t = mg.empty(3, 4, device=device)
    assert (init.constant_(t, 2.5).detach().numpy() == 2.5).all()
    assert (init.ones_(t).detach().numpy() == 1).all()
    assert (init.zeros_(t).detach().numpy() == 0).all()
    np.testing.assert_array_equal(init.eye_(t).detach().numpy(), np.eye(3, 4))


def test_eye_needs_a_matrix():
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(mg.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(device, shape):
    t = init.orthogonal_(mg.empty(*shape, dtype=mg.float64, device=device), gain=1.5)
    q = t.detach().numpy().reshape(shape[0], -1) / 1.5
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_trunc_normal_stays_within_bounds(device):
    t = init.trunc_normal_(mg.empty(10_000, device=device), std=1.0, a=-0.5, b=0.5)
    a = t.detach().numpy()
    assert a.min() >= -0.5 and a.max() <= 0.5 and a.std() > 0.2


def test_initializers_work_on_parameters_that_require_grad():
    p = mg.nn.Parameter(mg.empty(3, 3))
    init.kaiming_uniform_(p)
    assert p.requires_grad and p.is_leaf


def test_explicit_generator_makes_init_reproducible(device):
    a = init.xavier_uniform_(mg.empty(4, 4, device=device), generator=mg.Generator(device).manual_seed(5)).detach().numpy()
    b = init.xavier_uniform_(mg.empty(4, 4, device=device), generator=mg.Generator(device).manual_seed(5)).detach().numpy()
    assert np.array_equal(a, b)


def test_kaiming_on_an_empty_tensor_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(mg.empty(0, 3))
