"""Train an MLP on the bundled 8x8 handwritten digits — minigrad's Quick start.

An MLP (64 -> 128 -> 128 -> 10 with BatchNorm1d, ReLU and Dropout) learns the 1,797
bundled digit images (a stratified 72/8/20 train/validation/test split, features
standardised with the training statistics) with Adam, a learning-rate scheduler and early
stopping on the validation loss, while a GradientTracer records the gradient flow.
It prints the progress and the final test accuracy (>= 97%) and writes to the output
folder: the loss/accuracy curves, the gradient-trace heatmap, the gradient-health
diagnosis, the computation graph coloured by gradient magnitude, and the weights.

    python examples/train_digits.py                  # a few seconds on a laptop CPU
    python examples/train_digits.py --compare-torch  # the same model in PyTorch, side by side

With --compare-torch both frameworks build the model from the same seed, each with its
own generator (no weights are copied), and print the untrained model's loss on the first
shuffled batch in training mode (dropout on): the same number, because minigrad's CPU
random streams are torch's (same initial weights, same batch, same dropout masks).
    python examples/train_digits.py --device cuda
"""
import copy
import os
import shutil
import time

import _common
import minigrad as mg
from minigrad import nn, optim, train
from minigrad.trace import GradientTracer

HIDDEN = (128, 128)


def make_scheduler(sched, kind, opt, epochs, steps_per_epoch, lr):
    """The learning-rate schedule from `sched` (``mg.optim.lr_scheduler`` or
    ``torch.optim.lr_scheduler``: the same names and arguments build the same schedule)."""
    if kind == "plateau":
        return sched.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3)
    if kind == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=epochs)
    if kind == "onecycle":
        return sched.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch)
    raise ValueError(f"unknown scheduler {kind!r}")


def draw_graph(model, batch, out):
    """One forward/backward on a few samples, drawn with nodes coloured by gradient."""
    from minigrad import viz

    x, y = batch
    model.eval()
    model.zero_grad()
    with viz.capture_grads(model):  # records each node's gradient norm and owning module
        loss = nn.CrossEntropyLoss()(model(x[:8]), y[:8])
        loss.backward()
    graph = viz.draw_graph(loss, params=model)
    model.zero_grad()
    if shutil.which("dot"):
        path = os.path.join(out, "graph.svg")
        with open(path, "wb") as f:
            f.write(graph.pipe(format="svg"))
    else:  # no graphviz binary: keep the source (render it elsewhere with `dot -Tsvg`)
        path = os.path.join(out, "graph.dot")
        with open(path, "w") as f:
            f.write(graph.source)
    print(f"wrote {path}")


def write_outputs(r, out):
    """Curves, gradient trace, diagnosis, graph and weights; an optional package that is
    missing skips its file with a note instead of failing the run."""
    diagnosis = str(r["tracer"].diagnose())
    print(diagnosis)
    _common.write_text(out, "diagnosis.txt", diagnosis)
    steps = [
        ("curves.png", lambda path: r["history"].plot(path)),
        ("grad_trace.png", lambda path: r["tracer"].plot(path)),
        ("graph", lambda path: draw_graph(r["model"], r["batch"], out)),
        ("model.safetensors", lambda path: mg.save(r["model"].state_dict(), path)),
    ]
    for name, write in steps:
        path = os.path.join(out, name)
        try:
            write(path)
        except ImportError as e:
            print(f"skipped {name}: {e}")
            continue
        if name != "graph":
            print(f"wrote {path}")


def initial_loss(model, batches, loss_fn, generators, no_grad):
    """The untrained model's loss on the first batch in training mode, touching nothing:
    a copy of the model (BatchNorm's running statistics move) and the random streams put
    back, so training goes on exactly as without this probe."""
    states = [g.get_state() for g in generators]
    probe = copy.deepcopy(model)
    probe.train()
    with no_grad():
        x, y = next(iter(batches))
        loss = loss_fn(probe(x), y).item()
    for g, state in zip(generators, states):
        g.set_state(state)
    return loss


