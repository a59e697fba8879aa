"""The Tensor API of DESIGN.md "Tensors": factories, dtypes, attributes, methods, interop,
seeding, devices, and errors that name what went wrong."""
import numpy as np
import pytest
from conftest import to_np

import minigrad as mg


# ---------------------------------------------------------------------------- factories
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sized_factories_take_star_size_or_a_tuple(name, device):
    fn = getattr(mg, name)
    a, b = fn(2, 3, device=device), fn((2, 3), device=device)
    c = fn([2, 3], dtype=mg.float64, device=device, requires_grad=True)
    assert a.shape == b.shape == c.shape == (2, 3)
    assert a.dtype == b.dtype == mg.float32 and c.dtype == mg.float64
    assert a.device == device and not a.requires_grad
    assert c.requires_grad and c.is_leaf


def test_zeros_ones_full_values(device, torch):
    assert to_np(mg.zeros(2, device=device)).tolist() == [0.0, 0.0]
    assert to_np(mg.ones(1, 2, dtype=mg.int64, device=device)).tolist() == [[1, 1]]
    assert to_np(mg.zeros(())).shape == ()
    for value in (1, 1.5, True):
        got, expected = mg.full((2, 2), value, device=device), torch.full((2, 2), value)
        assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
        np.testing.assert_array_equal(to_np(got), expected.detach().numpy())
    assert mg.full((2,), 7, dtype=mg.float64).dtype == mg.float64


def test_like_factories_copy_shape_dtype_and_device(device):
    x = mg.ones(2, 3, dtype=mg.float64, device=device)
    for fn in (mg.zeros_like, mg.ones_like, mg.empty_like, mg.rand_like, mg.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == mg.float64 and y.device == device
    assert to_np(mg.full_like(x, 4.0)).tolist() == [[4.0] * 3] * 2
    assert mg.zeros_like(x, dtype=mg.int32).dtype == mg.int32
    assert mg.ones_like(x, requires_grad=True).requires_grad


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0, 1, 0.25), (0.5, 2.0), (3, 0, -1),
                                  (0, 1, 0.1), (1, 1.3, 0.1), (-1, 1, 0.3)])
def test_arange_matches_torch(args, device, torch):
    got, expected = mg.arange(*args, device=device), torch.arange(*args)
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(to_np(got), expected.detach().numpy())


def test_linspace_and_eye_match_torch(device, torch):
    np.testing.assert_allclose(to_np(mg.linspace(0, 1, 5, device=device)), torch.linspace(0, 1, 5).detach().numpy())
    assert mg.linspace(0, 1, 5).dtype == mg.float32
    np.testing.assert_array_equal(to_np(mg.eye(2, 3, device=device)), torch.eye(2, 3).detach().numpy())
    np.testing.assert_array_equal(to_np(mg.eye(3)), np.eye(3))
    assert mg.eye(2, dtype=mg.float64).dtype == mg.float64


def test_random_factories_have_the_right_range_and_dtype(device):
    u = mg.rand(1000, device=device)
    assert 0 <= to_np(u).min() and to_np(u).max() < 1 and u.dtype == mg.float32
    n = mg.randn(4000, device=device)
    assert abs(to_np(n).mean()) < 0.1 and abs(to_np(n).std() - 1) < 0.1
    r = mg.randint(2, 5, (3, 100), device=device)
    assert r.dtype == mg.int64 and r.shape == (3, 100) and set(to_np(r).ravel()) == {2, 3, 4}
    r0 = mg.randint(3, (50,), device=device)
    assert set(to_np(r0).ravel()) == {0, 1, 2}
    p = mg.randperm(6, device=device)
    assert p.dtype == mg.int64 and sorted(to_np(p).tolist()) == list(range(6))


def test_random_factories_reject_bad_arguments():
    with pytest.raises(ValueError, match="high"):
        mg.randint(5, 5, (2,))
    with pytest.raises(ValueError, match="size"):
        mg.zeros(-1, 2)
    with pytest.raises(ValueError, match="size"):
        mg.ones(2.5)


