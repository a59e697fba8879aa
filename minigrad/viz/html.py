"""Small HTML builders for notebook display (`_repr_html_` of diagnoses, tracers,
histories and sweep tables): escaped text, tables, coloured badges and inline PNGs."""
from __future__ import annotations

import base64
import html
import io


def escape(value):
    return html.escape(str(value))


def table(headers, rows, row_colours=None):
    """An HTML table; `rows` are lists of cell strings; `row_colours` optional backgrounds."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        colour = row_colours[i] if row_colours else None
        style = f' style="background:{colour}"' if colour else ""
        body.append(f"<tr{style}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    return (f'<table class="minigrad"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def badge(text, colour):
    """`text` in bold on a coloured pill (the verdict of a diagnosis)."""
    return (f'<span style="background:{colour};color:white;padding:2px 8px;border-radius:4px;'
            f'font-weight:bold">{escape(text)}</span>')


def figure_png(fig, dpi=80):
    """A matplotlib figure as PNG bytes (the figure is closed if pyplot owns it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)  # a no-op for figures pyplot does not manage
    except ImportError:  # pragma: no cover
        pass
    return buf.getvalue()


def img(png_bytes, alt=""):
    """An <img> tag holding `png_bytes` inline as base64 (no file next to the notebook)."""
    data = base64.b64encode(png_bytes).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}"/>'


def section(*parts):
    return '<div class="minigrad">' + "".join(parts) + "</div>"


# ---------------------------------------------------------------- the objects' displays
STATUS_COLOURS = {"healthy": "#2e7d32", "vanishing": "#1565c0", "exploding": "#c62828", "nonfinite": "#6a1b9a",
                  "n/a": None}
# pale backgrounds for the per-layer rows (the badge colours are too dark behind text)
_ROW_COLOURS = {"healthy": "#e8f5e9", "vanishing": "#e3f2fd", "exploding": "#ffebee", "nonfinite": "#f3e5f5"}


def _bullets(items):
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>" if items else ""


def _figure_or_nothing(draw, alt):
    """An inline PNG of the figure `draw()` returns; empty when matplotlib is missing or
    nothing is recorded yet (a display must never raise)."""
    try:
        return img(figure_png(draw()), alt)
    except (ImportError, RuntimeError, ValueError):
        return ""


def diagnosis_html(d):
    """A `Diagnosis` as HTML: coloured verdict, findings, per-layer table, numbers, remedies."""
    numbers = [[k, f"{v:.3g}" if isinstance(v, float) else v] for k, v in d.details.items()]
    layers = list(d.layers.items())
    return section(
        f"<p><b>Gradient health:</b> {badge(d.status.upper(), STATUS_COLOURS.get(d.status) or '#616161')}</p>",
        _bullets(d.findings),
        table(["layer", "status"], layers, [_ROW_COLOURS.get(s) for _, s in layers]),
        "<details><summary>numbers</summary>" + table(["quantity", "value"], numbers) + "</details>" if numbers else "",
        "<p><b>Remedies</b></p>" + _bullets(d.remedies) if d.remedies else "",
    )


def tracer_html(tracer):
    """A `GradientTracer` as HTML: its summary line and the gradient-norm heatmap."""
    from .plots import plot_trace

    return section(f"<p><code>{escape(repr(tracer))}</code></p>",
                   _figure_or_nothing(lambda: plot_trace(tracer), "gradient norm heatmap"))


def history_html(history):
    """A `History` as HTML: the last epoch's numbers and the curves."""
    from .plots import plot_history

    if not len(history):
        return section(f"<p><code>{escape(repr(history))}</code></p>")
    last = history.row(len(history) - 1)
    rows = [[k, f"{v:.4g}" if isinstance(v, float) else v] for k, v in last.items()]
    return section(f"<p><b>History</b>: {len(history)} epochs</p>", table(["last epoch", "value"], rows),
                   _figure_or_nothing(lambda: plot_history(history), "training curves"))
