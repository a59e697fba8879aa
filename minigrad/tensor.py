"""`Tensor`: an n-d array on a device, plus the links autograd needs.

A tensor holds its backend array in ``.array`` (a NumPy array on the CPU, a CuPy array
on a GPU; ``.data`` is PyTorch's detached Tensor view of it), its gradient in ``.grad``,
and, when an op made it while grad mode was on, the node that made it in ``.grad_fn``.

This file keeps what a tensor is: construction, attributes, versions, hooks, conversion
to Python and NumPy, printing. Its other methods are installed by the layers above it,
which tensor.py cannot import without a cycle:

* ``backward`` by ``minigrad.autograd`` (the engine);
* every differentiable op and operator (``+``, ``exp``, ``sum``, ``reshape``, ``@``,
  ``__getitem__``, ...) by the modules of ``minigrad.ops``, each listing them in its
  ``METHODS`` table; among them ``to``/``type``/``cpu``/``cuda``/``float``...
  (``ops/convert.py``) and the in-place updates ``add_``, ``mul_``, ``copy_``,
  ``__setitem__``, ``+=``, ... (``ops/inplace.py``), which follow PyTorch's
  version-counter rule inside the graph.
"""
from __future__ import annotations

import weakref

from . import backend, grad_mode, printing
from .generator import default_generator
from .dtypes import BY_NUM as _DTYPE_BY_NUM, wrap as _wrap_dtype
from .size import Size


def _infer_array(data, dtype, device):
    """A backend array from any supported data, following torch.tensor's dtype rules."""
    if isinstance(data, Tensor):
        arr = data.array
        if device is None:
            device = backend.device_of(arr)
        arr = backend.to_device(arr, device)
        return arr.astype(dtype) if dtype is not None else arr.copy()
    device = backend.canonical_device(device)
    if hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__") or isinstance(
        data, backend.scalar_types
    ):
        arr = backend.asarray(data, None, device)
        if arr.dtype.kind not in "biuf":  # object, str, datetime, complex: nothing here computes on them
            raise TypeError(f"tensor: unsupported dtype {arr.dtype}; supported are bool, integer and floating dtypes")
        # torch.tensor copies arrays; ours too, so the caller's array is never aliased
        return arr.astype(dtype) if dtype is not None else arr.copy()
    typed = isinstance(data, (list, tuple)) and any(isinstance(x, _TYPED) for x in data)
    if typed:
        # elements that carry a dtype keep it, as in torch: [t0, t1] of float64 -> float64
        if dtype is None:
            dtype = _list_dtype(data)
        data = [backend.to_host(x.array) if isinstance(x, Tensor) else x for x in data]
    try:
        host = backend.np.asarray(data)
    except ValueError as e:
        raise ValueError(f"tensor: nested sequences of different lengths cannot make a tensor ({e})") from None
    if host.dtype == object or (host.dtype.kind in "uf" and not (backend.np.abs(host) < 2**63).all()):
        _check_int64_range(data)  # NumPy turns Python ints past int64 into uint64 or float64
    if host.dtype == object:
        raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} data {data!r:.80}")
    if dtype is None:
        if host.dtype.kind == "f":
            dtype = backend.get_default_dtype()
        elif host.dtype.kind in "iu":
            dtype = backend.int64
        elif host.dtype.kind == "b":
            dtype = backend.bool_
        else:
            raise TypeError(f"tensor: unsupported data type {host.dtype}")
    return backend.asarray(host, dtype, device)


def _check_int64_range(data):
    """Refuse a Python int that int64 cannot hold (torch: "Overflow when unpacking long")."""
    for x in data if isinstance(data, (list, tuple)) else (data,):
        if isinstance(x, (list, tuple)):
            _check_int64_range(x)
        elif isinstance(x, int) and not -2**63 <= x < 2**63:
            raise ValueError(f"tensor: integer {x} does not fit in int64")


def _list_dtype(items):
    """torch.tensor's dtype for a list mixing tensors/arrays with Python numbers."""
    result = None
    for x in items:
        if isinstance(x, _TYPED):
            d = x.dtype if isinstance(x, Tensor) else backend.np.dtype(x.dtype)
        else:  # a Python number or a nested list: the rules of a plain list
            d = _infer_array(x, None, "cpu").dtype
        result = d if result is None else backend.promote_types(result, d)
    return result


