"""Transforms: batch-wise, composable, seeded, and as a dataset wrapper on the fast path."""
import numpy as np
import pytest

import minigrad as mg
from conftest import to_np
from minigrad.data import DataLoader, TensorDataset, TransformDataset
from minigrad.data.transforms import (
    Compose, GaussianNoise, Lambda, OneHot, RandomFlip, RandomShift, Standardize,
)


def gen(seed=0):
    return mg.Generator().manual_seed(seed)


def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(500, 4)).astype(np.float32)
    train[:, 3] = 7.0  # a constant column must not become NaN
    std = Standardize().fit(train)
    out = std(train)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, :3].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out[:, :3].std(0), 1, atol=1e-4)
    np.testing.assert_array_equal(out[:, 3], 0)
    np.testing.assert_allclose(std(np.full((1, 4), 5.0, np.float32))[0, :3], (5.0 - std.mean[:3]) / std.std[:3], rtol=1e-5)


def test_standardize_per_channel_axis_on_tensors(device):
    images = mg.tensor(np.random.default_rng(1).normal(2.0, 4.0, size=(16, 3, 5, 5)), dtype=mg.float32, device=device)
    out = Standardize(axis=(0, 2, 3)).fit(images)(images)
    assert isinstance(out, mg.Tensor) and out.device == device and out.shape == (16, 3, 5, 5)
    np.testing.assert_allclose(to_np(out).mean(axis=(0, 2, 3)), 0, atol=1e-5)


def test_standardize_errors():
    with pytest.raises(RuntimeError, match="fit"):
        Standardize()(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="both"):
        Standardize(mean=0.0)
    with pytest.raises(ValueError, match="positive"):
        Standardize(mean=0.0, std=0.0)


def test_one_hot_matches_torch(torch):
    labels = np.array([2, 0, 1, 2])
    ours = OneHot(3)(labels)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), 3).detach().numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == np.float32


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        OneHot(3)(np.array([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        OneHot(3)(np.array([0.5]))
    with pytest.raises(ValueError, match="num_classes"):
        OneHot(0)


def test_gaussian_noise_is_seeded_and_has_requested_std():
    x = np.zeros((200, 50), dtype=np.float32)
    a, b = GaussianNoise(0.5, generator=gen(3))(x), GaussianNoise(0.5, generator=gen(3))(x)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and abs(a.std() - 0.5) < 0.02
    with pytest.raises(ValueError):
        GaussianNoise(-1.0)


def test_random_flip_flips_about_half_of_the_images():
    images = np.tile(np.arange(4, dtype=np.float32), (1000, 1, 2, 1))  # (1000, 1, 2, 4)
    out = RandomFlip(generator=gen())(images)
    flipped = np.all(out == images[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == images, axis=(1, 2, 3))
    assert np.all(flipped ^ kept) and 0.45 < flipped.mean() < 0.55


def test_random_flip_vertical_and_probability_bounds():
    images = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)
    np.testing.assert_array_equal(RandomFlip(p=1.0, axis=-2)(images), images[:, :, ::-1])
    np.testing.assert_array_equal(RandomFlip(p=0.0)(images), images)
    with pytest.raises(ValueError):
        RandomFlip(p=1.5)
    with pytest.raises(ValueError, match="batch axis"):
        RandomFlip(axis=0)
    with pytest.raises(ValueError, match="images"):
        RandomFlip()(np.zeros((4, 4)))


def test_random_shift_moves_each_image_by_its_own_offset():
    n, m = 64, 2
    images = np.zeros((n, 9, 9), dtype=np.float32)
    images[:, 4, 4] = 1.0  # one bright pixel in the centre
    out = RandomShift(m, generator=gen())(images)
    rows, cols = np.nonzero(out.reshape(n, 81))[1] // 9, np.nonzero(out.reshape(n, 81))[1] % 9
    assert out.shape == images.shape and np.all(out.sum(axis=(1, 2)) == 1)
    assert np.all(np.abs(rows - 4) <= m) and np.all(np.abs(cols - 4) <= m)
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10  # per-image shifts, not one for all


def test_random_shift_fills_uncovered_pixels():
    images = np.ones((50, 2, 5, 5), dtype=np.float32)
    out = RandomShift(1, fill=-1.0, generator=gen())(images)
    assert set(np.unique(out).tolist()) == {-1.0, 1.0}
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # channels of one image move together
    with pytest.raises(ValueError):
        RandomShift(-1)


def test_compose_and_lambda_chain_in_order():
    tf = Compose([Lambda(lambda a: a + 1), Lambda(lambda a: a * 10)])
    np.testing.assert_array_equal(tf(np.array([1.0, 2.0])), [20.0, 30.0])
    with pytest.raises(TypeError):
        Compose([3])


def test_transform_dataset_applies_per_batch_and_per_sample():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 1, 2, 0, 1, 2])
    ds = TransformDataset(TensorDataset(X, y), Lambda(lambda a: a * 2), OneHot(3))
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    np.testing.assert_array_equal(to_np(xb), X[:4] * 2)
    assert yb.shape == (4, 3) and to_np(yb).argmax(1).tolist() == [0, 1, 2, 0]
    x5, y5 = ds[5]
    np.testing.assert_array_equal(to_np(x5), X[5] * 2)
    assert to_np(y5).tolist() == [0, 0, 1]


def test_transform_dataset_with_seeded_augmentation_is_reproducible():
    X = np.random.default_rng(0).normal(size=(40, 1, 6, 6)).astype(np.float32)
    y = np.arange(40)

    def epoch(seed):
        aug = Compose([RandomFlip(generator=gen(seed)), RandomShift(1, generator=gen(seed))])
        ds = TransformDataset(TensorDataset(X, y), aug)
        return [to_np(xb) for xb, _ in DataLoader(ds, batch_size=16, shuffle=True, generator=gen(seed))]

    for a, b in zip(epoch(1), epoch(1)):
        np.testing.assert_array_equal(a, b)


def test_transform_dataset_rejects_non_callables():
    with pytest.raises(TypeError, match="target_transform"):
        TransformDataset(TensorDataset(np.arange(3)), None, "onehot")
