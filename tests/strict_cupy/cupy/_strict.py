"""The stand-in's instruments: the host-sync counter and the fake-device state.

Not part of CuPy. Tests import it as ``cupy._strict``:

    with cupy._strict.syncs() as s:
        train_step()
    assert s.total == 0, s.by_site()

A *sync* is anything that makes the host wait for device results: ``.get()``,
``.item()``, ``float()/int()/bool()``, ``tolist()``, ``cupy.asnumpy``, boolean-mask
indexing and ``nonzero`` (whose output size lives on the device), printing, stream and
device ``synchronize``. Each is recorded with the call site: the first frame outside
this package, as ``path:line``.
"""
import collections
import contextlib
import os
import sys
import threading

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/strict_cupy


def device_count():
    """How many fake GPUs there are (env STRICT_CUPY_DEVICES, default 2)."""
    return int(os.environ.get("STRICT_CUPY_DEVICES", "2"))


_state = threading.local()  # CuPy's current device is per host thread


def current_device():
    return getattr(_state, "device", 0)


def set_current_device(i):
    _state.device = i


class Recorder:
    """The syncs seen while a `syncs()` block was open."""

    def __init__(self):
        self.events = []  # (kind, site)

    @property
    def total(self):
        return len(self.events)

    def by_site(self):
        return collections.Counter(site for _, site in self.events)

    def by_kind(self):
        return collections.Counter(kind for kind, _ in self.events)

    def __repr__(self):
        return f"Recorder(total={self.total}, sites={dict(self.by_site())})"


_recorders = []
_all = Recorder()  # since import (or the last reset())


def _call_site():
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_HERE):
        f = f.f_back
    if f is None:
        return "?"
    path = f.f_code.co_filename
    try:
        path = os.path.relpath(path)
    except ValueError:
        pass
    return f"{path}:{f.f_lineno}"


def record(kind):
    """Note one host sync of `kind` at the caller's call site."""
    event = (kind, _call_site())
    _all.events.append(event)
    for r in _recorders:
        r.events.append(event)


def counts():
    """Syncs per call site since import or the last `reset()`."""
    return _all.by_site()


def reset():
    _all.events.clear()


@contextlib.contextmanager
def syncs():
    """Record the syncs made inside the block; yields a `Recorder`."""
    r = Recorder()
    _recorders.append(r)
    try:
        yield r
    finally:
        _recorders.remove(r)
