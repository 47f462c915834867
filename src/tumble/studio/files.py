"""Safe access to the Studio's levels folder: every name resolves inside it, or is refused.

A name is a relative path of ``/``-separated parts made of letters, digits,
``_``, ``-``, ``.`` and spaces, ending in ``.json``.  Refused: absolute paths,
``..`` or empty parts, backslashes, hidden parts (``.x``), and anything whose
real path (symlinks followed) lies outside the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_NAME = 200
_PART = re.compile(r"^[A-Za-z0-9_\- .]+$")


class FileAccessError(ValueError):
    """A file name the Studio refuses to touch (the message says why)."""


def check_name(name: object) -> str:
    """``name`` as a clean relative ``.json`` path (``.json`` appended when missing); raise FileAccessError if unsafe."""
    if not isinstance(name, str):
        raise FileAccessError("a file name must be a string")
    name = name.strip()
    if not name:
        raise FileAccessError("a file name must not be empty")
    if len(name) > MAX_NAME:
        raise FileAccessError(f"a file name must be at most {MAX_NAME} characters")
    if "\\" in name or "\x00" in name:
        raise FileAccessError("a file name must not contain backslashes or NUL characters")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise FileAccessError("absolute paths are not allowed: give a name inside the levels folder")
    if not name.lower().endswith(".json"):
        name += ".json"
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise FileAccessError(f"{name!r}: empty, '.' and '..' path parts are not allowed")
        if part.startswith(".") or not _PART.match(part):
            raise FileAccessError(f"{name!r}: use letters, digits, '_', '-', '.' and spaces (no hidden files)")
    return "/".join(parts)


class LevelsFolder:
    """The one folder the Studio reads and writes level files in."""

    def __init__(self, root: str | Path, create: bool = True) -> None:
        root = Path(root)
        if create:
            root.mkdir(parents=True, exist_ok=True)
        if not root.is_dir():
            raise FileAccessError(f"{root}: not a folder")
        self.root = root.resolve()

    def resolve(self, name: object, must_exist: bool = False) -> Path:
        """The path of ``name`` inside the folder (see :func:`check_name`); symlinks may not lead outside."""
        clean = check_name(name)
        path = (self.root / clean).resolve()  # follows symlinks, also of the parent folders
        if not path.is_relative_to(self.root):
            raise FileAccessError(f"{clean!r} leads outside the levels folder")
        if must_exist and not path.is_file():
            raise FileAccessError(f"{clean!r}: no such level file in the levels folder")
        return path

    def list(self) -> list[str]:
        """Names of the ``.json`` files in the folder and its subfolders (those that resolve safely), sorted."""
        out = []
        for path in sorted(self.root.rglob("*.json")):
            name = path.relative_to(self.root).as_posix()
            try:
                if self.resolve(name, must_exist=True):
                    out.append(name)
            except FileAccessError:
                continue
        return out

    def read_text(self, name: object) -> tuple[str, str]:
        """``(clean name, text)`` of a level file in the folder."""
        clean = check_name(name)
        path = self.resolve(clean, must_exist=True)
        try:
            return clean, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FileAccessError(f"{clean!r}: cannot read ({exc.__class__.__name__})") from None

    def path_for_writing(self, name: object) -> tuple[str, Path]:
        """``(clean name, path)`` to write ``name`` to; parent folders inside the root are created."""
        clean = check_name(name)
        path = self.resolve(clean)
        if path.is_dir():
            raise FileAccessError(f"{clean!r} is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        return clean, path
