"""draw_graph: DOT structure, names, colours, module boxes, legend, big graphs, rendering."""
import re
import shutil

import pytest

import minigrad as mg
from minigrad import autograd, nn
from minigrad.viz import capture_grads, draw_graph
from minigrad.viz.graph import color_for

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` program not installed")


def net(device):
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).to(device)


def traced_loss(model, device, capture=True):
    x = mg.randn(5, 3, device=device)
    if capture:
        with capture_grads(model):
            loss = (model(x) ** 2).mean()
            loss.backward()
    else:
        loss = (model(x) ** 2).mean()
        loss.backward()
    return loss


def nodes(src):
    """{node id: attribute text} of the DOT node statements."""
    found = re.findall(r"^\s*(\w+) \[(.*?)\]$", src, flags=re.M | re.S)
    return {k: v for k, v in found if k not in ("graph", "node", "edge")}


def edges(src):
    return re.findall(r"^\s*(\w+) -> (\w+)", src, flags=re.M)


def test_op_and_tensor_nodes_with_edges_from_inputs_to_outputs(device):
    model = net(device)
    loss = traced_loss(model, device)
    src = draw_graph(loss, params=model).source
    ns = nodes(src)
    ops = [k for k in ns if k.startswith("op")]
    leaves = [k for k in ns if k.startswith("leaf")]
    assert len(ops) == 5 and len(leaves) == 4 and "out0" in ns  # Linear Sigmoid Linear PowScalar Mean
    assert sum(1 for a, b in edges(src) if not a.startswith("legend")) == 4 + 4 + 1
    assert any("SigmoidBackward0\n(5, 4) float32" in ns[k] for k in ops)
    mean = next(k for k in ops if "Mean" in ns[k])
    assert (mean, "out0") in edges(src)


def test_parameters_are_labelled_by_name_from_a_dict_or_a_module(device):
    model = net(device)
    loss = traced_loss(model, device)
    for params in (model, dict(model.named_parameters())):
        src = draw_graph(loss, params=params).source
        for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
            assert f'label="{name}\n' in src


def test_nodes_are_coloured_by_log_gradient_with_a_legend(device):
    model = net(device)
    loss = traced_loss(model, device)
    src = draw_graph(loss, params=model).source
    ns = nodes(src)
    fills = {k: re.search(r'fillcolor="(#\w+)"', v).group(1) for k, v in ns.items() if k.startswith(("op", "leaf"))}
    assert "#ffffff" not in fills.values()  # every node got a recorded gradient
    mean = next(k for k in ns if k.startswith("op") and "Mean" in ns[k])
    assert fills[mean] == color_for(1.0, 0.0, 1.0)  # d(loss)/d(loss) = 1 is the largest here
    assert "|grad| 1.00e+00" in ns[mean]
    assert "subgraph cluster_legend" in src and "gradient L2 norm (log scale)" in src
    assert len([k for k in ns if k.startswith("legend")]) == 5


def test_leaves_are_coloured_from_grad_without_capture(device):
    model = net(device)
    loss = traced_loss(model, device, capture=False)
    ns = nodes(draw_graph(loss, params=model).source)
    assert all('fillcolor="#ffffff"' in v for k, v in ns.items() if k.startswith("op"))
    assert all('fillcolor="#ffffff"' not in v for k, v in ns.items() if k.startswith("leaf"))
    assert "legend_missing" in ns  # the key explains the white nodes


def test_show_grads_false_draws_no_colours_or_legend(device):
    model = net(device)
    src = draw_graph(traced_loss(model, device), params=model, show_grads=False, show_shapes=False).source
    labels = re.findall(r'label="?([^"\]]*)', src)
    assert "legend" not in src and "|grad|" not in src
    assert not any("float32" in label for label in labels)


def test_capture_boxes_every_op_by_the_module_that_ran_it(device):
    model = net(device)
    src = draw_graph(traced_loss(model, device), params=model).source
    sigmoid_box = re.search(r"subgraph cluster_1 \{(.*?)\}", src, flags=re.S).group(1)
    assert 'label="1: Sigmoid"' in sigmoid_box and "SigmoidBackward0\n" in sigmoid_box


def test_boxes_are_inferred_from_parameter_names_without_capture(device):
    model = net(device)
    src = draw_graph(traced_loss(model, device, capture=False), params=model).source
    assert "cluster_0" in src and "cluster_2" in src and "cluster_1" not in src


def test_nested_modules_give_nested_boxes(device):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(x).relu() + x  # the relu and the add belong to the block itself

    mg.manual_seed(0)
    model = nn.Sequential(Block(), Block()).to(device)
    src = draw_graph(traced_loss(model, device), params=model).source
    outer = src.index("subgraph cluster_0 {")
    inner = src.index('subgraph "cluster_0.fc" {')
    close = src.index("}", inner)
    assert outer < inner < src.index("}", close + 1)
    block = src[outer:inner]
    assert "Relu" in block and "Add" in block


def test_zero_and_nonfinite_gradients_get_their_own_colours(device):
    x = mg.tensor([1.0, -1.0], device=device, requires_grad=True)
    with capture_grads():
        y = x.relu() * mg.tensor([0.0, 1.0], device=device)
        y.sum().backward()
    src = draw_graph(y).source
    assert "#bdbdbd" in src  # x.grad is [0, 0]: relu is dead at -1 and the weight is 0 at 1
    w = mg.tensor([1.0], device=device, requires_grad=True)
    with capture_grads():
        z = (w * float("inf")).sum()
        z.backward()
    assert "#e41a1c" in draw_graph(z).source and "nan/inf" in draw_graph(z).source


def test_capture_leaves_nothing_behind_so_training_pays_nothing(device):
    model = net(device)
    traced_loss(model, device)
    assert autograd.grad_observers == []
    assert all(not m._forward_hooks for m in model.modules())


def test_max_nodes_collapses_modules_then_cuts(device):
    mg.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(4, 4) if i % 2 == 0 else nn.Tanh() for i in range(40)]).to(device)
    x = mg.randn(2, 4, device=device)
    with capture_grads(model):
        loss = model(x).sum()
        loss.backward()
    full = nodes(draw_graph(loss, params=model, show_grads=False).source)
    assert len(full) == 40 + 40 + 2  # 40 layer ops, 40 parameters, Sum, output
    collapsed = nodes(draw_graph(loss, params=model, max_nodes=60, show_grads=False).source)
    assert len(collapsed) == 40 + 2 and sum(k.startswith("mod") for k in collapsed) == 40
    assert any("39: Tanh" in v for v in collapsed.values())
    cut = draw_graph(loss, params=model, max_nodes=10).source
    assert "... 32 more nodes" in cut


def test_two_thousand_deep_graph_draws_without_recursion(device):
    x = mg.ones(3, device=device, requires_grad=True)
    y = x
    for _ in range(2000):
        y = y * 1.0001
    with capture_grads():
        y.sum().backward()  # fresh graph: the captured norms belong to it
    g = draw_graph(y, max_nodes=None)  # uncapped on request
    assert len(edges(g.source)) >= 2000
    assert "Mul" in g.source


def test_graphs_are_capped_at_500_nodes_by_default_and_the_picture_says_so(device):
    x = mg.ones(3, device=device, requires_grad=True)
    y = x
    for _ in range(600):
        y = y * 1.0001
    source = draw_graph(y, show_grads=False).source
    assert len(nodes(source)) == 501  # 500 drawn plus the one counting the rest
    assert "more nodes" in source and "max_nodes=500" in source
    small = draw_graph(x * 2, show_grads=False).source
    assert "max_nodes" not in small  # no caption when nothing was cut


def test_a_20000_op_chain_draws_fast(device):
    import shutil
    import time

    x = mg.ones(3, device=device, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    start = time.perf_counter()
    g = draw_graph(y)
    built = time.perf_counter() - start
    assert built < 10.0, f"building the drawing took {built:.1f} s"
    assert len(nodes(g.source)) <= 501
    if shutil.which("dot"):
        start = time.perf_counter()
        g.pipe(format="svg")
        assert time.perf_counter() - start < 30.0


def test_bad_arguments_raise(device):
    with pytest.raises(TypeError, match="root must be a Tensor"):
        draw_graph("loss")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(mg.ones(1, requires_grad=True) * 2, max_nodes=0)
    with pytest.raises(TypeError, match="params"):
        draw_graph(mg.ones(1, requires_grad=True) * 2, params=[1])


@needs_dot
def test_renders_svg_and_displays_in_jupyter(device, tmp_path):
    model = net(device)
    g = draw_graph(traced_loss(model, device), params=model)
    svg = g.pipe(format="svg").decode()
    assert "<svg" in svg and "0.weight" in svg
    assert "<svg" in g._repr_image_svg_xml()
    out = g.render(tmp_path / "graph", format="png")
    assert open(out, "rb").read(4) == b"\x89PNG"


def test_missing_dot_says_how_to_install_it(device, monkeypatch, tmp_path):
    model = net(device)
    g = draw_graph(traced_loss(model, device), params=model)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as err:
        g.pipe(format="svg")
    assert 'pip install "minigrad[viz]"' in str(err.value)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.render(tmp_path / "x", format="svg")
    assert "digraph" in g.source  # the DOT text needs no program


def test_several_roots_and_a_leaf_root(device):
    w = mg.ones(2, device=device, requires_grad=True)
    a, b = (w * 2).sum(), (w * 3).sum()
    ns = nodes(draw_graph([a, b, w], params={"w": w}).source)
    assert {"out0", "out1"} <= set(ns) and sum("Mul" in v for v in ns.values()) == 2
    assert sum('label="w\n' in v for v in ns.values()) == 1


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    import sys

    from minigrad.viz import graph

    graph._graph_class.cache_clear()
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now fails
    try:
        with pytest.raises(ImportError, match=r'pip install "minigrad\[viz\]"'):
            draw_graph(mg.ones(1, requires_grad=True) * 2)
    finally:
        graph._graph_class.cache_clear()
