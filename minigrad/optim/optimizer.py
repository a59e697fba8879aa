"""The ``Optimizer`` base: parameter groups, per-parameter state, state_dict, step.

Each concrete optimizer is a thin validated class over a pure update function that
works on raw backend arrays in place (see ``sgd.py``, ``adam.py``, ...). The base class
owns what they share, with PyTorch's protocols:

- ``param_groups``: a list of dicts, each with ``"params"`` and every hyper-parameter
  (the constructor's defaults, overridden per group);
- ``state``: per-parameter dicts (state arrays as minigrad ``Tensor``s, step counters and
  other scalars as Python numbers, so ``step()`` never syncs with a GPU);
- ``state_dict()`` / ``load_state_dict()`` in PyTorch's layout;
- step hooks (``register_step_pre_hook``, ``register_step_post_hook``, and the global
  ``register_optimizer_step_pre_hook`` / ``..._post_hook``) and state_dict hooks, with
  PyTorch's signatures: observers such as ``minigrad.trace`` use them;
- the pieces every ``step()`` is written with: ``_eval_closure``, ``_groups_with_grad``
  (checks every gradient before any update), ``_zeros_like`` (state by name),
  ``_use_fused`` (the MKL choice, once per group and step) and ``_update`` (runs a rule
  on one parameter and bumps its version).

Adding an optimizer is one file: a class whose ``__init__`` gathers the defaults and
whose ``step()`` creates the state it needs by name and calls its update rule with
keywords (``sgd.py`` is the model). The array-level blocks the rules share live in
``_functional.py``.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

from .. import autograd, backend
from ..backends import mkl
from ..nn.module import add_hook
from ..nn.utils import zero_grad_
from ..tensor import Tensor
from . import _functional as F


# hooks every optimizer runs around its step (``register_optimizer_step_pre/post_hook``)
_global_optimizer_pre_hooks: dict = OrderedDict()
_global_optimizer_post_hooks: dict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``.

    As in PyTorch the hook may return ``None`` or a pair ``(new_args, new_kwargs)`` that
    replaces the step's arguments. Returns a handle whose ``remove()`` unregisters it.
    """
    return add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``; returns a handle."""
    return add_hook(_global_optimizer_post_hooks, hook)


def _hooked_step(step):
    """`step` wrapped to run the global and per-optimizer step hooks (PyTorch's order:
    global pre-hooks, own pre-hooks, the step, own post-hooks, global post-hooks).

    A step that calls its base class's step runs the hooks once (the outer call).
    """
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._in_step:
            return step(self, *args, **kwargs)
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{pre_hook} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        self._in_step = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        self._opt_called = True
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


def _check_grad(p, group_index, index):
    """Raise unless ``p.grad`` can update `p` (the rules ``.grad`` assignment applies; the
    parameter's storage may have been replaced since, through ``p.data = ...``)."""
    g = p.grad
    if type(g) is Tensor:  # the common case, decided on the arrays (no properties, no message)
        ga, pa = g.array, p.array
        if ga.shape == pa.shape and ga.dtype == pa.dtype and type(ga) is type(pa) and (
                type(ga) is backend.ndarray or ga.device == pa.device):
            return
    where = f"parameter {index} of parameter group {group_index}"
    if not isinstance(g, Tensor):
        raise TypeError(f"{where}: the gradient must be a Tensor, got {type(g).__name__}")
    if g.shape != p.shape:
        raise RuntimeError(f"{where}: the gradient has shape {tuple(g.shape)}, the parameter {tuple(p.shape)}")
    if g.dtype != p.dtype:
        raise TypeError(f"{where}: the gradient has dtype {g.dtype}, the parameter {p.dtype}")
    if g.device != p.device:
        raise RuntimeError(f"{where}: the gradient is on {g.device}, the parameter on {p.device}")


class _RequiredParameter:
    """Marks a default that every parameter group must supply (as torch.optim.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def check(condition, message):
    """Raise ``ValueError(message)`` unless `condition` holds (hyper-parameter checks)."""
    if not condition:
        raise ValueError(message)


def check_betas(betas):
    """Both betas must lie in [0, 1), as in torch.optim."""
    check(len(betas) == 2, f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check(0.0 <= beta < 1.0, f"Invalid beta parameter at index {i}: betas[{i}]={beta} (must be in [0, 1))")


def check_common(group, *names):
    """The usual non-negativity checks: lr, eps, weight_decay, momentum, ..."""
    labels = {"lr": "learning rate"}
    for name in names:
        value = group[name]
        check(value >= 0.0, f"Invalid {labels.get(name, name)}: {name}={value} (must be >= 0)")


def check_fused(group):
    """``fused=True`` needs MKL (the ``mkl`` extra); None and False always work."""
    if group.get("fused"):
        if not mkl.is_available():
            raise RuntimeError('fused=True needs Intel MKL: pip install "minigrad[mkl]" (and MINIGRAD_BLAS unset)')


class Optimizer:
    """Base class of every optimizer (same protocols as ``torch.optim.Optimizer``).

    `params` is an iterable of tensors, or of dicts ``{"params": [...], "lr": ...}`` whose
    entries override `defaults` for that group. A subclass gives ``_validate(group)``
    (hyper-parameter checks raising ``ValueError``) and ``step(closure=None)``, which the
    base wraps to run the step hooks. Parameters without ``.grad`` are skipped.
    """

    # state entries that are Python scalars, not tensors (restored as floats on load)
    _scalar_state = ("step",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__ and not getattr(cls.step, "hooked", False):
            cls.step = _hooked_step(cls.step)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._in_step = False
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._scratch_pool = {}  # (dtype, device) -> flat work arrays
        self._scratch_views = {}  # what `_scratch` handed out, until the pool grows
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be in an ordered collection (list), not a set")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ hooks
    _add_hook = staticmethod(add_hook)

    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before this optimizer's ``step``.

        The hook may return ``None`` or ``(new_args, new_kwargs)``. Returns a handle whose
        ``remove()`` unregisters it.
        """
        return self._add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after this optimizer's ``step``; returns a handle."""
        return self._add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` before ``state_dict()`` builds its result."""
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` after ``state_dict()``; a non-None return replaces it."""
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` before loading; a non-None return is loaded instead."""
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` after ``load_state_dict()`` has restored everything."""
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ groups
    def _validate(self, group):
        """Check a group's hyper-parameters; subclasses raise ValueError naming the bad one."""

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"`` and optional overrides)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError("param_group must have a 'params' entry")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be in an ordered collection (list), not a set")
        group["params"] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        self._validate(group)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters", stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ step
    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (default) or to zeros in place."""
        zero_grad_((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss, if any.

        Each optimizer defines its own (see ``sgd.py``): `closure` (optional) re-evaluates
        the model and returns the loss.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    # The pieces each optimizer's step() is written with.
    @staticmethod
    def _eval_closure(closure):
        """The closure's loss, computed with gradient recording enabled (None without one)."""
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    def _groups_with_grad(self):
        """Yield ``(group, [params with a gradient])`` for every group, after checking every
        gradient (a Tensor of its parameter's shape, dtype and device), so that a bad one
        raises before any parameter has been updated. While the caller works on a group,
        its parameters' GPU is the current device."""
        checked = []
        for g, group in enumerate(self.param_groups):
            params = []
            for i, p in enumerate(group["params"]):
                if p.grad is not None:
                    _check_grad(p, g, i)
                    params.append(p)
            checked.append((group, params))
        for group, params in checked:
            with backend.scope_of(group["params"]):  # the update runs on the parameters' GPU
                yield group, params

    @staticmethod
    def _zeros_like(p, fill=0.0):
        """A state tensor shaped like parameter `p` (its dtype and device), filled with `fill`."""
        with backend.on_device(p.device):
            data = p.xp.full(p.shape, fill, dtype=p.dtype)
        return Tensor._make(data, False, None)

    @staticmethod
    def _use_fused(group):
        """Whether this group's updates may take MKL's threaded vector routines this step:
        the group's ``fused`` option, or (None, the default) whether MKL is available."""
        fused = group.get("fused")
        return mkl.is_available() if fused is None else bool(fused)

    def _update(self, rule, p, *state, n_scratch, fused=False, chunked=True, passes=8, **hyper):
        """Run the in-place update ``rule(param, grad, *state, scratch, ops=..., **hyper)``
        on parameter `p` (`state`: its state tensors, or None), then bump its version.

        With `fused` and arrays MKL takes, one call over the whole arrays with the `MKL`
        blocks (MKL's threads split each pass). Otherwise the `UFUNCS` blocks: for an
        elementwise rule (`chunked`, the default) on large CPU arrays, over their two
        halves at once (`run_in_two_lanes`, where the values times `passes`, about how many
        passes the rule makes over the arrays, reach `LANE_WORK`; the default 8 is about
        what the Adam-style rules make, SGD counts its own) or cache-sized chunks
        (`run_chunked`); else one call.
        """
        param, grad = p.array, p.grad.array
        arrays = [param, grad]
        for t in state:  # a loop, not a generator: this runs once per parameter per step
            arrays.append(None if t is None else t.array)
        if fused and mkl.takes(grad, param):
            rule(*arrays, self._scratch(param, param.size, n_scratch), ops=F.MKL, **hyper)
        elif chunked and F.takes_two_lanes(arrays, passes):
            F.run_in_two_lanes(rule, arrays, self._scratch(param, 2 * F.LANE_CHUNK, n_scratch, flat=True),
                               ops=F.UFUNCS, **hyper)
        elif chunked and F.chunk_size(arrays) < param.size:
            F.run_chunked(rule, arrays, self._scratch(param, F.CHUNK, n_scratch, flat=True), ops=F.UFUNCS, **hyper)
        else:
            rule(*arrays, self._scratch(param, param.size, n_scratch), ops=F.UFUNCS, **hyper)
        p._bump_version()

    def _scratch(self, like, size, count, flat=False):
        """`count` work arrays of `size` elements (shaped like `like` unless `flat`), views of
        flat buffers reused across steps and parameters. The views themselves are kept too:
        a step asks for the same few shapes every time (~2 us a parameter saved)."""
        key = (like.dtype, backend.device_of(like))
        view_key = (key, count, size if flat else like.shape)
        views = self._scratch_views.get(view_key)
        if views is not None:
            return views
        pool = self._scratch_pool.get(key, ())
        n = size if flat else like.size
        if len(pool) < count or pool[0].size < n:
            size, count = max(n, pool[0].size if pool else 0), max(count, len(pool))
            xp = backend.array_module(like)
            with backend.on_device(key[1]):
                pool = self._scratch_pool[key] = [xp.empty(size, dtype=like.dtype) for _ in range(count)]
            self._scratch_views.clear()  # they point into the old buffers
        views = tuple(b[:n] if flat else b[:n].reshape(like.shape) for b in pool[:count])
        self._scratch_views[view_key] = views
        return views

    # ------------------------------------------------------------------ state_dict
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are numbered across groups in order, as in PyTorch. State tensors are
        references (copy them, or save with ``mg.save``, to keep a snapshot).
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index and s}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            returned = hook(self, result)
            if returned is not None:
                result = returned
        return result

    def load_state_dict(self, state_dict):
        """Restore state and hyper-parameters saved by ``state_dict()``.

        Group sizes must match; state tensors are copied onto each parameter's device and
        (if floating) dtype, so continuing gives the same trajectory as never stopping.
        """
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            returned = hook(self, state_dict)
            if returned is not None:
                state_dict = returned
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group ({i}) of {len(saved['params'])} parameters "
                    f"that doesn't match the size of optimizer's group ({len(group['params'])})"
                )
        id_map = {}
        for group, saved in zip(self.param_groups, saved_groups):
            id_map.update({int(k): p for k, p in zip(saved["params"], group["params"])})
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in id_map:
                raise ValueError(f"loaded state dict has state for parameter index {key}, which no group contains")
            p = id_map[int(key)]
            state[p] = {name: self._cast_state(p, name, v) for name, v in values.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.param_groups = saved_groups
        self.state = state
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    def _cast_state(self, param, name, value):
        """A copy of a saved state value placed like `param` (device; dtype if floating)."""
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(param, name, v) for v in value)
        data = value.array if isinstance(value, Tensor) else value
        if not hasattr(data, "shape") or not hasattr(data, "dtype"):
            return value
        if name in self._scalar_state:
            return float(backend.to_host(data))
        data = backend.to_device(data, param.device)
        dtype = param.dtype if backend.is_floating(data.dtype) else data.dtype
        return Tensor._make(data.astype(dtype, copy=True), False, None)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
