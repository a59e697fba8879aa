"""Write the notebooks of this folder from the cells below (outputs stripped).

The .ipynb files are committed; edit the cells here and rerun
``python examples/notebooks/make_notebooks.py`` so both stay in step.
tests/test_notebooks.py executes every notebook top to bottom.
"""
import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP = """\
import os, sys
# run from a checkout without installing: make the repository's minigrad importable
sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd(), *[".."] * 2)))
import numpy as np
import matplotlib.pyplot as plt
import minigrad as mg
from minigrad import nn, optim
_ = mg.manual_seed(0)"""

NOTEBOOKS = {}

NOTEBOOKS["01_autograd_and_the_graph"] = [
    "# Autograd and the computation graph\n\n"
    "Every operation on a tensor with `requires_grad=True` records a node; `backward()` walks "
    "those nodes from the output back to the leaves and applies the chain rule.",
    SETUP,
    "x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
    "y = (x ** 2 * mg.sin(x)).sum()\n"
    "y.backward()\n"
    "analytic = 2 * x.detach() * mg.sin(x.detach()) + x.detach() ** 2 * mg.cos(x.detach())\n"
    "print('autograd:', x.grad)\nprint('by hand: ', analytic)",
    "## Check a gradient numerically\n\n`mg.gradcheck` compares the backward pass with central "
    "finite differences (use float64).",
    "w = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)\n"
    "b = mg.randn(4, dtype=mg.float64, requires_grad=True)\n"
    "inp = mg.randn(5, 3, dtype=mg.float64)\n"
    "mg.gradcheck(lambda w, b: mg.tanh(inp @ w + b).sum(), (w, b))",
    "## The graph of a small network, coloured by gradient\n\n"
    "`capture_grads` records the gradient norm flowing through each node during backward; "
    "`draw_graph` boxes the nodes by the module that made them and colours them by that norm "
    "(log scale). Rendering needs Graphviz's `dot` program; without it we print the DOT source.",
    "import shutil\n"
    "model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))\n"
    "with mg.viz.capture_grads(model):\n"
    "    loss = (model(mg.randn(5, 3)) ** 2).mean()\n"
    "    loss.backward()\n"
    "graph = mg.viz.draw_graph(loss, params=model)\n"
    "graph if shutil.which('dot') else print(graph.source[:600])",
]

NOTEBOOKS["02_digits_with_the_tracer"] = [
    "# Training the digits with a gradient tracer\n\n"
    "An MLP learns the bundled 8x8 digits while `GradientTracer` records each layer's gradient "
    "norm, update ratio and activations. `fit` shows a progress bar and, with `live_plot=True`, "
    "curves that update in place.",
    SETUP,
    "from minigrad.data import DataLoader, TensorDataset, datasets\n"
    "X, y = datasets.load_digits(return_X_y=True)\n"
    "X = (X - X.mean(0)) / (X.std(0) + 1e-6)\n"
    "idx = np.random.default_rng(0).permutation(len(X))\n"
    "tr, va = idx[:1400], idx[1400:]\n"
    "train_loader = DataLoader(TensorDataset(mg.tensor(X[tr]), mg.tensor(y[tr])), batch_size=64, shuffle=True)\n"
    "val_loader = DataLoader(TensorDataset(mg.tensor(X[va]), mg.tensor(y[va])), batch_size=512)\n"
    "len(tr), len(va)",
    "model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))\n"
    "opt = optim.Adam(model.parameters(), lr=3e-3)\n"
    "tracer = mg.trace.GradientTracer(model, every=5)\n"
    "with tracer:\n"
    "    history = mg.train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=4,\n"
    "                           val_loader=val_loader, metrics=[mg.train.accuracy], live_plot=True)",
    "### The heatmap\n\nlog10 of each layer's gradient norm over the recorded steps.",
    "tracer",
    "### The verdict\n\nWith the per-layer statuses, and what to do if something is wrong:",
    "tracer.diagnose()",
    "history",
]

