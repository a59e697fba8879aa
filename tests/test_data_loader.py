"""DataLoader: batch counts, coverage, alignment, reproducibility, collation, devices, errors."""
from collections import namedtuple

import numpy as np
import pytest

import minigrad as mg
from conftest import to_np
from minigrad.data import (
    BatchSampler, DataLoader, Dataset, SequentialSampler, StratifiedBatchSampler, Subset, TensorDataset,
)

N = 23


def make_ds(n=N):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(X, y)


def seeded(seed=0):
    return mg.Generator().manual_seed(seed)


def epoch_labels(loader):
    return [to_np(yb).tolist() for _, yb in loader]


@pytest.mark.parametrize("batch_size", [1, 5, N, N + 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_is_number_of_batches_and_matches_iteration(batch_size, drop_last):
    loader = DataLoader(make_ds(), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    expected = N // batch_size if drop_last else -(-N // batch_size)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    sizes = [len(xb) for xb, _ in batches]
    full = [batch_size] * (N // batch_size)
    assert sizes == (full if drop_last or N % batch_size == 0 else full + [N % batch_size])


@pytest.mark.parametrize("batch_size", [1, 4, N])
def test_every_index_exactly_once_per_shuffled_epoch(batch_size):
    loader = DataLoader(make_ds(), batch_size=batch_size, shuffle=True, generator=seeded())
    for _ in range(3):
        seen = sorted(i for batch in epoch_labels(loader) for i in batch)
        assert seen == list(range(N))


def test_rows_and_labels_stay_aligned():
    for xb, yb in DataLoader(make_ds(), batch_size=6, shuffle=True):
        np.testing.assert_array_equal(to_np(xb)[:, 0], to_np(yb) * 3)


def test_batches_are_tuples_of_tensors_keeping_dtypes():
    xb, yb = next(iter(DataLoader(make_ds(), batch_size=4)))
    assert isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
    assert xb.dtype == mg.float32 and yb.dtype == mg.int64 and not xb.requires_grad


def test_no_shuffle_keeps_dataset_order():
    assert sum(epoch_labels(DataLoader(make_ds(), batch_size=5)), []) == list(range(N))


def test_same_generator_seed_gives_same_batches():
    a = DataLoader(make_ds(), batch_size=4, shuffle=True, generator=seeded(7))
    b = DataLoader(make_ds(), batch_size=4, shuffle=True, generator=seeded(7))
    assert [epoch_labels(a) for _ in range(2)] == [epoch_labels(b) for _ in range(2)]


def test_manual_seed_makes_loader_without_generator_reproducible():
    loader = DataLoader(make_ds(), batch_size=4, shuffle=True)
    mg.manual_seed(3)
    first = epoch_labels(loader)
    mg.manual_seed(3)
    assert epoch_labels(loader) == first


def test_each_epoch_draws_a_new_permutation():
    for loader in (DataLoader(make_ds(), batch_size=4, shuffle=True, generator=seeded(1)),
                   DataLoader(make_ds(), batch_size=4, shuffle=True)):
        epochs = [sum(epoch_labels(loader), []) for _ in range(3)]
        assert epochs[0] != epochs[1] and epochs[1] != epochs[2]


class NoPerSampleAccess(TensorDataset):
    """Fails if the loader falls back to reading samples one at a time."""

    def __getitem__(self, index):
        raise AssertionError("per-sample __getitem__ used on an array-backed dataset")


def test_array_backed_datasets_are_cut_by_one_index_per_batch():
    base = NoPerSampleAccess(np.arange(20.0).reshape(10, 2), np.arange(10))
    for ds in (base, Subset(base, [9, 3, 4, 0]), base + base):
        batches = list(DataLoader(ds, batch_size=3, shuffle=True))
        assert sum(len(yb) for _, yb in batches) == len(ds)


def test_subset_batches_follow_subset_indices():
    sub = Subset(make_ds(), [5, 2, 9])
    (xb, yb), = DataLoader(sub, batch_size=3)
    assert to_np(yb).tolist() == [5, 2, 9]
    np.testing.assert_array_equal(to_np(xb)[:, 0], [15, 6, 27])


class Records(Dataset):
    """A generic dataset (no fast path) whose samples are nested Python structures."""

    Pair = namedtuple("Pair", "a b")

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "meta": (i, float(i) / 2, self.Pair(i, True)), "name": f"s{i}"}


def test_default_collate_stacks_dicts_tuples_numbers_and_namedtuples():
    batch = next(iter(DataLoader(Records(), batch_size=4)))
    assert to_np(batch["x"]).shape == (4, 2)
    ints, floats, pair = batch["meta"]
    assert ints.dtype == mg.int64 and to_np(ints).tolist() == [0, 1, 2, 3]
    assert floats.dtype == mg.float32 and to_np(floats).tolist() == [0, 0.5, 1, 1.5]
    assert isinstance(pair, Records.Pair) and pair.b.dtype == mg.bool_
    assert batch["name"] == ["s0", "s1", "s2", "s3"]


def test_default_collate_names_unequal_shapes():
    class Ragged(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros(i + 1)

    with pytest.raises(RuntimeError, match=r"entry 0 has shape \(1,\) and entry 1 has shape \(2,\)"):
        next(iter(DataLoader(Ragged(), batch_size=2)))


def test_custom_collate_fn_receives_list_of_samples():
    seen = []
    loader = DataLoader(make_ds(6), batch_size=4, collate_fn=lambda samples: seen.append(len(samples)) or len(samples))
    assert list(loader) == [4, 2] and seen == [4, 2]


def test_batch_size_none_yields_single_samples():
    loader = DataLoader(make_ds(4), batch_size=None)
    samples = list(loader)
    assert len(loader) == 4 and to_np(samples[2][1]) == 2 and samples[2][0].shape == (3,)


def test_batch_size_none_converts_arrays_of_generic_samples_to_tensors():
    sample = list(DataLoader(Records(), batch_size=None))[3]
    assert isinstance(sample["x"], mg.Tensor) and to_np(sample["x"]).tolist() == [3, 3]
    assert sample["meta"][0] == 3 and sample["name"] == "s3"


def test_batch_sampler_option_is_used_as_given():
    sampler = BatchSampler(SequentialSampler(range(N)), 10, drop_last=True)
    loader = DataLoader(make_ds(), batch_sampler=sampler)
    assert len(loader) == 2 and sum(epoch_labels(loader), []) == list(range(20))


def test_stratified_batch_sampler_plugs_into_loader():
    labels = np.arange(N) % 3
    loader = DataLoader(make_ds(), batch_sampler=StratifiedBatchSampler(labels, 6, generator=seeded()))
    assert sorted(sum(epoch_labels(loader), [])) == list(range(N))


def test_device_moves_each_batch(device):
    xb, yb = next(iter(DataLoader(make_ds(), batch_size=4, device=device)))
    assert xb.device == device and yb.device == device
    np.testing.assert_array_equal(to_np(yb), [0, 1, 2, 3])


def test_dataset_already_on_device_is_indexed_there(device):
    ds = TensorDataset(mg.arange(10, device=device), mg.arange(10, device=device) * 2)
    for xb, yb in DataLoader(ds, batch_size=4, shuffle=True):
        assert xb.device == device
        np.testing.assert_array_equal(to_np(yb), to_np(xb) * 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=-2), "batch_size"),
    (dict(batch_size=2.5), "batch_size"),
    (dict(shuffle=True, sampler=SequentialSampler(range(N))), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=BatchSampler(range(N), 2, False), batch_size=4), "mutually exclusive"),
    (dict(batch_sampler=BatchSampler(range(N), 2, False), shuffle=True), "mutually exclusive"),
    (dict(batch_sampler=BatchSampler(range(N), 2, False), drop_last=True), "mutually exclusive"),
    (dict(batch_sampler=BatchSampler(range(N), 2, False), sampler=range(N)), "mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "drop_last"),
    (dict(shuffle="yes"), "shuffle"),
    (dict(drop_last="no"), "drop_last"),
    (dict(device="gpu"), "device"),
])
def test_conflicting_or_bad_options_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(make_ds(), **kwargs)


def test_bad_generator_and_collate_fn_raise_type_error():
    with pytest.raises(TypeError, match="generator"):
        DataLoader(make_ds(), shuffle=True, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="collate_fn"):
        DataLoader(make_ds(), collate_fn="stack")


def test_torch_worker_options_are_accepted_and_extra_workers_warn():
    ds = TensorDataset(np.arange(6.0), np.arange(6))
    assert len(DataLoader(ds, batch_size=2, num_workers=0, pin_memory=True)) == 3
    with pytest.warns(UserWarning, match="num_workers=4 is ignored"):
        loader = DataLoader(ds, batch_size=2, num_workers=4)
    assert [len(x) for x, _ in loader] == [2, 2, 2]
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
