"""Drawing scenes: a Pillow preview renderer now; the batched JAX rasteriser comes later.

``tumble.render`` may import ``tumble.physics`` and ``tumble.levels``, nothing below them.
"""

from tumble.render.preview import SceneGeometry, draw_frames, draw_scene, save_gif, scene_geometry

__all__ = ["SceneGeometry", "draw_frames", "draw_scene", "save_gif", "scene_geometry"]
