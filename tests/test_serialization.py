"""mg.save / mg.load: safetensors checkpoints, PyTorch interop, exact round trips, bad files."""
import math
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from nn_parity import assert_close

pytest.importorskip("safetensors")


def net():
    return nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Linear(5, 2))


def torch_net(torch):
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 2))


def trained(device):
    m = net().to(device)
    for _ in range(3):
        m(mg.randn(8, 3, device=device))
    return m.eval()


def test_state_dict_round_trip_gives_identical_outputs(tmp_path, device):
    m = trained(device)
    mg.save(m.state_dict(), tmp_path / "m.safetensors")
    other = net().to(device).eval()
    other.load_state_dict(mg.load(tmp_path / "m.safetensors", device=device))
    x = mg.randn(4, 3, device=device)
    np.testing.assert_array_equal(m(x).detach().numpy(), other(x).detach().numpy())


def test_loaded_tensors_keep_dtype_and_shape_including_0d_int64(tmp_path):
    m = trained("cpu")
    mg.save(m.state_dict(), tmp_path / "m.st")
    sd = mg.load(tmp_path / "m.st")
    assert sd["2.num_batches_tracked"].dtype == mg.int64 and sd["2.num_batches_tracked"].shape == ()
    assert sd["2.num_batches_tracked"].item() == 3
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(sd[k].detach().numpy(), v.detach().numpy())


def test_checkpoint_loads_in_torch_strictly_and_gives_the_same_outputs(torch, tmp_path, device):
    from safetensors.torch import load_file

    m = trained(device)
    mg.save(m.state_dict(), tmp_path / "m.safetensors")
    t = torch_net(torch)
    t.load_state_dict(load_file(str(tmp_path / "m.safetensors")), strict=True)
    t.eval()
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    assert_close(m(mg.tensor(x, device=device)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_torch_safetensors_file_loads_as_a_flat_dict(torch, tmp_path):
    from safetensors.torch import save_file

    t = torch_net(torch)
    save_file(t.state_dict(), str(tmp_path / "t.safetensors"))
    m = net()
    m.load_state_dict(mg.load(tmp_path / "t.safetensors"))
    assert_close(m[0].weight, t[0].weight)


def test_optimizer_like_state_round_trips_exactly(tmp_path):
    state = {
        "state": {0: {"step": mg.tensor(3.0), "exp_avg": mg.randn(2, 3), "exp_avg_sq": mg.rand(2, 3)},
                  1: {"step": 7, "momentum_buffer": None}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                          "amsgrad": False, "params": [0, 1], "name": "fc", "inf": math.inf}],
    }
    mg.save(state, tmp_path / "opt.st")
    back = mg.load(tmp_path / "opt.st")
    assert list(back["state"]) == [0, 1]  # int keys stay ints
    assert back["param_groups"] == state["param_groups"]  # floats, tuples, bools, None exact
    for k in ("step", "exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(back["state"][0][k].detach().numpy(), state["state"][0][k].detach().numpy())
    assert back["state"][1] == {"step": 7, "momentum_buffer": None}


def test_numpy_arrays_come_back_as_numpy_arrays(tmp_path):
    mg.save({"a": np.arange(4, dtype=np.int32), "t": mg.ones(2)}, tmp_path / "x.st")
    back = mg.load(tmp_path / "x.st")
    assert isinstance(back["a"], np.ndarray) and back["a"].dtype == np.int32
    assert isinstance(back["t"], mg.Tensor)


def test_save_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "ckpt.st"
    mg.save({"a": mg.zeros(2)}, path)
    mg.save({"a": mg.ones(2)}, path)
    assert mg.load(path)["a"].detach().numpy().tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.st"]


def test_truncated_file_raises_value_error_naming_it(tmp_path):
    path = tmp_path / "m.st"
    mg.save(net().state_dict(), path)
    data = path.read_bytes()
    for cut in (len(data) - 7, 20, 4):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="m.st"):
            mg.load(path)


def test_foreign_file_raises_value_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tensors you are looking for")
    with pytest.raises(ValueError, match="notes.txt"):
        mg.load(path)


def test_pickle_file_is_rejected_not_unpickled(torch, tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, str(path))
    with pytest.raises(ValueError, match="model.pt"):
        mg.load(path)


def test_loading_a_checkpoint_with_wrong_shapes_leaves_the_model_untouched(tmp_path):
    mg.save(nn.Linear(3, 4).state_dict(), tmp_path / "small.st")
    m = nn.Linear(3, 5)
    before = m.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match="size mismatch"):
        m.load_state_dict(mg.load(tmp_path / "small.st"))
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)


