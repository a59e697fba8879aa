"""The same training on the CPU and on a GPU: one word changes, and the speed-up.

An MLP (512 -> 1024 -> 1024 -> 10, ReLU) trains on a synthetic 10-class problem
(``make_classification``, 20,000 samples) for a few epochs, first with
``device="cpu"`` and then with ``device="cuda"``; the only difference between the two
runs is that argument. Printed: seconds per epoch on each device (the first epoch,
which includes CuPy's kernel compilation, is reported apart), the speed-up, and the
final losses (equal up to float32 rounding: same seed, same batches). Figure: time per
epoch and the two loss curves. Without a usable GPU (CuPy missing or no CUDA device)
it says so and exits successfully.

    python examples/gpu.py [--epochs 5] [--batch-size 256]
"""
import os
import sys

# the CPU baseline should use every core for its large matrix products
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(os.cpu_count() or 1))
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))

import _common  # noqa: E402
import minigrad as mg  # noqa: E402
from minigrad import nn, optim, train  # noqa: E402


def run(device, data, args):
    mg.manual_seed(args.seed)  # the same initial weights and batch order on both devices
    model = _common.mlp((args.features, args.hidden, args.hidden, 10), batchnorm=False).to(device)
    loader = _common.loader(data, args.batch_size, device, shuffle=True, seed=args.seed)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train.fit(model, nn.CrossEntropyLoss(), opt, loader, args.epochs, metrics=[train.accuracy],
                     device=device, progress=False)


def main():
    p = _common.parser("gpu", __doc__.split("\n\n")[0])
    p.set_defaults(device="cuda")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--features", type=int, default=512)
    p.add_argument("--hidden", type=int, default=1024)
    args = p.parse_args()
    if not mg.cuda.is_available():
        print("gpu.py: no usable GPU here (CuPy is not installed or sees no CUDA device), so there is nothing "
              'to compare. On a machine with an NVIDIA GPU: pip install "minigrad[cuda12]" (or [cuda13]), then '
              "run this again; every other example takes --device cuda as well.")
        return 0
    device = _common.setup(args)
    if args.quick:
        args.epochs, args.samples, args.hidden = 2, 4000, 256
    import numpy as np

    from minigrad.data import datasets

    x, y = datasets.make_classification(args.samples, args.features, n_informative=32, n_classes=10,
                                        random_state=args.seed)
    data = (((x - x.mean(0)) / x.std(0)).astype(np.float32), y)
    print(f"MLP {args.features}-{args.hidden}-{args.hidden}-10 on {args.samples} samples, batch {args.batch_size}, "
          f"{args.epochs} epochs")
    histories = {}
    for dev in ("cpu", device):
        histories[dev] = run(dev, data, args)
        h = histories[dev]
        print(f"  {dev:7s} first epoch {h['time'][0]:.2f} s, then {np.mean(h['time'][1:] or h['time']):.3f} s/epoch; "
              f"final loss {h['train_loss'][-1]:.5f}, accuracy {h['train_accuracy'][-1]:.2%}")
    cpu, gpu = (np.mean(histories[d]["time"][1:] or histories[d]["time"]) for d in ("cpu", device))
    print(f"speed-up on {device}: {cpu / gpu:.1f}x per epoch (after the first)")
    diff = max(abs(a - b) for a, b in zip(histories["cpu"]["train_loss"], histories[device]["train_loss"]))
    print(f"largest difference between the per-epoch losses: {diff:.2e}")

    plt = _common.pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for dev, h in histories.items():
        ax1.plot(h["epoch"], h["time"], marker="o", label=dev)
        ax2.plot(h["epoch"], h["train_loss"], marker="o", label=dev)
    ax1.set_yscale("log")
    ax1.set_ylabel("seconds per epoch")
    ax2.set_ylabel("training loss")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"same code, device='cpu' vs device='{device}': {cpu / gpu:.1f}x faster")
    fig.tight_layout()
    _common.save(fig, args.out, "gpu.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
