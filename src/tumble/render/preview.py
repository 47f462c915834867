"""Preview renderer: draw a scene's bodies with Pillow, one frame at a time (numpy only, no JAX).

This is for looking at a simulation (the demo GIF, debugging a level), not for
pixel observations: the batched JAX rasteriser is a separate module.  Frames
use the world's orientation (y up): world point ``(x, y)`` maps to pixel
``((x - x0) * s, H - (y - y0) * s)``.

What is drawn: the region outside an active world boundary and static bodies
in grey; dynamic polygons filled in a colour per body; circles with a radius
line that shows their rotation; joints as dots (revolute: ring, fixed:
square); thrusters as a nozzle, with a flame whose length follows the
throttle.  Shapes are drawn at ``supersample`` times the size and scaled down,
which smooths the edges.

    geom = scene_geometry(scene)
    frames = draw_frames(traj.position, traj.angle, geom, labels=[...])
    save_gif(frames, "runs/demo/demo.gif", fps=30)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]

BACKGROUND: Colour = (246, 244, 238)
WALL: Colour = (118, 118, 128)  # outside the world boundary
STATIC_FILL: Colour = (150, 150, 160)
STATIC_EDGE: Colour = (80, 80, 90)
EDGE_DARKEN = 0.6
JOINT_FILL: Colour = (255, 255, 255)
JOINT_EDGE: Colour = (30, 30, 30)
NOZZLE: Colour = (60, 60, 70)
FLAME: Colour = (245, 140, 30)
TEXT: Colour = (40, 40, 40)
# dynamic bodies cycle through these
PALETTE: tuple[Colour, ...] = (
    (76, 132, 196),
    (226, 120, 70),
    (96, 170, 100),
    (200, 80, 110),
    (150, 110, 190),
    (210, 175, 60),
    (70, 170, 170),
    (160, 120, 90),
)


@dataclasses.dataclass(frozen=True)
class SceneGeometry:
    """What the renderer needs of a scene, as numpy arrays (read once, reused for every frame)."""

    n_polygons: int
    active: np.ndarray  # bool [N]
    static: np.ndarray  # bool [N]
    bounding_radius: np.ndarray  # f [N]
    vertices: np.ndarray  # f [P, V, 2] body frame
    n_vertices: np.ndarray  # i [P]
    radius: np.ndarray  # f [C]
    joint_body: np.ndarray  # i [J'] body_b of each active joint
    joint_anchor: np.ndarray  # f [J', 2] anchor in body_b's frame
    joint_fixed: np.ndarray  # bool [J']
    thruster_index: np.ndarray  # i [T'] slot of each active thruster (indexes the throttle)
    thruster_body: np.ndarray  # i [T']
    thruster_point: np.ndarray  # f [T', 2] body frame
    thruster_angle: np.ndarray  # f [T'] body frame
    boundary: np.ndarray  # f [4] floor y, left x, right x, ceiling y; NaN where open

    @property
    def n_bodies(self) -> int:
        return int(self.active.shape[0])


def scene_geometry(scene: Any) -> SceneGeometry:
    """Read the drawable parts of one (unbatched) ``tumble.physics.Scene``."""
    if isinstance(scene, SceneGeometry):
        return scene
    active = np.asarray(scene.props.active, bool)
    if active.ndim != 1:
        raise ValueError(
            f"draw one scene at a time: got a batch of shape {active.shape[:-1]}; "
            "take one out with tumble.physics.unstack_scene(batch, i)"
        )
    joints, thrusters, bd = scene.joints, scene.thrusters, scene.boundary
    j_on = np.asarray(joints.active, bool)
    t_on = np.asarray(thrusters.active, bool)
    b_on = np.asarray(bd.active, bool)
    return SceneGeometry(
        n_polygons=int(scene.capacity.n_polygons),
        active=active,
        static=np.asarray(scene.props.inv_mass) == 0.0,
        bounding_radius=np.asarray(scene.props.bounding_radius, np.float64),
        vertices=np.asarray(scene.polygons.vertices, np.float64),
        n_vertices=np.asarray(scene.polygons.n_vertices, np.int64),
        radius=np.asarray(scene.circles.radius, np.float64),
        joint_body=np.asarray(joints.body_b, np.int64)[j_on],
        joint_anchor=np.asarray(joints.local_anchor_b, np.float64)[j_on],
        joint_fixed=np.asarray(joints.is_fixed, bool)[j_on],
        thruster_index=np.flatnonzero(t_on),
        thruster_body=np.asarray(thrusters.body, np.int64)[t_on],
        thruster_point=np.asarray(thrusters.local_point, np.float64)[t_on],
        thruster_angle=np.asarray(thrusters.local_angle, np.float64)[t_on],
        boundary=np.where(b_on, np.asarray(bd.position, np.float64), np.nan),
    )


def default_view(geom: SceneGeometry, positions: np.ndarray) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)``: the world boundary where it is closed, else the bodies' extent (all frames)."""
    pos = np.asarray(positions, np.float64).reshape(-1, geom.n_bodies, 2)
    live = geom.active
    if np.any(live):
        reach = geom.bounding_radius[live]
        p = pos[:, live]
        finite = np.isfinite(p).all(axis=-1)
        lo = np.where(finite[..., None], p - reach[:, None], np.inf).min(axis=(0, 1))
        hi = np.where(finite[..., None], p + reach[:, None], -np.inf).max(axis=(0, 1))
    else:
        lo, hi = np.array([np.inf, np.inf]), np.array([-np.inf, -np.inf])
    floor, left, right, ceiling = geom.boundary
    x0 = left if np.isfinite(left) else lo[0]
    x1 = right if np.isfinite(right) else hi[0]
    y0 = floor if np.isfinite(floor) else lo[1]
    y1 = ceiling if np.isfinite(ceiling) else hi[1]
    if not np.all(np.isfinite([x0, x1, y0, y1])):
        x0, y0, x1, y1 = -1.0, -1.0, 1.0, 1.0
    span = max(x1 - x0, y1 - y0, 1e-3)
    pad = 0.04 * span
    return float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad)


