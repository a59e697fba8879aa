"""`draw_graph`: the computation graph behind a tensor, as a graphviz `Digraph`.

Op nodes (boxes) are the graph's `Op`s, labelled by op name and the shape/dtype
of the tensor they made; tensor nodes (ovals) are the leaves (parameters labelled by
name, as torchviz does) and the output. Edges follow the data, inputs to outputs.

After a backward run inside ``mg.viz.capture_grads()``, each op node is filled by the
log10 L2 norm of the gradient that flowed out of it (leaves by their ``.grad``), on one
colour scale for the whole graph with a legend, so a reader sees where along the graph
the gradient shrinks or grows. Nodes are boxed per module (recorded by
``capture_grads(model)``, or inferred from parameter names).

The walk is iterative (a 10,000-deep graph draws fine); `max_nodes` (500 by default, so
Graphviz's `dot` finishes on any graph) keeps big graphs legible by collapsing each
module to one node and, if still too many, cutting the drawing at `max_nodes` with a
node saying how many were left out and a caption naming the cap.
"""
from __future__ import annotations

import functools
import math
from collections import deque

import numpy as np

from .. import backend
from ..tensor import Tensor
from ..trace.stats import fetch, squared_norm
from .capture import recorded_grad_sq, recorded_module

_INSTALL_HINT = (
    "draw_graph needs the `graphviz` Python package: pip install \"minigrad[viz]\" "
    "(or pip install graphviz)"
)
_DOT_HINT = (
    "failed to execute {!r}: rendering a graph to SVG/PNG needs the Graphviz `dot` program "
    "on PATH. Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
    "graphviz` (macOS) or `conda install graphviz`, and the Python side with "
    "pip install \"minigrad[viz]\". `graph.source` works without it."
)

# viridis anchors: dark purple = small gradient, yellow = large
_VIRIDIS = ((0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62), (0xFD, 0xE7, 0x25))
_ZERO_COLOR = "#bdbdbd"  # a gradient that is exactly zero (e.g. dead ReLU path)
_NONFINITE_COLOR = "#e41a1c"
_NO_GRAD_COLOR = "#ffffff"


def _import_graphviz():
    try:
        import graphviz
    except ImportError as e:  # pragma: no cover - graphviz is installed in dev setups
        raise ImportError(_INSTALL_HINT) from e
    return graphviz


