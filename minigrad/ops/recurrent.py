"""Recurrences over time: one graph node per layer and direction for RNN, LSTM and GRU.

The input of every time step is projected at once (one matrix product, ``xw = x @ W_ih.T
+ b``): for RNN and GRU by an ordinary `linear` node before the op, for LSTM inside its op,
straight into the layout its loop works in. The op then runs the time loop on raw arrays.
Each step is a handful of array operations (a matrix product with ``W_hh`` and the fused
gate maths), not dozens of graph nodes, and backward walks the steps in reverse
(backpropagation through time) with whole-sequence products for the weight gradients.

Inputs and outputs (``T`` steps, batch ``B``, hidden size ``H``; time-major):

* ``xw`` (T, B, G): the input projection, G = H (RNN) or 3H (GRU: r, z, n); LSTM takes
  the input ``x`` (T, B, I), ``w_ih`` (4H, I) and the summed bias ``b_ih + b_hh`` (4H,)
  (or None) instead, gates i, f, g, o;
* ``w_hh`` (G, H); GRU also takes ``b_hh`` (G,), which its n gate needs apart
  (``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, PyTorch's formula); RNN and LSTM
  fold ``b_hh`` into the projection's bias;
* ``h0`` (B, H) (and ``c0`` for LSTM), or None for zeros;
* the output is (T, B, H), the hidden state of every step at its time position (a
  reverse direction runs from T-1 down to 0); LSTM returns (T + 1, B, H) with the last
  cell state ``c_T`` appended, so that ``c_n`` gets its gradient through the same node.

Sigmoid gates use ``sigmoid(x) = (1 + tanh(x / 2)) / 2``: the halving is folded into
the (copied) projections, which is exact in binary floating point, so one `tanh` serves
all gates of a step. After backward, ``time_observer`` (when set) receives the norm of
the gradient reaching each step's hidden state, ``||dL/dh_t||`` (a (T,) array, time
order): the tracer's view of gradients over time.
"""
from __future__ import annotations

from .. import backend
from ..backends import mkl
from ..autograd import Op

_mm = backend.matmul


class _Recurrence(Op):
    """What the three recurrences share: step order, h_{t-1} products, the observer."""

    time_observer = None  # set on the node by the layer when a tracer watches it

    def _steps(self, T):
        return range(T - 1, -1, -1) if self.reverse else range(T)

    def _prev_states(self, hs, h0):
        """(T, B, H) array of the state each step started from (h0 for the first step)."""
        xp = backend.array_module(hs)
        prev = xp.empty_like(hs)
        first, rest, src = (-1, slice(0, -1), slice(1, None)) if self.reverse else (0, slice(1, None), slice(0, -1))
        prev[rest] = hs[src]
        prev[first] = 0 if h0 is None else h0
        return prev

    def _hh_grad(self, dgates, hs, h0):
        """dL/dW_hh = sum_t dgates_t^T h_{t-1}, in two products and no copy."""
        T, B, G = dgates.shape
        H = hs.shape[-1]
        if self.reverse:
            body, src, first = slice(0, T - 1), slice(1, T), T - 1
        else:
            body, src, first = slice(1, T), slice(0, T - 1), 0
        gw = _mm(dgates[body].reshape(-1, G).T, hs[src].reshape(-1, H))
        if h0 is not None:
            gw += _mm(dgates[first].T, h0)
        return gw

    def _report(self, dh):
        """Hand ||dL/dh_t|| per step (kept on the device) to the observer, if any."""
        if self.time_observer is not None:
            xp = backend.array_module(dh)
            self.time_observer(xp.sqrt((dh * dh).sum(axis=(1, 2))))

    @staticmethod
    def _incoming(dh, g_t, dh_next):
        """dL/dh_t into `dh`: the output's own gradient plus what came back from t + 1."""
        if dh_next is None:
            dh[...] = g_t
        else:
            backend.array_module(dh).add(g_t, dh_next, out=dh)
        return dh

    @staticmethod
    def _gate_scale(xw, tanh_cols):
        """Per gate column: 0.5 where the gate is a sigmoid (sigmoid(x) = (1 + tanh(x/2)) / 2),
        1 in `tanh_cols`, where it is a tanh."""
        scale = backend.array_module(xw).full(xw.shape[-1], 0.5, dtype=xw.dtype)
        scale[tanh_cols] = 1
        return scale


