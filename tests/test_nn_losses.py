"""Losses: float64 parity with torch for every loss, option and reduction; bad inputs."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from nn_parity import assert_close, check_fn

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)
X = rng.standard_normal((6, 5))
Y = rng.standard_normal((6, 5)) * 1.5
P = 1 / (1 + np.exp(-X))  # probabilities for BCE
B = (rng.random((6, 5)) > 0.5).astype(np.float64)
LOGITS = rng.standard_normal((7, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3, 0])
W4 = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [
    ("MSELoss", {}), ("L1Loss", {}), ("HuberLoss", {}), ("HuberLoss", {"delta": 0.7}),
    ("SmoothL1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}), ("SmoothL1Loss", {"beta": 0.0}),
])
def test_regression_loss_matches_torch(torch, device, name, kwargs, reduction):
    check_fn(torch, getattr(nn, name)(reduction=reduction, **kwargs),
             getattr(torch.nn, name)(reduction=reduction, **kwargs), [X, Y], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(torch, device, reduction, weighted):
    w = rng.random(5) + 0.5 if weighted else None
    m = nn.BCELoss(weight=None if w is None else mg.tensor(w, device=device), reduction=reduction)
    t = torch.nn.BCELoss(weight=None if w is None else torch.tensor(w), reduction=reduction)
    check_fn(torch, m, t, [P, B], device)


def test_bce_clamps_log_at_minus_100_like_torch(torch, device):
    p = np.array([0.0, 1.0, 1e-300, 1 - 1e-16, 0.5])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.3])
    check_fn(torch, nn.BCELoss(reduction="none"), torch.nn.BCELoss(reduction="none"), [p, y], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch(torch, device, reduction, options):
    kw_m, kw_t = {}, {}
    if options in ("weight", "both"):
        w = rng.random((6, 1)) + 0.5
        kw_m["weight"], kw_t["weight"] = mg.tensor(w, device=device), torch.tensor(w)
    if options in ("pos_weight", "both"):
        pw = rng.random(5) * 3
        kw_m["pos_weight"], kw_t["pos_weight"] = mg.tensor(pw, device=device), torch.tensor(pw)
    check_fn(torch, nn.BCEWithLogitsLoss(reduction=reduction, **kw_m),
             torch.nn.BCEWithLogitsLoss(reduction=reduction, **kw_t), [X * 5, B], device)


def test_bce_with_logits_is_stable_for_huge_logits(device):
    x = mg.tensor([1e4, -1e4, 800.0, -800.0], dtype=mg.float64, device=device, requires_grad=True)
    y = mg.tensor([0.0, 1.0, 1.0, 0.0], dtype=mg.float64, device=device)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1e4, 1e4, 0.0, 0.0], atol=1e-300)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [1.0, -1.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [-100, 3])
def test_nll_loss_matches_torch(torch, device, reduction, weighted, ignore):
    logp = torch.log_softmax(torch.tensor(LOGITS), 1).detach().numpy()
    kw_m = {"weight": mg.tensor(W4, device=device)} if weighted else {}
    kw_t = {"weight": torch.tensor(W4)} if weighted else {}
    m = nn.NLLLoss(ignore_index=ignore, reduction=reduction, **kw_m)
    t = torch.nn.NLLLoss(ignore_index=ignore, reduction=reduction, **kw_t)
    check_fn(torch, m, t, [logp, LABELS], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [-100, 3])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices_matches_torch(torch, device, reduction, weighted, ignore, smoothing):
    kw_m = {"weight": mg.tensor(W4, device=device)} if weighted else {}
    kw_t = {"weight": torch.tensor(W4)} if weighted else {}
    m = nn.CrossEntropyLoss(ignore_index=ignore, reduction=reduction, label_smoothing=smoothing, **kw_m)
    t = torch.nn.CrossEntropyLoss(ignore_index=ignore, reduction=reduction, label_smoothing=smoothing, **kw_t)
    check_fn(torch, m, t, [LOGITS, LABELS], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets_match_torch(torch, device, reduction, weighted, smoothing):
    probs = torch.softmax(torch.tensor(rng.standard_normal((7, 4))), 1).detach().numpy()
    kw_m = {"weight": mg.tensor(W4, device=device)} if weighted else {}
    kw_t = {"weight": torch.tensor(W4)} if weighted else {}
    check_fn(torch, nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing, **kw_m),
             torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing, **kw_t),
             [LOGITS, probs], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_input_matches_torch(torch, device, reduction):
    x = rng.standard_normal((3, 4, 5, 2))
    y = rng.integers(0, 4, (3, 5, 2))
    y[0, 0, 0] = -100
    check_fn(torch, nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
             torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1), [x, y], device)


def test_cross_entropy_single_sample_input_matches_torch(torch, device):
    check_fn(torch, nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), [LOGITS[0], np.array(2)], device)


def test_cross_entropy_is_stable_for_logits_of_1e4(torch, device):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [5e3, -5e3, 0.0]])
    y = np.array([1, 2, 0])
    out, _ = check_fn(torch, nn.CrossEntropyLoss(reduction="none"), torch.nn.CrossEntropyLoss(reduction="none"),
                      [x, y], device)
    assert np.all(np.isfinite(out.detach().numpy()))


def test_cross_entropy_float32_close_to_torch(torch, device):
    check_fn(torch, nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1),
             [LOGITS.astype(np.float32), LABELS], device, rtol=1e-5, atol=1e-6)


def test_cross_entropy_all_targets_ignored_gives_nan_like_torch(device):
    x = mg.tensor(LOGITS[:2], device=device)
    loss = F.cross_entropy(x, mg.tensor([-100, -100], device=device))
    assert np.isnan(loss.item())


def test_cross_entropy_gradcheck(device):
    x = mg.tensor(LOGITS, device=device, requires_grad=True)
    y = mg.tensor(LABELS, device=device)
    w = mg.tensor(W4, device=device)
    assert mg.gradcheck(lambda x: F.cross_entropy(x, y, weight=w, ignore_index=3, label_smoothing=0.2), [x])


def test_bce_with_logits_gradcheck_for_input_and_target(device):
    x = mg.tensor(X, device=device, requires_grad=True)
    y = mg.tensor(P, device=device, requires_grad=True)
    pw = mg.tensor(rng.random(5) + 0.5, device=device)
    assert mg.gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), [x, y])


def test_bce_gradcheck_for_input_and_target(device):
    x = mg.tensor(P * 0.9 + 0.05, device=device, requires_grad=True)
    y = mg.tensor(B * 0.8 + 0.1, device=device, requires_grad=True)
    assert mg.gradcheck(lambda x, y: F.binary_cross_entropy(x, y), [x, y])


def test_fused_cross_entropy_equals_composed_log_softmax_nll(device):
    x = mg.tensor(LOGITS, device=device, requires_grad=True)
    y = mg.tensor(LABELS, device=device)
    fused = F.cross_entropy(x, y)
    fused.backward()
    g_fused = x.grad.detach().numpy().copy()
    x.grad = None
    composed = -(F.log_softmax(x, 1)[mg.arange(7, device=device), y]).mean()
    composed.backward()
    assert_close(fused, composed)
    assert_close(g_fused, x.grad)


# ---------------------------------------------------------------------------- penalties
def test_l2_penalty_gradient_equals_sgd_weight_decay(device):
    w = mg.tensor(X, device=device, requires_grad=True)
    (0.1 * F.l2_penalty([w])).backward()
    assert_close(w.grad, 0.1 * X)


def test_l1_penalty_sums_absolute_values_of_a_modules_parameters(device):
    m = nn.Linear(3, 2).to(device)
    expected = sum(np.abs(p.detach().numpy()).sum() for p in m.parameters())
    np.testing.assert_allclose(F.l1_penalty(m).item(), expected, rtol=1e-6)


def test_penalty_of_no_parameters_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        F.l2_penalty([])


# ---------------------------------------------------------------------------- bad input
def test_unknown_reduction_is_rejected_at_construction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_unknown_reduction_is_rejected_by_the_function():
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, 1]), reduction="average")


def test_cross_entropy_target_out_of_range_raises():
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, 3]))


def test_cross_entropy_float_targets_of_wrong_shape_raise():
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(mg.randn(2, 3), mg.rand(2, 4))


def test_cross_entropy_target_shape_mismatch_raises():
    with pytest.raises(ValueError, match="target of shape"):
        F.cross_entropy(mg.randn(4, 3), mg.tensor([0, 1]))


def test_nll_loss_needs_integer_targets():
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(mg.randn(2, 3), mg.tensor([0.0, 1.0]).long().float().bool())


def test_cross_entropy_wrong_weight_shape_raises():
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, 1]), weight=mg.ones(4))


def test_label_smoothing_out_of_range_raises():
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_bce_input_outside_0_1_raises():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([0.5, 1.5]), mg.tensor([0.0, 1.0]))


def test_bce_target_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(mg.randn(3, 2), mg.rand(3, 1))


def test_mse_with_broadcasting_target_warns_like_torch():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(mg.randn(3, 2), mg.randn(3, 1))


def test_loss_of_integer_input_raises():
    with pytest.raises(TypeError, match="floating"):
        F.l1_loss(mg.tensor([1, 2]), mg.tensor([1, 2]))


def test_huber_non_positive_delta_raises():
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(mg.randn(3), mg.randn(3), delta=0.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_probability_targets_match_torch(torch, device, reduction):
    x = rng.standard_normal((3, 4, 5))
    probs = torch.softmax(torch.tensor(rng.standard_normal((3, 4, 5))), 1).detach().numpy()
    kw_m, kw_t = {"weight": mg.tensor(W4, device=device)}, {"weight": torch.tensor(W4)}
    check_fn(torch, nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1, **kw_m),
             torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1, **kw_t), [x, probs], device)
