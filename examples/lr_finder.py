"""The learning-rate range test (``mg.train.lr_find``) on the digits MLP, then checked.

lr_find trains for up to 100 mini-batches while the learning rate grows exponentially
from 1e-7 to 10, records the (smoothed) loss, stops once it diverges, and restores the
model and optimizer. The suggested rate is where the loss falls fastest. To check it,
the same MLP is then trained for a few epochs at the suggestion, at 1/30 of it and at 30
times it; the table and the figure show the suggestion training best or close to it.

    python examples/lr_finder.py [--optimizer sgd|adam] [--epochs 8]
"""
import _common
import minigrad as mg
from minigrad import nn, optim, train


def make(args, device):
    mg.manual_seed(args.seed)  # the same initial weights for the test and every check
    model = _common.mlp((64, 128, 128, 10), batchnorm=True, dropout=0.1).to(device)
    if args.optimizer == "sgd":
        return model, optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, optim.Adam(model.parameters(), lr=1e-3)


def main():
    p = _common.parser("lr_finder", __doc__.split("\n\n")[0])
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--num-iter", type=int, default=100)
    p.add_argument("--epochs", type=int, default=8, help="epochs of each check run")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.num_iter, args.epochs = 30, 1
    split = _common.digits(args.seed)
    train_loader, val_loader, _ = _common.split_loaders(split, 32, device, args.seed)

    model, opt = make(args, device)
    result = train.lr_find(model, nn.CrossEntropyLoss(), opt, train_loader, start_lr=1e-7, end_lr=10,
                           num_iter=args.num_iter, device=device)
    print(result)
    print(f"{len(result.lrs)} steps from lr {result.lrs[0]:.1e} to {result.lrs[-1]:.2g}; smoothed loss from "
          f"{result.losses[0]:.3f} down to {min(result.losses):.3f}")
    if result.suggested_lr is None:
        print("no suggestion: too few steps before the loss diverged (lower start_lr or raise num_iter)")
        return
    lr = result.suggested_lr
    print(f"suggested learning rate (steepest descent of the smoothed loss): {lr:.3g}")
    plt = _common.pyplot()
    fig = result.plot()
    _common.save(fig, args.out, "lr_find.png")

    checks = {f"lr/30 = {lr / 30:.2g}": lr / 30, f"suggested {lr:.2g}": lr, f"lr*30 = {lr * 30:.2g}": lr * 30}
    rows, histories = [], {}
    for name, rate in checks.items():
        model, opt = make(args, device)
        for group in opt.param_groups:
            group["lr"] = rate
        with _common.np_errstate():
            h = train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, args.epochs, val_loader=val_loader,
                          metrics=[train.accuracy], device=device, progress=False)
        histories[name] = h
        rows.append((name, h["train_loss"][-1], h["val_loss"][-1], f"{h['val_accuracy'][-1]:.2%}"))
    print(f"\nchecks: {args.epochs} epochs of {args.optimizer.upper()} at three learning rates")
    print(_common.table(rows, ["learning rate", "train loss", "val loss", "val accuracy"]))

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, h in histories.items():
        ax.semilogy(h["epoch"], h["val_loss"], marker=".", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_title("training at, below and above the suggestion")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    _common.save(fig, args.out, "lr_find_check.png")


if __name__ == "__main__":
    main()
