"""The public API contract of /work/shared/DESIGN.md ("Public API"), locked in.

Code outside this repository relies on these names, parameter names, parameter order and
default values. Each DESIGN signature is written below as a Python parameter list and
compared with ``inspect.signature``:

* positional parameters must match the spec's in name, order and default (the
  implementation may add more after them, each with a default);
* the spec's keyword-only parameters (after ``*``) must exist, in any position, with the
  spec's default;
* every extra parameter the implementation adds must have a default, so that calls written
  against DESIGN keep working.

Where PyTorch (or scikit-learn) has the same callable, its signature is compared too, so
that drift from PyTorch's names and defaults is caught: optimizers, schedulers, layers,
losses, functional forms, init and utils. Light behavioural checks cover the few things
DESIGN states that no other test file pins down.
"""
import inspect

import numpy as np
import pytest

import minigrad as mg

from conftest import to_np

_EMPTY = inspect.Parameter.empty
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _params(obj):
    """Parameters of a callable, without ``self``."""
    return [p for p in inspect.signature(obj).parameters.values() if p.name != "self"]


def _spec(text):
    """Parameters of a spec like ``"in_features, out_features, bias=True"``."""
    return list(inspect.signature(eval(f"lambda {text}: None")).parameters.values())  # noqa: S307


def assert_signature(obj, spec):
    """`obj` takes the parameters of `spec` as the module docstring describes."""
    got, want = _params(obj), _spec(spec)
    by_name = {p.name: p for p in got}
    want_pos = [p for p in want if p.kind in _POSITIONAL or p.kind == p.VAR_POSITIONAL]
    got_pos = [p for p in got if p.kind in _POSITIONAL or p.kind == p.VAR_POSITIONAL]
    assert [(p.name, p.kind == p.VAR_POSITIONAL) for p in got_pos[: len(want_pos)]] == [
        (p.name, p.kind == p.VAR_POSITIONAL) for p in want_pos
    ], f"{obj.__qualname__}{inspect.signature(obj)}: positional parameters should start with ({spec})"
    for p in want:
        assert p.name in by_name, f"{obj.__qualname__}{inspect.signature(obj)} lacks {p.name!r} of ({spec})"
        assert by_name[p.name].default == p.default or (
            by_name[p.name].default is _EMPTY and p.default is _EMPTY
        ), f"{obj.__qualname__}: {p.name} defaults to {by_name[p.name].default!r}, DESIGN says {p.default!r}"
    names = {p.name for p in want}
    for p in got:
        if p.name not in names and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            assert p.default is not _EMPTY, f"{obj.__qualname__}: extra parameter {p.name!r} needs a default"


def assert_matches_reference(ours, theirs, ignore=()):
    """Same parameter names and defaults as the reference callable (PyTorch, scikit-learn),
    ignoring the reference-only flags in `ignore`; the reference's positional parameters are
    positional here too, in the same order."""
    got, ref = _params(ours), [p for p in _params(theirs) if p.name not in ignore]
    by_name = {p.name: p for p in got}
    missing = [p.name for p in ref if p.name not in by_name]
    assert not missing, f"{ours.__qualname__} lacks the reference's parameters {missing}"
    wrong = {p.name: (by_name[p.name].default, p.default) for p in ref if by_name[p.name].default != p.default}
    assert not wrong, f"{ours.__qualname__}: defaults (ours, reference) differ: {wrong}"
    # after a reference-only positional flag, later ones cannot be passed by position anyway
    ref_pos = []
    for p in _params(theirs):
        if p.kind not in _POSITIONAL or p.name in ignore:
            break
        ref_pos.append(p.name)
    got_pos = [p.name for p in got if p.kind in _POSITIONAL and p.name in ref_pos]
    assert got_pos == ref_pos, f"{ours.__qualname__}: positional order {got_pos} vs reference {ref_pos}"


