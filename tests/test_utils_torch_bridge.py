"""mg.utils.to_torch / from_torch: the same model in PyTorch and back, with equal outputs."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

from conftest import to_np

ACTIVATIONS = [
    nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.ELU(alpha=0.7), nn.GELU(),
    nn.GELU(approximate="tanh"), nn.Softplus(beta=2.0, threshold=5.0), nn.Softmax(dim=1),
    nn.LogSoftmax(dim=-1), nn.Identity(), nn.Flatten(), nn.Dropout(0.3),
]


def _mlp(dtype):
    return nn.Sequential(
        nn.Linear(6, 16, dtype=dtype), nn.BatchNorm1d(16, dtype=dtype), nn.Tanh(),
        nn.Linear(16, 8, dtype=dtype), nn.LayerNorm(8, dtype=dtype), nn.GELU(),
        nn.Dropout(0.25), nn.Linear(8, 3, dtype=dtype),
    )


def _trained(dtype, steps=5, device="cpu"):
    """A small model after a few SGD steps in minigrad (BatchNorm's running stats move too)."""
    model = _mlp(dtype).to(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = mg.randn(32, 6, dtype=dtype, device=device)
    y = mg.randint(0, 3, (32,), device=device)
    for _ in range(steps):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        opt.step()
    return model


def _assert_same_state(mg_model, torch_model):
    ours, theirs = mg_model.state_dict(), torch_model.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert str(to_np(ours[key]).dtype) == str(to_np(theirs[key]).dtype), key
        np.testing.assert_array_equal(to_np(ours[key]), to_np(theirs[key]), err_msg=key)


@pytest.mark.parametrize("dtype, tol", [(mg.float64, 1e-12), (mg.float32, 2e-6)])
def test_to_torch_of_a_trained_model_gives_the_same_outputs(torch, device, dtype, tol):
    model = _trained(dtype, device=device).eval()
    converted = mg.utils.to_torch(model)  # on the CPU, whatever the model's device
    _assert_same_state(model, converted)
    x = mg.randn(10, 6, dtype=dtype, device=device)
    np.testing.assert_allclose(to_np(converted(torch.from_numpy(x.numpy()))), to_np(model(x)), rtol=tol, atol=tol)


def test_from_torch_puts_the_model_on_the_requested_device(torch, device):
    model = mg.utils.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)), device=device)
    assert {str(t.device) for t in [*model.parameters(), *model.buffers()]} == {str(mg.zeros(1, device=device).device)}


def test_to_torch_copies_batchnorm_buffers_including_num_batches_tracked(torch):
    model = _trained(mg.float64, steps=3)
    bn = mg.utils.to_torch(model)[1]
    assert int(bn.num_batches_tracked) == 3 and bn.num_batches_tracked.dtype == torch.int64
    np.testing.assert_array_equal(bn.running_var.numpy(), model[1].running_var.numpy())


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_conversion_keeps_train_and_eval_mode_on_every_layer(torch, mode):
    model = getattr(_mlp(mg.float32), mode)()
    there = mg.utils.to_torch(model)
    back = mg.utils.from_torch(there)
    assert all(m.training == (mode == "train") for m in there.modules())
    assert all(m.training == (mode == "train") for m in back.modules())


def test_batchnorm_in_train_mode_updates_the_same_running_stats_after_conversion(torch):
    model = nn.Sequential(nn.Linear(4, 5, dtype=mg.float64), nn.BatchNorm1d(5, dtype=mg.float64))
    converted = mg.utils.to_torch(model)
    x = mg.randn(8, 4, dtype=mg.float64)
    out, out_t = model(x), converted(torch.from_numpy(x.numpy()))
    np.testing.assert_allclose(to_np(out_t), to_np(out), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(converted[1].running_mean), model[1].running_mean.numpy(), rtol=1e-12)
    assert int(converted[1].num_batches_tracked) == int(model[1].num_batches_tracked.item()) == 1


def test_round_trip_from_torch_of_to_torch_is_the_same_model(torch):
    model = _trained(mg.float32).eval()
    back = mg.utils.from_torch(mg.utils.to_torch(model))
    assert repr(back) == repr(model)
    _assert_same_state(back, mg.utils.to_torch(model))
    x = mg.randn(7, 6)
    np.testing.assert_array_equal(to_np(back(x)), to_np(model(x)))


def test_from_torch_of_a_torch_built_model_gives_the_same_outputs(torch):
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.LayerNorm(7, elementwise_affine=False), torch.nn.ReLU(),
        torch.nn.Linear(7, 2, bias=False),
    ).double()
    model = mg.utils.from_torch(tmodel)
    assert model[3].bias is None and model[1].weight is None
    x = mg.randn(4, 5, dtype=mg.float64)
    np.testing.assert_allclose(to_np(model(x)), to_np(tmodel(torch.from_numpy(x.numpy()))), rtol=1e-12)


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda m: repr(m))
def test_each_activation_and_shape_layer_converts_with_its_arguments(torch, layer):
    layer = layer.eval()  # Dropout compares deterministically in eval mode
    converted = mg.utils.to_torch(layer)
    assert type(converted).__name__ == type(layer).__name__
    assert repr(converted) == repr(layer)
    x = mg.randn(3, 4, dtype=mg.float64)
    np.testing.assert_allclose(to_np(converted(torch.from_numpy(x.numpy()))), to_np(layer(x)), rtol=1e-12, atol=1e-15)
    assert repr(mg.utils.from_torch(converted)) == repr(layer)


