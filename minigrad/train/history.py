"""`History`: what `fit` logged, one row per epoch."""
import math

# Keys that are bookkeeping, not curves to plot as metrics.
_META = ("epoch", "time")


def _default_mode(monitor):
    """'max' for scores that grow when better (accuracy-like), 'min' for losses and errors."""
    name = monitor.split("_", 1)[-1] if monitor.startswith(("train_", "val_")) else monitor
    return "max" if any(s in name for s in ("acc", "f1", "auc", "precision", "recall", "r2")) else "min"


class History:
    """Per-epoch logs of a `fit` run.

    ``history["train_loss"]`` is a list with one value per epoch; the keys are ``epoch``,
    ``train_loss``, ``val_loss`` (with a validation loader), ``train_<metric>`` and
    ``val_<metric>`` for each metric, ``lr`` (first parameter group; ``lr_1``, ``lr_2``, ...
    for the others: the rate at the start of the epoch, which per-batch schedules such as
    OneCycleLR then change within it) and ``time`` (seconds per epoch, validation
    included).
    """

    def __init__(self):
        self._logs = {}

    def append(self, logs):
        """Add one epoch's logs (a dict of floats)."""
        n = len(self)
        for key in logs:
            if key not in self._logs:
                self._logs[key] = [math.nan] * n  # a key first seen late gets NaN for earlier epochs
        for key, column in self._logs.items():
            column.append(logs.get(key, math.nan))

    def __len__(self):
        return len(self._logs.get("epoch", ()))

    def __getitem__(self, key):
        try:
            return self._logs[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; it has {sorted(self._logs)}") from None

    def __contains__(self, key):
        return key in self._logs

    def keys(self):
        return self._logs.keys()

    def as_dict(self):
        """A plain ``{key: [value per epoch]}`` copy (JSON-serialisable)."""
        return {k: list(v) for k, v in self._logs.items()}

    def row(self, i):
        """The logs of the ``i``-th epoch as a dict."""
        return {k: v[i] for k, v in self._logs.items()}

    def best(self, monitor="val_loss", mode=None):
        """The logs of the best epoch by `monitor` (``mode`` 'min'/'max'; guessed from the name).

        NaN values never count as best.
        """
        values = self[monitor]
        mode = mode or _default_mode(monitor)
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: mode must be 'min' or 'max', got {mode!r}")
        finite = [(v, i) for i, v in enumerate(values) if not math.isnan(v)]
        if not finite:
            raise ValueError(f"History.best: {monitor!r} has no finite value")
        _, i = (min if mode == "min" else max)(finite)
        return self.row(i)

    def __repr__(self):
        if not len(self):
            return "History(0 epochs)"
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self._logs.items() if k not in _META)
        return f"History({len(self)} epochs; last: {last})"

    def plot(self, path=None):
        """Loss, each metric (train and validation) and the learning rate per epoch.

        Returns the matplotlib figure, saved to `path` (PNG, SVG, ... by suffix) when
        given; see ``mg.viz.plot_history``.
        """
        from ..viz import plot_history

        return plot_history(self, path)

    def _repr_html_(self):
        from ..viz.html import history_html

        return history_html(self)