def _resolve(path):
    """``"nn.functional.linear"`` -> ``mg.nn.functional.linear``."""
    obj = mg
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# ------------------------------------------------------------------ signatures DESIGN states
_SIZE_KW = "dtype=None, device=None, requires_grad=False"
SIGNATURES = {
    # tensors
    "tensor": "data, dtype=None, device=None, requires_grad=False",
    "Tensor": "data, dtype=None, device=None, requires_grad=False",
    "zeros": f"*size, {_SIZE_KW}",
    "ones": f"*size, {_SIZE_KW}",
    "empty": f"*size, {_SIZE_KW}",
    "rand": f"*size, {_SIZE_KW}",
    "randn": f"*size, {_SIZE_KW}",
    "full": f"size, fill_value, {_SIZE_KW}",
    "zeros_like": f"input, {_SIZE_KW}",
    "ones_like": f"input, {_SIZE_KW}",
    "full_like": f"input, fill_value, {_SIZE_KW}",
    "empty_like": f"input, {_SIZE_KW}",
    "rand_like": f"input, *, {_SIZE_KW}",
    "randn_like": f"input, *, {_SIZE_KW}",
    "arange": f"start, end=None, step=1, {_SIZE_KW}",
    "eye": f"n, m=None, {_SIZE_KW}",
    "randint": f"low, high=None, size=None, *, {_SIZE_KW}",
    "set_default_dtype": "dtype",
    "manual_seed": "seed",
    "Generator": "device='cpu'",
    "gradcheck": "fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3",
    "save": "obj, path",
    "load": "path, device=None",
    "from_numpy": "array",
    "from_dlpack": "obj",
    "cuda.is_available": "",
    "cuda.device_count": "",
    "autograd.detect_anomaly": "check_nan=True",
    "cat": "tensors, dim=0",
    "stack": "tensors, dim=0",
    # mg.nn layers and activations
    "nn.Linear": "in_features, out_features, bias=True",
    "nn.Flatten": "start_dim=1, end_dim=-1",
    "nn.Dropout": "p=0.5",
    "nn.BatchNorm1d": "num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True",
    "nn.LayerNorm": "normalized_shape",
    "nn.LeakyReLU": "negative_slope=0.01",
    "nn.ELU": "alpha=1.0",
    "nn.GELU": "approximate='none'",
    "nn.Softplus": "beta=1.0, threshold=20.0",
    "nn.Softmax": "dim=None",
    "nn.LogSoftmax": "dim=None",
    "nn.Parameter": "data=None, requires_grad=True",
    "nn.Sequential": "*args",
    "nn.ModuleList": "modules=None",
    # losses: reduction='mean'|'sum'|'none' plus the named options
    "nn.MSELoss": "*, reduction='mean'",
    "nn.L1Loss": "*, reduction='mean'",
    "nn.HuberLoss": "*, reduction='mean', delta=1.0",
    "nn.SmoothL1Loss": "*, reduction='mean', beta=1.0",
    "nn.BCELoss": "weight=None, *, reduction='mean'",
    "nn.BCEWithLogitsLoss": "weight=None, *, reduction='mean', pos_weight=None",
    "nn.NLLLoss": "weight=None, *, ignore_index=-100, reduction='mean'",
    "nn.CrossEntropyLoss": "weight=None, *, ignore_index=-100, reduction='mean', label_smoothing=0.0",
    # functional forms
    "nn.functional.linear": "input, weight, bias=None",
    "nn.functional.dropout": "input, p=0.5, training=True",
    "nn.functional.batch_norm": (
        "input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5"
    ),
    "nn.functional.layer_norm": "input, normalized_shape, weight=None, bias=None, eps=1e-5",
    "nn.functional.leaky_relu": "input, negative_slope=0.01",
    "nn.functional.elu": "input, alpha=1.0",
    "nn.functional.softmax": "input, dim=None",
    "nn.functional.log_softmax": "input, dim=None",
    "nn.functional.mse_loss": "input, target, *, reduction='mean'",
    "nn.functional.huber_loss": "input, target, *, reduction='mean', delta=1.0",
    "nn.functional.smooth_l1_loss": "input, target, *, reduction='mean', beta=1.0",
    "nn.functional.binary_cross_entropy_with_logits": "input, target, weight=None, *, reduction='mean', pos_weight=None",
    "nn.functional.nll_loss": "input, target, weight=None, *, ignore_index=-100, reduction='mean'",
    "nn.functional.cross_entropy": (
        "input, target, weight=None, *, ignore_index=-100, reduction='mean', label_smoothing=0.0"
    ),
    "nn.functional.l1_penalty": "params",
    "nn.functional.l2_penalty": "params",
    # init and utils
    "nn.init.calculate_gain": "nonlinearity, param=None",
    "nn.init.uniform_": "tensor, a=0.0, b=1.0",
    "nn.init.normal_": "tensor, mean=0.0, std=1.0",
    "nn.init.constant_": "tensor, val",
    "nn.init.xavier_uniform_": "tensor, gain=1.0",
    "nn.init.kaiming_normal_": "tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'",
    "nn.utils.clip_grad_norm_": "parameters, max_norm, norm_type=2.0, error_if_nonfinite=False",
    "nn.utils.clip_grad_value_": "parameters, clip_value",
    "nn.utils.parameters_to_vector": "parameters",
    "nn.utils.vector_to_parameters": "vec, parameters",
    # Module methods
    "nn.Module.load_state_dict": "state_dict, strict=True",
    "nn.Module.zero_grad": "set_to_none=True",
    "nn.Module.train": "mode=True",
    "nn.Module.register_buffer": "name, tensor, persistent=True",
    "nn.Module.register_forward_hook": "hook",
    "nn.Module.apply": "fn",
    # optim
    "optim.Optimizer": "params, defaults",
    "optim.Optimizer.step": "closure=None",
    "optim.Optimizer.zero_grad": "set_to_none=True",
    "optim.Optimizer.add_param_group": "param_group",
    "optim.Optimizer.load_state_dict": "state_dict",
    "optim.SGD": "params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False",
    "optim.Adam": "params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False",
    "optim.RMSprop": "params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False",
    "optim.Lion": "params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0",
    # data
    "data.TensorDataset": "*tensors",
    "data.Subset": "dataset, indices",
    "data.random_split": "dataset, lengths, generator=None",
    "data.RandomSampler": "data_source, replacement=False, num_samples=None",
    "data.StratifiedBatchSampler": "labels, batch_size, drop_last=False",
    "data.DataLoader": (
        "dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, drop_last=False, "
        "collate_fn=None, generator=None, device=None"
    ),
    "data.datasets.make_moons": "n_samples=100, *, shuffle=True, noise=None, random_state=None",
    "data.datasets.make_spirals": "n_samples=100, *, random_state=None",
    "data.datasets.load_digits": "",
    "data.datasets.load_idx": "path",
    "data.datasets.load_mnist": "root",
    # trace, viz, train
    "trace.GradientTracer": "model, every=1, activations=True",
    "trace.GradientTracer.history": "metric",
    "trace.GradientTracer.to_csv": "path",
    "trace.GradientTracer.to_json": "path",
    "trace.GradientTracer.plot": "path=None",
    "trace.diagnose": "tracer",  # every threshold after it is an argument with a default
    "viz.draw_graph": "root, params=None, show_shapes=True, show_grads=True",
    "viz.plot_grad_flow": "tracer, path=None",
    "viz.plot_history": "history, path=None",
    "train.fit": (
        "model, loss_fn, optimizer, train_loader, epochs, val_loader=None, scheduler=None, "
        "callbacks=(), metrics=(), device=None, progress=True"
    ),
    "train.EarlyStopping": "monitor='val_loss', patience=5, min_delta=0.0, mode='min', restore_best=True",
    "train.lr_find": "model, loss_fn, optimizer, loader, start_lr=1e-7, end_lr=10, num_iter=100",
}

