"""The Optimizer protocols: parameter groups, validation, zero_grad, closures, skipping,
state_dict / load_state_dict (resume gives the identical trajectory), save/load."""
import copy
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

from conftest import to_np

ALL = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "RMSprop", "Adadelta", "Rprop", "ASGD",
       "Lion"]
# options that create every piece of state an optimizer can have
RICH = {
    "SGD": dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": dict(lr=0.05, amsgrad=True, weight_decay=0.01),
    "AdamW": dict(lr=0.05, amsgrad=True),
    "Adamax": dict(lr=0.05, weight_decay=0.01),
    "NAdam": dict(lr=0.05, weight_decay=0.01),
    "RAdam": dict(lr=0.05, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.9, centered=True),
    "Adadelta": dict(weight_decay=0.01),
    "Rprop": dict(lr=0.01),
    "ASGD": dict(lr=0.05, t0=3),
    "Lion": dict(lr=0.01, weight_decay=0.1),
}


def _params(device, dtype=mg.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [mg.tensor(rng.standard_normal(s), dtype=dtype, device=device, requires_grad=True)
            for s in [(4, 3), (3,)]]


def _set_grads(params, step, device):
    """Deterministic gradients that depend on the step and on the current values."""
    for i, p in enumerate(params):
        rng = np.random.default_rng(100 * step + i)
        p.grad = mg.tensor(0.5 * to_np(p) + rng.standard_normal(p.shape), dtype=p.dtype, device=device)


def _run(opt, params, steps, device, start=0):
    for t in range(start, start + steps):
        _set_grads(params, t, device)
        opt.step()


# ------------------------------------------------------------------------ construction
def test_empty_parameter_list_is_rejected():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_a_bare_tensor_is_rejected():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(mg.zeros(3, requires_grad=True), lr=0.1)


def test_non_leaf_tensor_is_rejected():
    x = mg.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2], lr=0.1)


def test_non_tensor_parameter_is_rejected():
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)


def test_parameter_in_two_groups_is_rejected(device):
    a, b = _params(device)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": a})


def test_groups_inherit_defaults_and_keep_overrides(device):
    a, b = _params(device)
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.01, betas=(0.8, 0.9))
    assert opt.param_groups[0]["lr"] == 0.01
    assert opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["betas"] == (0.8, 0.9)
    assert opt.param_groups[1]["params"][0] is b


def test_add_param_group_fills_defaults_and_validates(device):
    a, b = _params(device)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9
    c = mg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [c], "lr": -1.0})


