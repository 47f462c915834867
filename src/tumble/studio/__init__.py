"""Tumble Studio: design, play and save levels in the browser (``tumble studio``; see docs/studio.md).

Importing this package imports nothing heavy; :mod:`tumble.studio.server` needs
``aiohttp`` (``pip install 'tumble[studio]'``) and :mod:`tumble.studio.play` JAX.
"""
