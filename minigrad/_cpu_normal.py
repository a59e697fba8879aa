"""torch's 16-wide float32 normal kernel on the CPU, from raw engine words (host code).

torch's ``normal_fill_16_AVX2`` (``aten/src/ATen/native/cpu/DistributionTemplates.h``)
turns each block of 16 float uniforms into 16 normals: ``out[j] = r cos t`` and
``out[j+8] = r sin t`` with ``r = sqrt(-2 log(1 - u[j]))`` and ``t = 2 pi u[j+8]``, where
log and sincos are ``log256_ps`` and ``sincos256_ps`` of ``cpu/avx_mathfun.h`` (Cephes
polynomials in float32, each multiply-add fused into an fma by the compiler).

`fill` replays those functions step by step. An fma of float32 values is computed in
double: the product is exact there, and rounding the double sum to float32 stands for the
fused result (the two differ only if that sum lands exactly halfway between two floats
while the exact value does not: practically never). Steps whose product is exact in
float32 (a small integer times a short constant, z * 0.5) are plain float32 operations,
as is every step the compiler does not fuse. Every array operation works in place on
scratch arrays of one chunk, so the temporaries stay in the CPU cache, and no step uses
``np.where`` or masked writes (several times slower than arithmetic on bit patterns).

``exact=False`` replaces sincos by NumPy's float32 ``sin``/``cos`` (about five times
cheaper). Over all 2^24 angles torch's generator can produce, those are within 1 float32
ulp of torch's (tests/test_random_parity_normals.py checks every one against the NumPy in
use), except near the zeros of cos (at 3 pi / 2 it is 6 ulp off), which are replayed
exactly. The radius r stays exact, and r times a factor off by at most one of its ulps is
off by less than two ulps of the product, so each normal is within 2 ulp of torch's.
"""
from __future__ import annotations

import math

import numpy as np

_F32, _F64, _I32 = np.float32, np.float64, np.int32
_TWO_PI = _F32(2.0 * math.pi)  # c10::pi<double> * 2, rounded to float
_CHUNK = 4096  # blocks of 16 per pass: about 20 scratch arrays of 32K elements fit in L2
# |cos t| below this is replayed exactly in the fast path (0.03% of angles); 2^-12 as int bits
_SMALL_COS_BITS = 0x39800000

_LOG_P = [float(_F32(v)) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                                   1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                                   3.3333331174E-1)]
_COS_P = [float(_F32(v)) for v in (2.443315711809948E-005, -1.388731625493765E-003, 4.166664568298827E-002)]
_SIN_P = [float(_F32(v)) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]


class _Scratch:
    """Named scratch arrays of one length, made on first use."""

    def __init__(self, n):
        self.n = n
        self._arrays = {}

    def __call__(self, name, dtype=_F32):
        a = self._arrays.get(name)
        if a is None:
            a = self._arrays[name] = np.empty(self.n, dtype)
        return a


def fill(words, out, exact=True):
    """Write torch's float32 normals for `words` into `out` (float32, 16 per block).

    `words` are the engine outputs, 16 per block: a uint64 array of `random64` pairs (the
    earlier word in the high half; NumPy draws those fastest), a uint32 array in stream
    order, or an `MT19937Stream` to draw them from, chunk by chunk as they are used (so
    they are still in the CPU cache). Only the low 24 bits of each word are used, as in
    torch's float uniform.
    """
    blocks = out.size // 16
    if isinstance(words, np.ndarray) and words.dtype != np.uint64:
        w = words.astype(np.uint64)
        words = (w[0::2] << np.uint64(32)) | w[1::2]
    o = out.reshape(blocks, 2, 8)
    scratch = _Scratch(8 * min(blocks, _CHUNK))
    near_zero = []  # (half-block lanes, radius, theta) whose cos is replayed at the end
    for lo in range(0, blocks, _CHUNK):
        hi = min(lo + _CHUNK, blocks)
        s = scratch if 8 * (hi - lo) == scratch.n else _Scratch(8 * (hi - lo))
        w = words[lo * 8:hi * 8] if isinstance(words, np.ndarray) else words.random64(8 * (hi - lo))
        lanes = _fill_blocks(w, o[lo:hi], s, exact)
        if lanes is not None:
            near_zero.append((lanes + 8 * lo, s("log")[lanes], s("theta")[lanes]))
    if near_zero:  # one exact replay for all of them: a replay has a fixed cost per call
        lanes, radius, theta = (np.concatenate(parts) for parts in zip(*near_zero))
        few = _Scratch(lanes.size)
        sin, cos = _sincos256_ps(theta, few, few("sin"), few("cos"))
        block, lane = np.divmod(lanes, 8)
        o[block, 0, lane] = radius * cos
        o[block, 1, lane] = radius * sin


