"""minigrad.backend: devices, array modules, dtypes, transfers, scatter-add and generators."""
import sys
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, generator


# ---------------------------------------------------------------------------- devices
@pytest.mark.parametrize("given,expected", [
    (None, "cpu"), ("cpu", "cpu"), ("cuda:0", "cuda:0"), ("cuda:3", "cuda:3"), (1, "cuda:1"),
])
def test_canonical_device(given, expected):
    assert backend.canonical_device(given) == expected


def test_canonical_device_of_plain_cuda_names_a_gpu_index():
    assert backend.canonical_device("cuda") == "cuda:0" or backend.canonical_device("cuda").startswith("cuda:")


@pytest.mark.parametrize("bad", ["gpu", "cuda:", "cuda:-1", "cuda:a", "Cuda", "tpu:0"])
def test_canonical_device_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="device"):
        backend.canonical_device(bad)


def test_array_module_and_device_of_host_arrays():
    a = np.zeros(3)
    assert backend.array_module(a) is np and backend.array_module(np.float32(1)) is np
    assert backend.device_of(a) == "cpu" and backend.xp_for_device("cpu") is np


def test_xp_for_a_gpu_without_cupy_explains_the_extra(monkeypatch):
    monkeypatch.setattr(backend, "_load_cupy", lambda: None)
    with pytest.raises(RuntimeError, match=r"minigrad\[cuda12\]"):
        backend.xp_for_device("cuda:0")


