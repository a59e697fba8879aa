"""Array-level building blocks shared by the update rules (in place, allocation-free).

They take raw NumPy/CuPy arrays and Python floats, never Tensors. There are two sets
with the same methods, and an optimizer picks one per step (its ``fused`` choice) and
hands it to its rule as ``ops``:

- `UFUNCS`: passes of the array module's ufuncs (NumPy or CuPy), rounding as the
  PyTorch kernels they stand for, so trajectories match torch's to the last bits;
- `MKL`: MKL's multi-threaded vector routines (``mg.backends.mkl``), fewer passes and
  every core, equal up to rounding. Only for NumPy arrays that ``mkl.takes``.

`run_chunked` is the helper an elementwise rule opts into on the CPU: it calls the rule
over cache-sized pieces of arrays larger than the L2 cache, where the one-pass-per-
operation ufunc style otherwise streams every pass from memory (Adam on 16M float32
values: 92 ms chunked, 147 ms whole; below ~1M values it makes no difference).
`run_in_two_lanes` goes further for updates with enough work (`LANE_WORK`: values times
the rule's passes over them): the two halves of the arrays are updated at once, the
second in a worker thread (NumPy releases the GIL inside each pass), as torch splits its
update kernels over its threads.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .. import backend
from ..backends import mkl

# Elements per chunk for `run_chunked`: a few float32 arrays of this size fit in L2 cache;
# arrays up to CHUNKED_MIN elements (a few MB, about an L2 cache) get one whole call.
CHUNK = 65536
CHUNKED_MIN = 1 << 19


class Ufuncs:
    """The blocks as ufunc passes of the arrays' own module (NumPy or CuPy)."""

    def effective_grad(self, param, grad, out, weight_decay=0.0, maximize=False):
        """The gradient an update rule sees: ``(-g if maximize else g) + weight_decay * p``.

        Never writes to `grad` (gradients may be shared); when a change is needed the
        result is written into the scratch array `out` and returned, otherwise `grad` is.
        """
        if weight_decay != 0:
            return self.add_scaled(grad, weight_decay, param, out, sign=-1.0 if maximize else 1.0)
        if maximize:
            backend.array_module(out).negative(grad, out=out)
            return out
        return grad

    def add_scaled(self, x, alpha, y, out, sign=1.0):
        """``out = sign*x + alpha*y``, as torch's ``x.add(y, alpha=alpha)`` (`sign` is 1 or
        -1, which is exact); returns `out`."""
        backend.array_module(out).multiply(y, alpha, out=out)
        if sign == 1:
            out += x
        else:
            out -= x
        return out

    def scale_(self, x, factor):
        """``x *= factor`` in place."""
        x *= factor

    def axpby_(self, y, a, x, b, tmp):
        """``y = a*x + b*y`` in place, as torch's ``y.mul_(b).add_(x, alpha=a)``, skipping
        the multiplications by one (`tmp` is scratch for ``a*x``)."""
        if b != 1:
            y *= b
        if a == 1:
            y += x
        else:
            backend.array_module(y).multiply(x, a, out=tmp)
            y += tmp

    def lerp_(self, avg, target, weight, tmp):
        """``avg += weight * (target - avg)`` in place, in torch.lerp_'s two numerical forms.

        PyTorch evaluates ``end - (end - self) * (1 - weight)`` when weight >= 0.5, which
        rounds differently; matching it keeps trajectories equal to the last bits.
        """
        xp = backend.array_module(avg)
        xp.subtract(target, avg, out=tmp)
        if weight < 0.5:
            tmp *= weight
            avg += tmp
        else:
            tmp *= 1 - weight
            xp.subtract(target, tmp, out=avg)

    def ema_square_(self, avg_sq, grad, beta, tmp):
        """``avg_sq = beta * avg_sq + (1 - beta) * grad**2`` in place (torch's mul_ + addcmul_)."""
        backend.array_module(avg_sq).multiply(grad, 1 - beta, out=tmp)
        tmp *= grad
        avg_sq *= beta
        avg_sq += tmp

    def add_ratio_(self, param, value, num, sq, eps, tmp):
        """``param += value * num / (sqrt(sq) + eps)`` in place, as torch's
        ``param.addcdiv_(num, sq.sqrt().add_(eps), value=value)`` (the Adam-style step);
        `tmp` is scratch."""
        xp = backend.array_module(param)
        xp.sqrt(sq, out=tmp)
        tmp += eps
        xp.divide(num, tmp, out=tmp)
        tmp *= value
        param += tmp


class Mkl(Ufuncs):
    """The blocks as MKL vector routines: one threaded pass per routine (see ``mkl.takes``
    for the arrays they accept; the optimizer checks once per parameter)."""

    def add_scaled(self, x, alpha, y, out, sign=1.0):
        mkl.copy(x, out)
        mkl.axpby(alpha, y, sign, out)
        return out

    def scale_(self, x, factor):
        mkl.scale(factor, x)

    def axpby_(self, y, a, x, b, tmp):
        mkl.axpby(a, x, b, y)

    def lerp_(self, avg, target, weight, tmp):
        mkl.axpby(weight, target, 1 - weight, avg)

    def ema_square_(self, avg_sq, grad, beta, tmp):
        mkl.square(grad, tmp)
        mkl.axpby(1 - beta, tmp, beta, avg_sq)

    def add_ratio_(self, param, value, num, sq, eps, tmp):
        mkl.sqrt(sq, tmp)
        mkl.linear_frac(num, tmp, value, 0.0, 1.0, eps, tmp)
        mkl.axpby(1.0, tmp, 1.0, param)


