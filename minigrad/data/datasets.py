"""Built-in data sets, all offline: synthetic generators, the 8x8 digits, IDX/MNIST readers.

The ``make_*`` generators follow scikit-learn's signatures, defaults, shapes and dtypes
(X float64, y int64; ``random_state`` is None, an int, a NumPy Generator/RandomState or a
``mg.Generator``); the numbers are drawn the same way but need not match sklearn bit for
bit. ``random_state=None`` draws from minigrad's default generator, so ``mg.manual_seed``
makes them repeatable.
"""
from __future__ import annotations

import gzip
import numbers
import os
from pathlib import Path

import numpy as np

from .. import backend
from ..generator import Generator, default_generator

_DIGITS = Path(__file__).with_name("digits.npz")


class Bunch(dict):
    """A dict whose keys are also attributes (``bunch.data``), like sklearn's Bunch."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __dir__(self):
        return list(self.keys())


def check_random_state(random_state):
    """A NumPy Generator from None, an int, a NumPy Generator/RandomState or a mg.Generator."""
    if random_state is None:
        return np.random.default_rng(int(default_generator("cpu").integers(0, 2**63 - 1, ())))
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):  # legacy stream: draw a seed from it
        return np.random.default_rng(int(random_state.randint(0, 2**63 - 1, dtype=np.int64)))
    if isinstance(random_state, Generator):
        if random_state.device != "cpu":
            raise ValueError(f"random_state: a CPU Generator is needed, got one on {random_state.device}")
        return random_state.rng
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise ValueError(f"random_state: expected None, an int or a generator, got {random_state!r}")


def _check_count(value, name, who, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _shuffle_rows(rng, *arrays):
    perm = rng.permutation(len(arrays[0]))
    return tuple(a[perm] for a in arrays)


# ---------------------------------------------------------------------------- synthetic
def make_regression(n_samples=100, n_features=100, *, n_informative=10, n_targets=1, bias=0.0,
                    effective_rank=None, tail_strength=0.5, noise=0.0, shuffle=True, coef=False,
                    random_state=None):
    """A random linear regression problem, as ``sklearn.datasets.make_regression``.

    X is standard normal (or, with `effective_rank`, a low-rank matrix whose singular
    values fall off as a bell plus a `tail_strength` tail); only `n_informative` features
    have non-zero coefficients (uniform in [0, 100)); y = X @ coef + bias + N(0, noise^2).
    Returns ``X (n_samples, n_features), y (n_samples,) or (n_samples, n_targets)`` and,
    with ``coef=True``, the coefficients ``(n_features,)`` or ``(n_features, n_targets)``.
    """
    who = "make_regression"
    n_samples = _check_count(n_samples, "n_samples", who)
    n_features = _check_count(n_features, "n_features", who)
    n_targets = _check_count(n_targets, "n_targets", who)
    n_informative = min(n_features, _check_count(n_informative, "n_informative", who, 0))
    if noise < 0:
        raise ValueError(f"{who}: noise must be non-negative, got {noise}")
    rng = check_random_state(random_state)
    if effective_rank is None:
        X = rng.standard_normal((n_samples, n_features))
    else:
        X = _low_rank_matrix(rng, n_samples, n_features, effective_rank, tail_strength)
    ground_truth = np.zeros((n_features, n_targets))
    ground_truth[:n_informative] = 100 * rng.uniform(size=(n_informative, n_targets))
    y = X @ ground_truth + bias
    if noise > 0:
        y += rng.normal(scale=noise, size=y.shape)
    if shuffle:
        X, y = _shuffle_rows(rng, X, y)
        features = rng.permutation(n_features)
        X, ground_truth = X[:, features], ground_truth[features]
    y = np.squeeze(y, axis=1) if n_targets == 1 else y
    if coef:
        return X, y, (np.squeeze(ground_truth, axis=1) if n_targets == 1 else ground_truth)
    return X, y


def _low_rank_matrix(rng, n_samples, n_features, effective_rank, tail_strength):
    """sklearn's make_low_rank_matrix: random orthonormal factors, a bell-plus-tail spectrum."""
    n = min(n_samples, n_features)
    u, _ = np.linalg.qr(rng.standard_normal((n_samples, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n_features, n)))
    i = np.arange(n, dtype=np.float64)
    singular = (1 - tail_strength) * np.exp(-((i / effective_rank) ** 2)) + tail_strength * np.exp(-0.1 * i / effective_rank)
    return (u * singular) @ v.T


def _hypercube_vertices(rng, count, dims):
    """`count` distinct random vertices of the {0, 1}^dims hypercube."""
    if dims > 30:  # as sklearn: the extra dimensions are plain random bits
        return np.hstack([rng.integers(0, 2, size=(count, dims - 30)), _hypercube_vertices(rng, count, 30)])
    codes = rng.choice(2**dims, size=count, replace=False)
    return (codes[:, None] >> np.arange(dims - 1, -1, -1)) & 1


