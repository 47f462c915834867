"""Drawing scenes: the batched JAX rasteriser, rollouts drawn for people, PNG/GIF/MP4 export, a Pillow preview.

- :mod:`tumble.render.raster`: ``render_level`` / ``render_scene`` draw one scene or a batch
  under ``jit`` (pixel observations, pictures); :class:`RenderConfig` sets size, view and looks.
- :mod:`tumble.render.rollout`: play a level under a policy and draw the episode (``tumble render``).
- :mod:`tumble.render.export`: PNG, GIF (Pillow) and MP4 (the ``video`` extra) writers, text on frames.
- :mod:`tumble.render.preview`: the older Pillow renderer for one frame at a time (the demo GIF).

``tumble.render`` may import ``tumble.physics`` and ``tumble.levels``, nothing below them.
"""

from tumble.render.export import VideoDependencyError, count_video_frames, save_frames, save_gif, save_mp4, save_png
from tumble.render.preview import SceneGeometry, draw_frames, draw_scene, scene_geometry
from tumble.render.raster import RenderConfig, fit_view, human_config, observation_config, render_level, render_scene, to_uint8

__all__ = [
    "RenderConfig", "SceneGeometry", "VideoDependencyError", "count_video_frames", "draw_frames", "draw_scene",
    "fit_view", "human_config", "observation_config", "render_level", "render_scene", "save_frames", "save_gif",
    "save_mp4", "save_png", "scene_geometry", "to_uint8",
]
