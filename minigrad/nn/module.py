"""`Module` and `Parameter`: the building blocks every network is made of.

A Module owns three ordered dicts, filled automatically when attributes are assigned
(as in ``torch.nn.Module``):

* ``_parameters`` — `Parameter` objects (learnable leaves),
* ``_buffers`` — plain tensors that are state but not learnable (BatchNorm's running
  statistics); persistent ones go into the ``state_dict``,
* ``_modules`` — sub-modules, whose entries are prefixed with their attribute name.

So ``Sequential(Linear(2, 3), ReLU(), BatchNorm1d(3)).state_dict()`` has the keys
``0.weight, 0.bias, 2.weight, 2.bias, 2.running_mean, 2.running_var,
2.num_batches_tracked`` exactly as PyTorch, and a checkpoint moves between the two.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

from .. import autograd, backend
from ..tensor import Tensor
from .utils import zero_grad_


class Parameter(Tensor):
    """A tensor that a `Module` registers as learnable (``requires_grad=True`` by default).

    ``Parameter(t)`` shares ``t``'s array (no copy), as ``torch.nn.Parameter`` does. The
    autograd engine treats parameters as leaves and accumulates into their ``.grad``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = Tensor([])
        if isinstance(data, Tensor):  # shares the array and its versions, as torch
            self._setup(data.array, data._vc, requires_grad)
        else:
            self._setup(Tensor(data).array, [0], requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend=False):
    """Put callable `hook` into the ordered dict `hooks` (first if `prepend`); returns its handle.

    Module and optimizer hooks are all registered through this.
    """
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# hooks every module runs (``register_module_forward_hook``), e.g. for tracing tools
_global_forward_hooks: dict = OrderedDict()


