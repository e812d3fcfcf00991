"""`check` under a 2 GB address-space limit: every bundled scenario passes, and the hostile
sizes from the issue (a 256×256×140×140 random kernel, a 64×256×100×100 one, an 8-layer
4096-unit char-RNN) are one line and exit 2, never a MemoryError or the kernel's OOM killer.

Budgets are fixed numbers (engine/core/budget.py), so the answer is the same on every machine.
"""

import os
import resource
import subprocess
import sys

import pytest

from conftest import ROOT
from scenarios.catalog import bundled_paths

LIMIT = 2 * 1024 ** 3


def check(*paths: str):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tui_lab", "check", *paths], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300, preexec_fn=cap)


@pytest.mark.slow
def test_every_bundled_scenario_checks_within_2_gb():
    out = check(*map(str, bundled_paths()))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": ok (") == len(bundled_paths())


HOSTILE = {
    "conv-huge-kernel": ('lab = "conv"\n[params]\nrandom_kernel = [256, 256, 140, 140]\nrandom_input = [256, 16, 16]\n'
                         "padding = 64\n", "params.random_kernel"),
    "conv-wide-kernel": ('lab = "conv"\n[params]\nrandom_kernel = [64, 256, 100, 100]\nrandom_input = [256, 100, 100]\n',
                         "params.random_kernel"),
    "charrnn-huge-model": ('lab = "charrnn"\n[params]\nhidden_size = 4096\nlayers = 8\nembedding = 4096\n', "params."),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_sizes_are_one_line_within_2_gb(name, tmp_path):
    body, key = HOSTILE[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(f'title = "{name}"\n' + body, encoding="utf-8")
    out = check(str(path))
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr and "MemoryError" not in out.stderr, out.stderr
    assert key in lines[0] and "at most" in lines[0], lines[0]
