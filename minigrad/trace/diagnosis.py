"""`diagnose`: turn a gradient trace into a verdict, the numbers behind it, and remedies.

The rule (each threshold is a keyword argument of `diagnose`):

1. **nonfinite** — any NaN/Inf in a recorded output, gradient or weight; unless the
   finite values up to that step show an explosion (gradients above
   `max_relative_grad` times their weights, or growing by `growth_ratio`): then the NaN
   is where the explosion ended, and the verdict is **exploding**, with the step at
   which values became non-finite (``details["nonfinite_step"]``).
2. **exploding**, over steps — the total gradient norm grows by more than
   `growth_ratio` (1e2) from the first recorded step (where training started) to the
   median of the last ones (up to `window`, a third of the run at most), or the total
   weight norm by more than `weight_growth_ratio` (10): training is diverging, whatever
   the depth profile.
3. **depth profile** — at the last `window` recorded steps (per-layer median), take the
   gradient arriving at each parameterised layer's output in forward order (the
   back-propagated signal; the parameter gradient norm if it was not recorded) and fit
   ``log10 ||g_l|| = a + b * l`` by least squares (layers whose gradient is exactly zero,
   e.g. underflowed, are left out of the fit and reported as vanishing on their own).
   Vanishing and exploding gradients are
   exponential in depth, so the slope is the per-layer factor ``10 ** -b`` (how much
   the gradient changes per layer on its way to the input) and the fitted first/last
   ratio ``10 ** (-b * (L - 1))`` is compared with `vanish_ratio` (1e-3) and
   `explode_ratio` (1e3): three orders of magnitude between the ends of the stack.
4. **scale relative to the weights** — per layer ``||grad W|| / ||W||``. Above
   `max_relative_grad` (10) in the median layer, one step of any learning rate that
   moves the other layers throws these weights far out of their range: exploding.
   Below `min_relative_grad` (1e-7, about float32's resolution) a step of lr <= 1
   cannot change the weights at all; if that holds for some layers while others learn,
   the gradient is vanishing on its way to them.

5. **over time** — for recurrent layers, the same log-linear fit of ``||dL/dh_t||``
   over time steps, against the same ratios (`minigrad.trace.recurrent.time_rule`);
   its remedies are the recurrent ones (LSTM/GRU, clipping, truncated BPTT, init).

Precedence: nonfinite, then exploding (2, 3, 4, 5), then vanishing (3, 4, 5), else healthy.
Per-layer statuses use the same thresholds against the output-side layer's gradient.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import recurrent

_REMEDIES = {
    "vanishing": [
        "use ReLU (or LeakyReLU/GELU) with He init: mg.nn.init.kaiming_normal_(layer.weight, "
        "nonlinearity='relu'); keep sigmoid/tanh for outputs only, or give them Xavier init with "
        "calculate_gain",
        "add normalisation between layers (mg.nn.BatchNorm1d or mg.nn.LayerNorm after each Linear)",
        "add residual (skip) connections, x + f(x), so the gradient has a short path to early layers",
        "use fewer layers, or an optimiser that rescales per parameter (mg.optim.Adam)",
    ],
    "exploding": [
        "clip gradients before the step: mg.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)",
        "lower the learning rate (try 10x smaller, or find one with mg.train.lr_find) and warm it up",
        "re-initialise with the gain of your activation (He: std = sqrt(2 / fan_in) for ReLU, not more)",
        "add normalisation (BatchNorm1d / LayerNorm) and scale down residual branches at init",
    ],
    "nonfinite": [
        "run one step under `with mg.autograd.detect_anomaly():` to find the first op that makes NaN/Inf",
        "lower the learning rate and clip gradients (mg.nn.utils.clip_grad_norm_)",
        "check the inputs and targets for NaN/Inf, and use stable losses (CrossEntropyLoss, "
        "BCEWithLogitsLoss) instead of log(softmax(x)) or log(sigmoid(x))",
    ],
    "healthy": [],
}


class Diagnosis:
    """The verdict of `diagnose`.

    Attributes:
        status: "healthy", "vanishing", "exploding" or "nonfinite".
        layers: ``{layer name: status}`` in forward order ("n/a" where nothing applies).
        findings: sentences with the numbers behind the verdict.
        remedies: concrete fixes for this status.
        details: the numbers themselves (ratios, per-layer factor, growth, ...).
    """

    def __init__(self, status, layers, findings, remedies, details):
        self.status, self.layers, self.findings = status, layers, findings
        self.remedies, self.details = remedies, details

    def __str__(self):
        lines = [f"Gradient health: {self.status.upper()}"]
        lines += [f"  - {f}" for f in self.findings]
        bad = [n for n, s in self.layers.items() if s not in ("healthy", "n/a")]
        if bad:
            shown = ", ".join(f"{n} ({self.layers[n]})" for n in bad[:12])
            lines.append(f"Affected layers: {shown}" + (f" and {len(bad) - 12} more" if len(bad) > 12 else ""))
        if self.remedies:
            lines.append("Remedies:")
            lines += [f"  - {r}" for r in self.remedies]
        return "\n".join(lines)

    def __repr__(self):
        return f"Diagnosis(status={self.status!r}, layers={len(self.layers)}, findings={len(self.findings)})"

    def _repr_html_(self):
        from ..viz.html import diagnosis_html

        return diagnosis_html(self)


def _finite_median(values):
    """Median of the finite values (nan if none)."""
    v = values[np.isfinite(values)]
    return float(np.median(v)) if v.size else math.nan


def _log_median(table):
    """Per-column median over rows, ignoring NaN (a layer not recorded in some steps)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        return np.nanmedian(table, axis=0)