class RNNSequence(_Recurrence):
    """Elman RNN: ``h_t = act(xw_t + h_{t-1} @ W_hh.T)``, act = tanh or relu."""

    def forward(self, xw, w_hh, h0=None, *, nonlinearity="tanh", reverse=False):
        xp = backend.array_module(xw)
        T, B, H = xw.shape
        self.reverse = reverse
        w_t = w_hh.T
        out = xp.empty_like(xw)
        h = h0
        for t in self._steps(T):
            a = out[t]
            if h is None:
                a[...] = xw[t]
            else:
                xp.add(xw[t], _mm(h, w_t), out=a)
            if nonlinearity == "tanh":
                xp.tanh(a, out=a)
            else:
                xp.maximum(a, 0, out=a)
            h = a
        self.relu = nonlinearity == "relu"
        self.saved = (out, w_hh, h0)
        return out

    def backward(self, g):
        out, w_hh, h0 = self.saved
        xp = backend.array_module(g)
        T, B, H = g.shape
        # d act / d pre-activation, from the outputs: 1 - tanh^2, or the relu mask
        deriv = (out > 0).astype(out.dtype) if self.relu else 1 - out * out
        dpre = xp.empty_like(g)
        dh_all = xp.empty_like(g)
        dh_next = None
        for t in reversed(self._steps(T)):
            dh = self._incoming(dh_all[t], g[t], dh_next)
            xp.multiply(dh, deriv[t], out=dpre[t])
            dh_next = _mm(dpre[t], w_hh)
        self._report(dh_all)
        nxt = self.next
        gw = self._hh_grad(dpre, out, h0) if nxt[1] is not None else None
        gh0 = dh_next if nxt[2] is not None else None
        return dpre, gw, gh0


