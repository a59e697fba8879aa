"""PyTorch's everyday API (issue 13): NumPy-style reduction keywords, norms, the missing
names (meshgrid, sinh, cosh, log2, log10, mm, histc/histogram, one_hot, allclose, ...),
dtype aliases, mg.device and the default device, format specs, accurate strided sums.
Each behaviour runs the same lines under minigrad and torch and compares."""
import math

import numpy as np
import pytest
from conftest import to_np

import minigrad as mg
import minigrad.nn.functional as F

X = np.array([[0.5, -1.25, 2.0, 0.0], [3.5, 0.75, -0.5, 1.5], [-2.0, 1.0, 0.25, -0.75]])


def _pair(torch, device, data=X, dtype=np.float32, requires_grad=False):
    return (mg.tensor(data.astype(dtype), device=device, requires_grad=requires_grad),
            torch.tensor(data.astype(dtype), requires_grad=requires_grad))


def _same_grad(m, t, rtol=1e-10, atol=1e-12):
    if t.grad is None:  # torch leaves it unset where the gradient is zero by definition (p = 0)
        assert m.grad is None or not to_np(m.grad).any()
    else:
        _same(m.grad, t.grad, rtol, atol)


def _same(m, t, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(to_np(m), t.detach().numpy(), rtol=rtol, atol=atol)
    assert tuple(m.shape) == tuple(t.shape)


# ---------------------------------------------------------------------------- axis= / keepdims=
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "logsumexp"])
def test_reductions_accept_numpy_axis_and_keepdims(name, device, torch):
    m, t = _pair(torch, device)
    _same(getattr(m, name)(axis=1, keepdims=True), getattr(t, name)(axis=1, keepdims=True))
    _same(getattr(mg, name)(m, axis=0), getattr(torch, name)(t, axis=0))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "var", "std", "any", "all"])
def test_reductions_take_dim_as_a_list(name, device, torch):
    data = X if name not in ("any", "all") else X > 0
    m, t = _pair(torch, device, data, data.dtype)
    _same(getattr(m, name)([0, 1], keepdims=True), getattr(t, name)([0, 1], keepdims=True))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_accept_axis_and_keepdims(name, device, torch):
    m, t = _pair(torch, device)
    got, expected = getattr(m, name)(axis=1, keepdims=True), getattr(t, name)(axis=1, keepdims=True)
    assert got.tolist() == expected.tolist() and got.dtype == mg.int64


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_along_axis_return_values_and_indices(name, device, torch):
    m, t = _pair(torch, device)
    got, expected = getattr(m, name)(axis=0, keepdims=True), getattr(t, name)(axis=0, keepdims=True)
    _same(got.values, expected.values)
    assert got.indices.tolist() == expected.indices.tolist()


def test_giving_both_dim_and_axis_is_an_error(device):
    with pytest.raises(TypeError, match="both dim"):
        mg.ones(2, 3, device=device).sum(0, axis=1)


# ---------------------------------------------------------------------------- strided accuracy
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std"])
def test_float32_reductions_over_long_strided_axes_are_as_accurate_as_torch(name, device, torch):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((182_625, 27)) * 0.5 + 3).astype(np.float32)
    exact = getattr(data.astype(np.float64), name)(0, **({"ddof": 1} if name in ("var", "std") else {}))
    got = to_np(getattr(mg.tensor(data, device=device), name)(0)).astype(np.float64)
    torch_error = np.abs(getattr(torch.from_numpy(data), name)(0).double().numpy() - exact).max()
    assert got.dtype == np.float64 and np.abs(got - exact).max() <= 2 * torch_error + 4 * np.abs(exact).max() * 2**-24


