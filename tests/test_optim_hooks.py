"""Optimizer hooks, as torch.optim's: per-instance and global step pre/post hooks with
handles and PyTorch's call signatures, and the state_dict hooks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


def _sgd(lr=0.1):
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    p.grad = mg.tensor([1.0, 1.0])
    return p, optim.SGD([p], lr=lr)


def test_step_hooks_run_around_the_step_with_optimizer_args_and_kwargs():
    p, opt = _sgd()
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o, args, kwargs, p.tolist())))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o, args, kwargs, p.tolist())))
    opt.step()
    assert [c[0] for c in calls] == ["pre", "post"]
    assert calls[0][1] is opt and calls[0][2] == () and calls[0][3] == {}
    assert calls[0][4] == [1.0, 2.0]
    np.testing.assert_allclose(calls[1][4], [0.9, 1.9])


def test_pre_hook_may_replace_the_step_arguments():
    p, opt = _sgd()
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": lambda: seen.append(1) or 7.0}))
    assert opt.step() == 7.0
    assert seen == [1]


def test_pre_hook_returning_something_else_raises():
    p, opt = _sgd()
    opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_removed_hook_is_not_called():
    p, opt = _sgd()
    calls = []
    handle = opt.register_step_post_hook(lambda *a: calls.append(1))
    opt.step()
    handle.remove()
    opt.step()
    assert calls == [1]


def test_global_hooks_run_for_every_optimizer_outside_the_instance_hooks():
    p, opt = _sgd()
    q = mg.tensor([0.5], requires_grad=True)
    q.grad = mg.tensor([1.0])
    other = optim.Adam([q])
    order = []
    handles = [register_optimizer_step_pre_hook(lambda o, a, k: order.append(("global pre", type(o).__name__))),
               register_optimizer_step_post_hook(lambda o, a, k: order.append(("global post", type(o).__name__)))]
    opt.register_step_pre_hook(lambda o, a, k: order.append(("own pre", "SGD")))
    opt.register_step_post_hook(lambda o, a, k: order.append(("own post", "SGD")))
    try:
        opt.step()
        other.step()
    finally:
        for h in handles:
            h.remove()
    other.step()
    assert order == [("global pre", "SGD"), ("own pre", "SGD"), ("own post", "SGD"), ("global post", "SGD"),
                     ("global pre", "Adam"), ("global post", "Adam")]


def test_hooks_run_once_for_a_subclass_step_that_calls_the_base_step():
    class Wrapped(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = mg.tensor([1.0], requires_grad=True)
    p.grad = mg.tensor([1.0])
    opt = Wrapped([p], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    opt.step()
    assert calls == ["pre", "post"]
    assert p.tolist() == [0.5]


def test_lbfgs_runs_its_step_hooks():
    p = mg.tensor([3.0], requires_grad=True)
    opt = optim.LBFGS([p], max_iter=2)
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(len(args) + len(kwargs)))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert calls == [1]


def test_state_dict_hooks_see_and_may_replace_the_state_dict():
    p, opt = _sgd()
    opt.step()
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert seen == ["pre"] and sd["extra"] == 1

    loaded = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(o.param_groups[0]["lr"]))
    sd["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(sd)
    assert loaded == [0.25]


def test_hook_must_be_callable():
    p, opt = _sgd()
    with pytest.raises(TypeError, match="callable"):
        opt.register_step_pre_hook(3)