def _depth_factor(positions, values):
    """The per-layer factor ``10 ** -b`` of a least-squares fit log10 v = a + b * position.

    It is how much the gradient is multiplied by per layer on its way to the input.
    """
    b = np.polyfit(positions, np.log10(values), 1)[0]
    return float(10.0 ** -b)


def _total(table):
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.nansum(table ** 2, axis=1)) if table.size else np.zeros(0)


class _Evidence:
    """What the rules found: sentences for each verdict, per-layer statuses, numbers."""

    def __init__(self, names, order):
        self.names = names
        self.layers = {names[i]: "n/a" for i in order}
        self.exploding, self.vanishing, self.notes, self.details = [], [], [], {}

    def judge(self, i, value, ref, vanish_ratio, explode_ratio):
        r = value / ref
        self.layers[self.names[i]] = ("vanishing" if r < vanish_ratio else "exploding" if r > explode_ratio
                                      else "healthy")


def _growth_rule(ev, hist, plist, steps, window, growth_ratio, weight_growth_ratio):
    """Exploding over steps: the first recorded step (where training started) against the
    median of the last ones (robust to a single spike)."""
    k = max(1, min(window, len(steps) // 3))
    for metric, limit, what in (("grad_norm", growth_ratio, "gradient"), ("weight_norm", weight_growth_ratio, "weight")):
        total = _total(hist[metric][:, plist])
        start, end = _finite_median(total[:1]), _finite_median(total[-k:])
        growth = end / start if start > 0 else math.nan
        ev.details[f"{what}_growth"] = growth
        if growth > limit:
            ev.exploding.append(f"the total {what} norm grew {growth:.3g}x over {len(steps)} recorded steps "
                                f"({start:.3g} at step {steps[0]} -> {end:.3g} at the end; limit {limit:g}x)")


def _depth_rule(ev, signal, what, plist, order, out_med, vanish_ratio, explode_ratio):
    """Vanishing/exploding with depth: a log-linear fit of the gradient over the layers."""
    names = ev.names
    profile = signal[plist]
    pos = [k for k, v in enumerate(profile) if np.isfinite(v)]  # positions in depth order
    nonzero = [k for k in pos if profile[k] > 0]
    zero = [k for k in pos if profile[k] == 0]
    ref = profile[pos[-1]] if pos else 0.0  # the output-side layer: where backward starts
    if ref > 0:
        for k in pos:
            ev.judge(plist[k], profile[k], ref, vanish_ratio, explode_ratio)
        for i in order:  # layers without parameters: by the gradient reaching them
            if i not in plist and np.isfinite(out_med[i]):
                ev.judge(i, out_med[i], ref, vanish_ratio, explode_ratio)
    if len(nonzero) >= 2:
        factor = _depth_factor(np.array(nonzero), profile[nonzero])
        ratio = factor ** (pos[-1] - pos[0])
        ev.details.update(depth_ratio=ratio, per_layer_factor=factor, depth=len(pos))
        first, last = plist[nonzero[0]], plist[pos[-1]]  # layers with a zero gradient: reported below
        sentence = (f"{what} layer '{names[first]}' is {profile[nonzero[0]] / ref:.2g} times that at layer "
                    f"'{names[last]}' (log-linear fit over {len(nonzero)} layers: x{factor:.3g} per layer on the way to the "
                    f"input, {ratio:.2g} across the stack)")
        if ratio > explode_ratio:
            ev.exploding.append(sentence + f" > {explode_ratio:g}")
        elif ratio < vanish_ratio:
            ev.vanishing.append(sentence + f" < {vanish_ratio:g}")
        else:
            ev.notes.append(sentence)
    if zero and nonzero:
        ev.vanishing.append(f"{len(zero)} layer(s) receive exactly zero gradient (underflow or dead units), "
                            f"e.g. '{names[plist[zero[0]]]}'")


def _scale_rule(ev, grad_med, w_med, plist, min_relative_grad, max_relative_grad):
    """Gradients against the weights they update: ||grad W|| / ||W|| per layer."""
    names = ev.names
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = grad_med[plist] / w_med[plist]
    rel_ok = rel[np.isfinite(rel)]
    if not rel_ok.size:
        return
    med = float(np.median(rel_ok))
    ev.details["median_relative_grad"] = med
    for i, r in zip(plist, rel):
        if r > max_relative_grad:
            ev.layers[names[i]] = "exploding"
        elif r < min_relative_grad and ev.layers[names[i]] != "exploding":
            ev.layers[names[i]] = "vanishing"
    if med > max_relative_grad:
        ev.exploding.append(f"the median layer's gradient is {med:.3g}x its weights' norm (limit {max_relative_grad:g})")
    frozen = [names[i] for i, r in zip(plist, rel) if r < min_relative_grad]
    if frozen and len(frozen) < rel_ok.size:
        ev.vanishing.append(f"{len(frozen)} layer(s) get gradients below {min_relative_grad:g} of their weights "
                            f"(too small to change float32 weights), e.g. '{frozen[0]}', while others learn")


def _activation_notes(ev, sat, dead):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if np.isfinite(sat).any() and np.nanmean(sat) > 0.5:
            ev.notes.append(f"{np.nanmean(sat):.0%} of sigmoid/tanh outputs are saturated (derivative near 0)")
        if np.isfinite(dead).any() and np.nanmean(dead) > 0.5:
            ev.notes.append(f"{np.nanmean(dead):.0%} of ReLU units are dead (0 for every sample)")


def diagnose(tracer, vanish_ratio=1e-3, explode_ratio=1e3, min_relative_grad=1e-7, max_relative_grad=10.0,
             growth_ratio=1e2, weight_growth_ratio=10.0, window=5):
    """Judge the gradient health recorded by a `GradientTracer`; returns a `Diagnosis`.

    See this module's docstring for the rule. Args:
        vanish_ratio / explode_ratio: fitted ratio of the first (input-side) to the last
            parameterised layer's gradient below / above which gradients vanish / explode.
        min_relative_grad / max_relative_grad: bounds on ``||grad W|| / ||W||`` per layer.
        growth_ratio: growth of the total gradient norm across the recorded steps that
            counts as exploding; weight_growth_ratio: the same for the total weight norm.
        window: how many of the last (and first) recorded steps to summarise.
    """
    for name, v in (("vanish_ratio", vanish_ratio), ("explode_ratio", explode_ratio),
                    ("min_relative_grad", min_relative_grad), ("max_relative_grad", max_relative_grad),
                    ("growth_ratio", growth_ratio), ("weight_growth_ratio", weight_growth_ratio)):
        if not v > 0:
            raise ValueError(f"diagnose: {name} must be positive, got {v!r}")
    if not vanish_ratio < 1 < explode_ratio:
        raise ValueError(f"diagnose: need vanish_ratio < 1 < explode_ratio, got {vanish_ratio} and {explode_ratio}")
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"diagnose: window must be a positive int, got {window!r}")
    steps = tracer.recorded_steps()
    if not steps:
        raise RuntimeError("diagnose: nothing recorded yet; run forward and backward with the tracer attached")
    hist = {m: tracer.history(m) for m in ("grad_norm", "out_grad_norm", "weight_norm", "nonfinite")}
    order = tracer.depth_order()
    owners = set(tracer.param_layers())
    plist = [i for i in order if i in owners]
    ev = _Evidence(tracer.names, order)
    ev.details["steps"] = len(steps)

    bad = hist["nonfinite"] > 0  # 1. NaN / Inf anywhere decides alone
    if bad.any():
        first_step = steps[int(np.argwhere(bad)[0][0])]
        hit = [ev.names[i] for i in order if bad[:, i].any()]
        for n in hit:
            ev.layers[n] = "nonfinite"
        total = int(hist["nonfinite"].sum())
        ev.details["nonfinite"] = total
        finding = f"{total} NaN/Inf values, first at step {first_step} in layer(s) {', '.join(hit[:6])}"
        blown = recurrent.exploded_before(hist, plist, steps, int(np.argwhere(bad)[0][0]), growth_ratio,
                                          max_relative_grad)
        if blown:  # the NaN is where an explosion ended, not bad data
            ev.details["nonfinite_step"] = first_step
            findings = [f"{blown}; values became non-finite at step {first_step}", finding]
            return Diagnosis("exploding", ev.layers, findings, list(_REMEDIES["exploding"]), ev.details)
        return Diagnosis("nonfinite", ev.layers, [finding], list(_REMEDIES["nonfinite"]), ev.details)

    recent = slice(max(len(steps) - window, 0), None)
    out_med = _log_median(hist["out_grad_norm"][recent])
    grad_med = _log_median(hist["grad_norm"][recent])
    if len(steps) >= 2:
        _growth_rule(ev, hist, plist, steps, window, growth_ratio, weight_growth_ratio)
    if plist and np.isfinite(out_med[plist]).all():
        _depth_rule(ev, out_med, "the gradient reaching the output of", plist, order, out_med, vanish_ratio,
                    explode_ratio)
    else:  # output gradients not recorded: fall back to the parameter gradients
        _depth_rule(ev, grad_med, "the parameter gradient of", plist, order, out_med, vanish_ratio, explode_ratio)
    _scale_rule(ev, grad_med, _log_median(hist["weight_norm"][recent]), plist, min_relative_grad,
                max_relative_grad)
    _activation_notes(ev, tracer.history("saturated")[recent], tracer.history("dead")[recent])

    depth_found = (bool(ev.exploding), bool(ev.vanishing))
    over_time = recurrent.time_rule(ev, tracer, window, vanish_ratio, explode_ratio)

    status = "exploding" if ev.exploding else "vanishing" if ev.vanishing else "healthy"
    findings = ev.exploding + ev.vanishing + ev.notes
    remedies = list(_REMEDIES[status])
    if status in over_time:  # over time: recurrent remedies first; the depth ones only if depth says so too
        only_time = not depth_found[0 if status == "exploding" else 1]
        remedies = recurrent.REMEDIES[status] + ([] if only_time else remedies)
    return Diagnosis(status, ev.layers, findings, remedies, ev.details)