# Tensor methods, checked on a bound method so that `self` is gone
TENSOR_METHOD_SIGNATURES = {
    "backward": "gradient=None, retain_graph=False",
    "size": "dim=None",
    "requires_grad_": "requires_grad=True",
    "register_hook": "hook",
    "cuda": "device=None",
    "sum": "dim=None, keepdim=False",
    "mean": "dim=None, keepdim=False",
    "max": "dim=None, keepdim=False",
    "min": "dim=None, keepdim=False",
    "var": "dim=None, unbiased=None, keepdim=False, correction=None",
    "std": "dim=None, unbiased=None, keepdim=False, correction=None",
    "logsumexp": "dim=None, keepdim=False",
    "argmax": "dim=None, keepdim=False",
    "argmin": "dim=None, keepdim=False",
    "clamp": "min=None, max=None",
    "flatten": "start_dim=0, end_dim=-1",
    "transpose": "dim0, dim1",
    "squeeze": "dim=None",
    "unsqueeze": "dim",
    "reshape": "*shape",
    "view": "*shape",
    "permute": "*dims",
    "expand": "*sizes",
    "softmax": "dim=-1",
    "log_softmax": "dim=-1",
}


@pytest.mark.parametrize("path", sorted(SIGNATURES))
def test_signature_matches_design(path):
    assert_signature(_resolve(path), SIGNATURES[path])


