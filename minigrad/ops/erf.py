"""erf on NumPy/CuPy arrays, accurate to a few ulp (NumPy has none; one body for both).

W. J. Cody's rational Chebyshev approximations (CALERF, Argonne, 1969/1985; the
algorithm behind netlib's specfun and many libm's), evaluated for the whole array at
once: one rational function per interval |x| <= 0.46875, <= 4 and > 4, then the right
branch picked per element. For |x| > 0.46875 it computes erfc(|x|), with exp(-x^2)
split as exp(-t^2) * exp(-(x - t)(x + t)) (t = x rounded down to 1/16) so the
exponential does not lose the low bits of x^2. GELU's float64 parity with PyTorch
(which calls the C library's erf) depends on this accuracy.
"""
from __future__ import annotations

from .. import backend

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
_XBIG = 26.543  # erfc(x) underflows to 0 in float64 beyond this


def _rational(z, num, den, n):
    """Cody's Horner scheme: (((num[-1] z + num[0]) z + ...) + num[n]) / (...)."""
    xnum = num[-1] * z
    xden = z
    for i in range(n):
        xnum = (xnum + num[i]) * z
        xden = (xden + den[i]) * z
    return xnum + num[n], xden + den[n]


def _exp_neg_sq(y, xp):
    """exp(-y*y) without losing the low bits of y*y."""
    t = xp.trunc(y * 16.0) / 16.0
    return xp.exp(-t * t) * xp.exp(-(y - t) * (y + t))


def erfc_abs(y, xp):
    """erfc(y) for y >= 0.46875 (the two outer intervals)."""
    mid = xp.minimum(y, 4.0)
    num, den = _rational(mid, _C, _D, 7)
    r_mid = num / den
    big = xp.maximum(y, 4.0)
    ysq = 1.0 / (big * big)
    num, den = _rational(ysq, _P, _Q, 4)
    r_big = (_SQRPI - ysq * num / den) / big
    r = xp.where(y <= 4.0, r_mid, r_big)
    # `y >= big` (not `y < big`) so that NaN falls through and stays NaN
    return xp.where(y >= _XBIG, 0.0, _exp_neg_sq(xp.minimum(y, _XBIG), xp) * r)


def erf(x):
    """Elementwise error function of a float array, in its own dtype (float16 via float32).

    float64: within 2 ulp of the C library's erf; float32: within ~2e-7.
    """
    xp = backend.array_module(x)
    dtype = x.dtype
    # Python-float coefficients keep the array's dtype (NumPy/CuPy weak scalars)
    xf = x.astype(backend.float32) if dtype.itemsize < 4 else x
    y = xp.abs(xf)
    small = xp.minimum(y, _THRESH)
    z = small * small
    num, den = _rational(z, _A, _B, 3)
    r_small = xf * num / den
    outer = (0.5 - erfc_abs(xp.maximum(y, _THRESH), xp)) + 0.5
    r = xp.where(y <= _THRESH, r_small, xp.copysign(outer, xf))
    return r.astype(dtype, copy=False)
