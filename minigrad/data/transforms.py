"""Composable transforms for array data, applied to whole batches.

A transform takes a batch whose first axis is the sample axis — a Tensor (returns a
Tensor) or a NumPy/CuPy array (returns an array) — and works on all samples at once.
`TransformDataset` wraps a dataset so its inputs (`transform`) and targets
(`target_transform`) are transformed per batch on the DataLoader's fast path, and as a
batch of one for ``ds[i]``. Random transforms draw from a ``mg.Generator`` (seeded ones
repeat exactly) or, without one, from the default generator of the data's device.

    train_tf = Compose([Standardize().fit(X_train), GaussianNoise(0.05)])
    loader = DataLoader(TransformDataset(TensorDataset(X, y), train_tf, OneHot(10)), 64)
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import backend
from ..generator import Generator, default_generator
from ..tensor import Tensor
from .collate import host_array, index_batch
from .dataset import Dataset, fetch_batch


def _floating(array):
    """`array` itself if floating, else cast to the default dtype (images arrive as uint8)."""
    return array if array.dtype.kind == "f" else array.astype(backend.get_default_dtype())


def _generator_for(generator, device):
    gen = default_generator(device) if generator is None else generator
    if not isinstance(gen, Generator):
        raise TypeError(f"generator must be a minigrad Generator, got {type(generator).__name__}")
    return gen


def _draw(generator, device, kind, *args):
    """Random numbers from `generator` (or the default one) delivered on `device`."""
    gen = _generator_for(generator, device)
    return backend.to_device(getattr(gen, kind)(*args), device)


class Transform:
    """Base class: subclasses implement `apply(array)` on a backend array."""

    def __call__(self, x):
        if isinstance(x, Tensor):
            return Tensor._make(backend.as_array(self.apply(x.array)), False, None)
        if not hasattr(x, "__cuda_array_interface__"):
            x = np.asarray(x)
        return self.apply(x)

    def apply(self, array):
        raise NotImplementedError(f"{type(self).__name__} must implement apply")

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Compose(Transform):
    """Apply `transforms` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Lambda(Transform):
    """Wrap a function of a batch array as a transform."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"Lambda: fn must be callable, got {type(fn).__name__}")
        self.fn = fn

    def apply(self, array):
        return self.fn(array)


class Standardize(Transform):
    """(x - mean) / std with statistics of the training data, as sklearn's StandardScaler.

    Give `mean` and `std`, or call ``fit(X_train)`` (returns self), which reduces over
    `axis` (0: one statistic per feature; ``(0, 2, 3)`` per channel of NCHW images).
    Features with zero spread get std 1, so constant columns become 0, not NaN.
    """

    def __init__(self, mean=None, std=None, axis=0):
        if (mean is None) != (std is None):
            raise ValueError("Standardize: give both mean and std, or neither (then call fit)")
        self.axis = axis
        self.mean = None if mean is None else np.asarray(mean, dtype=backend.float64)
        self.std = None if std is None else np.asarray(std, dtype=backend.float64)
        if self.std is not None and np.any(self.std <= 0):
            raise ValueError("Standardize: std must be positive")
        self._on_device = {}

    def fit(self, x):
        """Compute mean and std of `x` (Tensor or array) over `axis`; returns self."""
        x = host_array(x)
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"Standardize.fit: needs at least one sample, got shape {x.shape}")
        x = x.astype(backend.float64)
        self.mean = x.mean(axis=self.axis, keepdims=True)[0]
        std = x.std(axis=self.axis, keepdims=True)[0]
        self.std = np.where(std > 0, std, 1.0)
        self._on_device = {}
        return self

    def apply(self, array):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(X_train) first, or pass mean and std")
        array = _floating(array)
        key = (backend.device_of(array), array.dtype)
        if key not in self._on_device:  # stats cast and moved once per device and dtype
            self._on_device[key] = tuple(
                backend.to_device(s.astype(array.dtype), key[0]) for s in (self.mean, self.std)
            )
        mean, std = self._on_device[key]
        return (array - mean) / std


class OneHot(Transform):
    """Integer labels (any shape) -> one-hot vectors along a new last axis."""

    def __init__(self, num_classes, dtype=None):
        if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool) or num_classes <= 0:
            raise ValueError(f"OneHot: num_classes should be a positive integer, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.dtype = backend.get_default_dtype() if dtype is None else backend.to_dtype(dtype)

    def apply(self, labels):
        if labels.dtype.kind not in "iub":
            raise TypeError(f"OneHot: labels must be integers, got dtype {labels.dtype}")
        xp = backend.array_module(labels)
        # A bad label would silently give an all-zero row; this check syncs on a GPU,
        # which labels seldom live on while loading.
        if labels.size and bool(xp.any((labels < 0) | (labels >= self.num_classes))):
            raise ValueError(
                f"OneHot: labels must lie in [0, {self.num_classes}), got values from "
                f"{int(labels.min())} to {int(labels.max())}"
            )
        with backend.on_device(backend.device_of(labels)):
            return (labels[..., None] == xp.arange(self.num_classes)).astype(self.dtype)


class GaussianNoise(Transform):
    """Add N(mean, std^2) noise to every element (a simple augmentation / regulariser)."""

    def __init__(self, std=0.1, mean=0.0, generator=None):
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.std, self.mean, self.generator = float(std), float(mean), generator
        _generator_for(generator, "cpu")

    def apply(self, array):
        array = _floating(array)
        noise = _draw(self.generator, backend.device_of(array), "normal", array.shape, array.dtype, self.mean, self.std)
        return array + noise


def _check_image_batch(array, who):
    if array.ndim < 3:
        raise ValueError(f"{who}: expects a batch of images shaped (N, ..., H, W), got shape {array.shape}")


class RandomFlip(Transform):
    """Flip each image of a batch along `axis` with probability `p`.

    Images are ``(N, ..., H, W)``; ``axis=-1`` flips left-right, ``axis=-2`` up-down.
    One random draw per image, one vectorised flip for the whole batch.
    """

    def __init__(self, p=0.5, axis=-1, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomFlip: p must lie in [0, 1], got {p}")
        if axis in (0,):
            raise ValueError("RandomFlip: axis 0 is the batch axis; flip an image axis such as -1 or -2")
        self.p, self.axis, self.generator = float(p), int(axis), generator
        _generator_for(generator, "cpu")

    def apply(self, array):
        _check_image_batch(array, "RandomFlip")
        if not -array.ndim < self.axis < array.ndim or self.axis % array.ndim == 0:
            raise ValueError(f"RandomFlip: axis {self.axis} is not an image axis of shape {array.shape}")
        xp = backend.array_module(array)
        device = backend.device_of(array)
        flip = _draw(self.generator, device, "uniform", (array.shape[0],), backend.float32) < self.p
        shape = (-1,) + (1,) * (array.ndim - 1)
        return xp.where(flip.reshape(shape), xp.flip(array, axis=self.axis), array)


class RandomShift(Transform):
    """Translate each image of a batch by up to `max_shift` pixels in H and in W.

    Images are ``(N, ..., H, W)``; each image gets its own integer shifts drawn uniformly
    from ``[-max_shift, max_shift]``, and uncovered pixels take the value `fill`. The whole
    batch is shifted with one padded gather.
    """

    def __init__(self, max_shift=2, fill=0.0, generator=None):
        if not isinstance(max_shift, numbers.Integral) or max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be a non-negative integer, got {max_shift!r}")
        self.max_shift, self.fill, self.generator = int(max_shift), fill, generator
        _generator_for(generator, "cpu")

    def apply(self, array):
        _check_image_batch(array, "RandomShift")
        m = self.max_shift
        if m == 0:
            return array
        xp = backend.array_module(array)
        device = backend.device_of(array)
        n, (h, w) = array.shape[0], array.shape[-2:]
        with backend.on_device(device):
            flat = array.reshape(n, -1, h, w)
            padded = xp.pad(flat, ((0, 0), (0, 0), (m, m), (m, m)), constant_values=self.fill)
            shifts = _draw(self.generator, device, "integers", -m, m + 1, (2, n))
            # output pixel (i, j) of image k reads padded pixel (i + m - dy_k, j + m - dx_k)
            rows = xp.arange(h)[None, :] + (m - shifts[0])[:, None]
            cols = xp.arange(w)[None, :] + (m - shifts[1])[:, None]
            out = padded[xp.arange(n)[:, None, None, None], xp.arange(flat.shape[1])[None, :, None, None],
                         rows[:, None, :, None], cols[:, None, None, :]]
            return out.reshape(array.shape)


class TransformDataset(Dataset):
    """A dataset whose samples' input (field 0) goes through `transform` and target
    (field 1) through `target_transform`; a sample that is a single tensor is all input.

    Batches from the DataLoader's fast path are transformed as a whole; ``ds[i]`` is
    transformed as a batch of one.
    """

    def __init__(self, dataset, transform=None, target_transform=None):
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"TransformDataset: {name} must be callable, got {type(fn).__name__}")
        self.dataset, self.transform, self.target_transform = dataset, transform, target_transform

    def __len__(self):
        return len(self.dataset)

    def _apply(self, batch):
        if not isinstance(batch, (tuple, list)):
            return self.transform(batch) if self.transform is not None else batch
        fields = list(batch)
        for i, fn in ((0, self.transform), (1, self.target_transform)):
            if fn is not None and i < len(fields):
                fields[i] = fn(fields[i])
        return type(batch)(fields)

    def __getitems__(self, indices):
        return self._apply(fetch_batch(self.dataset, indices))

    def __getitem__(self, index):
        one = np.asarray([index], dtype=backend.int64)
        return index_batch(self._apply(fetch_batch(self.dataset, one)), np.asarray(0))
