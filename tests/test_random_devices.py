"""The random functions on every device: the same seed gives the same draws, with the
requested dtype, shape and support (CUDA streams are CuPy's, so only CPU matches torch)."""
import numpy as np
import pytest

import minigrad as mg


def _draws(device, seed):
    g = mg.Generator(device).manual_seed(seed)
    probs = mg.tensor([[0.1, 0.5, 0.4], [0.0, 1.0, 2.0]], device=device)
    return [
        mg.normal(0.5, 2.0, (3, 4), generator=g, device=device),
        mg.normal(mg.zeros(5, device=device), mg.ones(5, device=device), generator=g),
        mg.bernoulli(mg.full((4,), 0.5, device=device), generator=g),
        mg.multinomial(probs, 2, generator=g),
        mg.multinomial(probs, 5, replacement=True, generator=g),
        mg.empty(6, device=device).random_(3, 9, generator=g),
        mg.empty(6, device=device, dtype="int32").random_(generator=g),
        mg.empty(6, device=device).exponential_(2.0, generator=g),
        mg.empty(6, device=device).bernoulli_(0.3, generator=g),
    ]


def test_random_functions_repeat_per_seed_on_every_device(device):
    for a, b in zip(_draws(device, 3), _draws(device, 3)):
        assert a.device == b.device
        np.testing.assert_array_equal(np.asarray(a.cpu()), np.asarray(b.cpu()))


def test_random_functions_keep_dtype_shape_and_support_on_every_device(device):
    normal, normal_t, coin, pick, picks, ints, bits, expo, flips = [np.asarray(t.cpu()) for t in _draws(device, 0)]
    assert normal.shape == (3, 4) and normal.dtype == np.float32
    assert normal_t.shape == (5,)
    assert set(np.unique(coin)) <= {0.0, 1.0}
    assert pick.shape == (2, 2) and pick.dtype == np.int64 and pick[1].tolist() != [0, 0]
    assert picks.shape == (2, 5) and 0 not in picks[1]  # a zero weight is never drawn
    assert ints.min() >= 3 and ints.max() < 9 and ints.dtype == np.float32
    assert bits.dtype == np.int32 and bits.min() >= 0
    assert expo.min() > 0
    assert set(np.unique(flips)) <= {0.0, 1.0}


@pytest.mark.parametrize("bad", [lambda d: mg.multinomial(mg.tensor([1.0, -1.0], device=d), 1),
                                 lambda d: mg.bernoulli(mg.tensor([1.5], device=d)),
                                 lambda d: mg.empty(2, device=d).exponential_(0.0),
                                 lambda d: mg.empty(2, device=d).random_(5, 5)])
def test_random_functions_reject_bad_arguments(device, bad):
    with pytest.raises(RuntimeError):
        bad(device)
