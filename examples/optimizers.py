"""Every optimizer on an ill-conditioned ravine and on Rosenbrock's banana valley.

The ravine f(x, y) = 0.01 x² + y² is 100 times steeper across (y) than along (x) it.
Plain SGD needs a learning rate small enough for the steep direction, so it zig-zags
across the ravine and crawls along it; momentum and Nesterov accumulate the small but
consistent x-gradient and run along the floor; the adaptive methods (Adagrad, RMSprop,
Adam, ...) rescale each coordinate by its own gradient history, so both directions move
at a similar pace from the start. The printed table measures the zig-zag as the distance
travelled across the ravine, sum |Δy| (1.0 would be straight down), next to the
distance to the minimum; the figures draw the trajectories over the contours.

    python examples/optimizers.py [--steps 80] [--rosenbrock-steps 1500]
"""
import _common
import minigrad as mg
from minigrad import optim

# name -> (optimizer class name, ravine kwargs, Rosenbrock kwargs); learning rates picked
# by hand for each surface, as one would in practice (the ravine's SGD rate is close to
# the stability limit 2 / L = 1 of its steep direction). Adadelta's lr multiplies a step
# that starts tiny, hence its large values; RAdam's first steps are un-adapted momentum
# steps, hence its small lr on Rosenbrock's steep walls; one LBFGS "step" runs up to two
# iterations with a strong-Wolfe line search.
OPTIMIZERS = {
    "SGD": ("SGD", dict(lr=0.95), dict(lr=1e-3)),
    "SGD+momentum": ("SGD", dict(lr=0.3, momentum=0.8), dict(lr=2e-4, momentum=0.9)),
    "Nesterov": ("SGD", dict(lr=0.3, momentum=0.8, nesterov=True), dict(lr=2e-4, momentum=0.9, nesterov=True)),
    "Adagrad": ("Adagrad", dict(lr=1.5), dict(lr=0.2)),
    "RMSprop": ("RMSprop", dict(lr=0.1), dict(lr=3e-3)),
    "Adadelta": ("Adadelta", dict(lr=30.0), dict(lr=1.0)),
    "Adam": ("Adam", dict(lr=0.5), dict(lr=0.02)),
    "AdamW": ("AdamW", dict(lr=0.5), dict(lr=0.02)),
    "Adamax": ("Adamax", dict(lr=0.5), dict(lr=0.05)),
    "NAdam": ("NAdam", dict(lr=0.5), dict(lr=0.02)),
    "RAdam": ("RAdam", dict(lr=0.5), dict(lr=2e-3)),
    "Rprop": ("Rprop", dict(lr=0.1), dict(lr=0.01)),
    "ASGD": ("ASGD", dict(lr=0.95, t0=1e9), dict(lr=1e-3, t0=1e9)),
    "Lion": ("Lion", dict(lr=0.15), dict(lr=3e-3)),
    "LBFGS": ("LBFGS", dict(lr=1.0, max_iter=1), dict(lr=1.0, max_iter=2, line_search_fn="strong_wolfe")),
}
GROUPS = {
    "SGD family (momentum runs along the valley)": ["SGD", "SGD+momentum", "Nesterov", "ASGD"],
    "adaptive: per-coordinate step sizes": ["Adagrad", "RMSprop", "Adadelta", "Adam", "Lion"],
    "Adam variants and second order": ["AdamW", "Adamax", "NAdam", "RAdam", "Rprop", "LBFGS"],
}


def ravine(p):
    return 0.01 * p[0] ** 2 + p[1] ** 2


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def descend(name, kwargs, f, start, steps, device):
    """Run `steps` optimizer steps on f from `start`; return the (steps+1, 2) path and losses."""
    p = mg.tensor(start, dtype=mg.float64, device=device, requires_grad=True)
    opt = getattr(optim, OPTIMIZERS[name][0])([p], **kwargs)

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    path, losses = [p.array.copy()], []
    for _ in range(steps):
        losses.append(closure().detach().array)
        opt.step(closure) if name == "LBFGS" else opt.step()
        path.append(p.array.copy())
    losses.append(f(p).detach().array)
    to_host = mg.backend.to_host
    return to_host(p.xp.stack(path)), to_host(p.xp.stack(losses))


