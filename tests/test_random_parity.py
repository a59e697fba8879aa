"""Same seed, same numbers as PyTorch on the CPU: every random call against torch's.

Sizes straddle each algorithm switch (15/16/17 normals: scalar Box-Muller vs the 16-wide
path and its redrawn tail; ranges below and above 2^28 for randint), seeds include
makemore's 2147483647 and one above 2^32 (torch keeps only its low 32 bits for the engine).
After each call the generator states must be byte-identical too, so streams stay in step.
"""
import numpy as np
import pytest

import minigrad as mg

SEEDS = [0, 1, 42, 2147483647, 2**40 + 3]
SIZES = [1, 2, 3, 15, 16, 17, 31, 33, 100, 1000]
DTYPES = ["float32", "float64"]


def _pair(torch, seed):
    return mg.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def _same(ours, theirs, gen=None, tgen=None):
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    if gen is not None:
        np.testing.assert_array_equal(gen.get_state(), tgen.get_state().numpy())


# ---------------------------------------------------------------------------- factories
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rand_and_randn_equal_torch_bit_for_bit(torch, seed, size, dtype):
    g, tg = _pair(torch, seed)
    for _ in range(2):  # the second call starts mid-stream (and with a cached normal)
        _same(mg.rand(size, generator=g, dtype=dtype), torch.rand(size, generator=tg, dtype=getattr(torch, dtype)), g, tg)
        _same(mg.randn(size, generator=g, dtype=dtype), torch.randn(size, generator=tg, dtype=getattr(torch, dtype)), g, tg)


@pytest.mark.parametrize("size", [3, 16, 17, 1000])
def test_float16_draws_go_through_float32_as_torch(torch, size):
    """Half precision: float32 draws rounded (a uniform that rounds up to `to` becomes
    `from`), normals 16 uniforms per block through a float32 buffer."""
    g, tg = _pair(torch, 2147483647)
    half = torch.float16
    _same(mg.rand(size, generator=g, dtype="float16"), torch.rand(size, generator=tg, dtype=half), g, tg)
    _same(mg.randn(size, generator=g, dtype="float16"), torch.randn(size, generator=tg, dtype=half), g, tg)
    _same(mg.empty(size, dtype="float16").uniform_(-2, 3, generator=g),
          torch.empty(size, dtype=half).uniform_(-2, 3, generator=tg), g, tg)


def test_makemore_embedding_table_equals_torch(torch):
    g = mg.Generator().manual_seed(2147483647)
    tg = torch.Generator().manual_seed(2147483647)
    _same(mg.randn((27, 10), generator=g), torch.randn((27, 10), generator=tg), g, tg)
    _same(mg.randn((30, 200), generator=g), torch.randn((30, 200), generator=tg), g, tg)


def test_global_manual_seed_matches_torch_manual_seed(torch):
    mg.manual_seed(123)
    torch.manual_seed(123)
    _same(mg.randn(5, 4), torch.randn(5, 4))
    _same(mg.rand(3), torch.rand(3))


def test_an_unseeded_generator_starts_from_torchs_default_seed(torch):
    g, tg = mg.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed()
    _same(mg.randn(20, generator=g), torch.randn(20, generator=tg), g, tg)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bounds", [(0, 10), (-5, 17), (3, 2**28 - 1), (0, 2**28), (-(2**40), 2**40)])
def test_randint_equals_torch_on_both_sides_of_the_64_bit_switch(torch, seed, bounds):
    g, tg = _pair(torch, seed)
    _same(mg.randint(*bounds, (7, 3), generator=g), torch.randint(*bounds, (7, 3), generator=tg), g, tg)
    _same(mg.randint(bounds[1], (5,), generator=g), torch.randint(bounds[1], (5,), generator=tg), g, tg)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 17, 1000, 4099])
def test_randperm_equals_torch(torch, seed, n):
    g, tg = _pair(torch, seed)
    _same(mg.randperm(n, generator=g), torch.randperm(n, generator=tg), g, tg)


