"""The backward engine: graph shapes, memory, grad modes, hooks, checks and errors."""
import gc
import inspect
import os
import weakref
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import to_np

import minigrad as mg


def leaf(values, device, dtype=mg.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), device=device, requires_grad=True)


# ---------------------------------------------------------------------------- graph shapes
def test_reused_node_accumulates_every_use(device):
    x = leaf([1.0, -2.0, 3.0], device)
    y = x * x * x + x  # x feeds four uses
    y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), 3 * to_np(x) ** 2 + 1, rtol=1e-12)


def test_diamond_graph_matches_torch(device, torch):
    values = np.array([0.3, -1.2, 2.0])

    def f(lib_x):
        a = lib_x * 2
        return (a.exp() * a.sin() + a).sum()

    x, tx = leaf(values, device), torch.tensor(values, requires_grad=True)
    f(x).backward()
    f(tx).backward()
    np.testing.assert_allclose(to_np(x.grad), tx.grad.detach().numpy(), rtol=1e-12)


def test_twenty_thousand_deep_chain_runs_without_recursion(device):
    x = leaf([1.0], device)
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), [1.0001 ** 20_000], rtol=1e-9)


def test_deep_graph_dropped_without_backward_is_freed_without_overflow(device):
    x = leaf([1.0], device)
    y = x
    for _ in range(20_000):
        y = y.sin()
    first = weakref.ref(y.grad_fn)
    del y  # deallocating a 20,000-node chain must not recurse into a crash
    assert first() is None


def test_unused_branch_and_constants_get_no_gradient(device):
    x, c = leaf([1.0, 2.0], device), mg.tensor([3.0, 4.0], dtype=mg.float64, device=device)
    y = x * c
    (x * 2).sum().backward()
    assert c.grad is None and y.grad is None
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


def test_backward_on_a_leaf_uses_the_seed_as_its_gradient(device):
    x = leaf([1.0, 2.0], device)
    seed = mg.tensor([5.0, 6.0], dtype=mg.float64, device=device)
    x.backward(seed)
    seed.array[...] = 0  # the stored gradient must not alias the seed
    np.testing.assert_array_equal(to_np(x.grad), [5.0, 6.0])


def test_leaf_gradient_never_aliases_the_seed_through_pass_through_ops(device):
    x = leaf([1.0, 2.0], device)
    seed = mg.tensor([1.0, 1.0], dtype=mg.float64, device=device)
    x.clone().reshape(2).backward(seed)
    x.clone().backward(seed)
    np.testing.assert_array_equal(to_np(seed), [1.0, 1.0])
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


# ---------------------------------------------------------------------------- memory
def test_saved_arrays_are_freed_by_backward(device):
    x = leaf(np.linspace(-1, 1, 8), device)
    y = (x * 2).sin()  # Sin keeps its input, an intermediate array
    ref = weakref.ref(y.grad_fn.saved[0])
    loss = y.sum()
    gc.collect()
    assert ref() is not None
    loss.backward()
    assert ref() is None, "backward must drop saved arrays even while the output lives"


def test_graph_is_freed_by_reference_counting_after_backward(device):
    gc.collect()
    gc.disable()  # no cycle collector: the graph must die by reference counting alone
    try:
        x = leaf(np.ones(4), device)
        h = (x * 3).exp()
        node_ref, data_ref = weakref.ref(h.grad_fn), weakref.ref(h.array)
        loss = (h * h).sum()
        loss.backward()
        del h, loss
        assert node_ref() is None and data_ref() is None
    finally:
        gc.enable()


def test_graph_without_backward_is_freed_by_reference_counting(device):
    gc.collect()
    gc.disable()
    try:
        x = leaf(np.ones(4), device)
        loss = (x.exp() * x).sum()
        node_ref = weakref.ref(loss.grad_fn.next[0])
        del loss
        assert node_ref() is None
    finally:
        gc.enable()


