"""Vanishing and exploding gradients in a deep stack, seen, diagnosed and fixed.

Five 24-layer MLPs learn the two-spirals problem while a GradientTracer records the
gradient reaching every layer:

* sigmoid, default init — sigmoid' <= 1/4, so the gradient shrinks by a constant factor
  per layer: the first layers get less than 1e-20 of the last one's gradient (float32
  underflows to 0) and never learn;
* ReLU + He init (kaiming_normal_) — the gain keeps the signal's scale through depth;
* sigmoid + BatchNorm — normalising each layer's input keeps sigmoid in its steep range;
* exploding: ReLU with 1.5x the He standard deviation — the gradient *grows* ~1.5x per
  layer, and SGD's steps blow the weights up (NaN);
* the same exploding stack with gradient clipping (clip_grad_norm_ = 1) — the steps stay
  bounded and training proceeds.

Printed: each setup's final loss/accuracy, the ratio of the first to the last layer's
gradient, and the tracer's diagnosis (also written to diagnosis.txt). Figures: a
gradient heatmap per setup and one comparison of the gradient norm by depth.

    python examples/vanishing_gradients.py [--depth 24] [--epochs 15]
"""
import math

import _common
import minigrad as mg
from minigrad import nn, optim, train
from minigrad.data import datasets
from minigrad.trace import GradientTracer


def stack(depth, width, activation, init=None, batchnorm=False):
    """`depth` hidden Linear layers (+ BatchNorm) + activation, 2 inputs, 2 logits."""
    layers, n_in = [], 2
    for _ in range(depth):
        linear = nn.Linear(n_in, width)
        if init is not None:
            init(linear)
        layers += [linear] + ([nn.BatchNorm1d(width)] if batchnorm else []) + [activation()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(width, 2))


def he(scale=1.0):
    def init(linear):
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        with mg.no_grad():
            linear.weight.mul_(scale)
            linear.bias.zero_()
    return init


SETUPS = {
    "sigmoid": dict(build=lambda d, w: stack(d, w, nn.Sigmoid), lr=0.1, clip=None),
    "relu_he": dict(build=lambda d, w: stack(d, w, nn.ReLU, he()), lr=0.01, clip=None),
    "sigmoid_batchnorm": dict(build=lambda d, w: stack(d, w, nn.Sigmoid, batchnorm=True), lr=0.1, clip=None),
    "exploding": dict(build=lambda d, w: stack(d, w, nn.ReLU, he(1.5)), lr=0.01, clip=None),
    "exploding_clipped": dict(build=lambda d, w: stack(d, w, nn.ReLU, he(1.5)), lr=0.01, clip=1.0),
}
TITLES = {
    "sigmoid": "sigmoid, default init",
    "relu_he": "ReLU + He init",
    "sigmoid_batchnorm": "sigmoid + BatchNorm",
    "exploding": "ReLU, 1.5x He std (exploding)",
    "exploding_clipped": "same + clip_grad_norm_(1.0)",
}


def layer_profile(tracer):
    """Median over the first recorded steps of the gradient norm reaching each Linear
    layer's output, in forward order (input side first)."""
    import numpy as np

    g = tracer.history("out_grad_norm")[: max(1, len(tracer.steps) // 4)]
    linear = [i for i, n in enumerate(tracer.names) if isinstance(tracer.model.get_submodule(n), nn.Linear)]
    return np.nanmedian(g[:, linear], axis=0)


def main():
    p = _common.parser("vanishing_gradients", __doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=24, help="hidden layers")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--samples", type=int, default=1024)
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.epochs, args.samples = 2, 256
    import numpy as np

    x, y = datasets.make_spirals(args.samples, noise=0.05, random_state=args.seed)
    loader = _common.loader((x.astype(np.float32), y), 64, device, shuffle=True, seed=args.seed)
    plt = _common.pyplot()
    results, report = {}, []
    for name, s in SETUPS.items():
        mg.manual_seed(args.seed)
        model = s["build"](args.depth, args.width).to(device)
        opt = optim.SGD(model.parameters(), lr=s["lr"], momentum=0.9)
        with GradientTracer(model, every=2) as tracer:
            with np.errstate(all="ignore"):  # the exploding run overflows on purpose
                h = train.fit(model, nn.CrossEntropyLoss(), opt, loader, args.epochs, metrics=[train.accuracy],
                              device=device, progress=False, clip_grad_norm=s["clip"])
        diagnosis = tracer.diagnose()
        profile = layer_profile(tracer)
        results[name] = dict(h=h, profile=profile, status=diagnosis.status)
        tracer.plot(f"{args.out}/heatmap_{name}.png")
        print(f"wrote {args.out}/heatmap_{name}.png")
        report.append(f"=== {TITLES[name]} (lr {s['lr']}, clip {s['clip']}) ===\n{diagnosis}\n")

    rows = []
    for name, r in results.items():
        prof = r["profile"]
        ratio = prof[0] / prof[-1] if prof[-1] > 0 else math.nan
        ratio = "0 (underflow)" if ratio == 0 else ratio
        rows.append((TITLES[name], r["h"]["train_loss"][-1], f"{r['h']['train_accuracy'][-1]:.1%}", ratio,
                     r["status"]))
    print(f"\n{args.depth} hidden layers of {args.width} units, two spirals, SGD momentum 0.9, {args.epochs} epochs")
    print(_common.table(rows, ["setup", "final loss", "train acc", "grad first/last layer", "diagnosis"]))
    print()
    print("\n".join(report))
    _common.write_text(args.out, "diagnosis.txt", "\n".join(report))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name, r in results.items():
        prof = np.where(np.isfinite(r["profile"]), r["profile"], np.nan)
        ax1.semilogy(np.arange(1, len(prof) + 1), prof, marker=".", label=TITLES[name])
        ax2.semilogy(r["h"]["epoch"], r["h"]["train_loss"], marker=".", label=TITLES[name])
    ax1.set_xlabel("Linear layer (1 = input side)")
    ax1.set_ylabel("||gradient at the layer's output|| (early steps)")
    ax1.set_title("gradient norm by depth")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("training loss")
    ax2.set_title("training loss (missing points: NaN)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3, which="both")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    _common.save(fig, args.out, "vanishing_gradients.png")


if __name__ == "__main__":
    main()