@pytest.mark.parametrize("n", [2, 3, 5, 64, 777])
def test_randperm_is_torchs_forward_fisher_yates_swap_loop(n):
    """The vectorised resolution of the swaps equals running them one by one."""
    words = mg.Generator().manual_seed(n)._stream.random(n - 1)
    expected = list(range(n))
    for i in range(n - 1):
        j = i + int(words[i]) % (n - i)
        expected[i], expected[j] = expected[j], expected[i]
    assert mg.randperm(n, generator=mg.Generator().manual_seed(n)).tolist() == expected


@pytest.mark.parametrize("size", [3, 15, 16, 17, 40])
@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_overloads_equal_torch(torch, size, dtype):
    g, tg = _pair(torch, 7)
    tdt = getattr(torch, dtype)
    mean = np.linspace(-1, 1, size)
    std = np.linspace(0.1, 2, size)
    _same(mg.normal(0.5, 2.0, (size,), generator=g, dtype=dtype),
          torch.normal(0.5, 2.0, (size,), generator=tg, dtype=tdt), g, tg)
    _same(mg.normal(mg.tensor(mean, dtype=dtype), mg.tensor(std, dtype=dtype), generator=g),
          torch.normal(torch.tensor(mean, dtype=tdt), torch.tensor(std, dtype=tdt), generator=tg), g, tg)
    _same(mg.normal(mg.tensor(mean, dtype=dtype), 0.3, generator=g),
          torch.normal(torch.tensor(mean, dtype=tdt), 0.3, generator=tg), g, tg)
    _same(mg.normal(1.5, mg.tensor(std, dtype=dtype), generator=g),
          torch.normal(1.5, torch.tensor(std, dtype=tdt), generator=tg), g, tg)


# ---------------------------------------------------------------------------- in-place samplers
@pytest.mark.parametrize("size", [1, 15, 16, 17, 50])
@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_samplers_equal_torch(torch, size, dtype):
    g, tg = _pair(torch, 2147483647)
    tdt = getattr(torch, dtype)

    def both(fill, tfill):
        _same(fill(mg.empty(size, dtype=dtype)), tfill(torch.empty(size, dtype=tdt)), g, tg)

    both(lambda t: t.uniform_(-0.37, 0.81, generator=g), lambda t: t.uniform_(-0.37, 0.81, generator=tg))
    both(lambda t: t.normal_(1.5, 0.3, generator=g), lambda t: t.normal_(1.5, 0.3, generator=tg))
    both(lambda t: t.exponential_(2.5, generator=g), lambda t: t.exponential_(2.5, generator=tg))
    both(lambda t: t.random_(generator=g), lambda t: t.random_(generator=tg))
    both(lambda t: t.random_(7, generator=g), lambda t: t.random_(7, generator=tg))
    both(lambda t: t.random_(-3, 9, generator=g), lambda t: t.random_(-3, 9, generator=tg))
    both(lambda t: t.bernoulli_(0.3, generator=g), lambda t: t.bernoulli_(0.3, generator=tg))
    probs = np.linspace(0, 1, size)
    both(lambda t: t.bernoulli_(mg.tensor(probs, dtype=dtype), generator=g),
         lambda t: t.bernoulli_(torch.tensor(probs, dtype=tdt), generator=tg))


@pytest.mark.parametrize("shape,perm", [((20, 3), (1, 0)), ((4, 5, 6), (2, 0, 1)), ((3, 1, 7), (2, 1, 0))])
def test_in_place_samplers_fill_a_permuted_view_in_memory_order_as_torch(torch, shape, perm):
    """torch's CPU kernels visit a tensor in memory order, and normal_ of a non-contiguous
    tensor takes its scalar path even from 16 elements on."""
    fills = [lambda t, g: t.uniform_(-1, 2, generator=g), lambda t, g: t.normal_(0.5, 2, generator=g),
             lambda t, g: t.random_(0, 10, generator=g), lambda t, g: t.exponential_(generator=g),
             lambda t, g: t.bernoulli_(0.4, generator=g)]
    for fill in fills:
        g, tg = _pair(torch, 0)
        ours, theirs = mg.empty(*shape), torch.empty(*shape)
        fill(ours.permute(*perm), g)
        fill(theirs.permute(*perm), tg)
        _same(ours, theirs, g, tg)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_random_without_bounds_spans_the_integer_dtype_as_torch(torch, dtype):
    g, tg = _pair(torch, 3)
    _same(mg.empty(40, dtype=dtype).random_(generator=g), torch.empty(40, dtype=getattr(torch, dtype)).random_(generator=tg), g, tg)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_functional_forms_equal_torch(torch, dtype):
    g, tg = _pair(torch, 11)
    tdt = getattr(torch, dtype)
    probs = np.linspace(0, 1, 37).reshape(37, 1) * np.ones((1, 3))
    _same(mg.bernoulli(mg.tensor(probs, dtype=dtype), generator=g),
          torch.bernoulli(torch.tensor(probs, dtype=tdt), generator=tg), g, tg)
    _same(mg.bernoulli(mg.tensor(probs, dtype=dtype), 0.25, generator=g),
          torch.bernoulli(torch.tensor(probs, dtype=tdt), 0.25, generator=tg), g, tg)


