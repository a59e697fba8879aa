"""Batch vs stochastic vs mini-batch gradient descent on a linear regression.

The three variants differ only in the DataLoader's batch size: the whole data set (batch
gradient descent: one exact, smooth step per epoch), 1 (stochastic gradient descent: N
cheap, noisy steps per epoch), or 32 (mini-batch: the usual compromise). All three are
compared with the exact least-squares solution (closed form, ``numpy.linalg.lstsq``):
the printed table gives each one's excess loss over the optimum and its distance to the
optimal weights, and the figure plots the excess loss by epoch and by wall-clock time.
Per epoch, SGD and mini-batch GD (many steps each) get close first, then stall at a
noise floor set by their learning rate; batch GD descends smoothly, one exact step per
epoch, and passes them once it has taken enough steps. In wall-clock time the picture
changes: one vectorised step over 1,000 samples costs about as much as one step over 32
or 1, so SGD's N steps per epoch make it by far the slowest per epoch of time.

    python examples/gd_variants.py [--samples 1000] [--epochs 30]
"""
import _common
import minigrad as mg
from minigrad import data, nn, optim, train
from minigrad.data import datasets


def least_squares(x, y):
    """The exact minimiser of the mean squared error (weights, bias, loss)."""
    import numpy as np

    a = np.hstack([x, np.ones((len(x), 1), x.dtype)]).astype(np.float64)
    sol, *_ = np.linalg.lstsq(a, y.astype(np.float64), rcond=None)
    loss = float(np.mean((a @ sol - y) ** 2))
    return sol[:-1, 0], sol[-1, 0], loss


def run(name, batch_size, lr, x, y, epochs, device, seed):
    """Train nn.Linear with SGD at this batch size; return the history and the final weights."""
    mg.manual_seed(seed)  # same initial weights for every variant
    model = nn.Linear(x.shape[1], 1)
    dataset = data.TensorDataset(mg.tensor(x), mg.tensor(y))
    loader = data.DataLoader(dataset, batch_size=batch_size, shuffle=True, device=device,
                             generator=mg.Generator().manual_seed(seed))
    full = data.DataLoader(dataset, batch_size=len(dataset), device=device)
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=lr)
    model.to(device)
    start = train.evaluate(model, loss_fn, full)["loss"]
    # val_loader=full: the loss on the whole data set after each epoch (the running mean
    # of batch losses would flatter SGD, whose early batches saw worse weights)
    history = train.fit(model, loss_fn, opt, loader, epochs, val_loader=full,
                        progress=False, device=device)
    return start, history, model


def main():
    p = _common.parser("gd_variants", __doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--features", type=int, default=10)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--target", type=float, default=1e-3, help="excess loss the time-to-target columns measure")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.samples, args.epochs = 200, 4
    import numpy as np

    x, y = datasets.make_regression(n_samples=args.samples, n_features=args.features, noise=20.0,
                                    random_state=args.seed)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)  # standardised: one learning rate suits every weight
    y = ((y - y.mean()) / y.std()).astype(np.float32).reshape(-1, 1)
    w_opt, b_opt, loss_opt = least_squares(x, y)
    print(f"closed-form least squares: loss {loss_opt:.5f} (the floor no gradient method can beat)")

    variants = [("batch GD", len(x), 0.25), ("mini-batch GD", 32, 0.05), ("SGD (batch 1)", 1, 0.005)]
    results = {}
    for name, bs, lr in variants:
        start, history, model = run(name, bs, lr, x, y, args.epochs, device, args.seed)
        w = model.weight.detach().numpy()[0]
        results[name] = dict(bs=bs, lr=lr, start=start, h=history,
                             w_err=float(np.linalg.norm(w - w_opt)), steps=-(-len(x) // bs))
    rows = []
    for name, r in results.items():
        h = r["h"]
        excess = np.array(h["val_loss"]) - loss_opt
        hit = np.nonzero(excess < args.target)[0]
        first = int(hit[0]) if len(hit) else None
        rows.append((name, r["bs"], r["lr"], r["steps"] * args.epochs, h["val_loss"][-1], float(excess[-1]),
                     r["w_err"], "never" if first is None else str(first + 1),
                     "never" if first is None else f"{sum(h['time'][:first + 1]):.3f}", sum(h["time"])))
    print(_common.table(rows, ["variant", "batch", "lr", "steps", "final loss", "excess loss", "|w - w*|",
                               f"epochs to excess<{args.target:g}", "seconds to it", "total s"]))
    plt = _common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    floor = 1e-7  # float32 resolution of a loss near this size: below it the difference is rounding
    for name, r in results.items():
        excess = np.maximum(np.array([r["start"]] + r["h"]["val_loss"]) - loss_opt, floor)
        ax1.semilogy(np.arange(len(excess)), excess, marker=".", label=f"{name} (lr {r['lr']})")
        ax2.loglog(np.cumsum(r["h"]["time"]), excess[1:], marker=".", label=name)
    ax1.set_xlabel("epoch")
    ax2.set_xlabel("wall-clock training time (s, log scale)")
    for ax in (ax1, ax2):
        ax.set_ylabel("loss - least-squares optimum")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    ax1.set_title("excess loss by epoch")
    ax2.set_title("excess loss by wall-clock time")
    fig.tight_layout()
    _common.save(fig, args.out, "gd_variants.png")


if __name__ == "__main__":
    main()
