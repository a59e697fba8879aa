"""`sweep`: train once per configuration of a grid (or a random sample of it), in parallel.

    def train_fn(config):                 # at module level: workers import it by name
        model = ...; history = mg.train.fit(..., optim.Adam(model.parameters(), lr=config["lr"]))
        return {"val_loss": min(history["val_loss"])}

    table = mg.train.sweep(train_fn, {"lr": [1e-3, 1e-2], "batch_size": [32, 128]})
    print(table); table.to_csv("sweep.csv"); table.plot("batch_size", "val_loss", path="sweep.png")

Every run is seeded (``mg.manual_seed``, NumPy's and Python's global generators) with
``seed + i`` for the i-th configuration before `train_fn` is called, so a run gives the
same numbers whichever backend, worker or order runs it.
"""
from __future__ import annotations

import itertools
import math
import os
import pickle
import random
import sys

BACKENDS = ("processes", "ray", "serial")


def configurations(grid, n_samples=None, seed=0):
    """The list of configurations (dicts) of `grid`: every combination, in the grid's key
    order, or `n_samples` combinations drawn uniformly without replacement (with a fixed
    `seed`; all of them when `n_samples` is at least the grid's size)."""
    if not isinstance(grid, dict) or not grid:
        raise TypeError(f"sweep: grid must be a non-empty dict of name -> list of values, got {grid!r}")
    for name, values in grid.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise TypeError(f"sweep: grid[{name!r}] must be a non-empty list of values, got {values!r}")
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names)))
    if n_samples is not None:
        if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"sweep: n_samples must be a positive int, got {n_samples!r}")
        picks = sorted(random.Random(seed).sample(range(len(combos)), min(n_samples, len(combos))))
        combos = [combos[i] for i in picks]
    return [dict(zip(names, c)) for c in combos]


def run_config(train_fn, config, seed):
    """Seed every generator with `seed`, call ``train_fn(config)`` and return its metrics
    as a dict (a bare number becomes ``{"result": number}``). What each worker runs."""
    import numpy as np

    import minigrad as mg

    mg.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    out = train_fn(dict(config))
    if isinstance(out, dict):
        return out
    if isinstance(out, (int, float)):
        return {"result": out}
    raise TypeError(f"sweep: train_fn must return a dict of metrics or a number, got {type(out).__name__}")


def _check_picklable(train_fn, backend):
    try:
        pickle.dumps(train_fn)
    except Exception as e:
        raise TypeError(
            f"sweep: backend={backend!r} sends train_fn to worker processes by reference, so it must be a "
            f"function defined at the top level of an importable module (not a lambda, a nested function "
            f"or a notebook cell); {getattr(train_fn, '__qualname__', train_fn)!r} cannot be pickled ({e}). "
            f"Move it into a .py file, or use backend='serial'") from e
    main = __import__("__main__")
    if getattr(train_fn, "__module__", None) == "__main__" and not hasattr(main, "__file__"):
        raise TypeError(
            f"sweep: train_fn {train_fn.__qualname__!r} is defined in an interactive session, which worker "
            f"processes cannot import; move it into a .py file and import it, or use backend='serial'")


def _run_processes(train_fn, jobs, max_workers, start_method):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # 'spawn' (the default) starts clean interpreters: no inherited threads, locks or GPU
    # contexts, which fork can deadlock on; 'forkserver' is faster where available
    ctx = multiprocessing.get_context(start_method)
    workers = min(max_workers or os.cpu_count() or 1, len(jobs))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(run_config, train_fn, cfg, s) for cfg, s in jobs]
        return [_result(f.result, cfg) for f, (cfg, _) in zip(futures, jobs)]


def _run_ray(train_fn, jobs, address, max_workers, ray_init):
    try:
        import ray
    except ImportError as e:
        raise ImportError('sweep: backend="ray" needs Ray: pip install "minigrad[ray]"') from e
    started = not ray.is_initialized()
    if started:
        kwargs = dict(ray_init or {})
        kwargs.setdefault("include_dashboard", False)
        kwargs.setdefault("log_to_driver", False)
        if address is None:
            if max_workers is not None:
                kwargs.setdefault("num_cpus", max_workers)
            # a local Ray's workers import train_fn's module from the driver's path, as
            # spawned processes do
            kwargs.setdefault("runtime_env", {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}})
        ray.init(address=address, **kwargs)
    try:
        remote = ray.remote(num_cpus=1)(run_config)
        refs = [remote.remote(train_fn, cfg, s) for cfg, s in jobs]
        return [_result(lambda r=r: ray.get(r), cfg) for r, (cfg, _) in zip(refs, jobs)]
    finally:
        if started:
            ray.shutdown()


def _result(get, config):
    try:
        return get()
    except Exception as e:
        raise RuntimeError(f"sweep: the run with config {config} failed: {type(e).__name__}: {e}") from e