@pytest.mark.parametrize("replacement", [False, True])
@pytest.mark.parametrize("num_samples", [1, 4, 9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_multinomial_equals_torch(torch, replacement, num_samples, dtype):
    if not replacement and num_samples > 9:
        pytest.skip("more samples than categories")
    g, tg = _pair(torch, 2147483647)
    weights = np.array([[0.5, 3, 0, 1, 2, 0.1, 4, 1, 1, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]])
    for w in (weights[0], weights):
        _same(mg.multinomial(mg.tensor(w, dtype=dtype), num_samples, replacement, generator=g),
              torch.multinomial(torch.tensor(w, dtype=getattr(torch, dtype)), num_samples, replacement, generator=tg), g, tg)


def test_multinomial_rejects_bad_weights():
    with pytest.raises(RuntimeError, match="element < 0"):
        mg.multinomial(mg.tensor([0.5, -1.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        mg.multinomial(mg.tensor([0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        mg.multinomial(mg.tensor([1.0, 1.0]), 3)


# ---------------------------------------------------------------------------- streams
def test_a_mixed_sequence_of_calls_stays_in_step_with_torch(torch):
    g, tg = _pair(torch, 2147483647)
    steps = [
        (lambda: mg.randn(3, generator=g), lambda: torch.randn(3, generator=tg)),  # caches a normal
        (lambda: mg.randint(0, 27, (5,), generator=g), lambda: torch.randint(0, 27, (5,), generator=tg)),
        (lambda: mg.randn(1, generator=g, dtype="float64"), lambda: torch.randn(1, generator=tg, dtype=torch.float64)),
        (lambda: mg.randn(17, generator=g), lambda: torch.randn(17, generator=tg)),
        (lambda: mg.randperm(9, generator=g), lambda: torch.randperm(9, generator=tg)),
        (lambda: mg.multinomial(mg.tensor([0.2, 0.5, 0.3]), 4, True, generator=g),
         lambda: torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 4, True, generator=tg)),
        (lambda: mg.rand(2, 2, generator=g, dtype="float64"), lambda: torch.rand(2, 2, generator=tg, dtype=torch.float64)),
        (lambda: mg.randn(5, generator=g), lambda: torch.randn(5, generator=tg)),
    ]
    for ours, theirs in steps:
        _same(ours(), theirs(), g, tg)


def test_state_round_trips_and_is_torchs_byte_layout(torch):
    g, tg = _pair(torch, 5)
    mg.randn(3, generator=g)  # leaves a cached normal in the state
    torch.randn(3, generator=tg)
    state = g.get_state()
    np.testing.assert_array_equal(state, tg.get_state().numpy())
    first = mg.randn(4, generator=g)
    mg.rand(100, generator=g)
    np.testing.assert_array_equal(np.asarray(mg.randn(4, generator=g.set_state(state))), np.asarray(first))
    # states move between the libraries in both directions
    _same(first, torch.randn(4, generator=torch.Generator().set_state(torch.from_numpy(state))))
    _same(mg.randn(4, generator=mg.Generator().set_state(tg.get_state())), torch.randn(4, generator=tg))


def test_set_state_rejects_a_state_of_the_wrong_size():
    with pytest.raises(RuntimeError, match="5056 bytes"):
        mg.Generator().set_state(np.zeros(10, dtype=np.uint8))
