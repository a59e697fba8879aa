"""Large parameters are updated in two lanes (two threads over the halves of the arrays):
the same bits as one lane, errors from either lane reach the caller, and a forked child
(a DataLoader worker, say) gets a working lane of its own. The thresholds are lowered
here so that small arrays take the path."""
import multiprocessing
import os
import sys
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import _functional as F

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-nesterov-wd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "Adam-amsgrad-maximize": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, maximize=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
    "Adamax": lambda ps: optim.Adamax(ps, lr=0.01),
    "NAdam": lambda ps: optim.NAdam(ps, lr=0.01),
    "RAdam": lambda ps: optim.RAdam(ps, lr=0.01),
    "RMSprop-centered-momentum": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=1.0),
    "ASGD": lambda ps: optim.ASGD(ps, lr=0.01),
    "Rprop": lambda ps: optim.Rprop(ps, lr=0.01),
    "Lion": lambda ps: optim.Lion(ps, lr=0.01),
}


@pytest.fixture
def small_lanes(monkeypatch):
    """Two lanes from 2,000 value-passes, 128 values a piece: several pieces per lane."""
    monkeypatch.setattr(F, "LANE_WORK", 2000)
    monkeypatch.setattr(F, "LANE_CHUNK", 128)
    monkeypatch.setattr(F, "_CORES", 2)


def _train(make, shape=(41, 53), steps=3, seed=0):
    """`steps` updates of one float32 parameter from fixed random gradients; its values."""
    rng = np.random.default_rng(seed)
    p = mg.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    opt = make([p])
    for _ in range(steps):
        p.grad = mg.tensor(rng.standard_normal(shape).astype(np.float32))
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_two_lanes_give_the_bits_of_one(name, small_lanes, monkeypatch):
    calls = []
    two_lanes = F.run_in_two_lanes
    monkeypatch.setattr(F, "run_in_two_lanes", lambda *a, **k: calls.append(1) or two_lanes(*a, **k))
    laned = _train(OPTIMIZERS[name])
    assert calls, "the update did not take the two-lane path"
    monkeypatch.setattr(F, "LANE_WORK", 1 << 62)
    np.testing.assert_array_equal(laned, _train(OPTIMIZERS[name]))


def test_small_or_strided_parameters_stay_in_one_lane(small_lanes):
    p = mg.zeros(40, 30)
    assert not F.takes_two_lanes([p.array[:5], p.array[:5]], passes=8)  # 150 values x 8: too little work
    assert F.takes_two_lanes([p.array[:34], p.array[:34]], passes=2)  # 1,020 values x 2
    assert not F.takes_two_lanes([p.array[:34], p.array[:34]], passes=1)  # the same values, half the passes
    assert not F.takes_two_lanes([p.array.T, p.array.T], passes=8)  # not contiguous: no flat views
    assert F.takes_two_lanes([p.array, p.array, None], passes=8)


def _failing_rule(param, grad, scratch, *, fail_in):
    """A rule that raises in one lane (the worker's thread name tells which)."""
    if (threading.current_thread().name.startswith("minigrad-update")) == (fail_in == "second"):
        raise FloatingPointError(f"{fail_in} lane")
    param += grad


@pytest.mark.parametrize("fail_in", ["first", "second"])
def test_an_error_in_either_lane_reaches_the_caller(fail_in, small_lanes):
    param, grad = np.zeros(4000, np.float32), np.ones(4000, np.float32)
    scratch = (np.empty(2 * F.LANE_CHUNK, np.float32),)
    with pytest.raises(FloatingPointError, match=f"{fail_in} lane"):
        F.run_in_two_lanes(_failing_rule, [param, grad], scratch, fail_in=fail_in)
    # the other lane finished its half before the error was raised
    done = param[2000:] if fail_in == "first" else param[:2000]
    assert (done == 1).all()


def _step_in_child(conn):
    conn.send(_train(OPTIMIZERS["Adam"], seed=1))
    conn.close()


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_gets_its_own_second_lane(small_lanes):
    expected = _train(OPTIMIZERS["Adam"], seed=1)  # the parent's worker thread now exists
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=_step_in_child, args=(child_end,))
    child.start()
    try:
        assert parent_end.poll(60), "the child's update hung: its lane is the parent's dead thread"
        np.testing.assert_array_equal(parent_end.recv(), expected)
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0


@pytest.mark.parametrize("make, values, laned", [
    # Adam, ~8 passes: from 262,144 values
    (lambda ps: optim.Adam(ps, lr=1e-3, fused=False), 1 << 18, True),
    (lambda ps: optim.Adam(ps, lr=1e-3, fused=False), (1 << 18) - 1024, False),
    # SGD with momentum, ~4 light passes: from 524,288
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, fused=False), 1 << 18, False),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, fused=False), 1 << 19, True),
    # plain SGD, ~2 passes: from 1M
    (lambda ps: optim.SGD(ps, lr=0.1, fused=False), 1 << 19, False),
    # ASGD's light passes count as 2, Lion's slow sign() as 16 (measured break-even points)
    (lambda ps: optim.ASGD(ps, lr=0.01), 1 << 19, False),
    (lambda ps: optim.ASGD(ps, lr=0.01), 1 << 20, True),
    (lambda ps: optim.Lion(ps, lr=0.01), 1 << 17, True),
])
def test_heavier_rules_take_two_lanes_from_fewer_values(make, values, laned, monkeypatch):
    """Without MKL's fused path (fused=False), which threads every pass itself."""
    monkeypatch.setattr(F, "_CORES", 2)
    calls = []
    two_lanes = F.run_in_two_lanes
    monkeypatch.setattr(F, "run_in_two_lanes", lambda *a, **k: calls.append(1) or two_lanes(*a, **k))
    p = mg.zeros(values, requires_grad=True)
    p.grad = mg.ones(values)
    make([p]).step()
    assert bool(calls) == laned
    assert float(p.array[0]) == float(p.array[-1]) != 0.0  # both halves were updated


@pytest.mark.parametrize("omp, expected", [("1", 1), ("", None), ("0", None), ("lots", None)])
def test_omp_num_threads_caps_the_update_lanes(omp, expected, monkeypatch):
    """OMP_NUM_THREADS=1 keeps updates on one thread, as it keeps torch's kernels; unset or
    unreadable, the cores the process may use count."""
    if omp:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    else:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert F._usable_cores() == (cores if expected is None else min(cores, expected))