class LSTMSequence(_Recurrence):
    """LSTM (gate order i, f, g, o, as PyTorch)::

        i, f, o = sigmoid(.), g = tanh(.)   of  x_t @ W_ih.T + b + h_{t-1} @ W_hh.T
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

    Inside, the forward pass keeps the gates in the order (i, f, o, g) (the sigmoid gates
    first); the pre-activations' gradient is written in PyTorch's order, from which the
    projection's gradients (x, W_ih, b) follow as in `linear`.
    """

    def forward(self, x, w_ih, bias, w_hh, h0=None, c0=None, *, reverse=False):
        xp = backend.array_module(x)
        T, B, I = x.shape
        G = w_ih.shape[0]
        H = G // 4
        self.reverse = reverse
        # The input projection of every step, made straight in the loop's layout: a fresh
        # (T, B, 4H) array in (i, f, o, g) order, sigmoid columns halved, where each
        # step's gates form (one pass less than projecting, then reordering a copy).
        gates = _mm(x.reshape(T * B, I), self._internal(w_ih, H).T).reshape(T, B, G)
        if bias is not None:
            gates += self._internal(bias, H)
        w_t = self._step_weight(w_hh, H)
        scale = self._gate_scale(gates, slice(3 * H, None))  # tanh -> sigmoid for i, f, o; g stays tanh
        shift = scale.copy()
        shift[3 * H:] = 0
        out = xp.empty((T + 1, B, H), dtype=x.dtype)
        cs = xp.empty((T, B, H), dtype=x.dtype)
        tc = xp.empty_like(cs)
        ig = xp.empty((B, H), dtype=x.dtype)
        h, c = h0, c0
        for t in self._steps(T):
            a = gates[t]
            if h is not None:
                a += _mm(h, w_t)
            xp.tanh(a, out=a)
            a *= scale  # whole contiguous rows: ~2x faster than scalar passes over a[:, :3H]
            a += shift
            i, f, o, gg = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            cn = cs[t]
            if c is None:
                xp.multiply(i, gg, out=cn)
            else:
                xp.multiply(f, c, out=cn)
                xp.multiply(i, gg, out=ig)
                cn += ig
            xp.tanh(cn, out=tc[t])
            xp.multiply(o, tc[t], out=out[t])
            h, c = out[t], cn
        out[T] = c
        self.saved = (x, w_ih, gates, cs, tc, out, w_hh, h0, c0)
        return out

    @staticmethod
    def _internal(w, H):
        """A copy of `w` (rows or entries in PyTorch's gate order i, f, g, o) in the loop's
        order (i, f, o, g) with the sigmoid gates' rows halved (exact: a power of two)."""
        xp = backend.array_module(w)
        inner = xp.empty_like(w)
        xp.multiply(w[:2 * H], 0.5, out=inner[:2 * H])
        xp.multiply(w[3 * H:], 0.5, out=inner[2 * H:3 * H])
        inner[3 * H:] = w[2 * H:3 * H]
        return inner

    @classmethod
    def _step_weight(cls, w_hh, H):
        """`_internal` of W_hh, transposed, in the layout each BLAS multiplies (32, 128) @
        (128, 512) fastest: C order for OpenBLAS (54 vs 72 us), MKL's transposed operand
        (56 vs 62 us)."""
        xp = backend.array_module(w_hh)
        w = cls._internal(w_hh, H)
        openblas = xp is backend.np and not mkl.is_available()
        return xp.ascontiguousarray(w.T) if openblas else w.T

    def backward(self, g):
        x, w_ih, gates, cs, tc, out, w_hh, h0, c0 = self.saved
        xp = backend.array_module(g)
        T, B, H = cs.shape
        a = gates.reshape(T, B, 4, H)
        i, f, o, gg = a[:, :, 0], a[:, :, 1], a[:, :, 2], a[:, :, 3]
        c_prev = self._prev_states(cs, c0)
        # Everything that does not depend on the incoming gradient, for all steps at once:
        # d pre-activation of (i, f, g) = dc * q, of o = dh * r; dc gets dh * o * (1 - tanh^2 c)
        q = xp.empty((T, B, 3, H), dtype=g.dtype)  # PyTorch's gate order: i, f, g
        xp.multiply(gg, i * (1 - i), out=q[:, :, 0])
        xp.multiply(c_prev, f * (1 - f), out=q[:, :, 1])
        xp.multiply(i, 1 - gg * gg, out=q[:, :, 2])
        r = tc * (o * (1 - o))
        otc = o * (1 - tc * tc)
        dgates = xp.empty((T, B, 4, H), dtype=g.dtype)  # the pre-activations', PyTorch's order
        dh_all = xp.empty((T, B, H), dtype=g.dtype)
        dh_next, dc_next = None, g[T]
        for t in reversed(self._steps(T)):
            dh = self._incoming(dh_all[t], g[t], dh_next)
            dc = dh * otc[t]
            dc += dc_next
            xp.multiply(dc[:, None, :], q[t], out=dgates[t, :, :3])
            xp.multiply(dh, r[t], out=dgates[t, :, 3])
            dc_next = dc * f[t]
            dh_next = _mm(dgates[t].reshape(B, 4 * H), w_hh)
        self._report(dh_all)
        need = self.needs_input_grad
        # the projection's gradients from the pre-activations' (PyTorch's gate order)
        rows = dgates.reshape(T * B, 4 * H)
        gx = _mm(rows, w_ih).reshape(x.shape) if need[0] else None
        gw_ih = _mm(rows.T, x.reshape(T * B, x.shape[-1])) if need[1] else None
        gb = rows.sum(axis=0) if need[2] else None
        gw_hh = self._hh_grad(dgates.reshape(T, B, 4 * H), out[:T], h0) if need[3] else None
        gh0 = dh_next if need[4] else None
        gc0 = dc_next if need[5] else None
        return gx, gw_ih, gb, gw_hh, gh0, gc0


