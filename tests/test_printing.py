"""Tensor reprs, shapes, dtypes and grad_fn names print exactly as PyTorch's (issue 13):
a learner's output looks like the tutorial's. Every case runs the same data through
both and compares the strings, with torch's namespace swapped for minigrad's."""
import numpy as np
import pytest

import minigrad as mg

inf, nan = np.inf, np.nan
VALUES = {
    "mixed": [1.0, 2.5],
    "integer_valued": [1.0, 2.0, -3.0],
    "negative": [-0.5, 0.25, -1.125],
    "large": [1e10, 2.5e10],
    "small": [1e-5, 3e-6],
    "wide_range": [1e-3, 5.0, 2e3],
    "huge_integers": [1e9, 3e9],
    "nan_inf": [nan, inf, -inf, 1.5],
    "only_nonfinite": [nan, inf],
    "zeros": [0.0, 0.0],
    "zero_d": 3.14159,
    "zero_d_integer_valued": 2.0,
    "zero_d_nan": nan,
    "two_d": [[1.0, -2.5, 3.25], [4.0, 5.5, -6.0]],
    "three_d": [[[1.0, 2.0], [3.0, 4.5]], [[-5.0, 6.0], [7.0, 8.0]]],
    "long_row": [i * 0.37 for i in range(40)],
    "long_row_ints_as_floats": [float(i * 1000) for i in range(30)],
    "wide_two_d": [[i * j * 0.1 for i in range(15)] for j in range(3)],
}
INTS = {
    "ints": [1, 2, 3],
    "negative_ints": [-100, 5, 12345],
    "int_matrix": [[1, 2], [30, 4]],
    "zero_d_int": 7,
    "long_int_row": list(range(60)),
}


def _expected(torch_tensor):
    return repr(torch_tensor).replace("torch.", "minigrad.")


@pytest.mark.parametrize("name", sorted(VALUES))
def test_float32_values_print_as_torch(name, torch):
    data = VALUES[name]
    assert repr(mg.tensor(data)) == _expected(torch.tensor(data))


# "dtype=minigrad.float64" is 3 characters longer than torch's: a last line that just fits
# torch's suffix pushes ours to the next line (the same 80-column rule), so rows that
# fill the line are left out here.
@pytest.mark.parametrize("name", sorted(set(VALUES) - {"wide_two_d"}))
def test_float64_values_print_with_their_dtype_as_torch(name, torch):
    data = VALUES[name]
    assert repr(mg.tensor(data, dtype=mg.float64)) == _expected(torch.tensor(data, dtype=torch.float64))


@pytest.mark.parametrize("name", sorted(INTS))
def test_integers_print_as_torch(name, torch):
    data = INTS[name]
    assert repr(mg.tensor(data)) == _expected(torch.tensor(data))
    assert repr(mg.tensor(data, dtype=mg.int32)) == _expected(torch.tensor(data, dtype=torch.int32))


def test_bools_and_half_print_as_torch(torch):
    assert repr(mg.tensor([True, False])) == _expected(torch.tensor([True, False]))
    assert repr(mg.tensor([[True], [False]])) == _expected(torch.tensor([[True], [False]]))
    assert repr(mg.tensor([1.5, 2.0], dtype=mg.half)) == _expected(torch.tensor([1.5, 2.0], dtype=torch.half))
    assert repr(mg.tensor([1, 200], dtype=mg.uint8)) == _expected(torch.tensor([1, 200], dtype=torch.uint8))


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3, 1)], ids=str)
def test_empty_tensors_print_as_torch(shape, torch):
    assert repr(mg.zeros(shape)) == _expected(torch.zeros(shape))
    assert repr(mg.zeros(shape, dtype=mg.int64)) == _expected(torch.zeros(shape, dtype=torch.int64))


@pytest.mark.parametrize("shape", [(1001,), (40, 30), (5, 300), (11, 12, 13)], ids=str)
def test_large_tensors_are_summarised_as_torch(shape, torch):
    data = (np.arange(np.prod(shape)).reshape(shape) * 0.731 % 17 - 8).astype(np.float32)
    assert repr(mg.tensor(data)) == _expected(torch.tensor(data))


def test_requires_grad_and_grad_fn_suffixes_print_as_torch(torch):
    data = [[1.0, 2.0], [3.0, 4.0]]
    m, t = mg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    assert repr(m) == _expected(t)
    assert repr(m * 2) == _expected(t * 2)
    assert repr((m * 2).sum()) == _expected((t * 2).sum())
    assert repr(m.double().exp()) == _expected(t.double().exp())


