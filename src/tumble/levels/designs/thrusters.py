"""Hand-made levels of the thrusters family."""

from __future__ import annotations
