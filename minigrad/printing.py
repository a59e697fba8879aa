"""Tensor ``repr``/``str`` in PyTorch's format (a port of torch/_tensor_str.py).

Host-side code: it formats a NumPy copy of the values. The rules are torch's: 4 digits
after the point, scientific notation when the nonzero finite magnitudes span more than
1000x or leave [1e-4, 1e8], floats that are all integers printed as ``1.``, rows wrapped
at 80 columns, tensors over 1000 elements summarised with ``...`` (3 items each side),
and the ``dtype=``/``device=``/``grad_fn=``/``requires_grad=True`` suffixes.
``set_printoptions`` changes the settings, as ``torch.set_printoptions``.
"""
from __future__ import annotations

import dataclasses
import math

from . import backend

np = backend.np


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (as ``torch.set_printoptions``).

    `profile` is ``"default"``, ``"short"`` (2 digits, 2 edge items) or ``"full"`` (no
    summarising); `sci_mode` True/False forces or forbids scientific notation (None: auto).
    """
    if profile is not None:
        if profile not in ("default", "short", "full"):
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', got {profile!r}")
        PRINT_OPTS.precision = 2 if profile == "short" else 4
        PRINT_OPTS.threshold = math.inf if profile == "full" else 1000
        PRINT_OPTS.edgeitems = 2 if profile == "short" else 3
        PRINT_OPTS.linewidth = 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for `set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


class _Formatter:
    """Chooses int/fixed/scientific mode and the column width from the values shown."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        with np.errstate(invalid="ignore"):
            shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        mags = np.abs(shown).astype(np.float64)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool((shown == np.ceil(shown)).all())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "."
        else:
            spec, extra = f".{p}f", 0
        for v in shown.tolist():
            self.max_width = max(self.max_width, len(format(v, spec)) + extra)

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = [fmt.format(v) for v in a[:edge].tolist()] + [" ..."] + [fmt.format(v) for v in a[-edge:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(a.shape[0] - edge, a.shape[0]))
    else:
        rows = range(a.shape[0])
    slices = ["..." if i is None else _nested_str(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a):
    """Only the values a summarised print shows (they alone set the format)."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    rows = list(range(edge)) + list(range(a.shape[0] - edge, a.shape[0])) if a.shape[0] > 2 * edge else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _values_str(a, indent):
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype.kind == "c":  # complex: not torch's two-formatter layout, NumPy's instead
        return np.array2string(a, separator=", ", precision=PRINT_OPTS.precision, prefix=" " * indent)
    fmt = _Formatter(_summarized(a) if summarize else a)
    return _nested_str(a, indent, summarize, fmt)


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)`` as torch prints it, e.g. ``tensor([1.0000, 2.5000], requires_grad=True)``."""
    from . import dtypes
    from .grad_fn_names import backward_name

    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    device = t.device
    if device != backend.canonical_device(None):
        suffixes.append(f"device='{device}'")
    a = backend.to_host(t.array)
    default = backend.get_default_dtype()
    default_complex = np.dtype("complex128" if default == np.float64 else "complex64")
    dtype_name = str(dtypes.wrap(a.dtype))
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != default:
            suffixes.append("dtype=" + dtype_name)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype not in (default, default_complex, np.dtype("int64"), np.dtype("bool")):
            suffixes.append("dtype=" + dtype_name)
        body = _values_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{backward_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def tensor_format(t, spec: str, plain: bool = True) -> str:
    """``format(t, spec)``: a one-element tensor formats its value (``f"{loss:.3f}"``).

    As torch: a `plain` (not a subclass such as Parameter) 0-d tensor formats its item
    even with an empty spec (``f"{t}"`` is ``1.0``); anything else with an empty spec is
    ``str(t)``. Unlike torch, a spec on a
    one-element 1-d tensor formats its item too.
    """
    if t.array.size == 1 and (spec or (t.array.ndim == 0 and plain)):
        return format(t.item(), spec)
    if spec:
        raise TypeError(
            f"unsupported format string {spec!r} for a tensor of shape {tuple(t.array.shape)}; "
            "format its .item() or .tolist() instead"
        )
    return repr(t)
