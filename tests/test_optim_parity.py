"""Every optimizer and option, stepped side by side with torch.optim on the same problem.

Both frameworks start from the same float64 parameters; at each step every parameter's
gradient is computed (in NumPy) from that framework's own current values,
``g = c * (p - target) + noise_t``, so any difference in an update feeds back into the
next one. After N steps the parameters and the optimizer state must agree to 1e-10.
One parameter is large (70,000 values), so updates of large arrays are covered too.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

from conftest import to_np

SHAPES = [(3, 4), (5,), (), (70_000,)]
STEPS = 20

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.2, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.6), eps=1e-3)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True, betas=(0.2, 0.9))),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.08), maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
]


def _case_id(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.fixture
def torch64(torch):
    """torch with float64 as default dtype, so its scalar optimizer state (NAdam's
    mu_product, ASGD's eta/mu) is kept in float64 like minigrad's Python floats; one thread."""
    old_dtype, old_threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    yield torch
    torch.set_default_dtype(old_dtype)
    torch.set_num_threads(old_threads)


def _problem(maximize):
    rng = np.random.default_rng(42)
    init = [rng.standard_normal(s) for s in SHAPES]
    target = [rng.standard_normal(s) for s in SHAPES]
    curvature = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
    noise = [[0.3 * rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    sign = -1.0 if maximize else 1.0  # maximize climbs -loss: same trajectory shape

    def grad(t, values):
        return [sign * (c * (v - tg) + n) for v, c, tg, n in zip(values, curvature, target, noise[t])]

    return init, grad


def _run_pair(torch, name, kwargs, device):
    init, grad = _problem(kwargs.get("maximize", False))
    mine = [mg.tensor(a.copy(), device=device, requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt_mine = getattr(optim, name)(mine, **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs, **kwargs)
    for t in range(STEPS):
        for p, g in zip(mine, grad(t, [to_np(p) for p in mine])):
            p.grad = mg.tensor(g, device=device)
        for p, g in zip(theirs, grad(t, [to_np(p) for p in theirs])):
            p.grad = torch.tensor(g)
        opt_mine.step()
        opt_theirs.step()
    return mine, theirs, opt_mine, opt_theirs


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch(case, device, torch64):
    name, kwargs = case
    mine, theirs, opt_mine, opt_theirs = _run_pair(torch64, name, kwargs, device)
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(to_np(p), to_np(q), rtol=1e-10, atol=1e-12)
    # the optimizer state agrees too, under torch's key names
    for p, q in zip(mine, theirs):
        state_mine, state_theirs = opt_mine.state[p], opt_theirs.state[q]
        assert set(state_mine) <= set(state_theirs) | {"step"}
        for key, value in state_mine.items():
            expected = state_theirs[key]
            expected = expected.item() if expected.ndim == 0 and key in type(opt_mine)._scalar_state else expected
            actual = value if isinstance(value, float) else to_np(value)
            np.testing.assert_allclose(actual, to_np(expected), rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name,kwargs", [
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Rprop", dict(lr=0.01)),
    ("ASGD", dict(lr=0.05, t0=1)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_parameter_larger_than_the_cache_follows_torch(name, kwargs, device, torch64):
    """Large CPU arrays are updated in cache-sized pieces: the same numbers as one pass."""
    torch = torch64
    rng = np.random.default_rng(5)
    init = rng.standard_normal(600_000)
    mine = mg.tensor(init, device=device, requires_grad=True)
    theirs = torch.tensor(init, requires_grad=True)
    opt_mine, opt_theirs = getattr(optim, name)([mine], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for _ in range(3):
        g = rng.standard_normal(init.shape)
        mine.grad, theirs.grad = mg.tensor(g, device=device), torch.tensor(g)
        opt_mine.step()
        opt_theirs.step()
    np.testing.assert_allclose(to_np(mine), to_np(theirs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_groups_with_their_own_hyperparameters_match_torch(name, device, torch64):
    torch = torch64
    rng = np.random.default_rng(1)
    init = [rng.standard_normal((4, 3)), rng.standard_normal(6)]
    grads = [[rng.standard_normal(a.shape) for a in init] for _ in range(8)]
    mine = [mg.tensor(a, device=device, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    extra = {"SGD": dict(momentum=0.9), "Adam": dict(betas=(0.5, 0.9))}[name]
    opt_mine = getattr(optim, name)([{"params": [mine[0]]}, {"params": [mine[1]], "lr": 0.3, **extra}], lr=0.05)
    opt_theirs = getattr(torch.optim, name)([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.3, **extra}],
                                            lr=0.05)
    for gs in grads:
        for p, q, g in zip(mine, theirs, gs):
            p.grad, q.grad = mg.tensor(g, device=device), torch.tensor(g)
        opt_mine.step()
        opt_theirs.step()
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(to_np(p), to_np(q), rtol=1e-12, atol=1e-14)


def _lbfgs_loss(lib, w, x, y):
    """Least squares plus a quartic term: smooth, curved, with a unique minimum."""
    residual = x @ w - y
    return (residual * residual).sum() + 0.1 * (w ** 4).sum()


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, history_size=3, max_iter=7),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=5, max_eval=9),
], ids=["default", "strong_wolfe", "short_history", "wolfe_small_budget"])
def test_lbfgs_matches_torch(kwargs, device, torch64):
    torch = torch64
    rng = np.random.default_rng(3)
    x, y, w0 = rng.standard_normal((12, 5)), rng.standard_normal(12), rng.standard_normal(5)
    w_mine = mg.tensor(w0, device=device, requires_grad=True)
    w_theirs = torch.tensor(w0, requires_grad=True)
    x_mine, y_mine = mg.tensor(x, device=device), mg.tensor(y, device=device)
    x_theirs, y_theirs = torch.tensor(x), torch.tensor(y)
    opt_mine, opt_theirs = optim.LBFGS([w_mine], **kwargs), torch.optim.LBFGS([w_theirs], **kwargs)

    def closure_mine():
        opt_mine.zero_grad()
        loss = _lbfgs_loss(mg, w_mine, x_mine, y_mine)
        loss.backward()
        return loss

    def closure_theirs():
        opt_theirs.zero_grad()
        loss = _lbfgs_loss(torch, w_theirs, x_theirs, y_theirs)
        loss.backward()
        return loss

    for _ in range(3):
        loss_mine, loss_theirs = opt_mine.step(closure_mine), opt_theirs.step(closure_theirs)
        np.testing.assert_allclose(float(loss_mine.item()), loss_theirs.item(), rtol=1e-9)
        np.testing.assert_allclose(to_np(w_mine), to_np(w_theirs), rtol=1e-8, atol=1e-10)
    state_mine, state_theirs = opt_mine.state[w_mine], opt_theirs.state[w_theirs]
    assert state_mine["func_evals"] == state_theirs["func_evals"]
    assert state_mine["n_iter"] == state_theirs["n_iter"]
