"""Hand-made levels of the games family."""

from __future__ import annotations
