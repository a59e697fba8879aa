"""`LivePlot`: training curves in a notebook, redrawn in place after every epoch
(``fit(..., live_plot=True)``)."""
import warnings

from .callbacks import Callback
from .progress import in_notebook


class LivePlot(Callback):
    """Show the `History` (numbers and curves, see ``History._repr_html_``) in one notebook
    output that is updated after each epoch (``IPython.display`` with a display id), so
    the figure grows in place instead of one figure per epoch. Outside a notebook it warns
    once and shows nothing (use ``history.plot()`` after training)."""

    def __init__(self, force=False):
        self.force = force  # display even outside a notebook (tests, custom front ends)
        self.handle = None

    def on_train_begin(self, logs=None):
        self.handle = None
        if not (self.force or in_notebook()):
            warnings.warn("fit: live_plot=True draws only in a Jupyter notebook; call history.plot() instead",
                          stacklevel=4)

    def on_epoch_end(self, epoch, logs=None):
        if self.history is None or not (self.force or in_notebook()):
            return
        from IPython.display import HTML, display

        from ..viz.html import history_html

        content = HTML(history_html(self.history))
        if self.handle is None:
            self.handle = display(content, display_id=True)
        else:
            self.handle.update(content)
