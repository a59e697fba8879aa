"""The per-epoch progress display of `fit`.

On a terminal with tqdm installed: a tqdm bar per epoch whose postfix shows the running
loss and metrics, refreshed at most every `refresh` seconds (each refresh fetches the
running sums from the device, so the throttle is what keeps host syncs off the hot
loop); in a Jupyter notebook, tqdm's notebook bar. Elsewhere (a log file, CI) one
summary line per epoch.
"""
import sys
import time


def _tqdm():
    """tqdm's bar class: the notebook widget bar in Jupyter (as tqdm.auto picks), the text
    bar elsewhere, and also in a notebook without ipywidgets (where tqdm.auto would warn
    and fall back to it anyway); None without tqdm."""
    try:
        from tqdm.std import tqdm
    except ImportError:
        return None
    if in_notebook():
        try:
            import ipywidgets  # noqa: F401  the widget bar needs it
            from tqdm.notebook import tqdm
        except ImportError:
            pass
    return tqdm


def format_logs(logs, skip=("epoch",)):
    """``train_loss=0.1234 val_loss=...`` for the floats in `logs`."""
    parts = []
    for k, v in logs.items():
        if k in skip:
            continue
        parts.append(f"{k}={v:.3g}s" if k == "time" else f"{k}={v:.4g}")
    return " ".join(parts)


def _short(logs):
    """The bar's postfix: losses and metrics only, ``train_`` dropped (the bar has room
    for little, and shows the time itself)."""
    keep = {k.removeprefix("train_"): v for k, v in logs.items() if k not in ("epoch", "time") and not k.startswith("lr")}
    return format_logs(keep)


class EpochProgress:
    """One epoch's display; `mode` is 'bar', 'line' or 'off'."""

    def __init__(self, mode, epoch, epochs, total, refresh=0.5):
        self.mode = mode
        self.refresh = refresh
        self._next = time.perf_counter() + refresh
        self.desc = f"epoch {epoch + 1}/{epochs}"
        self.bar = None
        if mode == "bar":
            self.bar = _tqdm()(total=total, desc=self.desc, leave=True, dynamic_ncols=True, file=sys.stderr)

    def wants_update(self):
        """True when the bar is due for fresh numbers (cheap: one clock read)."""
        if self.bar is None:
            return False
        now = time.perf_counter()
        if now < self._next:
            return False
        self._next = now + self.refresh
        return True

    def advance(self, n_batches=1):
        if self.bar is not None:
            self.bar.update(n_batches)

    def show(self, logs):
        """Live numbers on the bar (a dict of floats)."""
        if self.bar is not None:
            self.bar.set_postfix_str(_short(logs), refresh=False)

    def close(self, logs):
        """Final numbers for the epoch: on the bar, or as one printed line."""
        if self.bar is not None:
            self.bar.set_postfix_str(_short(logs), refresh=True)
            self.bar.close()
        elif self.mode == "line":
            print(f"{self.desc}: {format_logs(logs)}", flush=True)


def in_notebook():
    """True inside a Jupyter kernel (where tqdm.auto draws a notebook widget bar)."""
    shell = sys.modules.get("IPython")
    shell = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def choose_mode(progress):
    """'bar' on a terminal or in a notebook (tqdm's widget bar, via tqdm.auto) with tqdm
    installed, 'line' otherwise, 'off' when `progress` is False."""
    if not progress:
        return "off"
    stream = sys.stderr
    if _tqdm() is not None and (in_notebook() or (hasattr(stream, "isatty") and stream.isatty())):
        return "bar"
    return "line"
