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
