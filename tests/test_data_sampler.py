"""Samplers: orders, replacement, weighted frequencies, batching, stratified proportions."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (
    BatchSampler, RandomSampler, SequentialSampler, StratifiedBatchSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)


def gen(seed=0):
    return mg.Generator().manual_seed(seed)


def test_sequential_sampler_yields_range():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]


def test_random_sampler_is_a_permutation_each_epoch():
    sampler = RandomSampler(range(30), generator=gen())
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(30)) and first != second
    assert all(type(i) is int for i in first)


def test_random_sampler_num_samples_beyond_length_chains_permutations():
    counts = np.bincount(list(RandomSampler(range(10), num_samples=25, generator=gen())), minlength=10)
    assert len(RandomSampler(range(10), num_samples=25)) == 25
    assert counts.sum() == 25 and counts.min() >= 2 and counts.max() <= 3


def test_random_sampler_with_replacement_repeats_indices():
    draws = list(RandomSampler(range(10), replacement=True, num_samples=200, generator=gen()))
    assert len(draws) == 200 and set(draws) <= set(range(10)) and len(set(draws)) == 10


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0), dict(num_samples=-3), dict(num_samples=2.0)])
def test_random_sampler_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RandomSampler(range(5), **kwargs)


def test_samplers_reject_non_cpu_or_foreign_generators():
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(range(5), generator=np.random.default_rng())


def test_subset_random_sampler_permutes_given_indices():
    sampler = SubsetRandomSampler([3, 8, 11, 20], generator=gen())
    assert sorted(sampler) == [3, 8, 11, 20] and len(sampler) == 4


def test_weighted_sampler_frequencies_follow_weights():
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    draws = list(WeightedRandomSampler(weights, 40_000, generator=gen()))
    freq = np.bincount(draws, minlength=4) / len(draws)
    # binomial std of a frequency here is at most ~0.0025; 0.01 is four of them
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)


def test_weighted_sampler_never_draws_zero_weight():
    draws = WeightedRandomSampler(mg.tensor([0.0, 1.0, 0.0, 1.0]), 500, generator=gen())
    assert set(draws) == {1, 3}


def test_weighted_sampler_without_replacement_draws_distinct():
    draws = list(WeightedRandomSampler([1, 5, 1, 5, 1], 5, replacement=False, generator=gen()))
    assert sorted(draws) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("weights, num_samples, kwargs, match", [
    ([1.0, 2.0], 0, {}, "num_samples"),
    ([1.0, 2.0], 3, dict(replacement="yes"), "replacement"),
    ([[1.0, 2.0]], 3, {}, "1-D"),
    ([1.0, -2.0], 3, {}, "non-negative"),
    ([1.0, np.nan], 3, {}, "finite"),
    ([0.0, 0.0], 3, {}, "zero"),
    ([1.0, 0.0, 1.0], 3, dict(replacement=False), "without replacement"),
])
def test_weighted_sampler_bad_arguments(weights, num_samples, kwargs, match):
    with pytest.raises(ValueError, match=match):
        WeightedRandomSampler(weights, num_samples, **kwargs)


def test_batch_sampler_groups_like_torch(torch):
    for drop_last in (False, True):
        ours = list(BatchSampler(SequentialSampler(range(10)), 3, drop_last))
        theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(10)), 3, drop_last))
        assert ours == theirs and len(BatchSampler(range(10), 3, drop_last)) == len(theirs)


def test_batch_sampler_accepts_any_iterable_of_indices():
    assert list(BatchSampler([4, 2, 9, 1, 0], 2, drop_last=False)) == [[4, 2], [9, 1], [0]]
    assert list(BatchSampler(iter([4, 2, 9]), 2, drop_last=True)) == [[4, 2]]


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (-1, False), (True, False), (2.0, False), (2, None)])
def test_batch_sampler_bad_arguments(batch_size, drop_last):
    with pytest.raises(ValueError):
        BatchSampler(range(4), batch_size, drop_last)


# ---------------------------------------------------------------------- stratified
def class_counts(labels, batch, k):
    return np.bincount(labels[batch], minlength=k)


LABELS = np.repeat(np.arange(4), [50, 30, 20, 3])  # 103 samples, one rare class


@pytest.mark.parametrize("batch_size", [1, 7, 10, 32, 103, 200])
@pytest.mark.parametrize("shuffle", [True, False])
def test_stratified_batches_keep_class_proportions(batch_size, shuffle):
    n, counts = len(LABELS), np.bincount(LABELS)
    sampler = StratifiedBatchSampler(LABELS, batch_size, shuffle=shuffle, generator=gen())
    for batch in sampler.batches():
        size = len(batch)
        got = class_counts(LABELS, batch, 4)
        low = counts * size // n  # floor(p_c * size)
        assert np.all((got == low) | (got == low + 1)), (size, got, counts * size / n)


@pytest.mark.parametrize("batch_size", [1, 7, 103])
@pytest.mark.parametrize("shuffle", [True, False])
def test_stratified_visits_every_sample_exactly_once(batch_size, shuffle):
    sampler = StratifiedBatchSampler(LABELS, batch_size, shuffle=shuffle, generator=gen())
    batches = list(sampler)
    assert len(batches) == len(sampler) == -(-len(LABELS) // batch_size)
    assert sorted(i for b in batches for i in b) == list(range(len(LABELS)))


def test_stratified_drop_last_drops_only_the_partial_batch():
    sampler = StratifiedBatchSampler(LABELS, 10, drop_last=True, generator=gen())
    batches = list(sampler)
    assert len(sampler) == len(batches) == 10 and all(len(b) == 10 for b in batches)
    assert len({i for b in batches for i in b}) == 100


def test_stratified_rare_class_appears_at_most_once_per_batch_and_rotates():
    sampler = StratifiedBatchSampler(LABELS, 10, generator=gen(1))
    holders = []
    for _ in range(4):
        per_batch = [class_counts(LABELS, b, 4)[3] for b in sampler.batches()]
        assert max(per_batch) == 1 and sum(per_batch) == 3
        holders.append(tuple(np.flatnonzero(per_batch)))
    assert len(set(holders)) > 1


def test_stratified_without_shuffle_is_deterministic_and_ordered_within_class():
    sampler = StratifiedBatchSampler(LABELS, 10, shuffle=False)
    first = list(sampler)
    assert first == list(sampler)
    flat = np.concatenate([np.asarray(b) for b in first])
    for c in range(4):
        members = flat[LABELS[flat] == c]
        assert np.all(np.diff(members) > 0)


def test_stratified_seeded_reproducible_and_new_order_each_epoch():
    a = StratifiedBatchSampler(LABELS, 16, generator=gen(5))
    b = StratifiedBatchSampler(LABELS, 16, generator=gen(5))
    ea, eb = [list(a) for _ in range(2)], [list(b) for _ in range(2)]
    assert ea == eb and ea[0] != ea[1]


def test_stratified_accepts_string_labels_and_tensors():
    sampler = StratifiedBatchSampler(np.array(["cat", "dog", "dog", "cat"] * 5), 4)
    assert list(sampler.classes) == ["cat", "dog"]
    assert all(len(b) == 4 for b in sampler)
    assert len(StratifiedBatchSampler(mg.tensor([0, 1, 1, 0]), 2)) == 2


@pytest.mark.parametrize("labels, batch_size, kwargs", [
    ([], 2, {}), ([[0, 1]], 2, {}), ([0, 1], 0, {}), ([0, 1], 2, dict(drop_last=1)), ([0, 1], 2, dict(shuffle="no")),
])
def test_stratified_bad_arguments(labels, batch_size, kwargs):
    with pytest.raises(ValueError):
        StratifiedBatchSampler(labels, batch_size, **kwargs)