def sweep(train_fn, grid, backend="processes", n_samples=None, seed=0, max_workers=None, address=None,
          start_method="spawn", ray_init=None):
    """Run ``train_fn(config)`` for each configuration of `grid`; return a `SweepResult`.

    Args:
        train_fn: ``config dict -> dict of metrics`` (or a number). With the "processes"
            and "ray" backends it runs in other processes, so it must be picklable: a
            function at the top level of an importable module (a script run as
            ``python script.py`` counts; a lambda or a notebook cell does not).
        grid: ``{name: [values]}``; every combination is run (see `configurations`).
        backend: "processes" (local worker processes, ``concurrent.futures``), "ray" (a Ray
            cluster: `address` joins one, e.g. ``"auto"``; without it a local one is
            started and shut down again) or "serial" (in this process, one after another).
        n_samples: random search: run this many configurations drawn from the grid.
        seed: the grid sample's seed, and run i is seeded with ``seed + i``.
        max_workers: processes (or Ray CPUs for a local Ray) to use; default: all cores.
        start_method: multiprocessing start method for "processes" ("spawn" or "forkserver").
        ray_init: extra keyword arguments for ``ray.init`` when sweep starts a local Ray.

    Rows come back in configuration order whatever finished first: the configuration's
    values, then the metrics `train_fn` returned.
    """
    if backend not in BACKENDS:
        raise ValueError(f"sweep: backend must be one of {BACKENDS}, got {backend!r}")
    if not callable(train_fn):
        raise TypeError(f"sweep: train_fn must be callable, got {type(train_fn).__name__}")
    if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
        raise ValueError(f"sweep: max_workers must be a positive int, got {max_workers!r}")
    if backend == "processes" and start_method not in ("spawn", "forkserver", "fork"):
        raise ValueError(f"sweep: start_method must be 'spawn', 'forkserver' or 'fork', got {start_method!r}")
    configs = configurations(grid, n_samples, seed)
    jobs = [(cfg, seed + i) for i, cfg in enumerate(configs)]
    if backend == "serial":
        metrics = [_result(lambda c=cfg, s=s: run_config(train_fn, c, s), cfg) for cfg, s in jobs]
    else:
        if backend == "processes":
            _check_picklable(train_fn, backend)  # Ray pickles by value with cloudpickle instead
            metrics = _run_processes(train_fn, jobs, max_workers, start_method)
        else:
            metrics = _run_ray(train_fn, jobs, address, max_workers, ray_init)
    return SweepResult([{**cfg, **m} for cfg, m in zip(configs, metrics)], params=list(grid))


class SweepResult(list):
    """The rows of a sweep (a list of dicts) with `params` (the swept names), `columns`,
    `best`, `to_csv`, a plain-text table (`str`), an HTML table in notebooks and `plot`."""

    def __init__(self, rows, params=()):
        super().__init__(rows)
        self.params = list(params)

    @property
    def columns(self):
        cols = list(self.params)
        for row in self:
            cols += [k for k in row if k not in cols]
        return cols

    def column(self, name):
        """The values of one column, in row order (None where a row lacks it)."""
        return [row.get(name) for row in self]

    def best(self, metric, mode="min"):
        """The row with the lowest (mode "min") or highest ("max") finite `metric`."""
        if mode not in ("min", "max"):
            raise ValueError(f"best: mode must be 'min' or 'max', got {mode!r}")
        rows = [r for r in self if _is_number(r.get(metric)) and math.isfinite(r[metric])]
        if not rows:
            raise ValueError(f"best: no row has a finite {metric!r}; columns: {self.columns}")
        return (min if mode == "min" else max)(rows, key=lambda r: r[metric])

    def to_csv(self, path=None):
        """Write the table as CSV to `path`, or return it as a string."""
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        w.writerows(self)
        if path is None:
            return buf.getvalue()
        with open(path, "w", newline="") as f:
            f.write(buf.getvalue())
        return path

    def _cells(self):
        cols = self.columns
        return cols, [[_fmt(row.get(c)) for c in cols] for row in self]

    def __str__(self):
        cols, cells = self._cells()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths)), "  ".join("-" * w for w in widths)]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join(lines)

    def __repr__(self):
        return f"SweepResult({len(self)} runs, params={self.params})"

    def _repr_html_(self):
        from ..viz.html import table

        cols, cells = self._cells()
        return table(cols, cells)

    def plot(self, x, y, path=None, hue=None, logx=None, logy=None):
        """`y` (a metric) against `x` (a swept parameter), one line per value of `hue`
        (default: the other swept parameters together; ``hue=[]``: one line). The x axis is logarithmic when
        every value is positive and they span a factor of 10 or more (`logx` overrides).
        Saves to `path` when given; returns the matplotlib figure."""
        from ..viz.plots import finish, new_figure

        for name in (x, y):
            if name not in self.columns:
                raise ValueError(f"plot: no column {name!r}; columns: {self.columns}")
        hues = [hue] if isinstance(hue, str) else list(hue) if hue is not None else [p for p in self.params if p != x]
        groups = {}
        for row in self:
            if _is_number(row.get(y)):
                key = tuple(row.get(h) for h in hues)
                groups.setdefault(key, []).append((row[x], row[y]))
        fig = new_figure(path, (6, 4))
        ax = fig.subplots()
        for key, pts in groups.items():
            pts.sort(key=lambda p: p[0])
            label = ", ".join(f"{h}={v}" for h, v in zip(hues, key)) or None
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label)
        xs = [v for v in self.column(x) if _is_number(v)]
        if logx if logx is not None else (xs and min(xs) > 0 and max(xs) >= 10 * min(xs)):
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.grid(alpha=0.3)
        if len(groups) > 1:
            ax.legend(fontsize=8)
        return finish(fig, path)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
