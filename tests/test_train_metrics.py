"""`mg.train` metrics: values against NumPy/PyTorch, shapes they accept, errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import train


def test_accuracy_of_logits_against_class_indices(device):
    logits = mg.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]], device=device)
    target = mg.tensor([0, 1, 1, 2], device=device)
    acc = train.accuracy(logits, target)
    assert isinstance(acc, mg.Tensor) and acc.shape == () and acc.device == device
    assert acc.item() == pytest.approx(0.5)


def test_accuracy_with_one_hot_targets_and_binary_probabilities(device):
    logits = mg.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]], device=device)
    one_hot = mg.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], device=device)
    assert train.accuracy(logits, one_hot).item() == pytest.approx(2 / 3)
    probs = mg.tensor([0.9, 0.2, 0.6, 0.4], device=device)
    labels = mg.tensor([1.0, 0.0, 0.0, 0.0], device=device)
    assert train.accuracy(probs, labels).item() == pytest.approx(0.75)


def test_accuracy_with_mismatched_shapes_raises():
    with pytest.raises(ValueError, match="batch size"):
        train.accuracy(mg.zeros(4, 3), mg.zeros(5))
    with pytest.raises(ValueError, match="cannot match"):
        train.accuracy(mg.zeros(4, 3, 2), mg.zeros(4))


def test_top_k_accuracy_matches_sorting(device):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 10)).astype(np.float32)
    target = rng.integers(0, 10, size=50)
    ranks = (-scores).argsort(axis=1)
    for k in (1, 3, 5):
        expected = np.mean([t in r[:k] for t, r in zip(target, ranks)])
        got = train.top_k_accuracy(mg.tensor(scores, device=device), mg.tensor(target, device=device), k=k)
        assert got.item() == pytest.approx(expected)
    top1 = train.top_k_accuracy(mg.tensor(scores), mg.tensor(target), k=1).item()
    assert top1 == pytest.approx(train.accuracy(mg.tensor(scores), mg.tensor(target)).item())


def test_mse_and_mae_match_torch(torch, device):
    rng = np.random.default_rng(1)
    p, t = rng.normal(size=(20, 1)).astype(np.float32), rng.normal(size=20).astype(np.float32)
    # (N, 1) predictions against (N,) targets compare elementwise, never broadcast to (N, N)
    mse = train.mse(mg.tensor(p, device=device), mg.tensor(t, device=device)).item()
    mae = train.mae(mg.tensor(p, device=device), mg.tensor(t, device=device)).item()
    tp, tt = torch.tensor(p[:, 0]), torch.tensor(t)
    assert mse == pytest.approx(torch.nn.functional.mse_loss(tp, tt).item(), rel=1e-6)
    assert mae == pytest.approx(torch.nn.functional.l1_loss(tp, tt).item(), rel=1e-6)


def test_regression_metrics_reject_different_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        train.mse(mg.zeros(4, 2), mg.zeros(4))


def test_metrics_reject_non_tensors():
    with pytest.raises(TypeError, match="Tensors"):
        train.accuracy(np.zeros((2, 2)), mg.zeros(2))