def test_strided_reduction_gradients_are_unchanged(device):
    x = mg.tensor(np.random.default_rng(1).standard_normal((1500, 3)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: t.var(0), (x,))


# ---------------------------------------------------------------------------- norm
NORM_PS = ["fro", 2, 1, math.inf, -math.inf, 0, 3, 1.5, 0.5]


@pytest.mark.parametrize("p", NORM_PS, ids=str)
@pytest.mark.parametrize("dim", [None, 1, (0, 1)], ids=str)
def test_norm_values_and_gradients_match_torch(p, dim, device, torch):
    m, t = _pair(torch, device, X, np.float64, requires_grad=True)
    got, expected = m.norm(p=p, dim=dim, keepdim=dim == 1), torch.norm(t, p=p, dim=dim, keepdim=dim == 1)
    _same(got, expected, rtol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    _same_grad(m, t)


@pytest.mark.parametrize("p", NORM_PS, ids=str)
def test_norm_gradient_at_zero_is_zero_not_nan(p, device, torch):
    m, t = _pair(torch, device, np.zeros((2, 3)), np.float64, requires_grad=True)
    mg.norm(m, p).backward()
    torch.norm(t, p).backward()
    _same_grad(m, t)
    assert not np.isnan(to_np(m.grad)).any()


@pytest.mark.parametrize("p", [2, 1, math.inf, 3, 1.5])
def test_norm_gradcheck(p, device):
    x = mg.tensor(X, dtype=mg.float64, device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: t.norm(p, dim=0), (x,))


def test_norm_rejects_unknown_p(device):
    with pytest.raises(ValueError, match="nuc"):
        mg.ones(2, 2, device=device).norm("nuc")


# ---------------------------------------------------------------------------- elementwise names
@pytest.mark.parametrize("name", ["sinh", "cosh", "log2", "log10"])
def test_new_unary_ops_match_torch_as_functions_and_methods(name, device, torch):
    data = np.abs(X) + 0.1
    m, t = _pair(torch, device, data, np.float64, requires_grad=True)
    got, expected = getattr(mg, name)(m), getattr(torch, name)(t)
    _same(got, expected, rtol=1e-12)
    _same(getattr(m, name)(), expected, rtol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    _same(m.grad, t.grad, rtol=1e-12)


@pytest.mark.parametrize("name", ["sinh", "cosh", "log2", "log10"])
def test_new_unary_ops_gradcheck(name, device):
    x = mg.tensor(np.abs(X) + 0.1, dtype=mg.float64, device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: getattr(t, name)(), (x,))


@pytest.mark.parametrize("name", ["sinh", "log2"])
def test_new_unary_ops_turn_integers_into_float32(name, device):
    assert getattr(mg.tensor([1, 2], device=device), name)().dtype == mg.float32


# ---------------------------------------------------------------------------- mm, meshgrid
def test_mm_multiplies_matrices_like_torch(device, torch):
    a, ta = _pair(torch, device, X, np.float64, requires_grad=True)
    b, tb = _pair(torch, device, X.T.copy(), np.float64)
    got, expected = mg.mm(a, b), torch.mm(ta, tb)
    _same(got, expected, rtol=1e-12)
    _same(a.mm(b), expected, rtol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    _same(a.grad, ta.grad, rtol=1e-12)


def test_mm_refuses_non_matrices(device):
    with pytest.raises(ValueError, match="matrices"):
        mg.mm(mg.ones(3, device=device), mg.ones(3, 2, device=device))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing, device, torch):
    a, b, c = (np.arange(n, dtype=np.float32) + n for n in (3, 2, 4))
    got = mg.meshgrid(mg.tensor(a, device=device), mg.tensor(b, device=device), mg.tensor(c, device=device), indexing=indexing)
    expected = torch.meshgrid(torch.tensor(a), torch.tensor(b), torch.tensor(c), indexing=indexing)
    for g, e in zip(got, expected):
        _same(g, e)
    lists = mg.meshgrid([mg.tensor(a, device=device), mg.tensor(b, device=device)], indexing=indexing)
    _same(lists[0], torch.meshgrid([torch.tensor(a), torch.tensor(b)], indexing=indexing)[0])


def test_meshgrid_is_differentiable(device):
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, device=device, requires_grad=True)
    y = mg.tensor([0.5, -1.0], dtype=mg.float64, device=device, requires_grad=True)
    assert mg.gradcheck(lambda a, b: mg.meshgrid(a, b, indexing="xy")[0] * mg.meshgrid(a, b)[1].T, (x, y))


# ---------------------------------------------------------------------------- histograms
H = np.array([0.1, 0.5, 0.5, 0.9, 1.0, -0.3, 2.0, 0.25, 0.7, 0.7])


@pytest.mark.parametrize("kwargs", [{}, {"bins": 4}, {"bins": 5, "min": 0, "max": 1}, {"bins": 3, "min": -1, "max": 3}])
def test_histc_matches_torch(kwargs, device, torch):
    m, t = _pair(torch, device, H)
    _same(mg.histc(m, **kwargs), torch.histc(t, **kwargs))
    _same(m.histc(**kwargs), t.histc(**kwargs))


def test_histc_of_constant_data_widens_the_range_by_one(device, torch):
    m, t = _pair(torch, device, np.ones(3))
    _same(mg.histc(m, bins=4), torch.histc(t, bins=4))


@pytest.mark.parametrize("kwargs", [{"bins": 4}, {"bins": 3, "range": (0.0, 1.0)}, {"bins": 5, "density": True}])
def test_histogram_matches_torch(kwargs, torch):
    m, t = _pair(torch, "cpu", H)
    hist, edges = mg.histogram(m, **kwargs)
    expected = torch.histogram(t, **kwargs)
    _same(hist, expected.hist)
    _same(edges, expected.bin_edges)


def test_histogram_takes_edges_and_weights(torch):
    m, t = _pair(torch, "cpu", H)
    w, tw = _pair(torch, "cpu", np.linspace(0.5, 2, H.size))
    edges = np.array([-1.0, 0.0, 0.5, 0.75, 2.0])
    got = mg.histogram(m, mg.tensor(edges.astype(np.float32)), weight=w)
    expected = torch.histogram(t, torch.tensor(edges.astype(np.float32)), weight=tw)
    _same(got.hist, expected.hist)


# ---------------------------------------------------------------------------- one_hot
def test_one_hot_matches_torch(device, torch):
    labels = np.array([[0, 2], [1, 3]])
    got = F.one_hot(mg.tensor(labels, device=device))
    expected = torch.nn.functional.one_hot(torch.tensor(labels))
    assert got.tolist() == expected.tolist() and got.dtype == mg.int64
    assert F.one_hot(mg.tensor(labels, device=device), num_classes=6).shape == (2, 2, 6)


def test_one_hot_refuses_out_of_range_classes_and_float_input(device):
    with pytest.raises(RuntimeError, match="num_classes=3"):
        F.one_hot(mg.tensor([0, 3], device=device), num_classes=3)
    with pytest.raises(TypeError, match="int64"):
        F.one_hot(mg.tensor([0.0, 1.0], device=device))


# ---------------------------------------------------------------------------- comparisons
def test_allclose_isclose_equal_match_torch(device, torch):
    a = np.array([1.0, 2.0, np.inf, np.nan])
    b = np.array([1.0 + 1e-6, 2.1, np.inf, np.nan])
    (ma, ta), (mb, tb) = _pair(torch, device, a), _pair(torch, device, b)
    assert mg.isclose(ma, mb).tolist() == torch.isclose(ta, tb).tolist()
    assert ma.isclose(mb, equal_nan=True).tolist() == ta.isclose(tb, equal_nan=True).tolist()
    assert mg.allclose(ma[:1], mb[:1]) is torch.allclose(ta[:1], tb[:1]) is True
    assert mg.allclose(ma, mb, atol=0.2, equal_nan=True) == torch.allclose(ta, tb, atol=0.2, equal_nan=True)
    assert mg.equal(ma[:2], ma[:2].clone()) and not mg.equal(ma[:2], mb[:2]) and not ma.equal(ma[:1])


def test_allclose_refuses_mixed_dtypes(device):
    with pytest.raises(TypeError, match="dtypes differ"):
        mg.allclose(mg.ones(2, device=device), mg.ones(2, dtype=mg.float64, device=device))


# ---------------------------------------------------------------------------- dtypes, sizes
ALIASES = ["float", "double", "half", "long", "int", "short", "uint8", "int8", "bool", "float16",
           "float32", "float64", "int16", "int32", "int64", "cfloat", "cdouble"]


@pytest.mark.parametrize("name", ALIASES)
def test_dtype_aliases_name_the_same_types_as_torch(name, torch):
    assert repr(getattr(mg, name)) == repr(getattr(torch, name)).replace("torch.", "minigrad.")


def test_dtypes_work_as_numpy_dtypes():
    assert mg.float32 == np.float32 and np.float32 == mg.float32 and mg.float32 == np.dtype("float32")
    assert mg.float32 == "float32" and mg.float32 != mg.float64 and mg.float is mg.float32
    assert {np.dtype("float32"): 1}[mg.float32] == 1 and {mg.int64: 2}[np.dtype("int64")] == 2
    assert np.zeros(2, dtype=mg.float64).dtype == np.float64
    assert np.ones(2).astype(mg.half).dtype == np.float16
    assert mg.float32.is_floating_point and not mg.long.is_floating_point and mg.int16.itemsize == 2


def test_tensor_dtype_prints_with_the_minigrad_prefix(device):
    t = mg.zeros(2, dtype=mg.double, device=device)
    assert repr(t.dtype) == str(t.dtype) == "minigrad.float64" and t.dtype is mg.float64
    assert t.to(mg.float).dtype == mg.float32 and t.type(mg.long).dtype == mg.int64


def test_shape_and_size_are_mg_size(device, torch):
    t = mg.zeros(2, 3, device=device)
    assert isinstance(t.shape, mg.Size) and isinstance(t.size(), mg.Size) and t.shape == (2, 3)
    assert repr(t.shape) == repr(torch.zeros(2, 3).shape).replace("torch.", "minigrad.")
    assert str(mg.zeros(()).shape) == "minigrad.Size([])"
    assert isinstance(t.shape[1:], mg.Size) and t.shape + (4,) == (2, 3, 4) and t.shape.numel() == 6


def test_nelement_is_numel(device):
    assert mg.zeros(2, 3, device=device).nelement() == 6


# ---------------------------------------------------------------------------- devices
def test_device_objects_read_like_torch(torch):
    for spec in (("cpu",), ("cuda",), ("cuda:1",), ("cuda", 2)):
        assert repr(mg.device(*spec)) == repr(torch.device(*spec))
        assert str(mg.device(*spec)) == str(torch.device(*spec))
        assert mg.device(*spec).type == torch.device(*spec).type
        assert mg.device(*spec).index == torch.device(*spec).index


def test_device_objects_are_accepted_where_device_names_are(device):
    d = mg.device(device)
    t = mg.zeros(2, device=d)
    assert t.device == d and t.to(d).device == device and mg.tensor([1.0], device=d).device == device


def test_bad_device_string_is_an_error():
    with pytest.raises(ValueError, match="tpu"):
        mg.device("tpu")


def test_set_default_device_moves_factories_and_tensor(device):
    try:
        mg.set_default_device(device)
        assert mg.get_default_device() == device
        assert mg.zeros(2).device == device and mg.tensor([1.0]).device == device
    finally:
        mg.set_default_device("cpu")
    assert mg.get_default_device() == "cpu" and mg.zeros(1).device == "cpu"


# ---------------------------------------------------------------------------- format specs
def test_format_spec_formats_one_element_tensors(device, torch):
    for value in (3.14159, -0.5):
        assert f"{mg.tensor(value, device=device):.2f}" == f"{torch.tensor(value):.2f}"
    assert f"{mg.tensor([2.5], device=device):.1f}" == "2.5"
    assert f"{mg.tensor(7, device=device):>4}" == f"{torch.tensor(7):>4}"
    assert f"{mg.tensor([1.0, 2.0])}" == f"{torch.tensor([1.0, 2.0])}"
    assert f"{mg.tensor(1.0)}" == f"{torch.tensor(1.0)}" == "1.0"


def test_format_of_a_parameter_without_spec_is_its_repr(torch):
    p = mg.nn.Parameter(mg.tensor(1.0))
    assert f"{p}" == f"{torch.nn.Parameter(torch.tensor(1.0))}"


def test_format_spec_on_many_elements_is_an_error(device):
    with pytest.raises(TypeError, match="format"):
        f"{mg.ones(3, device=device):.2f}"