def make_classification(n_samples=100, n_features=20, *, n_informative=2, n_redundant=2, n_repeated=0,
                        n_classes=2, n_clusters_per_class=2, weights=None, flip_y=0.01, class_sep=1.0,
                        hypercube=True, shift=0.0, scale=1.0, shuffle=True, random_state=None,
                        return_X_y=True):
    """A random n-class problem, as ``sklearn.datasets.make_classification``.

    Each class is `n_clusters_per_class` Gaussian clusters centred on vertices of a
    hypercube of side ``2 * class_sep`` in the `n_informative` dimensions, each with a
    random covariance. Then come `n_redundant` random linear combinations of the
    informative features, `n_repeated` copies, and pure-noise features; a fraction
    `flip_y` of labels is reassigned at random. `weights` gives class proportions.
    Returns ``X (n_samples, n_features) float64, y (n_samples,) int64``, or with
    ``return_X_y=False`` a Bunch with X, y, feature_info and parameters.
    """
    params = dict(locals())
    who = "make_classification"
    n_samples = _check_count(n_samples, "n_samples", who)
    n_features = _check_count(n_features, "n_features", who)
    n_classes = _check_count(n_classes, "n_classes", who)
    n_clusters_per_class = _check_count(n_clusters_per_class, "n_clusters_per_class", who)
    if n_informative + n_redundant + n_repeated > n_features:
        raise ValueError(f"{who}: n_informative + n_redundant + n_repeated must be <= n_features ({n_features})")
    if n_informative < np.log2(n_classes * n_clusters_per_class):
        raise ValueError(
            f"{who}: n_classes({n_classes}) * n_clusters_per_class({n_clusters_per_class}) must be "
            f"<= 2**n_informative({n_informative})"
        )
    if weights is None:
        weights = np.full(n_classes, 1.0 / n_classes)
    else:
        weights = np.asarray(weights, dtype=np.float64)
        if len(weights) not in (n_classes, n_classes - 1):
            raise ValueError(f"{who}: weights has {len(weights)} entries; need n_classes or n_classes - 1")
        if len(weights) == n_classes - 1:
            weights = np.append(weights, 1.0 - weights.sum())
    rng = check_random_state(random_state)
    n_clusters = n_classes * n_clusters_per_class
    per_cluster = [int(n_samples * weights[k % n_classes] / n_clusters_per_class) for k in range(n_clusters)]
    for i in range(n_samples - sum(per_cluster)):
        per_cluster[i % n_clusters] += 1

    X = np.zeros((n_samples, n_features))
    y = np.zeros(n_samples, dtype=np.int64)
    centroids = _hypercube_vertices(rng, n_clusters, n_informative).astype(np.float64) * 2 * class_sep - class_sep
    if not hypercube:
        centroids *= rng.uniform(size=(n_clusters, 1)) * rng.uniform(size=(1, n_informative))
    X[:, :n_informative] = rng.standard_normal((n_samples, n_informative))
    stop = 0
    for k, centroid in enumerate(centroids):
        start, stop = stop, stop + per_cluster[k]
        y[start:stop] = k % n_classes
        covariance = 2 * rng.uniform(size=(n_informative, n_informative)) - 1
        X[start:stop, :n_informative] = X[start:stop, :n_informative] @ covariance + centroid
    if n_redundant > 0:
        mix = 2 * rng.uniform(size=(n_informative, n_redundant)) - 1
        X[:, n_informative:n_informative + n_redundant] = X[:, :n_informative] @ mix
    n = n_informative + n_redundant
    if n_repeated > 0:
        copies = ((n - 1) * rng.uniform(size=n_repeated) + 0.5).astype(np.intp)
        X[:, n:n + n_repeated] = X[:, copies]
    n_random = n_features - n - n_repeated
    if n_random > 0:
        X[:, -n_random:] = rng.standard_normal((n_samples, n_random))
    if flip_y >= 0:
        flip = rng.uniform(size=n_samples) < flip_y
        y[flip] = rng.integers(0, n_classes, size=int(flip.sum()))
    X += (2 * rng.uniform(size=n_features) - 1) * class_sep if shift is None else shift
    X *= 1 + 100 * rng.uniform(size=n_features) if scale is None else scale
    features = np.arange(n_features)
    if shuffle:
        X, y = _shuffle_rows(rng, X, y)
        features = rng.permutation(n_features)
        X = X[:, features]
    if return_X_y:
        return X, y
    kinds = np.array(["informative"] * n_informative + ["redundant"] * n_redundant
                     + ["repeated"] * n_repeated + ["random"] * n_random)
    return Bunch(X=X, y=y, feature_info=kinds[features].tolist(), parameters=params)


