"""Rich notebook display: the HTML of Diagnosis, GradientTracer, History, the graph's SVG,
tqdm's notebook bar and live curves updated in place."""
import base64
import re
import shutil
import warnings

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.train import progress
from minigrad.train.live import LivePlot

from trace_helpers import train_traced

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def inline_pngs(html):
    """The decoded PNGs of the <img> tags holding base64 data."""
    return [base64.b64decode(b) for b in re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def traced(act=nn.Sigmoid, depth=6, steps=4):
    mg.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(8, 8), act())], nn.Linear(8, 1))
    return train_traced(model, mg.randn(16, 8), mg.randn(16, 1), steps)


def test_diagnosis_html_shows_the_coloured_verdict_a_row_per_layer_and_the_remedies():
    d = traced().diagnose()
    assert d.status == "vanishing"
    html = d._repr_html_()
    assert "VANISHING" in html and "background:#1565c0" in html
    rows = re.findall(r"<tr[^>]*><td>([^<]*)</td><td>([^<]*)</td></tr>", html.split("<details>")[0])
    assert rows == list(d.layers.items())
    for finding in d.findings:
        assert finding.split("(")[0].replace("'", "&#x27;").strip() in html
    assert "Remedies" in html and "clip_grad_norm_" not in html and "kaiming_normal_" in html


def test_a_healthy_diagnosis_has_a_green_verdict_and_no_remedies():
    d = traced(act=nn.ReLU, depth=2).diagnose()
    assert d.status == "healthy"
    html = d._repr_html_()
    assert "HEALTHY" in html and "background:#2e7d32" in html and "Remedies" not in html


def test_tracer_html_holds_its_heatmap_as_an_inline_png():
    tracer = traced()
    html = tracer._repr_html_()
    assert repr(tracer) in html
    pngs = inline_pngs(html)
    assert len(pngs) == 1 and pngs[0].startswith(PNG_SIGNATURE)


def test_tracer_html_before_any_step_is_the_summary_without_a_figure():
    tracer = mg.trace.GradientTracer(nn.Linear(2, 2))
    html = tracer._repr_html_()
    assert "0 steps recorded" in html and "<img" not in html


def _history(epochs=3):
    h = mg.train.History()
    for e in range(epochs):
        h.append({"epoch": e + 1, "train_loss": 1.0 / (e + 1), "val_loss": 1.5 / (e + 1), "lr": 0.1, "time": 0.01})
    return h


def test_history_html_shows_the_last_epoch_and_the_curves():
    html = _history()._repr_html_()
    assert "3 epochs" in html and "<td>val_loss</td><td>0.5</td>" in html
    pngs = inline_pngs(html)
    assert len(pngs) == 1 and pngs[0].startswith(PNG_SIGNATURE)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` program not installed")
def test_draw_graph_renders_as_svg_in_a_notebook():
    pytest.importorskip("graphviz")
    x = mg.randn(3, requires_grad=True)
    graph = mg.viz.draw_graph((x * 2).sum())
    bundle = graph._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_fit_uses_a_tqdm_bar_in_a_notebook(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    assert progress.choose_mode(True) == "bar"
    assert progress.choose_mode(False) == "off"


class _Display:
    """Stands in for IPython.display.display: records shows and in-place updates."""

    def __init__(self):
        self.shown, self.updates = [], []

    def __call__(self, obj, display_id=None):
        assert display_id is True
        self.shown.append(obj)
        return self

    def update(self, obj):
        self.updates.append(obj)


def test_live_plot_shows_once_and_updates_in_place_every_epoch(monkeypatch):
    ipd = pytest.importorskip("IPython.display")
    fake = _Display()
    monkeypatch.setattr(ipd, "display", fake)
    cb = LivePlot(force=True)
    cb.history = _history(0)
    cb.on_train_begin({})
    for e in range(3):
        cb.history.append({"epoch": e + 1, "train_loss": 1.0 / (e + 1), "lr": 0.1, "time": 0.01})
        cb.on_epoch_end(e, {})
    assert len(fake.shown) == 1 and len(fake.updates) == 2
    assert "3 epochs" in fake.updates[-1].data and inline_pngs(fake.updates[-1].data)


def test_live_plot_outside_a_notebook_warns_and_trains_normally():
    x, y = mg.randn(8, 2), mg.randn(8, 1)
    model = nn.Linear(2, 1)
    loader = mg.data.DataLoader(mg.data.TensorDataset(x, y), batch_size=4)
    with pytest.warns(UserWarning, match="live_plot"):
        h = mg.train.fit(model, nn.MSELoss(), mg.optim.SGD(model.parameters(), lr=0.1), loader, 2,
                         progress=False, live_plot=True)
    assert len(h) == 2
