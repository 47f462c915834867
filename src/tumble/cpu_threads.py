"""How many threads XLA's CPU runtime may use, set before JAX starts its CPU backend.

XLA runs a compiled program as a graph of small kernels.  Whenever more than
eight are ready at once, it hands half of them to another thread of its pool;
that thread then spins, looking for work, between such hand-offs.  For one
environment (batch 1), where a physics step is a few thousand tiny kernels,
this can cost a third of the speed or nothing at all, depending on small
details of the program (measured on 2 cores: see docs/architecture.md,
"Batch 1 and XLA's threads").  One thread removes the lottery.  Batched
physics loses nothing either on 2 cores; training, whose network updates
use the threads, was about 15% slower with one.

JAX reads the thread count once, when its CPU backend starts, from the
``NPROC`` environment variable.  So this must run before the first JAX
computation of the process; the ``tumble bench`` commands call it for
``--cpu-threads``.
"""

from __future__ import annotations

import os


def limit_cpu_threads(n: int) -> None:
    """Make XLA's CPU runtime use ``n`` threads (``NPROC``); call before any JAX computation.

    Raises ``ValueError`` for ``n < 1`` and ``RuntimeError`` when JAX's
    backend has already started in this process (the setting would be
    silently ignored).  Child processes inherit the setting.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"cpu threads must be a positive integer, got {n!r}")
    if jax_backend_started():
        raise RuntimeError("limit_cpu_threads must run before JAX's first computation in this process: "
                           "its CPU backend has already started (set NPROC in the environment instead)")
    os.environ["NPROC"] = str(n)


def cpu_threads_setting() -> int | None:
    """The thread count requested through ``NPROC``, or ``None`` for XLA's default (one per core)."""
    value = os.environ.get("NPROC", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def jax_backend_started() -> bool:
    """Whether JAX's CPU backend has started in this process (settings read at its start are then fixed)."""
    try:
        from jax._src import xla_bridge
    except ImportError:  # no JAX loaded yet, or a layout without this module: nothing started
        return False
    started = getattr(xla_bridge, "backends_are_initialized", None)
    return bool(started()) if started is not None else False
