"""The engine's chain path: a gradient goes straight from a node to its input node when that
node has no other consumer; every other case (another dtype, a broadcast shape, a second
consumer, a leaf) must still be conformed, summed and checked as before."""
import numpy as np
import pytest
from conftest import to_np

import minigrad as mg


def leaf(values, device, dtype=mg.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), device=device, requires_grad=True)


def test_chain_link_that_changes_dtype_casts_the_gradient_back(device):
    x = leaf([0.1, -0.4, 0.9], device)
    a = x.exp()  # float64 node
    a.float().tanh().sum().backward()  # Cast's gradient comes back float32
    assert x.grad.dtype == mg.float64
    ax = np.exp(to_np(x))
    expected = ax * (1 - np.tanh(ax.astype(np.float32)).astype(np.float64) ** 2)
    np.testing.assert_allclose(to_np(x.grad), expected, rtol=1e-6)


def test_chain_link_that_broadcasts_sums_the_gradient_back(device):
    x = leaf([0.1, -0.4, 0.9], device)
    wide = mg.ones(2, 3, dtype=mg.float64, device=device)  # needs no gradient: Mul's second input is None
    (x.exp() * wide).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), 2 * np.exp(to_np(x)), rtol=1e-12)


def test_node_with_a_second_consumer_waits_for_both_gradients(device):
    x = leaf([0.1, -0.4, 0.9], device)
    a = x.exp()
    (a.tanh() + a * 3.0).sum().backward()
    ax = np.exp(to_np(x))
    np.testing.assert_allclose(to_np(x.grad), ax * (1 - np.tanh(ax) ** 2 + 3.0), rtol=1e-12)


def test_long_chain_of_mixed_ops_matches_torch(device, torch):
    values = [0.3, -0.2, 0.5, -0.7]
    x = leaf(values, device)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    for t, lib in ((x, mg), (tx, torch)):
        y = t
        for i in range(40):
            y = (y * 1.01, y + 0.01, y.tanh(), y.sigmoid(), y * y)[i % 5]
        y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), tx.grad.numpy(), rtol=1e-10)


def test_self_product_still_guards_its_input_against_in_place_change(device):
    x = leaf([1.0, 2.0], device) * 1.0  # a non-leaf, so it may be changed in place
    loss = (x * x).sum()  # x is saved once for both sides
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_second_backward_through_ops_that_save_nothing_raises(device):
    x = leaf([1.0, 2.0], device)
    loss = (x + 1.0).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_output_changed_in_place_inside_a_chain_raises(device):
    x = leaf([0.1, 0.2], device)
    y = x.tanh()  # keeps its output for backward
    z = (y * 2.0).sigmoid()
    y.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_sigmoid_overflow_is_silent_and_numpys_error_state_is_restored(device):
    with np.errstate(over="raise"):
        y = mg.tensor([-1000.0, 0.0, 1000.0], device=device).sigmoid()
        assert np.geterr()["over"] == "raise"
    np.testing.assert_array_equal(to_np(y), [0.0, 0.5, 1.0])
