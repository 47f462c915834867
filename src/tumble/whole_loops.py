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
library call, which is why the solver's one-scene loops use none, and
neither does the rest of a one-scene step: a loop of one scene's steps is
compiled whole too.

Importing ``tumble`` turns it on (:func:`apply_default`), because XLA reads
the setting once, from the ``XLA_FLAGS`` environment variable, when JAX's
CPU backend starts: after that it is too late.  Results differ from XLA's
kernel-by-kernel program by rounding (inside a whole loop, LLVM may fuse a
multiply and an add into one instruction across what were two kernels), and
the bundled levels' certificates, recorded with the setting, are open-loop
action sequences: those of the levels that balance unstable systems replay
only in a process that has it.  Ways out: ``TUMBLE_WHOLE_LOOPS=0`` in the
environment, a ``--xla_backend_extra_options`` of your own in ``XLA_FLAGS``
(it wins), or :func:`disable_whole_loops` before the first JAX computation.
"""

from __future__ import annotations

import os
import sys
import warnings

from tumble.cpu_threads import jax_backend_started

# Bytes one loop iteration may access to be compiled whole: every solver loop of a batch of up to a
# few hundred M scenes, the inner loops of larger batches (fastest of 1, 3, 10 and 100 MB on 2 cores,
# benchmarks/RESULTS.md); larger loops keep XLA's per-kernel runtime, which can spread one big kernel
# over several cores.
WHOLE_LOOP_BYTES = 10_000_000
_OPTION = "xla_cpu_small_while_loop_byte_threshold"
_FLAG = "--xla_backend_extra_options"
OPT_OUT = "TUMBLE_WHOLE_LOOPS"  # set to 0 to keep XLA's default


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
    if _started():
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
        for entry in _backend_entries(token) or ():
            key, _, value = entry.partition("=")
            if key == _OPTION and value.strip().isdigit():
                return int(value)
    return None


def _backend_entries(token: str) -> list[str] | None:
    """The ``key=value`` entries of an ``XLA_FLAGS`` token if it is ``--xla_backend_extra_options``, else None."""
    return token[len(_FLAG) + 1:].split(",") if token.startswith(_FLAG + "=") else None


def disable_whole_loops() -> bool:
    """Take the whole-loop threshold out of ``XLA_FLAGS`` again (XLA's 1 KiB applies); before JAX's first computation.

    Returns whether there was one to take out.  Other backend options in the
    same flag are kept.  Raises ``RuntimeError`` once JAX's CPU backend has
    started.
    """
    if _started():
        raise RuntimeError("disable_whole_loops must run before JAX's first computation in this process: its CPU "
                           f"backend has already started (set {OPT_OUT}=0 in the environment instead)")
    tokens, removed = [], False
    for token in os.environ.get("XLA_FLAGS", "").split():
        entries = _backend_entries(token)
        if entries is not None:
            kept = [e for e in entries if e.partition("=")[0] != _OPTION]
            removed |= len(kept) < len(entries)
            token = f"{_FLAG}={','.join(kept)}" if kept else ""
        if token:
            tokens.append(token)
    if removed:
        if tokens:
            os.environ["XLA_FLAGS"] = " ".join(tokens)
        else:
            del os.environ["XLA_FLAGS"]
    return removed


def apply_default() -> None:
    """Turn whole loops on unless ``TUMBLE_WHOLE_LOOPS=0``; warn if JAX started first and it cannot apply.

    Run by ``import tumble``.  Leaves a user's own ``--xla_backend_extra_options`` alone.
    """
    if os.environ.get(OPT_OUT, "").strip().lower() in ("0", "false", "no", "off"):
        return
    if _FLAG in os.environ.get("XLA_FLAGS", ""):
        return
    if _started():
        warnings.warn(
            "tumble was imported after JAX's CPU backend started, so XLA runs the engine's loops kernel by kernel: "
            "slower, and certificates of the bundled unstable levels may not replay. Import tumble before the first "
            f"JAX computation, or set {OPT_OUT}=0 to silence this (see tumble.whole_loops).", stacklevel=3)
        return
    enable_whole_loops()


def _started() -> bool:
    return "jax" in sys.modules and jax_backend_started()
