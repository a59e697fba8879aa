"""Every learning-rate scheduler: the full per-group lr (and momentum) sequence against
torch.optim.lr_scheduler, closed forms where they are simple, state_dict resume.
(``mg.viz.plot_schedule`` is tested in test_viz_plots.py.)"""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as mls

STEPS = 25
METRICS = [1.0, 0.9, 0.91, 0.92, 0.93, 0.8, 0.8, 0.81, 0.79, 0.795, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85,
           0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78]

# name -> (optimizer kind, factory(S, opt) building the scheduler with either library)
SCHEDULES = {
    "LambdaLR": ("sgd", lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e)),
    "LambdaLR-per-group": ("sgd", lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e])),
    "MultiplicativeLR": ("sgd", lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9)),
    "StepLR": ("sgd", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5)),
    "MultiStepLR": ("sgd", lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3)),
    "ConstantLR": ("sgd", lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=4)),
    "LinearLR": ("sgd", lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7)),
    "ExponentialLR": ("sgd", lambda S, o: S.ExponentialLR(o, gamma=0.8)),
    "PolynomialLR": ("sgd", lambda S, o: S.PolynomialLR(o, total_iters=9, power=2.0)),
    "CosineAnnealingLR": ("sgd", lambda S, o: S.CosineAnnealingLR(o, T_max=6, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": ("sgd", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                                      eta_min=0.001)),
    "CyclicLR-triangular": ("sgd", lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3],
                                                           step_size_up=4, step_size_down=3)),
    "CyclicLR-triangular2": ("sgd", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                                            mode="triangular2")),
    "CyclicLR-exp_range-adam": ("adam", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                                mode="exp_range", gamma=0.9)),
    "CyclicLR-scale_fn-iterations": ("sgd", lambda S, o: S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations",
        cycle_momentum=False)),
    "OneCycleLR-cos": ("sgd", lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=STEPS + 1)),
    "OneCycleLR-linear-three_phase-adam": ("adam", lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, epochs=2, steps_per_epoch=13, pct_start=0.25, anneal_strategy="linear", three_phase=True,
        div_factor=10.0, final_div_factor=100.0)),
    "ReduceLROnPlateau-min-rel": ("sgd", lambda S, o: S.ReduceLROnPlateau(o, patience=2, factor=0.5)),
    "ReduceLROnPlateau-max-abs-cooldown": ("sgd", lambda S, o: S.ReduceLROnPlateau(
        o, mode="max", threshold_mode="abs", threshold=0.01, patience=1, cooldown=2, factor=0.3,
        min_lr=[0.01, 0.05])),
    "SequentialLR": ("sgd", lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=4), S.CosineAnnealingLR(o, T_max=8),
            S.ExponentialLR(o, gamma=0.9)], milestones=[4, 15])),
    "ChainedScheduler": ("sgd", lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=5), S.ExponentialLR(o, gamma=0.9), S.StepLR(o, 4, 0.5)])),
}


def _optimizer(lib, kind):
    """Two parameter groups with different learning rates."""
    if lib is optim:
        a, b = mg.zeros(3, requires_grad=True), mg.zeros(2, requires_grad=True)
    else:
        a, b = lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)
        lib = lib.optim
    groups = [{"params": [a]}, {"params": [b], "lr": 0.2}]
    if kind == "adam":
        return lib.Adam(groups, lr=0.1, betas=(0.9, 0.999))
    return lib.SGD(groups, lr=0.1, momentum=0.9)