BAD = [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "weight_decay"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening"),
    ("Adam", dict(lr=-1e-3), "lr"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    ("Adam", dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    ("Adam", dict(weight_decay=-0.1), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    ("Adamax", dict(eps=-1.0), "eps"),
    ("NAdam", dict(momentum_decay=-1.0), "momentum_decay"),
    ("RAdam", dict(betas=(-0.1, 0.9)), r"betas\[0\]"),
    ("Adagrad", dict(lr_decay=-1.0), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("RMSprop", dict(alpha=-0.5), "alpha"),
    ("RMSprop", dict(momentum=-0.5), "momentum"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("Rprop", dict(etas=(1.5, 1.2)), "eta"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), "step_sizes"),
    ("ASGD", dict(weight_decay=-1.0), "weight_decay"),
    ("Lion", dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    ("Lion", dict(lr=-1.0), "lr"),
    ("LBFGS", dict(lr=-1.0), "lr"),
    ("LBFGS", dict(line_search_fn="armijo"), "line_search_fn"),
]


@pytest.mark.parametrize("name,kwargs,word", BAD, ids=[f"{n}-{list(k)[0]}" for n, k, _ in BAD])
def test_bad_hyperparameter_raises_value_error_naming_it(name, kwargs, word):
    with pytest.raises(ValueError, match=word):
        getattr(optim, name)([mg.zeros(2, requires_grad=True)], **kwargs)


def test_lbfgs_rejects_parameter_groups():
    a, b = mg.zeros(2, requires_grad=True), mg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])


def test_lbfgs_needs_a_closure():
    opt = optim.LBFGS([mg.zeros(2, requires_grad=True)])
    with pytest.raises(RuntimeError, match="closure"):
        opt.step(None)


# ------------------------------------------------------------------------ stepping
def test_zero_grad_sets_none_or_zeros(device):
    a, b = _params(device)
    opt = optim.SGD([a, b], lr=0.1)
    _set_grads([a, b], 0, device)
    opt.zero_grad(set_to_none=False)
    assert np.all(to_np(a.grad) == 0) and np.all(to_np(b.grad) == 0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("name", ALL)
def test_parameters_without_grad_are_skipped(name, device):
    a, b = _params(device)
    before = to_np(b).copy()
    opt = getattr(optim, name)([a, b], **RICH[name])
    for t in range(2):
        a.grad = mg.tensor(np.ones(a.shape), device=device)
        opt.step()
    np.testing.assert_array_equal(to_np(b), before)
    assert not opt.state.get(b) or name == "Adagrad"  # Adagrad creates its state eagerly, like torch


@pytest.mark.parametrize("name", ALL)
def test_step_leaves_gradients_untouched_and_bumps_the_version(name, device):
    a, b = _params(device)
    opt = getattr(optim, name)([a, b], maximize=True, **RICH[name])
    _set_grads([a, b], 0, device)
    grads = [to_np(p.grad).copy() for p in (a, b)]
    versions = [p._version for p in (a, b)]
    opt.step()
    opt.step()
    for p, g, v in zip((a, b), grads, versions):
        np.testing.assert_array_equal(to_np(p.grad), g)
        assert p._version > v


@pytest.mark.parametrize("name", ALL)
def test_float32_parameters_and_state_stay_float32(name, device):
    params = _params(device, dtype=mg.float32)
    opt = getattr(optim, name)(params, **RICH[name])
    _run(opt, params, 3, device)
    for p in params:
        assert p.dtype == mg.float32
        for value in opt.state[p].values():
            if isinstance(value, mg.Tensor):
                assert value.dtype == mg.float32 and value.device == p.device


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned(device):
    w = mg.tensor([1.0, -2.0], dtype=mg.float64, device=device, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert float(loss.item()) == pytest.approx(5.0)
    np.testing.assert_allclose(to_np(w), [0.8, -1.6])


def test_step_does_not_record_autograd_history(device):
    a, _ = _params(device)
    opt = optim.Adam([a], lr=0.1)
    _set_grads([a], 0, device)
    opt.step()
    assert a.is_leaf and a.requires_grad


# ------------------------------------------------------------------------ state_dict
def test_state_dict_has_torch_layout(device):
    a, b = _params(device)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    _run(opt, [a, b], 2, device)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 2
    assert isinstance(sd["state"][0]["exp_avg"], mg.Tensor)


@pytest.mark.parametrize("name", ALL)
def test_resuming_from_state_dict_gives_the_identical_trajectory(name, device):
    # uninterrupted run
    ref = _params(device)
    opt_ref = getattr(optim, name)(ref, **RICH[name])
    _run(opt_ref, ref, 10, device)
    # run 4 steps, snapshot, continue in a fresh optimizer (with different hyper-parameters,
    # which the snapshot must override) on copies of the parameters
    params = _params(device)
    opt = getattr(optim, name)(params, **RICH[name])
    _run(opt, params, 4, device)
    snapshot = copy.deepcopy(opt.state_dict())
    resumed = [mg.tensor(to_np(p), dtype=p.dtype, device=device, requires_grad=True) for p in params]
    opt2 = getattr(optim, name)(resumed, **{**RICH[name], "lr": 0.7})
    opt2.load_state_dict(snapshot)
    assert opt2.param_groups[0]["lr"] == RICH[name].get("lr", opt.defaults["lr"])
    _run(opt2, resumed, 6, device, start=4)
    for p, q in zip(resumed, ref):
        np.testing.assert_array_equal(to_np(p), to_np(q))


def test_loaded_state_is_a_copy_not_shared(device):
    a, _ = _params(device)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    _run(opt, [a], 2, device)
    b = mg.tensor(to_np(a), device=device, requires_grad=True)
    opt2 = optim.SGD([b], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    buf = opt2.state[b]["momentum_buffer"]
    assert buf is not opt.state[a]["momentum_buffer"]
    np.testing.assert_array_equal(to_np(buf), to_np(opt.state[a]["momentum_buffer"]))


def test_load_state_dict_casts_state_to_the_parameter_dtype(device):
    a = _params(device)[0]
    opt = optim.Adam([a], lr=0.1)
    _run(opt, [a], 2, device)
    b = mg.tensor(to_np(a), dtype=mg.float32, device=device, requires_grad=True)
    opt2 = optim.Adam([b], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[b]["exp_avg"].dtype == mg.float32
    assert isinstance(opt2.state[b]["step"], float)


def test_load_state_dict_rejects_mismatched_groups(device):
    a, b = _params(device)
    opt = optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="size"):
        optim.SGD([a], lr=0.1).load_state_dict(opt.state_dict())


def test_lbfgs_resume_gives_the_identical_trajectory(device):
    rng = np.random.default_rng(5)
    x, y = mg.tensor(rng.standard_normal((10, 4)), device=device), mg.tensor(rng.standard_normal(10), device=device)
    w0 = rng.standard_normal(4)

    def make():
        w = mg.tensor(w0, device=device, requires_grad=True)
        opt = optim.LBFGS([w], max_iter=3, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            r = x @ w - y
            loss = (r * r).sum() + 0.1 * (w ** 4).sum()
            loss.backward()
            return loss
        return w, opt, closure

    w_ref, opt_ref, closure_ref = make()
    for _ in range(4):
        opt_ref.step(closure_ref)
    w, opt, closure = make()
    for _ in range(2):
        opt.step(closure)
    w2, opt2, closure2 = make()
    w2.array[...] = w.array
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    for _ in range(2):
        opt2.step(closure2)
    np.testing.assert_array_equal(to_np(w2), to_np(w_ref))


def test_state_dict_survives_mg_save_and_load(device, tmp_path):
    pytest.importorskip("safetensors")
    params = _params(device)
    opt = optim.NAdam(params, lr=0.05)
    _run(opt, params, 3, device)
    path = tmp_path / "opt.safetensors"
    mg.save(opt.state_dict(), str(path))
    loaded = mg.load(str(path))
    resumed = [mg.tensor(to_np(p), device=device, requires_grad=True) for p in params]
    opt2 = optim.NAdam(resumed, lr=0.05)
    opt2.load_state_dict(loaded)
    _run(opt, params, 3, device, start=3)
    _run(opt2, resumed, 3, device, start=3)
    for p, q in zip(resumed, params):
        np.testing.assert_array_equal(to_np(p), to_np(q))


_ALL_OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "RMSprop", "Adadelta", "Rprop",
                   "ASGD", "Lion"]


@pytest.mark.parametrize("new_storage, error, words", [
    (lambda: mg.zeros(4), RuntimeError, "shape (3,)"),
    (lambda: mg.zeros(3, dtype=mg.float64), TypeError, "dtype"),
], ids=["shape", "dtype"])
@pytest.mark.parametrize("name", _ALL_OPTIMIZERS)
def test_a_gradient_that_no_longer_fits_raises_before_any_parameter_is_updated(name, new_storage, error, words):
    """`.grad` assignment is checked, but a parameter's storage can be replaced after
    backward (``p.data = ...``): the step checks every gradient before it updates any."""
    good = mg.tensor([1.0, 2.0], requires_grad=True)
    bad = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    good.grad, bad.grad = mg.tensor([0.5, 0.5]), mg.tensor([0.5, 0.5, 0.5])
    opt = getattr(optim, name)([{"params": [good]}, {"params": [bad]}], lr=0.1)
    state_before = {k: set(v) for k, v in opt.state.items()}
    bad.data = new_storage()
    with pytest.raises(error, match=r"parameter 0 of parameter group 1.*" + re.escape(words)):
        opt.step()
    assert good.tolist() == [1.0, 2.0] and not any(bad.tolist())
    assert good._version == 0
    assert {k: set(v) for k, v in opt.state.items()} == state_before


def test_lbfgs_checks_gradients_too():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.LBFGS([p])

    def closure():
        p.data = mg.tensor([1.0, 2.0])
        p.grad = mg.ones(2)
        p.data = mg.zeros(3)  # the storage replaced after the gradient was set
        return mg.tensor(1.0)

    with pytest.raises(RuntimeError, match="shape"):
        opt.step(closure)
    assert p.tolist() == [0.0, 0.0, 0.0]
