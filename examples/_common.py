"""What every example shares: the command line, the device check, the output folder,
figure saving and timing.

Every example accepts ``--device``, ``--quick`` (a few-second smoke run), ``--out DIR``
(default ``out/<example name>``) and ``--seed``. The examples run from a checkout without
installing minigrad: the repository root is put on ``sys.path`` when minigrad is not
importable.
"""
import argparse
import os
import sys
import time

# The examples' models are small: their matrix products take microseconds, and BLAS
# worker threads cost more in hand-offs than they save (on a busy machine, many times
# more). Run single-threaded unless the user chose otherwise; this must happen before
# NumPy (or PyTorch, for --compare-torch) is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import minigrad  # noqa: F401
except ImportError:  # running from a checkout: python examples/<name>.py
    sys.path.insert(0, _ROOT)

import minigrad as mg  # noqa: E402


def parser(name, description):
    """An ArgumentParser with the options every example has."""
    p = argparse.ArgumentParser(
        prog=f"{name}.py", description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--device", default="cpu", help='"cpu" or "cuda" (needs cupy and a GPU)')
    p.add_argument("--quick", action="store_true", help="a few-second smoke run (what CI executes)")
    p.add_argument("--out", default=os.path.join("out", name), help="folder for figures and results")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    return p


def setup(args):
    """Check the device, seed every generator and create the output folder; return the device."""
    device = check_device(args.device)
    mg.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    return device


def check_device(device):
    """The canonical device name; exits with a clear message when a GPU is asked for but absent."""
    if str(device).startswith("cuda") and not mg.cuda.is_available():
        sys.exit(
            f"error: --device {device} asks for a GPU, but none is usable here (CuPy not installed or no CUDA "
            'device). Install CuPy (pip install "minigrad[cuda12]") on a machine with an NVIDIA GPU, or use '
            "--device cpu."
        )
    return mg.backend.canonical_device(device)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (examples only write files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, out, filename):
    """Save `fig` as out/filename, close it, print the path and return it."""
    path = os.path.join(out, filename)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    print(f"wrote {path}")
    return path


def write_text(out, filename, text):
    """Write `text` to out/filename and print the path."""
    path = os.path.join(out, filename)
    with open(path, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    print(f"wrote {path}")
    return path


def sync(device):
    """Wait for the GPU's queued work, so wall-clock timings are honest."""
    if device != "cpu":
        mg.cuda.synchronize()


def np_errstate():
    """Silence NumPy's overflow warnings where a run is expected to diverge."""
    import numpy as np

    return np.errstate(all="ignore")


class Timer:
    """``with Timer(device) as t: ...`` then ``t.seconds`` (GPU work included)."""

    def __init__(self, device="cpu"):
        self.device = device
        self.seconds = 0.0

    def __enter__(self):
        sync(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        sync(self.device)
        self.seconds = time.perf_counter() - self._start


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 1e4 and value != float("inf"):
        return f"{value:,.0f}"
    return f"{value:.4g}"


def table(rows, headers):
    """A plain-text table (list of row tuples) with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- the digits task
# train_digits, lr_finder, lr_schedules and regularization all train an MLP on the
# bundled 8x8 digits; these helpers keep the data handling identical across them.


def stratified_split(y, fractions, seed):
    """Index arrays, one per fraction, each keeping the class proportions of `y`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts = [[] for _ in fractions]
    for c in np.unique(y):
        idx = rng.permutation(np.nonzero(y == c)[0])
        cuts = np.round(np.cumsum(fractions) * len(idx)).astype(int)
        for i, chunk in enumerate(np.split(idx, cuts[:-1])):
            parts[i].append(chunk)
    return [rng.permutation(np.concatenate(p)) for p in parts]


def split_standardised(x, y, seed=0, fractions=(0.72, 0.08, 0.20)):
    """(x, y) split (stratified) into train/val/test and standardised with the training
    statistics: ``{"train": (x, y), "val": ..., "test": ...}`` as NumPy arrays."""
    import numpy as np

    parts = dict(zip(("train", "val", "test"), stratified_split(y, fractions, seed)))
    mean = x[parts["train"]].mean(0)
    std = x[parts["train"]].std(0)
    # a feature (nearly) constant in a small training set, e.g. a digit's border pixel,
    # must not turn its rare non-zero values elsewhere into huge inputs
    std = np.maximum(std, 0.1 * std.mean())
    x = ((x - mean) / std).astype(np.float32)
    return {k: (x[i], y[i]) for k, i in parts.items()}


def digits(seed=0, fractions=(0.72, 0.08, 0.20)):
    """The bundled 8x8 digits (1,797 images, 64 features, 10 classes), split by
    `split_standardised`."""
    from minigrad.data import datasets

    return split_standardised(*datasets.load_digits(return_X_y=True), seed, fractions)


def noisy_classes(n_samples=3000, seed=0, fractions=(0.6, 0.2, 0.2)):
    """A 4-class problem with 20 features (10 informative) and 10% flipped labels, split
    by `split_standardised`: no model can fit it perfectly, so gradient noise never dies
    out and what the optimiser does late in training shows."""
    from minigrad.data import datasets

    x, y = datasets.make_classification(n_samples, 20, n_informative=10, n_redundant=4, n_classes=4,
                                        flip_y=0.1, random_state=seed)
    return split_standardised(x, y, seed, fractions)


def loader(arrays, batch_size, device, shuffle=False, seed=0):
    """A DataLoader over (x, y) NumPy arrays, delivering batches on `device`."""
    from minigrad import data

    ds = data.TensorDataset(mg.tensor(arrays[0]), mg.tensor(arrays[1]))
    gen = mg.Generator().manual_seed(seed) if shuffle else None
    return data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=gen, device=device)


def split_loaders(split, batch_size, device, seed=0):
    """Train (shuffled), validation and test loaders for a `split_standardised` split."""
    return (
        loader(split["train"], batch_size, device, shuffle=True, seed=seed),
        loader(split["val"], 512, device),
        loader(split["test"], 512, device),
    )


def mlp(sizes, batchnorm=True, dropout=0.0, activation="ReLU"):
    """Linear -> [BatchNorm1d] -> activation -> [Dropout] blocks through `sizes`, then a
    final Linear (logits)."""
    from minigrad import nn

    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(nn.Linear(n_in, n_out))
        if batchnorm:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(getattr(nn, activation)())
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)
