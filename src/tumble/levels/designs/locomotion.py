"""Hand-made levels of the locomotion family."""

from __future__ import annotations
