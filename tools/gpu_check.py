"""One-shot check of minigrad on a real GPU, for a machine that has one now and then.

    python tools/gpu_check.py                  # everything, summary in gpu_check.md
    python tools/gpu_check.py --dry-run        # list the steps, run nothing

Steps (each under its own time limit, ~10 minutes in all on one GPU):
  1. install CuPy if it is missing (pip install cupy-cuda12x, or --cupy-package);
  2. the test suite with MINIGRAD_TEST_DEVICE=cuda;
  3. every example with --device cuda --quick;
  4. tools/bench.py A B --device cuda, against PyTorch CUDA where torch has CUDA.
The summary file holds each step's command, exit status, time and the lines that
matter (suite counts, benchmark table, failures). Exit status 1 if any step failed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py") and f[0] != "_")


def steps(args):
    """(name, command, time limit in s, extra environment) of every step, in order."""
    py = sys.executable
    out = []
    if not args.skip_install:
        out.append(("install CuPy if missing", [py, os.path.join("tools", "gpu_check.py"), "--install-only",
                                                "--cupy-package", args.cupy_package], 240, {}))
    out.append(("test suite on cuda", [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-x"] if args.fail_fast else []),
                300, {"MINIGRAD_TEST_DEVICE": "cuda"}))
    for name in EXAMPLES:
        out.append((f"example {name}", [py, os.path.join("examples", f"{name}.py"), "--quick", "--device", "cuda",
                                        "--out", os.path.join(args.workdir, name)] if name != "gpu"
                    else [py, os.path.join("examples", "gpu.py"), "--quick", "--out", os.path.join(args.workdir, name)],
                    60, {"MPLBACKEND": "Agg"}))
    out.append(("benchmarks A B on cuda vs PyTorch CUDA", [py, os.path.join("tools", "bench.py"), "A", "B", "--device", "cuda"],
                180, {}))
    return out


def install_cupy(package):
    """pip install `package` where cupy is missing; exit status 0 only if a GPU is usable."""
    import importlib.util

    if importlib.util.find_spec("cupy") is None:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", package])
    import cupy

    n = cupy.cuda.runtime.getDeviceCount()
    print(f"cupy {cupy.__version__}, {n} GPU(s): {cupy.cuda.runtime.getDeviceProperties(0)['name']}")
    return 0 if n > 0 else 1


def _interesting(name, text):
    """The lines of a step's output worth keeping in the summary."""
    lines = text.splitlines()
    if name.startswith("test suite"):
        keep = [ln for ln in lines if re.search(r"\b(passed|failed|error)\b", ln) or ln.startswith(("FAILED", "ERROR"))]
        return keep[-40:]
    if name.startswith("benchmarks"):
        return [ln for ln in lines if ln.strip()]
    return lines[-15:]


def run(args):
    os.makedirs(args.workdir, exist_ok=True)
    report = [f"# minigrad GPU check ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})", ""]
    failed = 0
    t_start = time.perf_counter()
    for name, cmd, limit, env in steps(args):
        t0 = time.perf_counter()
        left = args.budget - (t0 - t_start)
        if left < 10:
            report.append(f"## {name}: skipped, the {args.budget} s budget is spent")
            failed += 1
            continue
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **env), capture_output=True, text=True,
                                  timeout=min(limit, left))
            rc, text = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            rc, text = "timeout", ((e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""))
        dt = time.perf_counter() - t0
        ok = rc == 0
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({dt:.0f} s)", flush=True)
        report += [f"## {name}: {'ok' if ok else f'FAILED ({rc})'} in {dt:.0f} s", "", "    " + " ".join(cmd), ""]
        report += ["```"] + _interesting(name, text) + ["```", ""]
        if name.startswith("install") and not ok:
            report.append("No usable GPU/CuPy: the remaining steps were skipped.")
            break
    report.append(f"Total: {time.perf_counter() - t_start:.0f} s, {failed} step(s) failed.")
    with open(args.summary, "w") as f:
        f.write("\n".join(report) + "\n")
    print(f"summary written to {args.summary}")
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry-run", action="store_true", help="list the steps and their commands, run nothing")
    p.add_argument("--summary", default=os.path.join(ROOT, "gpu_check.md"), help="the summary file to write")
    p.add_argument("--workdir", default=os.path.join(ROOT, "out", "gpu_check"), help="where the examples write")
    p.add_argument("--cupy-package", default="cupy-cuda12x", help="the CuPy wheel to install if cupy is missing")
    p.add_argument("--skip-install", action="store_true", help="do not check or install CuPy")
    p.add_argument("--fail-fast", action="store_true", help="stop the suite at its first failure")
    p.add_argument("--budget", type=float, default=590, help="seconds for all steps together")
    p.add_argument("--install-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.install_only:
        return install_cupy(args.cupy_package)
    if args.dry_run:
        for i, (name, cmd, limit, env) in enumerate(steps(args), 1):
            prefix = " ".join(f"{k}={v}" for k, v in env.items())
            print(f"{i:2d}. {name} (limit {limit} s): {prefix + ' ' if prefix else ''}{' '.join(cmd)}")
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