def test_tensor_and_the_tensor_class_take_the_same_arguments(device):
    a = mg.tensor([1.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    b = mg.Tensor([1.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    for t in (a, b):
        assert isinstance(t, mg.Tensor) and t.dtype == mg.float64 and t.device == device
        assert t.requires_grad and t.is_leaf


def test_tensor_copies_its_data(device):
    array = np.array([1.0, 2.0])
    t = mg.tensor(array, device=device)
    array[0] = 9.0
    assert to_np(t).tolist() == [1.0, 2.0]
    u = mg.tensor(t)
    u.array[1] = 7.0
    assert to_np(t).tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------- default dtypes
@pytest.mark.parametrize("data,dtype", [
    (1.5, mg.float32), ([1.0, 2.0], mg.float32), ([1, 2.5], mg.float32), ([[1, 2]], mg.int64),
    (3, mg.int64), (True, mg.bool_), ([True, False], mg.bool_),
    (np.array([1.0], dtype=np.float64), mg.float64), (np.array([1], dtype=np.int32), mg.int32),
    (np.array([1.0], dtype=np.float16), mg.float16), (np.float64(2.0), mg.float64),
])
def test_tensor_dtype_follows_torch_rules(data, dtype, device):
    assert mg.tensor(data, device=device).dtype == dtype


LISTS_OF_TYPED_ELEMENTS = [
    lambda L: [1.0, np.float64(2.0)], lambda L: [1.0, L.tensor(2.0)], lambda L: [np.float32(1.0), 2.0],
    lambda L: [1, np.int32(2)], lambda L: [np.int32(2)], lambda L: [L.tensor(1, dtype=L.int32)],
    lambda L: [L.tensor(1.0, dtype=L.float64), L.tensor(2.0, dtype=L.float64)], lambda L: [True, np.int8(3)],
]


@pytest.mark.parametrize("make", LISTS_OF_TYPED_ELEMENTS, ids=range(len(LISTS_OF_TYPED_ELEMENTS)))
def test_lists_of_tensors_and_numpy_scalars_keep_their_dtype_like_torch(make, device, torch):
    got, expected = mg.tensor(make(mg), device=device), torch.tensor(make(torch))
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    assert got.tolist() == expected.tolist()


def test_set_default_dtype_changes_python_floats_and_float_factories(device):
    assert mg.get_default_dtype() == mg.float32
    mg.set_default_dtype(mg.float64)
    try:
        assert mg.get_default_dtype() == mg.float64
        assert mg.tensor([1.5], device=device).dtype == mg.float64
        assert mg.zeros(2, device=device).dtype == mg.float64
        assert mg.randn(2, device=device).dtype == mg.float64
        assert (mg.tensor([1, 2], device=device) / 2).dtype == mg.float64
        assert mg.tensor([1, 2], device=device).dtype == mg.int64
    finally:
        mg.set_default_dtype(mg.float32)
    assert mg.tensor([1.5]).dtype == mg.float32


def test_set_default_dtype_refuses_non_float_types():
    with pytest.raises(TypeError, match="floating"):
        mg.set_default_dtype(mg.int64)
    assert mg.get_default_dtype() == mg.float32


def test_tensor_from_unsupported_data_raises():
    with pytest.raises(TypeError):
        mg.tensor(["a", "b"])
    with pytest.raises(TypeError):
        mg.tensor([object()])


# ---------------------------------------------------------------------------- attributes
def test_attributes(device):
    x = mg.tensor([[1.0, 2.0, 3.0]], device=device, requires_grad=True)
    assert x.shape == (1, 3) and x.ndim == 2 and x.dtype == mg.float32
    assert x.device == device and x.requires_grad and x.is_leaf and x.grad is None
    assert type(x.array).__name__ == "ndarray"
    assert x.T.shape == (3, 1) and mg.ones(2, 3, 4).T.shape == (4, 3, 2)


def test_grad_fn_names_the_op_and_links_to_its_inputs(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    c = mg.tensor([3.0, 4.0], device=device)
    h = x * c
    y = h.exp()
    assert h.grad_fn.name == "MulBackward0" and y.grad_fn.name == "ExpBackward0"
    assert h.grad_fn.inputs[0] is x and h.grad_fn.inputs[1] is None  # constants: None
    assert y.grad_fn.inputs == (h.grad_fn,)
    assert not y.is_leaf and x.grad_fn is None


def test_grad_is_assignable(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.grad = mg.tensor([10.0, 10.0], device=device)
    (x * 2).sum().backward()
    assert to_np(x.grad).tolist() == [12.0, 12.0]
    x.grad = None
    assert x.grad is None


def test_data_is_assignable_without_touching_the_graph(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.array = x.array * 3
    assert to_np(x).tolist() == [3.0, 6.0] and x.is_leaf and x.requires_grad


# ---------------------------------------------------------------------------- methods
def test_numpy_item_tolist_numel_size(device):
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    assert isinstance(x.detach().numpy(), np.ndarray) and x.detach().numpy().tolist() == x.tolist()
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x.numel() == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert isinstance(x[1, 2].item(), float) and x[1, 2].item() == 6.0
    assert mg.tensor(3, device=device).item() == 3 and isinstance(mg.tensor(3).item(), int)
    assert float(mg.tensor([2.5])) == 2.5 and int(mg.tensor(4)) == 4 and bool(mg.tensor([1.0]))
    assert len(x) == 2 and [r.tolist() for r in x] == x.tolist()
    assert [10, 20, 30][mg.tensor(1)] == 20


def test_conversion_errors(device):
    x = mg.ones(2, 3, device=device)
    with pytest.raises(ValueError, match=r"one-element.*\(2, 3\)"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(IndexError, match="dim 2"):
        x.size(2)
    with pytest.raises(TypeError):
        len(mg.tensor(1.0))


def test_numpy_shares_memory_on_the_cpu():
    x = mg.tensor([1.0, 2.0])
    x.detach().numpy()[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


@pytest.mark.parametrize("target", [mg.float64, "float64", mg.int32, mg.float16])
def test_to_dtype_and_back_is_differentiable(target, device):
    x = mg.tensor([1.5, 2.5], device=device, requires_grad=True)
    y = x.to(target)
    assert y.dtype == np.dtype(target) and y.device == device
    if y.dtype.kind == "f":
        (y * 2).sum().backward()
        assert x.grad.dtype == mg.float32 and to_np(x.grad).tolist() == [2.0, 2.0]


def test_to_same_device_and_dtype_is_a_no_op(device):
    x = mg.ones(2, device=device)
    assert x.to(device) is x and x.to(mg.float32) is x and x.to(x) is x
    assert x.to(device=device, dtype=mg.float32) is x
    assert mg.ones(2).cpu().device == "cpu"


def test_dtype_shortcuts(device):
    x = mg.tensor([1.7, -0.2], device=device)
    assert x.double().dtype == mg.float64 and x.half().dtype == mg.float16
    assert x.long().tolist() == [1, 0] and x.int().dtype == mg.int32
    assert x.bool().tolist() == [True, True] and x.long().float().dtype == mg.float32


def test_to_rejects_unknown_arguments():
    with pytest.raises(TypeError, match="unexpected"):
        mg.ones(2).to(non_blocking=True, foo=1)


def test_zero_fill_copy_in_place(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    version = x._version
    assert x.zero_() is x and x.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert x.fill_(2.5) is x and x.tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert x.copy_(mg.tensor([7, 8], device=device)) is x and x.tolist() == [[7.0, 8.0], [7.0, 8.0]]
    assert x.dtype == mg.float32 and x._version == version + 3
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 2\)"):
        x.copy_(mg.ones(3, device=device))


def test_setitem_and_in_place_arithmetic_without_grad(device):
    x = mg.zeros(2, 3, device=device)
    x[0] = 1.0
    x[1, mg.tensor([0, 2], device=device)] = mg.tensor([5.0, 6.0], device=device)
    x += 1
    x *= 2
    x -= mg.ones(3, device=device)
    x /= 2
    assert x.tolist() == [[1.5, 1.5, 1.5], [5.5, 0.5, 6.5]]
    x.add_(mg.ones(3, device=device), alpha=2).sub_(1, alpha=2).mul_(2).div_(4).clamp_(max=2.0)
    assert x.tolist() == [[0.75, 0.75, 0.75], [2.0, 0.25, 2.0]]


def test_uniform_and_normal_fill_in_place_reproducibly(device):
    a = mg.empty(500, device=device).uniform_(-2, 3, generator=mg.Generator(device).manual_seed(1))
    b = mg.empty(500, device=device).uniform_(-2, 3, generator=mg.Generator(device).manual_seed(1))
    assert a.tolist() == b.tolist() and -2 <= min(a.tolist()) and max(a.tolist()) < 3
    n = mg.empty(4000, device=device).normal_(5.0, 0.5)
    assert abs(to_np(n).mean() - 5.0) < 0.05 and abs(to_np(n).std() - 0.5) < 0.05


# ---------------------------------------------------------------------------- interop
def test_np_asarray_of_a_cpu_tensor_shares_memory():
    x = mg.tensor([1.0, 2.0])
    a = np.asarray(x)
    assert np.shares_memory(a, x.array) and a.dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert (np.array([1.0, 1.0]) * x).__class__ is mg.Tensor  # tensor wins over ndarray


def test_np_array_of_a_tensor_is_a_copy():
    x = mg.tensor([1.0, 2.0])
    a = np.array(x)
    a[0] = 9.0
    assert x.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(4, dtype=np.int32)
    t = mg.from_numpy(a)
    assert t.dtype == mg.int32
    a[0] = 10
    t.array[1] = 20
    assert t.tolist()[:2] == [10, 20] and a[1] == 20
    with pytest.raises(TypeError, match="numpy.ndarray"):
        mg.from_numpy([1, 2])


def test_dlpack_round_trip_with_torch_shares_memory(torch):
    x = mg.tensor([1.0, 2.0, 3.0])
    t = torch.from_dlpack(x)
    t[0] = 10.0
    assert x.tolist()[0] == 10.0
    source = torch.tensor([4.0, 5.0], dtype=torch.float64)
    y = mg.from_dlpack(source)
    source[1] = 50.0
    assert y.dtype == mg.float64 and y.tolist() == [4.0, 50.0]


def test_dlpack_round_trip_with_numpy_shares_memory():
    x = mg.tensor([1.0, 2.0])
    a = np.from_dlpack(x)
    assert np.shares_memory(a, x.array)
    b = np.arange(3.0)
    assert np.shares_memory(mg.from_dlpack(b).array, b)


def test_repr_reads_like_torch():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "dtype=float64" in repr(mg.tensor([1.0], dtype=mg.float64))
    assert "requires_grad=True" in repr(mg.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(mg.tensor([1.0], requires_grad=True) * 2)
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"


# ---------------------------------------------------------------------------- seeding
def test_manual_seed_makes_runs_reproducible(device):
    mg.manual_seed(123)
    a = (mg.randn(5, device=device), mg.rand(3, device=device), mg.randint(0, 100, (4,), device=device))
    mg.manual_seed(123)
    b = (mg.randn(5, device=device), mg.rand(3, device=device), mg.randint(0, 100, (4,), device=device))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    mg.manual_seed(124)
    assert mg.randn(5, device=device).tolist() != a[0].tolist()


def test_generator_manual_seed_returns_itself_and_is_independent(device):
    g = mg.Generator(device)
    assert g.manual_seed(7) is g
    a = mg.randn(4, generator=g, device=device)
    mg.randn(10, device=device)  # the default stream does not disturb g
    b = mg.randn(4, generator=mg.Generator(device).manual_seed(7), device=device)
    assert a.tolist() == b.tolist()
    assert mg.randn(4, generator=g, device=device).tolist() != a.tolist()


# ---------------------------------------------------------------------------- devices
def test_cuda_is_available_is_a_bool_and_never_raises():
    assert isinstance(mg.cuda.is_available(), bool)
    assert isinstance(mg.cuda.device_count(), int)


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda0", "", "CPU "])
def test_bad_device_strings_raise_value_error(bad):
    with pytest.raises(ValueError, match="device"):
        mg.zeros(2, device=bad)


@pytest.mark.skipif(mg.cuda.is_available(), reason="checks the message where no GPU is present")
def test_asking_for_cuda_without_a_gpu_says_how_to_get_one():
    with pytest.raises(RuntimeError, match=r"minigrad\[cuda12\]"):
        mg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"minigrad\[cuda12\]"):
        mg.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match=r"minigrad\[cuda12\]"):
        mg.ones(2).cuda()


@pytest.mark.skipif(not mg.cuda.is_available(), reason="needs a GPU")
def test_moving_between_cpu_and_cuda_keeps_values_and_gradients():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == "cuda:0" and x.to("cuda").device == "cuda:0"
    (y * 3).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [3.0, 3.0]
    assert mg.zeros(2, device="cuda").cpu().device == "cpu"


# ---------------------------------------------------------------------------- helpful errors
@pytest.mark.parametrize("op,name", [
    (lambda a, b: a + b, "Add"), (lambda a, b: a - b, "Sub"), (lambda a, b: a * b, "Mul"),
    (lambda a, b: a / b, "Div"), (lambda a, b: a ** b, "Pow"), (lambda a, b: mg.maximum(a, b), "Maximum"),
])
def test_shape_mismatch_names_both_shapes_and_the_op(op, name, device):
    a, b = mg.ones(2, 3, device=device), mg.ones(4, device=device)
    with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4,\)"):
        op(a, b)


def test_comparison_and_where_shape_mismatch_name_the_shapes(device):
    a, b = mg.ones(2, 3, device=device), mg.ones(4, device=device)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        a < b
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        mg.where(a > 0, a, b)


def test_matmul_mismatch_names_both_shapes(device):
    with pytest.raises(ValueError, match=r"(?i)matmul.*\(2, 3\).*\(4, 5\)"):
        mg.ones(2, 3, device=device) @ mg.ones(4, 5, device=device)
    with pytest.raises(ValueError, match="matmul"):
        mg.ones(2, device=device) @ mg.tensor(2.0, device=device)


def test_linear_mismatch_names_both_shapes(device):
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4, 2\)"):
        mg.linear(mg.ones(5, 3, device=device), mg.ones(4, 2, device=device))


@pytest.mark.parametrize("shape", [(4, 4), (-1, -1), (5, -1), (0, -1)])
def test_invalid_reshape_names_the_shapes(shape, device):
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
        mg.ones(2, 3, device=device).reshape(shape)


def test_cat_and_stack_with_mismatched_shapes_name_them(device):
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        mg.cat([mg.ones(2, 3, device=device), mg.ones(2, 4, device=device)])
    with pytest.raises(ValueError, match=r"stack.*\(2, 3\).*\(3, 2\)"):
        mg.stack([mg.ones(2, 3, device=device), mg.ones(3, 2, device=device)])
    with pytest.raises(ValueError, match="non-empty"):
        mg.cat([])


@pytest.mark.parametrize("index", [5, (0, 7), [0, 9], (slice(None), 3, 0)])
def test_index_out_of_range_raises_index_error_naming_the_shape(index, device):
    with pytest.raises(IndexError, match=r"\(3, 3\)"):
        mg.ones(3, 3, device=device)[index]


@pytest.mark.parametrize("call", [
    lambda x: x.sum(dim=3), lambda x: x.mean(-4), lambda x: x.max(dim=5), lambda x: x.softmax(3),
    lambda x: x.transpose(0, 3), lambda x: x.unsqueeze(5), lambda x: x.squeeze(4), lambda x: x.argmax(7),
    lambda x: mg.cat([x, x], dim=3), lambda x: x.var(dim=(0, 9)),
])
def test_bad_dim_raises_index_error_naming_it(call, device):
    with pytest.raises(IndexError, match="dim"):
        call(mg.ones(2, 3, 4, device=device))


def test_other_shape_op_errors_are_clear(device):
    x = mg.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"expand.*\(2, 3\)"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="twice"):
        x.sum(dim=(0, 0))
    with pytest.raises(TypeError, match="bool"):
        mg.where(mg.ones(2, device=device), x, x)
    with pytest.raises(ValueError, match="clamp"):
        x.clamp()


def test_where_with_two_python_scalars_makes_a_default_float_tensor(device, torch):
    cond = np.array([True, False, True])
    got = mg.where(mg.tensor(cond, device=device), 1.0, 0.0)
    expected = torch.where(torch.from_numpy(cond), 1.0, 0.0)
    assert got.dtype == mg.float32 and got.device == device
    np.testing.assert_array_equal(to_np(got), expected.detach().numpy())


def test_integer_tensor_to_a_negative_integer_power_raises_like_torch(device):
    with pytest.raises(RuntimeError, match="negative integer powers"):
        mg.tensor([1, 2], device=device) ** -1
    assert (mg.tensor([1, 2], device=device) ** -1.0).tolist() == [1.0, 0.5]


# ---------------------------------------------------------------------------- gradcheck
class _WrongSquare(mg.autograd.Op):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, g):
        return g * self.saved[0]  # should be 2 * x


def test_gradcheck_reports_the_worst_element_of_a_wrong_gradient(device):
    x = mg.tensor([1.0, 3.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    with pytest.raises(AssertionError, match=r"input 0 \(shape \(3,\)\) at flat index \d: analytic .* vs numeric .*3 of 3"):
        mg.gradcheck(_WrongSquare.apply, [x])


def test_gradcheck_nudges_non_contiguous_inputs_in_place():
    x = mg.from_numpy(np.arange(6.0).reshape(3, 2).T).requires_grad_()
    assert not x.array.flags.c_contiguous
    assert mg.gradcheck(lambda t: (t * t).sum(0), [x])
    np.testing.assert_array_equal(to_np(x), np.arange(6.0).reshape(3, 2).T)


def test_gradcheck_checks_its_inputs(device):
    with pytest.raises(TypeError, match="float64"):
        mg.gradcheck(lambda t: t * 2, [mg.ones(2, device=device, requires_grad=True)])
    with pytest.raises(ValueError, match="requires grad"):
        mg.gradcheck(lambda t: t * 2, [mg.ones(2, dtype=mg.float64, device=device)])


def test_gradcheck_passes_non_tensor_and_constant_inputs_through(device):
    x = mg.tensor([0.5, 1.5], dtype=mg.float64, device=device, requires_grad=True)
    c = mg.tensor([2.0, 3.0], dtype=mg.float64, device=device)
    assert mg.gradcheck(lambda a, b, k: (a * b + k).exp(), [x, c, 0.5])