UFUNCS = Ufuncs()
MKL = Mkl()


def chunk_size(arrays):
    """How many elements `run_chunked` hands the rule at a time: CHUNK for contiguous CPU
    arrays of more than CHUNKED_MIN elements (None entries aside), else all of them."""
    first = arrays[0]
    if first.size > CHUNKED_MIN and backend.device_of(first) == "cpu" and all(
            a.flags.c_contiguous for a in arrays if a is not None):
        return CHUNK
    return first.size


def run_chunked(rule, arrays, scratch, **hyper):
    """``rule(*arrays, scratch, **hyper)`` over cache-sized pieces of large CPU arrays.

    `arrays` (the parameter's first; None entries pass through) are updated in place;
    `scratch` holds flat work arrays of at least ``chunk_size(arrays)`` elements. The
    result is the same as one call over whole arrays (the rule is elementwise), and each
    of the rule's passes runs from cache. Arrays that `chunk_size` does not split get
    one whole call.
    """
    first = arrays[0]
    n = first.size
    if chunk_size(arrays) == n:
        rule(*arrays, tuple(b[:n].reshape(first.shape) for b in scratch), **hyper)
        return
    _run_pieces(rule, [None if a is None else a.reshape(-1) for a in arrays], scratch, 0, n, CHUNK, hyper)


# Two lanes: waking the sleeping worker costs ~60 us on the 2-core VM this was measured
# on, so only updates with enough work are split, counted as values times the rule's
# passes over them. Measured there (float32, quiet machine): Adam (~8 passes) breaks even
# at ~150K values and gains 1.3x at 262K (349 -> 267 us), 1.5x at 401K; SGD with momentum
# (~4 light passes) breaks even at ~400K and gains 1.1x at 524K; both 1.7-1.8x from 2M
# values (16M: SGD 16.7 -> 8.9 ms, Adam 34.7 -> 19.9). Hence 2M value-passes: Adam from
# 262K values, SGD with momentum from 512K, plain SGD from 1M. A rule whose passes cost
# more or less than Adam's says so in its count (Lion's sign() 16, Adamax 4, ASGD 2: where
# each was measured to break even). Each lane takes LANE_CHUNK
# values at a time: small enough to stay in cache, large enough that the lanes rarely
# wait for the GIL.
LANE_WORK = 1 << 21
LANE_CHUNK = 1 << 18


def _usable_cores():
    """Cores this process may use for updates: those it may run on, capped by
    OMP_NUM_THREADS where set, which torch's CPU kernels obey too (``bench.py --threads 1``
    sets it to compare one thread with one thread)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    return min(cores, int(omp)) if omp.isdigit() and int(omp) > 0 else cores


_CORES = _usable_cores()
_lane = (None, None)  # (pid, executor) of the worker thread; a forked child makes its own
_lane_lock = threading.Lock()


def _new_lock_after_fork():
    """A forked child gets a fresh lock: another thread may have held it at the fork."""
    global _lane_lock
    _lane_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_after_fork)


def takes_two_lanes(arrays, passes):
    """Whether `run_in_two_lanes` updates these arrays: contiguous CPU arrays (None entries
    aside) on which a rule making about `passes` passes does at least LANE_WORK
    value-passes of work, on a machine with two cores or more."""
    first = arrays[0]
    return (first.size * passes >= LANE_WORK and _CORES > 1 and backend.device_of(first) == "cpu"
            and all(a.flags.c_contiguous for a in arrays if a is not None))


def _second_lane():
    """The one worker thread that runs second halves (threads do not survive a fork)."""
    global _lane
    with _lane_lock:
        pid, executor = _lane
        if pid != os.getpid():
            executor = ThreadPoolExecutor(1, thread_name_prefix="minigrad-update")
            _lane = (os.getpid(), executor)
        return executor


def _run_pieces(rule, flat, scratch, lo, hi, piece, hyper):
    """``rule`` over values [lo, hi) of the flat arrays, `piece` values at a time."""
    for start in range(lo, hi, piece):
        stop = min(start + piece, hi)
        rule(*[None if a is None else a[start:stop] for a in flat], tuple(b[: stop - start] for b in scratch),
             **hyper)


def run_in_two_lanes(rule, arrays, scratch, **hyper):
    """``rule(*arrays, scratch, **hyper)`` for an elementwise rule, on two threads: the
    first half of the arrays here, the second in the worker. `arrays` are updated in
    place with the same values as one call over them; `scratch` holds flat work arrays of
    at least ``2 * LANE_CHUNK`` values (each lane uses its own part)."""
    flat = [None if a is None else a.reshape(-1) for a in arrays]  # views: takes_two_lanes checked
    n = flat[0].size
    half = n // 2
    mine = tuple(b[:LANE_CHUNK] for b in scratch)
    theirs = tuple(b[LANE_CHUNK:2 * LANE_CHUNK] for b in scratch)
    second = _second_lane().submit(_run_pieces, rule, flat, theirs, half, n, LANE_CHUNK, hyper)
    try:
        _run_pieces(rule, flat, mine, 0, half, LANE_CHUNK, hyper)
    finally:
        error = second.exception()  # waits: the worker must be done with the arrays either way
    if error is not None:
        raise error

