"""Float32 normals against torch's 16-wide AVX2 kernel (minigrad/_cpu_normal.py), and
exponential_'s log1p against the C library's (minigrad/_cpu_libm.py).

Up to `_EXACT_FLOAT_NORMALS` per call the kernel is replayed exactly; beyond, NumPy's
float32 sin/cos stand in for torch's sincos (the radius stays exact), which bounds each
normal to 2 float32 ulp of torch's. The bound rests on sin/cos being within 1 ulp of
torch's over every angle the generator can produce, checked here exhaustively.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import _cpu_libm, _cpu_normal, _cpu_random, _mt19937


def _pair(torch, seed):
    return mg.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def _ulps(a, b):
    """Distance in float32 steps (same-sign values)."""
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def _same_state(g, tg):
    np.testing.assert_array_equal(g.get_state(), tg.get_state().numpy())


@pytest.mark.parametrize("seed", [0, 2147483647])
@pytest.mark.parametrize("n", [16 * (2 * _cpu_normal._CHUNK + 3) + 5, 1 << 20])
def test_float32_normals_up_to_the_switch_equal_torch_bit_for_bit(torch, seed, n):
    """Chunk boundaries and the largest exactly replayed call (2^20)."""
    assert n <= _cpu_random._EXACT_FLOAT_NORMALS
    g, tg = _pair(torch, seed)
    np.testing.assert_array_equal(np.asarray(mg.randn(n, generator=g)), torch.randn(n, generator=tg).numpy())
    _same_state(g, tg)


@pytest.mark.parametrize("seed", [0, 42, 2147483647])
@pytest.mark.parametrize("n", [65, 16 * 5000, 16 * 5000 + 7])
def test_large_float32_normals_are_within_2_ulp_of_torch(torch, monkeypatch, seed, n):
    """Beyond the switch (lowered here to keep the test small) the stream stays in step,
    every standard normal is within 2 ulp and most are bit-identical."""
    monkeypatch.setattr(_cpu_random, "_EXACT_FLOAT_NORMALS", 64)
    g, tg = _pair(torch, seed)
    ours, theirs = np.asarray(mg.randn(n, generator=g)), torch.randn(n, generator=tg).numpy()
    assert np.array_equal(np.sign(ours), np.sign(theirs))
    ulps = _ulps(ours, theirs)
    assert ulps.max() <= 2 and (ulps == 0).mean() > 0.9
    _same_state(g, tg)
    # normal_(mean, std) is fma(z, std, mean): z's 2 ulp, scaled by std, plus one rounding
    ours = np.asarray(mg.empty(n).normal_(3.0, 0.5, generator=g))
    theirs = torch.empty(n).normal_(3.0, 0.5, generator=tg).numpy()
    z = ((theirs.astype(np.float64) - 3.0) / 0.5).astype(np.float32)
    bound = 0.5 * 2 * np.spacing(np.abs(z)).astype(np.float64) + np.spacing(np.abs(theirs))
    assert (np.abs(ours.astype(np.float64) - theirs) <= bound).all()
    _same_state(g, tg)


def test_numpy_sin_cos_are_within_1_ulp_of_torchs_over_every_angle():
    """All 2^24 angles 2 pi k / 2^24 (as float): NumPy's float32 sin/cos against the exact
    replay of torch's sincos256_ps, outside the near-zeros of cos the fast path replays."""
    step = 1 << 20
    scratch = _cpu_normal._Scratch(step)
    for lo in range(0, 1 << 24, step):
        theta = np.arange(lo, lo + step, dtype=np.int32).astype(np.float32)
        theta *= np.float32(2.0**-24)
        theta *= _cpu_normal._TWO_PI
        sin, cos = _cpu_normal._sincos256_ps(theta, scratch, scratch("sin"), scratch("cos"))
        fast = np.abs(cos).view(np.int32) >= _cpu_normal._SMALL_COS_BITS
        for exact, ours in ((sin, np.sin(theta)), (cos, np.cos(theta))):
            assert np.array_equal(np.signbit(exact[fast]), np.signbit(ours[fast]))
            assert _ulps(exact[fast], ours[fast]).max() <= 1


def _untemper(y):
    """The inverse of MT19937's output tempering: the state word that yields output y."""
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    t = y
    for _ in range(4):
        t = y ^ ((t << 7) & 0x9D2C5680)
    y = t & 0xFFFFFFFF
    t = y
    for _ in range(2):
        t = y ^ (t >> 11)
    return t


def _state_with_outputs(torch, outputs):
    """A torch generator state whose next engine outputs are `outputs` (fewer than 624)."""
    raw = torch.Generator().manual_seed(0).get_state().numpy().copy()
    rec = raw.view(_mt19937._STATE_DTYPE)[0]
    rec["left"], rec["next"] = _mt19937._N, 1  # mid-way through the state: no twist yet
    rec["state"][1:1 + len(outputs)] = [_untemper(int(w)) for w in outputs]
    return raw


def test_angles_where_numpy_cos_is_far_from_torchs_are_replayed_exactly(torch, monkeypatch):
    """At 3 pi / 2 NumPy's cos is 6 ulp from torch's; blocks with that angle (and pi / 2,
    0, pi) drawn through the fast path still equal torch's there."""
    monkeypatch.setattr(_cpu_random, "_EXACT_FLOAT_NORMALS", 64)
    words = np.random.default_rng(0).integers(0, 1 << 32, size=16 * 8, dtype=np.uint32).reshape(8, 2, 8)
    angles = [3 << 22, 1 << 22, 0, 1 << 23]
    words[:, 1, 3] = np.resize(angles, 8) | 0xAB000000  # the high byte is ignored
    state = _state_with_outputs(torch, words.ravel())
    assert torch.Generator().set_state(torch.from_numpy(state)).get_state().numpy().tobytes() == state.tobytes()
    ours = np.asarray(mg.randn(16 * 8, generator=mg.Generator().set_state(state))).reshape(8, 2, 8)
    theirs = torch.randn(16 * 8, generator=torch.Generator().set_state(torch.from_numpy(state))).numpy().reshape(8, 2, 8)
    np.testing.assert_array_equal(ours[:, :, 3], theirs[:, :, 3])
    assert _ulps(ours, theirs).max() <= 2


# ---------------------------------------------------------------------------- libm log1p
def test_log1p_replay_gives_the_c_librarys_bits():
    """exponential_'s log1p(-u) replays glibc's (fdlibm's) log1p, fused multiply-adds and
    all; off the 2^-53 grid too, and at the branch edges (|f| < 2^-20 near -1/2, -3/4)."""
    fused = _cpu_libm._matching_variant()
    if fused is None:
        pytest.skip("this C library's log1p is another build; the samplers call it directly")
    rng = np.random.default_rng(0)
    x = np.concatenate([-(rng.integers(0, 1 << 53, 100_000) * 2.0**-53), -rng.random(50_000),
                        -0.5 - 2.0**-30 * rng.uniform(-1, 1, 5000), -0.75 - 2.0**-31 * rng.uniform(-1, 1, 5000),
                        -rng.uniform(0, 2.0**-28, 5000)])
    expected = np.array([math.log1p(v) for v in x])
    np.testing.assert_array_equal(_cpu_libm.log1p(x).view(np.int64), expected.view(np.int64))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_exponential_equals_torch_bit_for_bit(torch, dtype):
    g, tg = _pair(torch, 2147483647)
    ours = mg.empty(70_001, dtype=dtype).exponential_(0.5, generator=g)
    theirs = torch.empty(70_001, dtype=getattr(torch, dtype)).exponential_(0.5, generator=tg)
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    _same_state(g, tg)