def _fill_blocks(w, o, s, exact):
    """NormalFill16 on the uint64 word pairs `w` (8 per block) into `o` of shape (k, 2, 8).

    The radius and angle halves of each block are moved apart (and back, for the output)
    as 32-byte items: a copy with one long inner loop, where array operations on the
    strided (k, 8) halves would run an inner loop per row of 8.
    """
    k24 = s("k24", np.uint64)[:w.size]
    np.left_shift(w, np.uint64(32), out=k24)  # swap each pair: the earlier word first in memory
    high = s("high", np.uint64)[:w.size]
    np.right_shift(w, np.uint64(32), out=high)
    k24 |= high
    k24 &= np.uint64(0x00FFFFFF00FFFFFF)  # the float uniform's 24 bits, u = k / 2^24
    halves = k24.view(_HALF).reshape(-1, 2)
    radius_k, angle_k = s("radius_k", _I32), s("angle_k", _I32)
    np.copyto(radius_k.view(_HALF), halves[:, 0])
    np.copyto(angle_k.view(_HALF), halves[:, 1])
    # radius: 1 - u = (2^24 - k) / 2^24 exactly; log256_ps reads the scale from the exponent
    np.subtract(1 << 24, radius_k, out=radius_k)
    x = s("x")
    np.copyto(x, radius_k, casting="unsafe")
    radius = _log256_ps(x, s, exponent_bias=0x7E + 24)
    radius *= _F32(-2)
    np.sqrt(radius, out=radius)
    # angle: 2 pi u, rounded to float as torch's float multiply
    theta = s("theta")
    np.copyto(theta, angle_k, casting="unsafe")
    theta *= _F32(2.0**-24)
    theta *= _TWO_PI
    near_zero = None
    if exact:
        sin, cos = _sincos256_ps(theta, s, s("sin"), s("cos"))
    else:
        sin, cos, near_zero = _fast_sincos(theta, s)
    cos *= radius
    sin *= radius
    out = o.reshape(-1).view(_HALF).reshape(-1, 2)
    np.copyto(out[:, 0], cos.view(_HALF))
    np.copyto(out[:, 1], sin.view(_HALF))
    return near_zero


_HALF = np.dtype((np.void, 32))  # 8 float32 or int32: half a block of 16


def _fast_sincos(theta, s):
    """NumPy's float32 sin/cos, and the lanes where |cos| < 2^-12 (None if there are none),
    which the caller replays exactly."""
    sin, cos = np.sin(theta, out=s("sin")), np.cos(theta, out=s("cos"))
    mag = s("mag", _I32)
    np.bitwise_and(cos.view(_I32), 0x7FFFFFFF, out=mag)
    near_zero = np.less(mag, _SMALL_COS_BITS, out=s("flag", bool))
    return sin, cos, (np.flatnonzero(near_zero) if near_zero.any() else None)


def _fma_round(d, a, b, t):
    """d = fma(d, a, b) rounded to float32, with `d` a float64 array of float32 values
    (and `t` float32 scratch): the product is exact in double, then the sum is rounded."""
    np.multiply(d, a, out=d)
    np.add(d, b, out=d)
    np.copyto(t, d, casting="same_kind")
    np.copyto(d, t)


def _log256_ps(x, s, exponent_bias=0x7E):
    """avx_mathfun's log256_ps for positive normal x (scaled by 2^(exponent_bias - 0x7E)),
    into scratch "log"."""
    bits = x.view(_I32)
    m = s("m")
    m_bits = m.view(_I32)
    np.bitwise_and(bits, 0x007FFFFF, out=m_bits)
    np.bitwise_or(m_bits, 0x3F000000, out=m_bits)  # the mantissa in [0.5, 1)
    small = s("small", _I32)  # all ones where m < sqrt(1/2) (0x3F3504F3 as a float), else 0
    np.subtract(m_bits, 0x3F3504F3, out=small)
    np.right_shift(small, 31, out=small)
    e_int = s("e_int", _I32)
    np.right_shift(bits, 23, out=e_int)
    np.subtract(e_int, exponent_bias, out=e_int)  # the exponent + 1 ...
    e_int += small  # ... less one where m is small
    e = s("e")
    np.copyto(e, e_int, casting="unsafe")
    xr = s("xr")  # m - 1, plus m again where m is small: both exact
    small &= m_bits
    np.subtract(m, _F32(1), out=xr)
    xr += small.view(_F32)  # m, or +0.0
    z = s("z")
    np.multiply(xr, xr, out=z)
    x64, y, t = s("x64", _F64), s("y64", _F64), s("t")
    np.copyto(x64, xr)
    np.multiply(x64, _LOG_P[0], out=y)  # exact: the first fma's product
    np.add(y, _LOG_P[1], out=y)
    np.copyto(t, y, casting="same_kind")
    np.copyto(y, t)
    for p in _LOG_P[2:]:
        _fma_round(y, x64, p, t)
    np.multiply(y, x64, out=y)  # y * x, not fused: rounded to float
    np.copyto(t, y, casting="same_kind")
    np.copyto(y, t)
    q = s("q")
    np.multiply(e, _F32(-2.12194440e-4), out=q)
    np.copyto(x64, z)  # x64 is free now: z in double
    _fma_round(y, x64, q, t)  # fma(y, z, e * q1), rounded into t
    np.multiply(z, _F32(-0.5), out=q)  # fma(z, -0.5, y): the product is exact
    t += q
    xr += t
    out = s("log")
    np.multiply(e, _F32(0.693359375), out=q)  # fma(e, q2, x): the product is exact
    np.add(q, xr, out=out)
    return out



