"""Grad mode and anomaly mode: per thread and per asyncio task, as in PyTorch.

Both live in `contextvars`: a new thread starts from the defaults (grad on, anomaly off),
and an asyncio task sees its own copy, so ``with mg.no_grad():`` in one thread never
switches off graph recording in another. Reading a mode is one ``ContextVar.get()``
(~20 ns), cheap enough for the path of every op.
"""
from __future__ import annotations

import contextvars
import functools

_grad_enabled = contextvars.ContextVar("minigrad_grad_enabled", default=True)
_anomaly_enabled = contextvars.ContextVar("minigrad_anomaly_enabled", default=False)

# The hot path (every op's apply) calls these bound methods directly.
grad_enabled = _grad_enabled.get
anomaly_enabled = _anomaly_enabled.get


def is_grad_enabled() -> bool:
    """Whether ops record a graph right now, in this thread."""
    return _grad_enabled.get()


def is_anomaly_enabled() -> bool:
    """Whether `detect_anomaly` checks are on in this thread."""
    return _anomaly_enabled.get()


class _ModeContext:
    """A context manager and decorator that sets one mode and restores it on exit."""

    _var: contextvars.ContextVar

    def _mode(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self):
        self._token = self._var.set(self._mode())
        return self

    def __exit__(self, *exc):
        self._var.reset(self._token)

    def _clone(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper


class _GradMode(_ModeContext):
    _var = _grad_enabled
    mode = True

    def __new__(cls, orig_func=None):
        # `@mg.no_grad` without parentheses decorates directly, as torch allows
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)

    def _mode(self):
        return self.mode


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (inference, manual updates)."""

    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: re-enable recording inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_ModeContext):
    """Turn graph recording on or off: a function, a context manager or a decorator.

    As in PyTorch, calling it switches the mode at once (for this thread); used in a
    ``with`` block the previous mode comes back at the end.
    """

    _var = _grad_enabled

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev_token = _grad_enabled.set(self.mode)

    def _mode(self):
        return self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _grad_enabled.reset(self._prev_token)

    def _clone(self):
        return _Setting(self.mode)

    def __call__(self, fn):
        # the constructor already switched the mode; undo that for decorator use
        _grad_enabled.reset(self._prev_token)
        return super().__call__(fn)


class _Setting(_ModeContext):
    """`set_grad_enabled(mode)` as a plain context, for its decorator form."""

    _var = _grad_enabled

    def __init__(self, mode):
        self.mode = mode

    def _mode(self):
        return self.mode

    def _clone(self):
        return _Setting(self.mode)


class set_anomaly_mode(_ModeContext):
    """Set anomaly detection on or off for a block (used by `detect_anomaly`)."""

    _var = _anomaly_enabled

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def _mode(self):
        return self.mode

    def _clone(self):
        return set_anomaly_mode(self.mode)