def test_long_suffixes_wrap_onto_a_new_line_as_torch(torch):
    data = [i * 1.5 for i in range(12)]
    m, t = mg.tensor(data, dtype=mg.float64, requires_grad=True), torch.tensor(data, dtype=torch.float64, requires_grad=True)
    assert repr(m + 1) == _expected(t + 1)


def test_str_equals_repr_and_print_options_apply(torch):
    t = mg.tensor([1.123456, 2.0])
    assert str(t) == repr(t)
    try:
        mg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(t) == _expected(torch.tensor([1.123456, 2.0]))
    finally:
        mg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_parameters_print_as_torch(torch):
    m = mg.nn.Parameter(mg.tensor([1.0, 2.0]))
    assert repr(m) == _expected(torch.nn.Parameter(torch.tensor([1.0, 2.0])))


# ---------------------------------------------------------------------------- grad_fn names
def _graph_pairs(lib, x, y, s):
    F = lib.nn.functional
    return {
        "add": x + y, "sub": x - y, "mul": x * 2, "div": x / y, "pow": x ** 2, "neg": -x,
        "exp": x.exp(), "log": x.abs().log(), "log1p": x.abs().log1p(), "sqrt": x.abs().sqrt(),
        "sin": x.sin(), "cos": x.cos(), "tanh": x.tanh(), "sigmoid": x.sigmoid(), "relu": x.relu(),
        "sinh": x.sinh(), "cosh": x.cosh(), "log2": x.abs().log2(), "log10": x.abs().log10(),
        "clamp": x.clamp(0, 1), "maximum": lib.maximum(x, y), "where": lib.where(x > 0, x, y),
        "cast": x.float(), "sum": x.sum(), "sum_dim": x.sum(0), "mean": x.mean(), "mean_dim": x.mean(0),
        "max": x.max(), "max_dim": x.max(0)[0], "min_dim": x.min(1)[0], "amax": x.amax(0),
        "var": x.var(0), "std": x.std(), "norm": x.norm(), "logsumexp": x.logsumexp(1),
        "softmax": x.softmax(1), "log_softmax": x.log_softmax(1),
        "reshape": x.reshape(12), "view": x.view(4, 3), "flatten": x.flatten(),
        "permute": s.permute(2, 0, 1), "transpose": s.transpose(0, 1), "t": x.t(),
        "expand": y.expand(3, 4), "clone": x.clone(), "select": x[0], "slice": x[1:],
        "index": x[[0, 2]], "mask": x[x > 0], "cat": lib.cat([x, x]), "stack": lib.stack([x, x]),
        "mm": x @ x.t(), "mv": x @ y, "dot": y @ y, "bmm": s @ s.transpose(1, 2),
        "linear": F.linear(x, x[:2], y[:2]), "linear_no_bias": F.linear(x, x[:2]),
        "leaky_relu": F.leaky_relu(x), "elu": F.elu(x), "gelu": F.gelu(x), "softplus": F.softplus(x),
        "layer_norm": F.layer_norm(x, (4,)),
        "nll_loss": F.nll_loss(x.log_softmax(1), lib.tensor([0, 1, 2])),
        "cross_entropy": F.cross_entropy(x, lib.tensor([0, 1, 2])),
    }


def test_grad_fn_names_match_torch(torch):
    data = np.linspace(-1.5, 2.0, 12).reshape(3, 4)
    sdata = np.linspace(-1, 1, 24).reshape(2, 3, 4)
    ours = _graph_pairs(mg, mg.tensor(data, requires_grad=True), mg.tensor(data[0], requires_grad=True),
                        mg.tensor(sdata, requires_grad=True))
    theirs = _graph_pairs(torch, torch.tensor(data, requires_grad=True), torch.tensor(data[0], requires_grad=True),
                          torch.tensor(sdata, requires_grad=True))
    got = {k: repr(v.grad_fn) for k, v in ours.items()}
    expected = {k: f"<{type(v.grad_fn).__name__}>" for k, v in theirs.items()}
    assert got == expected


def test_node_name_is_the_torch_name_its_repr_shows():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    assert x.sum(0).grad_fn.name == "SumBackward1" and repr(x.sum().grad_fn) == "<SumBackward0>"


def test_in_place_writes_in_the_graph_are_named_as_torch(torch):
    names = []
    for lib in (mg, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b, c, d = a * 1, a * 1, a * 1
        b[0] = 5.0
        c[lib.tensor([0, 1])] = lib.tensor([1.0, 2.0])
        d.fill_(2.0)
        names.append([type(t.grad_fn).__name__ if lib is torch else t.grad_fn.name for t in (b, c, d)])
    assert names[0] == names[1]