def test_cuda_is_available_is_false_not_an_error_when_cupy_is_broken(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_checked", False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    assert backend.cuda_is_available() is False
    assert backend.cuda_device_count() == 0


def test_to_device_on_the_same_device_returns_the_array_itself(device):
    a = backend.xp_for_device(device).arange(3.0)
    assert backend.to_device(a, device) is a


def test_to_host_does_not_copy_host_arrays():
    a = np.arange(3.0)
    assert backend.to_host(a) is a
    assert isinstance(backend.to_host(np.float64(2.0)), np.ndarray)


def test_as_array_turns_numpy_scalars_into_0d_arrays():
    out = backend.as_array(np.float32(1.5))
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32
    a = np.ones(2)
    assert backend.as_array(a) is a


def test_asarray_builds_arrays_on_a_device(device):
    a = backend.asarray([1, 2], backend.float32, device)
    assert backend.device_of(a) == device and a.dtype == np.float32


# ---------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("given", [mg.float64, "float64", np.float64, np.dtype("float64")])
def test_to_dtype_normalises_dtype_likes(given):
    assert backend.to_dtype(given) == np.float64


def test_to_dtype_of_python_float_is_the_default_and_none_stays_none():
    assert backend.to_dtype(float) == mg.get_default_dtype() and backend.to_dtype(None) is None
    with pytest.raises(TypeError, match="dtype"):
        backend.to_dtype("not-a-dtype")


@pytest.mark.parametrize("a,b,expected", [
    ("int64", "float32", "float32"), ("float32", "int64", "float32"), ("float16", "float32", "float32"),
    ("int32", "int64", "int64"), ("bool", "int8", "int8"), ("uint8", "int8", "int16"),
    ("bool", "float16", "float16"), ("float64", "float64", "float64"),
])
def test_promote_types_follows_torch(a, b, expected, torch):
    assert backend.promote_types(np.dtype(a), np.dtype(b)) == np.dtype(expected)
    assert str(torch.promote_types(getattr(torch, a), getattr(torch, b))) == f"torch.{expected}"


# ---------------------------------------------------------------------------- scatter-add
def test_scatter_add_accumulates_repeated_indices(device):
    xp = backend.xp_for_device(device)
    target = xp.zeros(4)
    backend.scatter_add(target, xp.asarray([0, 2, 0, 0]), xp.asarray([1.0, 2.0, 3.0, 4.0]))
    assert backend.to_host(target).tolist() == [8.0, 0.0, 2.0, 0.0]


def test_scatter_add_with_a_tuple_index(device):
    xp = backend.xp_for_device(device)
    target = xp.zeros((2, 2))
    index = (xp.asarray([1, 1, 0]), xp.asarray([0, 0, 1]))
    backend.scatter_add(target, index, xp.asarray([1.0, 2.0, 5.0]))
    assert backend.to_host(target).tolist() == [[0.0, 5.0], [3.0, 0.0]]


# ---------------------------------------------------------------------------- generators
def _draws(gen):
    return (gen.uniform((5,), backend.float32), gen.normal((5,), backend.float64, 1.0, 2.0),
            gen.integers(0, 10, (5,)), gen.permutation(6))


def test_generator_is_deterministic_per_seed(device):
    a = _draws(mg.Generator(device).manual_seed(42))
    b = _draws(mg.Generator(device).manual_seed(42))
    c = _draws(mg.Generator(device).manual_seed(43))
    for x, y in zip(a, b):
        assert backend.to_host(x).tolist() == backend.to_host(y).tolist()
    assert backend.to_host(a[1]).tolist() != backend.to_host(c[1]).tolist()


def test_generator_samples_have_the_requested_dtypes_and_ranges(device):
    gen = mg.Generator(device).manual_seed(0)
    u = gen.uniform((1000,), backend.float32, -3.0, -1.0)
    assert u.dtype == np.float32 and -3 <= float(u.min()) and float(u.max()) < -1
    assert gen.normal((3,), backend.float16).dtype == np.float16
    i = gen.integers(5, 8, (1000,), backend.int32)
    assert i.dtype == np.int32 and set(backend.to_host(i).tolist()) == {5, 6, 7}
    p = gen.permutation(5)
    assert p.dtype == np.int64 and sorted(backend.to_host(p).tolist()) == [0, 1, 2, 3, 4]


def test_generator_seed_bookkeeping():
    gen = mg.Generator()
    assert gen.manual_seed(11).initial_seed() == 11
    new = gen.seed()
    assert gen.initial_seed() == new and new >= 0
    assert "cpu" in repr(gen)
    assert gen.manual_seed(-1).initial_seed() == 2**64 - 1  # negative seeds wrap, as torch
    with pytest.raises(ValueError, match="within"):
        gen.manual_seed(2**64)


def test_get_state_and_set_state_replay_the_stream():
    gen = mg.Generator().manual_seed(5)
    gen.normal((3,), backend.float64)
    state = gen.get_state()
    first = gen.normal((4,), backend.float64)
    gen.normal((10,), backend.float64)
    assert gen.set_state(state) is gen
    np.testing.assert_array_equal(gen.normal((4,), backend.float64), first)
    other = mg.Generator().set_state(state)  # a state moves to another generator too
    np.testing.assert_array_equal(other.normal((4,), backend.float64), first)


def test_manual_seed_reseeds_every_default_generator():
    gen = generator.default_generator("cpu")
    assert generator.default_generator() is gen
    returned = mg.manual_seed(9)
    assert returned is gen
    first = gen.uniform((3,), backend.float64)
    mg.manual_seed(9)
    np.testing.assert_array_equal(gen.uniform((3,), backend.float64), first)


@pytest.mark.parametrize("decorator", ["ignoring_float_errors", "_errstate_per_call"])
def test_the_float_error_silencer_is_per_call_and_per_thread(decorator):
    """Both forms (NumPy 2's shared errstate decorator, NumPy 1's errstate per call) silence
    overflow inside and leave the caller's state as it was, from several threads at once."""
    silenced = getattr(backend, decorator)(lambda x: np.exp(x))
    errors = []

    def worker():
        try:
            before = np.geterr()  # this thread's own state
            for _ in range(200):
                with np.errstate(over="raise"):  # an overflow outside the silencer would raise
                    assert silenced(np.float32(100.0)) == np.inf
                    assert np.geterr()["over"] == "raise"  # restored after every call
            assert np.geterr() == before
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
