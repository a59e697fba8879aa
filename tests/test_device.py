"""The GPU path end to end: no host sync in a plain training step, errors that a GPU
finds on the device, and work on a second GPU staying there.

Sync counts use the strict CuPy stand-in's counter (the `syncs` fixture: these run on the
MINIGRAD_TEST_DEVICE=cuda leg); the rest take the `device` fixture and run on both legs.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from conftest import STRICT_CUPY, to_np
from minigrad import nn


def _training_setup(device):
    X = np.random.default_rng(0).standard_normal((256, 20)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 5, 256)
    loader = mg.data.DataLoader(mg.data.TensorDataset(mg.tensor(X), mg.tensor(y)), batch_size=64, shuffle=True,
                                device=device)
    model = nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 5)).to(device)
    return loader, model, mg.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()


def _epoch(loader, model, opt, loss_fn):
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    return loss


def test_a_plain_training_step_makes_no_host_sync(device, syncs):
    loader, model, opt, loss_fn = _training_setup(device)
    _epoch(loader, model, opt, loss_fn)  # warm-up: lazily created state
    with syncs.syncs() as s:
        _epoch(loader, model, opt, loss_fn)
    assert s.total == 0, f"{s.total} syncs in {len(loader)} steps: {dict(s.by_site())}"


def test_a_bad_class_index_is_an_error_by_the_next_sync(device):
    # the CPU raises in the forward; a GPU checks on the device and raises at the next sync
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        F.cross_entropy(mg.randn(2, 3, device=device), mg.tensor([0, 3], device=device)).item()
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        to_np(F.nll_loss(mg.randn(2, 3, device=device), mg.tensor([-1, 0], device=device)))


def test_the_deferred_check_raises_once_then_the_device_is_usable_again(device):
    with pytest.raises(IndexError):
        F.cross_entropy(mg.randn(2, 3, device=device), mg.tensor([0, 5], device=device)).item()
    assert F.cross_entropy(mg.randn(2, 3, device=device), mg.tensor([0, 2], device=device)).item() > 0


@pytest.mark.parametrize("index", [[0, 4], [-5]])
def test_out_of_range_index_lists_raise_index_error(device, index):
    with pytest.raises(IndexError, match=r"\(4, 2\)"):
        mg.ones(4, 2, device=device)[index]


def test_out_of_range_index_tensors_raise_index_error_forward_and_backward(device):
    x = mg.ones(4, 2, device=device, requires_grad=True)
    with pytest.raises(IndexError, match=r"\(4, 2\)"):
        y = x[mg.tensor([1, 9], device=device)]
        y.sum().backward()
        to_np(x.grad)


def test_index_tensors_on_the_host_index_a_device_tensor(device):
    x = mg.arange(6, device=device).reshape(3, 2)
    assert to_np(x[np.array([2, 0])]).tolist() == [[4, 5], [0, 1]]


def test_randperm_takes_a_numpy_integer(device):
    p = mg.randperm(np.int64(5), device=device)
    assert sorted(to_np(p).tolist()) == [0, 1, 2, 3, 4] and p.device == device


def test_lbfgs_keeps_its_two_loop_products_on_the_device(device, syncs):
    g = mg.Generator().manual_seed(0)
    X, y = mg.randn(64, 30, generator=g).to(device), mg.randn(64, 1, generator=g).to(device)
    model = nn.Linear(30, 1).to(device)
    opt = mg.optim.LBFGS(model.parameters(), history_size=10, max_iter=8)

    def closure():
        opt.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        return loss

    with syncs.syncs() as s:
        opt.step(closure)
    iterations = opt.state[opt._params[0]]["n_iter"]
    # only its decisions wait for the device: the curvature test, the descent test, the
    # loss and the stopping tests - not the 2 x history products of the recursion
    assert s.total <= 6 * iterations + 4, dict(s.by_site())


@pytest.mark.skipif(not STRICT_CUPY and mg.cuda.device_count() < 2, reason="needs two GPUs (or the stand-in's two)")
def test_a_model_on_the_second_gpu_trains_end_to_end_there():
    if not mg.cuda.is_available():
        pytest.skip("needs MINIGRAD_TEST_DEVICE=cuda")
    loader, model, opt, loss_fn = _training_setup("cuda:1")
    with mg.trace.GradientTracer(model) as tracer:
        loss = _epoch(loader, model, opt, loss_fn)
    assert loss.device == "cuda:1" and all(p.device == "cuda:1" for p in model.parameters())
    assert all(p.grad.device == "cuda:1" for p in model.parameters())
    norms = tracer.history("grad_norm")  # NaN marks the layers without parameters
    assert np.isfinite(norms[:, [0, 1, 4]]).all()
    mixed = mg.ones(2, device="cuda:1") + mg.ones(2, device="cuda:1")  # off the current device too
    assert mixed.device == "cuda:1"


@pytest.mark.skipif(not STRICT_CUPY and mg.cuda.device_count() < 2, reason="needs two GPUs (or the stand-in's two)")
def test_ops_on_the_second_gpu_run_there_whatever_the_current_device():
    if not mg.cuda.is_available():
        pytest.skip("needs MINIGRAD_TEST_DEVICE=cuda")
    import cupy

    a = mg.randn(3, 3, device="cuda:1", requires_grad=True)
    with cupy.cuda.Device(0):
        out = (a @ a).relu().sum()
        out.backward()
        with mg.no_grad():
            a.add_(1.0)
    assert out.device == "cuda:1" and a.grad.device == "cuda:1"


def test_a_traced_step_makes_one_transfer(device, syncs):
    # the tracer fetches each recorded step's statistics at once; the loss's deferred
    # class-index check travels in the same transfer
    loader, model, opt, loss_fn = _training_setup(device)
    with mg.trace.GradientTracer(model):
        _epoch(loader, model, opt, loss_fn)
        with syncs.syncs() as s:
            _epoch(loader, model, opt, loss_fn)
    assert s.total == len(loader), f"{s.total} transfers in {len(loader)} steps: {dict(s.by_site())}"


def test_a_bad_class_index_in_a_traced_step_is_still_reported_by_a_later_sync(device):
    model = nn.Linear(4, 3).to(device)
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        with mg.trace.GradientTracer(model):
            loss = F.cross_entropy(model(mg.randn(2, 4, device=device)), mg.tensor([0, 3], device=device))
            loss.backward()
            mg.optim.SGD(model.parameters(), lr=0.1).step()
            to_np(loss)
