"""Module system: registration, traversal, modes, devices/dtypes, hooks, state dicts, repr."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from nn_parity import assert_close, copy_to_torch


def small_net():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Dropout(0.1), nn.Linear(4, 2))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("count", mg.zeros(1))
        self.register_buffer("cache", mg.zeros(2), persistent=False)
        self.plain = 3

    def forward(self, x):
        return self.fc(x) * self.scale


# ---------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(mg.randn(3))
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.is_leaf


def test_parameter_shares_the_tensors_array():
    t = mg.randn(3)
    assert nn.Parameter(t).array is t.array


def test_parameter_gets_gradients_and_ops_return_plain_tensors():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    y = p * 3
    assert type(y) is mg.Tensor
    y.sum().backward()
    np.testing.assert_array_equal(p.grad.detach().numpy(), [3.0, 3.0])


def test_parameter_repr_says_parameter():
    assert repr(nn.Parameter(mg.zeros(2))).startswith("Parameter containing:\ntensor(")


# ---------------------------------------------------------------------------- registration
def test_state_dict_keys_match_torch_for_linear_relu_batchnorm():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3))
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean",
                                    "2.running_var", "2.num_batches_tracked"]


def test_custom_module_registers_parameters_buffers_and_children():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in b.named_buffers()] == ["count", "cache"]
    assert list(b.state_dict()) == ["scale", "count", "fc.weight", "fc.bias"]  # cache is not persistent
    assert [n for n, _ in b.named_children()] == ["fc"]
    assert b.plain == 3 and "plain" not in b._parameters


def test_state_dict_order_matches_torch_for_a_custom_module(torch):
    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("count", torch.zeros(1))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

    assert list(Block().state_dict()) == list(TBlock().state_dict())


def test_assigning_a_plain_tensor_to_a_parameter_slot_raises():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.weight = mg.zeros(2, 2)


def test_reassigning_a_parameter_replaces_the_registration():
    m = nn.Linear(2, 2)
    new = nn.Parameter(mg.zeros(2, 2))
    m.weight = new
    assert m.weight is new and m._parameters["weight"] is new


def test_deleting_an_attribute_unregisters_it():
    b = Block()
    del b.fc
    assert "fc" not in dict(b.named_children())
    with pytest.raises(AttributeError):
        b.fc


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert len(list(m.modules())) == 3


def test_named_modules_uses_dotted_names():
    m = nn.Sequential(nn.Sequential(nn.Linear(1, 1)), nn.ReLU())
    assert [n for n, _ in m.named_modules()] == ["", "0", "0.0", "1"]
    assert m.get_submodule("0.0") is m[0][0]


def test_missing_attribute_error_names_the_class():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        nn.Linear(1, 1).nope


def test_register_buffer_rejects_non_tensors_and_dotted_names():
    m = nn.Module()
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("x", [1, 2])
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", mg.zeros(1))


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


# ---------------------------------------------------------------------------- modes and grads
def test_train_and_eval_are_recursive():
    m = small_net()
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_sets_gradients_to_none():
    m = small_net()
    m(mg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_zero_grad_without_set_to_none_fills_zeros():
    m = nn.Linear(2, 2)
    m(mg.randn(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert not m.weight.grad.detach().numpy().any()


def test_apply_visits_children_before_parent():
    seen = []
    small_net().apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Linear"


def test_requires_grad_false_freezes_parameters():
    m = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


# ---------------------------------------------------------------------------- to()
def test_to_dtype_keeps_the_same_parameter_objects():
    m = small_net()
    before = list(m.parameters())
    m.to(mg.float64)
    after = list(m.parameters())
    assert all(a is b for a, b in zip(before, after))
    assert all(p.dtype == mg.float64 for p in after)
    assert m[2].running_mean.dtype == mg.float64
    assert m[2].num_batches_tracked.dtype == mg.int64  # integers are not cast


def test_double_model_runs_in_float64():
    m = small_net().double()
    assert m(mg.randn(4, 3, dtype=mg.float64)).dtype == mg.float64


def test_to_device_returns_self(device):
    m = small_net()
    assert m.to(device) is m
    assert all(p.device == device for p in m.parameters())


def test_to_integer_dtype_raises():
    with pytest.raises(TypeError, match="floating point"):
        nn.Linear(1, 1).to(mg.int64)


# ---------------------------------------------------------------------------- hooks
def test_forward_hook_sees_input_and_output_and_can_be_removed():
    m = nn.Linear(2, 3)
    calls = []
    handle = m.register_forward_hook(lambda mod, inp, out: calls.append((mod, inp, out.shape)))
    x = mg.randn(4, 2)
    m(x)
    assert calls[0][0] is m and calls[0][1][0] is x and calls[0][2] == (4, 3)
    handle.remove()
    m(x)
    assert len(calls) == 1


def test_forward_hook_return_value_replaces_output():
    m = nn.Identity()
    m.register_forward_hook(lambda mod, inp, out: out * 2)
    np.testing.assert_array_equal(m(mg.ones(2)).detach().numpy(), [2.0, 2.0])


def test_forward_pre_hook_can_replace_input():
    m = nn.Identity()
    m.register_forward_pre_hook(lambda mod, inp: (inp[0] + 1,))
    np.testing.assert_array_equal(m(mg.zeros(2)).detach().numpy(), [1.0, 1.0])


def test_global_forward_hook_runs_for_every_module():
    names = []
    handle = nn.register_module_forward_hook(lambda mod, inp, out: names.append(type(mod).__name__))
    try:
        nn.Sequential(nn.Linear(1, 1), nn.ReLU())(mg.ones(1, 1))
    finally:
        handle.remove()
    assert names == ["Linear", "ReLU", "Sequential"]


# ---------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_len():
    m = small_net()
    assert isinstance(m[0], nn.Linear) and isinstance(m[-1], nn.Linear) and len(m) == 5
    sub = m[1:3]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError):
        m[5]


def test_sequential_append_insert_and_delete_renumber():
    m = nn.Sequential(nn.ReLU(), nn.Tanh())
    m.append(nn.Sigmoid())
    m.insert(0, nn.Identity())
    assert [type(x).__name__ for x in m] == ["Identity", "ReLU", "Tanh", "Sigmoid"]
    del m[1]
    assert list(m._modules) == ["0", "1", "2"] and isinstance(m[1], nn.Tanh)


def test_modulelist_registers_parameters_and_indexes():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    assert isinstance(layers[-1], nn.Linear) and isinstance(layers[1:], nn.ModuleList)


def test_reprs_match_torch(torch):
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Sequential(nn.Dropout(0.1), nn.Flatten()))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4),
                            torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Flatten()))
    assert repr(m) == repr(t)
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2)])
    assert repr(ml) == repr(tl)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


# ---------------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_restores_the_outputs():
    a, b = small_net().eval(), small_net().eval()
    x = mg.randn(5, 3)
    assert not np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_state_dict_tensors_share_memory_and_are_detached():
    m = nn.Linear(2, 2)
    w = m.state_dict()["weight"]
    assert w.array is m.weight.array and not w.requires_grad
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_missing_key_raises_and_leaves_model_untouched():
    m = small_net()
    before = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: mg.zeros(v.shape, dtype=v.dtype) for k, v in m.state_dict().items()}
    del sd["4.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "4.bias"'):
        m.load_state_dict(sd)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])


def test_load_state_dict_unexpected_key_raises():
    m = nn.Linear(2, 2)
    sd = dict(m.state_dict(), extra=mg.zeros(1))
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        m.load_state_dict(sd)


def test_load_state_dict_wrong_shape_raises_even_when_not_strict_and_changes_nothing():
    m = nn.Linear(2, 2)
    w = m.weight.detach().numpy().copy()
    sd = {"weight": mg.zeros(2, 2), "bias": mg.zeros(3)}
    with pytest.raises(RuntimeError, match=r"size mismatch for bias.*\(3,\).*\(2,\)"):
        m.load_state_dict(sd, strict=False)
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)


def test_load_state_dict_not_strict_reports_missing_and_unexpected():
    m = nn.Linear(2, 2)
    res = m.load_state_dict({"weight": mg.zeros(2, 2), "other": mg.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["other"]
    assert not m.weight.detach().numpy().any()


def test_load_state_dict_keeps_parameter_objects_and_dtype():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert m.weight is w and w.dtype == mg.float32 and w.detach().numpy().sum() == 4


def test_load_state_dict_accepts_a_torch_state_dict(torch):
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4))
    t(torch.randn(6, 3))
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4))
    m.load_state_dict(t.state_dict())
    t.eval(), m.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    assert_close(m(mg.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_exported_state_dict_reproduces_outputs_in_torch(torch):
    m = small_net().eval()
    t = copy_to_torch(m, torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4),
                                             torch.nn.Dropout(0.1), torch.nn.Linear(4, 2))).eval()
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    assert_close(m(mg.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_load_state_dict_rejects_non_mappings():
    with pytest.raises(TypeError, match="dict-like"):
        nn.Linear(1, 1).load_state_dict([1, 2])


def test_deepcopy_gives_an_independent_model():
    import copy

    m = small_net()
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight.array is not m[0].weight.array
    np.testing.assert_array_equal(c[0].weight.detach().numpy(), m[0].weight.detach().numpy())
    with mg.no_grad():
        c[0].weight.fill_(0)
    assert m[0].weight.detach().numpy().any()


def snapshot(m):
    return {k: v.numpy().copy() for k, v in m.state_dict().items()}


def assert_unchanged(m, before):
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


@pytest.mark.parametrize("bad", [np.array([["a", "b"], ["c", "d"]]), np.ones((2, 2), dtype=np.complex64),
                                 np.array([[object(), 1], [2, 3]], dtype=object)],
                         ids=["str", "complex", "object"])
def test_load_state_dict_with_a_late_uncastable_value_changes_nothing(bad):
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = snapshot(m)
    sd = {k: mg.zeros(v.shape) for k, v in m.state_dict().items()}
    sd["1.weight"] = bad  # the last-but-one entry: the earlier ones would already be written
    with pytest.raises(RuntimeError, match=rf"dtype mismatch for 1.weight.*{bad.dtype}"):
        m.load_state_dict(sd)
    assert_unchanged(m, before)


def test_load_state_dict_that_fails_moving_a_value_changes_nothing(monkeypatch):
    from minigrad import backend

    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = snapshot(m)
    sd = {k: mg.zeros(v.shape) for k, v in m.state_dict().items()}
    real, calls = backend.to_device, []

    def fails_on_the_third(array, device):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("device unreachable")
        return real(array, device)

    monkeypatch.setattr(backend, "to_device", fails_on_the_third)
    with pytest.raises(RuntimeError, match="unreachable"):
        m.load_state_dict(sd)
    assert_unchanged(m, before)


def test_load_state_dict_casts_floats_into_an_int64_buffer_as_torch_copy_does(torch):
    m = nn.BatchNorm1d(3)
    t = torch.nn.BatchNorm1d(3)
    sd = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd["num_batches_tracked"] = np.array(7.9)
    m.load_state_dict(sd)
    t.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    assert m.num_batches_tracked.dtype == mg.int64
    assert m.num_batches_tracked.item() == t.num_batches_tracked.item() == 7


def test_load_state_dict_accepts_bfloat16_torch_values(torch):
    t = torch.nn.Linear(2, 3).to(torch.bfloat16)
    m = nn.Linear(2, 3)
    m.load_state_dict(t.state_dict())
    np.testing.assert_array_equal(m.weight.detach().numpy(), t.weight.float().detach().numpy())
