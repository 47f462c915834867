"""Let XLA's CPU backend compile the engine's solver loops as whole functions.

XLA runs a compiled program on the CPU as a graph of small kernels, each
launched by its runtime; a loop pays those launches on every iteration.  For
one scene, or a few, the solver's loops (substeps, passes, contact rounds,
joints) are thousands of launches of kernels that each do a few dozen
floating-point operations, and the launches, not the arithmetic, set the
speed.  XLA has a pass that compiles a loop whose one iteration reads and
writes fewer than a threshold of bytes into one function instead (no launch
per kernel); its default threshold, 1 KiB, admits none of the engine's
loops.  Tumble raises it, which makes one M-sized scene's physics about
three times faster on a 2-core CPU (docs/architecture.md, "Solver loops
compiled whole").  The pass skips any loop that contains a scatter or a sort,
which is why the solver's one-scene loops use neither.

XLA reads the setting once, when JAX's CPU backend starts, from the
``XLA_FLAGS`` environment variable: importing ``tumble`` adds it there when
the backend has not started yet and ``XLA_FLAGS`` does not already set
``--xla_backend_extra_options`` (a user's own setting wins; XLA's default is
``--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1024``).
Results are the same up to floating-point rounding.
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

    Returns whether the setting was added.  It is not when JAX's CPU
    backend has already started in this process (XLA would ignore it), or
    when ``XLA_FLAGS`` already sets ``--xla_backend_extra_options``.
    Raises ``ValueError`` for a threshold below 1.  Child processes inherit
    the setting.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"whole-loop threshold must be a positive number of bytes, got {threshold!r}")
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags or ("jax" in sys.modules and jax_backend_started()):
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
