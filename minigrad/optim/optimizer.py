"""The ``Optimizer`` base: parameter groups, per-parameter state, state_dict, step.

Each concrete optimizer is a thin validated class over a pure update function that
works on raw backend arrays in place (see ``sgd.py``, ``adam.py``, ...). The base class
owns what they share, with PyTorch's protocols:

- ``param_groups``: a list of dicts, each with ``"params"`` and every hyper-parameter
  (the constructor's defaults, overridden per group);
- ``state``: per-parameter dicts (state arrays as minigrad ``Tensor``s, step counters and
  other scalars as Python numbers, so ``step()`` never syncs with a GPU);
- ``state_dict()`` / ``load_state_dict()`` in PyTorch's layout;
- ``run_elementwise``: runs an update function over a parameter — on the CPU in chunks
  that stay in the L2 cache, which makes NumPy's one-pass-per-operation style about
  1.5x faster on large tensors (with MKL installed, SGD and Adam instead make a few
  multi-threaded passes over whole arrays; see ``blas.py``); for a parameter with an
  ``UpdateProbe`` it also measures the update (for ``minigrad.trace``) while each chunk
  is in cache.

The array-level building blocks the update rules share live in ``_functional.py``.
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict

from .. import autograd, backend
from ..nn.utils import zero_grad_
from ..tensor import Tensor

# Elements per chunk for CPU updates: a few float32 arrays of this size fit in L2 cache.
CHUNK = 65536


class UpdateProbe:
    """Asks the optimizers to measure the updates of one parameter (``minigrad.trace`` uses it).

    Registered in `update_probes` under ``id(param.array)`` (the probe holds that array, so
    the id stays unique while registered). Each update of the parameter made through
    `Optimizer.run_elementwise` sets ``sq`` to ``||w_after - w_before||^2`` and ``w_sq`` to
    ``||w_after||^2`` (numbers, or 0-d device arrays: no sync), and ``version`` to the
    parameter's version counter before the update: a reader that saw the weights at that
    version, and sees the version one higher now (the optimizer's own bump), knows this
    update was the only change, and that ``w_sq`` is the norm of the weights it sees.
    """

    __slots__ = ("param", "array", "sq", "w_sq", "version", "users")

    def __init__(self, param):
        self.param, self.array = param, param.array
        self.sq = self.w_sq = None
        self.version, self.users = -1, 0

    def measuring(self, fn):
        """`fn` (an elementwise rule) wrapped to add each call's squared change to ``sq``
        and the squared norm of the updated weights to ``w_sq``.

        The wrapper takes one more scratch array than `fn`, where it keeps the parameter's
        values from before the call. Both norms are taken while the chunk is in cache.
        """
        self.sq, self.w_sq, self.version = 0.0, 0.0, self.param._version

        def measured(*args, **hyper):
            param, scratch = args[0], args[-1]
            before = scratch[-1]
            before[...] = param
            fn(*args[:-1], scratch[:-1], **hyper)
            after = param.reshape(-1)
            self.w_sq = self.w_sq + after.dot(after)
            before -= param  # -(w_after - w_before), exactly: the same squared norm
            flat = before.reshape(-1)
            self.sq = self.sq + flat.dot(flat)

        return measured


# id(param.array) -> UpdateProbe for the parameters whose updates someone measures (empty
# unless a GradientTracer is attached: the untraced step pays one dict test per update).
update_probes = {}


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


class Optimizer:
    """Base class of every optimizer (same protocols as ``torch.optim.Optimizer``).

    `params` is an iterable of tensors, or of dicts ``{"params": [...], "lr": ...}`` whose
    entries override `defaults` for that group. A subclass gives ``_validate(group)``
    (hyper-parameter checks raising ``ValueError``) and either the description of an
    elementwise rule (``_rule``, ``_state_names``, ``_hyper_keys``, ``_init_state``,
    ``_per_step``) or its own ``_step_group(group)``. Parameters without ``.grad`` are
    skipped.
    """

    # state entries that are Python scalars, not tensors (restored as floats on load)
    _scalar_state = ("step",)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = {}
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

        `closure` (optional) re-evaluates the model and returns the loss; it runs with
        gradient recording enabled.
        """
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        for group in self.param_groups:
            with backend.scope_of(group["params"]):  # the update runs on the parameters' GPU
                self._step_group(group)
        self._opt_called = True
        return loss

    # An elementwise optimizer describes itself with these four attributes and two hooks;
    # `_step_group` then does the rest for every parameter that has a gradient.
    _rule = None         # the update function, e.g. staticmethod(adam_update)
    _state_names = ()    # state tensors passed to the rule after (param, grad); missing ones as None
    _hyper_keys = ()     # group entries passed to the rule by name ("betas" -> beta1, beta2)
    _n_scratch = 2       # work arrays the rule needs
    # True where the rule's passes are (nearly all) `_functional` blocks that run through
    # MKL's threaded vector routines on large arrays: it then runs over whole arrays at once
    # (the threads split each pass), not in cache-sized chunks.
    _threaded_on_mkl = False

    def _init_state(self, p, group, state):
        """Create the state tensors this group's options need (called before every update)."""

    def _per_step(self, group, state):
        """Extra per-parameter arguments of the rule for this step (e.g. the step count)."""
        return {}

    def _step_group(self, group):
        hyper = {}
        for key in self._hyper_keys:
            if key == "betas":
                hyper["beta1"], hyper["beta2"] = group["betas"]
            else:
                hyper[key] = group[key]
        for p, grad in self._with_grad(group):
            state = self.state[p]
            state.setdefault("step", 0.0)
            self._init_state(p, group, state)
            state["step"] += 1
            arrays = [state[name].array if name in state else None for name in self._state_names]
            self.run_elementwise(self._rule, (p.array, grad, *arrays), self._n_scratch, **hyper,
                                 **self._per_step(group, state), chunked=self._chunks(p))
            p._bump_version()

    def _chunks(self, p):
        """Whether `run_elementwise` should update `p` chunk by chunk (see `_threaded_on_mkl`)."""
        return not (self._threaded_on_mkl and backend.vector_math(p.array) is not None)

    @staticmethod
    def _with_grad(group):
        """(param, grad array) for each parameter of the group that has a gradient."""
        for p in group["params"]:
            if p.grad is not None:
                if p.grad.shape != p.shape:
                    raise RuntimeError(f"parameter of shape {p.shape} has a gradient of shape {p.grad.shape}")
                yield p, p.grad.array

    @staticmethod
    def _new_state(p, fill=0.0):
        """A state tensor shaped like parameter `p`, filled with `fill`."""
        with backend.on_device(p.device):
            data = p.xp.full(p.shape, fill, dtype=p.dtype)
        return Tensor._make(data, False, None)

    def _ensure_state(self, state, p, name, fill=0.0):
        """Add a state tensor shaped like `p` (filled with `fill`) unless it exists."""
        if name not in state:
            state[name] = self._new_state(p, fill)

    def run_elementwise(self, fn, arrays, n_scratch, *, chunked=True, **hyper):
        """Call the elementwise update ``fn(*arrays, scratch, **hyper)`` over a parameter.

        `arrays` (the parameter's array first; None entries pass through) are updated in
        place; `scratch` is a tuple of `n_scratch` reusable work arrays. On the CPU, large
        contiguous tensors are processed in cache-sized chunks of NumPy passes (unless
        `chunked` is False, for rules whose passes are multi-threaded MKL calls): the
        result is the same (the rule is elementwise) and each pass runs from cache. A
        parameter with an `UpdateProbe` also gets its update measured, chunk by chunk.
        """
        first = arrays[0]
        probe = update_probes.get(id(first)) if update_probes else None
        if probe is not None:  # measured chunk by chunk, while each is in cache
            fn, n_scratch, chunked = probe.measuring(fn), n_scratch + 1, True
        n = first.size
        if not chunked or n <= CHUNK or backend.device_of(first) != "cpu" or not all(
                a.flags.c_contiguous for a in arrays if a is not None):
            pool = self._scratch_pool(first, n, n_scratch)[:n_scratch]
            fn(*arrays, tuple(b[:n].reshape(first.shape) for b in pool), **hyper)
            return
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        pool = tuple(b[:CHUNK] for b in self._scratch_pool(first, CHUNK, n_scratch)[:n_scratch])
        with backend.ufuncs_only():
            for start in range(0, n, CHUNK):
                stop = start + CHUNK
                scratch = pool if stop <= n else tuple(b[: n - start] for b in pool)
                fn(*[None if a is None else a[start:stop] for a in flat], scratch, **hyper)

    def _scratch_pool(self, like, size, count):
        """`count` flat work arrays of at least `size` elements, reused across steps."""
        key = (like.dtype, backend.device_of(like))
        pool = self._scratch.get(key)
        if pool is None or len(pool) < count or pool[0].size < size:
            xp = backend.array_module(like)
            with backend.on_device(key[1]):
                pool = [xp.empty(size, dtype=like.dtype) for _ in range(count)]
            self._scratch[key] = pool
        return pool

    # ------------------------------------------------------------------ state_dict
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are numbered across groups in order, as in PyTorch. State tensors are
        references (copy them, or save with ``mg.save``, to keep a snapshot).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and hyper-parameters saved by ``state_dict()``.

        Group sizes must match; state tensors are copied onto each parameter's device and
        (if floating) dtype, so continuing gives the same trajectory as never stopping.
        """
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
