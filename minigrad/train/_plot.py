"""matplotlib, imported only when a plot is asked for, and figure saving."""


def pyplot():
    """``matplotlib.pyplot``, or an ImportError naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('plotting needs matplotlib: pip install "minigrad[viz]"') from e
    return plt


def finish(fig, path):
    """Save `fig` to `path` (format from the suffix) and close it when a path is given."""
    if path is not None:
        fig.savefig(str(path), dpi=110, bbox_inches="tight")
        pyplot().close(fig)
    return fig