def test_second_backward_raises_a_clear_error(device):
    x = leaf([1.0, 2.0], device)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates(device):
    x = leaf([1.0, 2.0], device)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = to_np(x.grad).copy()
    loss.backward()
    np.testing.assert_allclose(to_np(x.grad), 2 * first, rtol=1e-12)


def test_gradients_accumulate_into_leaves_across_backward_calls(device):
    x = leaf([1.0, 2.0], device)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [3.0, 3.0])


# ---------------------------------------------------------------------------- non-leaf grads
def test_non_leaf_grad_is_none_unless_retained(device):
    x = leaf([1.0, 2.0], device)
    h, k = x * 2, x * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None and not h.is_leaf
    np.testing.assert_array_equal(to_np(k.grad), to_np(h))


def test_retained_grad_accumulates_over_retained_backwards(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    h.retain_grad()
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(to_np(h.grad), 2 * 2 * to_np(h))


# ---------------------------------------------------------------------------- grad modes
def test_no_grad_context_records_nothing_and_restores(device):
    x = leaf([1.0], device)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError("boom")
    assert mg.is_grad_enabled()


def test_enable_grad_inside_no_grad_records(device):
    x = leaf([1.0], device)
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None and not z.requires_grad


def test_no_grad_and_enable_grad_as_decorators(device):
    x = leaf([1.0], device)

    @mg.no_grad()
    def infer(t):
        """Docstring kept."""
        return t * 2

    @mg.enable_grad()
    def train(t):
        return t * 2

    assert not infer(x).requires_grad and infer.__doc__ == "Docstring kept."
    with mg.no_grad():
        assert train(x).requires_grad
    assert mg.is_grad_enabled()


def test_no_grad_as_a_bare_decorator_like_torch(device):
    @mg.no_grad
    def infer(t):
        return t * 2

    assert not infer(leaf([1.0], device)).requires_grad
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator(device):
    x = leaf([1.0], device)
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    try:
        assert not mg.is_grad_enabled()
    finally:
        mg.set_grad_enabled(True)

    @mg.set_grad_enabled(False)
    def infer(t):
        return t * 2

    assert mg.is_grad_enabled()
    assert not infer(x).requires_grad
    assert mg.is_grad_enabled()


def test_backward_runs_inside_no_grad_on_a_graph_built_before(device):
    x = leaf([1.0, 2.0], device)
    loss = (x * x).sum()
    with mg.no_grad():
        loss.backward()
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 4.0])


# ---------------------------------------------------------------------------- hooks
def test_hook_on_a_leaf_can_replace_its_gradient(device):
    x = leaf([1.0, 2.0], device)
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [30.0, 30.0])


@pytest.mark.parametrize("kind", ["leaf", "intermediate"])
def test_hook_sees_the_summed_gradient_of_a_reused_tensor_once_like_torch(kind, device):
    x = leaf([1.0, 2.0], device)
    h = x if kind == "leaf" else x * 1
    seen = []
    h.register_hook(lambda g: seen.append(to_np(g).copy()))
    (h * 2 + h * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])


def test_hook_on_an_intermediate_changes_what_flows_upstream(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1
    h.register_hook(lambda g: g * 10)
    (h * 1.5).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [15.0, 15.0])


def test_hook_returning_none_keeps_the_gradient(device):
    x = leaf([1.0, 2.0], device)
    calls = []
    x.register_hook(lambda g: calls.append(g.shape))
    (x * 2).sum().backward()
    assert calls == [(2,)]
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


def test_removed_hook_is_not_called(device):
    x = leaf([1.0, 2.0], device)
    handle = x.register_hook(lambda g: g * 10)
    h = x * 1
    handle_h = h.register_hook(lambda g: g * 100)
    handle.remove()
    handle_h.remove()
    (h * 2).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


def test_register_hook_on_a_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        mg.tensor([1.0], device=device).register_hook(lambda g: g)


# ---------------------------------------------------------------------------- backward errors
def test_backward_on_non_scalar_without_gradient_says_so(device):
    y = leaf([1.0, 2.0], device) * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2,\).*gradient"):
        y.backward()


