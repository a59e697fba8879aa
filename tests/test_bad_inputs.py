"""A table of bad calls: each raises a clear error, names the culprit, and changes nothing.

Every row is one bad call, written once against a module `m` (minigrad or torch) and a
fresh environment `e` of inputs built from the same NumPy arrays. For minigrad the row
asserts the exception type and that the message names the culprit (argument, shape,
dtype); afterwards every input tensor and model must be exactly as before (values,
shape, dtype, version counter, gradients). Where torch is installed the same call is
made in torch: it must raise too (the class is listed; where they differ minigrad raises
ValueError for a bad argument value, TypeError for a wrong type, IndexError for a bad
dim, as the house style asks, where torch's C++ core raises RuntimeError), or, for the
few rows marked `torch=None`, torch accepts the call and minigrad deliberately refuses.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import minigrad as mg

pytestmark = pytest.mark.filterwarnings("ignore:.*target size:UserWarning")  # mse_shapes warns, then raises

X = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
BOOLS = np.array([True, False])
INTS = np.array([2, 3])


class Env:
    """Fresh inputs for one row, in minigrad or torch."""

    def __init__(self, m):
        self.m = m
        self.F = m.nn.functional
        m.manual_seed(0)
        self.x = m.tensor(X.copy(), requires_grad=True)
        self.b = m.tensor(BOOLS.copy())
        self.i = m.tensor(INTS.copy())
        self.empty = m.ones(0)
        self.lin = m.nn.Linear(2, 3)
        self.bn = m.nn.BatchNorm1d(3)
        self.logits = m.tensor(X.copy())
        self.target = m.tensor(np.array([0, 2]))

    def snapshot(self):
        out = {}
        for name, v in vars(self).items():
            if hasattr(v, "state_dict"):
                for k, t in v.state_dict().items():
                    out[f"{name}.{k}"] = (t.numpy().copy(), None)
                out[f"{name}.grads"] = ([p.grad for p in v.parameters()], None)
            elif hasattr(v, "shape") and hasattr(v, "_version"):
                out[name] = (v.detach().numpy().copy(), (v._version, v.grad))
        return out


@dataclass
class Bad:
    id: str
    call: Callable
    error: type
    match: str
    torch: type | None = "same"  # torch's exception class; None: torch accepts it

    @property
    def torch_error(self):
        return self.error if self.torch == "same" else self.torch


ROWS = [
    # ------------------------------------------------------------ factories
    Bad("rand_int64", lambda m, e: m.rand(3, dtype=m.int64), TypeError, "rand: dtype .*int64", NotImplementedError),
    Bad("randn_int64", lambda m, e: m.randn(3, dtype=m.int64), TypeError, "randn: dtype .*int64", NotImplementedError),
    Bad("rand_like_int", lambda m, e: m.rand_like(e.i), TypeError, "rand: dtype .*int64", NotImplementedError),
    Bad("full_none", lambda m, e: m.full((2,), None), TypeError, "fill_value .*NoneType"),
    Bad("full_str", lambda m, e: m.full((2,), "a"), TypeError, "fill_value .*str"),
    Bad("full_negative_size", lambda m, e: m.full((-2,), 1.0), ValueError, r"size .*\(-2,\)", RuntimeError),
    Bad("zeros_negative", lambda m, e: m.zeros(-1), ValueError, r"zeros: size .*-1", RuntimeError),
    Bad("zeros_float_size", lambda m, e: m.zeros(2.5), ValueError, r"zeros: size .*2\.5", TypeError),
    Bad("zeros_bad_dtype", lambda m, e: m.zeros(2, dtype="float99"), TypeError, "float99"),
    Bad("tensor_int_past_int64", lambda m, e: m.tensor([1, 2**63]), ValueError, "9223372036854775808 does not fit in int64"),
    Bad("tensor_int_past_uint64", lambda m, e: m.tensor([2**64]), ValueError, "18446744073709551616 does not fit"),
    Bad("tensor_int_below_int64", lambda m, e: m.tensor([[-2**63 - 1]]), ValueError, "-9223372036854775809 does not fit"),
    Bad("tensor_object_array", lambda m, e: m.tensor(np.array([object(), 1], dtype=object)), TypeError, "dtype object"),
    Bad("tensor_str_array", lambda m, e: m.tensor(np.array(["a", "b"])), TypeError, "dtype <U1"),
    Bad("tensor_str_list", lambda m, e: m.tensor(["a", "b"]), TypeError, "<U1", ValueError),
    Bad("tensor_datetime_array", lambda m, e: m.tensor(np.array(["2020-01-01"], dtype="datetime64[D]")), TypeError, "datetime64"),
    Bad("tensor_datetime_list", lambda m, e: m.tensor([datetime.date(2020, 1, 1)]), TypeError, "date", RuntimeError),
    Bad("tensor_complex_array", lambda m, e: m.tensor(np.array([1 + 2j])), TypeError, "complex128", None),
    Bad("tensor_complex_list", lambda m, e: m.tensor([1 + 2j]), TypeError, "complex128", None),
    Bad("tensor_ragged", lambda m, e: m.tensor([[1, 2], [3]]), ValueError, "different lengths"),
    Bad("tensor_none", lambda m, e: m.tensor(None), TypeError, "NoneType", RuntimeError),
    Bad("tensor_dict", lambda m, e: m.tensor({"a": 1}), TypeError, "dict", RuntimeError),
    Bad("from_numpy_object", lambda m, e: m.from_numpy(np.array([None, 1])), TypeError, "from_numpy: .*object"),
    Bad("from_numpy_complex", lambda m, e: m.from_numpy(np.array([1j])), TypeError, "from_numpy: .*complex128", None),
    Bad("from_numpy_list", lambda m, e: m.from_numpy([1, 2]), TypeError, "from_numpy: .*list"),
    Bad("arange_step_wrong_sign", lambda m, e: m.arange(0, 10, -1), ValueError, "step sign .*step=-1", RuntimeError),
    Bad("arange_step_zero", lambda m, e: m.arange(0, 10, 0), ValueError, "step must be nonzero", RuntimeError),
    Bad("arange_infinite", lambda m, e: m.arange(0, float("inf")), ValueError, "end must be finite", RuntimeError),
    Bad("arange_nan", lambda m, e: m.arange(0, float("nan")), ValueError, "end must be finite", RuntimeError),
    Bad("arange_str", lambda m, e: m.arange("a"), TypeError, "arange: end .*str"),
    Bad("arange_none_step", lambda m, e: m.arange(0, 3, None), TypeError, "arange: step .*NoneType"),
    Bad("randperm_negative", lambda m, e: m.randperm(-1), ValueError, "randperm: n .*-1", RuntimeError),
    Bad("randperm_float", lambda m, e: m.randperm(2.5), TypeError, r"randperm: n .*2\.5"),
    Bad("randint_empty_range", lambda m, e: m.randint(5, 5, (2,)), ValueError, r"high \(5\) .*low \(5\)", RuntimeError),
    Bad("linspace_negative_steps", lambda m, e: m.linspace(0, 1, -1), ValueError, "linspace: steps .*-1", RuntimeError),
    Bad("linspace_float_steps", lambda m, e: m.linspace(0, 1, 2.5), TypeError, r"linspace: steps .*2\.5"),
    Bad("linspace_str_end", lambda m, e: m.linspace(0, "a", 3), TypeError, "linspace: end .*str"),
    Bad("eye_negative", lambda m, e: m.eye(-1), ValueError, "eye: n .*-1", RuntimeError),
    Bad("eye_float", lambda m, e: m.eye(2.5), TypeError, r"eye: n .*2\.5"),
    Bad("eye_negative_m", lambda m, e: m.eye(2, -1), ValueError, "eye: m .*-1", RuntimeError),
    Bad("requires_grad_int", lambda m, e: m.ones(2, dtype=m.int64, requires_grad=True), RuntimeError, "int64"),
    Bad("device_unknown", lambda m, e: m.ones(2).to("tpu"), ValueError, "tpu", RuntimeError),
    # ------------------------------------------------------------ shape ops
    Bad("flatten_dim_out_of_range", lambda m, e: e.x.flatten(5), IndexError, "flatten: dim 5 .*2 dimensions"),
    Bad("flatten_end_out_of_range", lambda m, e: e.x.flatten(0, 7), IndexError, "flatten: dim 7"),
    Bad("flatten_0d_dim_1", lambda m, e: e.x.sum().flatten(1), IndexError, "flatten: dim 1 .*0 dimensions"),
    Bad("flatten_start_after_end", lambda m, e: m.ones(2, 3, 4).flatten(2, 1), ValueError, "start_dim 2 .*end_dim 1", RuntimeError),
    Bad("transpose_out_of_range", lambda m, e: e.x.transpose(7, 9), IndexError, "transpose: dim 7"),
    Bad("transpose_1d_out_of_range", lambda m, e: e.i.transpose(7, 9), IndexError, "transpose: dim 7 .*1 dimensions"),
    Bad("t_of_3d", lambda m, e: m.ones(2, 3, 4).t(), ValueError, "t: .*3", RuntimeError),
    Bad("reshape_wrong_size", lambda m, e: e.x.reshape(4, 2), ValueError, r"reshape: shape \(4, 2\) .*\(2, 3\)", RuntimeError),
    Bad("reshape_two_inferred", lambda m, e: e.x.reshape(-1, -1), ValueError, r"\(-1, -1\)", RuntimeError),
    Bad("reshape_negative", lambda m, e: e.x.reshape(-2, 3), ValueError, r"\(-2, 3\)", RuntimeError),
    Bad("view_wrong_size", lambda m, e: e.x.view(7), ValueError, r"\(7,\) .*\(2, 3\)", RuntimeError),
    Bad("permute_repeated", lambda m, e: e.x.permute(0, 0), ValueError, r"permute: dims \(0, 0\)", RuntimeError),
    Bad("permute_too_few", lambda m, e: e.x.permute(0), ValueError, r"permute: dims \(0,\)", RuntimeError),
    Bad("squeeze_out_of_range", lambda m, e: e.x.squeeze(5), IndexError, "squeeze: dim 5"),
    Bad("unsqueeze_out_of_range", lambda m, e: e.x.unsqueeze(5), IndexError, "unsqueeze: dim 5"),
    Bad("expand_incompatible", lambda m, e: e.x.expand(4, 3), ValueError, r"expand: .*\(2, 3\) .*\(4, 3\)", RuntimeError),
    Bad("cat_empty", lambda m, e: m.cat([]), ValueError, "cat: .*non-empty"),
    Bad("cat_shapes", lambda m, e: m.cat([m.ones(2, 3), m.ones(2, 4)]), ValueError, r"cat: .*\(2, 3\), \(2, 4\)", RuntimeError),
    Bad("stack_shapes", lambda m, e: m.stack([m.ones(2), m.ones(3)]), ValueError, r"stack: .*\(2,\), \(3,\)", RuntimeError),
    Bad("index_out_of_range", lambda m, e: e.i[5], IndexError, r"\[5\].*shape \(2,\)"),
    Bad("index_float", lambda m, e: e.i[1.5], IndexError, r"1\.5"),
    Bad("item_of_many", lambda m, e: e.x.item(), ValueError, r"item: .*\(2, 3\)", RuntimeError),
    # ------------------------------------------------------------ reductions
    Bad("sum_dim_out_of_range", lambda m, e: e.x.sum(dim=5), IndexError, "sum: dim 5"),
    Bad("sum_dim_float", lambda m, e: e.x.sum(dim=1.5), TypeError, r"sum: dim .*1\.5"),
    Bad("sum_dim_repeated", lambda m, e: e.x.sum(dim=(1, 1)), ValueError, r"sum: dim \(1, 1\) .*twice", RuntimeError),
    Bad("mean_int", lambda m, e: e.i.mean(), TypeError, "mean: .*int64", RuntimeError),
    Bad("max_dim_list", lambda m, e: e.x.max(dim=[0, 1]), TypeError, "max: dim"),
    Bad("max_of_empty", lambda m, e: e.empty.max(), RuntimeError, "empty"),
    Bad("amax_of_empty", lambda m, e: e.empty.amax(), RuntimeError, "empty"),
    Bad("argmax_of_empty", lambda m, e: e.empty.argmax(), IndexError, r"argmax: .*shape \(0,\)"),
    Bad("argmin_of_empty", lambda m, e: e.empty.argmin(), IndexError, r"argmin: .*shape \(0,\)"),
    Bad("argmax_empty_dim", lambda m, e: m.ones(2, 0).argmax(dim=1), IndexError, r"argmax: .*dim 1 of size 0"),
    Bad("max_empty_dim", lambda m, e: m.ones(2, 0).max(dim=1), IndexError, "max: .*dim 1 of size 0"),
    Bad("softmax_dim_out_of_range", lambda m, e: e.F.softmax(e.x, dim=5), IndexError, "softmax: dim 5"),
    # ------------------------------------------------------------ elementwise
    Bad("clamp_min_str", lambda m, e: e.x.clamp(min="a"), TypeError, "clamp: min .*str"),
    Bad("clamp_max_list", lambda m, e: e.x.clamp(max=[1, 2]), TypeError, "clamp: max .*list"),
    Bad("clamp_no_bounds", lambda m, e: e.x.clamp(), ValueError, "clamp: .*min and max", RuntimeError),
    Bad("bool_rsub", lambda m, e: True - e.b, TypeError, "sub: .*bool", RuntimeError),
    Bad("bool_sub_bool", lambda m, e: e.b - e.b, TypeError, "sub: .*bool", RuntimeError),
    Bad("bool_neg", lambda m, e: -e.b, TypeError, "neg: .*bool", RuntimeError),
    Bad("int_pow_negative_scalar", lambda m, e: e.i ** -1, RuntimeError, "negative integer powers .*int64"),
    Bad("add_shapes", lambda m, e: e.x + m.ones(4), ValueError, r"\(2, 3\) and \(4,\)", RuntimeError),
    Bad("add_str", lambda m, e: e.x + "a", TypeError, "str"),
    Bad("matmul_shapes", lambda m, e: e.x @ m.ones(4, 2), ValueError, r"\(2, 3\) and \(4, 2\)", RuntimeError),
    Bad("matmul_0d", lambda m, e: m.ones(()) @ m.ones(()), ValueError, "matmul: .*at least one dimension", RuntimeError),
    Bad("where_shapes", lambda m, e: m.where(e.b, m.ones(3), m.ones(4)), ValueError, r"\(2,\) and \(3,\) and \(4,\)", RuntimeError),
    Bad("where_float_condition", lambda m, e: m.where(e.x, e.x, e.x), TypeError, "where: condition .*float32", RuntimeError),
    # ------------------------------------------------------------ nn functional and layers
    Bad("linear_given_list", lambda m, e: e.lin([1.0, 2.0]), TypeError, "linear: input .*list"),
    Bad("linear_given_ndarray", lambda m, e: e.lin(np.ones(2, dtype=np.float32)), TypeError, "linear: input .*ndarray"),
    Bad("linear_wrong_features", lambda m, e: e.lin(m.ones(4, 5)), ValueError, r"linear: .*\(4, 5\).*\(3, 2\)", RuntimeError),
    Bad("linear_int_input", lambda m, e: e.lin(m.ones(4, 2, dtype=m.int64)), TypeError, "linear: .*int64 .*float32", RuntimeError),
    Bad("linear_weight_ndarray", lambda m, e: m.nn.functional.linear(e.x, np.ones((4, 3), dtype=np.float32)), TypeError,
        "linear: weight .*ndarray"),
    Bad("linear_bias_list", lambda m, e: m.nn.functional.linear(e.x, m.ones(4, 3), [0.0] * 4), TypeError,
        "linear: bias .*list"),
    Bad("Linear_negative", lambda m, e: m.nn.Linear(-1, 3), ValueError, "in_features .*-1", RuntimeError),
    Bad("Linear_float", lambda m, e: m.nn.Linear(2.5, 3), ValueError, r"in_features .*2\.5", TypeError),
    Bad("cross_entropy_0d", lambda m, e: e.F.cross_entropy(m.tensor(1.0), m.tensor(0)), ValueError, "cross_entropy: .*0-d", RuntimeError),
    Bad("nll_loss_0d", lambda m, e: e.F.nll_loss(m.tensor(1.0), m.tensor(0)), ValueError, "nll_loss: .*0-d"),
    Bad("cross_entropy_list_input", lambda m, e: e.F.cross_entropy([1.0, 2.0], e.target), TypeError, "cross_entropy: input .*list"),
    Bad("cross_entropy_target_out_of_range", lambda m, e: e.F.cross_entropy(e.logits, m.tensor([0, 9])), IndexError, "9"),
    Bad("cross_entropy_batch_mismatch", lambda m, e: e.F.cross_entropy(e.logits, m.tensor([0])), ValueError, r"\(2,\).*\(2, 3\).*\(1,\)"),
    Bad("cross_entropy_bad_reduction", lambda m, e: e.F.cross_entropy(e.logits, e.target, reduction="avg"), ValueError, "reduction .*avg"),
    Bad("cross_entropy_label_smoothing", lambda m, e: e.F.cross_entropy(e.logits, e.target, label_smoothing=2.0), ValueError, "label_smoothing .*2", RuntimeError),
    Bad("CrossEntropyLoss_label_smoothing", lambda m, e: m.nn.CrossEntropyLoss(label_smoothing=-0.5), ValueError, "label_smoothing .*-0.5", None),
    Bad("CrossEntropyLoss_ignore_index_str", lambda m, e: m.nn.CrossEntropyLoss(ignore_index="a"), TypeError, "ignore_index .*str", None),
    Bad("mse_shapes", lambda m, e: e.F.mse_loss(m.ones(3), m.ones(4)), ValueError, r"\(3,\) and \(4,\)", RuntimeError),
    Bad("MSELoss_reduction", lambda m, e: m.nn.MSELoss(reduction="avg"), ValueError, "MSELoss: reduction .*avg", None),
    Bad("BatchNorm1d_negative_eps", lambda m, e: m.nn.BatchNorm1d(3, eps=-1), ValueError, "BatchNorm1d: eps .*-1", None),
    Bad("BatchNorm1d_eps_str", lambda m, e: m.nn.BatchNorm1d(3, eps="small"), TypeError, "BatchNorm1d: eps .*str", None),
    Bad("BatchNorm1d_momentum", lambda m, e: m.nn.BatchNorm1d(3, momentum=2.0), ValueError, "BatchNorm1d: momentum .*2.0", None),
    Bad("BatchNorm1d_zero_features", lambda m, e: m.nn.BatchNorm1d(0), ValueError, "BatchNorm1d: num_features .*0", None),
    Bad("BatchNorm1d_negative_features", lambda m, e: m.nn.BatchNorm1d(-3), ValueError, "num_features .*-3", RuntimeError),
    Bad("BatchNorm1d_wrong_channels", lambda m, e: e.bn(m.ones(4, 5)), ValueError, r"BatchNorm1d: expected 3 .*\(4, 5\)", RuntimeError),
    Bad("BatchNorm1d_one_sample", lambda m, e: e.bn(m.ones(1, 3)), ValueError, r"more than 1 value per channel .*1, 3"),
    Bad("LayerNorm_negative_eps", lambda m, e: m.nn.LayerNorm(3, eps=-1), ValueError, "LayerNorm: eps .*-1", None),
    Bad("LayerNorm_float_shape", lambda m, e: m.nn.LayerNorm(2.5), TypeError, r"LayerNorm: normalized_shape .*2\.5"),
    Bad("layer_norm_shape_mismatch", lambda m, e: e.F.layer_norm(e.x, (4,)), ValueError, r"normalized_shape=\[4\].*\(2, 3\)", RuntimeError),
    Bad("Dropout_p", lambda m, e: m.nn.Dropout(1.5), ValueError, "between 0 and 1, but got 1.5"),
    Bad("dropout_p", lambda m, e: e.F.dropout(e.x, p=-0.1), ValueError, "between 0 and 1, but got -0.1"),
    Bad("LeakyReLU_slope_str", lambda m, e: m.nn.LeakyReLU("a"), TypeError, "LeakyReLU: negative_slope .*str", None),
    Bad("ELU_alpha_none", lambda m, e: m.nn.ELU(alpha=None), TypeError, "ELU: alpha .*NoneType", None),
    Bad("Softplus_beta_str", lambda m, e: m.nn.Softplus(beta="1"), TypeError, "Softplus: beta .*str", None),
    Bad("GELU_approximate", lambda m, e: m.nn.GELU(approximate="fast"), ValueError, "approximate .*fast", None),
    Bad("Softmax_dim_float", lambda m, e: m.nn.Softmax(dim=1.5), TypeError, r"Softmax: dim .*1\.5", None),
    Bad("Flatten_dim_out_of_range", lambda m, e: m.nn.Flatten(5)(e.x), IndexError, "flatten: dim 5"),
    Bad("Flatten_dim_str", lambda m, e: m.nn.Flatten("1"), TypeError, "Flatten: start_dim .*str", None),
    Bad("HuberLoss_delta", lambda m, e: m.nn.HuberLoss(delta=-1.0), ValueError, "HuberLoss: delta .*-1.0", None),
    Bad("huber_loss_delta", lambda m, e: e.F.huber_loss(e.x, e.x, delta=-1.0), ValueError, "delta .*-1.0", RuntimeError),
    Bad("SmoothL1Loss_beta", lambda m, e: m.nn.SmoothL1Loss(beta=-1.0), ValueError, "SmoothL1Loss: beta .*-1.0", None),
    Bad("Sequential_non_module", lambda m, e: m.nn.Sequential(m.nn.Linear(2, 2), 5), TypeError, "int is not a Module"),
]


def ids(rows):
    return [r.id for r in rows]


def test_row_ids_are_unique():
    assert len(set(ids(ROWS))) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_bad_call_raises_a_clear_error_and_changes_nothing(row):
    e = Env(mg)
    before = e.snapshot()
    with pytest.raises(row.error, match=row.match):
        row.call(mg, e)
    after = e.snapshot()
    assert after.keys() == before.keys()
    for name, (value, extra) in before.items():
        if name.endswith(".grads"):
            assert all(g is None for g in after[name][0]), name
            continue
        np.testing.assert_array_equal(after[name][0], value, err_msg=name)
        assert after[name][0].dtype == value.dtype, name
        assert after[name][1] == extra or (extra is None), name


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_torch_also_refuses_or_the_difference_is_deliberate(torch, row):
    e = Env(torch)
    if row.torch_error is None:
        row.call(torch, e)  # torch accepts it; minigrad refuses on purpose (the row says why by its name)
        return
    with pytest.raises(row.torch_error):
        row.call(torch, e)
