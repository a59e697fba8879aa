"""nn.utils: gradient clipping and parameter <-> vector conversion against torch."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import utils
from nn_parity import assert_close

rng = np.random.default_rng(0)
SHAPES = [(3, 4), (4,), (2, 2, 2)]


def _params_with_grads(torch, device, scale=1.0):
    arrays = [rng.standard_normal(s) for s in SHAPES]
    grads = [rng.standard_normal(s) * scale for s in SHAPES]
    mp, tp = [], []
    for a, g in zip(arrays, grads):
        p = nn.Parameter(mg.tensor(a, device=device))
        p.grad = mg.tensor(g, device=device)
        q = torch.nn.Parameter(torch.tensor(a))
        q.grad = torch.tensor(g)
        mp.append(p)
        tp.append(q)
    return mp, tp


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, device, norm_type, max_norm):
    mp, tp = _params_with_grads(torch, device)
    total_m = utils.clip_grad_norm_(mp, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    assert isinstance(total_m, mg.Tensor) and total_m.shape == ()
    assert_close(total_m, total_t)
    for p, q in zip(mp, tp):
        assert_close(p.grad, q.grad)


def test_clip_grad_norm_skips_parameters_without_grad(device):
    a = nn.Parameter(mg.ones(3, device=device))
    b = nn.Parameter(mg.ones(3, device=device))
    a.grad = mg.full((3,), 2.0, device=device)
    total = utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(math.sqrt(12))
    assert b.grad is None


def test_clip_grad_norm_of_no_gradients_is_zero():
    assert utils.clip_grad_norm_([nn.Parameter(mg.ones(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite_raises_when_asked(device):
    p = nn.Parameter(mg.ones(2, device=device))
    p.grad = mg.tensor([1.0, float("nan")], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_accepts_a_single_tensor(device):
    p = nn.Parameter(mg.ones(4, device=device))
    p.grad = mg.full((4,), 3.0, device=device)
    utils.clip_grad_norm_(p, 1.0)
    assert np.linalg.norm(p.grad.detach().numpy()) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_value_matches_torch(torch, device):
    mp, tp = _params_with_grads(torch, device, scale=3.0)
    utils.clip_grad_value_(mp, 1.5)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    for p, q in zip(mp, tp):
        assert_close(p.grad, q.grad)


def test_parameters_to_vector_and_back_round_trip(torch, device):
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).to(device)
    vec = utils.parameters_to_vector(m.parameters())
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    assert_close(vec, torch.nn.utils.parameters_to_vector(t.parameters()))
    utils.vector_to_parameters(vec * 2, m.parameters())
    assert_close(utils.parameters_to_vector(m.parameters()), vec.detach().numpy() * 2)


def test_parameters_to_vector_is_differentiable(device):
    p = nn.Parameter(mg.ones(2, 2, device=device))
    (utils.parameters_to_vector([p]) * 3).sum().backward()
    assert (p.grad.detach().numpy() == 3).all()


def test_vector_to_parameters_checks_type_and_length():
    ps = [nn.Parameter(mg.ones(2))]
    with pytest.raises(TypeError, match="Tensor"):
        utils.vector_to_parameters(np.ones(2), ps)
    with pytest.raises(ValueError, match="3 elements"):
        utils.vector_to_parameters(mg.ones(3), ps)
