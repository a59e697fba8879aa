"""Same seed, same model and same batches as PyTorch on the CPU: layer inits, nn.init.*,
dropout masks, samplers, DataLoader shuffling and random_split against torch's."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import data as mdata

INITS = ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _pair(torch, seed):
    return mg.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def _same_state(g, tg):
    np.testing.assert_array_equal(g.get_state(), tg.get_state().numpy())


def test_default_layer_inits_equal_torch(torch):
    mg.manual_seed(2147483647)
    torch.manual_seed(2147483647)
    ours = mg.nn.Sequential(mg.nn.Linear(64, 33), mg.nn.Tanh(), mg.nn.Linear(33, 10), mg.nn.LayerNorm(10))
    theirs = torch.nn.Sequential(torch.nn.Linear(64, 33), torch.nn.Tanh(), torch.nn.Linear(33, 10), torch.nn.LayerNorm(10))
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(a), b.numpy(), err_msg=name)
    np.testing.assert_array_equal(mg.backend.default_generator().get_state(), torch.default_generator.get_state().numpy())


@pytest.mark.parametrize("name", INITS)
@pytest.mark.parametrize("shape", [(5, 3), (20, 30), (4, 3, 3, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn_init_equals_torch(torch, name, shape, dtype):
    g, tg = _pair(torch, 7)
    ours = getattr(mg.nn.init, name)(mg.empty(shape, dtype=dtype), generator=g)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=getattr(torch, dtype)), generator=tg)
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    _same_state(g, tg)


@pytest.mark.parametrize("bounds", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 1.0), (0.0, 1.0, 2.0, 3.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trunc_normal_takes_torchs_rejection_path_and_numbers(torch, bounds, dtype):
    g, tg = _pair(torch, 1)
    ours = mg.nn.init.trunc_normal_(mg.empty((30, 40), dtype=dtype), *bounds, generator=g)
    theirs = torch.nn.init.trunc_normal_(torch.empty((30, 40), dtype=getattr(torch, dtype)), *bounds, generator=tg)
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    _same_state(g, tg)


def test_sparse_equals_torch_including_its_default_generator_quirk(torch):
    g, tg = _pair(torch, 8)
    mg.manual_seed(9)
    torch.manual_seed(9)
    ours = mg.nn.init.sparse_(mg.empty(12, 5), 0.3, generator=g)
    theirs = torch.nn.init.sparse_(torch.empty(12, 5), 0.3, generator=tg)
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    np.testing.assert_array_equal(np.asarray(mg.rand(2)), torch.rand(2).numpy())


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 3, 3)])
def test_orthogonal_equals_torch_up_to_the_qr_rounding(torch, shape):
    """The Gaussian draw is identical; the QR factorisations (two LAPACK builds) may differ
    in the last bits."""
    g, tg = _pair(torch, 3)
    ours = mg.nn.init.orthogonal_(mg.empty(shape, dtype="float64"), generator=g)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), generator=tg)
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12, atol=1e-12)
    _same_state(g, tg)


@pytest.mark.parametrize("p", [0.1, 0.37, 0.5, 0.9])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_masks_equal_torch(torch, p, dtype):
    x = np.linspace(-1, 1, 60).reshape(6, 10)
    mg.manual_seed(3)
    torch.manual_seed(3)
    ours = [mg.nn.functional.dropout(mg.tensor(x, dtype=dtype), p), mg.nn.Dropout(p)(mg.tensor(x, dtype=dtype))]
    tx = torch.tensor(x, dtype=getattr(torch, dtype))
    theirs = [torch.nn.functional.dropout(tx, p), torch.nn.Dropout(p)(tx)]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), b.numpy())


def test_dropout_of_everything_draws_nothing(torch):
    mg.manual_seed(4)
    torch.manual_seed(4)
    mg.nn.functional.dropout(mg.ones(5), 1.0)
    torch.nn.functional.dropout(torch.ones(5), 1.0)
    np.testing.assert_array_equal(np.asarray(mg.rand(3)), torch.rand(3).numpy())


# ---------------------------------------------------------------------------- data
@pytest.mark.parametrize("kwargs", [{}, {"replacement": True}, {"num_samples": 60}, {"num_samples": 50},
                                    {"replacement": True, "num_samples": 70}])
def test_random_sampler_epochs_equal_torch(torch, kwargs):
    g, tg = _pair(torch, 2147483647)
    for _ in range(2):
        ours = list(mdata.RandomSampler(range(25), generator=g, **kwargs))
        assert ours == list(torch.utils.data.RandomSampler(range(25), generator=tg, **kwargs))
    _same_state(g, tg)


def test_samplers_without_a_generator_derive_from_the_default_one_as_torch(torch):
    tdata = torch.utils.data
    mg.manual_seed(0)
    torch.manual_seed(0)
    assert list(mdata.RandomSampler(range(30))) == list(tdata.RandomSampler(range(30)))
    assert list(mdata.SubsetRandomSampler([3, 8, 11, 20, 7])) == list(tdata.SubsetRandomSampler([3, 8, 11, 20, 7]))
    weights = [1, 5, 1, 5, 1, 0.5]
    assert list(mdata.WeightedRandomSampler(weights, 10)) == list(tdata.WeightedRandomSampler(weights, 10))
    assert (list(mdata.WeightedRandomSampler(weights, 4, replacement=False))
            == list(tdata.WeightedRandomSampler(weights, 4, replacement=False)))
    np.testing.assert_array_equal(np.asarray(mg.rand(3)), torch.rand(3).numpy())


@pytest.mark.parametrize("lengths", [[0.5, 0.3, 0.2], [10, 15]])
def test_random_split_equals_torch(torch, lengths):
    g, tg = _pair(torch, 42)
    ours = mdata.random_split(range(25), lengths, generator=g)
    theirs = torch.utils.data.random_split(range(25), lengths, generator=tg)
    assert [list(s.indices) for s in ours] == [list(s.indices) for s in theirs]


@pytest.mark.parametrize("explicit_generator", [False, True])
def test_dataloader_shuffles_as_torch_epoch_after_epoch(torch, explicit_generator):
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    mg.manual_seed(5)
    torch.manual_seed(5)
    g, tg = _pair(torch, 6) if explicit_generator else (None, None)
    ours = mdata.DataLoader(mdata.TensorDataset(mg.tensor(x)), batch_size=4, shuffle=True, generator=g)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)), batch_size=4,
                                         shuffle=True, generator=tg)
    for _ in range(3):
        assert [np.asarray(b[0]).tolist() for b in ours] == [b[0].tolist() for b in theirs]
    # the loaders advanced the default stream exactly as torch's did
    np.testing.assert_array_equal(np.asarray(mg.randn(5)), torch.randn(5).numpy())
