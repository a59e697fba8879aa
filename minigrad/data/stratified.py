"""StratifiedBatchSampler: batches that keep the class proportions of the whole data set.

PyTorch has none. With class shares p_c = n_c / N and batch size B, every full batch holds
floor(p_c * B) or floor(p_c * B) + 1 samples of class c — as close to p_c * B as whole
numbers allow — and one epoch still visits every sample exactly once.

How the counts are planned (all integer arithmetic, so no rounding drift):

1. The final partial batch of L = N mod B samples (if any) is planned first: class c gets
   floor(p_c * L) samples, and the L - sum(floors) left-over places go to the classes with
   the largest fractional parts (largest-remainder apportionment). With ``drop_last`` this
   batch is planned the same way and then dropped, so the dropped samples are a
   stratified random handful, not all of one class.
2. Each of the n_full = N // B full batches gets floor(p_c * B) of class c. That leaves
   e_c <= n_full samples of class c and r = B - sum_c floor(p_c * B) free places per
   batch, with sum_c e_c = n_full * r exactly. The extras are dealt round-robin over the
   batches, class after class (largest fractional share first), starting at a batch
   offset that is random each epoch when shuffling. A run of e_c <= n_full consecutive
   deals never hits one batch twice, so no batch gets more than one extra of a class, and
   every batch gets exactly r.

Rare classes: a class with fewer samples than there are batches has floor(p_c * B) = 0;
its samples go one per batch into e_c different batches (which ones rotates with the
shuffle), and the other batches have none of it. That is the best any integer split can
do; use `WeightedRandomSampler` to over-sample such a class instead.
"""
from __future__ import annotations

import numpy as np

from .sampler import check_bool, check_generator, check_positive_int, epoch_rng, host_vector, int64


def _largest_remainder(class_counts, size, total, tie_break):
    """Split `size` places among classes in proportion to class_counts / total."""
    quota = class_counts * size
    share, remainder = quota // total, quota % total
    left = size - int(share.sum())
    share[np.lexsort((tie_break, -remainder))[:left]] += 1
    return share


class StratifiedBatchSampler:
    """Yields batches of indices whose class mix matches the whole set (see module docs).

    labels: one label per sample (Tensor, array or sequence; any values `np.unique` can
    sort). Batches come out as lists of ints; `batches()` yields int64 arrays. With
    ``shuffle=False`` the plan is deterministic and each class's samples stay in their
    original order; with ``shuffle=True`` (default) classes are shuffled internally, the
    extras rotate and each batch is shuffled, drawing from `generator` (a CPU
    ``mg.Generator``) or the default stream.
    """

    def __init__(self, labels, batch_size, drop_last=False, shuffle=True, generator=None):
        who = "StratifiedBatchSampler"
        labels = host_vector(labels, "labels", who)
        if len(labels) == 0:
            raise ValueError(f"{who}: labels is empty")
        self.batch_size = check_positive_int(batch_size, "batch_size", who)
        self.drop_last = check_bool(drop_last, "drop_last", who)
        self.shuffle = check_bool(shuffle, "shuffle", who)
        self.generator = check_generator(generator, who)
        self.classes, codes = np.unique(labels, return_inverse=True)
        self._codes = codes.reshape(-1).astype(int64)
        self.class_counts = np.bincount(self._codes, minlength=len(self.classes)).astype(int64)

    def plan(self, offset=0, tie_break=None):
        """Per-class sample counts of each batch: an int64 array (classes, batches)."""
        n, size, counts = len(self._codes), self.batch_size, self.class_counts
        k = len(counts)
        tie_break = np.arange(k) if tie_break is None else tie_break
        n_full, last = divmod(n, size)
        last_share = _largest_remainder(counts, last, n, tie_break)
        base = counts * size // n
        extras = counts - last_share - n_full * base
        plan = np.zeros((k, n_full + (last > 0)), dtype=int64)
        plan[:, :n_full] = base[:, None]
        if n_full:
            deal_order = np.lexsort((tie_break, -((counts * size) % n)))
            dealt = np.repeat(deal_order, extras[deal_order])
            np.add.at(plan, (dealt, (np.arange(len(dealt)) + offset) % n_full), 1)
        if last:
            plan[:, -1] = last_share
        return plan

    def batches(self):
        n = len(self._codes)
        if self.shuffle:
            rng = epoch_rng(self.generator)
            n_full = n // self.batch_size
            plan = self.plan(int(rng.integers(max(n_full, 1))), rng.random(len(self.classes)))
            perm = rng.permutation(n)
            by_class = perm[np.argsort(self._codes[perm], kind="stable")]
        else:
            plan = self.plan()
            by_class = np.argsort(self._codes, kind="stable")
        n_batches = plan.shape[1]
        # by_class lists class 0's samples, then class 1's, ...; label each with its batch
        batch_of = np.repeat(np.tile(np.arange(n_batches), len(plan)), plan.ravel())
        if self.shuffle:
            epoch = by_class[np.lexsort((rng.random(n), batch_of))]
        else:
            epoch = by_class[np.argsort(batch_of, kind="stable")]
        ends = np.cumsum(plan.sum(axis=0))
        count = len(self)
        for b in range(count):
            yield epoch[(ends[b - 1] if b else 0):ends[b]].astype(int64, copy=False)

    def __iter__(self):
        for batch in self.batches():
            yield batch.tolist()

    def __len__(self):
        n_full, last = divmod(len(self._codes), self.batch_size)
        return n_full + (1 if last and not self.drop_last else 0)
