"""The idioms PyTorch tutorials use, run unchanged under minigrad and compared with torch.

Each test is a few lines as a lecture or book writes them (micrograd, makemore, the
official autograd tutorial, d2l), run once with ``lib = minigrad`` and once with
``lib = torch`` where torch is installed, from the same starting numbers.
"""
import math
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from conftest import to_np


def _both(torch):
    return [(mg, mg.nn.functional), (torch, torch.nn.functional)]


# ---------------------------------------------------------------------------- .data
def test_manual_sgd_through_data_matches_torch(torch, device):
    """makemore part 2: `p.data += -lr * p.grad` after `p.grad = None` and backward."""
    rng = np.random.default_rng(0)
    w0, x0, y0 = rng.normal(size=(4, 3)), rng.normal(size=(8, 4)), rng.normal(size=(8, 3))
    trajectories = []
    for lib, _ in _both(torch):
        dev = device if lib is mg else "cpu"
        W = lib.tensor(w0, dtype=lib.float64, device=dev, requires_grad=True)
        X, Y = lib.tensor(x0, device=dev), lib.tensor(y0, device=dev)
        losses = []
        for _ in range(5):
            loss = ((X.double() @ W - Y.double()) ** 2).mean()
            W.grad = None
            loss.backward()
            W.data += -0.1 * W.grad
            losses.append(loss.item())
        trajectories.append((losses, to_np(W)))
    np.testing.assert_allclose(trajectories[0][0], trajectories[1][0], rtol=1e-12)
    np.testing.assert_allclose(trajectories[0][1], trajectories[1][1], rtol=1e-12)


def test_data_is_a_detached_tensor_sharing_storage(device):
    p = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = p.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.grad_fn is None
    d.add_(1)  # autograd does not see this write, as in PyTorch
    assert p.tolist() == [2.0, 3.0] and p._version == 0
    p.data.mul_(2)
    assert p.tolist() == [4.0, 6.0]


def test_assigning_data_replaces_the_storage(device):
    p = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    p.data = mg.tensor([5.0, 6.0, 7.0], device=device)
    assert p.shape == (3,) and p.requires_grad and p.tolist() == [5.0, 6.0, 7.0]
    with pytest.raises(TypeError, match="must be a Tensor"):
        p.data = [1.0]


def test_update_to_data_ratio_uses_torch_std(torch, device):
    """makemore part 3: `((lr * p.grad).std() / p.data.std()).log10().item()`."""
    rng = np.random.default_rng(1)
    w0, g0 = rng.normal(size=(30, 20)), rng.normal(size=(30, 20)) * 1e-3
    ratios = []
    for lib, _ in _both(torch):
        dev = device if lib is mg else "cpu"
        p = lib.tensor(w0, dtype=lib.float32, device=dev, requires_grad=True)
        p.grad = lib.tensor(g0, dtype=lib.float32, device=dev)
        ratios.append(math.log10(((0.1 * p.grad).std() / p.data.std()).item()))
    assert ratios[0] == pytest.approx(ratios[1], rel=1e-6)


# ---------------------------------------------------------------------------- autograd
def test_retain_grad_on_intermediates_matches_torch(torch, device):
    """makemore part 4 compares each hand-derived gradient with `t.grad` of intermediates."""
    grads = []
    for lib, fn in _both(torch):
        dev = device if lib is mg else "cpu"
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], dtype=lib.float64, device=dev, requires_grad=True)
        h = lib.tanh(x * 2)
        logits = h @ lib.tensor([[1.0], [-2.0], [0.5]], dtype=lib.float64, device=dev)
        for t in (h, logits):
            t.retain_grad()
        loss = fn.softplus(logits).mean()
        loss.backward()
        grads.append([to_np(t.grad) for t in (x, h, logits)])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_no_grad_evaluation_records_nothing(device):
    model = nn.Linear(3, 2).to(device)
    with mg.no_grad():
        out = model(mg.ones(4, 3, device=device))
    assert out.grad_fn is None and not out.requires_grad
    assert mg.is_grad_enabled()


def test_grad_mode_is_per_thread(device):
    """A thread evaluating under no_grad must not switch recording off in another."""
    w = mg.ones(3, device=device, requires_grad=True)
    inside, recorded = threading.Event(), []

    def evaluate():
        with mg.no_grad():
            inside.set()
            done.wait(5)

    done = threading.Event()
    t = threading.Thread(target=evaluate)
    t.start()
    inside.wait(5)
    recorded.append((w * 2).requires_grad)  # this thread still records
    done.set()
    t.join()
    assert recorded == [True]


