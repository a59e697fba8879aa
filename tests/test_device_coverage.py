"""Modules, schedulers, data loading and checkpoints on the device under test.

Each test builds the same thing on the CPU and on `device` from the same values and
checks that the device gives the same numbers and keeps everything where it belongs
(on the CPU leg both sides are the CPU; the cuda leg runs them on the GPU or the strict
CuPy stand-in).
"""
import copy

import numpy as np
import pytest

import minigrad as mg
from conftest import to_np
from minigrad import nn, optim
from minigrad.optim import lr_scheduler

LAYERS = {
    "Linear": lambda: nn.Linear(6, 4),
    "BatchNorm1d": lambda: nn.BatchNorm1d(6),
    "LayerNorm": lambda: nn.LayerNorm(6),
    "Dropout-eval": lambda: nn.Dropout(0.5).eval(),
    "ReLU": nn.ReLU, "LeakyReLU": lambda: nn.LeakyReLU(0.1), "ELU": nn.ELU, "GELU": nn.GELU,
    "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Softplus": nn.Softplus,
    "Softmax": lambda: nn.Softmax(dim=1), "LogSoftmax": lambda: nn.LogSoftmax(dim=1),
    "Flatten": nn.Flatten, "Identity": nn.Identity,
    "Sequential": lambda: nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 3)),
}


def _same_module_on(device, make):
    mg.manual_seed(0)
    cpu = make().double()
    dev = copy.deepcopy(cpu).to(device)
    return cpu, dev


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_module_gives_the_same_outputs_and_gradients_on_the_device(name, device):
    cpu, dev = _same_module_on(device, LAYERS[name])
    x = np.random.default_rng(0).standard_normal((5, 6))
    xc, xd = mg.tensor(x, requires_grad=True), mg.tensor(x, device=device, requires_grad=True)
    yc, yd = cpu(xc), dev(xd)
    assert yd.device == device
    np.testing.assert_allclose(to_np(yd), to_np(yc), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(yc.shape)
    (yc * mg.tensor(w)).sum().backward()
    (yd * mg.tensor(w, device=device)).sum().backward()
    np.testing.assert_allclose(to_np(xd.grad), to_np(xc.grad), rtol=1e-10, atol=1e-12)
    for pc, pd in zip(cpu.parameters(), dev.parameters()):
        assert pd.device == device and pd.grad.device == device
        np.testing.assert_allclose(to_np(pd.grad), to_np(pc.grad), rtol=1e-10, atol=1e-12)
    for bc, bd in zip(cpu.buffers(), dev.buffers()):  # BatchNorm's running statistics
        assert bd.device == device
        np.testing.assert_allclose(to_np(bd), to_np(bc), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCEWithLogitsLoss"])
def test_a_regression_loss_module_runs_on_the_device(loss, device):
    rng = np.random.default_rng(0)
    a, b = rng.random((4, 3)), rng.random((4, 3))
    fn = getattr(nn, loss)()
    cpu = fn(mg.tensor(a), mg.tensor(b))
    dev = fn(mg.tensor(a, device=device), mg.tensor(b, device=device))
    assert dev.device == device
    np.testing.assert_allclose(to_np(dev), to_np(cpu), rtol=1e-12)


def test_module_to_moves_parameters_and_buffers_and_keeps_the_objects(device):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(m.parameters())
    assert m.to(device) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(t.device == device for t in list(m.parameters()) + list(m.buffers()))


SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=6),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=3),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_a_scheduler_drives_an_optimizer_on_the_device_like_on_the_cpu(name, device):
    def run(dev):
        mg.manual_seed(0)
        model = nn.Linear(3, 1).double().to(dev)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = SCHEDULERS[name](opt)
        x = mg.tensor(np.linspace(-1, 1, 12).reshape(4, 3), device=dev)
        lrs = []
        for _ in range(6):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs, model

    lrs_cpu, m_cpu = run("cpu")
    lrs_dev, m_dev = run(device)
    assert lrs_dev == lrs_cpu
    assert m_dev.weight.device == device
    np.testing.assert_allclose(to_np(m_dev.weight), to_np(m_cpu.weight), rtol=1e-10)


def test_reduce_lr_on_plateau_takes_a_device_loss(device):
    p = nn.Parameter(mg.zeros(2, device=device))
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for _ in range(3):
        sched.step(mg.tensor(1.0, device=device))  # no improvement after the first
    assert opt.param_groups[0]["lr"] == 0.25


def test_dataloader_moves_every_field_of_every_batch_to_the_device(device):
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    loader = mg.data.DataLoader(mg.data.TensorDataset(X, y), batch_size=4, shuffle=True,
                                generator=mg.Generator().manual_seed(0), device=device)
    seen = []
    for xb, yb in loader:
        assert xb.device == device and yb.device == device
        np.testing.assert_array_equal(to_np(xb), X[to_np(yb)])
        seen += to_np(yb).tolist()
    assert sorted(seen) == list(range(10))


def test_a_checkpoint_saved_from_the_device_loads_back_onto_it(device, tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).to(device)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = mg.randn(8, 3).to(device)
    model(x).sum().backward()
    opt.step()
    mg.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.safetensors")

    loaded = mg.load(tmp_path / "ckpt.safetensors", device=device)
    assert all(t.device == device for t in loaded["model"].values())
    mg.manual_seed(1)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).to(device)
    fresh.load_state_dict(loaded["model"])
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.01)
    fresh_opt.load_state_dict(loaded["optim"])
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(to_np(fresh(x)), to_np(model(x)))
    assert all(p.device == device for p in fresh.parameters())


def test_a_checkpoint_from_the_device_loads_onto_the_cpu(device, tmp_path):
    model = nn.Linear(3, 2).to(device)
    mg.save(model.state_dict(), tmp_path / "m.safetensors")
    cpu = nn.Linear(3, 2)
    cpu.load_state_dict(mg.load(tmp_path / "m.safetensors"))
    assert cpu.weight.device == "cpu"
    np.testing.assert_array_equal(to_np(cpu.weight), to_np(model.weight))
