"""Each update rule checked by hand: a scalar parameter p0 = 1 receives the fixed gradients
0.5 then -0.25, and the expected values are worked out from the paper's / PyTorch's
formulas step by step in the comments. No torch needed."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

from conftest import to_np

G1, G2 = 0.5, -0.25


def _two_steps(device, make, grads=(G1, G2)):
    p = mg.tensor([1.0], dtype=mg.float64, device=device, requires_grad=True)
    opt = make([p])
    values = []
    for g in grads:
        p.grad = mg.tensor([g], dtype=mg.float64, device=device)
        opt.step()
        values.append(float(to_np(p)[0]))
    return values, opt, p


def _adam_moments():
    """m and v (bias-corrected) after the second step with betas (0.9, 0.999)."""
    m2 = 0.9 * (0.1 * G1) + 0.1 * G2                      # 0.02
    v2 = 0.999 * (0.001 * G1 ** 2) + 0.001 * G2 ** 2       # 0.00031225
    return m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)


HAND = {
    # p1 = 1 - 0.1*0.5;  p2 = p1 + 0.1*0.25
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), [0.95, 0.975]),
    # buffer starts as the gradient: b1 = 0.5, p1 = 0.95; b2 = 0.9*0.5 - 0.25 = 0.2, p2 = 0.95 - 0.02
    "sgd_momentum": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), [0.95, 0.93]),
    # d1 = g + 0.9*b1 = 0.95 -> p1 = 0.905;  b2 = 0.2, d2 = -0.25 + 0.18 = -0.07 -> p2 = 0.912
    "sgd_nesterov": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), [0.905, 0.912]),
    # dampening is not applied to the first step: b1 = 0.5; b2 = 0.45 + 0.5*(-0.25) = 0.325
    "sgd_dampening": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5), [0.95, 0.9175]),
    # g1 = 0.5 + 0.1*1 = 0.6 -> 0.94;  g2 = -0.25 + 0.1*0.94 = -0.156 -> 0.9556
    "sgd_weight_decay": (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.1), [0.94, 0.9556]),
    # maximize climbs: p1 = 1 + 0.05, p2 = 1.05 - 0.025
    "sgd_maximize": (lambda ps: optim.SGD(ps, lr=0.1, maximize=True), [1.05, 1.025]),
    # step 1: m_hat = 0.5, v_hat = 0.25 -> p1 = 1 - 0.1 * 0.5/0.5;  step 2 from the moments
    "adam": (lambda ps: optim.Adam(ps, lr=0.1, eps=0.0),
             [0.9, 0.9 - 0.1 * _adam_moments()[0] / math.sqrt(_adam_moments()[1])]),
    # decoupled decay first: p1 = 1*(1 - 0.1*0.5) - 0.1 = 0.85;  p2 = 0.85*0.95 - Adam's step
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.1, eps=0.0, weight_decay=0.5),
              [0.85, 0.85 * 0.95 - 0.1 * _adam_moments()[0] / math.sqrt(_adam_moments()[1])]),
    # u1 = |0.5| -> p1 = 1 - 0.1/0.1 * 0.05/0.5 = 0.9;  m2 = 0.02, u2 = max(0.4995, 0.25)
    "adamax": (lambda ps: optim.Adamax(ps, lr=0.1, eps=0.0), [0.9, 0.9 - 0.1 / (1 - 0.81) * 0.02 / 0.4995]),
    # rho_t <= 5 in the first steps: un-adapted momentum, p -= lr * m_hat
    "radam": (lambda ps: optim.RAdam(ps, lr=0.1), [0.95, 0.95 - 0.1 * 0.02 / 0.19]),
    # s1 = 0.25 -> p1 = 1 - 0.1*0.5/0.5;  s2 = 0.3125 -> p2 = 0.9 + 0.1*0.25/sqrt(0.3125)
    "adagrad": (lambda ps: optim.Adagrad(ps, lr=0.1, eps=0.0), [0.9, 0.9 + 0.1 * 0.25 / math.sqrt(0.3125)]),
    # lr decays as lr / (1 + (t-1) * lr_decay): the second step uses 0.1 / 2
    "adagrad_lr_decay": (lambda ps: optim.Adagrad(ps, lr=0.1, eps=0.0, lr_decay=1.0),
                         [0.9, 0.9 + 0.05 * 0.25 / math.sqrt(0.3125)]),
    # v1 = 0.01*0.25 = 0.0025 -> p1 = 1 - 0.01*0.5/0.05;  v2 = 0.99*0.0025 + 0.01*0.0625 = 0.0031
    "rmsprop": (lambda ps: optim.RMSprop(ps, lr=0.01, eps=0.0), [0.9, 0.9 + 0.01 * 0.25 / math.sqrt(0.0031)]),
    # centered: gbar1 = 0.005, v1 - gbar1^2 = 0.0025 - 0.000025
    "rmsprop_centered": (lambda ps: optim.RMSprop(ps, lr=0.01, eps=0.0, centered=True),
                         [1 - 0.01 * 0.5 / math.sqrt(0.0025 - 0.005 ** 2),
                          1 - 0.01 * 0.5 / math.sqrt(0.0025 - 0.005 ** 2)
                          + 0.01 * 0.25 / math.sqrt(0.0031 - (0.99 * 0.005 - 0.0025) ** 2)]),
    # every coordinate moves by exactly lr: p1 = 0.99 (decay) - 0.1;  p2 = 0.89*0.99 + 0.1 because
    # b1*m + (1-b1)*g2 = 0.9*0.005 - 0.025 < 0
    "lion": (lambda ps: optim.Lion(ps, lr=0.1, weight_decay=0.1), [0.89, 0.89 * 0.99 + 0.1]),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_two_steps_match_hand_computed_values(name, device):
    make, expected = HAND[name]
    values, _, _ = _two_steps(device, make)
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_adadelta_two_steps_by_hand(device):
    # v1 = 0.1*0.25; delta1 = sqrt(0 + eps)/sqrt(v1 + eps) * 0.5; u1 = 0.1*delta1^2; and again
    eps = 1e-6
    v1 = 0.1 * G1 ** 2
    d1 = math.sqrt(eps) / math.sqrt(v1 + eps) * G1
    u1 = 0.1 * d1 ** 2
    v2 = 0.9 * v1 + 0.1 * G2 ** 2
    d2 = math.sqrt(u1 + eps) / math.sqrt(v2 + eps) * G2
    values, opt, p = _two_steps(device, lambda ps: optim.Adadelta(ps))
    np.testing.assert_allclose(values, [1 - d1, 1 - d1 - d2], rtol=1e-12)
    np.testing.assert_allclose(to_np(opt.state[p]["acc_delta"]), [0.9 * u1 + 0.1 * d2 ** 2], rtol=1e-12)


def test_rprop_skips_the_step_after_a_sign_flip(device):
    # step 1: no previous sign -> step 0.1 downhill; step 2: sign flipped -> step size halves
    # to 0.05 and the parameter stays; step 3: previous gradient was zeroed -> move 0.05
    values, opt, p = _two_steps(device, lambda ps: optim.Rprop(ps, lr=0.1), grads=(G1, G2, G2))
    np.testing.assert_allclose(values, [0.9, 0.9, 0.95], rtol=1e-12)
    np.testing.assert_allclose(to_np(opt.state[p]["step_size"]), [0.05], rtol=1e-12)


def test_rprop_step_size_grows_and_is_clamped(device):
    values, opt, p = _two_steps(device, lambda ps: optim.Rprop(ps, lr=0.1, step_sizes=(1e-6, 0.15)),
                                grads=(G1, G1, G1))
    # 0.1, then 0.12, then min(0.144, 0.15)
    np.testing.assert_allclose(values, [0.9, 0.78, 0.78 - 0.144], rtol=1e-12)


def test_asgd_schedules_eta_and_mu(device):
    lr, lambd, alpha, t0 = 0.1, 0.5, 1.0, 1
    values, opt, p = _two_steps(device, lambda ps: optim.ASGD(ps, lr=lr, lambd=lambd, alpha=alpha, t0=t0))
    eta2 = lr / (1 + lambd * lr * 1) ** alpha
    # p1 = 1*(1 - lambd*lr) - lr*g1;  p2 = p1*(1 - lambd*eta2) - eta2*g2
    p1 = (1 - lambd * lr) - lr * G1
    np.testing.assert_allclose(values, [p1, p1 * (1 - lambd * eta2) - eta2 * G2], rtol=1e-12)
    state = opt.state[p]
    assert state["eta"] == pytest.approx(lr / (1 + lambd * lr * 2) ** alpha, rel=1e-15)
    assert state["mu"] == 1 / max(1, 2 - t0)
    np.testing.assert_allclose(to_np(state["ax"]), to_np(p))  # mu was 1: the average is the iterate


def _lion_reference(p, grads, lr, beta1, beta2, wd):
    """Lion as written in the paper (Chen et al., 2023, Algorithm 2), in NumPy."""
    m = np.zeros_like(p)
    for g in grads:
        update = np.sign(beta1 * m + (1 - beta1) * g)
        p = p * (1 - lr * wd) - lr * update
        m = beta2 * m + (1 - beta2) * g
    return p, m


def test_lion_matches_the_paper_over_many_steps(device):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(70_000)  # larger than a CPU chunk
    grads = [rng.standard_normal(p0.shape) for _ in range(15)]
    p = mg.tensor(p0, device=device, requires_grad=True)
    opt = optim.Lion([p], lr=0.01, betas=(0.8, 0.95), weight_decay=0.2)
    for g in grads:
        p.grad = mg.tensor(g, device=device)
        opt.step()
    expected_p, expected_m = _lion_reference(p0, grads, 0.01, 0.8, 0.95, 0.2)
    np.testing.assert_allclose(to_np(p), expected_p, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_np(opt.state[p]["exp_avg"]), expected_m, rtol=1e-12, atol=1e-14)


def test_lion_defaults_follow_the_paper():
    opt = optim.Lion([mg.zeros(2, requires_grad=True)])
    assert opt.defaults["lr"] == 1e-4
    assert opt.defaults["betas"] == (0.9, 0.99)
    assert opt.defaults["weight_decay"] == 0.0


def test_nadam_momentum_schedule_matches_its_formula(device):
    values, opt, p = _two_steps(device, lambda ps: optim.NAdam(ps, lr=0.1, eps=0.0))
    mu = [0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2, 3)]
    assert opt.state[p]["mu_product"] == pytest.approx(mu[0] * mu[1], rel=1e-15)
    # step 1: m = 0.05, sqrt(v / (1 - b2)) = 0.5
    p1 = 1 - 0.1 * (1 - mu[0]) / (1 - mu[0]) * G1 / 0.5 - 0.1 * mu[1] / (1 - mu[0] * mu[1]) * 0.05 / 0.5
    assert values[0] == pytest.approx(p1, rel=1e-12)
