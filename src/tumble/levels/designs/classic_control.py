"""Hand-made levels of the classic control family."""

from __future__ import annotations
