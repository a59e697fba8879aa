"""The C library's scalar ``log1p``, vectorised with NumPy (host code).

torch's CPU ``exponential_`` (and its scalar Box-Muller path) calls ``std::log1p`` one
element at a time, which on Linux is glibc's; NumPy's ``log1p`` is its own SIMD code and
differs from glibc's in the last bit of several percent of doubles. glibc's x86-64
``log1p`` is fdlibm's algorithm (``sysdeps/ieee754/dbl-64/s_log1p.c``) in double
arithmetic; on CPUs with FMA, glibc picks at run time a build of the same source in which
the compiler fused some multiply-adds (its machine code shows which). `_log1p_replay` does
the same operations in the same order on whole arrays, each fused multiply-add rounded
once (emulated in double-double), so it gives the same bits; 10 million take about 3x
torch's time. Which build the C library runs (fused or not, or another one) is checked
once against Python's ``math.log1p``; if neither replay matches, small arrays call the C
library per element and large ones take NumPy's log1p (within 1 ulp).
"""
from __future__ import annotations

import math

import numpy as np

_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: k * LN2_HI is exact for |k| < 2000
_LN2_LO = 1.90821492927058770002e-10
_LP = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
       1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01)
_CHUNK = 1 << 13
_REPLAY_FROM = 256  # below, calling the C library per element is quicker than the replay
_CALL_LIMIT = 1 << 16  # without a matching replay: the C library up to here, NumPy's log1p above


def log1p(x):
    """glibc's log1p of a float64 array `x` with -1 < x <= 0 (the samplers pass -u)."""
    x = np.asarray(x, dtype=np.float64)
    variant = _matching_variant()
    if variant is None or x.size <= _REPLAY_FROM:
        return _call_libm(x) if x.size <= _CALL_LIMIT else np.log1p(x)
    out = np.empty_like(x)
    flat_in, flat_out = x.reshape(-1), out.reshape(-1)
    for lo in range(0, x.size, _CHUNK):  # chunks: the temporaries stay in the CPU cache
        flat_out[lo:lo + _CHUNK] = _log1p_replay(flat_in[lo:lo + _CHUNK], fused=variant)
    return out


def _call_libm(x):
    return np.frompyfunc(math.log1p, 1, 1)(x).astype(np.float64)


def _product_error(a, a_split, b):
    """The exact error a * b - fl(a * b) (Dekker), with `a_split` = _split(a)."""
    ah, al = a_split
    bh, bl = _split(b)
    return ((ah * bh - a * b) + ah * bl + al * bh) + al * bl


def _fma(a, b, c, a_split=None):
    """a * b + c rounded once, as a hardware fma: the product's exact error and the sum's
    are added back before the last rounding (which matches the hardware's except in
    double-rounding ties, practically never met)."""
    p = a * b
    e = _product_error(a, _split(a) if a_split is None else a_split, b)
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + e)


def _split(a):
    """Veltkamp's split: a = hi + lo with halves of 26 bits, so their products are exact."""
    t = a * 134217729.0  # 2^27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _log1p_replay(x, fused):
    """fdlibm's log1p for -1 < x <= 0, branch by branch on masks: 1 + x = 2^k (1 + f) with
    sqrt(2)/2 < 1 + f < sqrt(2) (k = 0, f = x above -0.2929), then log1p(f) from
    s = f / (2 + f) and a degree-14 polynomial, plus c / u for what rounding u = 1 + x lost.
    `fused`: the multiply-adds glibc's FMA build fuses (read from its machine code) are
    rounded once; the others (k * ln2_hi is exact) round the same either way."""
    high = (x.view(np.int64) >> 32).astype(np.int32)  # the sign, exponent and top mantissa bits
    no_reduction = high <= np.int32(-1076707645)  # 0xbfd2bec3: x > -0.2929 (and x = +0)
    u = 1.0 + x
    u_high = (u.view(np.int64) >> 32).astype(np.int32)
    k = (u_high >> 20) - 1023
    hu = u_high & 0x000FFFFF
    halve = hu >= 0x6A09E  # normalise u (or u / 2) into [sqrt(2)/2, sqrt(2))
    k += halve
    top = np.where(halve, hu | 0x3FE00000, hu | 0x3FF00000).astype(np.int64)
    u_norm = ((u.view(np.int64) & 0xFFFFFFFF) | (top << 32)).view(np.float64)
    hu = np.where(halve, (0x00100000 - hu) >> 2, hu)
    f = np.where(no_reduction, x, u_norm - 1.0)
    k = np.where(no_reduction, 0, k).astype(np.float64)
    # what rounding 1 + x lost, relative to u: 0 for exponential_'s -u (a multiple of 2^-53)
    c = np.where(no_reduction, 0.0, x - (u - 1.0)) / u
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    if fused:
        z_split = _split(z)
        r2, r3, r4 = (_fma(z, _LP[i + 1], _LP[i], z_split) for i in (1, 3, 5))
        big_r = _fma(z4 * z2, r4, _fma(z4, r3, _fma(z, _LP[0], z2 * r2, z_split)))
    else:
        r2, r3, r4 = (_LP[i] + z * _LP[i + 1] for i in (1, 3, 5))
        big_r = z * _LP[0] + z2 * r2 + z4 * r3 + z4 * z2 * r4
    k_lo = k * _LN2_LO
    corrected = c != 0
    if corrected.any():
        kc, cc = k[corrected], c[corrected]
        k_lo[corrected] = _fma(kc, _LN2_LO, cc) if fused else kc * _LN2_LO + cc
    out = np.where(no_reduction, f - (hfsq - s * (hfsq + big_r)),
                   k * _LN2_HI - ((hfsq - (s * (hfsq + big_r) + k_lo)) - f))
    tiny_f = (hu == 0) & ~no_reduction  # |f| < 2^-20 after the reduction: a shorter series
    if tiny_f.any():
        ft, kt, lo = f[tiny_f], k[tiny_f], k_lo[tiny_f]
        one_less = _fma(-ft, 0.66666666666666666, 1.0) if fused else 1.0 - 0.66666666666666666 * ft
        rt = (0.5 * ft * ft) * one_less
        out[tiny_f] = np.where(ft == 0, kt * _LN2_HI + lo, kt * _LN2_HI - ((rt - lo) - ft))
    tiny = (high & 0x7FFFFFFF) < 0x3E200000  # |x| < 2^-29: x - x^2 / 2 (x itself below 2^-54)
    if tiny.any():
        xt = x[tiny]
        out[tiny] = np.where(np.abs(xt) < 2.0**-54, xt, xt - xt * xt * 0.5)
    return out


_CHECK = []  # the cached result of the one-time check


def _matching_variant():
    """Which replay (fused multiply-adds or not) gives the C library's bits on inputs that
    reach every branch; None if neither does (another C library)."""
    if not _CHECK:
        probe = np.concatenate([
            -np.random.Generator(np.random.MT19937(5)).random(20000),  # exponential_'s -u
            -np.linspace(0, 0.999, 1001), [0.0, -0.0, -(2.0**-30), -(2.0**-40), -(2.0**-60), -0.2929, -0.29289],
            -0.5 - np.arange(-8, 8) * 2.0**-44, -0.75 - np.arange(-8, 8) * 2.0**-45, -(2.0**-np.arange(1, 60, 0.37))])
        expected = np.array([math.log1p(v) for v in probe]).view(np.int64)
        found = [fused for fused in (True, False) if np.array_equal(_log1p_replay(probe, fused).view(np.int64), expected)]
        _CHECK.append(found[0] if found else None)
    return _CHECK[0]
