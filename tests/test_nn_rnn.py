"""Recurrent layers and cells (RNN, LSTM, GRU) against torch.nn, float64."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from nn_parity import assert_close, copy_to_torch

rng = np.random.default_rng(0)
T, B, IN, H = 5, 3, 4, 6

# (minigrad/torch class name, constructor kwargs): every layer kind, and the options
LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
OPTIONS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True},
    {"batch_first": True},
    {"bias": False},
]


def _pair(torch, kind, kwargs, device):
    m = getattr(nn, kind)(IN, H, **kwargs).to(device).double()
    t = copy_to_torch(m, getattr(torch.nn, kind)(IN, H, **kwargs).double())
    return m, t


def _states(torch, kind, shape, device, requires_grad=True):
    """h0 (and c0 for LSTM) as minigrad and torch tensors of the same values."""
    n = 2 if kind == "LSTM" else 1
    arrays = [rng.standard_normal(shape) for _ in range(n)]
    ms = [mg.tensor(a, device=device, requires_grad=requires_grad) for a in arrays]
    ts = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return (tuple(ms), tuple(ts)) if kind == "LSTM" else (ms[0], ts[0])


def _flat(out):
    """(output, h_n) or (output, (h_n, c_n)) -> [output, h_n(, c_n)]."""
    y, h = out
    return [y, *h] if isinstance(h, tuple) else [y, h]


def _compare_run(torch, m, t, x, device, hx=None, rtol=1e-10, atol=1e-12):
    """Forward both; backward a random weighting of every output; compare all values,
    every parameter's gradient, the input's and the initial states' gradients."""
    xm = mg.tensor(x, device=device, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    hm, ht = hx if hx is not None else (None, None)
    outs_m = _flat(m(xm) if hm is None else m(xm, hm))
    outs_t = _flat(t(xt) if ht is None else t(xt, ht))
    loss_m, loss_t = 0, 0
    for k, (om, ot) in enumerate(zip(outs_m, outs_t)):
        assert_close(om, ot, rtol, atol, f"output {k}")
        w = rng.standard_normal(om.shape)
        loss_m = loss_m + (om * mg.tensor(w, device=device)).sum()
        loss_t = loss_t + (ot * torch.tensor(w)).sum()
    loss_m.backward()
    loss_t.backward()
    assert_close(xm.grad, xt.grad, rtol, atol, "grad of input")
    tparams = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"grad of {name}")
    if hm is not None:
        for a, b in zip(hm if isinstance(hm, tuple) else (hm,), ht if isinstance(ht, tuple) else (ht,)):
            assert_close(a.grad, b.grad, rtol, atol, "grad of the initial state")


# ---------------------------------------------------------------------------- layers
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("kind,kwargs", LAYERS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_recurrent_layer_matches_torch(torch, device, kind, kwargs, options):
    m, t = _pair(torch, kind, {**kwargs, **options}, device)
    shape = (B, T, IN) if options.get("batch_first") else (T, B, IN)
    _compare_run(torch, m, t, rng.standard_normal(shape), device)


@pytest.mark.parametrize("kind,kwargs", LAYERS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}], ids=["one", "two_bidir"])
def test_recurrent_layer_with_initial_state_matches_torch(torch, device, kind, kwargs, options):
    m, t = _pair(torch, kind, {**kwargs, **options}, device)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    hx = _states(torch, kind, (layers, B, H), device)
    _compare_run(torch, m, t, rng.standard_normal((T, B, IN)), device, hx)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_takes_unbatched_input_as_torch(torch, device, kind):
    m, t = _pair(torch, kind, {"num_layers": 2}, device)
    hx = _states(torch, kind, (2, H), device)
    _compare_run(torch, m, t, rng.standard_normal((T, IN)), device, hx)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_float32_close_to_torch(torch, device, kind):
    m = getattr(nn, kind)(IN, H).to(device)
    t = copy_to_torch(m, getattr(torch.nn, kind)(IN, H))
    x = rng.standard_normal((T, B, IN)).astype(np.float32)
    ym, yt = _flat(m(mg.tensor(x, device=device)))[0], _flat(t(torch.tensor(x)))[0]
    assert ym.dtype == mg.float32
    assert_close(ym, yt, rtol=1e-5, atol=1e-6)