@functools.lru_cache(maxsize=None)
def _graph_class():
    """A `graphviz.Digraph` whose rendering errors say how to install `dot`."""
    graphviz = _import_graphviz()

    class DotNotFoundError(graphviz.ExecutableNotFound):
        _msg = _DOT_HINT

    def friendly(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except graphviz.ExecutableNotFound as e:
                if isinstance(e, DotNotFoundError):
                    raise
                raise DotNotFoundError(["dot"]) from None

        return wrapper

    class GradientGraph(graphviz.Digraph):
        """A graphviz Digraph (``.source``, ``.render``, ``.pipe``, Jupyter display)."""

        pipe = friendly(graphviz.Digraph.pipe)
        render = friendly(graphviz.Digraph.render)

    GradientGraph.DotNotFoundError = DotNotFoundError
    return GradientGraph


def color_for(log_value, lo, hi):
    """Hex colour of `log_value` on the viridis scale spanning [lo, hi]."""
    t = 0.5 if hi <= lo else min(max((log_value - lo) / (hi - lo), 0.0), 1.0)
    pos = t * (len(_VIRIDIS) - 1)
    i = min(int(pos), len(_VIRIDIS) - 2)
    f = pos - i
    rgb = [round(a + (b - a) * f) for a, b in zip(_VIRIDIS[i], _VIRIDIS[i + 1])]
    return "#%02x%02x%02x" % tuple(rgb)


def _font_color(fill):
    r, g, b = (int(fill[k:k + 2], 16) for k in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


def _fmt_shape(shape, dtype):
    return f"{tuple(shape)} {backend.to_dtype(dtype).name}"


def _params_by_id(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, dict):
        raise TypeError(f"draw_graph: params must be a dict {{name: tensor}} or a Module, got {type(params).__name__}")
    return {id(t): name for name, t in params.items()}


def _walk(roots):
    """Ops and leaves reachable from `roots`, breadth first from the output (iterative)."""
    ops, leaves, edges = [], [], []
    seen = set()
    queue = deque()
    for r in roots:
        start = r.grad_fn if r.grad_fn is not None else r  # a leaf root is drawn on its own
        if id(start) not in seen:
            seen.add(id(start))
            (queue if r.grad_fn is not None else leaves).append(start)
    while queue:
        node = queue.popleft()
        ops.append(node)
        for child in node.next:
            if child is None:
                continue
            edges.append((child, node))
            if id(child) in seen:
                continue
            seen.add(id(child))
            if isinstance(child, Tensor):
                leaves.append(child)
            else:
                queue.append(child)
    return ops, leaves, edges


def _grad_logs(ops, leaves):
    """{id(obj): log10 |grad|} for ops with a captured gradient and leaves with ``.grad``.

    The norms are fetched with one transfer; -inf marks a zero gradient, nan a
    non-finite one.
    """
    items = [(id(n), sq) for n in ops if (sq := recorded_grad_sq(n)) is not None]
    items += [(id(t), squared_norm(t.grad.array)) for t in leaves if t.grad is not None]
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = 0.5 * np.log10(fetch([sq for _, sq in items]))
    return {key: float(lg) for (key, _), lg in zip(items, logs)}


def _module_of_param(name):
    return name.rsplit(".", 1)[0] if "." in name else None


def _owners(ops, leaves, names):
    """{id(obj): module name} from capture_grads(model), else inferred from param names."""
    owner = {}
    for node in ops:
        mod = recorded_module(node)
        if mod is None and names:
            # the module owning a parameter this op reads directly made the op
            for child in node.next:
                if isinstance(child, Tensor) and id(child) in names:
                    mod = _module_of_param(names[id(child)])
                    break
        if mod is not None:
            owner[id(node)] = mod
    for t in leaves:
        if id(t) in names and (mod := _module_of_param(names[id(t)])) is not None:
            owner[id(t)] = mod
    return owner


class _Drawing:
    """The nodes and edges to draw, before they become DOT (collapse/cut work on this)."""

    def __init__(self):
        self.nodes = {}  # key -> dict(label, shape, module, log, tooltip); insertion = BFS order
        self.edges = []  # (src key, dst key)

    def collapse(self, module_label):
        """One node per module, coloured by its output-side node's gradient; edges merged."""
        rename, merged, modules = {}, {}, {}
        for key, node in self.nodes.items():
            mod = node["module"]
            if mod is None:
                rename[key] = key
                merged[key] = node
                continue
            mkey = "mod%d" % modules.setdefault(mod, len(modules))  # no ':' (DOT port syntax)
            rename[key] = mkey
            if mkey not in merged:  # first member in BFS order = the module's output side
                merged[mkey] = dict(node, label=module_label(mod), shape="box3d", count=0,
                                    module=mod.rsplit(".", 1)[0] if "." in mod else None,
                                    tooltip=f"module {mod}")
            merged[mkey]["count"] += 1
        for node in merged.values():
            if "count" in node:
                node["label"] += f"\n{node.pop('count')} nodes" + _grad_text(node["log"])
        self.nodes = merged
        self.edges = list(dict.fromkeys((rename[a], rename[b]) for a, b in self.edges if rename[a] != rename[b]))

    def cut(self, max_nodes):
        """Keep the first `max_nodes` (closest to the output); one node stands for the rest."""
        keep = dict(list(self.nodes.items())[:max_nodes])
        dropped = len(self.nodes) - len(keep)
        more = {
            "label": f"... {dropped} more nodes\n(raise max_nodes or use collapse_modules=True)",
            "shape": "note", "module": None, "log": None, "tooltip": "nodes left out of the drawing",
        }
        edges, fed = [], set()
        for a, b in self.edges:
            if a in keep and b in keep:
                edges.append((a, b))
            elif b in keep and b not in fed:
                fed.add(b)
                edges.append(("more", b))
        keep["more"] = more
        self.nodes, self.edges = keep, edges


def _grad_text(lg):
    """The label line for a gradient of log10 norm `lg` (None: not recorded)."""
    if lg is None:
        return ""
    return "\n|grad| " + ("0" if lg == -math.inf else f"{10 ** lg:.2e}" if math.isfinite(lg) else "nan/inf")


def _build(roots, walked, names, owner, logs, show_shapes, show_grads):
    d = _Drawing()
    ops, leaves, edges = walked

    def grad_text(key):
        return _grad_text(logs.get(key)) if show_grads else ""

    for i, r in enumerate(roots):
        if r.grad_fn is not None:
            d.nodes[f"out{i}"] = {
                "label": "output" + (f"\n{_fmt_shape(r.shape, r.dtype)}" if show_shapes else ""),
                "shape": "oval", "module": None, "log": None, "tooltip": "output tensor", "fill": "#d9d9d9",
            }
            d.edges.append((f"op{id(r.grad_fn)}", f"out{i}"))
    for node in ops:
        key = f"op{id(node)}"
        text = node.name + (f"\n{_fmt_shape(node.shape, node.dtype)}" if show_shapes else "")
        d.nodes[key] = {"label": text + grad_text(id(node)), "shape": "box", "module": owner.get(id(node)),
                        "log": logs.get(id(node)), "tooltip": f"{node.name} (made {_fmt_shape(node.shape, node.dtype)})"}
    for t in leaves:
        name = names.get(id(t)) or t.name or ("leaf" if t.requires_grad else "constant")
        text = name + (f"\n{_fmt_shape(t.shape, t.dtype)}" if show_shapes else "")
        d.nodes[f"leaf{id(t)}"] = {"label": text + grad_text(id(t)), "shape": "oval", "module": owner.get(id(t)),
                                   "log": logs.get(id(t)), "tooltip": f"tensor {name}"}
    for child, node in edges:
        src = f"leaf{id(child)}" if isinstance(child, Tensor) else f"op{id(child)}"
        d.edges.append((src, f"op{id(node)}"))
    return d


def _node_style(node, lo, hi):
    lg = node["log"]
    if "fill" in node:
        fill = node["fill"]
    elif lg is None:
        fill = _NO_GRAD_COLOR
    elif lg == -math.inf:
        fill = _ZERO_COLOR
    elif not math.isfinite(lg):
        fill = _NONFINITE_COLOR
    else:
        fill = color_for(lg, lo, hi)
    return {"shape": node["shape"], "style": "filled", "fillcolor": fill, "fontcolor": _font_color(fill),
            "tooltip": node["tooltip"]}


def _legend(graph, lo, hi, kinds):
    """A boxed colour key: five log-spaced ticks plus the special colours in use."""
    with graph.subgraph(name="cluster_legend") as leg:
        leg.attr(label="gradient L2 norm (log scale)", style="rounded", color="gray50", fontsize="11", rank="same")
        ticks = [lo + (hi - lo) * k / 4 for k in range(5)] if hi > lo else [lo]
        keys = []
        for k, v in enumerate(ticks):
            fill = color_for(v, lo, hi)
            keys.append(f"legend{k}")
            leg.node(keys[-1], f"{10 ** v:.0e}", shape="box", style="filled", fillcolor=fill, fontcolor=_font_color(fill))
        specials = {"zero": ("0", _ZERO_COLOR), "nonfinite": ("nan/inf", _NONFINITE_COLOR),
                    "missing": ("not recorded", _NO_GRAD_COLOR)}
        for kind in ("zero", "nonfinite", "missing"):
            if kind in kinds:
                text, fill = specials[kind]
                keys.append(f"legend_{kind}")
                leg.node(keys[-1], text, shape="box", style="filled", fillcolor=fill, fontcolor=_font_color(fill))
        for a, b in zip(keys, keys[1:]):  # invisible chain keeps the key in order, in one row
            leg.edge(a, b, style="invis")


def _emit_clusters(graph, cls, d, styles, module_label):
    """Nodes into nested `cluster_` subgraphs by dotted module name (deepest built first)."""
    members = {}
    for key, node in d.nodes.items():
        members.setdefault(node["module"], []).append(key)
    names = {m for m in members if m is not None}
    for m in list(names):  # every ancestor of a module gets a box too, so nesting shows
        parts = m.split(".")
        names.update(".".join(parts[:k]) for k in range(1, len(parts)))
    subs = {}
    for m in sorted(names, key=lambda s: -s.count(".")):
        sub = cls(name="cluster_" + m)
        sub.attr(label=module_label(m), style="rounded,dashed", color="gray40", fontsize="11")
        for key in members.get(m, ()):
            sub.node(key, d.nodes[key]["label"], **styles[key])
        for child in sorted(c for c in subs if c.rsplit(".", 1)[0] == m and "." in c):
            sub.subgraph(subs.pop(child))
        subs[m] = sub
    for key in members.get(None, ()):
        graph.node(key, d.nodes[key]["label"], **styles[key])
    for m in sorted(subs):
        graph.subgraph(subs[m])


DEFAULT_MAX_NODES = 500  # dot's layout is superlinear: thousands of nodes take minutes


def draw_graph(root, params=None, show_shapes=True, show_grads=True, max_nodes=DEFAULT_MAX_NODES,
               collapse_modules=False, graph_attr=None):
    """Draw the graph that produced `root` (a tensor or a list of tensors).

    Args:
        root: the output tensor(s), e.g. the loss.
        params: ``{name: tensor}`` or a `Module` (its ``named_parameters()``): labels
            parameters by name and, without ``capture_grads(model)``, boxes the ops that
            use them per module.
        show_shapes: print each tensor's shape and dtype.
        show_grads: fill nodes by the log10 L2 norm of their gradient (ops: captured by
            ``mg.viz.capture_grads()`` during backward; leaves: their ``.grad``) and add
            a legend. White means nothing was recorded for the node.
        max_nodes: above this many nodes (default 500), each module collapses to one
            node; if still too many, only the `max_nodes` nearest the output are drawn,
            one node counts the rest and the caption says the drawing was cut. ``None``
            draws everything (a graph of thousands of nodes can take `dot` minutes).
        collapse_modules: collapse modules to one node each regardless of size.
        graph_attr: extra graphviz graph attributes (e.g. ``{"rankdir": "LR"}``).

    Returns a ``graphviz.Digraph``: ``.source`` is the DOT text (no Graphviz program
    needed); ``.render()``/``.pipe()`` need the `dot` program and say how to install it
    when it is missing; Jupyter displays it inline.
    """
    roots = [root] if isinstance(root, Tensor) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError(f"draw_graph: root must be a Tensor or a list of Tensors, got {type(root).__name__}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    cls = _graph_class()
    names = _params_by_id(params)
    walked = ops, leaves, _ = _walk(roots)
    owner = _owners(ops, leaves, names)
    logs = _grad_logs(ops, leaves) if show_grads else {}

    def module_label(name):
        if hasattr(params, "get_submodule"):
            try:
                return f"{name}: {type(params.get_submodule(name)).__name__}"
            except (AttributeError, KeyError, ValueError):
                pass
        return name

    d = _build(roots, walked, names, owner, logs, show_shapes, show_grads)
    too_big = max_nodes is not None and len(d.nodes) > max_nodes
    if collapse_modules or (too_big and owner):
        d.collapse(module_label)
    total = len(d.nodes)
    if max_nodes is not None and total > max_nodes:
        d.cut(max_nodes)
        caption = f"showing the {max_nodes} nodes nearest the output of {total} (max_nodes={max_nodes})"
        graph_attr = {"label": caption, "labelloc": "t", **(graph_attr or {})}

    finite = [n["log"] for n in d.nodes.values() if n["log"] is not None and math.isfinite(n["log"])]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    styles = {key: _node_style(node, lo, hi) for key, node in d.nodes.items()}
    graph = cls(name="minigrad", graph_attr={"fontname": "Helvetica", **(graph_attr or {})},
                node_attr={"fontname": "Helvetica", "fontsize": "10"})
    _emit_clusters(graph, cls, d, styles, module_label)
    for a, b in d.edges:
        graph.edge(a, b)
    if show_grads and logs:
        kinds = set()
        for node in d.nodes.values():
            lg = node["log"]
            if "fill" in node:
                continue
            kinds.add("missing" if lg is None else "zero" if lg == -math.inf else None if math.isfinite(lg) else "nonfinite")
        _legend(graph, lo, hi, kinds)
    return graph
