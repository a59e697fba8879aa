"""Regularisation against overfitting a small training set.

A wide MLP (2 -> 256 -> 256 -> 2) learns two noisy half-moons from only 50 points and
memorises them: its training cross-entropy goes to ~0 while the validation
cross-entropy (on 450 other points) turns around and climbs, and its decision boundary
curls around single noisy points. Six runs with identical data, initial weights and
optimizer (Adam) compare:

* none;
* L1 penalty, loss + lam * sum|w| (``F.l1_penalty``): drives many weights to zero;
* L2 penalty, loss + lam/2 * sum w^2 (``F.l2_penalty``): shrinks all weights;
* decoupled weight decay (``AdamW(weight_decay=...)``);
* dropout (p = 0.5 after each hidden layer);
* early stopping (``EarlyStopping(patience=10)``, best weights restored).

Penalties and decay apply to the weight matrices only (not biases). The table prints, per run,
the training and validation cross-entropy at the end (pure data loss, penalty excluded),
the gap between them, the test accuracy and the share of near-zero weights; the
figures show the train/validation curves of each run, their decision boundaries and
the weight distributions.

    python examples/regularization.py [--epochs 300] [--train-size 50]
"""
import _common
import minigrad as mg
from minigrad import nn, optim, train
from minigrad.nn import functional as F


def weights(model):
    return [p for n, p in model.named_parameters() if n.endswith("weight")]


def cross_entropy(pred, target):
    """The data term alone, logged as a metric so that penalties do not blur it."""
    return F.cross_entropy(pred, target)


def boundary(model, device, lim=3.0, n=150):
    """The model's probability of class 1 on a grid over the (standardised) plane."""
    import numpy as np

    gx, gy = np.meshgrid(np.linspace(-lim, lim, n), np.linspace(-lim, lim, n))
    points = mg.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32), device=device)
    model.eval()
    with mg.no_grad():
        prob = model(points).softmax(dim=1)[:, 1].detach().numpy()
    return gx, gy, prob.reshape(gx.shape)


def runs(args):
    """name -> (model factory, optimizer factory, loss factory model -> loss_fn, callbacks)."""
    ce = nn.CrossEntropyLoss()
    plain = lambda model: ce  # noqa: E731
    mlp = lambda p=0.0: _common.mlp((2, 256, 256, 2), batchnorm=False, dropout=p)  # noqa: E731
    adam = lambda m: optim.Adam(m.parameters(), lr=args.lr)  # noqa: E731
    return {
        "none": (mlp, adam, plain, []),
        f"L1 (lam={args.l1:g})": (mlp, adam, lambda m: lambda out, y: ce(out, y) + args.l1 * F.l1_penalty(weights(m)),
                                  []),
        f"L2 (lam={args.l2:g})": (mlp, adam, lambda m: lambda out, y: ce(out, y) + args.l2 * F.l2_penalty(weights(m)),
                                  []),
        f"AdamW weight_decay={args.wd:g}": (mlp, lambda m: optim.AdamW(
            [{"params": weights(m)}, {"params": [p for n, p in m.named_parameters() if not n.endswith("weight")],
                                      "weight_decay": 0.0}], lr=args.lr, weight_decay=args.wd), plain, []),
        f"dropout p={args.dropout:g}": (lambda: mlp(args.dropout), adam, plain, []),
        "early stopping": (mlp, adam, plain, [train.EarlyStopping(monitor="val_loss", patience=args.patience)]),
    }


def main():
    p = _common.parser("regularization", __doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--train-size", type=int, default=50, help="training points (of 1,000)")
    p.add_argument("--noise", type=float, default=0.35, help="std of the noise on the moons")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--l1", type=float, default=3e-4, help="L1 penalty strength")
    p.add_argument("--l2", type=float, default=1e-2, help="L2 penalty strength")
    p.add_argument("--wd", type=float, default=1.0, help="AdamW decoupled weight decay")
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--patience", type=int, default=20)
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.epochs = 3
    import numpy as np

    from minigrad.data import datasets

    n = 1000
    x, y = datasets.make_moons(n, noise=args.noise, random_state=args.seed)
    train_fraction = args.train_size / n
    split = _common.split_standardised(x.astype(np.float32), y, args.seed,
                                       (train_fraction, 0.45, 0.55 - train_fraction))
    train_loader, val_loader, test_loader = _common.split_loaders(split, 16, device, args.seed)
    print(f"two moons (noise {args.noise}): {len(split['train'][0])} training / {len(split['val'][0])} validation / "
          f"{len(split['test'][0])} test points; {args.epochs} epochs of Adam(lr={args.lr}), batch 16")
    results = {}
    for name, (make_model, make_opt, make_loss, callbacks) in runs(args).items():
        mg.manual_seed(args.seed)  # identical initial weights and batch order for every run
        model = make_model().to(device)
        history = train.fit(model, make_loss(model), make_opt(model), train_loader, args.epochs,
                            val_loader=val_loader, callbacks=callbacks, device=device, progress=False,
                            metrics={"xent": cross_entropy, "accuracy": train.accuracy})
        test = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, [train.accuracy], device=device)
        w = np.concatenate([p.detach().numpy().ravel() for p in weights(model)])
        results[name] = dict(h=history, test=test, w=w, stopped=callbacks[0].best_epoch if callbacks else None,
                             grid=boundary(model, device))

    rows = []
    for name, r in results.items():
        h = r["h"]
        i = -1 if r["stopped"] is None else r["stopped"]  # early stopping: the restored epoch
        rows.append((name, h["train_xent"][i], h["val_xent"][i], h["val_xent"][i] - h["train_xent"][i],
                     min(h["val_xent"]), f"{r['test']['accuracy']:.2%}", f"{np.mean(np.abs(r['w']) < 1e-3):.0%}"))
    print(_common.table(rows, ["run", "train xent", "val xent", "gap", "best val xent", "test acc",
                               "|w| < 1e-3"]))

    plt = _common.pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True, sharey=True)
    for ax, (name, r) in zip(axes.flat, results.items()):
        h = r["h"]
        ax.semilogy(h["epoch"], h["train_xent"], label="train")
        ax.semilogy(h["epoch"], h["val_xent"], label="validation")
        if r["stopped"] is not None:
            ax.axvline(r["stopped"] + 1, color="k", ls="--", lw=0.8, label="restored epoch")
        ax.set_title(f"{name}\ntest acc {r['test']['accuracy']:.1%}", fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("cross-entropy")
    axes[0, 0].legend()
    fig.tight_layout()
    _common.save(fig, args.out, "regularization_curves.png")

    fig, axes = plt.subplots(2, 3, figsize=(13, 8), sharex=True, sharey=True)
    xs, ys = split["train"]
    for ax, (name, r) in zip(axes.flat, results.items()):
        gx, gy, prob = r["grid"]
        ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(xs[:, 0], xs[:, 1], c=ys, cmap="RdBu_r", edgecolors="k", s=25)
        ax.set_title(f"{name}\ntest acc {r['test']['accuracy']:.1%}", fontsize=10)
    fig.suptitle("decision boundaries (points: the 50 training samples)")
    fig.tight_layout()
    _common.save(fig, args.out, "regularization_boundaries.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(-0.3, 0.3, 121)
    for name, r in results.items():
        ax.hist(r["w"], bins=bins, histtype="step", label=name, density=True)
    ax.set_yscale("log")
    ax.set_xlabel("weight value")
    ax.set_title("weight distributions after training")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _common.save(fig, args.out, "regularization_weights.png")


if __name__ == "__main__":
    main()
