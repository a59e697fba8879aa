"""Gradients through time: a vanilla RNN forgets, LSTM and GRU remember; an exploding RNN, clipped.

The task needs memory over T steps: the first input of each sequence is one of K symbols
(one-hot), the next T - 1 inputs are noise, and the network must name the symbol at the
end (from its last hidden state). Chance is 1/K. Data are generated here.

* vanilla tanh RNN (PyTorch's default init): backpropagation through time multiplies
  the gradient by the recurrent Jacobian at every step, so what reaches the first step
  is many orders of magnitude smaller than what reaches the last; it stays at chance;
* LSTM and GRU: their additive state update carries the gradient across the sequence
  once their gates start open (the LSTM's forget-gate bias at 5, the GRU's update-gate
  bias at 3: a memory init, without which both stay at chance within this budget);
  they learn the task;
* an exploding ReLU RNN (recurrent weights 1.25 * I: spectral radius 1.25 > 1), trained
  with and without gradient clipping (clip_grad_norm_ = 1).

A GradientTracer records ||dL/dh_t|| for every time step of each run and diagnoses it.
Printed: accuracy, the first/last-step gradient ratio and each verdict (diagnosis.txt).
Figure: accuracy over training, ||dL/dh_t|| over time, and the exploding runs.

    python examples/rnn_gradients.py [--T 60] [--steps 600]
"""
import numpy as np

import _common
import minigrad as mg
from minigrad import nn
from minigrad.trace import GradientTracer

K, HIDDEN, BATCH = 4, 32, 32


class Recall(nn.Module):
    """A recurrent layer read at its last time step by a linear head."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(rnn.hidden_size, K)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def batch(rng, T, device, noise=0.2):
    """(T, BATCH, K) inputs: a one-hot symbol at t = 0, Gaussian noise after; the symbols."""
    y = rng.integers(0, K, BATCH)
    x = rng.normal(0, noise, (T, BATCH, K)).astype(np.float32)
    x[0] = 0
    x[0, np.arange(BATCH), y] = 1
    return mg.tensor(x, device=device), mg.tensor(y, device=device)


def build(kind):
    if kind == "RNN":
        return Recall(nn.RNN(K, HIDDEN))
    if kind == "exploding":
        rnn = nn.RNN(K, HIDDEN, nonlinearity="relu")
        with mg.no_grad():
            rnn.weight_hh_l0.copy_(1.25 * mg.eye(HIDDEN))
        return Recall(rnn)
    rnn = getattr(nn, kind)(K, HIDDEN)
    with mg.no_grad():  # open the LSTM's forget gate (sigmoid(5) = 0.993) / the GRU's update gate (0.95)
        rnn.bias_hh_l0[HIDDEN:2 * HIDDEN] = 5.0 if kind == "LSTM" else 3.0
    return Recall(rnn)


def train(kind, T, steps, lr, device, seed, clip=None):
    """Train one model; returns per-step loss and accuracy and the tracer."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build(kind).to(device)
    opt = mg.optim.Adam(model.parameters(), lr=lr)
    losses, accs = [], []
    with GradientTracer(model, every=max(1, steps // 40)) as tracer, _common.np_errstate():
        for _ in range(steps):
            x, y = batch(rng, T, device)
            opt.zero_grad()
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
            accs.append(float((logits.detach().numpy().argmax(1) == y.numpy()).mean()))
    return np.array(losses), np.array(accs), tracer


def smooth(v, k):
    k = max(1, min(k, len(v)))
    return np.convolve(v, np.ones(k) / k, mode="valid")


def main():
    p = _common.parser("rnn_gradients", __doc__.split("\n\n")[0])
    p.add_argument("--T", type=int, default=60, help="sequence length: steps the symbol must be remembered")
    p.add_argument("--steps", type=int, default=600, help="training steps (batches of 32) per model")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.T, args.steps = 30, 30
    plt = _common.pyplot()
    runs, rows, report = {}, [], []
    setups = [("RNN", "RNN", 1e-2, None), ("LSTM", "LSTM", 1e-2, None), ("GRU", "GRU", 1e-2, None),
              ("exploding", "exploding", 1e-2, None), ("exploding + clip", "exploding", 1e-2, 1.0)]
    for label, kind, lr, clip in setups:
        with _common.Timer(device) as timer:
            losses, accs, tracer = train(kind, args.T, args.steps, lr, device, args.seed, clip)
        d = tracer.diagnose()
        time_grads = tracer.history("time_grad_norm")
        runs[label] = (losses, accs, time_grads, tracer.recorded_steps())
        ratio = d.details.get("time", {}).get("rnn", {}).get("time_ratio", float("nan"))
        tail = accs[-max(1, len(accs) // 10):]
        final_loss = losses[-1] if np.isfinite(losses[-1]) else float("nan")
        rows.append((label, final_loss, float(np.mean(tail)), ratio, d.status, f"{timer.seconds:.1f}s"))
        report.append(f"== {label} ==\n{d}\n")
    print(f"\nrecall a symbol after T = {args.T} steps ({K} symbols, chance {1 / K:.2f}), {args.steps} Adam steps")
    print(_common.table(rows, ["model", "final loss", "accuracy (last 10%)", "grad h_0 / h_T", "diagnosis", "time"]))
    _common.write_text(args.out, "diagnosis.txt", "\n".join(report))

    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    colors = {"RNN": "#d62728", "LSTM": "#1f77b4", "GRU": "#2ca02c", "exploding": "#ff7f0e",
              "exploding + clip": "#9467bd"}
    k = max(1, args.steps // 20)
    ax = axes[0, 0]
    for label in ("RNN", "LSTM", "GRU"):
        ax.plot(smooth(runs[label][1], k), color=colors[label], label=label)
    ax.axhline(1 / K, color="grey", ls=":", label="chance")
    ax.set(title=f"(a) recall after T = {args.T} steps: accuracy", xlabel="step", ylabel="accuracy (moving avg)")
    ax.legend()
    ax = axes[0, 1]
    for label in ("RNN", "LSTM", "GRU"):
        g = runs[label][2]
        ax.plot(np.nanmedian(g[-max(1, len(g) // 4):], axis=0), color=colors[label], label=label)
    ax.set_yscale("log")
    ax.set(title="(b) gradient reaching each hidden state, end of training", xlabel="time step t",
           ylabel="||dL/dh_t||")
    ax.legend()
    ax = axes[1, 0]
    for label in ("exploding", "exploding + clip"):
        ax.plot(smooth(runs[label][0], k), color=colors[label], label=label)
    ax.set_yscale("log")
    ax.set(title="(c) ReLU RNN, W_hh = 1.25 I: loss", xlabel="step", ylabel="cross-entropy (moving avg)")
    ax.legend()
    ax = axes[1, 1]
    g = runs["exploding"][2]
    ax.plot(g[0], color=colors["exploding"], label="first step")
    ax.set_yscale("log")
    ax.set(title="(d) exploding RNN: ||dL/dh_t|| at the first step", xlabel="time step t", ylabel="||dL/dh_t||")
    ax.legend()
    for a in axes.flat:
        a.grid(alpha=0.3)
    fig.tight_layout()
    _common.save(fig, args.out, "rnn_gradients.png")


if __name__ == "__main__":
    main()