NOTEBOOKS["03_vanishing_and_exploding_gradients"] = [
    "# Vanishing and exploding gradients, and their remedies\n\n"
    "A deep stack of sigmoids shrinks the gradient by up to 4x per layer on its way to the input; "
    "too large a weight scale makes it grow instead. The tracer measures it and `diagnose()` names it.",
    SETUP,
    "X, Y = mg.randn(256, 16), mg.randn(256, 1)\n\n"
    "def deep(act, depth=10, init=None, batchnorm=False):\n"
    "    layers = []\n"
    "    for _ in range(depth):\n"
    "        lin = nn.Linear(16, 16)\n"
    "        if init is not None:\n"
    "            init(lin.weight)\n"
    "        layers += [lin] + ([nn.BatchNorm1d(16)] if batchnorm else []) + [act()]\n"
    "    return nn.Sequential(*layers, nn.Linear(16, 1))\n\n"
    "def trace(model, steps=15, lr=0.05, clip=None):\n"
    "    \"\"\"Train `steps` SGD steps with a tracer attached; return the tracer and the losses.\"\"\"\n"
    "    opt = optim.SGD(model.parameters(), lr=lr)\n"
    "    tracer, losses = mg.trace.GradientTracer(model), []\n"
    "    with tracer:\n"
    "        for _ in range(steps):\n"
    "            opt.zero_grad()\n"
    "            loss = nn.MSELoss()(model(X), Y)\n"
    "            loss.backward()\n"
    "            losses.append(loss.item())\n"
    "            if clip:\n"
    "                nn.utils.clip_grad_norm_(model.parameters(), clip)\n"
    "            opt.step()\n"
    "    return tracer, losses",
    "## Vanishing: ten sigmoid layers",
    "sigmoid, _ = trace(deep(nn.Sigmoid))\nsigmoid.diagnose()",
    "### The heatmap\n\nThe gradient norm fades from the output (bottom) to the input (top).",
    "sigmoid",
    "## Remedy: ReLU with He initialisation, or normalisation between the layers",
    "he = lambda w: nn.init.kaiming_normal_(w, nonlinearity='relu')\n"
    "relu_he, he_losses = trace(deep(nn.ReLU, init=he))\nrelu_he.diagnose()",
    "trace(deep(nn.Sigmoid, batchnorm=True))[0].diagnose()",
    "## Exploding: weights drawn too large\n\n"
    "With std 0.6 instead of He's 0.35 each ReLU layer amplifies the signal about 1.7 times, "
    "forwards and backwards; after ten layers one SGD step overshoots and the loss becomes NaN.",
    "import warnings\n"
    "warnings.simplefilter('ignore', RuntimeWarning)  # float32 overflow warnings: the point of this cell\n"
    "big = lambda w: nn.init.normal_(w, std=0.6)\n"
    "exploding, exploding_losses = trace(deep(nn.ReLU, init=big), lr=0.01)\n"
    "print('loss every 5 steps:', [f'{v:.3g}' for v in exploding_losses[::5]])\n"
    "exploding.diagnose()",
    "## Remedy: clip the gradient norm (and fix the init)\n\n"
    "Clipping bounds every step, so the same model trains instead of diverging, although its "
    "gradients are still far too large (the diagnosis still says so); He init removes the cause.",
    "clipped, clipped_losses = trace(deep(nn.ReLU, init=big), lr=0.01, clip=1.0)\n"
    "print('clipped, loss every 5 steps:', [f'{v:.3g}' for v in clipped_losses[::5]])\n"
    "print('He init, loss every 5 steps:', [f'{v:.3g}' for v in he_losses[::5]])\n"
    "clipped.diagnose().status",
]

NOTEBOOKS["04_optimizers_on_a_ravine"] = [
    "# Optimizers on a ravine\n\n"
    "f(x, y) = 0.01 x² + y² is 100 times steeper across (y) than along (x). Plain gradient descent "
    "zig-zags across and crawls along it; momentum builds up speed along the valley; adaptive "
    "methods rescale each coordinate.",
    SETUP,
    "def ravine(p):\n    return 0.01 * p[0] ** 2 + p[1] ** 2\n\n"
    "def descend(make_opt, steps=60, start=(-10.0, 1.0)):\n"
    "    p = mg.tensor(list(start), dtype=mg.float64, requires_grad=True)\n"
    "    opt = make_opt([p])\n"
    "    path = [p.detach().numpy().copy()]\n"
    "    for _ in range(steps):\n"
    "        opt.zero_grad()\n"
    "        ravine(p).backward()\n"
    "        opt.step()\n"
    "        path.append(p.detach().numpy().copy())\n"
    "    return np.array(path)\n\n"
    "runs = {\n"
    "    'SGD lr=0.95': lambda ps: optim.SGD(ps, lr=0.95),\n"
    "    'SGD + momentum': lambda ps: optim.SGD(ps, lr=0.3, momentum=0.8),\n"
    "    'Nesterov': lambda ps: optim.SGD(ps, lr=0.3, momentum=0.8, nesterov=True),\n"
    "    'RMSprop': lambda ps: optim.RMSprop(ps, lr=0.1),\n"
    "    'Adam': lambda ps: optim.Adam(ps, lr=0.5),\n"
    "}\n"
    "paths = {name: descend(make) for name, make in runs.items()}",
    "xs, ys = np.meshgrid(np.linspace(-11, 2, 200), np.linspace(-1.3, 1.3, 200))\n"
    "fig, ax = plt.subplots(figsize=(9, 4))\n"
    "ax.contour(xs, ys, 0.01 * xs ** 2 + ys ** 2, levels=20, cmap='Greys', linewidths=0.6)\n"
    "for name, path in paths.items():\n"
    "    ax.plot(path[:, 0], path[:, 1], '.-', ms=3, lw=1, label=name)\n"
    "ax.plot(0, 0, 'k*', ms=12)\nax.legend(fontsize=8)\nax.set_title('60 steps from (-10, 1)')\nplt.show()",
    "for name, path in paths.items():\n"
    "    print(f'{name:15s} final loss {0.01 * path[-1, 0] ** 2 + path[-1, 1] ** 2:.2e}   '\n"
    "          f'distance across the ravine {np.abs(np.diff(path[:, 1])).sum():.1f}')",
]