@pytest.mark.parametrize("name", sorted(TENSOR_METHOD_SIGNATURES))
def test_tensor_method_signature_matches_design(name):
    assert_signature(getattr(mg.zeros(2, 3), name), TENSOR_METHOD_SIGNATURES[name])


# ------------------------------------------------------------------------ names that exist
NAMES = {
    "": "tensor Tensor zeros ones full empty zeros_like ones_like arange eye rand randn randint "
        "float16 float32 float64 int32 int64 bool_ set_default_dtype get_default_dtype no_grad enable_grad "
        "is_grad_enabled manual_seed Generator from_dlpack from_numpy gradcheck save load cat stack matmul "
        "softmax log_softmax exp log log1p sqrt abs sin cos tanh sigmoid relu clamp maximum minimum where",
    "cuda": "is_available device_count",
    "autograd": "detect_anomaly",
    "nn": "Module Parameter Sequential ModuleList Linear Identity Flatten Dropout BatchNorm1d LayerNorm "
          "ReLU Sigmoid Tanh LeakyReLU ELU GELU Softplus Softmax LogSoftmax MSELoss L1Loss HuberLoss "
          "SmoothL1Loss BCELoss BCEWithLogitsLoss NLLLoss CrossEntropyLoss functional init utils",
    "nn.functional": "linear dropout batch_norm layer_norm relu sigmoid tanh leaky_relu elu gelu softplus softmax "
                     "log_softmax mse_loss l1_loss huber_loss smooth_l1_loss binary_cross_entropy "
                     "binary_cross_entropy_with_logits nll_loss cross_entropy l1_penalty l2_penalty",
    "nn.init": "calculate_gain uniform_ normal_ constant_ zeros_ ones_ eye_ xavier_uniform_ xavier_normal_ "
               "kaiming_uniform_ kaiming_normal_ orthogonal_",
    "nn.utils": "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters",
    "nn.Module": "forward __call__ parameters named_parameters buffers named_buffers children named_children "
                 "modules named_modules train eval zero_grad state_dict load_state_dict to apply "
                 "register_buffer register_forward_hook __repr__",
    "optim": "Optimizer SGD Adagrad RMSprop Adadelta Adam AdamW Adamax NAdam RAdam Rprop ASGD LBFGS Lion "
             "lr_scheduler",
    "optim.lr_scheduler": "LRScheduler LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR "
                          "ExponentialLR PolynomialLR CosineAnnealingLR CosineAnnealingWarmRestarts CyclicLR "
                          "OneCycleLR ReduceLROnPlateau SequentialLR ChainedScheduler",
    "optim.lr_scheduler.LRScheduler": "step get_last_lr state_dict load_state_dict",
    "data": "Dataset TensorDataset Subset random_split SequentialSampler RandomSampler WeightedRandomSampler "
            "BatchSampler StratifiedBatchSampler DataLoader datasets",
    "data.datasets": "make_regression make_classification make_moons make_spirals load_digits load_idx load_mnist",
    "trace": "GradientTracer",
    "trace.GradientTracer": "attach detach history diagnose to_csv to_json plot steps __enter__ __exit__",
    "viz": "draw_graph plot_grad_flow plot_history",
    "train": "fit EarlyStopping lr_find History",
}