def test_backward_with_gradient_of_the_wrong_shape_names_both_shapes(device):
    y = leaf([[1.0, 2.0]], device) * 2
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(1, 2\)"):
        y.backward(mg.ones(2, dtype=mg.float64, device=device))


def test_backward_with_an_explicit_gradient_is_a_vector_jacobian_product(device, torch):
    values, v = np.array([[0.5, -1.0], [2.0, 0.1]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    x, tx = leaf(values, device), torch.tensor(values, requires_grad=True)
    x.tanh().backward(mg.tensor(v, device=device))
    tx.tanh().backward(torch.from_numpy(v))
    np.testing.assert_allclose(to_np(x.grad), tx.grad.detach().numpy(), rtol=1e-12)


def test_backward_on_a_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0], device=device).sum().backward()


# ---------------------------------------------------------------------------- in-place safety
def test_in_place_change_of_a_saved_tensor_raises_at_backward(device):
    x = leaf([1.0, 2.0], device)
    w = mg.tensor([3.0, 4.0], dtype=mg.float64, device=device)
    loss = (x * w).sum()  # Mul saves w for x's gradient
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_in_place_change_of_a_base_whose_view_was_saved_raises(device):
    x = leaf([1.0, 2.0], device)
    base = mg.tensor([[3.0, 4.0], [5.0, 6.0]], dtype=mg.float64, device=device)
    loss = (x * base[0]).sum()
    base.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_in_place_change_through_a_view_of_a_saved_tensor_raises(device):
    x = leaf([1.0, 2.0, 3.0, 4.0], device)
    w = mg.tensor([[3.0, 4.0], [5.0, 6.0]], dtype=mg.float64, device=device)
    loss = (x * w.reshape(4)).sum()
    w.T[0].zero_()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_in_place_change_through_detach_of_a_saved_tensor_raises(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()  # Exp saves its output
    loss = (y * 1).sum()
    with mg.no_grad():
        y.detach().fill_(0)
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_in_place_change_of_an_unsaved_tensor_is_fine(device):
    x = leaf([1.0, 2.0], device)
    w = mg.tensor([3.0, 4.0], dtype=mg.float64, device=device)
    loss = (x + w).sum()  # Add saves nothing
    w.mul_(2)
    loss.backward()
    np.testing.assert_array_equal(to_np(x.grad), [1.0, 1.0])


@pytest.mark.parametrize("update", [
    lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(), lambda t: t.fill_(3.0),
    lambda t: t.copy_(mg.tensor([0.0, 0.0], dtype=mg.float64, device=t.device)),
    lambda t: t.__setitem__(0, 5.0), lambda t: t.__iadd__(1.0), lambda t: t.__imul__(2.0),
    lambda t: t.uniform_(), lambda t: t.clamp_(0, 1),
], ids=["add_", "mul_", "zero_", "fill_", "copy_", "setitem", "iadd", "imul", "uniform_", "clamp_"])
def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad(update, device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="no_grad"):
        update(x)
    np.testing.assert_array_equal(to_np(x), [1.0, 2.0])


def test_manual_sgd_step_under_no_grad_keeps_the_leaf(device):
    w = leaf([1.0, 2.0], device)
    (w * w).sum().backward()
    same = w
    with mg.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(to_np(w), [0.8, 1.6], rtol=1e-12)
    w.grad = None
    (w * 2).sum().backward()  # still trainable afterwards
    np.testing.assert_array_equal(to_np(w.grad), [2.0, 2.0])


def test_in_place_add_on_a_graph_tensor_rebinds_with_a_correct_gradient(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    h += x
    h.sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [3.0, 3.0])


# ---------------------------------------------------------------------------- detach & co
def test_detach_shares_data_and_leaves_the_graph(device):
    x = leaf([1.0, 2.0], device)
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    e = x.detach()
    e.array[0] = 7.0  # the same storage on any device: a write through one shows in the other
    assert to_np(x)[0] == 7.0


def test_requires_grad_on_an_integer_tensor_raises(device):
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2], device=device).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2], device=device, requires_grad=True)


