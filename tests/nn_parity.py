"""Helpers for comparing `mg.nn` with `torch.nn` on the same numbers (float64)."""
import numpy as np

import minigrad as mg
from conftest import to_np

TOL = dict(rtol=1e-10, atol=1e-12)


def assert_close(a, b, rtol=TOL["rtol"], atol=TOL["atol"], what=""):
    a, b = to_np(a), to_np(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def pair(torch, array, device, requires_grad=True):
    """The same values as a minigrad tensor on `device` and a torch tensor."""
    rg = requires_grad and array.dtype.kind == "f"
    return (mg.tensor(array, device=device, requires_grad=rg),
            torch.tensor(array, requires_grad=rg))


def check_fn(torch, mg_fn, torch_fn, arrays, device, grad=True, rtol=TOL["rtol"], atol=TOL["atol"]):
    """Forward of both on the same inputs; then backward with one random upstream
    gradient and compare every input's gradient. Returns the outputs."""
    pairs = [pair(torch, a, device, grad) for a in arrays]
    out_m = mg_fn(*[p[0] for p in pairs])
    out_t = torch_fn(*[p[1] for p in pairs])
    assert_close(out_m, out_t, rtol, atol, "forward")
    if grad and out_m.requires_grad:
        g = np.random.default_rng(1).standard_normal(out_m.shape).astype(out_m.dtype)
        out_m.backward(mg.tensor(g, device=device))
        out_t.backward(torch.tensor(g))
        for i, (m, t) in enumerate(pairs):
            if t.grad is not None:
                assert m.grad is not None, f"input {i} got no gradient"
                assert_close(m.grad, t.grad, rtol, atol, f"grad of input {i}")
    return out_m, out_t


def copy_to_torch(mg_module, torch_module):
    """Load mg_module's state into torch_module (strict): same numbers in both."""
    import torch

    torch_module.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in mg_module.state_dict().items()}, strict=True
    )
    return torch_module


def check_module(torch, mg_module, torch_module, x, device, rtol=TOL["rtol"], atol=TOL["atol"]):
    """Same forward output, input gradient and parameter gradients for one batch."""
    out_m, out_t = check_fn(torch, mg_module, torch_module, [x], device, rtol=rtol, atol=atol)
    tparams = dict(torch_module.named_parameters())
    for name, p in mg_module.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"grad of {name}")
    return out_m, out_t
