"""PyTorch's CPU sampling algorithms, vectorised with NumPy (host code).

Each function takes an `MT19937Stream` and draws from it exactly what the matching ATen
CPU kernel draws, in the same order, so a seeded sequence of mixed calls gives torch's
numbers. Sources (torch 2.x): ``aten/src/ATen/core/TransformationHelper.h`` and
``DistributionsHelper.h`` (how one draw becomes a number), ``native/cpu/DistributionTemplates.h``
(the kernels), ``native/TensorFactories.cpp`` (randperm), ``native/Distributions.cpp`` and
``native/cpu/MultinomialKernel.cpp`` (multinomial).

Where the result is not bit-identical: float32 normals beyond `_EXACT_FLOAT_NORMALS` per
call take NumPy's float32 sin/cos in place of torch's AVX2 sincos (the log stays torch's),
within 2 float32 ulp of torch's standard normals (see `_cpu_normal`); float64 normals
beyond `_LIBM_EXACT_LIMIT` per call take NumPy's log in place of the C library's (within
2 ulp, about 0.15% differ). Everything else is the same arithmetic, bit for bit
(``exponential_``'s log1p is the C library's, replayed in `_cpu_libm`).
"""
from __future__ import annotations

import math

import numpy as np

from . import _cpu_libm, _cpu_normal

_TWO_PI = 2.0 * math.pi  # c10::pi<double> * 2, rounded once to double
_MASK24, _MASK53 = np.uint32((1 << 24) - 1), np.uint64((1 << 53) - 1)


# ---------------------------------------------------------------------------- uniforms
def _unit_float(stream, n):
    """torch's uniform_real_distribution<float>(0, 1): the low 24 bits of random() / 2^24."""
    return (stream.random(n) & _MASK24).astype(np.float32) * np.float32(2.0**-24)


def _unit_double(stream, n):
    """uniform_real_distribution<double>(0, 1): the low 53 bits of random64() / 2^53."""
    return (stream.random64(n) & _MASK53).astype(np.float64) * 2.0**-53


def _opmath(dtype):
    """The type torch computes a dtype's samples in (float16 and bfloat16 use float32)."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def uniform(stream, shape, dtype, low=0.0, high=1.0):
    """``Tensor.uniform_(low, high)``: u * (high - low) + low in the opmath type; a value that
    rounds up to `high` becomes `low`, as in torch's uniform_kernel."""
    n = math.prod(shape)
    ot = _opmath(dtype)
    u = _unit_double(stream, n) if ot == np.float64 else _unit_float(stream, n)
    lo, hi = ot(low), ot(high)
    if lo != 0 or hi != 1:
        u = fma(u, hi - lo, lo)
    out = u.astype(dtype, copy=False)
    top = np.asarray(high, dtype=dtype)
    if (lo != 0 or hi != 1 or ot != np.dtype(dtype)) and bool((out == top).any()):
        out[out == top] = np.asarray(low, dtype=dtype)
    return out.reshape(shape)


# ---------------------------------------------------------------------------- normals
def normal(stream, shape, dtype, mean=0.0, std=1.0, contiguous=True):
    """``Tensor.normal_(mean, std)`` as torch's normal_kernel: fewer than 16 elements take
    the scalar Box-Muller path in double (with the cached second sample); 16 or more fill
    blocks of 16 uniforms, the first 8 giving radii and the last 8 angles, and a ragged tail
    redraws 16 fresh uniforms for the last 16 slots. A non-contiguous tensor always takes
    the scalar path. Float32 blocks go through `_cpu_normal.fill` (torch's AVX2 kernel)."""
    n = math.prod(shape)
    if n < 16 or not contiguous:
        z = _fma(_scalar_normals(stream, n), std, mean)
        return z.astype(dtype).reshape(shape)
    ot = _opmath(dtype)
    blocks, tail = divmod(n, 16)
    in_place = ot == np.dtype(dtype)  # else (float16/bfloat16) a buffer of 16 uniforms per block
    out = np.empty(n, dtype=ot)
    if ot == np.float32:
        exact = n <= _EXACT_FLOAT_NORMALS
        _cpu_normal.fill(stream, out[:16 * blocks], exact)  # draws its words chunk by chunk
        if tail:
            if in_place:  # the tail's own uniforms are drawn, then overwritten by 16 fresh ones
                stream.random(tail)
            _cpu_normal.fill(stream.random(16), out[n - 16:], exact)
    else:
        u = _unit_double(stream, n + 16 if tail else n)
        _box_muller16(u[:16 * blocks], out[:16 * blocks])
        if tail:
            _box_muller16(u[n:], out[n - 16:])
    _fma(out, std, mean)
    return out.astype(dtype, copy=False).reshape(shape)


