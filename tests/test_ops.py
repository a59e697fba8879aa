"""Table-driven op tests: every differentiable op against PyTorch and finite differences.

One table, `CASES`, lists (name, function, input shapes, input domain). Each function is
written once as ``fn(L, *inputs)`` and runs on minigrad and on torch: ``L.lib`` is the
library (``mg`` or ``torch``) and ``L.const(array)`` makes a constant tensor on the right
device. Every case is checked three ways:

* float64 forward values and input gradients equal torch's to round-off (rtol 1e-10);
* float32 forward values are close to torch's and keep torch's dtype;
* ``mg.gradcheck`` in float64 (finite differences, no torch needed).
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pytest
from conftest import to_np

import minigrad as mg


@dataclass
class Case:
    name: str
    fn: Callable
    shapes: tuple
    domain: str = "real"
    torch_fn: Optional[Callable] = None  # where torch spells the op differently
    grad: bool = True  # False for ops with integer outputs (argmax, ...)

    def __str__(self):
        return self.name


class Lib:
    """What a case function sees: the library and a constant-tensor maker."""

    def __init__(self, lib, device, torch_module=None):
        self.lib, self.device, self._torch = lib, device, torch_module

    def const(self, array):
        if self._torch is not None:
            return self._torch.from_numpy(np.asarray(array))
        return mg.tensor(np.asarray(array), device=self.device)

    def __getattr__(self, name):
        if self._torch is not None and name == "linear":
            return self._torch.nn.functional.linear
        return getattr(self.lib, name)


# ---------------------------------------------------------------------------- inputs
def make_input(shape, domain, rng):
    """Random float64 values whose domain keeps every op smooth and away from kinks."""
    if domain == "pos":  # log, sqrt, pow bases
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":  # log1p-friendly and small
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "nonzero":  # divisors, abs
        return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return rng.standard_normal(shape)


def inputs_for(case, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(make_input(s, case.domain, rng)) for s in case.shapes]


# ---------------------------------------------------------------------------- the table
BROADCAST_PAIRS = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (4,)),
                   ((), (2, 3)), ((2, 3), ()), ((1,), (3,))]
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
COND = np.array([[True, False, True, False]])  # broadcasts against (3, 4)


def _binary(name, fn, domain="real"):
    return [Case(f"{name}{a}{b}", fn, (a, b), domain) for a, b in BROADCAST_PAIRS]


CASES = [
    *_binary("add", lambda L, a, b: a + b),
    *_binary("sub", lambda L, a, b: a - b),
    *_binary("mul", lambda L, a, b: a * b),
    *_binary("div", lambda L, a, b: a / b, "nonzero"),
    *_binary("pow", lambda L, a, b: a ** b, "pos"),
    *_binary("maximum", lambda L, a, b: L.maximum(a, b)),
    *_binary("minimum", lambda L, a, b: L.minimum(a, b)),
    Case("add_scalar_right", lambda L, a: a + 2.5, ((2, 3),)),
    Case("add_scalar_left", lambda L, a: 2.5 + a, ((2, 3),)),
    Case("add_int_scalar", lambda L, a: a + 2, ((2, 3),)),
    Case("sub_scalar_right", lambda L, a: a - 1.5, ((2, 3),)),
    Case("sub_scalar_left", lambda L, a: 1.5 - a, ((2, 3),)),
    Case("mul_scalar_right", lambda L, a: a * 3.0, ((2, 3),)),
    Case("mul_int_scalar_left", lambda L, a: 3 * a, ((2, 3),)),
    Case("div_scalar_right", lambda L, a: a / 4.0, ((2, 3),)),
    Case("div_scalar_left", lambda L, a: 2.0 / a, ((2, 3),), "nonzero"),
    Case("scalar_0d", lambda L, a: a * 2.0 + 1.0, ((),)),
    Case("pow_square", lambda L, a: a ** 2, ((2, 3),)),
    Case("pow_cube", lambda L, a: a ** 3, ((2, 3),)),
    Case("pow_float", lambda L, a: a ** 2.0, ((2, 3),)),
    Case("pow_half", lambda L, a: a ** 0.5, ((2, 3),), "pos"),
    Case("pow_negative", lambda L, a: a ** -1.5, ((2, 3),), "pos"),
    Case("pow_zero", lambda L, a: a ** 0, ((2, 3),)),
    Case("rpow_float", lambda L, a: 2.0 ** a, ((2, 3),)),
    Case("rpow_int", lambda L, a: 3 ** a, ((2, 3),)),
    Case("matmul_1d_1d", lambda L, a, b: a @ b, ((3,), (3,))),
    Case("matmul_2d_2d", lambda L, a, b: a @ b, ((2, 3), (3, 4))),
    Case("matmul_1d_2d", lambda L, a, b: a @ b, ((3,), (3, 4))),
    Case("matmul_2d_1d", lambda L, a, b: a @ b, ((2, 3), (3,))),
    Case("matmul_batched", lambda L, a, b: a @ b, ((2, 2, 3), (2, 3, 4))),
    Case("matmul_batched_2d", lambda L, a, b: a @ b, ((2, 2, 3), (3, 4))),
    Case("matmul_broadcast_batch", lambda L, a, b: a @ b, ((2, 1, 2, 3), (3, 3, 4))),
    Case("matmul_1d_batched", lambda L, a, b: a @ b, ((3,), (2, 3, 4))),
    Case("matmul_batched_1d", lambda L, a, b: a @ b, ((2, 2, 3), (3,))),
    Case("matmul_fn", lambda L, a, b: L.matmul(a, b), ((2, 3), (3, 2))),
    Case("neg", lambda L, a: -a, ((2, 3),)),
    Case("exp", lambda L, a: a.exp(), ((2, 3),)),
    Case("exp_fn_0d", lambda L, a: L.exp(a), ((),)),
    Case("log", lambda L, a: a.log(), ((2, 3),), "pos"),
    Case("log1p", lambda L, a: a.log1p(), ((2, 3),), "unit"),
    Case("sqrt", lambda L, a: a.sqrt(), ((2, 3),), "pos"),
    Case("abs", lambda L, a: a.abs(), ((2, 3),), "nonzero"),
    Case("abs_builtin", lambda L, a: abs(a), ((2, 3),), "nonzero"),
    Case("sin", lambda L, a: a.sin(), ((2, 3),)),
    Case("cos", lambda L, a: a.cos(), ((2, 3),)),
    Case("tanh", lambda L, a: a.tanh(), ((2, 3),)),
    Case("sigmoid", lambda L, a: a.sigmoid(), ((2, 3),)),
    Case("relu", lambda L, a: a.relu(), ((3, 4),), "nonzero"),
    Case("clamp_min", lambda L, a: a.clamp(min=-0.3), ((3, 4),)),
    Case("clamp_max", lambda L, a: a.clamp(max=0.3), ((3, 4),)),
    Case("clamp_both", lambda L, a: a.clamp(-0.3, 0.3), ((3, 4),)),
    Case("clamp_fn", lambda L, a: L.clamp(a, min=-0.5, max=0.5), ((3, 4),)),
    Case("where", lambda L, a, b: L.where(L.const(COND), a, b), ((3, 4), (3, 1))),
    Case("where_scalar_other", lambda L, a: L.where(L.const(COND), a, 0.0), ((3, 4),)),
    Case("sum_all", lambda L, a: a.sum(), ((2, 3, 4),)),
    Case("sum_dim", lambda L, a: a.sum(1), ((2, 3, 4),)),
    Case("sum_neg_dim_keepdim", lambda L, a: a.sum(dim=-1, keepdim=True), ((2, 3, 4),)),
    Case("sum_tuple_dim", lambda L, a: a.sum(dim=(0, 2)), ((2, 3, 4),)),
    Case("sum_fn_0d", lambda L, a: L.sum(a), ((),)),
    Case("mean_all", lambda L, a: a.mean(), ((2, 3, 4),)),
    Case("mean_dim", lambda L, a: a.mean(0), ((2, 3, 4),)),
    Case("mean_tuple_keepdim", lambda L, a: a.mean(dim=(1, 2), keepdim=True), ((2, 3, 4),)),
    Case("max_all", lambda L, a: a.max(), ((2, 3, 4),)),
    Case("min_all", lambda L, a: a.min(), ((2, 3, 4),)),
    Case("max_dim", lambda L, a: a.max(dim=1), ((2, 3, 4),)),
    Case("max_dim_keepdim", lambda L, a: a.max(dim=-1, keepdim=True), ((2, 3, 4),)),
    Case("min_dim", lambda L, a: a.min(0), ((3, 4),)),
    Case("max_fn_dim", lambda L, a: L.max(a, 1), ((3, 4),)),
    Case("amax_tuple", lambda L, a: a.amax(dim=(0, 2)), ((2, 3, 4),)),
    Case("amin_keepdim", lambda L, a: a.amin(dim=1, keepdim=True), ((2, 3, 4),)),
    Case("var_all", lambda L, a: a.var(), ((3, 4),)),
    Case("var_dim", lambda L, a: a.var(1), ((3, 4),)),
    Case("var_biased", lambda L, a: a.var(1, unbiased=False), ((3, 4),)),
    Case("var_correction", lambda L, a: a.var(dim=0, correction=2, keepdim=True), ((4, 3),)),
    Case("var_tuple_dim", lambda L, a: a.var(dim=(0, 2)), ((2, 3, 4),)),
    Case("std_all", lambda L, a: a.std(), ((3, 4),)),
    Case("std_dim_biased", lambda L, a: a.std(0, unbiased=False), ((3, 4),)),
    Case("std_correction", lambda L, a: a.std(dim=1, correction=0, keepdim=True), ((3, 4),)),
    Case("logsumexp_dim", lambda L, a: a.logsumexp(1), ((3, 4),)),
    Case("logsumexp_tuple", lambda L, a: L.logsumexp(a, dim=(0, 1)), ((2, 3, 4),)),
    Case("logsumexp_keepdim", lambda L, a: a.logsumexp(dim=-1, keepdim=True), ((2, 3, 4),)),
    Case("argmax_all", lambda L, a: a.argmax(), ((3, 4),), grad=False),
    Case("argmax_dim", lambda L, a: a.argmax(dim=1), ((3, 4),), grad=False),
    Case("argmin_dim_keepdim", lambda L, a: a.argmin(dim=0, keepdim=True), ((3, 4),), grad=False),
    Case("argmin_fn", lambda L, a: L.argmin(a), ((2, 3, 4),), grad=False),
    Case("reshape", lambda L, a: a.reshape(3, -1), ((2, 3, 4),)),
    Case("reshape_tuple", lambda L, a: a.reshape((6, 4)), ((2, 3, 4),)),
    Case("reshape_fn", lambda L, a: L.reshape(a, (4, 6)), ((2, 3, 4),)),
    Case("view", lambda L, a: a.view(-1), ((2, 3, 4),)),
    Case("flatten", lambda L, a: a.flatten(), ((2, 3, 4),)),
    Case("flatten_start", lambda L, a: a.flatten(1), ((2, 3, 4),)),
    Case("transpose", lambda L, a: a.transpose(0, 2), ((2, 3, 4),)),
    Case("transpose_neg", lambda L, a: a.transpose(-1, -2), ((2, 3, 4),)),
    Case("permute", lambda L, a: a.permute(2, 0, 1), ((2, 3, 4),)),
    Case("permute_tuple", lambda L, a: a.permute((1, 2, 0)), ((2, 3, 4),)),
    Case("squeeze_all", lambda L, a: a.squeeze(), ((2, 1, 3, 1),)),
    Case("squeeze_dim", lambda L, a: a.squeeze(1), ((2, 1, 3, 1),)),
    Case("squeeze_noop_dim", lambda L, a: a.squeeze(0), ((2, 1, 3),)),
    Case("unsqueeze", lambda L, a: a.unsqueeze(0), ((2, 3),)),
    Case("unsqueeze_neg", lambda L, a: a.unsqueeze(-1), ((2, 3),)),
    Case("expand", lambda L, a: a.expand(2, 3, 4), ((3, 1),)),
    Case("expand_keep", lambda L, a: a.expand(-1, 4), ((3, 1),)),
    Case("T", lambda L, a: a.T, ((2, 3),)),
    Case("T_then_mul", lambda L, a, b: a.T * b, ((2, 3), (3, 2))),
    Case("index_int", lambda L, a: a[1], ((3, 4),)),
    Case("index_negative_int", lambda L, a: a[-1, -2], ((3, 4),)),
    Case("index_slice", lambda L, a: a[1:3], ((4, 3),)),
    Case("index_step", lambda L, a: a[::2, 1:], ((4, 3),)),
    Case("index_negative_step", lambda L, a: a[::-1], ((4, 3),), torch_fn=lambda L, a: a.flip(0)),
    Case("index_negative_step_2", lambda L, a: a[:, ::-2], ((3, 4),), torch_fn=lambda L, a: a.flip(1)[:, ::2]),
    Case("index_none", lambda L, a: a[None, :, 1], ((3, 4),)),
    Case("index_ellipsis", lambda L, a: a[..., 1], ((2, 3, 4),)),
    Case("index_ellipsis_none", lambda L, a: a[0, ..., None], ((2, 3, 4),)),
    Case("index_bool_mask", lambda L, a: a[L.const(MASK)], ((3, 4),)),
    Case("index_bool_rows", lambda L, a: a[L.const(np.array([True, False, True]))], ((3, 4),)),
    Case("index_int_array_repeated", lambda L, a: a[L.const(np.array([0, 2, 0, 0]))], ((3, 4),)),
    Case("index_list_repeated", lambda L, a: a[[1, 1, 2]], ((3, 4),)),
    Case("index_array_pairs", lambda L, a: a[L.const(np.array([0, 1, 0])), L.const(np.array([2, 2, 2]))], ((3, 4),)),
    Case("index_2d_int_array_repeated", lambda L, a: a[L.const(np.array([[0, 2], [0, 0]]))], ((3, 4),)),
    Case("index_0d_int_tensor", lambda L, a: a[L.const(np.array(1))], ((3, 4),)),
    Case("index_bool_columns", lambda L, a: a[:, L.const(np.array([True, False, True, True]))], ((3, 4),)),
    Case("index_bool_and_int_arrays", lambda L, a: a[L.const(np.array([True, False, True])), L.const(np.array([1, 1]))],
         ((3, 4),)),
    Case("index_mixed", lambda L, a: a[L.const(np.array([2, 0, 2])), 1:], ((3, 4),)),
    Case("index_mixed_middle", lambda L, a: a[:, L.const(np.array([1, 1, 3]))], ((2, 4, 3),)),
    Case("cat_dim0", lambda L, a, b, c: L.cat([a, b, c]), ((1, 3), (2, 3), (3, 3))),
    Case("cat_dim1", lambda L, a, b: L.cat((a, b), dim=1), ((2, 3), (2, 1))),
    Case("cat_neg_dim", lambda L, a, b: L.cat([a, b], dim=-1), ((2, 2, 1), (2, 2, 3))),
    Case("stack_dim0", lambda L, a, b: L.stack([a, b]), ((2, 3), (2, 3))),
    Case("stack_last", lambda L, a, b, c: L.stack([a, b, c], dim=-1), ((2, 3), (2, 3), (2, 3))),
    Case("softmax_last", lambda L, a: a.softmax(-1), ((3, 4),)),
    Case("softmax_dim0", lambda L, a: L.softmax(a, dim=0), ((3, 4),)),
    Case("log_softmax", lambda L, a: a.log_softmax(dim=1), ((2, 3, 4),)),
    Case("log_softmax_fn", lambda L, a: L.log_softmax(a, -1), ((3, 4),)),
    Case("linear", lambda L, x, w, b: L.linear(x, w, b), ((5, 3), (4, 3), (4,))),
    Case("linear_no_bias", lambda L, x, w: L.linear(x, w), ((5, 3), (4, 3))),
    Case("linear_1d_input", lambda L, x, w, b: L.linear(x, w, b), ((3,), (4, 3), (4,))),
    Case("linear_batched", lambda L, x, w, b: L.linear(x, w, b), ((2, 5, 3), (4, 3), (4,))),
    Case("chain", lambda L, a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).sum(1).log_softmax(0), ((3, 4), (4,))),
]
IDS = [c.name for c in CASES]
assert len(set(IDS)) == len(IDS), "case names must be unique"
GRAD_CASES = [c for c in CASES if c.grad]


# ---------------------------------------------------------------------------- runners
def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


def _run_mg(case, arrays, device, dtype, requires_grad):
    xs = [mg.tensor(a.astype(dtype), device=device, requires_grad=requires_grad) for a in arrays]
    return xs, _outputs(case.fn(Lib(mg, device), *xs))


def _run_torch(torch, case, arrays, dtype, requires_grad):
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    xs = [torch.tensor(a, dtype=tdtype, requires_grad=requires_grad) for a in arrays]
    fn = case.torch_fn or case.fn
    return xs, _outputs(fn(Lib(torch, "cpu", torch), *xs))


def _assert_close(mine, theirs, rtol, atol, what):
    mine, theirs = to_np(mine), to_np(theirs)
    assert mine.shape == theirs.shape, f"{what}: shape {mine.shape} != torch's {theirs.shape}"
    np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float64_forward_and_gradients_match_torch(case, device, torch):
    arrays = inputs_for(case)
    mx, mouts = _run_mg(case, arrays, device, np.float64, case.grad)
    tx, touts = _run_torch(torch, case, arrays, np.float64, case.grad)
    assert len(mouts) == len(touts)
    for i, (m, t) in enumerate(zip(mouts, touts)):
        assert str(m.dtype) == str(t.dtype).replace("torch.", ""), f"output {i} dtype"
        _assert_close(m, t, 1e-10, 1e-12, f"{case.name} output {i}")
    if not case.grad:
        return
    upstream = np.random.default_rng(1).standard_normal(mouts[0].shape)
    mouts[0].backward(mg.tensor(upstream, device=device))
    touts[0].backward(torch.from_numpy(upstream))
    for i, (m, t) in enumerate(zip(mx, tx)):
        assert m.grad is not None, f"{case.name}: input {i} got no gradient"
        assert m.grad.dtype == mg.float64 and m.grad.device == device
        _assert_close(m.grad, t.grad, 1e-10, 1e-12, f"{case.name} gradient of input {i}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_forward_matches_torch(case, device, torch):
    arrays = inputs_for(case, seed=2)
    _, mouts = _run_mg(case, arrays, device, np.float32, False)
    _, touts = _run_torch(torch, case, arrays, np.float32, False)
    for i, (m, t) in enumerate(zip(mouts, touts)):
        assert str(m.dtype) == str(t.dtype).replace("torch.", ""), f"output {i} dtype"
        _assert_close(m, t, 1e-5, 1e-6, f"{case.name} output {i}")


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
def test_float64_gradcheck(case, device):
    xs = [mg.tensor(a, device=device, requires_grad=True) for a in inputs_for(case, seed=3)]
    assert mg.gradcheck(lambda *ts: case.fn(Lib(mg, device), *ts), xs)


# ---------------------------------------------------------------------------- dtype rules
# (left, right) operands: ("t", dtype, shape) is a tensor, anything else a Python scalar.
PROMOTION_PAIRS = [
    (("t", "int64", (3,)), ("t", "float32", (3,))),
    (("t", "float32", (3,)), 2.5),
    (2.5, ("t", "float32", (3,))),
    (("t", "int64", (3,)), 2),
    (("t", "int64", (3,)), 2.5),
    (("t", "int32", (3,)), ("t", "int64", (3,))),
    (("t", "float32", (3,)), ("t", "float64", ())),
    (("t", "float64", ()), ("t", "float32", (3,))),
    (("t", "int64", (3,)), ("t", "float64", ())),
    (("t", "int8", (3,)), ("t", "int32", ())),
    (("t", "float16", (3,)), ("t", "float32", (3,))),
    (("t", "float32", ()), ("t", "float64", ())),
    (("t", "bool", (3,)), 2),
    (("t", "bool", (3,)), ("t", "int64", (3,))),
    (("t", "bool", (3,)), 1.5),
    (("t", "bool", (3,)), True),
    (("t", "uint8", (3,)), ("t", "int8", (3,))),
    (("t", "bool", (3,)), ("t", "int64", ())),
    (("t", "int32", ()), ("t", "bool", (3,))),
    (("t", "uint8", (3,)), ("t", "int64", ())),
    (("t", "int32", (3,)), ("t", "float16", ())),
    (("t", "float16", (3,)), ("t", "int64", ())),
]


def _operand(spec, lib, torch):
    if not isinstance(spec, tuple):
        return spec
    _, dtype, shape = spec
    values = np.arange(1, 1 + int(np.prod(shape))).reshape(shape).astype(dtype)
    if lib is mg:
        return mg.tensor(values)
    return torch.from_numpy(values)


def _spec_id(spec):
    return f"{spec[1]}{list(spec[2])}" if isinstance(spec, tuple) else repr(spec)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv"])
@pytest.mark.parametrize("left,right", PROMOTION_PAIRS, ids=[f"{_spec_id(a)}-{_spec_id(b)}" for a, b in PROMOTION_PAIRS])
def test_binary_result_dtype_follows_torch_promotion(op, left, right, torch):
    fn = getattr(__import__("operator"), op)
    try:
        expected = fn(_operand(left, torch, torch), _operand(right, torch, torch))
    except RuntimeError:  # torch refuses (e.g. subtracting bools): so must we
        with pytest.raises((TypeError, RuntimeError, ValueError)):
            fn(_operand(left, mg, torch), _operand(right, mg, torch))
        return
    got = fn(_operand(left, mg, torch), _operand(right, mg, torch))
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(to_np(got).astype(np.float64), to_np(expected).astype(np.float64), rtol=1e-3)


def test_int_tensor_divided_by_int_is_default_float(device):
    assert (mg.tensor([1, 2, 3], device=device) / 2).dtype == mg.float32


@pytest.mark.parametrize("fn", ["exp", "log1p", "sqrt", "sin", "sigmoid", "tanh", "logsumexp"])
def test_unary_maths_on_integers_returns_default_float(fn, device, torch):
    args = (0,) if fn == "logsumexp" else ()
    got = getattr(mg.tensor([1, 2, 3], device=device), fn)(*args)
    expected = getattr(torch.tensor([1, 2, 3]), fn)(*args)
    assert got.dtype == mg.float32 and str(expected.dtype) == "torch.float32"
    np.testing.assert_allclose(to_np(got), to_np(expected), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda x: x.clamp(2.5), lambda x: x.clamp(max=2.5), lambda x: x.clamp(2), lambda x: x.relu(),
    lambda x: x.abs(), lambda x: x.max(), lambda x: x.sum(dim=0, keepdim=True), lambda x: x ** 2,
    lambda x: x ** 0.5, lambda x: 2 ** x, lambda x: 2.0 ** x, lambda x: x * True,
], ids=["clamp_float", "clamp_max_float", "clamp_int", "relu", "abs", "max", "sum", "pow_int",
        "pow_float", "rpow_int", "rpow_float", "mul_bool"])
def test_integer_tensor_result_dtypes_follow_torch(call, device, torch):
    got, expected = call(mg.tensor([1, 4], device=device)), call(torch.tensor([1, 4]))
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(to_np(got), expected.detach().numpy(), rtol=1e-6)


def test_float32_ops_with_python_scalars_stay_float32(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * 0.1 + 3.0) / 7.0 - 1.0 + x ** 2.0 + 2.0 ** x
    assert y.dtype == mg.float32
    y.sum().backward()
    assert x.grad.dtype == mg.float32


def test_gradient_is_cast_back_to_each_inputs_dtype(device):
    a = mg.tensor([1.0, 2.0], dtype=mg.float32, device=device, requires_grad=True)
    b = mg.tensor([3.0, 4.0], dtype=mg.float64, device=device, requires_grad=True)
    out = a * b
    assert out.dtype == mg.float64
    out.sum().backward()
    assert a.grad.dtype == mg.float32 and b.grad.dtype == mg.float64
    np.testing.assert_array_equal(to_np(a.grad), [3.0, 4.0])


# ---------------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_return_bool_tensors_without_grad(op, device, torch):
    fn = getattr(__import__("operator"), op)
    a = np.array([[0.5, 1.0, 2.0]])
    b = np.array([[1.0], [2.0]])
    x = mg.tensor(a, device=device, requires_grad=True)
    for other, t_other in ((mg.tensor(b, device=device), torch.from_numpy(b)), (1.0, 1.0)):
        got = fn(x, other)
        assert got.dtype == mg.bool_ and not got.requires_grad and got.grad_fn is None
        np.testing.assert_array_equal(to_np(got), fn(torch.from_numpy(a), t_other).detach().numpy())


def test_scalar_on_the_left_of_a_comparison_is_reflected(device):
    x = mg.tensor([0.0, 1.0, 2.0], device=device)
    assert (1.0 < x).tolist() == [False, False, True]
    assert (1.0 == x).tolist() == [False, True, False]


# ---------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_is_stable_for_huge_inputs(name, dtype, device, torch):
    values = np.array([[1e4, 1e4 + 1.0, 1e4 - 2.0], [-1e4, -1e4 + 0.5, -1e4 - 3.0]], dtype=dtype)
    x = mg.tensor(values, device=device, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out, expected = getattr(x, name)(dim=1), getattr(tx, name)(dim=1)
    assert np.isfinite(to_np(out)).all()
    np.testing.assert_allclose(to_np(out), to_np(expected), rtol=1e-6)
    upstream = np.ones(out.shape, dtype=dtype)
    out.backward(mg.tensor(upstream, device=device))
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(to_np(x.grad), to_np(tx.grad), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_with_masked_minus_infinity_entries_matches_torch(name, device, torch):
    values = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -1.0]])
    x, tx = mg.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, expected = getattr(x, name)(1), getattr(tx, name)(1)
    np.testing.assert_allclose(to_np(out), to_np(expected), rtol=1e-12)
    upstream = np.arange(1.0, 1.0 + out.numel()).reshape(out.shape)
    out.backward(mg.tensor(upstream, device=device))
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(to_np(x.grad), to_np(tx.grad), rtol=1e-12)


def test_logsumexp_handles_minus_infinity(device, torch):
    values = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    got = mg.tensor(values, device=device).logsumexp(1)
    np.testing.assert_array_equal(to_np(got), torch.from_numpy(values).logsumexp(1).detach().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_at_plus_minus_100_is_exact(dtype, device, torch):
    values = np.array([-100.0, 100.0, 0.0], dtype=dtype)
    x = mg.tensor(values, device=device, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    y, ty = x.sigmoid(), tx.sigmoid()
    assert to_np(y)[1] == 1.0 and to_np(y)[2] == 0.5
    # float32 sigmoid(-100) is 3.7e-44 (torch underflows to 0); any value below float32's
    # smallest normal number (1.2e-38) is as good as exact
    atol = 1.2e-38 if dtype == "float32" else 0
    np.testing.assert_allclose(to_np(y), to_np(ty), rtol=1e-6, atol=atol)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), to_np(tx.grad), rtol=1e-6, atol=atol)


# ---------------------------------------------------------------------------- non-smooth points
KINKS = [
    ("maximum_ties", lambda L, a, b: L.maximum(a, b), [[1.0, 2.0, 3.0]], [[1.0, 0.0, 3.0]]),
    ("minimum_ties", lambda L, a, b: L.minimum(a, b), [[1.0, 2.0, 3.0]], [[1.0, 0.0, 3.0]]),
    ("max_all_ties", lambda L, a: a.max(), [[3.0, 1.0, 3.0], [0.0, 3.0, 2.0]]),
    ("amax_dim_ties", lambda L, a: a.amax(dim=1), [[3.0, 1.0, 3.0], [0.0, 3.0, 2.0]]),
    ("relu_at_zero", lambda L, a: a.relu(), [[0.0, -1.0, 1.0]]),
    ("abs_at_zero", lambda L, a: a.abs(), [[0.0, -1.0, 1.0]]),
    ("clamp_at_bounds", lambda L, a: a.clamp(-1.0, 1.0), [[-1.0, 1.0, 0.0, 2.0]]),
    ("pow_zero_base", lambda L, a, b: a ** b, [[0.0, 1.0, 2.0]], [[2.0, 2.0, 0.5]]),
    ("rpow_zero_exponent", lambda L, a: 2.0 ** a, [[0.0, -1.0]]),
    ("pow_scalar_zero_at_zero", lambda L, a: a ** 0, [[0.0, 2.0]]),
    ("pow_tensor_zero_at_zero", lambda L, a, b: a ** b, [[0.0, 0.0, 2.0]], [[0.0, 1.0, 0.0]]),
    ("std_of_a_constant", lambda L, a: a.std(), [[1.5, 1.5, 1.5]]),
    ("std_dim_with_a_constant_column", lambda L, a: a.std(dim=0), [[1.0, 2.0], [1.0, 3.0]]),
]


@pytest.mark.parametrize("name,fn,values", [(k[0], k[1], k[2:]) for k in KINKS], ids=[k[0] for k in KINKS])
def test_gradient_at_non_smooth_points_matches_torch(name, fn, values, device, torch):
    arrays = [np.array(v) for v in values]
    xs = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn(Lib(mg, device), *xs), fn(Lib(torch, "cpu", torch), *txs)
    np.testing.assert_allclose(to_np(out), to_np(expected), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(to_np(x.grad), to_np(tx.grad), rtol=1e-12)


def test_max_dim_gradient_goes_to_the_returned_index(device, torch):
    values = np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 2.0]])
    x = mg.tensor(values, device=device, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    (v, i), (tv, ti) = x.max(dim=1), tx.max(dim=1)
    assert i.dtype == mg.int64 and not i.requires_grad
    v.sum().backward()
    tv.sum().backward()
    # the one gradient entry per row sits where the returned index points
    np.testing.assert_array_equal(to_np(x.grad).argmax(1), to_np(i))
    np.testing.assert_array_equal(to_np(x.grad).sum(1), [1.0, 1.0])


def test_max_dim_result_has_values_and_indices_fields(device):
    out = mg.tensor([[1.0, 5.0], [7.0, 2.0]], device=device).max(dim=1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert indices.tolist() == [1, 0]


def test_var_with_too_few_elements_is_nan_like_torch(device, torch):
    import warnings

    with warnings.catch_warnings():  # both libraries warn about the degrees of freedom
        warnings.simplefilter("ignore")
        expected = torch.tensor([1.0]).var().item()
        got = mg.tensor([1.0], device=device).var().item()
    assert np.isnan(got) and np.isnan(expected)
