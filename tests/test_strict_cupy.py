"""Self-test of the strict CuPy stand-in (tests/strict_cupy): each behaviour it imitates,
pinned to the CuPy documentation it follows.

The stand-in is an instrument: it must be strict where real CuPy is strict and never
stricter, or the cuda leg of the suite would report bugs minigrad does not have.
These tests run on either leg (the stand-in is imported on its own here).
"""
import importlib
import os
import sys

import numpy as np
import pytest

from conftest import STRICT_CUPY, STRICT_CUPY_PATH

DIFF = "https://docs.cupy.dev/en/stable/user_guide/difference.html"
BASIC = "https://docs.cupy.dev/en/stable/user_guide/basic.html"
NDARRAY = "https://docs.cupy.dev/en/stable/reference/generated/cupy.ndarray.html"
UFUNC = "https://docs.cupy.dev/en/stable/reference/ufunc.html"
INTEROP = "https://docs.cupy.dev/en/stable/user_guide/interoperability.html"
RANDOM = "https://docs.cupy.dev/en/stable/reference/random.html"
SCATTER_ADD = "https://docs.cupy.dev/en/stable/reference/generated/cupyx.scatter_add.html"
DEVICE = "https://docs.cupy.dev/en/stable/reference/generated/cupy.cuda.Device.html"
COMPARISON = "https://docs.cupy.dev/en/stable/reference/comparison.html"


