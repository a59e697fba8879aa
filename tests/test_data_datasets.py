"""Built-in datasets: make_* generators, the bundled digits, IDX and MNIST readers."""
import gzip

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import datasets as D


# ---------------------------------------------------------------------- make_*
def test_make_regression_shapes_dtypes_and_exact_fit_without_noise():
    X, y, coef = D.make_regression(50, 8, n_informative=3, bias=2.0, coef=True, random_state=0)
    assert X.shape == (50, 8) and y.shape == (50,) and coef.shape == (8,)
    assert X.dtype == y.dtype == np.float64
    assert np.count_nonzero(coef) == 3
    np.testing.assert_allclose(X @ coef + 2.0, y, rtol=1e-10)


def test_make_regression_noise_is_residual_std():
    X, y, coef = D.make_regression(4000, 5, noise=3.0, coef=True, random_state=1)
    assert abs(np.std(y - X @ coef) - 3.0) < 0.15


def test_make_regression_multi_target_and_low_rank():
    X, y, coef = D.make_regression(30, 40, n_targets=3, effective_rank=5, coef=True, random_state=2)
    assert y.shape == (30, 3) and coef.shape == (40, 3)
    # sklearn's profile: a bell of width effective_rank plus a slowly decaying tail
    i = np.arange(30)
    profile = 0.5 * np.exp(-((i / 5) ** 2)) + 0.5 * np.exp(-0.1 * i / 5)
    np.testing.assert_allclose(np.linalg.svd(X, compute_uv=False), profile, rtol=1e-10)


def test_make_generators_repeat_with_same_random_state():
    for make in (D.make_regression, D.make_classification, D.make_moons, D.make_spirals):
        a, b = make(random_state=3), make(random_state=3)
        np.testing.assert_array_equal(a[0], b[0])
        assert not np.array_equal(a[0], make(random_state=4)[0])


def test_make_generators_follow_manual_seed_when_random_state_is_none():
    mg.manual_seed(11)
    first = D.make_moons(noise=0.1)[0]
    mg.manual_seed(11)
    np.testing.assert_array_equal(first, D.make_moons(noise=0.1)[0])


def test_make_classification_shapes_classes_and_weights():
    X, y = D.make_classification(1000, 10, n_informative=4, n_redundant=2, n_classes=3,
                                 weights=[0.6, 0.3], flip_y=0.0, random_state=0)
    assert X.shape == (1000, 10) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_allclose(np.bincount(y) / 1000, [0.6, 0.3, 0.1], atol=0.01)


def test_make_classification_redundant_features_are_linear_in_informative():
    X, _ = D.make_classification(200, 6, n_informative=3, n_redundant=3, shuffle=False, random_state=0)
    coef, *_ = np.linalg.lstsq(X[:, :3], X[:, 3:], rcond=None)
    np.testing.assert_allclose(X[:, :3] @ coef, X[:, 3:], atol=1e-8)


