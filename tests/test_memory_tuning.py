"""glibc's allocator keeps a step's large freed arrays for the next step (backends/memory.py).

A training step frees and re-allocates the same multi-megabyte arrays every time; with
glibc's defaults each of them comes back as fresh pages, one page fault per 4 KiB. The
check counts page faults (deterministic, unlike time) in a fresh interpreter, with and
without the tuning.
"""
import os
import platform
import subprocess
import sys

import pytest

import minigrad as mg

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                                reason="the tuning is glibc's mallopt")

# six 3 MiB arrays made and freed twenty times, as a step's activations are
SCRIPT = """
import resource, numpy as np, minigrad
def rounds(n):
    for _ in range(n):
        arrays = [np.ones(3 << 18, dtype=np.float32) for _ in range(6)]
        del arrays
rounds(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds(20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, minigrad.backends.memory.is_tuned())
"""


def _faults(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    clean["PYTHONPATH"] = os.pathsep.join(sys.path)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), out[1] == "True"


@glibc_only
def test_freed_arrays_are_reused_without_page_faults():
    faults, tuned = _faults()
    assert tuned
    # 20 rounds x 18 MiB would be ~92,000 faults if every array came back as fresh pages
    assert faults < 1000


@glibc_only
def test_opt_out_and_hand_tuned_malloc_are_respected():
    faults, tuned = _faults(MINIGRAD_MALLOC_TUNING="0")
    assert not tuned and faults > 20 * 6 * 3 * 256 // 2  # glibc's default: fresh pages each round
    for hand_tuned in ({"MALLOC_TRIM_THRESHOLD_": "1000000"}, {"GLIBC_TUNABLES": "glibc.malloc.top_pad=0"}):
        assert not _faults(**hand_tuned)[1]


def test_tune_is_idempotent_and_reports_its_state():
    assert mg.backends.memory.tune() == mg.backends.memory.is_tuned()
    assert mg.backends.memory.tune() == mg.backends.memory.is_tuned()
