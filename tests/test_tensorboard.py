"""TensorBoard output: the fit callback and GradientTracer.to_tensorboard, read back with
TensorBoard's own event reader (skipped where tensorboardX or tensorboard is missing)."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset

from trace_helpers import train_traced

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(log_dir):
    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _problem():
    x = mg.randn(40, 3)
    y = (x.sum(dim=1) > 0).long()
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, DataLoader(TensorDataset(x, y), batch_size=10), DataLoader(TensorDataset(x, y), batch_size=20)


def test_callback_writes_losses_metrics_and_learning_rate_per_epoch(tmp_path, device):
    model, train_loader, val_loader = _problem()
    opt = mg.optim.SGD(model.parameters(), lr=0.5)
    sched = mg.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = mg.train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=3, val_loader=val_loader,
                           scheduler=sched, metrics=[mg.train.accuracy], progress=False, device=device,
                           callbacks=[mg.train.TensorBoard(tmp_path)])
    acc = read(tmp_path)
    tags = set(acc.Tags()["scalars"])
    assert {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr/group0", "epoch/time"} <= tags
    for tag, key in [("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/val", "val_accuracy")]:
        got = scalars(acc, tag)
        assert [s for s, _ in got] == [1, 2, 3]
        np.testing.assert_allclose([v for _, v in got], history[key], rtol=1e-6)  # stored as float32
    assert scalars(acc, "lr/group0") == [(1, 0.5), (2, 0.25), (3, 0.125)]


def test_callback_writes_batch_losses_and_parameter_histograms_when_asked(tmp_path):
    model, train_loader, _ = _problem()
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    mg.train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=2, progress=False,
                 callbacks=[mg.train.TensorBoard(tmp_path, histograms=True, batch_loss=True)])
    acc = read(tmp_path)
    assert [s for s, _ in scalars(acc, "loss/batch")] == list(range(8))
    hist_tags = set(acc.Tags()["histograms"])
    assert {"weights/0.weight", "weights/2.bias", "gradients/0.weight", "gradients/2.bias"} <= hist_tags
    last = acc.Histograms("weights/0.weight")[-1]
    assert last.step == 2 and last.histogram_value.num == model[0].weight.numel()
    np.testing.assert_allclose(last.histogram_value.sum, float(model[0].weight.sum().item()), rtol=1e-5)


def test_callback_without_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"minigrad\[tensorboard\]"):
        mg.train.TensorBoard(tmp_path).on_train_begin({})


def _traced(device="cpu", steps=4):
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 1)).to(device)
    x, y = mg.randn(16, 3, device=device), mg.randn(16, 1, device=device)
    return train_traced(model, x, y, steps, lr=0.05), model, x


def test_tracer_writes_per_layer_gradient_norms_and_update_ratios_as_scalars(tmp_path, device):
    tracer, _, _ = _traced(device)
    tracer.to_tensorboard(tmp_path)
    acc = read(tmp_path)
    steps = tracer.recorded_steps()
    for metric in ("grad_norm", "update_ratio"):
        table = tracer.history(metric)
        for i, layer in enumerate(tracer.names):
            got = scalars(acc, f"{metric}/{layer}") if f"{metric}/{layer}" in acc.Tags()["scalars"] else []
            want = [(s, table[k, i]) for k, s in enumerate(steps) if not math.isnan(table[k, i])]
            assert [s for s, _ in got] == [s for s, _ in want]
            np.testing.assert_allclose([v for _, v in got], [v for _, v in want], rtol=1e-6)
    assert "grad_norm/1" not in acc.Tags()["scalars"]  # the ReLU has no parameters: NaN is skipped
    assert "act_mean/1" in acc.Tags()["scalars"]


def test_tracer_writes_weight_gradient_and_activation_histograms_at_the_last_step(tmp_path, device):
    tracer, model, x = _traced(device)
    tracer.to_tensorboard(tmp_path, inputs=x)
    acc = read(tmp_path)
    hist_tags = set(acc.Tags()["histograms"])
    assert {"weights/0.weight", "gradients/2.weight", "activations/0", "activations/1", "activations/2"} <= hist_tags
    relu = acc.Histograms("activations/1")[0]
    assert relu.step == tracer.recorded_steps()[-1]
    assert relu.histogram_value.num == 16 * 6 and relu.histogram_value.min >= 0.0