def _box_muller16(u, out):
    """NormalFill16 in double: out[j] = r cos(t), out[j+8] = r sin(t) with
    r = sqrt(-2 log(1 - u[j])) and t = 2 pi u[j+8] (the C library's log, as torch)."""
    u = u.reshape(-1, 2, 8)
    o = out.reshape(-1, 2, 8)
    radius = _libm("log", 1.0 - u[:, 0])
    radius *= -2.0
    np.sqrt(radius, out=radius)
    theta = _TWO_PI * u[:, 1]
    np.cos(theta, out=o[:, 0])
    np.sin(theta, out=o[:, 1])
    o *= radius[:, None]


# Up to this many float32 normals per call we replay torch's AVX2 log and sincos exactly
# (about 2.7-3.8x torch's time); larger draws keep the exact log but take NumPy's float32
# sin/cos, within 2 float32 ulp of torch's normals and about 1.9x torch's time
# (see _cpu_normal and README, "Same seed as PyTorch").
_EXACT_FLOAT_NORMALS = 1 << 20


def _fma(x, std, mean):
    """x = fma(x, std, mean) in place, rounded once as the hardware fma torch's kernels use
    (the compiler fuses ``u * (to - from) + from`` too)."""
    if std == 1 and mean == 0:
        return x
    x[...] = fma(x, std, mean)
    return x


def fma(a, b, c):
    """Correctly rounded a * b + c for a float32/float64 array `a` and scalars `b`, `c`."""
    dt = a.dtype
    b, c = float(dt.type(b)), float(dt.type(c))
    if dt == np.float32:
        p = a.astype(np.float64) * b  # exact: 24 + 24 bits fit in a double
        s, t = _two_sum(p, c)
        # round the double sum to odd before rounding to float32: no double-rounding error
        even = (s.view(np.int64) & 1) == 0
        fix = (t != 0) & even
        s[fix] = np.nextafter(s[fix], np.where(t[fix] > 0, np.inf, -np.inf))
        return s.astype(np.float32)
    p = a * b
    e = _two_product_error(a, b, p)
    s, t = _two_sum(p, c)
    return s + (t + e)


def _two_sum(a, b):
    """Knuth's TwoSum: s + t == a + b exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_product_error(a, b, p):
    """Dekker's TwoProduct: the exact error a * b - p of p = fl(a * b)."""
    def split(x):
        t = 134217729.0 * x  # 2^27 + 1
        hi = t - (t - x)
        return hi, x - hi
    ah, al = split(a)
    bh, bl = split(np.float64(b))
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


# The C library's log (what torch's double Box-Muller calls) and NumPy's SIMD one differ
# in the last bit of about 0.35% of doubles. Up to this many elements we call the C
# library through Python's math module, so float64 normals are bit-identical; above,
# about 0.15% of float64 normals differ from torch's, by at most 2 ulp (see README).
_LIBM_EXACT_LIMIT = 1 << 16


def _libm(name, x):
    if x.size <= _LIBM_EXACT_LIMIT:
        return np.frompyfunc(getattr(math, name), 1, 1)(x).astype(np.float64)
    return getattr(np, name)(x)