def across(path):
    """Distance travelled across the ravine, sum |Δy| (1.0 is the straight way down)."""
    import numpy as np

    return float(np.abs(np.diff(path[:, 1])).sum())


def contour(ax, f_np, xlim, ylim, levels):
    import numpy as np

    x, y = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    ax.contour(x, y, f_np(x, y), levels=levels, colors="0.7", linewidths=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def plot_paths(plt, runs, f_np, xlim, ylim, levels, minimum, title):
    fig, axes = plt.subplots(1, len(GROUPS), figsize=(5.2 * len(GROUPS), 4.2))
    for ax, (group_title, names) in zip(axes, GROUPS.items()):
        contour(ax, f_np, xlim, ylim, levels)
        for name in names:
            if name in runs:
                path = runs[name][0]
                ax.plot(path[:, 0], path[:, 1], ".-" if len(path) <= 200 else "-", ms=2.5, lw=1.2, alpha=0.85, label=name)
        ax.plot(*minimum, "k*", ms=10)
        ax.set_title(group_title, fontsize=10)
        ax.legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def main():
    p = _common.parser("optimizers", __doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=80, help="steps on the ravine")
    p.add_argument("--rosenbrock-steps", type=int, default=1500, help="steps on Rosenbrock's function")
    args = p.parse_args()
    device = _common.setup(args)
    if args.quick:
        args.steps, args.rosenbrock_steps = 30, 150
    import numpy as np

    available = {n: v for n, v in OPTIMIZERS.items() if hasattr(optim, v[0])}
    missing = sorted(set(OPTIMIZERS) - set(available))
    if missing:
        print(f"note: not in mg.optim, skipped: {', '.join(missing)}")

    surfaces = {
        "ravine": dict(f=ravine, start=[-10.0, 1.0], steps=args.steps, minimum=(0, 0), xlim=(-11, 2), ylim=(-1.3, 1.3),
                       f_np=lambda x, y: 0.01 * x**2 + y**2, levels=np.geomspace(0.005, 2, 12), kw=1),
        "rosenbrock": dict(f=rosenbrock, start=[-1.5, 2.0], steps=args.rosenbrock_steps, minimum=(1, 1),
                           xlim=(-2, 2), ylim=(-1, 3), f_np=lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
                           levels=np.geomspace(0.05, 2000, 14), kw=2),
    }
    plt = _common.pyplot()
    all_losses = {}
    for surface, s in surfaces.items():
        runs, rows = {}, []
        with _common.Timer(device) as t:
            for name, spec in available.items():
                path, losses = descend(name, spec[s["kw"]], s["f"], s["start"], s["steps"], device)
                runs[name] = (path, losses)
                dist = float(np.hypot(*(path[-1] - np.array(s["minimum"]))))
                below = np.nonzero(losses < 1e-3)[0]
                rows.append((name, spec[s["kw"]]["lr"], across(path), float(losses[-1]), dist,
                             str(below[0]) if len(below) else "never"))
        print(f"\n{surface}: {s['steps']} steps from {tuple(s['start'])}, minimum at {s['minimum']} ({t.seconds:.1f} s)")
        print(_common.table(rows, ["optimizer", "lr", "sum |dy|", "final loss", "dist to min", "steps to loss<1e-3"]))
        all_losses[surface] = runs
        title = {"ravine": "ravine f = 0.01 x² + y² (condition number 100)",
                 "rosenbrock": "Rosenbrock f = (1-x)² + 100 (y-x²)²"}[surface]
        fig = plot_paths(plt, runs, s["f_np"], s["xlim"], s["ylim"], s["levels"], s["minimum"], title)
        _common.save(fig, args.out, f"optimizers_{surface}.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (surface, runs) in zip(axes, all_losses.items()):
        for name, (_, losses) in runs.items():
            ax.semilogy(np.maximum(losses, 1e-12), lw=1, label=name)
        ax.set_title(f"{surface}: loss per step")
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _common.save(fig, args.out, "optimizers_loss.png")


if __name__ == "__main__":
    main()