def test_unsupported_values_and_keys_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="set"):
        mg.save({"a": {1, 2}}, tmp_path / "x.st")
    with pytest.raises(TypeError, match="keys"):
        mg.save({(1, 2): mg.ones(1)}, tmp_path / "x.st")
    assert not (tmp_path / "x.st").exists()


def test_colliding_flattened_keys_raise(tmp_path):
    with pytest.raises(ValueError, match="same key"):
        mg.save({"a.b": mg.ones(1), "a": {"b": mg.zeros(1)}}, tmp_path / "x.st")


def test_load_to_device(tmp_path, device):
    mg.save({"w": mg.ones(3)}, tmp_path / "w.st")
    assert mg.load(tmp_path / "w.st", device=device)["w"].device == device


# ---------------------------------------------------------------- save refuses what load could not read
@pytest.mark.parametrize("obj,error,culprit", [
    ({"__metadata__": mg.ones(2)}, ValueError, "__metadata__"),
    ({"z": np.ones(2, dtype=np.complex64)}, TypeError, "complex64"),
    ({"z": np.array([object(), 1], dtype=object)}, TypeError, "object"),
    ({"s": np.array(["a", "b"])}, TypeError, "<U1"),
    ({"d": np.array(["2020-01-01"], dtype="datetime64[D]")}, TypeError, "datetime64"),
    ({"c": np.complex128(1j)}, TypeError, "complex128"),
    ({1.5: mg.ones(1)}, TypeError, "float"),
    ({None: mg.ones(1)}, TypeError, "NoneType"),
    ({"a": {(1, 2): 3}}, TypeError, "tuple"),
], ids=["metadata_key", "complex", "object", "str", "datetime", "complex_scalar", "float_key", "none_key", "tuple_key"])
def test_save_refuses_what_load_could_not_read_back_and_writes_nothing(tmp_path, obj, error, culprit):
    with pytest.raises(error, match=culprit):
        mg.save(obj, tmp_path / "x.st")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_container_that_contains_itself(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested deeper"):
        mg.save({"a": loop}, tmp_path / "x.st")
    assert os.listdir(tmp_path) == []


def test_big_endian_and_strided_arrays_round_trip_and_load_in_safetensors(tmp_path):
    from safetensors.numpy import load_file

    big = np.arange(6, dtype=">f4").reshape(2, 3)
    strided = np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::2]
    mg.save({"big": big, "strided": strided, "t": mg.tensor(big).t()}, tmp_path / "x.st")
    back = mg.load(tmp_path / "x.st")
    np.testing.assert_array_equal(back["big"], big)
    np.testing.assert_array_equal(back["strided"], strided)
    np.testing.assert_array_equal(back["t"].numpy(), big.T)
    theirs = load_file(str(tmp_path / "x.st"))
    np.testing.assert_array_equal(theirs["strided"], strided)


def test_load_accepts_weights_only_as_pytorch_does(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "w.st")
    for flag in (True, False):
        assert mg.load(tmp_path / "w.st", weights_only=flag)["w"].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- temporaries, durability, streaming