def _momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def _record(opt, scheduler, steps, start=0):
    """(lr per group, momentum per group) in force at each step, stepping after the optimizer."""
    lrs, moms = [], []
    for t in range(start, start + steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([_momentum(g) for g in opt.param_groups])
        opt.step()
        if isinstance(scheduler, (mls.ReduceLROnPlateau,)) or type(scheduler).__name__ == "ReduceLROnPlateau":
            scheduler.step(METRICS[t])
        else:
            scheduler.step()
    return lrs, moms


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_lr_sequence_matches_torch(name, torch):
    kind, factory = SCHEDULES[name]
    opt_mine, opt_theirs = _optimizer(optim, kind), _optimizer(torch, kind)
    sched_mine, sched_theirs = factory(mls, opt_mine), factory(torch.optim.lr_scheduler, opt_theirs)
    lrs_mine, moms_mine = _record(opt_mine, sched_mine, STEPS)
    lrs_theirs, moms_theirs = _record(opt_theirs, sched_theirs, STEPS)
    np.testing.assert_allclose(lrs_mine, lrs_theirs, rtol=1e-13, atol=0)
    np.testing.assert_allclose(moms_mine, moms_theirs, rtol=1e-13, atol=0)
    np.testing.assert_allclose(sched_mine.get_last_lr(), sched_theirs.get_last_lr(), rtol=1e-13)
    assert all(isinstance(lr, float) for row in lrs_mine for lr in row)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_resume_from_state_dict_continues_the_same_sequence(name):
    kind, factory = SCHEDULES[name]
    opt, k = _optimizer(optim, kind), 9
    sched = factory(mls, opt)
    reference = _record(opt, sched, STEPS)
    opt = _optimizer(optim, kind)
    sched = factory(mls, opt)
    first = _record(opt, sched, k)
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    # a fresh run: build everything again, then load the optimizer and the scheduler
    opt2 = _optimizer(optim, kind)
    sched2 = factory(mls, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = _record(opt2, sched2, STEPS - k, start=k)
    assert first[0] + rest[0] == reference[0]
    assert first[1] + rest[1] == reference[1]


# ------------------------------------------------------------------------ closed forms
def _lrs(factory, steps=STEPS, lr=0.1):
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=lr)
    sched = factory(opt)
    return [l[0] for l in _record(opt, sched, steps)[0]]


def test_step_lr_closed_form():
    lrs = _lrs(lambda o: mls.StepLR(o, step_size=4, gamma=0.5))
    assert lrs == pytest.approx([0.1 * 0.5 ** (t // 4) for t in range(STEPS)], rel=1e-14)


def test_multistep_lr_closed_form():
    lrs = _lrs(lambda o: mls.MultiStepLR(o, milestones=[3, 8], gamma=0.1))
    assert lrs == pytest.approx([0.1 * 0.1 ** ((t >= 3) + (t >= 8)) for t in range(STEPS)], rel=1e-13)


def test_exponential_lr_closed_form():
    assert _lrs(lambda o: mls.ExponentialLR(o, 0.9)) == pytest.approx([0.1 * 0.9 ** t for t in range(STEPS)],
                                                                       rel=1e-13)


def test_linear_and_polynomial_lr_closed_forms():
    lin = _lrs(lambda o: mls.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=8))
    assert lin == pytest.approx([0.1 * (0.2 + 0.8 * min(t, 8) / 8) for t in range(STEPS)], rel=1e-13)
    poly = _lrs(lambda o: mls.PolynomialLR(o, total_iters=10, power=3.0))
    assert poly == pytest.approx([0.1 * (1 - min(t, 10) / 10) ** 3 for t in range(STEPS)], rel=1e-12, abs=1e-16)


def test_cosine_annealing_follows_the_cosine_within_a_period():
    lrs = _lrs(lambda o: mls.CosineAnnealingLR(o, T_max=10, eta_min=0.01), steps=11)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_warm_restarts_restart_at_the_right_epochs():
    lrs = _lrs(lambda o: mls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2), steps=15)
    restarts = [t for t in range(15) if lrs[t] == pytest.approx(0.1)]
    assert restarts == [0, 2, 6, 14]


def test_warm_restarts_accept_fractional_epochs(torch):
    opt_mine, opt_theirs = _optimizer(optim, "sgd"), _optimizer(torch, "sgd")
    mine = mls.CosineAnnealingWarmRestarts(opt_mine, T_0=3, T_mult=2)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_theirs, T_0=3, T_mult=2)
    for epoch in np.arange(0, 12, 0.37):
        mine.step(float(epoch))
        theirs.step(float(epoch))
        assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-13)


def test_one_cycle_raises_past_total_steps():
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = mls.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    opt.step()
    for _ in range(3):  # epochs 1..3 are allowed (torch's bound), the 4th step is not
        sched.step()
    with pytest.raises(ValueError, match="total steps"):
        sched.step()


def test_reduce_on_plateau_respects_min_lr_per_group():
    opt = _optimizer(optim, "sgd")
    sched = mls.ReduceLROnPlateau(opt, factor=0.1, patience=0, min_lr=[0.05, 0.0])
    for _ in range(4):
        sched.step(1.0)
    assert sched.get_last_lr()[0] == 0.05
    assert sched.get_last_lr()[1] == pytest.approx(0.2 * 0.1 ** 3)


# ------------------------------------------------------------------------ validation, protocol
@pytest.mark.parametrize("make,word", [
    (lambda o: mls.ConstantLR(o, factor=2.0), "factor"),
    (lambda o: mls.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: mls.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
    (lambda o: mls.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "mode"),
    (lambda o: mls.OneCycleLR(o, max_lr=1.0), "total_steps"),
    (lambda o: mls.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="cubic"), "anneal_strategy"),
    (lambda o: mls.ReduceLROnPlateau(o, factor=1.0), "Factor"),
    (lambda o: mls.ReduceLROnPlateau(o, mode="best"), "mode"),
    (lambda o: mls.LambdaLR(o, [lambda e: 1.0] * 3), "lr_lambdas"),
], ids=["ConstantLR", "LinearLR", "WarmRestarts", "CyclicLR", "OneCycle-steps", "OneCycle-anneal",
        "Plateau-factor", "Plateau-mode", "LambdaLR"])
def test_bad_scheduler_arguments_raise_value_error(make, word):
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=word):
        make(opt)


def test_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = optim.Adagrad([mg.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        mls.CyclicLR(opt, 0.01, 0.1)


def test_scheduler_rejects_a_non_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        mls.StepLR(object(), step_size=2)


def test_initial_lr_and_base_lrs_are_set():
    opt = _optimizer(optim, "sgd")
    sched = mls.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == [0.1, 0.2]
    assert sched.last_epoch == 0


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        mls.StepLR(opt, step_size=2, last_epoch=3)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1)
    sched = mls.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
