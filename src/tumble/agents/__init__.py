"""Agents: network torsos, heads and training."""