def _scalar_normals(stream, n):
    """`n` draws of torch's normal_distribution<double>: each Box-Muller pair uses
    u1 (angle) then u2 (radius); the sine sample is cached in the stream for the next call."""
    out = np.empty(n, dtype=np.float64)
    start = 0
    if n and stream.next_double_normal is not None:
        out[0] = stream.next_double_normal
        stream.next_double_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = _unit_double(stream, 2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * _cpu_libm.log1p(-u[:, 1]))
        theta = _TWO_PI * u[:, 0]
        z = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).ravel()
        out[start:] = z[:n - start]
        if (n - start) % 2:
            stream.next_double_normal = float(z[-1])
    return out


# ---------------------------------------------------------------------------- integers
def random_from_to(stream, shape, dtype, low, high):
    """``random_(low, high)`` / ``randint``: (word % range) + low, the word from random64()
    when the range is at least 2^28 (torch's bound for an acceptable modulo skew), else
    from random()."""
    n = math.prod(shape)
    span = int(high) - int(low)
    words = stream.random64(n) if span >= 1 << 28 else stream.random(n).astype(np.uint64)
    vals = (words % np.uint64(span)).astype(np.int64) + np.int64(low)
    return vals.astype(dtype).reshape(shape)


def random_bits(stream, shape, dtype):
    """``random_()`` without bounds: [0, max] of an integer dtype, [0, 2^mantissa] of a
    float dtype, 0/1 for bool (torch's uniform_int_distribution)."""
    n = math.prod(shape)
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return (stream.random(n) & np.uint32(1)).astype(bool).reshape(shape)
    if dt.kind == "f":
        modulus = (1 << np.finfo(dt).nmant + 1) + 1
    else:
        modulus = int(np.iinfo(dt).max) + 1
    words = stream.random64(n) if dt in (np.int64, np.float64) else stream.random(n).astype(np.uint64)
    return (words % np.uint64(modulus)).astype(dt).reshape(shape)


def randperm(stream, n):
    """torch's randperm_cpu: r = arange(n); for i < n-1: swap r[i], r[i + random() % (n-i)].

    The n-1 swaps are resolved without a Python loop. Step k swaps positions k and t[k] >= k,
    so position k is final after step k. Group the steps by target (a stable sort of t):
    for a group j1 < j2 < ... aimed at position p, step j1 finds p's own value there, and
    step j(i+1) finds the value that step ji parked, V(ji), the value at position ji just
    before step ji. V(k) is the value parked by the last step before k aimed at k (the last
    of k's group, or the one before it when that is k itself), else k: chains to smaller
    steps, collapsed by pointer jumping in O(log n) vectorised passes.
    """
    if n >= (1 << 32) // 20:
        raise RuntimeError(f"randperm: n={n} is beyond the CPU generator's 32-bit path")
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    target = stream.random(n - 1)  # uint32 throughout: half the memory of int64
    left = np.arange(n, 1, -1, dtype=np.uint32)  # n - k
    target %= left  # (uint32 division is NumPy's fast one)
    target += np.uint32(n)
    target -= left  # k + random() % (n - k)
    order = _stable_argsort(target, n)
    grouped = target[order]
    head = np.empty(n - 1, dtype=bool)  # first step of its group
    head[0] = True
    np.not_equal(grouped[1:], grouped[:-1], out=head[1:])
    ends = np.flatnonzero(np.append(head[1:], True))
    aimed_at, last = grouped[ends].astype(np.int64), order[ends]
    # root[p]: the step whose value position p holds when its own step comes (p where none):
    # the last step aimed at p, or, when that is p itself, the one before it in the group
    root = np.arange(n, dtype=np.int64)
    root[aimed_at] = last
    fed = last != aimed_at
    fed_self = ends[~fed & ~head[ends]]  # rare: about log(n) steps aim at themselves
    root[grouped[fed_self]] = order[fed_self - 1]
    _jump_to_roots(root, np.concatenate([aimed_at[fed], grouped[fed_self].astype(np.int64)]))
    found = root[order[:-1]]  # what step order[i] finds at its target: V(order[i-1]) ...
    heads = np.flatnonzero(head[1:])
    found[heads] = grouped[heads + 1]  # ... or, first in its group, the target's own value
    result = np.empty(n, dtype=np.int64)
    result[order[0]] = grouped[0]
    result[order[1:]] = found
    result[-1] = root[-1]
    return result