# ---------------------------------------------------------------------------- Function
def _exp_function(lib):
    """The example of PyTorch's autograd.Function documentation, for `lib`."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    return Exp


Exp = _exp_function(mg)


class LegendrePolynomial3(mg.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, from PyTorch's 'Defining new autograd functions' tutorial."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ScaleBy(mg.autograd.Function):
    """A tensor and a plain number in, gradients only where ctx.needs_input_grad says."""

    @staticmethod
    def forward(ctx, x, w, factor):
        ctx.factor = factor
        ctx.save_for_backward(x, w)
        return x * w * factor

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = grad * w * ctx.factor if ctx.needs_input_grad[0] else None
        gw = (grad * x * ctx.factor).sum(0) if ctx.needs_input_grad[1] else None
        return gx, gw, None


def test_function_from_the_docs_matches_torch_exp(device):
    x = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name == "ExpBackward" and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), np.exp([0.5, -1.0, 2.0]), rtol=1e-12)
    assert mg.gradcheck(Exp.apply, [x])


def test_legendre_tutorial_function_passes_gradcheck(device):
    x = mg.tensor([0.3, -0.7, 1.1], dtype=mg.float64, device=device, requires_grad=True)
    assert mg.gradcheck(LegendrePolynomial3.apply, [x])


def test_needs_input_grad_and_non_tensor_arguments(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mg.float64, device=device)
    w = mg.tensor([0.5, -1.0], dtype=mg.float64, device=device, requires_grad=True)
    ScaleBy.apply(x, w, 3.0).sum().backward()
    np.testing.assert_allclose(to_np(w.grad), [12.0, 18.0])
    assert x.grad is None


def test_function_without_grad_inputs_records_nothing(device):
    y = Exp.apply(mg.tensor([1.0], device=device))
    assert y.grad_fn is None and not y.requires_grad


def test_function_with_two_outputs_and_a_non_differentiable_one(device):
    class SortWithIndices(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = mg.tensor(np.argsort(x.detach().cpu().numpy()), device=x.device)
            ctx.save_for_backward(idx)
            ctx.mark_non_differentiable(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            (idx,) = ctx.saved_tensors
            grad = mg.zeros(g_values.shape, dtype=g_values.dtype, device=g_values.device)
            grad[idx] = g_values
            return grad

    x = mg.tensor([3.0, 1.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    values, idx = SortWithIndices.apply(x)
    assert not idx.requires_grad and values.tolist() == [1.0, 2.0, 3.0]
    (values * mg.tensor([1.0, 10.0, 100.0], dtype=mg.float64, device=device)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_function_checks_what_backward_returns(device):
    class TooFew(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return mg.ones(5, device=g.device)

    a = mg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        TooFew.apply(a, a).sum().backward()
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0: got shape \[5\].*\[3\]"):
        WrongShape.apply(a).sum().backward()
    with pytest.raises(RuntimeError, match="call Exp.apply"):
        Exp()


def test_saved_tensor_modified_in_place_is_refused_at_backward(torch, device):
    for lib in (mg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        y = _exp_function(lib).apply(h)
        y.add_(1)  # Exp saved its output: backward must refuse, in both frameworks
        with pytest.raises(RuntimeError, match="modified by an inplace|modified by an in-place"):
            y.sum().backward()


# ---------------------------------------------------------------------------- in-place
def test_makemore_dlogits_in_place_edit_matches_torch(torch, device):
    """makemore part 4: `dlogits = F.softmax(logits, 1); dlogits[range(n), Yb] -= 1; dlogits /= n`."""
    rng = np.random.default_rng(2)
    logits0, yb0 = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    results = []
    for lib, fn in _both(torch):
        dev = device if lib is mg else "cpu"
        logits = lib.tensor(logits0, dtype=lib.float64, device=dev, requires_grad=True)
        Yb = lib.tensor(yb0, device=dev)
        n = 6
        loss = fn.cross_entropy(logits, Yb)
        loss.backward()
        dlogits = fn.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
        results.append((to_np(dlogits), to_np(logits.grad)))
        np.testing.assert_allclose(results[-1][0], results[-1][1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)


def test_in_place_ops_on_non_leaves_give_torchs_gradients(torch, device):
    outs = []
    for lib in (mg, torch):
        dev = device if lib is mg else "cpu"
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, device=dev, requires_grad=True)
        w = lib.tensor([2.0, 3.0, 4.0], dtype=lib.float64, device=dev, requires_grad=True)
        y = x * 2
        y.mul_(w)
        y.add_(x, alpha=3)
        y[0] = w[1] * 10
        y.clamp_(min=-5.0)
        y.sum().backward()
        outs.append([to_np(t) for t in (y, x.grad, w.grad)])
        assert y.grad_fn is not None and y._version > 0
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad(torch, device):
    for lib in (mg, torch):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            w.add_(1)
        with lib.no_grad():
            w -= 0.1 * lib.ones(3)  # the classic manual update
        assert w.tolist() == pytest.approx([0.9, 0.9, 0.9])


def test_in_place_change_of_a_value_backward_needs_is_refused(torch, device):
    for lib in (mg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # exp saves its output
        y += 1
        with pytest.raises(RuntimeError, match="modified by an inplace|modified by an in-place"):
            y.sum().backward()
        z = x.sigmoid() * 2  # Mul by a number keeps only the number: z itself is not saved
        z += 1
        z.sum().backward()  # fine: nothing backward needs was overwritten


def test_fill_and_copy_in_the_graph_cut_the_old_values_gradient(torch, device):
    outs = []
    for lib in (mg, torch):
        dev = device if lib is mg else "cpu"
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, device=dev, requires_grad=True)
        s = lib.tensor([4.0], dtype=lib.float64, device=dev, requires_grad=True)
        a, b = x * 1, x * 1
        a.fill_(7.0)
        b.copy_(s)
        (a * x + b * x).sum().backward()
        outs.append((to_np(x.grad), to_np(s.grad)))
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---------------------------------------------------------------------------- modules
def test_state_dict_round_trip_in_a_training_script(tmp_path, device):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
    x = mg.randn(5, 4, device=device)
    before = to_np(model(x))
    path = tmp_path / "model.safetensors"
    mg.save(model.state_dict(), path)
    twin = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
    twin.load_state_dict(mg.load(path, device=device))
    np.testing.assert_array_equal(to_np(twin(x)), before)


def test_masking_ops_give_zero_not_nan_to_blocked_elements(torch, device):
    grads = []
    for lib in (mg, torch):
        dev = device if lib is mg else "cpu"
        x = lib.tensor([-1.0, 0.0, 4.0], dtype=lib.float64, device=dev, requires_grad=True)
        (x.relu().sqrt() + x.clamp(min=0).sqrt() + lib.maximum(x, lib.zeros_like(x)).sqrt()).sum().backward()
        grads.append(to_np(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.isfinite(grads[0][0])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu"])
def test_unary_ops_on_a_0d_tensor_match_torch(name, torch, device):
    x = mg.tensor(0.5, dtype=mg.float64, device=device, requires_grad=True)
    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y, ty = getattr(x, name)(), getattr(t, name)()
    y.backward()
    ty.backward()
    assert y.shape == () and y.item() == pytest.approx(ty.item(), rel=1e-15)
    assert x.grad.item() == pytest.approx(t.grad.item(), rel=1e-15)


# ---------------------------------------------------------------------------- sampling & co
def test_makemore_sampling_loop_draws_torchs_names(torch):
    """makemore part 1: sample characters with multinomial from a seeded generator."""
    counts = np.arange(1, 27 * 27 + 1, dtype=np.float64).reshape(27, 27) % 13 + 1
    names = []
    for lib in (mg, torch):
        P = lib.tensor(counts, dtype=lib.float32)
        P = P / P.sum(1, keepdim=True)
        g = lib.Generator().manual_seed(2147483647)
        out = []
        for _ in range(5):
            ix, word = 0, []
            while True:
                ix = lib.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
                if ix == 0 or len(word) > 20:
                    break
                word.append(ix)
            out.append(word)
        names.append(out)
    assert names[0] == names[1]


def test_one_hot_targets_feed_a_loss_like_torch(torch, device):
    ys = [2, 0, 1, 2]
    out = []
    for lib, fn in _both(torch):
        dev = device if lib is mg else "cpu"
        y = lib.tensor(ys, device=dev)
        onehot = fn.one_hot(y, num_classes=3).float()
        logits = lib.tensor([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4], [0.0, 0.0, 2.0]], device=dev)
        out.append((to_np(onehot), fn.cross_entropy(logits, onehot).item()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert out[0][1] == pytest.approx(out[1][1], rel=1e-6)


def test_activation_histogram_like_makemore_part_3(torch):
    """`hy, hx = torch.histogram(t, density=True)` to plot a layer's activations."""
    values = np.linspace(-1, 1, 101, dtype=np.float32) ** 3
    results = []
    for lib in (mg, torch):
        hy, hx = lib.histogram(lib.tensor(values), bins=10, density=True)
        results.append((to_np(hy), to_np(hx), to_np(lib.histc(lib.tensor(values), bins=5, min=-1, max=1))))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)  # edges: float32 rounding
