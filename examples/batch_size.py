"""Choosing the batch size: time to a target validation loss, and final generalisation.

The same MLP learns a noisy 4-class problem (1,800 training samples) with Adam at batch
sizes from 8 to the full set; the learning rate grows with the square root of the batch
size (``--scale``), a common rule for adaptive optimizers. For each size the table shows
the throughput (samples per second: bigger batches use the hardware better), the epochs
and seconds needed to reach a validation loss every size reaches, the best and final
validation loss and the train/validation gap (the target: 1.1 times the best validation
loss of any size). Small batches make the most progress per
epoch but pay per-step overhead; very large ones take few, exact steps and need many
epochs. The strategy printed at the end: the fastest size to the target whose best
validation loss is within 2% of the best of all sizes.

The trainings run through ``mg.train.sweep`` (``--backend processes|ray|serial``,
``--workers N``), which also draws best validation loss against batch size.

    python examples/batch_size.py [--sizes 8 32 128 512 0] [--epochs 20]    (0 = full batch)
"""
import functools
import os

import _common
import minigrad as mg
from minigrad import nn, optim, train


def run(config, lr, scale, epochs, samples, seed, device):
    """One training at ``config["batch_size"]`` (0 = full batch): what each sweep worker runs."""
    split = _common.noisy_classes(samples, seed)
    n_train = len(split["train"][0])
    bs = n_train if config["batch_size"] <= 0 else min(config["batch_size"], n_train)
    lr = lr * {"none": 1.0, "sqrt": (bs / 32) ** 0.5, "linear": bs / 32}[scale]
    mg.manual_seed(seed)  # the same initial weights for every size
    model = _common.mlp((20, 128, 128, 4), batchnorm=False).to(device)
    loader = _common.loader(split["train"], bs, device, shuffle=True, seed=seed)
    val_loader = _common.loader(split["val"], 1024, device)
    h = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), loader, epochs,
                  val_loader=val_loader, metrics=[train.accuracy], device=device, progress=False)
    return {"batch": bs, "lr": lr, "steps": len(loader), "n_train": n_train, "best_val_loss": min(h["val_loss"]),
            **{k: h[k] for k in ("epoch", "time", "train_loss", "val_loss", "val_accuracy")}}


def main():
    p = _common.parser("batch_size", __doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[8, 32, 128, 512, 0], help="batch sizes; 0 = full batch")
    p.add_argument("--target-ratio", type=float, default=1.1,
                   help="target validation loss = this times the best loss any size reached")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate at batch size 32")
    p.add_argument("--scale", choices=("none", "sqrt", "linear"), default="sqrt",
                   help="how the learning rate follows the batch size")
    p.add_argument("--samples", type=int, default=3000)
    p.add_argument("--backend", choices=("processes", "ray", "serial"), default="processes",
                   help="where mg.train.sweep runs the trainings")
    p.add_argument("--workers", type=int, default=1,
                   help="trainings at once (1 keeps the wall-clock comparison fair: no run shares the cores)")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.sizes, args.epochs, args.samples = [16, 0], 2, 800
    import numpy as np

    train_fn = functools.partial(run, lr=args.lr, scale=args.scale, epochs=args.epochs, samples=args.samples,
                                 seed=args.seed, device=device)
    table = train.sweep(train_fn, {"batch_size": args.sizes}, backend=args.backend, max_workers=args.workers)
    results = {r["batch"]: r for r in table}
    n_train = table[0]["n_train"]
    sweep_png = os.path.join(args.out, "batch_size_sweep.png")
    table.plot("batch", "best_val_loss", path=sweep_png, hue=[])  # log x: the sizes span decades
    print(f"wrote {sweep_png}")

    best = min(r["best_val_loss"] for r in results.values())
    target = args.target_ratio * best
    rows, reach = [], {}
    for bs, h in results.items():
        t = np.cumsum(h["time"])
        hits = np.nonzero(np.array(h["val_loss"]) <= target)[0]
        reach[bs] = (int(hits[0]) + 1, float(t[hits[0]])) if len(hits) else (None, float("inf"))
        epochs, seconds = ("never", "never") if not len(hits) else (reach[bs][0], reach[bs][1])
        rows.append((bs, h["lr"], h["steps"], n_train * len(h["time"]) / t[-1], epochs, seconds, min(h["val_loss"]),
                     h["val_loss"][-1], h["val_loss"][-1] - h["train_loss"][-1], f"{h['val_accuracy'][-1]:.1%}"))
    print(f"noisy 4-class problem: {n_train} training samples, Adam, lr scaled '{args.scale}', {args.epochs} epochs")
    print(f"target validation loss: {target:.4f} ({args.target_ratio:g} x the best of all sizes, {best:.4f})")
    print(_common.table(rows, ["batch", "lr", "steps/epoch", "samples/s", "epochs to target", "s to target",
                               "best val loss", "final val loss", "final gap", "final val acc"]))
    good = [bs for bs, r in results.items() if r["best_val_loss"] <= 1.02 * best]
    pick = min(good, key=lambda bs: reach[bs][1])  # every one of them reaches the target
    print(f"strategy: of the sizes whose best validation loss is within 2% of the best ({good}), batch {pick} "
          f"reaches the target first ({reach[pick][1]:.2f} s)")

    plt = _common.pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4))
    for bs, h in results.items():
        ax1.plot(h["epoch"], h["val_loss"], marker=".", label=f"batch {bs}")
        ax2.plot(np.cumsum(h["time"]), h["val_loss"], marker=".", label=f"batch {bs}")
    for ax in (ax1, ax2):
        ax.axhline(target, color="k", ls="--", lw=0.8, label="target")
        ax.set_ylabel("validation loss")
        ax.grid(alpha=0.3)
    ax1.set_xlabel("epoch")
    ax2.set_xlabel("wall-clock time (s)")
    ax2.set_xscale("log")
    ax1.legend(fontsize=8)
    sizes = list(results)
    ax3.bar([str(b) for b in sizes], [reach[b][1] if reach[b][0] else 0 for b in sizes], color="C0")
    for i, b in enumerate(sizes):
        if reach[b][0] is None:
            ax3.text(i, 0, "never", ha="center", va="bottom")
    ax3.set_xlabel("batch size")
    ax3.set_ylabel("seconds to the target loss")
    ax3b = ax3.twinx()
    ax3b.plot([str(b) for b in sizes], [results[b]["best_val_loss"] for b in sizes], "o-", color="C3")
    ax3b.set_ylabel("best validation loss", color="C3")
    ax3.set_title("time to target vs generalisation")
    fig.tight_layout()
    _common.save(fig, args.out, "batch_size.png")


if __name__ == "__main__":
    main()
