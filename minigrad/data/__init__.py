"""mg.data: datasets, samplers and the DataLoader that turns them into mini-batches.

    ds = mg.data.TensorDataset(X, y)
    for xb, yb in mg.data.DataLoader(ds, batch_size=64, shuffle=True): ...

Sub-modules: `datasets` (make_regression, make_classification, make_moons, make_spirals,
load_digits, load_idx, load_mnist) and `transforms` (Standardize, OneHot, GaussianNoise,
RandomFlip, RandomShift, Compose, TransformDataset).
"""
from . import datasets, transforms
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from .stratified import StratifiedBatchSampler
from .transforms import TransformDataset

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
    "SequentialSampler", "StratifiedBatchSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "TransformDataset", "WeightedRandomSampler", "datasets", "default_collate", "default_convert",
    "random_split", "transforms",
]
