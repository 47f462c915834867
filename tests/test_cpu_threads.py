"""The XLA CPU thread setting: validation, the before-JAX-starts rule, and what it exports."""

import os
import subprocess
import sys

import jax.numpy as jnp
import pytest

from tumble.cpu_threads import cpu_threads_setting, limit_cpu_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_rejects_anything_but_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        limit_cpu_threads(bad)


def test_refuses_once_jax_has_started(monkeypatch):
    monkeypatch.delenv("NPROC", raising=False)
    jnp.ones(1).block_until_ready()  # the backend is running in this process now
    with pytest.raises(RuntimeError, match="before JAX's first computation"):
        limit_cpu_threads(1)
    assert "NPROC" not in os.environ  # nothing half-applied


def test_sets_nproc_in_a_fresh_process_and_children_inherit_it():
    code = (
        "import os, subprocess, sys\n"
        "from tumble.cpu_threads import limit_cpu_threads, cpu_threads_setting\n"
        "limit_cpu_threads(1)\n"
        "import jax.numpy as jnp\n"
        "assert float(jnp.ones(3).sum()) == 3.0\n"
        "child = subprocess.run([sys.executable, '-c', 'import os; print(os.environ[\"NPROC\"])'],"
        " capture_output=True, text=True, check=True).stdout.strip()\n"
        "print(cpu_threads_setting(), child)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NPROC"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("value,expected", [("", None), ("3", 3), ("0", None), ("two", None), (" 2 ", 2)])
def test_setting_reads_nproc(monkeypatch, value, expected):
    monkeypatch.setenv("NPROC", value)
    assert cpu_threads_setting() == expected