def test_module_list_converts_child_by_child(torch):
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    converted = mg.utils.to_torch(layers)
    assert isinstance(converted, torch.nn.ModuleList) and len(converted) == 2
    _assert_same_state(layers, converted)


def test_converted_weights_are_copies_not_views(torch):
    model = nn.Linear(3, 2)
    converted = mg.utils.to_torch(model)
    with torch.no_grad():
        converted.weight.add_(1.0)
    assert not np.allclose(to_np(converted.weight), to_np(model.weight))


def test_requires_grad_is_carried_over(torch):
    model = nn.Linear(3, 2)
    model.bias.requires_grad_(False)
    converted = mg.utils.to_torch(model)
    assert converted.weight.requires_grad and not converted.bias.requires_grad
    assert isinstance(converted.weight, torch.nn.Parameter)


@pytest.mark.parametrize("name, args, x_shape", [
    ("Embedding", dict(num_embeddings=10, embedding_dim=4, padding_idx=0), None),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu"), (5, 2, 3)),
    ("LSTM", dict(input_size=3, hidden_size=4, batch_first=True), (2, 5, 3)),
    ("GRU", dict(input_size=3, hidden_size=4, bidirectional=True), (5, 2, 3)),
    ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu"), (2, 3)),
    ("LSTMCell", dict(input_size=3, hidden_size=4, bias=False), (2, 3)),
    ("GRUCell", dict(input_size=3, hidden_size=4), (2, 3)),
])
def test_recurrent_and_embedding_layers_convert_when_minigrad_has_them(torch, name, args, x_shape):
    if not hasattr(nn, name):
        pytest.skip(f"mg.nn.{name} does not exist yet")
    layer = getattr(nn, name)(**args, dtype=mg.float64)
    converted = mg.utils.to_torch(layer)
    _assert_same_state(layer, converted)
    x = mg.randint(0, 10, (3, 5)) if x_shape is None else mg.randn(*x_shape, dtype=mg.float64)
    ours, theirs = layer(x), converted(torch.from_numpy(x.numpy()))
    ours, theirs = (ours[0], theirs[0]) if isinstance(ours, tuple) else (ours, theirs)
    np.testing.assert_allclose(to_np(ours), to_np(theirs), rtol=1e-10, atol=1e-12)
    _assert_same_state(mg.utils.from_torch(converted), converted)


def test_a_custom_module_is_refused_with_its_type_name(torch):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)

        def forward(self, x):
            return self.a(x) * 2

    with pytest.raises(TypeError, match="TwoHeads.*supported types: .*Linear"):
        mg.utils.to_torch(nn.Sequential(nn.Linear(2, 2), TwoHeads()))


def test_a_torch_option_minigrad_lacks_is_refused_unless_at_its_default(torch):
    if not hasattr(nn, "LSTM"):
        pytest.skip("mg.nn.LSTM does not exist yet")
    import inspect

    if "proj_size" in inspect.signature(nn.LSTM).parameters:
        pytest.skip("mg.nn.LSTM has proj_size")
    assert mg.utils.from_torch(torch.nn.LSTM(3, 4)).hidden_size == 4  # proj_size=0, torch's default
    with pytest.raises(TypeError, match=r"LSTM\(proj_size=2\) has no counterpart"):
        mg.utils.from_torch(torch.nn.LSTM(3, 4, proj_size=2))


def test_a_torch_layer_without_a_minigrad_counterpart_is_refused_by_name(torch):
    with pytest.raises(TypeError, match="torch.nn.modules.conv.Conv2d"):
        mg.utils.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)))


def test_a_converted_model_keeps_training_under_distributed_data_parallel(torch, tmp_path):
    # the README's road out: train here, continue in PyTorch's DDP (one CPU process, gloo)
    dist = torch.distributed
    if not dist.is_available():
        pytest.skip("this torch build has no torch.distributed")
    from torch.nn.parallel import DistributedDataParallel as DDP

    model = _trained(mg.float32).train()
    torch.manual_seed(0)  # data and dropout masks
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        ddp = DDP(mg.utils.to_torch(model))
        opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
        x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))

        def eval_loss():  # without dropout's noise, so the comparison is deterministic
            ddp.module.eval()
            with torch.no_grad():
                loss = torch.nn.functional.cross_entropy(ddp.module(x), y).item()
            ddp.module.train()
            return loss

        before = eval_loss()
        for _ in range(10):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(ddp(x), y).backward()
            opt.step()
        after = eval_loss()
    finally:
        dist.destroy_process_group()
    assert after < before
    back = mg.utils.from_torch(ddp.module).eval()
    xm = mg.tensor(x.numpy())
    np.testing.assert_allclose(to_np(back(xm)), to_np(ddp.module.eval()(x)), rtol=1e-5, atol=1e-6)
