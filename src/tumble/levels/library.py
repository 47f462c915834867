"""The bundled library of hand-made levels (package data under ``tumble/levels/library/{s,m,l}``).

Each file is written by a builder script in :mod:`tumble.levels.designs` and
carries a certificate: an action sequence that solves it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tumble.levels.codec import load_level
from tumble.levels.model import Level

LIBRARY_SIZES = ("s", "m", "l")


def library_dir() -> Path:
    """The folder holding the bundled level files."""
    return Path(str(resources.files("tumble.levels") / "library"))


def bundled_paths(size: str | None = None) -> dict[str, Path]:
    """Bundled level names mapped to their files, sorted by size then name (optionally one size)."""
    out: dict[str, Path] = {}
    for s in LIBRARY_SIZES if size is None else (size.lower(),):
        if s not in LIBRARY_SIZES:
            raise ValueError(f"unknown size {size!r}; the library has sizes {', '.join(LIBRARY_SIZES)}")
        for path in sorted((library_dir() / s).glob("*.json")):
            out[path.stem] = path
    return out


def bundled_names(size: str | None = None) -> list[str]:
    """Names of the bundled levels (optionally of one size)."""
    return list(bundled_paths(size))


def load_bundled(name: str) -> Level:
    """Load a bundled level by name (``cartpole``) or size/name (``m/cartpole``)."""
    key = name.split("/")[-1].removesuffix(".json")
    paths = bundled_paths()
    if key not in paths:
        close = [n for n in paths if key in n or n in key][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else "; `tumble levels list` shows them all"
        raise KeyError(f"no bundled level named {name!r}{hint}")
    return load_level(paths[key])