def train_minigrad(args, split, device):
    mg.manual_seed(args.seed)
    train_loader, val_loader, test_loader = _common.split_loaders(split, args.batch_size, device, args.seed)
    model = _common.mlp((64,) + HIDDEN + (10,), batchnorm=True, dropout=args.dropout).to(device)
    if args.compare_torch and device == "cpu":
        loss = initial_loss(model, train_loader, nn.CrossEntropyLoss(),
                            [mg.backend.default_generator("cpu"), train_loader.generator], mg.no_grad)
        print(f"minigrad: initial loss {loss:.6f} (untrained model, first shuffled batch, dropout on)")
    opt = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = make_scheduler(optim.lr_scheduler, args.scheduler, opt, args.epochs, len(train_loader), args.lr)
    stopper = train.EarlyStopping(monitor="val_loss", patience=args.patience)
    print(f"minigrad on {device}: {model}")
    with GradientTracer(model, every=args.trace_every) as tracer:
        start = time.perf_counter()
        history = train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, args.epochs, val_loader=val_loader,
                            scheduler=scheduler, callbacks=[stopper], metrics=[train.accuracy], device=device)
        seconds = time.perf_counter() - start
    test = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, metrics=[train.accuracy], device=device)
    stop = f"early stop at epoch {stopper.stopped_epoch + 1}, " if stopper.stopped_epoch is not None else ""
    print(f"minigrad: {stop}best val_loss {stopper.best:.4f} at epoch {stopper.best_epoch + 1} (weights restored)")
    return dict(model=model, history=history, tracer=tracer, seconds=seconds, test=test, epochs=len(history),
                batch=next(iter(test_loader)))


def train_torch(args, split):
    """The same model, data, optimizer, schedule and early stopping in PyTorch (CPU)."""
    import copy

    import torch

    torch.manual_seed(args.seed)
    t = {k: (torch.tensor(x), torch.tensor(y)) for k, (x, y) in split.items()}
    layers, sizes = [], (64,) + HIDDEN
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.BatchNorm1d(n_out), torch.nn.ReLU(),
                   torch.nn.Dropout(args.dropout)]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 10))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = -(-len(t["train"][0]) // args.batch_size)
    sched = make_scheduler(torch.optim.lr_scheduler, args.scheduler, opt, args.epochs, steps, args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    best, best_state, wait = float("inf"), None, 0
    gen = torch.Generator().manual_seed(args.seed)
    x, y = t["train"]

    def epoch_batches():
        """A shuffled DataLoader's draws (a base seed, then randperm), indexing whole batches."""
        torch.empty((), dtype=torch.int64).random_(generator=gen)
        for idx in torch.randperm(len(x), generator=gen).split(args.batch_size):
            yield x[idx], y[idx]

    loss = initial_loss(model, epoch_batches(), loss_fn, [torch.default_generator, gen], torch.no_grad)
    print(f"PyTorch:  initial loss {loss:.6f} (untrained model, first shuffled batch, dropout on)")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in epoch_batches():
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            if args.scheduler == "onecycle":
                sched.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(t["val"][0]), t["val"][1]).item()
        if args.scheduler == "plateau":
            sched.step(val_loss)
        elif args.scheduler == "cosine":
            sched.step()
        if val_loss < best:
            best, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
            if wait >= args.patience:
                break
    model.load_state_dict(best_state)
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        acc = (model(t["test"][0]).argmax(1) == t["test"][1]).float().mean().item()
    return dict(seconds=seconds, accuracy=acc, epochs=epoch + 1)


def main():
    p = _common.parser("train_digits", __doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=60, help="at most this many epochs (early stopping ends sooner)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--scheduler", choices=("plateau", "cosine", "onecycle"), default="plateau")
    p.add_argument("--patience", type=int, default=8, help="early-stopping patience in epochs")
    p.add_argument("--trace-every", type=int, default=5, help="record gradients on every n-th step")
    p.add_argument("--compare-torch", action="store_true", help="also train the same model in PyTorch")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.epochs = 4
    split = _common.digits(args.seed)
    print(f"digits: {len(split['train'][0])} train / {len(split['val'][0])} validation / "
          f"{len(split['test'][0])} test images, 64 features, 10 classes")

    r = train_minigrad(args, split, device)
    acc = r["test"]["accuracy"]
    print(f"minigrad: test accuracy {acc:.2%} (test loss {r['test']['loss']:.4f}) after {r['epochs']} epochs "
          f"in {r['seconds']:.1f} s on {device}")

    write_outputs(r, args.out)

    if args.compare_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("--compare-torch: PyTorch is not installed (pip install torch); skipped")
            return
        t = train_torch(args, split)
        print(_common.table(
            [("minigrad", device, r["epochs"], f"{acc:.2%}", r["seconds"]),
             ("PyTorch", "cpu", t["epochs"], f"{t['accuracy']:.2%}", t["seconds"])],
            ["framework", "device", "epochs", "test accuracy", "train time (s)"]))


if __name__ == "__main__":
    main()
