"""Every example runs its `--quick` smoke configuration to completion and writes its figures.

Each example is run as a user would run it, ``python examples/<name>.py --quick --out
DIR`` in a subprocess, on the device under test (``MINIGRAD_TEST_DEVICE=cuda`` runs them
with ``--device cuda``).
"""
import os
import re
import subprocess
import sys

import pytest

import minigrad as mg
from conftest import STRICT_CUPY, STRICT_CUPY_PATH

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXAMPLES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py") and f[0] != "_")

# example -> files its --quick run must write into --out (a tuple: any one of them);
# examples not listed here only have to finish their --quick run successfully

OUTPUTS = {
    "train_digits": ["curves.png", "grad_trace.png", "diagnosis.txt", ("graph.svg", "graph.dot"), "model.safetensors"],
    "gd_variants": ["gd_variants.png"],
    "batch_size": ["batch_size.png"],
    "optimizers": ["optimizers_ravine.png", "optimizers_rosenbrock.png", "optimizers_loss.png"],
    "lr_schedules": ["lr_schedule_curves.png", "lr_schedules_compared.png"],
    "vanishing_gradients": ["vanishing_gradients.png", "diagnosis.txt", "heatmap_sigmoid.png", "heatmap_relu_he.png",
                            "heatmap_sigmoid_batchnorm.png", "heatmap_exploding.png", "heatmap_exploding_clipped.png"],
    "regularization": ["regularization_curves.png", "regularization_boundaries.png", "regularization_weights.png"],
    "lr_finder": ["lr_find.png", "lr_find_check.png"],
    "gpu": ["gpu.png"],  # only where a GPU is present; otherwise it must exit 0 and say why
}


def run_example(name, *args, timeout=120, strict_cupy=None):
    """Run an example as a user would; on the stand-in leg (or with `strict_cupy`, a device
    count) with tests/strict_cupy first on its path."""
    env = dict(os.environ, MPLBACKEND="Agg")
    if strict_cupy is not None or STRICT_CUPY:
        env["PYTHONPATH"] = os.pathsep.join([STRICT_CUPY_PATH, ROOT, env.get("PYTHONPATH", "")])
        if strict_cupy is not None:
            env["STRICT_CUPY_DEVICES"] = str(strict_cupy)
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", f"{name}.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_training_examples_exist():
    assert set(OUTPUTS) <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_quick_run_exits_0_and_writes_its_figures(name, device, tmp_path):
    device_args = [] if name == "gpu" else ["--device", device]
    out_args = ["--out", str(tmp_path)] if name in OUTPUTS else []
    proc = run_example(name, "--quick", *out_args, *device_args)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    if name == "gpu" and not mg.cuda.is_available():
        assert "no usable GPU" in proc.stdout
        return
    for wanted in OUTPUTS.get(name, ()):
        options = wanted if isinstance(wanted, tuple) else (wanted,)
        found = [f for f in options if (tmp_path / f).is_file() and (tmp_path / f).stat().st_size > 0]
        assert found, f"{name} did not write {' or '.join(options)}; wrote {sorted(os.listdir(tmp_path))}"


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_help_describes_the_common_options(name):
    proc = run_example(name, "--help")
    assert proc.returncode == 0
    for option in ("--device", "--quick", "--out"):
        assert option in proc.stdout


@pytest.mark.skipif(mg.cuda.is_available(), reason="needs a machine without a GPU")
def test_device_cuda_without_a_gpu_fails_with_a_clear_message(tmp_path):
    proc = run_example("batch_size", "--quick", "--device", "cuda", "--out", str(tmp_path))
    assert proc.returncode != 0
    assert "asks for a GPU" in proc.stderr and "--device cpu" in proc.stderr


def test_train_digits_default_run_reaches_97_percent(device, tmp_path):
    # the README's main job, with its default settings
    proc = run_example("train_digits", "--device", device, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    accuracy = float(re.search(r"test accuracy (\d+\.\d+)%", proc.stdout).group(1))
    assert accuracy >= 97.0, proc.stdout[-2000:]


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n != "gpu"])
def test_quick_run_on_the_second_device_of_a_two_device_stand_in(name, tmp_path):
    # everything computed from cuda:1 tensors must stay on cuda:1 (the stand-in raises
    # CuPy's peer-access error when a kernel on one device reads another's array)
    out_args = ["--out", str(tmp_path)] if name in OUTPUTS else []
    proc = run_example(name, "--quick", *out_args, "--device", "cuda:1", strict_cupy=2)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def test_gpu_check_dry_run_lists_install_suite_every_example_and_the_gpu_benchmarks():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gpu_check.py"), "--dry-run"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "--install-only --cupy-package cupy-cuda12x" in out
    assert "MINIGRAD_TEST_DEVICE=cuda" in out and "-m pytest" in out
    for name in EXAMPLES:
        assert f"examples/{name}.py --quick" in out.replace(os.sep, "/"), name
    assert out.count("--device cuda") >= len(EXAMPLES)  # every example but gpu.py, and the bench
    assert "tools/bench.py A B --device cuda" in out.replace(os.sep, "/")


def test_train_digits_compare_torch_prints_torchs_initial_loss(torch, tmp_path):
    # same seed, no copied weights: the same initial weights, batch and dropout masks
    proc = run_example("train_digits", "--quick", "--compare-torch", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = dict(re.findall(r"(minigrad|PyTorch): +initial loss (\d+\.\d+)", proc.stdout))
    assert set(losses) == {"minigrad", "PyTorch"}, proc.stdout[-2000:]
    assert f"{float(losses['minigrad']):.4f}" == f"{float(losses['PyTorch']):.4f}"
