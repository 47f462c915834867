"""Hand-made levels of the vehicles family."""

from __future__ import annotations