def test_requires_grad_false_on_a_non_leaf_raises(device):
    with pytest.raises(RuntimeError, match="detach"):
        (leaf([1.0], device) * 2).requires_grad_(False)


def test_ops_on_tensors_without_grad_record_no_graph(device):
    y = mg.tensor([1.0], device=device) * 2
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


# ---------------------------------------------------------------------------- anomaly detection
def _line_of(marker):
    """The line number of the line in this file that contains `marker`."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if marker in line and "_line_of" not in line)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about the NaN/Inf too
def test_detect_anomaly_names_the_forward_op_and_where_it_was_made(device):
    x = leaf([-1.0, 1.0], device)
    with mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            x.log()  # anomaly-forward-site
    message = str(info.value)
    assert "Log" in message and "NaN" in message and "forward" in message
    assert "(2,)" in message and "float64" in message
    assert f"{os.path.basename(__file__)}\", line {_line_of('anomaly-forward-site')}" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about the NaN/Inf too
def test_detect_anomaly_names_the_backward_op_and_where_it_was_made(device):
    x = leaf([0.0, 1.0], device)
    with mg.autograd.detect_anomaly():
        y = x.sqrt()  # anomaly-backward-site
        loss = y.sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "Sqrt" in message and "Inf" in message and "backward" in message
    assert f"{os.path.basename(__file__)}\", line {_line_of('anomaly-backward-site')}" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about the NaN/Inf too
def test_detect_anomaly_as_a_decorator_and_off_by_default(device):
    x = leaf([-1.0], device)
    assert np.isnan(to_np(x.log())).all()  # no check outside

    @mg.autograd.detect_anomaly()
    def f(t):
        return t.log()

    with pytest.raises(RuntimeError, match="Log"):
        f(x)
    assert not mg.autograd.is_anomaly_enabled()


def test_detect_anomaly_passes_finite_graphs(device):
    x = leaf([1.0, 2.0], device)
    with mg.autograd.detect_anomaly():
        (x.log() * x).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), np.log([1.0, 2.0]) + 1, rtol=1e-12)


# ---------------------------------------------------------------------------- autograd.grad
def test_autograd_grad_returns_gradients_without_touching_dot_grad(device):
    x, w = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    h = x * w
    loss = (h * h).sum()
    gx, gh = mg.autograd.grad(loss, [x, h])
    np.testing.assert_array_equal(to_np(gx), 2 * to_np(h) * to_np(w))
    np.testing.assert_array_equal(to_np(gh), 2 * to_np(h))
    assert x.grad is None and h.grad is None


def test_autograd_grad_of_a_single_input_returns_a_tuple(device):
    x = leaf([1.0, 2.0], device)
    (g,) = mg.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(to_np(g), [2.0, 4.0])


# ---------------------------------------------------------------------------- devices
class _FakeGpuArray:
    """Just enough of a CuPy array for the engine's device check to run without a GPU."""

    dtype = np.dtype("float32")
    shape = (2,)
    ndim = 1
    device = SimpleNamespace(id=0)


def test_device_mismatch_error_names_both_devices():
    cpu = mg.tensor([1.0, 2.0])
    gpu = mg.Tensor._make(_FakeGpuArray(), False, None)
    with pytest.raises(RuntimeError, match="cpu.*cuda:0"):
        cpu + gpu
    with pytest.raises(RuntimeError, match="cpu.*cuda:0"):
        cpu * gpu
    with pytest.raises(RuntimeError, match="cpu.*cuda:0"):
        cpu < gpu
    with pytest.raises(RuntimeError, match="cpu.*cuda:0"):
        mg.cat([cpu, gpu])
    with pytest.raises(RuntimeError, match="cpu.*cuda:0"):
        mg.where(cpu > 0, cpu, gpu)