NOTEBOOKS["05_learning_rate_schedules"] = [
    "# Learning-rate schedules\n\n"
    "A schedule changes the learning rate as training goes on: warm up, then decay. "
    "`plot_schedule` draws one without training; a small sweep compares them on a real task.",
    SETUP,
    "from minigrad.optim import lr_scheduler as S\n"
    "schedules = {\n"
    "    'StepLR': lambda opt: S.StepLR(opt, step_size=30, gamma=0.3),\n"
    "    'ExponentialLR': lambda opt: S.ExponentialLR(opt, gamma=0.97),\n"
    "    'CosineAnnealingLR': lambda opt: S.CosineAnnealingLR(opt, T_max=100),\n"
    "    'OneCycleLR': lambda opt: S.OneCycleLR(opt, max_lr=0.1, total_steps=100),\n"
    "    'CosineAnnealingWarmRestarts': lambda opt: S.CosineAnnealingWarmRestarts(opt, T_0=25),\n"
    "}\n"
    "fig, ax = plt.subplots(figsize=(8, 3.5))\n"
    "for name, make in schedules.items():\n"
    "    lrs, _ = S.plot_schedule(make, 100)\n"
    "    ax.plot(lrs[0], label=name)\n"
    "ax.set_xlabel('step'); ax.set_ylabel('learning rate'); ax.legend(fontsize=8); plt.show()",
    "## Compare them with a sweep\n\n"
    "`mg.train.sweep` runs one training per configuration and returns a table. "
    "`backend='serial'` runs in this process (a function defined in a notebook cannot be sent "
    "to worker processes; put it in a .py file to use `backend='processes'` or `'ray'`).",
    "from minigrad.data import DataLoader, TensorDataset, datasets\n"
    "X, y = datasets.make_moons(600, noise=0.2, random_state=0)\n"
    "loader = DataLoader(TensorDataset(mg.tensor(X, dtype=mg.float32), mg.tensor(y)), batch_size=32, shuffle=True)\n"
    "epochs = 15\n\n"
    "def train_fn(config):\n"
    "    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))\n"
    "    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
    "    sched = {\n"
    "        'constant': None,\n"
    "        'step': S.StepLR(opt, step_size=5, gamma=0.3),\n"
    "        'cosine': S.CosineAnnealingLR(opt, T_max=epochs),\n"
    "        'onecycle': S.OneCycleLR(opt, max_lr=0.3, epochs=epochs, steps_per_epoch=len(loader)),\n"
    "    }[config['schedule']]\n"
    "    h = mg.train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs, scheduler=sched,\n"
    "                     metrics=[mg.train.accuracy], progress=False)\n"
    "    return {'final_loss': h['train_loss'][-1], 'final_accuracy': h['train_accuracy'][-1]}\n\n"
    "table = mg.train.sweep(train_fn, {'schedule': ['constant', 'step', 'cosine', 'onecycle']}, backend='serial')\n"
    "table",
    "table.best('final_loss')",
]


def build(name, cells):
    nb = new_notebook(cells=[new_markdown_cell(c) if _is_markdown(c) else new_code_cell(c) for c in cells])
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: regenerating leaves unchanged cells unchanged in git
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = os.path.join(HERE, f"{name}.ipynb")
    nbformat.write(nb, path)
    return path


def _is_markdown(cell):
    return cell.startswith("#")  # markdown cells open with a heading; code cells never do


if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        print("wrote", build(name, cells))
