"""The ``tumble`` command (``tumble.cli.main:app``).

Commands import their work lazily, so ``tumble --help`` does not load JAX.
"""