class Tensor:
    """An n-dimensional array with reverse-mode autograd (see ``mg.tensor``)."""

    __slots__ = ("array", "_grad", "requires_grad", "grad_fn", "_vc", "_hooks", "name", "__weakref__")
    # make `x == y` elementwise (as torch) without making tensors unhashable
    __hash__ = object.__hash__
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__, not numpy's loop

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self._setup(_infer_array(data, backend.to_dtype(dtype), device), [0], requires_grad)

    def _setup(self, array, version_counter, requires_grad):
        """Fill every slot of a new leaf (`__init__`, `nn.Parameter`)."""
        self.array = array
        self._grad = None
        self.grad_fn = None
        self._vc = version_counter
        self._hooks = None
        self.name = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad, grad_fn):
        """Fast internal constructor: wraps an existing backend array, no checks.

        Every op's output is made here, so the slots are set inline, not via `_setup`.
        """
        t = object.__new__(cls)
        t.array = data
        t._grad = None
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._vc = [0]
        t._hooks = None
        t.name = None
        return t

    # ---------------------------------------------------------------- attributes
    @property
    def data(self) -> "Tensor":
        """A Tensor sharing this one's storage, cut from autograd (PyTorch's ``.data``).

        It never requires grad, and autograd does not see its in-place changes: the
        classic manual update ``p.data -= lr * p.grad`` changes ``p`` without recording
        anything. ``p.data = t`` replaces the storage with ``t``'s. For the raw NumPy or
        CuPy array use ``.array``.
        """
        return Tensor._make(self.array, False, None)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data: assigned data must be a Tensor, got {type(value).__name__}")
        self.array = value.array

    @property
    def grad(self):
        """The accumulated gradient (a Tensor), or None before any backward reached it."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # checked before anything changes, as PyTorch: a wrong .grad would otherwise only
        # surface inside a later optimizer step, after part of the model was updated
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value.array.shape != self.array.shape:
                raise RuntimeError(
                    f"grad: assigned grad has shape {tuple(value.shape)}, but the tensor has shape "
                    f"{tuple(self.shape)}"
                )
            if value.array.dtype != self.array.dtype:
                raise TypeError(
                    f"grad: assigned grad has dtype {value.dtype}, but the tensor has dtype {self.dtype}"
                )
            if value.device != self.device:
                raise RuntimeError(
                    f"grad: assigned grad is on {value.device}, but the tensor is on {self.device}"
                )
        self._grad = value

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (PyTorch's ``_version``).

        Backward compares it with the version an op saved, to refuse a gradient computed
        from overwritten values. Views share their base's counter.
        """
        return self._vc[0]

    def _bump_version(self) -> None:
        """Record one in-place write: the single place every writer of a tensor's storage calls."""
        self._vc[0] += 1

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)  # internal hot paths read self.array.shape instead

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        d = self.array.dtype  # wrapped to print as minigrad.float32; it works as a NumPy dtype
        w = _DTYPE_BY_NUM[d.num]
        return w if w is not None and w.dtype is d else _wrap_dtype(d)

    @property
    def device(self) -> str:
        return backend.device_of(self.array)

    @property
    def xp(self):
        """The array module (numpy or cupy) that computes on this tensor's data."""
        return backend.array_module(self.array)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device != "cpu"

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def size(self, dim=None):
        """The shape as a tuple, or the length of one dimension."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[self._dim(dim)]

    def element_size(self) -> int:
        return self.array.itemsize

    def _dim(self, dim):
        n = self.array.ndim
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError(f"dim {dim} is out of range for a tensor with {n} dimensions")
        return dim % max(n, 1)

    # ---------------------------------------------------------------- autograd
    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        t = Tensor._make(self.array, False, None)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) recording operations on this leaf for autograd."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, got {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): only leaves can stop requiring grad; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")

    def register_hook(self, hook):
        """Call ``hook(grad) -> new grad or None`` when this tensor's gradient is computed.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require grad")
        owner = self.grad_fn if self.grad_fn is not None else self
        if owner._hooks is None:
            owner._hooks = []
        owner._hooks.append(hook)
        return _HookHandle(owner._hooks, hook)

    # ---------------------------------------------------------------- conversion
    def numpy(self):
        """The values as a NumPy array (shares memory on the CPU, as torch; copies from a GPU).

        Refused on a tensor that requires grad, as in PyTorch: a write through the shared
        buffer would silently change values autograd saved. Use ``t.detach().numpy()``.
        """
        if self.requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; use "
                "tensor.detach().numpy() instead"
            )
        return backend.to_host(self.array)

    def item(self):
        """The single value as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted, this one has shape {tuple(self.shape)}")
        return backend.item(self.array)

    def tolist(self):
        return backend.to_host(self.array).tolist()

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":
            raise TypeError(
                f"can't convert a {self.device} tensor to a NumPy array; call .cpu() first"
            )
        arr = self.array if dtype is None else self.array.astype(dtype, copy=False)
        # np.array(t) asks for copy=True: hand out our own buffer only when allowed, and
        # never the live buffer of a tensor autograd is watching
        return arr.copy() if (copy or self.requires_grad) and arr is self.array else arr

    def __dlpack__(self, *args, **kwargs):
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"bool value of a tensor with {self.array.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __repr__(self):
        return printing.tensor_repr(self)

    def __format__(self, spec):
        return printing.tensor_format(self, spec, plain=type(self) is Tensor)

    # ---------------------------------------------------------------- in-place updates
    def _inplace(self, what):
        """Allow an in-place change only where autograd is not watching this tensor."""
        if self.requires_grad and grad_mode.grad_enabled():
            kind = "a leaf tensor that requires grad" if self.grad_fn is None else "a tensor in the autograd graph"
            raise RuntimeError(
                f"{what}: in-place change of {kind}; wrap it in `with mg.no_grad():` (e.g. for a "
                "manual update) or work on a copy"
            )
        self._bump_version()

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill with samples from U(a, b) drawn from `generator` (or the default one)."""
        self._inplace("uniform_")
        gen = generator or default_generator(self.device)
        view = backend.memory_order(self.array)  # torch fills in memory order
        view[...] = gen.uniform(view.shape, self.dtype, a, b)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with samples from N(mean, std^2) drawn from `generator` (or the default)."""
        self._inplace("normal_")
        gen = generator or default_generator(self.device)
        view = backend.memory_order(self.array)
        view[...] = gen.normal(view.shape, self.dtype, mean, std, self.array.flags.c_contiguous)
        return self

    def random_(self, from_=0, to=None, *, generator=None):
        """Fill with integers uniform in [from_, to) (``random_(to)``: [0, to); no bounds:
        [0, dtype max], or [0, 2^mantissa] for floats), as torch."""
        self._inplace("random_")
        gen = generator or default_generator(self.device)
        view = backend.memory_order(self.array)
        if to is None and from_ == 0:
            view[...] = gen.random_bits(view.shape, self.dtype)
        else:
            low, high = (0, from_) if to is None else (from_, to)
            if high <= low:
                raise RuntimeError(f"random_: expects 'from' < 'to', got from={low} to={high}")
            view[...] = gen.integers(low, high, view.shape, self.dtype)
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with samples of Exp(lambd) (density lambd * exp(-lambd x))."""
        self._inplace("exponential_")
        if not lambd > 0:
            raise RuntimeError(f"exponential_: expects lambda > 0.0, got {lambd}")
        gen = generator or default_generator(self.device)
        view = backend.memory_order(self.array)
        view[...] = gen.exponential(view.shape, self.dtype, lambd)
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0/1 samples, 1 with probability `p` (a float, or a tensor broadcast to self)."""
        self._inplace("bernoulli_")
        gen = generator or default_generator(self.device)
        view = backend.memory_order(self.array)
        if isinstance(p, Tensor):
            probs = backend.memory_order(self.xp.broadcast_to(p.array, self.shape), like=self.array)
            view[...] = backend.to_device(gen.bernoulli_from(probs, self.dtype), self.device)
        else:
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_: expected p in [0, 1], got {p}")
            view[...] = gen.bernoulli(view.shape, self.dtype, p)
        return self


# The random fills write the array directly (no Op): run them on the tensor's GPU too.
for _name in ("uniform_", "normal_"):
    setattr(Tensor, _name, backend.runs_on_own_device(getattr(Tensor, _name)))
del _name


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


_TYPED = (Tensor, backend.np.ndarray, backend.np.generic)
