"""Embedding and F.embedding against torch.nn, float64."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from nn_parity import assert_close, copy_to_torch

rng = np.random.default_rng(0)
IDX = np.array([[0, 2, 4, 2], [5, 0, 1, 2]])


def _pair(torch, device, **kwargs):
    m = nn.Embedding(6, 3, **kwargs).to(device).double()
    t = copy_to_torch(m, torch.nn.Embedding(6, 3, **kwargs).double())
    return m, t


def _run(torch, m, t, idx, device):
    out_m = m(mg.tensor(idx, device=device))
    out_t = t(torch.tensor(idx))
    assert_close(out_m, out_t, what="forward")
    g = rng.standard_normal(out_m.shape)
    out_m.backward(mg.tensor(g, device=device))
    out_t.backward(torch.tensor(g))
    assert_close(m.weight.grad, t.weight.grad, what="grad of weight")


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}], ids=str)
@pytest.mark.parametrize("idx", [IDX, IDX[0], np.array(3)], ids=["2d", "1d", "scalar"])
def test_embedding_matches_torch(torch, device, kwargs, idx):
    m, t = _pair(torch, device, **kwargs)
    _run(torch, m, t, idx, device)


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_the_looked_up_rows_in_place_as_torch(torch, device, norm_type):
    m, t = _pair(torch, device, max_norm=1.0, norm_type=norm_type)
    before = m.weight.detach().numpy().copy()
    _run(torch, m, t, IDX[0], device)
    assert_close(m.weight, t.weight.detach(), what="weight after renorm")
    untouched = [3, 5]
    assert np.array_equal(m.weight.detach().numpy()[untouched], before[untouched])


def test_padding_row_starts_at_zero_and_gets_no_gradient(device):
    m = nn.Embedding(5, 4, padding_idx=1).to(device)
    assert np.all(m.weight.detach().numpy()[1] == 0)
    m(mg.tensor([1, 1, 2], device=device)).sum().backward()
    assert np.all(m.weight.grad.numpy()[1] == 0) and np.all(m.weight.grad.numpy()[2] == 1)


def test_default_init_is_standard_normal():
    w = nn.Embedding(2000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_repeated_indices_accumulate_their_gradients(device):
    w = mg.tensor(rng.standard_normal((4, 2)), device=device, requires_grad=True)
    F.embedding(mg.tensor([3, 3, 3, 0], device=device), w).sum().backward()
    assert np.array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0], [3, 3]])


def test_functional_embedding_gradcheck(device):
    w = mg.tensor(rng.standard_normal((6, 3)), device=device, requires_grad=True)
    idx = mg.tensor(IDX, device=device)
    assert mg.gradcheck(lambda w: F.embedding(idx, w), [w])


def test_from_pretrained_is_frozen_by_default(torch):
    w = mg.tensor(rng.standard_normal((4, 2)))
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and np.array_equal(m.weight.detach().numpy(), w.numpy())
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0, "max_norm": 1.0}, {"scale_grad_by_freq": True, "norm_type": 1.0}])
def test_repr_matches_torch(torch, kwargs):
    assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_out_of_range_index_names_the_range():
    with pytest.raises(IndexError, match=r"\[0, 4\)"):
        F.embedding(mg.tensor([0, 4]), mg.randn(4, 2))


def test_float_indices_are_rejected():
    with pytest.raises(TypeError, match="integer"):
        nn.Embedding(4, 2)(mg.tensor([0.0, 1.0]))


def test_padding_idx_outside_the_table_is_rejected():
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
