"""``cupy.cuda.runtime``: the CUDA runtime calls minigrad makes."""
from .. import _strict


class CUDARuntimeError(RuntimeError):
    pass


def getDeviceCount():
    return _strict.device_count()


def getDevice():
    return _strict.current_device()


def setDevice(device):
    if not 0 <= int(device) < _strict.device_count():
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    _strict.set_current_device(int(device))


def deviceSynchronize():
    _strict.record("deviceSynchronize")


def runtimeGetVersion():
    return 12080


def driverGetVersion():
    return 12080


def getDeviceProperties(device):
    return {"name": b"strict-cupy fake GPU", "totalGlobalMem": 80 << 30, "major": 9, "minor": 0}


def memGetInfo():
    return (64 << 30, 80 << 30)