def make_moons(n_samples=100, *, shuffle=True, noise=None, random_state=None):
    """Two interleaving half circles, as ``sklearn.datasets.make_moons``.

    `n_samples` is a total (the outer moon gets the smaller half) or a pair
    ``(n_outer, n_inner)``; `noise` is the std of Gaussian noise added to the points.
    Returns ``X (n, 2) float64, y (n,) int64``.
    """
    if isinstance(n_samples, numbers.Integral):
        n_out = _check_count(n_samples, "n_samples", "make_moons", 0) // 2
        n_in = n_samples - n_out
    else:
        try:
            n_out, n_in = (int(v) for v in n_samples)
        except (TypeError, ValueError) as e:
            raise ValueError("make_moons: n_samples must be an int or a pair of ints") from e
    rng = check_random_state(random_state)
    outer, inner = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                        np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:
        X, y = _shuffle_rows(rng, X, y)
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def make_spirals(n_samples=100, n_classes=2, *, noise=0.0, shuffle=True, random_state=None):
    """`n_classes` interleaved spiral arms in the plane (the classic non-linear toy problem).

    Arm k starts at the origin and winds outwards to radius 1 over about 0.64 turns (4
    radians, as in the CS231n spiral), rotated by ``2 pi k / n_classes``; `noise` is the
    std of Gaussian noise added to the points. Samples are split as evenly as possible,
    the first arms taking the remainder. Returns ``X (n, 2) float64, y (n,) int64``.
    """
    who = "make_spirals"
    n_samples = _check_count(n_samples, "n_samples", who)
    n_classes = _check_count(n_classes, "n_classes", who)
    if noise < 0:
        raise ValueError(f"{who}: noise must be non-negative, got {noise}")
    rng = check_random_state(random_state)
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    # position of each sample along its arm, 0 at the centre to 1 at the tip
    along = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    angle = 2 * np.pi * y / n_classes + 4.0 * along
    X = along[:, None] * np.stack([np.sin(angle), np.cos(angle)], 1)
    if noise > 0:
        X += rng.normal(scale=noise, size=X.shape)
    if shuffle:
        X, y = _shuffle_rows(rng, X, y)
    return X, y


# ---------------------------------------------------------------------------- digits
def load_digits(*, n_class=10, return_X_y=False):
    """The UCI optical-recognition handwritten digits: 1,797 images of 8x8 pixels, 0..16.

    Bundled with minigrad (works offline): the values come from scikit-learn's copy of
    the UCI ML "Optical Recognition of Handwritten Digits" test set (Alpaydin & Kaynak,
    1998), stored as uint8 in ``minigrad/data/digits.npz``. Returns a Bunch with ``data``
    (n, 64) float32, ``images`` (n, 8, 8) float32, ``target`` (n,) int64,
    ``target_names``, ``feature_names`` and ``DESCR`` — or ``(data, target)`` with
    ``return_X_y=True``. `n_class` keeps only the digits 0..n_class-1.
    """
    n_class = _check_count(n_class, "n_class", "load_digits")
    if n_class > 10:
        raise ValueError(f"load_digits: n_class must be between 1 and 10, got {n_class}")
    with np.load(_DIGITS) as f:
        images, target = f["images"], f["target"]
    keep = target < n_class
    images = images[keep].astype(np.float32)
    target = target[keep].astype(np.int64)
    data = images.reshape(len(images), 64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, images=images, target=target, target_names=np.arange(n_class),
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        DESCR="UCI ML optical recognition of handwritten digits: 8x8 images, pixel values 0..16, "
              f"{len(target)} samples, {n_class} classes (as sklearn.datasets.load_digits).",
    )


# ---------------------------------------------------------------------------- IDX / MNIST
# IDX (the MNIST file format): bytes 0,0 then a type code and the number of dimensions,
# one big-endian uint32 per dimension, then the values, big-endian, row-major.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":  # not gzip: a raw IDX file
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as e:
        raise ValueError(f"load_idx: {path} is a damaged or truncated gzip file ({e})") from e


def load_idx(path):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array of its dtype and shape.

    All IDX types are supported (uint8, int8, int16, int32, float32, float64). A wrong
    magic number, an unknown type, or a file whose size does not match its header is a
    ValueError naming the file.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"load_idx: {path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"load_idx: {path} has unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"load_idx: {path} is truncated: the header needs {header} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise ValueError(f"load_idx: {path} is {state}: shape {shape} of {dtype.name} needs {expected} bytes, the file has {len(raw)}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _find_idx(root, stem):
    for folder in (root, root / "MNIST" / "raw"):  # the second is torchvision's layout
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(f"load_mnist: no {stem} or {stem}.gz in {root} (or {root / 'MNIST' / 'raw'})")


def load_mnist(root, train=True, *, return_X_y=False):
    """MNIST (or Fashion-MNIST) from the standard IDX files a user already has in `root`.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (``train=True``)
    or ``t10k-*`` (test), with or without ``.gz``, in `root` or ``root/MNIST/raw``. Returns
    a Bunch with ``images`` (n, 28, 28) uint8 as stored, ``data`` (n, 784) float32 scaled to
    [0, 1], and ``target`` (n,) int64 — or ``(data, target)`` with ``return_X_y=True``.
    """
    root = Path(root)
    prefix = "train" if train else "t10k"
    images_path, labels_path = _find_idx(root, f"{prefix}-images-idx3-ubyte"), _find_idx(root, f"{prefix}-labels-idx1-ubyte")
    images, labels = load_idx(images_path), load_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {images_path} has shape {images.shape} and {labels_path} shape {labels.shape}; "
            "expected (n, rows, cols) images and n labels"
        )
    data = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    target = labels.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, images=images, target=target)
