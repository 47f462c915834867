"""Hand-made levels of the manipulation family."""

from __future__ import annotations