def test_make_classification_is_learnable_by_a_linear_rule():
    X, y = D.make_classification(500, 5, n_informative=3, n_redundant=0, n_clusters_per_class=1,
                                 class_sep=2.0, flip_y=0.0, random_state=0)
    A = np.c_[X, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
    assert np.mean((A @ w > 0) == y) > 0.9


def test_make_classification_bunch_names_feature_kinds():
    bunch = D.make_classification(20, 6, n_informative=2, n_redundant=1, n_repeated=1, return_X_y=False, random_state=0)
    assert sorted(bunch.feature_info) == ["informative"] * 2 + ["random"] * 2 + ["redundant", "repeated"]


@pytest.mark.parametrize("kwargs", [dict(n_features=3, n_informative=2, n_redundant=2),
                                    dict(n_informative=1, n_classes=3), dict(weights=[0.2, 0.3, 0.5]), dict(n_samples=0)])
def test_make_classification_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        D.make_classification(**kwargs)


def test_make_moons_matches_sklearn_without_noise():
    sklearn = pytest.importorskip("sklearn.datasets")
    X, y = D.make_moons(101, shuffle=False)
    Xs, ys = sklearn.make_moons(101, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-12)
    np.testing.assert_array_equal(y, ys)


def test_make_moons_noise_and_pair_of_counts():
    X, y = D.make_moons((30, 70), noise=0.05, random_state=0)
    assert X.shape == (100, 2) and np.bincount(y).tolist() == [30, 70]
    with pytest.raises(ValueError):
        D.make_moons((1, 2, 3))


def test_make_spirals_classes_radii_and_noise():
    X, y = D.make_spirals(301, n_classes=3, random_state=0)
    assert X.shape == (301, 2) and y.dtype == np.int64 and np.bincount(y).tolist() == [101, 100, 100]
    assert np.linalg.norm(X, axis=1).max() <= 1 + 1e-12
    noisy, _ = D.make_spirals(301, n_classes=3, noise=0.2, shuffle=False, random_state=0)
    clean, _ = D.make_spirals(301, n_classes=3, shuffle=False)
    assert 0.15 < np.std(noisy - clean) < 0.25
    with pytest.raises(ValueError):
        D.make_spirals(10, noise=-1)


def test_random_state_rejects_unknown_objects():
    with pytest.raises(ValueError, match="random_state"):
        D.make_moons(random_state="seed")


# ---------------------------------------------------------------------- digits
def test_load_digits_is_bundled_and_shaped_like_sklearn():
    d = D.load_digits()
    assert d.data.shape == (1797, 64) and d.data.dtype == np.float32
    assert d.images.shape == (1797, 8, 8) and d.target.dtype == np.int64
    assert d.data.min() == 0 and d.data.max() == 16 and np.bincount(d.target).min() >= 170
    np.testing.assert_array_equal(d.images.reshape(1797, 64), d.data)


def test_load_digits_equals_sklearn_copy():
    sklearn = pytest.importorskip("sklearn.datasets")
    X, y = D.load_digits(return_X_y=True)
    Xs, ys = sklearn.load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, Xs)
    np.testing.assert_array_equal(y, ys)


def test_load_digits_n_class_keeps_first_digits():
    X, y = D.load_digits(n_class=3, return_X_y=True)
    assert set(y.tolist()) == {0, 1, 2} and len(X) == len(y)
    with pytest.raises(ValueError):
        D.load_digits(n_class=11)


# ---------------------------------------------------------------------- IDX / MNIST
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array, code=None):
    array = np.asarray(array)
    code = CODES[array.dtype.type] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, compress=False):
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_round_trips_every_dtype(tmp_path, dtype, compress):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    out = D.load_idx(write(tmp_path / "a.idx", idx_bytes(array), compress))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("payload, match", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type code"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02", "header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "longer"),
    (b"", "bad magic"),
])
def test_load_idx_bad_files_are_value_errors_naming_the_file(tmp_path, payload, match):
    path = write(tmp_path / "bad.idx", payload)
    with pytest.raises(ValueError, match=match) as info:
        D.load_idx(path)
    assert "bad.idx" in str(info.value)


def test_load_idx_truncated_gzip_is_value_error(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    path = write(tmp_path / "cut.gz", blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="cut.gz"):
        D.load_idx(path)


def write_mnist(root, prefix, n, compress):
    images = np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    suffix = ".gz" if compress else ""
    write(root / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images), compress)
    write(root / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels), compress)
    return images, labels


@pytest.mark.parametrize("train, compress", [(True, True), (False, False)])
def test_load_mnist_reads_standard_files(tmp_path, train, compress):
    images, labels = write_mnist(tmp_path, "train" if train else "t10k", 5, compress)
    m = D.load_mnist(tmp_path, train=train)
    np.testing.assert_array_equal(m.images, images)
    assert m.data.shape == (5, 784) and m.data.dtype == np.float32 and m.data.max() <= 1.0
    assert m.target.dtype == np.int64 and m.target.tolist() == labels.tolist()
    X, y = D.load_mnist(tmp_path, train=train, return_X_y=True)
    assert X.shape == (5, 784) and len(y) == 5


def test_load_mnist_missing_files_and_mismatched_lengths(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        D.load_mnist(tmp_path)
    write_mnist(tmp_path, "train", 4, False)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(3, dtype=np.uint8)))
    with pytest.raises(ValueError, match="train-images"):
        D.load_mnist(tmp_path)