def _poly_times_z(p, z, z64, acc, acc32):
    """``((p0 z + p1) z + p2) z`` as sincos256_ps rounds it: two fused multiply-adds (a
    double product and sum, rounded once to float32), then a plain float32 product. The
    result is left in `acc32` and, the same value, in the double `acc`."""
    np.multiply(z64, p[0], out=acc)
    np.add(acc, p[1], out=acc)
    np.copyto(acc32, acc, casting="same_kind")
    np.copyto(acc, acc32)
    _fma_round(acc, z64, p[2], acc32)
    acc32 *= z  # not fused
    np.copyto(acc, acc32)

def _sincos256_ps(x, s, sin, cos):
    """avx_mathfun's sincos256_ps for x >= 0, into `sin` and `cos`."""
    j, t = s("j", _I32), s("t")
    np.multiply(x, _F32(1.27323954473516), out=t)
    np.copyto(j, t, casting="unsafe")  # truncation, as cvttps
    j += 1
    j &= ~1  # the octant, rounded up to even
    y, r = s("y"), s("r")
    np.copyto(y, j, casting="unsafe")
    # x - y * pi/4 in three parts; y * DP1 and y * DP2 are exact in float32
    np.multiply(y, _F32(-0.78515625), out=t)
    np.add(x, t, out=r)
    np.multiply(y, _F32(-2.4187564849853515625e-4), out=t)
    r += t
    d, z64 = s("d64", _F64), s("z64", _F64)
    np.copyto(d, y)
    np.multiply(d, float(_F32(-3.77489497744594108e-8)), out=d)
    np.add(d, r, out=d)
    np.copyto(r, d, casting="same_kind")
    z = s("z")
    np.multiply(r, r, out=z)
    np.copyto(z64, z)
    c, c32 = s("c64", _F64), s("c32")
    _poly_times_z(_COS_P, z, z64, c, c32)
    np.multiply(z64, -0.5, out=d)  # fma(c, z, -(z * 0.5)): z * 0.5 is exact
    np.multiply(c, z64, out=c)
    np.add(c, d, out=c)
    np.copyto(c32, c, casting="same_kind")
    c32 += _F32(1)
    sp, s32 = s("s64", _F64), s("s32")
    _poly_times_z(_SIN_P, z, z64, sp, s32)
    np.copyto(d, r)
    np.multiply(sp, d, out=sp)  # fma(s, r, r)
    np.add(sp, d, out=sp)
    np.copyto(s32, sp, casting="same_kind")
    _select_and_sign(j, s32, c32, sin, cos, s)
    return sin, cos


def _select_and_sign(j, s32, c32, sin, cos, s):
    """Octants with j & 2 swap the two polynomials; the signs come from j, as in
    avx_mathfun (bit operations, like its and/andnot blend)."""
    mask, diff = s("mask", _I32), s("diff", _I32)
    s_bits, c_bits, sin_bits, cos_bits = s32.view(_I32), c32.view(_I32), sin.view(_I32), cos.view(_I32)
    np.bitwise_and(j, 2, out=mask)
    np.right_shift(mask, 1, out=mask)
    np.negative(mask, out=mask)  # all ones where the polynomials swap
    np.bitwise_xor(s_bits, c_bits, out=diff)
    diff &= mask
    np.bitwise_xor(s_bits, diff, out=sin_bits)
    np.bitwise_xor(c_bits, diff, out=cos_bits)
    np.bitwise_and(j, 4, out=mask)  # sign of sin: bit 2 of j
    np.left_shift(mask, 29, out=mask)
    sin_bits ^= mask
    np.subtract(j, 2, out=mask)  # sign of cos: bit 2 of ~(j - 2)
    np.invert(mask, out=mask)
    mask &= 4
    np.left_shift(mask, 29, out=mask)
    cos_bits ^= mask