class GRUSequence(_Recurrence):
    """GRU (gate order r, z, n, as PyTorch)::

        r, z = sigmoid(xw_rz + h @ W_hrz.T + b_hrz)
        n = tanh(xw_n + r * (h @ W_hn.T + b_hn)),   h_t = (1 - z) * n + z * h_{t-1}
    """

    def forward(self, xw, w_hh, b_hh=None, h0=None, *, reverse=False):
        xp = backend.array_module(xw)
        T, B, G = xw.shape
        H = G // 3
        self.reverse = reverse
        scale = self._gate_scale(xw, slice(2 * H, None))
        gates = xw * scale
        w_t = (w_hh * scale[:, None]).T
        b_s = None if b_hh is None else b_hh * scale
        ghn = xp.empty((T, B, H), dtype=xw.dtype)  # W_hn h + b_hn, which n's gradient needs
        out = xp.empty((T, B, H), dtype=xw.dtype)
        h = h0
        for t in self._steps(T):
            a = gates[t]
            if h is None:
                gh = xp.zeros((B, G), dtype=xw.dtype) if b_s is None else xp.broadcast_to(b_s, (B, G))
            else:
                gh = _mm(h, w_t)
                if b_s is not None:
                    gh += b_s
            rz = a[:, :2 * H]
            rz += gh[:, :2 * H]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            ghn[t] = gh[:, 2 * H:]
            n = a[:, 2 * H:]
            n += a[:, :H] * ghn[t]
            xp.tanh(n, out=n)
            hn = out[t]
            if h is None:
                xp.multiply(a[:, H:2 * H], n, out=hn)
                xp.subtract(n, hn, out=hn)
            else:
                xp.subtract(h, n, out=hn)
                hn *= a[:, H:2 * H]
                hn += n
            h = hn
        self.saved = (gates, ghn, out, w_hh, h0)
        return out

    def backward(self, g):
        gates, ghn, out, w_hh, h0 = self.saved
        xp = backend.array_module(g)
        T, B, H = g.shape
        r, z, n = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:]
        h_prev = self._prev_states(out, h0)
        # gradient-independent factors for all steps at once:
        # dn_pre = dh * pn, dz_pre = dh * pz, dr_pre = dn_pre * pr
        pn = (1 - z) * (1 - n * n)
        pz = (h_prev - n) * (z * (1 - z))
        pr = ghn * (r * (1 - r))
        dx = xp.empty((T, B, 3 * H), dtype=g.dtype)
        dgh = xp.empty_like(dx)
        dh_all = xp.empty((T, B, H), dtype=g.dtype)
        dh_next = None
        for t in reversed(self._steps(T)):
            dh = self._incoming(dh_all[t], g[t], dh_next)
            dn = xp.multiply(dh, pn[t], out=dx[t, :, 2 * H:])
            xp.multiply(dh, pz[t], out=dx[t, :, H:2 * H])
            xp.multiply(dn, pr[t], out=dx[t, :, :H])
            dgh[t, :, :2 * H] = dx[t, :, :2 * H]
            xp.multiply(dn, r[t], out=dgh[t, :, 2 * H:])
            dh_next = _mm(dgh[t], w_hh)
            dh_next += dh * z[t]
        self._report(dh_all)
        nxt = self.next
        gw = _mm(dgh.reshape(-1, 3 * H).T, h_prev.reshape(-1, H)) if nxt[1] is not None else None
        gb = dgh.sum(axis=(0, 1)) if nxt[2] is not None else None
        gh0 = dh_next if nxt[3] is not None else None
        return dx, gw, gb, gh0
