"""TensorDataset, Subset, ConcatDataset and random_split."""
import numpy as np
import pytest

import minigrad as mg
from conftest import to_np
from minigrad.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_accepts_tensors_and_arrays_alike():
    ds = TensorDataset(mg.arange(5) * 2, np.arange(5.0, dtype=np.float32))
    x, y = ds[3]
    assert len(ds) == 5 and isinstance(x, mg.Tensor) and isinstance(y, mg.Tensor)
    assert to_np(x) == 6 and to_np(y) == 3.0 and y.dtype == mg.float32


def test_tensor_dataset_keeps_numpy_arrays_without_copying():
    X = np.zeros((4, 2), dtype=np.float32)
    ds = TensorDataset(X)
    X[1, 0] = 5
    assert to_np(ds[1][0])[0] == 5


def test_tensor_dataset_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match=r"lengths \[3, 4\]"):
        TensorDataset(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("args, error", [((), ValueError), ((np.float32(1),), ValueError), ((np.array([{}]),), TypeError)])
def test_tensor_dataset_rejects_bad_arguments(args, error):
    with pytest.raises(error):
        TensorDataset(*args)


def test_base_dataset_requires_getitem_and_len():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_subset_reads_through_its_indices():
    sub = Subset(TensorDataset(np.arange(10) * 10), [7, 1, -1])
    assert len(sub) == 3 and [int(to_np(s[0])) for s in (sub[0], sub[1], sub[2])] == [70, 10, 90]
    assert to_np(sub.__getitems__(np.array([2, 0]))[0]).tolist() == [90, 70]


def test_subset_index_out_of_range_is_index_error():
    with pytest.raises(IndexError, match="index 10 is out of range"):
        Subset(TensorDataset(np.arange(10)), [0, 10])


def test_concat_dataset_indexes_across_parts_in_requested_order():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(100, 104))
    cat = ConcatDataset([a, b])
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert int(to_np(cat[4][0])) == 101 and int(to_np(cat[-1][0])) == 103
    (batch,) = cat.__getitems__(np.array([5, 0, 3, 2, -1]))
    assert to_np(batch).tolist() == [102, 0, 100, 2, 103]


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    with pytest.raises(IndexError, match="out of range"):
        ConcatDataset([TensorDataset(np.arange(3))])[3]


def test_dataset_addition_concatenates():
    assert len(TensorDataset(np.arange(3)) + TensorDataset(np.arange(4))) == 7


def all_indices(splits):
    return [int(i) for s in splits for i in s.indices]


def test_random_split_by_counts_is_disjoint_and_complete():
    splits = random_split(TensorDataset(np.arange(50)), [30, 15, 5], generator=mg.Generator().manual_seed(0))
    assert [len(s) for s in splits] == [30, 15, 5]
    assert sorted(all_indices(splits)) == list(range(50))


@pytest.mark.parametrize("n, fractions", [(10, [0.5, 0.3, 0.2]), (11, [0.3, 0.3, 0.4]), (7, [0.25, 0.25, 0.25, 0.25])])
def test_random_split_fractions_share_out_remainder_like_torch(torch, n, fractions):
    ours = random_split(TensorDataset(np.arange(n)), fractions)
    theirs = torch.utils.data.random_split(range(n), fractions)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(all_indices(ours)) == list(range(n))


def test_random_split_is_reproducible_with_a_generator():
    ds = TensorDataset(np.arange(20))
    a = random_split(ds, [0.7, 0.3], generator=mg.Generator().manual_seed(4))
    b = random_split(ds, [0.7, 0.3], generator=mg.Generator().manual_seed(4))
    assert all_indices(a) == all_indices(b)


def test_random_split_zero_length_split_warns():
    with pytest.warns(UserWarning, match="index 1"):
        random_split(TensorDataset(np.arange(2)), [1.0, 0.0])


@pytest.mark.parametrize("lengths, error", [
    ([3, 3], ValueError),          # counts that do not add up
    ([0.5, 0.4], ValueError),      # fractions that do not add up to 1
    ([12, -2], ValueError),        # negative count
    ([1.5, -0.5], ValueError),     # fraction out of [0, 1]
    ([2.5, 7.5], ValueError),      # non-integer counts
    ([], ValueError),
    (["a", "b"], TypeError),
])
def test_random_split_rejects_bad_lengths(lengths, error):
    with pytest.raises(error):
        random_split(TensorDataset(np.arange(10)), lengths)