def dead_pid():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_dead_writers_are_removed_by_the_next_save(tmp_path):
    stale = tmp_path / f".ckpt.st.tmp-{dead_pid()}-0badc0de"
    stale.write_bytes(b"\0" * 1000)
    live = tmp_path / f".ckpt.st.tmp-{os.getpid()}-0000beef"  # another thread of a live writer
    live.write_bytes(b"\0")
    other_target = tmp_path / f".other.st.tmp-{dead_pid()}-0badc0de"
    other_target.write_bytes(b"\0")
    mg.save({"a": mg.ones(2)}, tmp_path / "ckpt.st")
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.st", live.name, other_target.name])


def test_temporaries_untouched_for_over_an_hour_are_removed(tmp_path):
    old = tmp_path / f".ckpt.st.tmp-{os.getpid()}-00000001"
    old.write_bytes(b"\0")
    os.utime(old, (0, 0))
    mg.save({"a": mg.ones(2)}, tmp_path / "ckpt.st")
    assert os.listdir(tmp_path) == ["ckpt.st"]


def test_the_temporary_is_named_after_its_target(tmp_path, monkeypatch):
    from minigrad import serialization

    seen = []
    real_replace = os.replace
    monkeypatch.setattr(serialization.os, "replace", lambda src, dst: (seen.append(os.path.basename(src)), real_replace(src, dst)))
    mg.save({"a": mg.ones(2)}, tmp_path / "model.st")
    assert seen and seen[0].startswith(f".model.st.tmp-{os.getpid()}-")


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    from minigrad import serialization

    calls = []
    monkeypatch.setattr(serialization, "_fsync_directory",
                        lambda d: calls.append((d, os.path.exists(tmp_path / "m.st"))))
    mg.save({"a": mg.ones(2)}, tmp_path / "m.st")
    assert calls == [(str(tmp_path), True)]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from minigrad import _safetensors

    mg.save({"a": mg.zeros(2)}, tmp_path / "m.st")

    def disk_full(f, host):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_safetensors, "write_array", disk_full)
    with pytest.raises(OSError, match="No space"):
        mg.save({"a": mg.ones(2)}, tmp_path / "m.st")
    assert os.listdir(tmp_path) == ["m.st"]
    assert mg.load(tmp_path / "m.st")["a"].tolist() == [0.0, 0.0]


def test_save_streams_tensors_instead_of_copying_the_checkpoint(tmp_path):
    import tracemalloc

    state = {f"w{i}": mg.ones(1_000_000) for i in range(8)}  # 32 MB
    tracemalloc.start()
    mg.save(state, tmp_path / "big.st")
    _, save_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert save_peak < 2 * 2**20, f"save peaked at {save_peak / 2**20:.1f} MiB"

    tracemalloc.start()
    back = mg.load(tmp_path / "big.st")
    _, load_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert load_peak < 32_000_000 + 2 * 2**20, f"load peaked at {load_peak / 2**20:.1f} MiB"  # the tensors, once
    assert float(back["w7"].sum()) == 1_000_000


_KILLED_WRITER = """
import os, sys, time
import minigrad as mg
from minigrad import _safetensors

real = _safetensors.write_array
count = [0]

def write_then_stall(f, host):
    real(f, host)
    count[0] += 1
    if count[0] == 2:  # half of the new checkpoint is on disk: tell the parent, then wait to be killed
        f.flush()
        print("halfway", flush=True)
        time.sleep(60)

_safetensors.write_array = write_then_stall
mg.save({"a": mg.ones(1000), "b": mg.ones(1000), "c": mg.ones(1000)}, sys.argv[1])
"""


def test_a_save_killed_midway_leaves_the_old_checkpoint_and_the_next_save_cleans_up(tmp_path):
    import signal
    import subprocess
    import sys

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    path = tmp_path / "ckpt.st"
    mg.save({"a": mg.zeros(3)}, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline() == b"halfway\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.st"]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".ckpt.st.tmp-{child.pid}-")
    assert mg.load(path)["a"].tolist() == [0.0, 0.0, 0.0]  # the old checkpoint is intact
    mg.save({"a": mg.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.st"]
    assert mg.load(path)["a"].tolist() == [1.0, 1.0, 1.0]