def test_dropout_between_layers_is_identity_in_eval(torch, device):
    m, t = _pair(torch, "LSTM", {"num_layers": 2, "dropout": 0.5}, device)
    m.eval()
    t.eval()
    _compare_run(torch, m, t, rng.standard_normal((T, B, IN)), device)


def test_dropout_between_layers_drops_in_training(device):
    m = nn.GRU(IN, H, num_layers=2, dropout=0.9).to(device).double()
    x = mg.tensor(rng.standard_normal((T, B, IN)), device=device)
    m.eval()
    y_eval = m(x)[0].detach().numpy()
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), y_eval)


# ---------------------------------------------------------------------------- API
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_parameter_names_and_shapes_match_torch(torch, kind):
    kw = {"num_layers": 2, "bidirectional": True}
    m, t = getattr(nn, kind)(IN, H, **kw), getattr(torch.nn, kind)(IN, H, **kw)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bias": False, "dropout": 0.5}, {"batch_first": True, "bidirectional": True}])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_repr_matches_torch(torch, kind, kwargs):
    assert repr(getattr(nn, kind)(3, 4, **kwargs)) == repr(getattr(torch.nn, kind)(3, 4, **kwargs))


@pytest.mark.parametrize("kind,kwargs", [("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {"bias": False}), ("GRUCell", {})])
def test_cell_repr_matches_torch(torch, kind, kwargs):
    assert repr(getattr(nn, kind)(3, 4, **kwargs)) == repr(getattr(torch.nn, kind)(3, 4, **kwargs))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    m = getattr(nn, kind)(40, 100)
    bound = 1 / math.sqrt(100)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound


def test_default_init_draws_parameters_in_registration_order():
    mg.manual_seed(5)
    m = nn.LSTM(3, 4, num_layers=2)
    mg.manual_seed(5)
    first = mg.empty(16, 3)
    mg.nn.init.uniform_(first, -0.5, 0.5)
    assert np.array_equal(m.weight_ih_l0.detach().numpy(), first.numpy())


def test_lstm_returns_output_and_state_pair(device):
    out, (h, c) = nn.LSTM(IN, H, num_layers=3).to(device)(mg.randn(T, B, IN, device=device))
    assert out.shape == (T, B, H) and h.shape == (3, B, H) and c.shape == (3, B, H)


def test_bidirectional_output_concatenates_both_directions(device):
    out, h = nn.GRU(IN, H, bidirectional=True, batch_first=True).to(device)(mg.randn(B, T, IN, device=device))
    assert out.shape == (B, T, 2 * H) and h.shape == (2, B, H)
    # the forward direction ends at the last step, the reverse one at the first
    assert_close(out[:, -1, :H], h[0])
    assert_close(out[:, 0, H:], h[1])


def test_wrong_input_size_names_the_sizes():
    with pytest.raises(RuntimeError, match="Expected 4, got 5"):
        nn.LSTM(4, 3)(mg.randn(2, 1, 5))


def test_wrong_hidden_shape_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(1, 2, 3\)"):
        nn.GRU(4, 3)(mg.randn(5, 2, 4), mg.randn(1, 3, 3))


def test_lstm_needs_a_state_pair():
    with pytest.raises(TypeError, match="h_0, c_0"):
        nn.LSTM(4, 3)(mg.randn(5, 2, 4), mg.randn(1, 2, 3))


def test_input_of_wrong_rank_is_rejected():
    with pytest.raises(ValueError, match="2 .*or 3"):
        nn.RNN(4, 3)(mg.randn(5, 2, 1, 4))


def test_unknown_nonlinearity_is_rejected():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(4, 3, nonlinearity="sigmoid")


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(4, 3, dropout=0.2)


def test_modifying_the_output_in_place_before_backward_raises(device):
    m = nn.RNN(IN, H).to(device).double()
    out, _ = m(mg.randn(T, B, IN, device=device, dtype=mg.float64))
    loss = (out * out).sum()
    with mg.no_grad():
        out.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        loss.backward()


# ---------------------------------------------------------------------------- cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {}),
         ("LSTMCell", {"bias": False}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("with_state", [False, True], ids=["no_state", "state"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind,kwargs", CELLS, ids=["rnn", "rnn_relu", "lstm", "gru", "lstm_nobias", "gru_nobias"])
def test_cell_matches_torch(torch, device, kind, kwargs, batched, with_state):
    m = getattr(nn, kind)(IN, H, **kwargs).to(device).double()
    t = copy_to_torch(m, getattr(torch.nn, kind)(IN, H, **kwargs).double())
    shape = (B, H) if batched else (H,)
    hx = _states(torch, "LSTM" if kind == "LSTMCell" else kind, shape, device) if with_state else None
    x = rng.standard_normal((B, IN) if batched else (IN,))
    xm, xt = mg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    om = m(xm) if hx is None else m(xm, hx[0])
    ot = t(xt) if hx is None else t(xt, hx[1])
    om, ot = (list(om), list(ot)) if kind == "LSTMCell" else ([om], [ot])
    lm, lt = 0, 0
    for a, b in zip(om, ot):
        assert_close(a, b, what="output")
        w = rng.standard_normal(a.shape)
        lm, lt = lm + (a * mg.tensor(w, device=device)).sum(), lt + (b * torch.tensor(w)).sum()
    lm.backward()
    lt.backward()
    assert_close(xm.grad, xt.grad, what="grad of input")
    tparams = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tparams[name].grad, what=f"grad of {name}")


def test_cell_unrolled_over_time_equals_the_layer(device):
    layer = nn.LSTM(IN, H).to(device).double()
    cell = nn.LSTMCell(IN, H).to(device).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = mg.tensor(rng.standard_normal((T, B, IN)), device=device)
    out, (h_n, c_n) = layer(x)
    h = c = mg.zeros(B, H, device=device, dtype=mg.float64)
    for t in range(T):
        h, c = cell(x[t], (h, c))
        assert_close(h, out[t])
    assert_close(c, c_n[0])


def test_cell_wrong_state_shape_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(3, 5\)"):
        nn.GRUCell(4, 5)(mg.randn(2, 4), mg.randn(3, 5))


# ---------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_sequence_gradcheck(device, reverse, nonlinearity):
    # positive pre-activations keep relu away from its kink, where differences break down
    xw = mg.tensor(rng.uniform(0.5, 1.5, (3, 2, 2)), device=device, requires_grad=True)
    w = mg.tensor(rng.uniform(0.1, 0.5, (2, 2)), device=device, requires_grad=True)
    h0 = mg.tensor(rng.uniform(0.1, 0.5, (2, 2)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda a, b, c: RNNSequence.apply(a, b, c, nonlinearity=nonlinearity, reverse=reverse), [xw, w, h0])


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_gradcheck(device, reverse):
    x = mg.tensor(rng.standard_normal((3, 2, 3)), device=device, requires_grad=True)
    w_ih = mg.tensor(rng.standard_normal((8, 3)), device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(8), device=device, requires_grad=True)
    w_hh = mg.tensor(rng.standard_normal((8, 2)), device=device, requires_grad=True)
    h0, c0 = (mg.tensor(rng.standard_normal((2, 2)), device=device, requires_grad=True) for _ in range(2))
    assert mg.gradcheck(lambda *a: LSTMSequence.apply(*a, reverse=reverse), [x, w_ih, b, w_hh, h0, c0])


@pytest.mark.parametrize("reverse", [False, True])
def test_gru_sequence_gradcheck(device, reverse):
    xw = mg.tensor(rng.standard_normal((3, 2, 6)), device=device, requires_grad=True)
    w = mg.tensor(rng.standard_normal((6, 2)), device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(6), device=device, requires_grad=True)
    h0 = mg.tensor(rng.standard_normal((2, 2)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda *a: GRUSequence.apply(*a, reverse=reverse), [xw, w, b, h0])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_layer_gradcheck_through_all_parameters(device, kind):
    m = getattr(nn, kind)(2, 2, num_layers=2, bidirectional=True).to(device).double()
    x = mg.tensor(rng.standard_normal((3, 2, 2)), device=device, requires_grad=True)
    names = [n for n, _ in m.named_parameters()]

    def run(x, *params):
        for n, p in zip(names, params):
            m._parameters[n] = p
        return _flat(m(x))[0]

    assert mg.gradcheck(run, [x, *m.parameters()])
