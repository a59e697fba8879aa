"""Property-based tests (hypothesis): broadcasting binary ops on random compatible shapes.

For any pair of broadcast-compatible shapes, the forward result equals NumPy's and the
gradient of ``sum(f(a, b))`` with respect to each input has that input's shape and equals
the analytic value (and torch's, where installed).
"""
import numpy as np
import pytest
from conftest import to_np

import minigrad as mg

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)

# op name -> (minigrad/torch function, numpy function, d/da, d/db of sum(f(a, b)))
OPS = {
    "add": (lambda a, b: a + b, np.add, lambda a, b: np.ones_like(a), lambda a, b: np.ones_like(b)),
    "sub": (lambda a, b: a - b, np.subtract, lambda a, b: np.ones_like(a), lambda a, b: -np.ones_like(b)),
    "mul": (lambda a, b: a * b, np.multiply, lambda a, b: b, lambda a, b: a),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: 1 / b, lambda a, b: -a / b**2),
    # ties (drawn often: values repeat) split the gradient evenly, as torch does
    "maximum": (lambda a, b: a.maximum(b), np.maximum,
                lambda a, b: (a > b) + 0.5 * (a == b), lambda a, b: (b > a) + 0.5 * (a == b)),
}


@st.composite
def broadcast_pair(draw):
    """Two float64 arrays whose shapes broadcast (dims of 1 and missing leading dims)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3))
    a_shape, b_shape = shapes.input_shapes
    values = st.floats(0.5, 2.0) | st.floats(-2.0, -0.5)  # away from 0: div stays smooth
    a = draw(hnp.arrays(np.float64, a_shape, elements=values))
    b = draw(hnp.arrays(np.float64, b_shape, elements=values))
    if draw(st.booleans()):  # swap, so the larger shape is on either side
        a, b = b, a
    return a, b


def _analytic_grad(local, x, out_shape):
    """Sum d(out)/d(x) (broadcast to the output) back to x's shape."""
    g = np.broadcast_to(local, out_shape)
    extra = g.ndim - x.ndim
    g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    return g.sum(axis=axes, keepdims=True).reshape(x.shape)


def _check(name, a, b, device, torch=None):
    fn, np_fn, da, db = OPS[name]
    x = mg.tensor(a, device=device, requires_grad=True)
    y = mg.tensor(b, device=device, requires_grad=True)
    out = fn(x, y)
    expected = np_fn(a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-12)
    out.sum().backward()
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    a_b, b_b = np.broadcast_arrays(a, b)
    local_a, local_b = da(a_b, b_b), db(a_b, b_b)
    _assert_sums_close(to_np(x.grad), _analytic_grad(local_a, a, expected.shape), local_a, a, expected.shape)
    _assert_sums_close(to_np(y.grad), _analytic_grad(local_b, b, expected.shape), local_b, b, expected.shape)
    if torch is not None:
        tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
        fn(tx, ty).sum().backward()
        _assert_sums_close(to_np(x.grad), tx.grad.detach().numpy(), local_a, a, expected.shape)
        _assert_sums_close(to_np(y.grad), ty.grad.detach().numpy(), local_b, b, expected.shape)


def _assert_sums_close(got, expected, local, x, out_shape):
    """Gradients summed over broadcast dims, compared to within rounding of the summed terms.

    Summation order differs (NumPy, minigrad, torch), and terms of both signs can cancel
    to a sum far smaller than themselves: the error is bounded by the terms' magnitudes,
    so the tolerance is too (rtol alone failed at -0.99999 + 0.5 + 0.5).
    """
    terms = _analytic_grad(np.abs(local), x, out_shape)
    assert np.all(np.abs(got - expected) <= 1e-12 * np.abs(expected) + 16 * np.finfo(np.float64).eps * terms), (
        f"{got} != {expected}"
    )


def _run_property(name, device, torch=None):
    @SETTINGS
    @given(broadcast_pair())
    def run(pair):
        _check(name, *pair, device, torch)

    run()


@pytest.mark.parametrize("name", sorted(OPS))
def test_broadcast_forward_equals_numpy_and_gradients_the_analytic_value(name, device):
    _run_property(name, device)


@pytest.mark.parametrize("name", sorted(OPS))
def test_broadcast_gradients_equal_torchs(name, device, torch):
    _run_property(name, device, torch)


@SETTINGS
@given(broadcast_pair(), st.sampled_from([2.5, -1.5, 3]), st.booleans())
def test_python_scalar_on_either_side_keeps_shape_and_dtype(pair, scalar, left):
    a = pair[0].astype(np.float32)
    x = mg.tensor(a, requires_grad=True)
    out = (scalar * x - x / scalar) if left else (x * scalar + scalar / x)
    assert out.shape == a.shape and out.dtype == mg.float32
    out.sum().backward()
    first, second = (scalar, -1 / scalar) if left else (scalar, -scalar / a**2)
    expected = np.broadcast_to(first + second, a.shape)
    # the two float32 terms can cancel (a = +-1 on the right): the rounding error scales
    # with the terms' magnitudes, not with their near-zero sum
    atol = 8 * np.finfo(np.float32).eps * (abs(first) + np.abs(second))
    assert np.all(np.abs(to_np(x.grad) - expected) <= 1e-5 * np.abs(expected) + atol)


@SETTINGS
@given(broadcast_pair())
def test_expand_then_sum_is_the_identity_on_gradients(pair):
    a, b = pair
    shape = np.broadcast_shapes(a.shape, b.shape)
    x = mg.tensor(a, requires_grad=True)
    x.expand(*shape).sum().backward()
    assert x.grad.shape == a.shape
    np.testing.assert_allclose(to_np(x.grad), np.full(a.shape, np.prod(shape) / max(a.size, 1)))
