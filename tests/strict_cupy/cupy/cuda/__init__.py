"""``cupy.cuda``: devices, streams, events and memory pools, as far as minigrad needs them."""
import time

from .. import _strict
from . import runtime


class Device:
    """A (fake) CUDA device; as a context manager it makes itself the current device."""

    def __init__(self, device=None):
        self.id = _strict.current_device() if device is None else int(device)
        self._prev = []

    def _validate(self):
        if not 0 <= self.id < _strict.device_count():
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def use(self):
        self._validate()
        _strict.set_current_device(self.id)

    def __enter__(self):
        self._validate()
        self._prev.append(_strict.current_device())
        _strict.set_current_device(self.id)
        return self

    def __exit__(self, *exc):
        _strict.set_current_device(self._prev.pop())

    def synchronize(self):
        _strict.record("Device.synchronize")

    @property
    def compute_capability(self):
        return "90"

    @property
    def mem_info(self):
        return (64 << 30, 80 << 30)

    def __int__(self):
        return self.id

    def __index__(self):
        return self.id

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """A CUDA stream; work is immediate here, so only the bookkeeping is modelled."""

    null = None
    _current = []

    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.device_id = _strict.current_device()
        self.ptr = 0 if null else id(self)

    def __enter__(self):
        Stream._current.append(self)
        return self

    def __exit__(self, *exc):
        Stream._current.pop()

    def use(self):
        Stream._current[:] = [self]
        return self

    def synchronize(self):
        _strict.record("Stream.synchronize")

    def record(self, event=None):
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event):
        pass

    @property
    def done(self):
        return True


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return Stream._current[-1] if Stream._current else Stream.null


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._t = None

    def record(self, stream=None):
        self._t = time.perf_counter()

    def synchronize(self):
        _strict.record("Event.synchronize")

    @property
    def done(self):
        return True


def get_elapsed_time(start_event, end_event):
    return (end_event._t - start_event._t) * 1000.0


class MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_bytes(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass

    def set_limit(self, size=None, fraction=None):
        pass

    def get_limit(self):
        return 0


class PinnedMemoryPool(MemoryPool):
    def n_free_blocks(self):
        return 0


def is_available():
    return _strict.device_count() > 0


def get_device_id():
    return _strict.current_device()
