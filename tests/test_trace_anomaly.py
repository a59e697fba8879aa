"""detect_anomaly names the op, its inputs and where it was created, forward and backward."""
import inspect
import os

import pytest

import minigrad as mg


def _line_of(marker):
    src = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(n for n, line in enumerate(src, 1) if marker in line and "_line_of" not in line)


@pytest.mark.filterwarnings("ignore:invalid value")
def test_forward_nan_names_op_inputs_and_creation_site(device):
    x = mg.tensor([1.0, -1.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        with mg.autograd.detect_anomaly():
            x.log()  # forward-site
    msg = str(err.value)
    assert "LogBackward0 produced NaN in its forward output" in msg
    assert "(2,) float32 on " + device in msg
    assert f'{os.path.basename(__file__)}", line {_line_of("# forward-site")}' in msg


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_backward_inf_names_op_inputs_and_creation_site(device):
    x = mg.tensor([0.0, 4.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        with mg.autograd.detect_anomaly():
            y = x.sqrt()  # backward-site
            y.sum().backward()
    msg = str(err.value)
    assert "SqrtBackward0 produced Inf in its backward gradient for input 0" in msg
    assert "(2,) float32 on " + device in msg
    assert f'{os.path.basename(__file__)}", line {_line_of("# backward-site")}' in msg


def test_finite_values_pass_and_anomaly_mode_is_restored(device):
    x = mg.tensor([1.0, 4.0], device=device, requires_grad=True)
    with mg.autograd.detect_anomaly():
        x.sqrt().sum().backward()
    assert not mg.autograd.is_anomaly_enabled()
    assert x.grad is not None
