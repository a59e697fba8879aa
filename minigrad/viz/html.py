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