def register_module_forward_hook(hook):
    """Call ``hook(module, input, output)`` after the forward of every module."""
    handle = RemovableHandle(_global_forward_hooks)
    _global_forward_hooks[handle.id] = hook
    return handle


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class of every layer and network; subclasses define ``forward``.

    Assigning a `Parameter`, a `Module` or (via `register_buffer`) a tensor to an
    attribute registers it, so `parameters()`, `state_dict()`, `to()`, `train()` and
    `eval()` reach it recursively.
    """

    training: bool

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks or _global_forward_hooks:
            for hook in itertools.chain(list(_global_forward_hooks.values()), list(self._forward_hooks.values())):
                new = hook(self, args, out)
                if new is not None:
                    out = new
        return out

    # ---------------------------------------------------------------- registration
    def _check_name(self, name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." or be empty, got {name!r}')

    def register_parameter(self, name: str, param) -> None:
        """Add a `Parameter` (or None) under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(mg.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"cannot assign non-leaf tensor to parameter '{name}'; use .detach() first")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a non-learnable tensor (or None); `persistent` ones are in the state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module) -> None:
        """Add a child module under `name` (``'0'``, ``'1'``, ... in `Sequential`)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(mg.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            self._modules[name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)")
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        """Remove `name` from every registry (before registering it as something else)."""
        self.__dict__.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            self.__dict__[key].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        # Only called when normal lookup fails: parameters, buffers and children live in
        # their dicts, not in __dict__, so that re-assignment always goes through above.
        d = self.__dict__
        if "_parameters" in d:  # unrolled: this runs for every `self.weight` in a forward
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__()) + list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    # ---------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self, remove_duplicate: bool = True):
        """Yield this module and every descendant (a shared one once, unless not `remove_duplicate`)."""
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                # identity, not ==: tensors compare elementwise
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(dotted_name, Parameter)``; a parameter shared by two layers appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The descendant named by a dotted path (``"encoder.0"``)."""
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{part}` (looking up {target!r})")
            mod = mod._modules[part]
        return mod

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and in every descendant (Dropout, BatchNorm care)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to None by default, as PyTorch 2)."""
        zero_grad_(self.parameters(), set_to_none)

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every descendant, children first, then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---------------------------------------------------------------- hooks
    def register_forward_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, input, output)`` after each forward; a non-None return
        replaces the output. `input` is the tuple of positional arguments."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, input)`` before each forward; a non-None return replaces
        the input (a tuple, or a single value that is wrapped in one)."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks, hook, prepend):
        return add_hook(hooks, hook, prepend)

    # ---------------------------------------------------------------- devices, dtypes
    def _apply(self, fn) -> "Module":
        """Replace the array of every parameter, gradient and buffer by ``fn(array)``.

        The Parameter and buffer objects stay the same, so an optimizer built before
        ``model.to(...)`` still holds the model's parameters.
        """
        for m in self.modules():
            for t in itertools.chain(m._parameters.values(), m._buffers.values()):
                if t is None:
                    continue
                new = fn(t.array)
                if new is not t.array:
                    t.array = new
                    t._bump_version()
                if t.grad is not None:
                    t.grad.array = fn(t.grad.array)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(device)``, ``to(dtype)`` or both: moves/casts parameters and buffers in
        place (only floating ones change dtype, as in PyTorch). Returns self."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)  # accepted for PyTorch compatibility
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, int) or (isinstance(a, str) and (a in ("cpu", "cuda") or a.startswith("cuda:"))):
                device = a
            else:
                dtype = a
        dtype = backend.to_dtype(dtype)
        if dtype is not None and dtype.kind not in "fc":
            raise TypeError(f"Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        device = None if device is None else backend.canonical_device(device)

        def convert(arr):
            if dtype is not None and arr.dtype.kind == "f" and arr.dtype != dtype:
                arr = arr.astype(dtype)
            if device is not None:
                arr = backend.to_device(arr, device)
            return arr

        return self._apply(convert)

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device=None) -> "Module":
        return self.to("cuda" if device is None else device)

    def float(self) -> "Module":
        return self.to(backend.float32)

    def double(self) -> "Module":
        return self.to(backend.float64)

    def half(self) -> "Module":
        return self.to(backend.float16)

    # ---------------------------------------------------------------- state dict
    def _state_entries(self, prefix=""):
        """``(key, tensor)`` for this module's own parameters and persistent buffers."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b

    def _all_state_entries(self):
        for mod_prefix, module in self.named_modules(remove_duplicate=False):
            yield from module._state_entries(mod_prefix + "." if mod_prefix else "")

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict ``{dotted_name: tensor}`` of parameters and persistent buffers.

        Tensors are detached and share memory with the module (as PyTorch); with
        ``keep_vars=True`` the Parameter objects themselves are returned.
        """
        if destination is None:
            destination = OrderedDict()
        for key, t in self._all_state_entries():
            destination[prefix + key] = t if keep_vars else t.detach()
        return destination

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from `state_dict` into this module's parameters and buffers.

        Everything is validated first — missing and unexpected keys (when `strict`),
        shapes (always) — so a failed load leaves the module untouched. Values may be
        minigrad tensors, NumPy/CuPy arrays or torch tensors; they are cast to each
        parameter's dtype and device. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = OrderedDict(self._all_state_entries())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _to_host_or_device_array(state_dict[key], key)
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from checkpoint, "
                    f"the shape in current model is {tuple(target.shape)}."
                )
                continue
            if getattr(value.dtype, "kind", None) not in ("b", "i", "u", "f"):
                errors.append(f"dtype mismatch for {key}: cannot copy a value of dtype {value.dtype} from checkpoint "
                              f"into a parameter of dtype {target.dtype}.")
                continue
            arrays[key] = value
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        # convert everything (device move, dtype cast) before writing anything: a failure
        # here, e.g. an unreachable device, must leave the module as it was
        converted = {}
        for key, value in arrays.items():
            target = own[key]
            value = backend.to_device(value, target.device)
            converted[key] = value.astype(target.array.dtype, copy=False)
        with autograd.no_grad():
            for key, value in converted.items():
                target = own[key]
                target.xp.copyto(target.array, value)
                target._bump_version()
        return _IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The part inside the parentheses of this module's repr line (override me)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body += extra_lines[0]
            else:
                body += "\n  " + "\n  ".join(lines) + "\n"
        return body + ")"


def _to_host_or_device_array(value, key):
    """A backend array from a state-dict value (minigrad tensor, array or torch tensor)."""
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # NumPy has no bfloat16; float32 holds it exactly
            value = value.float()
        return value.numpy()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    if isinstance(value, (int, float, bool)):
        return Tensor(value).array
    raise TypeError(f"load_state_dict: value for {key!r} is a {type(value).__name__}, expected a tensor or an array")
