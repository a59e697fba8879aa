"""mg.backends.mkl: CPU products and vector routines through MKL agree with NumPy; fallbacks are clean.

The MKL cases skip where the ``mkl`` wheel is not installed (or MINIGRAD_BLAS=numpy);
the fallback cases run everywhere. Everything here is host-side (NumPy arrays).
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.backends import mkl as blas

needs_mkl = pytest.mark.skipif(not blas.is_available(), reason="the mkl wheel is not installed (or MINIGRAD_BLAS=numpy)")


def _rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _layouts(m, k, dtype, seed):
    """The same (m, k) matrix as C-contiguous, Fortran-ordered, a transposed view, and rows of a wider one."""
    base = _rand((m, k), dtype, seed)
    wide = np.zeros((m, k + 3), dtype)
    wide[:, 1:k + 1] = base
    tall = np.zeros((m + 2, k), dtype).T.copy().T  # F-ordered storage with spare rows
    tall[:m] = base
    return {
        "C": base,
        "F": np.asfortranarray(base),
        "T-view": np.ascontiguousarray(base.T).T,
        "row-slice": wide[:, 1:k + 1],
        "col-slice": tall[:m],
    }


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout_a", ["C", "F", "T-view", "row-slice", "col-slice"])
@pytest.mark.parametrize("layout_b", ["C", "F", "T-view", "row-slice", "col-slice"])
def test_mkl_matmul_matches_numpy_in_every_layout(dtype, layout_a, layout_b):
    a = _layouts(47, 61, dtype, 1)[layout_a]
    b = _layouts(61, 29, dtype, 2)[layout_b]  # 47 * 61 * 29 multiply-adds: above GEMM_MIN_WORK
    out = blas.matmul(a, b)
    with blas.flags(enabled=False):
        expected = blas.matmul(a, b)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    assert out.dtype == dtype and out.shape == (47, 29) and out.flags.c_contiguous
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("shape", [(4, 20, 64), (2, 3, 5, 64), (0, 20, 64), (4, 0, 64)])
def test_a_stack_of_rows_times_a_matrix_is_one_product_with_or_without_mkl(enabled, shape, monkeypatch):
    """(..., k) @ (k, n) as one (rows, k) @ (k, n) product: NumPy alone would loop over the stack."""
    a, b = _rand(shape, np.float32), _rand((64, 32), np.float32, 1)
    products = []
    numpy_matmul = np.matmul
    monkeypatch.setattr(blas.np, "matmul", lambda x, y: products.append(x.ndim) or numpy_matmul(x, y))
    with blas.flags(enabled=enabled):
        out = blas.matmul(a, b)
    monkeypatch.undo()
    assert out.shape == shape[:-1] + (32,) and out.flags.c_contiguous
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-5, atol=1e-5)
    assert all(ndim == 2 for ndim in products)  # never a stacked NumPy product


@needs_mkl
def test_products_too_small_for_a_foreign_call_stay_with_numpy(monkeypatch):
    calls = []
    monkeypatch.setattr(blas, "_gemm", lambda lib, a, b: calls.append(a.shape) or np.matmul(a, b))
    small, w = _rand((8, 16), np.float32), _rand((16, 16), np.float32)
    np.testing.assert_array_equal(blas.matmul(small, w), np.matmul(small, w))
    assert calls == []
    large = _rand((64, 64), np.float32)
    blas.matmul(large, large)
    assert calls == [(64, 64)]


@pytest.mark.parametrize("a, b", [
    (_rand((3, 4), np.int64), _rand((4, 2), np.int64)),            # integers: BLAS has none
    (_rand((3, 4), np.float32), _rand((4, 2), np.float64)),        # mixed dtypes: NumPy promotes
    (_rand((0, 4), np.float32), _rand((4, 2), np.float32)),        # empty
    (_rand((3, 0), np.float32), _rand((0, 2), np.float32)),        # empty inner dim: zeros
    (_rand((2, 3, 4), np.float32), _rand((2, 4, 5), np.float32)),  # batched on both sides
    (_rand((2, 4, 3), np.float32).swapaxes(1, 2), _rand((4, 5), np.float32)),  # a stack not in C order
    (_rand((2, 3, 0), np.float32), _rand((0, 5), np.float32)),      # a stack with an empty inner dim
    (_rand((4,), np.float32), _rand((4, 2), np.float32)),          # 1-D operand
    (_rand((6, 4), np.float32)[::-2], _rand((4, 2), np.float32)),  # negative strides
    (np.broadcast_to(_rand((1, 4), np.float32), (3, 4)), _rand((4, 2), np.float32)),  # zero stride
])
def test_matmul_falls_back_to_numpy_for_what_blas_cannot_take(a, b):
    np.testing.assert_allclose(blas.matmul(a, b), np.matmul(a, b), rtol=1e-6, atol=1e-6)


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_routines_match_numpy(dtype):
    n = blas.VECTOR_MIN_SIZE + 5
    x, y = _rand(n, dtype), _rand(n, dtype, 1)
    ulps = dict(rtol=2 * np.finfo(dtype).eps, atol=0)
    out = np.empty_like(x)
    expected = dtype(0.25) * x + dtype(0.75) * y
    blas.axpby(0.25, x, 0.75, y)
    # the two terms may cancel: MKL (with FMA or not) and NumPy agree to a few ulps of the
    # terms' magnitudes, not of their near-zero sum
    terms = np.abs(dtype(0.25) * x) + np.abs(dtype(0.75) * _rand(n, dtype, 1))
    assert np.all(np.abs(y - expected) <= 2 * np.finfo(dtype).eps * terms)
    blas.copy(x, out)
    np.testing.assert_array_equal(out, x)
    blas.scale(-0.3, out)
    np.testing.assert_array_equal(out, x * dtype(-0.3))  # one rounding, as NumPy's
    blas.square(x, out)
    np.testing.assert_allclose(out, x * x, **ulps)
    blas.sqrt(np.abs(x), out)
    np.testing.assert_allclose(out, np.sqrt(np.abs(x)), **ulps)
    with np.errstate(invalid="ignore"):
        blas.sqrt(-np.abs(x), out)
    assert np.isnan(out).all()
    denominator = np.abs(y) + 1
    blas.linear_frac(x, denominator, 2.0, 1.0, 3.0, 0.5, out)
    exact = (2 * x + 1) / (3 * denominator + 0.5)
    scale = (np.abs(2 * x) + 1) / (3 * denominator + 0.5)  # 2x + 1 cancels near x = -0.5
    assert np.all(np.abs(out - exact) <= 4 * np.finfo(dtype).eps * scale)
    blas.linear_frac(x, denominator, -0.5, 0.0, 1.0, 1e-3, denominator)  # in place, on its own input
    np.testing.assert_allclose(denominator, -0.5 * x / (np.abs(y) + 1 + 1e-3), rtol=4 * np.finfo(dtype).eps)


def test_takes_only_large_contiguous_float_arrays_of_one_shape_and_dtype():
    n = blas.VECTOR_MIN_SIZE
    big = _rand(n, np.float32)
    assert blas.takes(big, _rand(n, np.float32)) == blas.is_available()
    assert not blas.takes(_rand(10, np.float32), _rand(10, np.float32))           # small: NumPy is faster
    assert not blas.takes(_rand(n, np.float64), big)                             # dtypes differ
    assert not blas.takes(_rand(2 * n, np.float32)[::2], big)                    # not contiguous
    assert not blas.takes(_rand((2, n // 2), np.float32), big)                   # shapes differ
    assert not blas.takes(big, np.arange(n))                                     # not floating
    frozen = _rand(n, np.float32)
    frozen.flags.writeable = False
    assert not blas.takes(big, frozen)                                          # output read-only
    with blas.flags(enabled=False):
        assert not blas.takes(big, _rand(n, np.float32))


def test_flags_turn_mkl_off_inside_the_block_and_back_on_after():
    was = blas.is_available()
    with blas.flags(enabled=False):
        assert not blas.is_available()
        assert blas.name().startswith("NumPy")
    assert blas.is_available() == was
    assert blas.name().startswith("Intel MKL" if was else "NumPy")


def test_training_the_same_model_with_and_without_mkl_agrees(device):
    """Linear layers and SGD-momentum (the two users of MKL) give the same run either way."""
    def run():
        mg.manual_seed(0)
        model = mg.nn.Sequential(mg.nn.Linear(12, 16), mg.nn.ReLU(), mg.nn.Linear(16, 3)).to(device).double()
        opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.1)
        x = mg.randn(40, 12, device=device, dtype=mg.float64)
        y = mg.randint(0, 3, (40,), device=device)
        for _ in range(5):
            opt.zero_grad()
            mg.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return [p.detach().numpy() for p in model.parameters()]

    fast = run()
    with blas.flags(enabled=False):
        plain = run()
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# every optimizer whose rule is built from the blocks with an MKL path (axpby_, lerp_,
# ema_square_, add_ratio_)
VECTOR_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.05, betas=(0.6, 0.9))),  # beta1 < 0.5: lerp_'s other form
    ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Lion", dict(lr=0.01, weight_decay=0.5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", VECTOR_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VECTOR_CASES)])
def test_optimizers_on_a_parameter_large_enough_for_mkl_agree_with_numpy(device, name, kwargs, dtype):
    """Above VECTOR_MIN_SIZE the updates may take MKL's vector routines: the trajectory
    matches the ufunc path, to rounding."""
    n = blas.VECTOR_MIN_SIZE + 1000  # a full chunk and a ragged one

    def run():
        p = mg.tensor(_rand(n, dtype), device=device, requires_grad=True)
        opt = getattr(mg.optim, name)([p], **kwargs)
        for k in range(4):
            p.grad = mg.tensor(_rand(n, dtype, seed=10 + k), device=device)
            opt.step()
        return p.detach().numpy()

    fast = run()
    with blas.flags(enabled=False):
        plain = run()
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(fast, plain, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_fused_false_gives_the_numpy_trajectory_whatever_is_installed(name):
    """fused=False always takes the ufunc path (torch's rounding), as with MKL switched off."""
    n = blas.VECTOR_MIN_SIZE + 1000

    def run(**fused):
        p = mg.tensor(_rand(n, np.float32), requires_grad=True)
        opt = getattr(mg.optim, name)([p], lr=0.05, **fused)
        for k in range(3):
            p.grad = mg.tensor(_rand(n, np.float32, seed=10 + k))
            opt.step()
        return p.detach().numpy()

    unfused = run(fused=False)
    with blas.flags(enabled=False):
        plain = run()
    np.testing.assert_array_equal(unfused, plain)


def test_fused_true_without_mkl_is_a_clear_error():
    p = mg.zeros(3, requires_grad=True)
    with blas.flags(enabled=False):
        with pytest.raises(RuntimeError, match="fused=True needs Intel MKL"):
            mg.optim.Adam([p], fused=True)


def test_backend_probes_answer_without_raising():
    assert isinstance(mg.backends.mkl.is_available(), bool)
    assert mg.backends.cuda.is_available() == mg.cuda.is_available()
    assert mg.backends.mps.is_available() is False


def test_mkl_is_not_loaded_by_importing_minigrad():
    import subprocess
    import sys

    code = ("import minigrad, minigrad.backends.mkl as b; assert b._lib is None and not b._searched; "
            "print('lazy')")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "lazy"
