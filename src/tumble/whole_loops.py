"""Let XLA's CPU backend compile the engine's solver loops as whole functions.

XLA runs a compiled program on the CPU as a graph of small kernels, each
launched by its runtime; a loop pays those launches on every iteration.  For
one scene, or a few, the solver's loops (substeps, passes, contact rounds,
joints) are thousands of launches of kernels that each do a few dozen
floating-point operations, and the launches, not the arithmetic, set the
speed.  XLA has a pass that compiles a loop whose one iteration reads and
writes fewer than a threshold of bytes into one function instead (no launch
per kernel); its default threshold, 1 KiB, admits none of the engine's
loops.  Raising it makes one M-sized scene's physics two to three times
faster on a 2-core CPU (docs/architecture.md, "Solver loops compiled
whole").  The pass skips any loop that contains a scatter, a sort or a
library call, which is why the solver's one-scene loops use none.

It is opt-in: results then differ from XLA's default program by rounding,
and the open-loop certificates of the bundled levels that balance unstable
systems (``cartpole_balance``, ``double_cartpole``, ``bounding_runner``) are
recorded under the default and no longer replay under it.  XLA reads the
setting once, when JAX's CPU backend starts, from the ``XLA_FLAGS``
environment variable: call :func:`enable_whole_loops` before the first JAX
computation of the process (``tumble bench --whole-loops`` does), or set
``XLA_FLAGS=--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=10000000``.
"""

from __future__ import annotations

import os
import sys

from tumble.cpu_threads import jax_backend_started

# Bytes one loop iteration may access to be compiled whole.  Large enough for the solver's loops
# of a batch of a few hundred M scenes; larger loops keep XLA's per-kernel runtime, which can
# spread one big kernel over several cores.
WHOLE_LOOP_BYTES = 10_000_000
_OPTION = "xla_cpu_small_while_loop_byte_threshold"
_FLAG = "--xla_backend_extra_options"


def enable_whole_loops(threshold: int = WHOLE_LOOP_BYTES) -> bool:
    """Ask XLA (through ``XLA_FLAGS``) to compile loops under ``threshold`` bytes whole.

    Returns whether the setting was added; it is not when ``XLA_FLAGS``
    already sets ``--xla_backend_extra_options`` (a user's own setting
    wins).  Raises ``ValueError`` for a threshold below 1 and
    ``RuntimeError`` when JAX's CPU backend has already started in this
    process (XLA would silently ignore the setting).  Child processes
    inherit it.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"whole-loop threshold must be a positive number of bytes, got {threshold!r}")
    if "jax" in sys.modules and jax_backend_started():
        raise RuntimeError("enable_whole_loops must run before JAX's first computation in this process: its CPU "
                           f"backend has already started (set XLA_FLAGS={_FLAG}={_OPTION}={threshold} instead)")
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags:
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={_OPTION}={threshold}".strip()
    return True


def whole_loop_bytes() -> int | None:
    """The whole-loop threshold that ``XLA_FLAGS`` requests, or ``None`` when it sets none (XLA's 1 KiB)."""
    for token in os.environ.get("XLA_FLAGS", "").split():
        if token.startswith(_FLAG + "="):
            for entry in token[len(_FLAG) + 1:].split(","):
                key, _, value = entry.partition("=")
                if key == _OPTION and value.strip().isdigit():
                    return int(value)
    return None
