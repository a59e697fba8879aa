"""Plots of traces and histories: written to files, readable for 30-layer nets."""
import math

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.trace import GradientTracer
from minigrad.optim import lr_scheduler as mls
from minigrad.viz import plot_grad_flow, plot_history, plot_schedule

pytest.importorskip("matplotlib")


@pytest.fixture
def tracer30(device):
    mg.manual_seed(0)
    layers = []
    for i in range(30):
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers).to(device)
    x = mg.randn(8, 16, device=device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    with GradientTracer(model) as tr:
        for _ in range(4):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    return tr


def is_png(path):
    return path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


def test_tracer_plot_writes_heatmap_and_lines(tracer30, tmp_path):
    fig = tracer30.plot(tmp_path / "trace.png")
    assert is_png(tmp_path / "trace.png")
    heat, lines = fig.axes[:2]  # two panels (then their colour bars)
    assert heat.images[0].get_array().shape == (30, 4)  # layers x steps
    assert len(lines.lines) == 30
    assert len(heat.get_yticklabels()) == 30


def test_plot_grad_flow_draws_one_bar_pair_per_layer(tracer30, tmp_path):
    fig = plot_grad_flow(tracer30, tmp_path / "flow.png")
    assert is_png(tmp_path / "flow.png")
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 30 and ax.get_yscale() == "log"
    with pytest.raises(IndexError, match="step 9"):
        plot_grad_flow(tracer30, step=9)


def test_plot_history_accepts_a_dict_of_lists(tmp_path):
    hist = {"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6],
            "train_acc": [0.5, 0.7, 0.8], "val_acc": [0.4, 0.6, 0.7], "lr": [0.1, 0.05, 0.01], "time": [1, 1, 1]}
    fig = plot_history(hist, tmp_path / "h.svg")
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "acc", "learning rate"]
    assert [l.get_label() for l in fig.axes[0].lines] == ["train", "validation"]


def test_plot_history_accepts_attribute_objects_and_as_dict(tmp_path):
    class Log:
        train_loss = [2.0, 1.0]
        val_loss = [2.5, math.nan]
        lr = [1e-3, 1e-3]

    fig = plot_history(Log(), tmp_path / "a.png")
    assert is_png(tmp_path / "a.png") and len(fig.axes) == 2

    class WithDict:
        def as_dict(self):
            return {"train_loss": [3.0, 2.0, 1.0]}

    assert len(plot_history(WithDict(), tmp_path / "b.png").axes) == 1


def test_plot_history_of_a_train_history(tmp_path):
    history_cls = pytest.importorskip("minigrad.train").History
    h = history_cls()
    for e in range(3):
        h.append({"epoch": e + 1, "train_loss": 1.0 / (e + 1), "lr": 0.1})
    assert len(plot_history(h, tmp_path / "t.png").axes) == 2


def test_plot_history_rejects_what_it_cannot_read():
    with pytest.raises(TypeError, match="plot_history"):
        plot_history(42)
    with pytest.raises(TypeError, match="'loss' must be a list of numbers"):
        plot_history({"loss": ["a", "b"]})


def test_without_a_path_the_figure_is_returned_for_display(tracer30):
    import matplotlib.pyplot as plt

    fig = plot_grad_flow(tracer30)
    assert fig in [plt.figure(n) for n in plt.get_fignums()]
    plt.close(fig)


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[viz\]"'):
        plot_history({"train_loss": [1.0, 0.5]}, tmp_path / "x.png")


def test_plot_schedule_from_a_factory_and_from_a_live_scheduler(tmp_path):
    lrs, fig = plot_schedule(lambda o: mls.StepLR(o, step_size=3, gamma=0.5), 9, lr=0.8)
    assert lrs == [[0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2]]
    assert fig.axes[0].get_ylabel() == "learning rate"
    opt = mg.optim.SGD([{"params": [mg.zeros(1, requires_grad=True)]},
                        {"params": [mg.zeros(1, requires_grad=True)]}], lr=0.1, momentum=0.9)
    sched = mls.OneCycleLR(opt, max_lr=[0.5, 1.0], total_steps=30)
    before = [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups]
    path = tmp_path / "onecycle.png"
    lrs, _ = plot_schedule(sched, 30, path=str(path))
    assert path.stat().st_size > 0
    assert len(lrs) == 2 and max(lrs[1]) == pytest.approx(1.0, rel=1e-3)
    assert sched.last_epoch == 0  # the scheduler itself was not stepped
    assert [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups] == before


def test_plot_schedule_of_reduce_on_plateau_needs_metrics():
    with pytest.raises(ValueError, match="metrics"):
        plot_schedule(lambda o: mls.ReduceLROnPlateau(o), 5)
    lrs, _ = plot_schedule(lambda o: mls.ReduceLROnPlateau(o, patience=0), 4, metrics=[1, 1, 1, 1])
    assert lrs[0] == pytest.approx([0.1, 0.1, 0.01, 0.001])
