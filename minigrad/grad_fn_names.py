"""PyTorch's names for graph nodes: what ``repr(t.grad_fn)`` and tensor reprs show.

minigrad's ops have short class names (``Add``, ``MatMul``); ``node.name``, reprs and
graph drawings show torch's autograd node names instead (``AddBackward0``,
``MmBackward0``), so a learner's output matches the PyTorch tutorial's. Where torch
picks the name by overload (``x.sum()`` is ``SumBackward0``, ``x.sum(0)`` is
``SumBackward1``) the entry is a function of the node. Each name was checked by running
torch 2.x. Ops not listed print as ``<ClassName>Backward0``.
"""
from __future__ import annotations


def _reduced(all_dims, some_dims):
    return lambda node: all_dims if node.meta[1] is None else some_dims


def _getitem(node):
    """torch applies an index left to right; the node is that of the last real step."""
    index = node.meta[1]
    parts = index if isinstance(index, tuple) else (index,)
    if not node.meta[2]:  # advanced (array / bool / list) indexing
        return "IndexBackward0"
    name = "AliasBackward0"
    for p in parts:
        if p is None:
            name = "UnsqueezeBackward0"
        elif isinstance(p, int):
            name = "SelectBackward0"
        elif isinstance(p, slice) and p != slice(None):
            name = "SliceBackward0"
    return name


def _setitem(node):
    parts = node.index if isinstance(node.index, tuple) else (node.index,)
    basic = all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)
    return "CopySlices" if basic else "IndexPutBackward0"


def _permute(node):
    dims = node.dims
    moved = [i for i, d in enumerate(dims) if i != d]
    if len(dims) == 2:
        return "TBackward0"
    return "TransposeBackward0" if len(moved) == 2 else "PermuteBackward0"


def _matmul(node):
    return {0: "DotBackward0", 1: "MvBackward0", 2: "MmBackward0"}.get(len(node.shape), "UnsafeViewBackward0")


def _linear(node):
    if len(node.shape) != 2:
        return "ViewBackward0"
    return "AddmmBackward0" if node.has_bias else "MmBackward0"


TORCH_NAMES = {
    # elementwise
    "Add": "AddBackward0", "Sub": "SubBackward0", "Mul": "MulBackward0", "Div": "DivBackward0",
    "PowScalar": "PowBackward0", "Pow": "PowBackward1", "Neg": "NegBackward0",
    "Exp": "ExpBackward0", "Log": "LogBackward0", "Log1p": "Log1PBackward0", "Log2": "Log2Backward0",
    "Log10": "Log10Backward0", "Sqrt": "SqrtBackward0", "Abs": "AbsBackward0", "Sin": "SinBackward0",
    "Cos": "CosBackward0", "Sinh": "SinhBackward0", "Cosh": "CoshBackward0", "Tanh": "TanhBackward0",
    "Sigmoid": "SigmoidBackward0", "Relu": "ReluBackward0", "Clamp": "ClampBackward1",
    "Maximum": "MaximumBackward0", "Minimum": "MinimumBackward0", "Where": "WhereBackward0",
    "Cast": "ToCopyBackward0", "ToDevice": "ToCopyBackward0",
    # reductions
    "Sum": _reduced("SumBackward0", "SumBackward1"),
    "Mean": _reduced("MeanBackward0", "MeanBackward1"),
    "MaxReduce": lambda n: ("MaxBackward1" if n.largest else "MinBackward1") if n.meta[0] is None
    else ("AmaxBackward0" if n.largest else "AminBackward0"),
    "MaxDim": lambda n: "MaxBackward0" if n.largest else "MinBackward0",
    "Var": "VarBackward0", "Std": "StdBackward0", "Norm": "LinalgVectorNormBackward0",
    "LogSumExp": "LogsumexpBackward0", "Softmax": "SoftmaxBackward0", "LogSoftmax": "LogSoftmaxBackward0",
    # shape
    "Reshape": "ViewBackward0", "Permute": _permute, "Expand": "ExpandBackward0",
    "Clone": "CloneBackward0", "GetItem": _getitem, "Cat": "CatBackward0", "Stack": "StackBackward0",
    # in-place writes recorded in the graph
    "Fill": "FillBackward2", "Copy": "CopyBackwards", "SetItem": _setitem,
    # linear algebra
    "MatMul": _matmul, "Linear": _linear,
    # nn primitives
    "LeakyReLU": "LeakyReluBackward0", "ELU": "EluBackward0", "Softplus": "SoftplusBackward0",
    "GELU": "GeluBackward0", "DropoutMask": "MulBackward0",
    "Normalize": lambda n: "NativeBatchNormBackward0" if 0 in n.meta[0] else "NativeLayerNormBackward0",
    "ClassNLL": "NllLossBackward0", "BinaryCrossEntropy": "BinaryCrossEntropyBackward0",
    "BinaryCrossEntropyWithLogits": "BinaryCrossEntropyWithLogitsBackward0",
}


def backward_name(node) -> str:
    """torch's name for `node` (``"AddBackward0"``); ``"AccumulateGrad"`` for a leaf tensor."""
    if not hasattr(node, "backward") or hasattr(node, "requires_grad"):
        return "AccumulateGrad"
    cls = type(node).__name__
    entry = TORCH_NAMES.get(cls)
    if entry is None:
        return cls + "Backward0"
    if isinstance(entry, str):
        return entry
    try:
        return entry(node)
    except (AttributeError, TypeError, IndexError):  # a node made before its fields were set
        return cls + "Backward0"