class _Camera:
    """World -> pixel transform of a view fitted (aspect kept, centred) into an image."""

    def __init__(self, view: Sequence[float], width: int, height: int) -> None:
        x0, y0, x1, y1 = (float(v) for v in view)
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"view must be (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got {tuple(view)}")
        self.scale = min(width / (x1 - x0), height / (y1 - y0))
        self.x0 = 0.5 * (x0 + x1) - 0.5 * width / self.scale
        self.y0 = 0.5 * (y0 + y1) - 0.5 * height / self.scale
        self.height = height

    def __call__(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, np.float64)
        u = (p[..., 0] - self.x0) * self.scale
        v = self.height - (p[..., 1] - self.y0) * self.scale
        return np.stack([u, v], axis=-1)


def _rotate(angle: np.ndarray | float, v: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def _darker(colour: Colour) -> Colour:
    return tuple(int(c * EDGE_DARKEN) for c in colour)  # type: ignore[return-value]


def _font(pixels: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=pixels)
    except TypeError:  # Pillow < 10.1: fixed-size bitmap font
        return ImageFont.load_default()


def _size(size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        width = height = int(size)
    else:
        width, height = (int(s) for s in size)
    if width < 16 or height < 16:
        raise ValueError(f"image size must be at least 16 x 16 pixels, got {width} x {height}")
    return width, height


def _body_colour(i: int, geom: SceneGeometry, colours: np.ndarray | None) -> Colour:
    if colours is not None:
        return tuple(int(c) for c in colours[i][:3])  # type: ignore[return-value]
    if geom.static[i]:
        return STATIC_FILL
    return PALETTE[i % len(PALETTE)]


def _draw(
    draw: ImageDraw.ImageDraw,
    cam: _Camera,
    geom: SceneGeometry,
    positions: np.ndarray,
    angles: np.ndarray,
    thrust: np.ndarray | None,
    colours: np.ndarray | None,
    ss: int,
    width: int,
    height: int,
) -> None:
    line = max(1, round(1.25 * ss))
    # outside the world boundary: floor, left wall, right wall, ceiling
    floor, left, right, ceiling = geom.boundary
    big = 4 * (width + height) * ss
    if np.isfinite(floor):
        draw.rectangle([-big, cam(np.array([0.0, floor]))[1], big, big], fill=WALL)
    if np.isfinite(ceiling):
        draw.rectangle([-big, -big, big, cam(np.array([0.0, ceiling]))[1]], fill=WALL)
    if np.isfinite(left):
        draw.rectangle([-big, -big, cam(np.array([left, 0.0]))[0], big], fill=WALL)
    if np.isfinite(right):
        draw.rectangle([cam(np.array([right, 0.0]))[0], -big, big, big], fill=WALL)

    p = geom.n_polygons
    order = [i for i in range(geom.n_bodies) if geom.active[i] and np.all(np.isfinite(positions[i]))]
    order.sort(key=lambda i: not geom.static[i])  # static bodies underneath
    for i in order:
        fill = _body_colour(i, geom, colours)
        edge = STATIC_EDGE if geom.static[i] and colours is None else _darker(fill)
        if i < p:
            local = geom.vertices[i, : geom.n_vertices[i]]
            pts = cam(positions[i] + _rotate(angles[i], local))
            draw.polygon([tuple(q) for q in pts], fill=fill, outline=edge, width=line)
        else:
            r = geom.radius[i - p]
            cu, cv = cam(positions[i])
            rp = r * cam.scale
            draw.ellipse([cu - rp, cv - rp, cu + rp, cv + rp], fill=fill, outline=edge, width=line)
            tip = cam(positions[i] + r * np.array([math.cos(angles[i]), math.sin(angles[i])]))
            draw.line([(cu, cv), tuple(tip)], fill=edge, width=max(1, round(1.75 * ss)))

    unit = max(1.5, 0.007 * min(width, height)) * ss  # joint dot radius, pixels at the supersampled size
    for body, anchor, fixed in zip(geom.joint_body, geom.joint_anchor, geom.joint_fixed):
        if not (geom.active[body] and np.all(np.isfinite(positions[body]))):
            continue
        u, v = cam(positions[body] + _rotate(angles[body], anchor))
        box = [u - unit, v - unit, u + unit, v + unit]
        if fixed:
            draw.rectangle(box, fill=JOINT_EDGE)
        else:
            draw.ellipse(box, fill=JOINT_FILL, outline=JOINT_EDGE, width=line)

    for k, body, point, angle in zip(geom.thruster_index, geom.thruster_body, geom.thruster_point, geom.thruster_angle):
        if not (geom.active[body] and np.all(np.isfinite(positions[body]))):
            continue
        at = positions[body] + _rotate(angles[body], point)
        a = angles[body] + angle
        d = np.array([math.cos(a), math.sin(a)])  # direction of the force
        n = np.array([-d[1], d[0]])
        length = 3.5 * unit / cam.scale  # world units
        base = at - length * d
        nozzle = [at, base + 0.6 * length * n, base - 0.6 * length * n]
        throttle = 0.0 if thrust is None else float(np.clip(np.nan_to_num(thrust[k]), 0.0, 1.0))
        if throttle > 0.0:
            tip = base - (0.5 + 2.0 * throttle) * length * d
            flame = [base + 0.45 * length * n, base - 0.45 * length * n, tip]
            draw.polygon([tuple(q) for q in cam(np.array(flame))], fill=FLAME)
        draw.polygon([tuple(q) for q in cam(np.array(nozzle))], fill=NOZZLE)


def draw_scene(
    positions: np.ndarray,
    angles: np.ndarray,
    scene: Any,
    size: int | tuple[int, int] = 400,
    view: Sequence[float] | None = None,
    thrust: np.ndarray | None = None,
    label: str | None = None,
    colours: np.ndarray | None = None,
    supersample: int = 2,
) -> Image.Image:
    """Draw one frame: body ``positions`` [N, 2] and ``angles`` [N] of ``scene`` (a Scene or SceneGeometry).

    Args:
      size: width (square image) or ``(width, height)`` in pixels.
      view: world rectangle ``(x0, y0, x1, y1)`` to show; by default the world
        boundary, or the bodies' extent on open sides.
      thrust: throttle per thruster slot [n_thrusters] in [0, 1] (flame length); None draws no flame.
      label: text written in the top-left corner.
      colours: optional RGB per body [N, 3] replacing the default colours.
      supersample: draw at this multiple of the size and scale down (smoother edges).
    """
    geom = scene_geometry(scene)
    pos = np.asarray(positions, np.float64)
    ang = np.asarray(angles, np.float64)
    if pos.shape != (geom.n_bodies, 2) or ang.shape != (geom.n_bodies,):
        raise ValueError(
            f"positions must be [{geom.n_bodies}, 2] and angles [{geom.n_bodies}] for this scene, "
            f"got {pos.shape} and {ang.shape}"
        )
    width, height = _size(size)
    if view is None:
        view = default_view(geom, pos)
    return _render(
        geom,
        _Camera(view, width * supersample, height * supersample),
        pos,
        ang,
        thrust,
        label,
        colours,
        width,
        height,
        supersample,
    )


def _render(geom, cam, pos, ang, thrust, label, colours, width, height, ss) -> Image.Image:
    ss = max(1, int(ss))
    img = Image.new("RGB", (width * ss, height * ss), BACKGROUND)
    draw = ImageDraw.Draw(img)
    _draw(draw, cam, geom, pos, ang, None if thrust is None else np.asarray(thrust), colours, ss, width, height)
    if label:
        font = _font(max(8, round(0.032 * min(width, height))) * ss)
        draw.text((5 * ss, 3 * ss), label, fill=TEXT, font=font)
    if ss > 1:
        img = img.resize((width, height), Image.Resampling.LANCZOS)
    return img


def draw_frames(
    positions: np.ndarray,
    angles: np.ndarray,
    scene: Any,
    size: int | tuple[int, int] = 400,
    view: Sequence[float] | None = None,
    thrust: np.ndarray | None = None,
    labels: Sequence[str] | None = None,
    colours: np.ndarray | None = None,
    supersample: int = 2,
) -> list[Image.Image]:
    """Draw a trajectory: ``positions`` [T, N, 2], ``angles`` [T, N]; one fixed view for all frames.

    ``thrust`` is [n_thrusters] (the same every frame) or [T, n_thrusters].
    ``labels`` gives one caption per frame.
    """
    geom = scene_geometry(scene)
    pos = np.asarray(positions, np.float64)
    ang = np.asarray(angles, np.float64)
    if pos.ndim != 3 or pos.shape[1:] != (geom.n_bodies, 2) or ang.shape != pos.shape[:2]:
        raise ValueError(
            f"positions must be [T, {geom.n_bodies}, 2] and angles [T, {geom.n_bodies}], got {pos.shape} and {ang.shape}"
        )
    if labels is not None and len(labels) != pos.shape[0]:
        raise ValueError(f"got {len(labels)} labels for {pos.shape[0]} frames")
    width, height = _size(size)
    ss = max(1, int(supersample))
    cam = _Camera(view if view is not None else default_view(geom, pos), width * ss, height * ss)
    th = None if thrust is None else np.asarray(thrust, np.float64)
    frames = []
    for t in range(pos.shape[0]):
        th_t = None if th is None else (th[t] if th.ndim == 2 else th)
        frames.append(
            _render(geom, cam, pos[t], ang[t], th_t, None if labels is None else labels[t], colours, width, height, ss)
        )
    return frames


def save_gif(frames: Sequence[Image.Image], path: str | Path, fps: float = 30.0) -> Path:
    """Write ``frames`` as a looping GIF at ``fps`` (GIF delays are whole hundredths of a second).

    All frames share one palette (computed from the first, middle and last
    frame), so colours do not flicker between frames.  Consecutive identical
    frames are merged by Pillow; give frames distinct labels to keep a
    one-to-one frame count.
    """
    if not frames:
        raise ValueError("save_gif needs at least one frame")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picks = [frames[0], frames[len(frames) // 2], frames[-1]]
    w, h = picks[0].size
    sheet = Image.new("RGB", (w * len(picks), h))
    for k, f in enumerate(picks):
        sheet.paste(f.convert("RGB"), (k * w, 0))
    palette = sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    indexed = [f.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    delay = max(20, round(100.0 / fps) * 10)  # ms; most viewers clamp delays under 20 ms
    indexed[0].save(path, save_all=True, append_images=indexed[1:], duration=delay, loop=0, optimize=False)
    return path