@pytest.mark.parametrize("namespace", sorted(NAMES), ids=lambda n: n or "mg")
def test_every_design_name_exists(namespace):
    owner = _resolve(namespace) if namespace else mg
    missing = [n for n in NAMES[namespace].split() if not hasattr(owner, n)]
    assert not missing, f"mg.{namespace}: missing {missing}"


def test_tensor_has_design_attributes_and_methods():
    x = mg.ones(2, 3, requires_grad=True)
    y = (x * 2).sum()
    for attr in "data grad shape ndim dtype device requires_grad is_leaf grad_fn T".split():
        getattr(x, attr)  # an AttributeError fails the test
    assert x.device == "cpu" and x.is_leaf and y.grad_fn.name and y.grad_fn.inputs is not None
    for name in ("backward detach numpy item tolist numel size to cpu cuda requires_grad_ retain_grad "
                 "register_hook zero_ __array__ __dlpack__ __getitem__ __matmul__ __pow__ __neg__").split():
        assert callable(getattr(x, name)), name


def test_gradient_tracer_instance_has_names_and_steps():
    tracer = mg.trace.GradientTracer(mg.nn.Sequential(mg.nn.Linear(2, 3), mg.nn.ReLU(), mg.nn.Linear(3, 1)))
    assert tracer.names == ["0", "1", "2"] and list(tracer.steps) == []


def test_scheduler_exposes_last_epoch():
    opt = mg.optim.SGD([mg.nn.Parameter(mg.zeros(1))], lr=0.1)
    sched = mg.optim.lr_scheduler.StepLR(opt, step_size=1)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.1]


# -------------------------------------------------------------------- parity with PyTorch
# PyTorch-only switches for its own kernels and legacy arguments minigrad does not have
TORCH_ONLY = {"foreach", "fused", "capturable", "differentiable", "device", "dtype", "size_average", "reduce",
              "_stacklevel"}
OPTIMIZERS = "SGD Adagrad RMSprop Adadelta Adam AdamW Adamax NAdam RAdam Rprop ASGD LBFGS".split()
SCHEDULERS = NAMES["optim.lr_scheduler"].split()


# torch optimizers outside DESIGN: SparseAdam needs sparse gradients, which minigrad does not
# have; Adafactor and Muon are not part of the contract yet.
TORCH_OPTIMIZERS_NOT_IN_MINIGRAD = {"SparseAdam", "Adafactor", "Muon"}


def test_every_torch_optimizer_and_scheduler_exists_or_is_listed_as_absent(torch):
    theirs = {n for n, o in vars(torch.optim).items() if isinstance(o, type) and issubclass(o, torch.optim.Optimizer)}
    assert theirs - set(OPTIMIZERS) - {"Optimizer"} <= TORCH_OPTIMIZERS_NOT_IN_MINIGRAD
    lr = torch.optim.lr_scheduler
    schedulers = {n for n, o in vars(lr).items()
                  if isinstance(o, type) and o.__module__ == lr.__name__ and not n.startswith("_")}
    assert schedulers <= set(SCHEDULERS), f"torch schedulers missing here: {schedulers - set(SCHEDULERS)}"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_arguments_and_defaults_match_torch(name, torch):
    ours, theirs = getattr(mg.optim, name), getattr(torch.optim, name)
    assert_matches_reference(ours, theirs, TORCH_ONLY)
    for method in "step zero_grad state_dict load_state_dict".split():
        assert_matches_reference(getattr(ours, method), getattr(theirs, method))