def _jump_to_roots(parent, active):
    """Pointer jumping in place: each entry of `parent` becomes the root of its chain (roots
    point to themselves); `active` lists the entries not at a root yet, and only those not
    there after a jump are revisited (chain depths halve at each level: ~5 passes)."""
    while active.size:
        up = parent[active]
        hop = parent[up]
        parent[active] = hop
        active = active[hop != up]


def _stable_argsort(keys, n):
    """Stable argsort of integers in [0, n): NumPy's stable sort of 16-bit keys is a radix
    sort (linear time, several times faster than its 64-bit sorts); larger keys take one
    more pass on their high bits."""
    order = np.argsort(keys.astype(np.uint16), kind="stable")
    if n > 1 << 16:
        order = order[np.argsort((keys >> 16).astype(np.uint16)[order], kind="stable")]
    return order


def skip_randperm(stream, n):
    """Advance `stream` exactly as `randperm(stream, n)` would, without computing it."""
    if n >= (1 << 32) // 20:
        raise RuntimeError(f"randperm: n={n} is beyond the CPU generator's 32-bit path")
    if n > 1:
        stream.random(n - 1)


# ---------------------------------------------------------------------------- bernoulli etc.
def bernoulli_scalar(stream, shape, dtype, p):
    """``bernoulli_(p)`` with a float p (also how dropout draws its mask): 1 where a double
    uniform < p. (torch builds up to 2.4 took an MKL kernel here on Intel CPUs; since
    pytorch/pytorch#132395 the public builds, 2.13 included, use this one everywhere.)"""
    return (_unit_double(stream, math.prod(shape)) < float(p)).astype(dtype).reshape(shape)


def bernoulli_tensor(stream, probs, dtype):
    """``bernoulli_(p_tensor)``: per element, u < p with u a double uniform when p is float64,
    else a float uniform from random() compared in float."""
    n = probs.size
    if probs.dtype == np.float64:
        hit = _unit_double(stream, n) < probs.ravel()
    else:
        hit = _unit_float(stream, n) < probs.ravel().astype(np.float32)
    return hit.astype(dtype).reshape(probs.shape)


def exponential(stream, shape, dtype, lambd=1.0):
    """``exponential_(lambd)``: -1/lambd * log1p(-u) with u a double uniform and the C
    library's log1p (see `_cpu_libm`), cast to dtype."""
    u = _unit_double(stream, math.prod(shape))
    return ((-1.0 / float(lambd)) * _cpu_libm.log1p(-u)).astype(dtype).reshape(shape)


def multinomial(stream, probs, num_samples, replacement):
    """``torch.multinomial`` on a 1-D or 2-D array of non-negative weights (int64 indices).

    Without replacement (or one sample): argmax / top-k of p / q with q ~ Exp(1) drawn
    as ``exponential_`` on an array like `probs` (the Gumbel trick torch uses). With
    replacement: per row, a sequential cumulative sum normalised by its total, then one
    double uniform per sample located by binary search.
    """
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement or num_samples == 1:
        q = exponential(stream, probs.shape, probs.dtype).reshape(rows.shape)
        score = rows / q
        if num_samples == 1:
            idx = np.argmax(score, axis=1)[:, None]
        else:  # topk: largest first
            idx = np.argsort(-score, axis=1, kind="stable")[:, :num_samples]
    else:
        cum = np.cumsum(rows, axis=1, dtype=rows.dtype)
        cum /= cum[:, -1:]
        cum[:, -1] = 1
        u = _unit_double(stream, rows.shape[0] * num_samples).reshape(rows.shape[0], num_samples)
        cum = cum.astype(np.float64)
        idx = np.stack([np.searchsorted(c, row_u, side="left") for c, row_u in zip(cum, u)])
    return idx.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