@pytest.mark.skipif(not mg.cuda.is_available(), reason="needs a GPU")
def test_real_device_mismatch_error_names_both_devices():
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        mg.ones(2) + mg.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        mg.cat([mg.ones(2), mg.ones(2, device="cuda")])


def test_autograd_grad_leaves_other_leaves_grad_untouched(device):
    x, w = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    w.grad = mg.tensor([100.0, 100.0], dtype=mg.float64, device=device)
    before = to_np(w.grad).copy()
    (gx,) = mg.autograd.grad((x * w).sum(), [x])
    np.testing.assert_array_equal(to_np(gx), [3.0, 4.0])
    np.testing.assert_array_equal(to_np(w.grad), before)
    assert x.grad is None


def test_autograd_grad_of_an_intermediate_does_not_retain_it_afterwards(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    loss = (h * h).sum()
    mg.autograd.grad(loss, [h], retain_graph=True)
    loss.backward()
    assert h.grad is None
    np.testing.assert_array_equal(to_np(x.grad), 8 * to_np(x))


# ---------------------------------------------------------------------------- array-level ops
class _Cube(mg.autograd.Op):
    """x ** 3 with a hand-written backward on raw arrays, as minigrad's primitives are."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x * x

    def backward(self, g):
        (x,) = self.saved
        return 3 * x * x * g


class _ScaledAdd(mg.autograd.Op):
    """a + alpha * b, with a keyword argument and two inputs."""

    def forward(self, a, b, alpha):
        self.alpha = alpha
        return a + alpha * b

    def backward(self, g):
        return g, self.alpha * g


def test_custom_function_builds_a_node_and_passes_gradcheck(device):
    x = leaf([0.5, -1.0, 2.0], device)
    y = _Cube.apply(x)
    assert y.grad_fn.name == "_CubeBackward0" and y.grad_fn.inputs == (x,)
    assert mg.gradcheck(lambda t: _Cube.apply(t), [x])


def test_custom_function_with_two_inputs_broadcasts_and_takes_keywords(device):
    a, b = leaf([[1.0], [2.0]], device), leaf([1.0, 2.0, 3.0], device)
    out = _ScaledAdd.apply(a, b, alpha=0.5)
    assert out.shape == (2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(to_np(a.grad), [[3.0], [3.0]])
    np.testing.assert_array_equal(to_np(b.grad), [1.0, 1.0, 1.0])


def test_custom_function_saved_input_is_guarded_against_in_place_change(device):
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, device=device)
    w = leaf([1.0, 1.0], device)
    loss = (_Cube.apply(x) * w + _Cube.apply(w)).sum()
    x.add_(1)  # x is not saved by anything that w's gradient needs: fine
    loss.backward()
    np.testing.assert_array_equal(to_np(w.grad), [1.0 + 3.0, 8.0 + 3.0])
    y = leaf([1.0, 2.0], device)
    loss = _Cube.apply(y.clone()).sum()
    with mg.no_grad():
        y.add_(1)  # the saved array is the clone's: not affected
    loss.backward()
    np.testing.assert_array_equal(to_np(y.grad), [3.0, 12.0])


class _FirstOnly(mg.autograd.Op):
    """Passes a gradient to its first input only (None for the second)."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, None


def test_a_node_that_gets_no_gradient_passes_none_upstream(device):
    x = leaf([1.0, 2.0], device)
    h, k = x * 2, x.exp()  # k's node never receives a gradient
    _FirstOnly.apply(h, k).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


def test_in_place_change_of_an_operand_only_the_other_side_needed_is_allowed(device):
    # torch keeps w in w * c only for c's gradient; c needs none, so changing w is fine
    w = mg.randn(3, device=device, requires_grad=True)
    c = mg.randn(3, device=device)
    loss = (w * c).sum()
    with mg.no_grad():
        w.add_(1)
    loss.backward()
    np.testing.assert_allclose(w.grad.detach().numpy(), c.detach().numpy())