@pytest.mark.parametrize("method", "step zero_grad add_param_group state_dict load_state_dict".split())
def test_optimizer_methods_match_torch(method, torch):
    assert_matches_reference(getattr(mg.optim.Optimizer, method), getattr(torch.optim.Optimizer, method))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_arguments_and_defaults_match_torch(name, torch):
    ours, theirs = getattr(mg.optim.lr_scheduler, name), getattr(torch.optim.lr_scheduler, name)
    assert_matches_reference(ours, theirs)
    for method in "step get_last_lr state_dict load_state_dict".split():
        if hasattr(theirs, method):
            assert_matches_reference(getattr(ours, method), getattr(theirs, method))


NN_CLASSES = ("Parameter Sequential ModuleList Linear Identity Flatten Dropout BatchNorm1d LayerNorm ReLU Sigmoid "
              "Tanh LeakyReLU ELU GELU Softplus Softmax LogSoftmax MSELoss L1Loss HuberLoss SmoothL1Loss BCELoss "
              "BCEWithLogitsLoss NLLLoss CrossEntropyLoss").split()
# Python-level functions in torch.nn.functional (the C builtins carry no signature)
FUNCTIONAL = ("relu leaky_relu elu dropout batch_norm layer_norm softmax log_softmax mse_loss l1_loss huber_loss "
              "smooth_l1_loss binary_cross_entropy binary_cross_entropy_with_logits nll_loss cross_entropy").split()


@pytest.mark.parametrize("name", NN_CLASSES)
def test_nn_class_arguments_and_defaults_match_torch(name, torch):
    # Sigmoid/Tanh take (*args, **kwargs) in torch only to ignore them
    ignore = TORCH_ONLY | ({"args", "kwargs"} if name in ("Sigmoid", "Tanh") else set())
    assert_matches_reference(getattr(mg.nn, name), getattr(torch.nn, name), ignore)


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_arguments_and_defaults_match_torch(name, torch):
    assert_matches_reference(getattr(mg.nn.functional, name), getattr(torch.nn.functional, name), TORCH_ONLY)


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "gelu", "softplus"])
def test_builtin_functional_first_argument_is_named_input_like_torch(name):
    assert _params(getattr(mg.nn.functional, name))[0].name == "input"


@pytest.mark.parametrize("name", NAMES["nn.init"].split())
def test_init_arguments_and_defaults_match_torch(name, torch):
    assert_matches_reference(getattr(mg.nn.init, name), getattr(torch.nn.init, name))


@pytest.mark.parametrize("name", NAMES["nn.utils"].split())
def test_nn_utils_arguments_and_defaults_match_torch(name, torch):
    assert_matches_reference(getattr(mg.nn.utils, name), getattr(torch.nn.utils, name))


# Module options of torch that minigrad does not offer (not part of DESIGN): loading by
# assignment, and forward hooks that receive kwargs or run when forward raises.
MODULE_TORCH_ONLY = {"load_state_dict": {"assign"}, "register_forward_hook": {"with_kwargs", "always_call"}}


@pytest.mark.parametrize("name", "parameters named_parameters buffers named_buffers children named_children "
                                 "modules named_modules train eval zero_grad state_dict load_state_dict apply "
                                 "register_buffer register_forward_hook".split())
