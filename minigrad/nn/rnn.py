"""Recurrent layers: `RNN`, `LSTM`, `GRU` and their one-step cells.

PyTorch's arguments, parameter names (``weight_ih_l{k}[_reverse]``, ...), shapes, gate
order (i, f, g, o for LSTM; r, z, n for GRU), default init (every parameter, in
registration order, from U(-1/sqrt(hidden), 1/sqrt(hidden))) and returns. Each layer
and direction is at most two graph nodes: the input projection of all time steps as one
matrix product (`linear`; inside the op for LSTM) and the time loop
(`minigrad.ops.recurrent`).

A tracer watching a sequence layer sets ``_time_grad_hook``; the layer then asks the
recurrence of its first layer to report ``||dL/dh_t||`` per step during backward.
"""
from __future__ import annotations

import math
import warnings

from ..ops import cat, linear, stack
from ..ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from ..tensor import Tensor
from . import functional as F
from . import init
from .layers import _new_param
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_size(v, name, owner, minimum=1):
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {v!r}")


def _direction(mode, x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse):
    """One layer in one direction over the whole sequence x (T, B, in).

    Returns (output (T, B, H), h_n, c_n or None, the recurrence's node or None).
    """
    if mode == "GRU":
        y = GRUSequence.apply(linear(x, w_ih, b_ih), w_hh, b_hh, h0, reverse=reverse)
    else:
        # RNN and LSTM add both biases before any nonlinearity: fold b_hh into the projection
        bias = None if b_ih is None else b_ih + b_hh
        if mode == "LSTM":  # its op projects the input itself, into the layout its loop uses
            y = LSTMSequence.apply(x, w_ih, bias, w_hh, h0, c0, reverse=reverse)
        else:
            y = RNNSequence.apply(linear(x, w_ih, bias), w_hh, h0, nonlinearity="relu" if mode == "RNN_RELU" else "tanh",
                                  reverse=reverse)
    T = x.shape[0]
    last = 0 if reverse else T - 1
    if mode == "LSTM":
        return y[:T], y[last], y[T], y.grad_fn
    return y, y[last], None, y.grad_fn


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, argument checks and the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_size(input_size, "input_size", name, 0)
        _check_size(hidden_size, "hidden_size", name)
        _check_size(num_layers, "num_layers", name)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and num_layers=1",
                stacklevel=3,
            )
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self._time_grad_hook = None
        gate_size = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for pname, shape in shapes:
                    setattr(self, pname + sfx, _new_param(shape, device, dtype))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        if self.bias:
            return tuple(getattr(self, n + sfx) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        return getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), None, None

    def _check_hidden(self, h, batch, batched, what):
        dirs = 2 if self.bidirectional else 1
        expected = (self.num_layers * dirs, batch, self.hidden_size) if batched else (self.num_layers * dirs, self.hidden_size)
        if not isinstance(h, Tensor):
            raise TypeError(f"{type(self).__name__}: {what} must be a Tensor, got {type(h).__name__}")
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{type(self).__name__}: expected {what} of shape {expected}, got {tuple(h.shape)}")

    def _check_input(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of 2 (unbatched) or 3 (batched) dims, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]} (input shape {tuple(input.shape)})")
        if input.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{name}: input dtype {input.dtype} does not match the weights' dtype {self.weight_ih_l0.dtype}")

    def _run(self, input, hx, cx):
        """The layer loop on time-major batched input; returns (output, h_n, c_n or None)."""
        dirs = 2 if self.bidirectional else 1
        x = input
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                h0 = None if hx is None else hx[k]
                c0 = None if cx is None else cx[k]
                y, h_n, c_n, node = _direction(self.mode, x, *self._weights(layer, d), h0, c0, reverse=bool(d))
                if layer == 0 and node is not None and self._time_grad_hook is not None:
                    node.time_observer = self._time_grad_hook(d)
                outs.append(y)
                hs.append(h_n)
                cs.append(c_n)
            x = outs[0] if dirs == 1 else cat(outs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(hs, 0), (stack(cs, 0) if self.mode == "LSTM" else None)

    def _forward(self, input, hx):
        self._check_input(input)
        batched = input.ndim == 3
        lstm = self.mode == "LSTM"
        if lstm and hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        hidden = list(hx) if lstm and hx is not None else ([hx] if hx is not None else [])
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        for i, h in enumerate(hidden):
            self._check_hidden(h, input.shape[1], batched, ("h_0", "c_0")[i])
            if not batched:
                hidden[i] = h.unsqueeze(1)
        hx, cx = (hidden + [None, None])[:2]
        out, h_n, c_n = self._run(input, hx, cx)
        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, ((h_n, c_n) if lstm else h_n)

    def forward(self, input, hx=None):
        return self._forward(input, hx)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``forward(input, h_0=None)`` -> ``(output, h_n)``; input (T, B, input_size), or
    (B, T, input_size) with ``batch_first``, or (T, input_size) unbatched; h_0 and h_n
    are (num_layers * num_directions, B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gate order i, f, g, o, as PyTorch)::

        i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(...)
        c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)

    ``forward(input, (h_0, c_0)=None)`` -> ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gate order r, z, n, as PyTorch)::

        r, z = sigmoid(W_i* x + b_i* + W_h* h + b_h*)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

    ``forward(input, h_0=None)`` -> ``(output, h_n)``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


# ---------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_size(input_size, "input_size", name, 0)
        _check_size(hidden_size, "hidden_size", name)
        self.mode = mode
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = _GATES[mode] * hidden_size
        self.weight_ih = _new_param((gate_size, input_size), device, dtype)
        self.weight_hh = _new_param((gate_size, hidden_size), device, dtype)
        self.register_parameter("bias_ih", _new_param((gate_size,), device, dtype) if bias else None)
        self.register_parameter("bias_hh", _new_param((gate_size,), device, dtype) if bias else None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _step(self, input, hx, cx):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of 1 (unbatched) or 2 (batched) dims, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        states = []
        for what, h in (("hx", hx), ("cx", cx)):
            if h is not None and tuple(h.shape) != expected:
                raise RuntimeError(f"{name}: {what} has shape {tuple(h.shape)}, expected {expected}")
            states.append(h if h is None or batched else h.unsqueeze(0))
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        # a cell is the sequence recurrence with one time step
        _, h, c, _ = _direction(self.mode, x.unsqueeze(0), *weights, states[0], states[1], reverse=False)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h, c

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu); ``forward(input, hx=None)``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c)=None)`` -> ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        return self._step(input, *(hx if hx is not None else (None, None)))


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, hx=None)`` -> ``h'``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]