@pytest.fixture(scope="module")
def cp():
    """The stand-in's `cupy` (already imported on the cuda leg; imported and removed again
    on the CPU leg, so the rest of that leg never sees a GPU)."""
    if STRICT_CUPY:
        import cupy

        yield cupy
        return
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("a real cupy is installed; the stand-in is tested where it is used")
    sys.path.insert(0, STRICT_CUPY_PATH)
    try:
        yield importlib.import_module("cupy")
    finally:
        sys.path.remove(STRICT_CUPY_PATH)
        for name in [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def cupyx(cp):
    return importlib.import_module("cupyx")


# ---------------------------------------------------------------------------- the array type
def test_ndarray_is_its_own_type_not_a_numpy_subclass(cp):
    # NDARRAY: "cupy.ndarray ... Multi-dimensional array on a CUDA device"
    x = cp.arange(3)
    assert type(x) is cp.ndarray and not isinstance(x, np.ndarray)


def test_implicit_conversion_to_numpy_raises_type_error(cp):
    # INTEROP / NDARRAY (__array__): implicit conversion is refused, .get() is explicit
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(cp.arange(3))


def test_get_and_asnumpy_are_the_explicit_transfers(cp):
    # BASIC, "Data Transfer": cupy.asnumpy() / ndarray.get() move arrays to the host
    x = cp.arange(3)
    assert isinstance(x.get(), np.ndarray) and x.get().tolist() == [0, 1, 2]
    assert cp.asnumpy(x).tolist() == [0, 1, 2]
    host = np.ones(2)
    assert cp.asnumpy(host) is host or np.array_equal(cp.asnumpy(host), host)


def test_asarray_uploads_numpy_data_to_the_current_device(cp):
    # BASIC, "Data Transfer": cupy.asarray() moves a NumPy array to the current device
    x = cp.asarray(np.arange(3.0))
    assert type(x) is cp.ndarray and x.device.id == 0


def test_a_numpy_array_in_a_device_op_raises_type_error(cp):
    # DIFF, "Universal functions only work with CuPy array or scalar"
    x = cp.arange(3.0)
    with pytest.raises(TypeError):
        x + np.ones(3)
    with pytest.raises(TypeError):
        cp.add(x, np.ones(3))
    with pytest.raises(TypeError):
        np.ones(3) * x
    with pytest.raises(TypeError):
        cp.add(x, [1.0, 2.0, 3.0])  # lists are not arrays to a ufunc either
    assert (x + np.float32(2)).get().tolist() == [2.0, 3.0, 4.0]  # scalars are fine


def test_flags_have_only_contiguity_and_owndata(cp):
    # NDARRAY, flags: "C_CONTIGUOUS, F_CONTIGUOUS and OWNDATA" - no WRITEABLE
    f = cp.ones((2, 3)).flags
    assert f.c_contiguous and not f.f_contiguous and f.owndata
    assert f["C_CONTIGUOUS"]
    assert not hasattr(f, "writeable")
    with pytest.raises(KeyError):
        f["WRITEABLE"]


def test_reductions_return_zero_dimensional_arrays(cp):
    # DIFF, "Reduction methods return zero-dimensional array"
    s = cp.arange(4.0).sum()
    assert type(s) is cp.ndarray and s.ndim == 0


def test_float_to_integer_casts_and_numpy_dtypes_are_shared(cp):
    # COMPARISON: CuPy's scalar types are NumPy's
    assert cp.float32 is np.float32 and cp.dtype is np.dtype
    assert cp.zeros(2, dtype=cp.float32).dtype == np.float32


# ---------------------------------------------------------------------------- indexing
def test_out_of_range_integer_array_indices_wrap_around(cp):
    # DIFF, "Out-of-bounds indices": CuPy wraps around instead of raising
    x = cp.arange(10, 15)
    assert x[cp.array([5, -6, 1])].get().tolist() == [10, 14, 11]
    assert cp.take(x, cp.array([7])).get().tolist() == [12]
    y = cp.zeros(3)
    y[cp.array([4])] = 1.0
    assert y.get().tolist() == [0.0, 1.0, 0.0]


def test_an_out_of_range_scalar_index_still_raises(cp):
    # DIFF speaks of integer *array* indexing only; a plain integer index raises
    with pytest.raises(IndexError):
        cp.arange(3)[5]


def test_scatter_add_accumulates_repeated_indices(cp, cupyx):
    # SCATTER_ADD: "uses all of these values for addition", as numpy.add.at
    a = cp.zeros(6, dtype=cp.float32)
    cupyx.scatter_add(a, cp.array([1, 0, 1]), cp.array([1.0, 1.0, 1.0], dtype=cp.float32))
    assert a.get().tolist() == [1.0, 2.0, 0.0, 0.0, 0.0, 0.0]


# ---------------------------------------------------------------------------- devices
def test_arrays_are_allocated_on_the_current_device(cp):
    # BASIC, "Current Device": arrays are allocated on the current device
    with cp.cuda.Device(1):
        x = cp.ones(3)
        assert cp.cuda.runtime.getDevice() == 1
    assert x.device == cp.cuda.Device(1) and x.device.id == 1
    assert cp.ones(3).device.id == 0


def test_an_op_reading_another_devices_array_raises_the_peer_access_error(cp):
    # BASIC, "Current Device": an array on another device is an error unless peer access
    # is available; the stand-in's fake devices have none
    with cp.cuda.Device(1):
        x = cp.ones(3)
    with pytest.raises(ValueError, match="Peer access is unavailable"):
        x + cp.ones(3)
    with pytest.raises(ValueError, match="Peer access is unavailable"):
        x.sum()
    with cp.cuda.Device(1):
        assert (x * 2).device.id == 1


def test_views_and_copies_of_another_devices_array_are_allowed(cp):
    # NDARRAY, copy(): "Even when a given array is located in another device, you can copy
    # it to the current device"; reshape and slicing only make views (no kernel)
    with cp.cuda.Device(1):
        x = cp.arange(6.0)
    assert x.reshape(2, 3).device.id == 1 and x[1:].device.id == 1
    assert x.copy().device.id == 0


def test_the_number_of_fake_devices_is_configurable(cp, monkeypatch):
    # DEVICE: using a device that does not exist is a CUDA runtime error
    monkeypatch.setenv("STRICT_CUPY_DEVICES", "3")
    assert cp.cuda.runtime.getDeviceCount() == 3
    with cp.cuda.Device(2):
        pass
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
        cp.cuda.Device(3).use()
    monkeypatch.delenv("STRICT_CUPY_DEVICES")
    assert cp.cuda.runtime.getDeviceCount() == 2


def test_streams_are_context_managers_that_can_synchronize(cp):
    # https://docs.cupy.dev/en/stable/reference/generated/cupy.cuda.Stream.html
    with cp.cuda.Stream(non_blocking=True) as s:
        assert cp.cuda.get_current_stream() is s
    assert cp.cuda.get_current_stream() is cp.cuda.Stream.null


# ---------------------------------------------------------------------------- names
def test_only_names_cupy_has_exist(cp):
    # COMPARISON lists what CuPy implements; NumPy-only helpers are absent
    for name in ("sctypeDict", "errstate", "seterr", "add_newdoc", "memmap", "recarray"):
        assert not hasattr(cp, name), name
    for name in ("add", "exp", "where", "take_along_axis", "count_nonzero", "linalg", "random"):
        assert hasattr(cp, name), name


def test_numpy_functions_on_cupy_arrays_dispatch_to_cupy(cp):
    # INTEROP, "NumPy": __array_ufunc__ and __array_function__ route to CuPy
    x = cp.arange(3.0)
    assert type(np.exp(x)) is cp.ndarray and type(np.sum(x)) is cp.ndarray


# ---------------------------------------------------------------------------- random
def test_random_methods_take_a_dtype(cp):
    # DIFF, "Random methods support dtype argument"
    rs = cp.random.RandomState(0)
    assert rs.standard_normal((2,), dtype=cp.float32).dtype == np.float32
    assert rs.random_sample((2,), dtype=cp.float32).dtype == np.float32
    assert cp.random.randn(2, dtype=cp.float32).dtype == np.float32


def test_the_same_seed_gives_the_same_numbers(cp):
    # RANDOM: RandomState(seed) / default_rng(seed)
    a = cp.random.RandomState(3).randint(0, 100, size=5).get()
    b = cp.random.RandomState(3).randint(0, 100, size=5).get()
    assert a.tolist() == b.tolist()
    g1, g2 = cp.random.default_rng(7), cp.random.default_rng(7)
    assert g1.random(4, dtype=cp.float32).get().tolist() == g2.random(4, dtype=cp.float32).get().tolist()


def test_permutation_takes_a_python_int_or_an_array(cp):
    # RANDOM, permutation(num): "num (int or cupy.ndarray)"
    assert sorted(cp.random.permutation(5).get().tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError):
        cp.random.permutation(np.int64(5))


# ---------------------------------------------------------------------------- interop
def test_dlpack_reports_a_cuda_device(cp):
    # INTEROP, "DLPack": a cupy array is a kDLCUDA (2) tensor of its device
    with cp.cuda.Device(1):
        x = cp.ones(2)
    assert x.__dlpack_device__() == (2, 1)
    y = cp.from_dlpack(x)  # zero-copy: the same memory on the same device
    with cp.cuda.Device(1):
        y[0] = 5.0
    assert y.device.id == 1 and x.get()[0] == 5.0


def test_cuda_array_interface_describes_the_array(cp):
    # INTEROP, "CUDA Array Interface" (version 3)
    cai = cp.ones((2, 3), dtype=cp.float32).__cuda_array_interface__
    assert cai["shape"] == (2, 3) and cai["typestr"] == "<f4" and cai["version"] == 3
    assert cai["strides"] is None and isinstance(cai["data"][0], int)


# ---------------------------------------------------------------------------- host syncs
@pytest.mark.parametrize("what", ["get", "item", "float", "int", "bool", "tolist", "mask", "asnumpy", "nonzero"])
def test_every_host_sync_is_counted_at_its_call_site(cp, what):
    # BASIC, "Data Transfer": these all copy device data to the host, so the host waits
    x = cp.arange(1.0, 4.0)
    one = x[0]
    calls = {
        "get": lambda: x.get(), "item": lambda: one.item(), "float": lambda: float(one),
        "int": lambda: int(one), "bool": lambda: bool(one), "tolist": lambda: x.tolist(),
        "mask": lambda: x[x > 1], "asnumpy": lambda: cp.asnumpy(x), "nonzero": lambda: x.nonzero(),
    }
    with cp._strict.syncs() as s:
        calls[what]()
    assert s.total == 1
    (site,) = s.by_site()
    assert site.startswith(os.path.join("tests", "test_strict_cupy.py:")) or "test_strict_cupy.py:" in site


def test_device_work_makes_no_host_sync(cp):
    x = cp.arange(6.0).reshape(2, 3)
    with cp._strict.syncs() as s:
        y = (x * 2).sum(axis=0) + cp.count_nonzero(x > 1)
        x[x > 4] = 0.0
        cp.where(x > 1, x, 0)
    assert s.total == 0 and y.shape == (3,)


def test_the_global_counter_can_be_read_and_reset(cp):
    cp._strict.reset()
    cp.arange(2).get()
    assert sum(cp._strict.counts().values()) == 1
    cp._strict.reset()
    assert not cp._strict.counts()
