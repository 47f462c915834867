"""JAX's persistent compilation cache in a user cache folder, so a second run skips compilation."""

from __future__ import annotations

import os
from pathlib import Path


def compilation_cache_dir() -> Path:
    """Where Tumble keeps JAX's persistent compilation cache: ``$TUMBLE_CACHE_DIR/jax`` or ``~/.cache/tumble/jax``."""
    if os.environ.get("TUMBLE_CACHE_DIR"):
        return Path(os.environ["TUMBLE_CACHE_DIR"]) / "jax"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tumble" / "jax"


def enable_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache (unless the user configured one); returns its folder."""
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:
        return Path(current)
    path = compilation_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    return path