def test_module_methods_match_torch(name, torch):
    # torch's state_dict also takes a deprecated *args
    ignore = {"args"} | MODULE_TORCH_ONLY.get(name, set())
    assert_matches_reference(getattr(mg.nn.Module, name), getattr(torch.nn.Module, name), ignore)


def test_modules_can_keep_duplicates_like_torch():
    shared = mg.nn.Linear(2, 2)
    net = mg.nn.Sequential(shared, shared)
    assert len(list(net.modules())) == 2 and len(list(net.modules(remove_duplicate=False))) == 3


@pytest.mark.parametrize("name", "Subset random_split SequentialSampler RandomSampler WeightedRandomSampler "
                                 "BatchSampler".split())
def test_data_arguments_match_torch(name, torch):
    import torch.utils.data as tdata

    ours, theirs = getattr(mg.data, name), getattr(tdata, name)
    # torch's random_split defaults to its global generator object; minigrad's None means the same
    assert_matches_reference(ours, theirs, {"generator"} if name == "random_split" else ())


@pytest.mark.parametrize("name", ["make_regression", "make_classification", "make_moons", "load_digits"])
def test_dataset_makers_take_scikit_learns_arguments(name):
    datasets = pytest.importorskip("sklearn.datasets")
    # as_frame needs pandas, which minigrad does not depend on
    assert_matches_reference(getattr(mg.data.datasets, name), getattr(datasets, name), {"as_frame"})


# --------------------------------------------------------- behaviour DESIGN states outright
def test_max_and_min_with_dim_return_values_and_indices(device):
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], device=device)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == mg.int64
    values, indices = x.min(dim=0)
    assert values.tolist() == [1.0, 0.0, 2.0] and indices.tolist() == [0, 1, 0]
    assert x.max(dim=1).values.tolist() == [5.0, 7.0] and x.max(dim=1).indices.tolist() == [1, 0]


def test_max_and_min_without_dim_are_scalar_tensors(device):
    x = mg.tensor([[1.0, 5.0], [7.0, 0.0]], device=device)
    assert x.max().shape == () and x.max().item() == 7.0 and x.min().item() == 0.0


def test_lion_defaults_follow_the_paper():
    opt = mg.optim.Lion([mg.nn.Parameter(mg.zeros(1))])
    group = opt.param_groups[0]
    assert group["lr"] == 1e-4 and tuple(group["betas"]) == (0.9, 0.99) and group["weight_decay"] == 0.0


def test_clip_grad_norm_returns_the_total_norm(device):
    p = mg.nn.Parameter(mg.zeros(2, device=device))
    p.grad = mg.tensor([3.0, 4.0], device=device)
    total = mg.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert abs(float(total.item() if hasattr(total, "item") else total) - 5.0) < 1e-6


def test_detect_anomaly_is_a_context_manager():
    with mg.autograd.detect_anomaly():
        (mg.ones(2, requires_grad=True) * 2).sum().backward()


def test_enable_grad_works_inside_no_grad_and_as_a_decorator():
    @mg.enable_grad()
    def double(t):
        return t * 2

    x = mg.ones(2, requires_grad=True)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        assert double(x).requires_grad
    assert mg.is_grad_enabled()


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_loss_weight_matches_torch(name, reduction, device, torch):
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(4, 3)), 2 * rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))
    ours = mg.tensor(x, device=device, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    got = getattr(mg.nn.functional, name)(ours, mg.tensor(y, device=device), reduction=reduction,
                                          weight=mg.tensor(w, device=device))
    want = getattr(torch.nn.functional, name)(theirs, torch.tensor(y), reduction=reduction, weight=torch.tensor(w))
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(to_np(got), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_np(ours.grad), theirs.grad.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_elementwise_loss_weight_of_another_shape_raises(device):
    x = mg.zeros(4, 3, device=device)
    with pytest.raises(ValueError, match=r"weight shape \(3,\) must equal input shape \(4, 3\)"):
        mg.nn.functional.mse_loss(x, x, weight=mg.ones(3, device=device))
