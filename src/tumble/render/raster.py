"""The batched JAX rasteriser: scenes to RGB images under ``jit`` and ``vmap``, no graphics library.

Everything drawn is a *layer*: a convex region (the intersection of up to
``K`` half-planes ``a x + b y <= c`` and one disc) with a colour and a depth.
A scene of a given capacity always has the same list of layers (unused slots
are switched off), so one compiled program draws every scene of it:

- the world outside each active boundary wall (floor, left, right, ceiling),
  in the wall's role colour, shaded as static;
- per body (polygons, then circles): an outline (only when
  ``RenderConfig.outline > 0``), the fill in its role colour (neutral, green,
  blue, red; static bodies darker), and for circles a line from the centre to
  the rim along the body's angle, which shows its rotation;
- per joint: a revolute joint is a dark ring around a light centre, coloured
  by its motor channel when it has a motor; a fixed joint is a solid dark
  square turned with its body;
- per thruster: a nozzle (a triangle pointing along the force, coloured by its
  channel) and, while it fires, a flame behind it whose length follows the
  throttle.

Static bodies are drawn under dynamic ones (their depth is set per scene), and
within each group bodies keep their slot order.

How a frame is computed: pixel ``(r, c)`` is sampled at its centre, world
point ``(x0 + (c + 0.5) w, y1 - (r + 0.5) h)`` (``w``, ``h`` the world size of
a pixel; row 0 is the top of the view, so images are upright).  A convex
layer meets one row of samples in one interval ``[xl, xr]``, found from the
row's ``y`` with a handful of divisions per half-plane; a sample is then
inside a layer iff ``xl <= x <= xr``, two comparisons.  Each sample takes the
colour of the deepest layer that covers it (background if none).  The cost is
``rows x layers x K`` for the intervals plus ``pixels x layers`` comparisons,
written as one elementwise update per layer so that XLA fuses them into a
single pass over the image (about 0.1 ns per sample and layer on one CPU
core; the same computation as one ``[layers, rows, columns]`` reduction is
several times slower).  With ``supersample = s`` every pixel averages
``s x s`` samples (antialiasing).

    config = RenderConfig(width=64, height=64)
    image = render_level(level, config)            # f32[64, 64, 3] in [0, 1]
    images = render_level(batch_of_levels, config)  # f32[B, 64, 64, 3]
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from tumble.levels.compile import AUTO_CHANNEL, CompiledLevel
from tumble.levels.outcome import channel_controls
from tumble.physics.scene import Scene

# --- colours (RGB, 0..255) -----------------------------------------------------------------------------------
BACKGROUND = (250, 250, 247)
ROLE_COLOURS = (  # neutral, green, blue, red
    (168, 168, 172),
    (52, 186, 82),
    (44, 112, 214),
    (226, 72, 72),
)
STATIC_SHADE = 0.55  # static bodies and the world outside the walls: role colour times this
EDGE_SHADE = 0.5  # outlines: fill colour times this
LINE_COLOUR = (28, 28, 32)  # circle rotation lines
JOINT_RING = (28, 28, 32)  # revolute ring, fixed square
JOINT_CENTRE = (255, 255, 255)  # revolute joint without a motor
MOTOR_COLOURS = (  # motor channel 0, 1, 2, 3, auto
    (250, 205, 30),
    (222, 70, 222),
    (30, 212, 222),
    (250, 140, 30),
    (150, 100, 240),
)
NOZZLE_COLOURS = ((64, 64, 76), (110, 60, 130))  # thruster channel 0, 1
FLAME = (255, 168, 24)

BIG = 1.0e6  # radius of the disc of a layer that has none (world units)
ALWAYS = (0.0, 0.0, 1.0)  # a half-plane that holds everywhere: 0 x + 0 y <= 1
N_WALLS = 4


@dataclasses.dataclass(frozen=True)
class RenderConfig:
    """What to draw and how: static (hashable), so each config compiles once.

    Attributes:
      width, height: image size in pixels.
      view: the world rectangle ``(x0, y0, x1, y1)`` shown; it fills the image
        (so a non-square view on a square image stretches; see :func:`fit_view`).
      supersample: samples per pixel side; 1 is aliased (and pixel-exact),
        2 or 3 antialias at 4 or 9 times the cost.
      outline: width of shape outlines in pixels (0: no outlines).
      line_width: width of the circle rotation line in pixels.
      joint_radius: radius of a joint marker in metres (at least ``min_marker`` pixels).
      thruster_size: length of a thruster's nozzle in metres (at least ``2 * min_marker`` pixels).
      min_marker: smallest marker radius in pixels, so joints and thrusters stay visible in small images.
      walls: draw the world outside the active boundary walls.
    """

    width: int = 64
    height: int = 64
    view: tuple[float, float, float, float] = (0.0, 0.0, 5.0, 5.0)
    supersample: int = 1
    outline: float = 0.0
    line_width: float = 1.0
    joint_radius: float = 0.08
    thruster_size: float = 0.2
    min_marker: float = 1.5
    walls: bool = True

    def __post_init__(self) -> None:
        for name in ("width", "height", "supersample"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"RenderConfig.{name} must be a positive integer, got {value!r}")
        if len(self.view) != 4:
            raise ValueError(f"RenderConfig.view must be (x0, y0, x1, y1), got {self.view!r}")
        x0, y0, x1, y1 = (float(v) for v in self.view)
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"RenderConfig.view must have x1 > x0 and y1 > y0, got {self.view!r}")
        object.__setattr__(self, "view", (x0, y0, x1, y1))
        for name in ("outline", "line_width", "joint_radius", "thruster_size", "min_marker"):
            if not float(getattr(self, name)) >= 0.0:
                raise ValueError(f"RenderConfig.{name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def scale(self) -> float:
        """Pixels per metre (the smaller of the two axes' scales)."""
        x0, y0, x1, y1 = self.view
        return min(self.width / (x1 - x0), self.height / (y1 - y0))

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """World x of every pixel column's centre and world y of every row's centre (top row first), float64."""
        x0, y0, x1, y1 = self.view
        xs = x0 + (np.arange(self.width) + 0.5) * ((x1 - x0) / self.width)
        ys = y1 - (np.arange(self.height) + 0.5) * ((y1 - y0) / self.height)
        return xs, ys

    def sample_grids(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``supersample**2`` sample grids (x per column, y per row; float32), each one sample per pixel.

        With ``supersample = 1`` the one grid is the pixel centres; otherwise
        grid ``(i, j)`` samples every pixel at the centre of its sub-square ``(i, j)``.
        """
        x0, y0, x1, y1 = self.view
        s = self.supersample
        w, h = (x1 - x0) / self.width, (y1 - y0) / self.height
        cols, rows = np.arange(self.width), np.arange(self.height)
        grids = []
        for i in range(s):
            for j in range(s):
                xs = x0 + (cols + (j + 0.5) / s) * w
                ys = y1 - (rows + (i + 0.5) / s) * h
                grids.append((xs.astype(np.float32), ys.astype(np.float32)))
        return grids


def fit_view(view, width: int, height: int) -> tuple[float, float, float, float]:
    """Grow ``view`` (about its centre) to the image's aspect ratio, so nothing is stretched."""
    x0, y0, x1, y1 = (float(v) for v in view)
    scale = min(width / (x1 - x0), height / (y1 - y0))
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    hw, hh = 0.5 * width / scale, 0.5 * height / scale
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def observation_config(size: int | tuple[int, int] = 125) -> RenderConfig:
    """The pixel-observation look: the 5 x 5 m world, no outlines, no antialiasing (fast)."""
    width, height = (size, size) if isinstance(size, (int, np.integer)) else size
    return RenderConfig(width=int(width), height=int(height))


def human_config(size: int | tuple[int, int] = 512, view=(-0.1, -0.1, 5.1, 5.1), supersample: int = 3) -> RenderConfig:
    """The look for people: outlines, antialiasing, a little of the walls around the world."""
    width, height = (size, size) if isinstance(size, (int, np.integer)) else size
    width, height = int(width), int(height)
    view = fit_view(view, width, height)
    scale = min(width / (view[2] - view[0]), height / (view[3] - view[1]))
    return RenderConfig(width=width, height=height, view=view, supersample=supersample,
                        outline=max(1.0, 0.004 * min(width, height)), line_width=max(1.0, 0.005 * min(width, height)),
                        joint_radius=max(0.06, 4.0 / scale), thruster_size=0.22, min_marker=2.0)


# --- layer construction -----------------------------------------------------------------------------------------
def _colour(rgb) -> jax.Array:
    return jnp.asarray(np.asarray(rgb, np.float32) / 255.0)


def _rotate(angle: jax.Array, v: jax.Array) -> jax.Array:
    """Rotate vectors ``v`` [..., 2] by ``angle`` (broadcast over the leading axes)."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    return jnp.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def _convex(vertices: jax.Array, n_used: jax.Array | int | None = None, inset: float | jax.Array = 0.0) -> jax.Array:
    """Half-planes [..., n, 3] of counter-clockwise ``vertices`` [..., n, 2], moved inwards by ``inset``.

    Edge ``k`` joins vertex ``k`` to ``k + 1`` (wrapping); edges at or past
    ``n_used`` (the repeated padding vertices) and zero-length edges become
    half-planes that always hold.
    """
    p = vertices
    q = jnp.roll(vertices, -1, axis=-2)
    d = q - p
    a, b = d[..., 1], -d[..., 0]  # outward normal of a counter-clockwise edge
    length = jnp.sqrt(a * a + b * b)
    c = a * p[..., 0] + b * p[..., 1] - inset * length
    used = length > 0
    if n_used is not None:
        k = jnp.arange(vertices.shape[-2])
        used = used & (k < jnp.asarray(n_used)[..., None])
    rows = jnp.stack([a, b, c], axis=-1)
    return jnp.where(used[..., None], rows, jnp.asarray(ALWAYS, rows.dtype))


def _pad(rows: jax.Array, k: int) -> jax.Array:
    """Pad half-plane rows [..., n, 3] to [..., k, 3] with half-planes that always hold."""
    n = rows.shape[-2]
    if n == k:
        return rows
    pad = jnp.broadcast_to(jnp.asarray(ALWAYS, rows.dtype), rows.shape[:-2] + (k - n, 3))
    return jnp.concatenate([rows, pad], axis=-2)


def _no_disc(n: int) -> jax.Array:
    return jnp.tile(jnp.asarray([[0.0, 0.0, BIG]], jnp.float32), (n, 1))


def _rect(centre: jax.Array, u: jax.Array, half_u_lo, half_u_hi, half_w) -> jax.Array:
    """Half-planes [..., 4, 3] of the rectangle ``-half_u_lo <= u.(x - centre) <= half_u_hi``, ``|w.(x - centre)| <= half_w``."""
    w = jnp.stack([-u[..., 1], u[..., 0]], axis=-1)
    cu = jnp.sum(u * centre, -1)
    cw = jnp.sum(w * centre, -1)
    rows = [
        jnp.concatenate([u, (cu + half_u_hi)[..., None]], -1),
        jnp.concatenate([-u, (-cu + half_u_lo)[..., None]], -1),
        jnp.concatenate([w, (cw + half_w)[..., None]], -1),
        jnp.concatenate([-w, (-cw + half_w)[..., None]], -1),
    ]
    return jnp.stack(rows, axis=-2)


def _triangle(apex: jax.Array, base: jax.Array, d: jax.Array, half_width) -> jax.Array:
    """Vertices [..., 3, 2] (counter-clockwise) of the triangle from ``base`` (width ``2 half_width``) to ``apex``."""
    n = jnp.stack([-d[..., 1], d[..., 0]], axis=-1)
    hw = jnp.asarray(half_width)[..., None]
    return jnp.stack([apex, base + hw * n, base - hw * n], axis=-2)


def _layers(scene: Scene, roles, wall_roles, motor_channel, thruster_channel, throttle, config: RenderConfig):
    """All layers of one scene: half-planes [L, K, 3], discs [L, 3], on [L], depth [L], colour [L, 3]."""
    cap = scene.capacity
    n_p, n_c, n_b = cap.n_polygons, cap.n_circles, cap.n_bodies
    n_j, n_t = cap.n_joints, cap.n_thrusters
    k = max(cap.max_vertices, 4)
    px = 1.0 / config.scale  # metres per pixel
    outline = config.outline * px
    f32 = jnp.float32

    pos = scene.state.position.astype(f32)
    angle = scene.state.angle.astype(f32)
    finite = jnp.all(jnp.isfinite(pos), axis=-1) & jnp.isfinite(angle)
    pos = jnp.where(finite[:, None], pos, 0.0)
    angle = jnp.where(finite, angle, 0.0)
    body_on = scene.props.active & finite
    static = scene.props.inv_mass == 0.0
    roles = jnp.clip(jnp.asarray(roles, jnp.int32), 0, 3)
    role_rgb = _colour(ROLE_COLOURS)
    fill = role_rgb[roles] * jnp.where(static, STATIC_SHADE, 1.0)[:, None]
    edge = fill * EDGE_SHADE

    hp, disc, on, depth, colour = [], [], [], [], []

    def add(h, d, o, z, col):
        hp.append(h)
        disc.append(d)
        on.append(o)
        depth.append(z)
        colour.append(col)

    # the world outside each wall: floor y <= at, left x <= at, right x >= at, ceiling y >= at
    bd = scene.boundary
    at = bd.position.astype(f32)
    normal = jnp.asarray([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [0.0, -1.0]], f32)  # outside: normal . x <= offset
    offset = at * jnp.asarray([1.0, 1.0, -1.0, -1.0], f32)
    walls = jnp.concatenate([normal, offset[:, None]], axis=-1)
    wall_rgb = role_rgb[jnp.clip(jnp.asarray(wall_roles, jnp.int32), 0, 3)] * STATIC_SHADE
    add(_pad(walls[:, None, :], k), _no_disc(N_WALLS), bd.active & config.walls,
        jnp.arange(N_WALLS), wall_rgb)

    # bodies: static ones first, then dynamic ones, each in slot order; per body outline, fill, rotation line
    slot = jnp.arange(n_b) + jnp.where(static, 0, n_b)
    base = N_WALLS + 3 * slot
    draw_outline = config.outline > 0
    if n_p:
        local = scene.polygons.vertices.astype(f32)
        world = pos[:n_p, None, :] + _rotate(angle[:n_p, None], local)
        nv = scene.polygons.n_vertices
        poly_disc = _no_disc(n_p)
        if draw_outline:
            add(_pad(_convex(world, nv), k), poly_disc, body_on[:n_p], base[:n_p], edge[:n_p])
        add(_pad(_convex(world, nv, outline if draw_outline else 0.0), k), poly_disc, body_on[:n_p],
            base[:n_p] + 1, fill[:n_p])
    if n_c:
        centre = pos[n_p:]
        radius = scene.circles.radius.astype(f32)
        free = jnp.broadcast_to(jnp.asarray(ALWAYS, f32), (n_c, k, 3))
        if draw_outline:
            add(free, jnp.concatenate([centre, radius[:, None]], -1), body_on[n_p:], base[n_p:], edge[n_p:])
        inner = jnp.maximum(radius - (outline if draw_outline else 0.0), 0.0)
        add(free, jnp.concatenate([centre, inner[:, None]], -1), body_on[n_p:], base[n_p:] + 1, fill[n_p:])
        u = jnp.stack([jnp.cos(angle[n_p:]), jnp.sin(angle[n_p:])], -1)
        half_line = 0.5 * config.line_width * px
        line = _rect(centre, u, jnp.zeros_like(radius), inner, jnp.full_like(radius, half_line))
        add(_pad(line, k), _no_disc(n_c), body_on[n_p:] & (config.line_width > 0), base[n_p:] + 2,
            jnp.broadcast_to(_colour(LINE_COLOUR), (n_c, 3)))

    # joints: revolute = ring (+ centre coloured by the motor channel), fixed = solid square turned with body b
    top = N_WALLS + 6 * n_b
    if n_j:
        jt = scene.joints
        b = jnp.clip(jt.body_b, 0, n_b - 1)
        anchor = pos[b] + _rotate(angle[b], jt.local_anchor_b.astype(f32))
        r = max(config.joint_radius, config.min_marker * px)
        j_on = jt.active & body_on[b]
        fixed = jt.is_fixed
        u = jnp.stack([jnp.cos(angle[b]), jnp.sin(angle[b])], -1)
        half = jnp.full((n_j,), 0.85 * r, f32)
        square = _pad(_rect(anchor, u, half, half, half), k)
        free = jnp.broadcast_to(jnp.asarray(ALWAYS, f32), (n_j, k, 3))
        ring = jnp.where(fixed[:, None, None], square, free)
        ring_disc = jnp.concatenate([anchor, jnp.where(fixed, BIG, r)[:, None]], -1)
        add(ring, ring_disc, j_on, top + 2 * jnp.arange(n_j), jnp.broadcast_to(_colour(JOINT_RING), (n_j, 3)))
        channel = jnp.asarray(motor_channel, jnp.int32)
        motor = jt.motor_enabled & (channel >= 0)
        centre_rgb = jnp.where(motor[:, None], _colour(MOTOR_COLOURS)[jnp.clip(channel, 0, AUTO_CHANNEL)],
                               _colour(JOINT_CENTRE))
        centre_r = jnp.full((n_j, 1), max(0.5 * r, 0.75 * px), f32)
        add(free, jnp.concatenate([anchor, centre_r], -1), j_on & ~fixed, top + 2 * jnp.arange(n_j) + 1,
            centre_rgb)

    # thrusters: flame (while firing) under a nozzle pointing along the force
    top = top + 2 * n_j
    if n_t:
        th = scene.thrusters
        b = jnp.clip(th.body, 0, n_b - 1)
        at_point = pos[b] + _rotate(angle[b], th.local_point.astype(f32))
        a = angle[b] + th.local_angle.astype(f32)
        d = jnp.stack([jnp.cos(a), jnp.sin(a)], -1)
        size = max(config.thruster_size, 2.0 * config.min_marker * px)
        t_on = th.active & body_on[b]
        back = at_point - 0.5 * size * d
        nozzle = _triangle(at_point + 0.5 * size * d, back, d, jnp.full((n_t,), 0.45 * size, f32))
        thrust = jnp.clip(jnp.nan_to_num(jnp.asarray(throttle, f32)), 0.0, 1.0)
        flame = _triangle(back - (0.35 + 1.25 * thrust)[:, None] * size * d, back, -d,
                          jnp.full((n_t,), 0.3 * size, f32))
        add(_pad(_convex(flame), k), _no_disc(n_t), t_on & (thrust > 0), top + 2 * jnp.arange(n_t),
            jnp.broadcast_to(_colour(FLAME), (n_t, 3)))
        channel = jnp.clip(jnp.asarray(thruster_channel, jnp.int32), 0, len(NOZZLE_COLOURS) - 1)
        add(_pad(_convex(nozzle), k), _no_disc(n_t), t_on, top + 2 * jnp.arange(n_t) + 1,
            _colour(NOZZLE_COLOURS)[channel])

    cat = lambda xs: jnp.concatenate([jnp.asarray(x) for x in xs], axis=0)  # noqa: E731
    return (cat(hp).astype(f32), cat(disc).astype(f32), cat(on), cat(depth).astype(jnp.int32),
            cat(colour).astype(f32))


def n_depths(scene_or_capacity) -> int:
    """How many depth values a capacity's layers use (walls, 3 per body slot twice, 2 per joint and thruster)."""
    cap = getattr(scene_or_capacity, "capacity", scene_or_capacity)
    return N_WALLS + 6 * cap.n_bodies + 2 * cap.n_joints + 2 * cap.n_thrusters


# --- rasterisation -------------------------------------------------------------------------------------------------
def _row_intervals(hp: jax.Array, disc: jax.Array, on: jax.Array, ys: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Per layer and sample row, the covered x interval ``[xl, xr]`` (empty: xl = inf, xr = -inf). [L, R] each."""
    a, b, c = hp[..., 0, None], hp[..., 1, None], hp[..., 2, None]  # [L, K, 1]
    rhs = c - b * ys  # [L, K, R]: a x <= rhs
    flat = jnp.abs(a) <= 1e-7 * (jnp.abs(a) + jnp.abs(b))  # no x in it: holds for the whole row or not at all
    bound = rhs * (1.0 / jnp.where(flat, 1.0, a))  # one reciprocal per half-plane, a product per row
    lo = jnp.max(jnp.where(~flat & (a < 0), bound, -jnp.inf), axis=1)
    hi = jnp.min(jnp.where(~flat & (a > 0), bound, jnp.inf), axis=1)
    ok = jnp.all(~flat | (rhs >= 0), axis=1)
    cx, cy, r = disc[:, 0, None], disc[:, 1, None], disc[:, 2, None]
    h2 = r * r - jnp.square(ys - cy)  # [L, R]
    half = jnp.sqrt(jnp.maximum(h2, 0.0))
    lo = jnp.maximum(lo, cx - half)
    hi = jnp.minimum(hi, cx + half)
    ok = ok & (h2 >= 0) & on[:, None]
    return jnp.where(ok, lo, jnp.inf), jnp.where(ok, hi, -jnp.inf)


PACKED_MAX_DEPTH = 254  # depths up to this fit in the top byte of a packed sample (see _rasterise)


def _rasterise(layers, n_depth: int, config: RenderConfig) -> jax.Array:
    """The image [H, W, 3] of a scene's layers.

    Each sample keeps the deepest layer covering it.  When the depths fit in
    a byte (every capacity up to about 40 bodies), a sample is one uint32
    ``(depth + 1) << 24 | r << 16 | g << 8 | b``, so a single ``max`` per layer
    carries the colour along and no table lookup is needed; otherwise the
    depth is kept and looked up in a colour table.  Colours are 8-bit.
    """
    hp, disc, on, depth, colour = layers
    rgb = jnp.round(jnp.clip(colour, 0.0, 1.0) * 255.0).astype(jnp.uint32)  # [L, 3]
    bg = np.asarray(BACKGROUND, np.uint32)
    packed = n_depth <= PACKED_MAX_DEPTH
    if packed:
        key = ((depth.astype(jnp.uint32) + 1) << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        empty = jnp.uint32((int(bg[0]) << 16) | (int(bg[1]) << 8) | int(bg[2]))
        shifts = jnp.asarray([16, 8, 0], jnp.uint32)
    else:
        key = depth
        empty = jnp.int32(-1)
        table = jnp.zeros((n_depth + 1, 3), jnp.uint32).at[depth + 1].set(rgb).at[0].set(jnp.asarray(bg))
    image = None
    for xs, ys in config.sample_grids():
        xl, xr = _row_intervals(hp, disc, on, jnp.asarray(ys))
        x = jnp.asarray(xs)[None, :]
        # one elementwise update per layer over the [rows, columns] samples: XLA fuses them into one loop
        top = jnp.full((ys.shape[0], xs.shape[0]), empty, key.dtype)
        for layer in range(key.shape[0]):
            inside = (x >= xl[layer, :, None]) & (x <= xr[layer, :, None])
            top = jnp.where(inside, jnp.maximum(top, key[layer]), top)
        sample = ((top[..., None] >> shifts) & 255) if packed else table[top + 1]
        sample = sample.astype(jnp.float32)
        image = sample if image is None else image + sample
    return image * (1.0 / (255.0 * config.supersample ** 2))


# --- public entry points ----------------------------------------------------------------------------------------
def _is_batched(scene: Scene) -> bool:
    return scene.props.active.ndim == 2


def _scene_image(scene: Scene, roles, wall_roles, motor_channel, thruster_channel, throttle, config: RenderConfig):
    layers = _layers(scene, roles, wall_roles, motor_channel, thruster_channel, throttle, config)
    return _rasterise(layers, n_depths(scene), config)


@functools.partial(jax.jit, static_argnames=("config",))
def render_scene(scene: Scene, config: RenderConfig = RenderConfig(), roles=None, wall_roles=None,
                 motor_channel=None, thruster_channel=None, throttle=None) -> jax.Array:
    """Draw a physics scene (or a stacked batch of them): f32[..., height, width, 3] in [0, 1].

    Optional per-slot arrays (batched like the scene): ``roles`` [N] (0
    neutral, 1 green, 2 blue, 3 red; default neutral), ``wall_roles`` [4],
    ``motor_channel`` [J] (0..3, 4 = auto, -1 = none; default: every enabled
    motor drawn as auto), ``thruster_channel`` [T] (default 0) and ``throttle``
    [T] in [0, 1] (a flame where positive; default none).
    """
    cap = scene.capacity
    lead = scene.props.active.shape[:-1]

    def default(x, shape, value, dtype):
        return jnp.full(lead + shape, value, dtype) if x is None else jnp.asarray(x)

    roles = default(roles, (cap.n_bodies,), 0, jnp.int32)
    wall_roles = default(wall_roles, (N_WALLS,), 0, jnp.int32)
    if motor_channel is None:
        motor_channel = jnp.where(scene.joints.motor_enabled, AUTO_CHANNEL, -1)
    thruster_channel = default(thruster_channel, (cap.n_thrusters,), 0, jnp.int32)
    throttle = default(throttle, (cap.n_thrusters,), 0.0, jnp.float32)
    fn = functools.partial(_scene_image, config=config)
    for _ in lead:
        fn = jax.vmap(fn)
    return fn(scene, roles, wall_roles, motor_channel, thruster_channel, throttle)


def _level_image(level: CompiledLevel, action, config: RenderConfig):
    throttle = channel_controls(level, action).thruster
    return _scene_image(level.scene, level.roles, level.wall_roles, level.motor_channel, level.thruster_channel,
                        throttle, config)


@functools.partial(jax.jit, static_argnames=("config",))
def render_level(level: CompiledLevel, config: RenderConfig = RenderConfig(), action=None) -> jax.Array:
    """Draw a compiled level (or a stacked batch): f32[..., height, width, 3] in [0, 1].

    Roles, wall roles and motor and thruster channels come from the level;
    ``action`` (the 6 channel values in effect, [..., 6]; default all zero)
    lights the thrusters it fires.
    """
    lead = level.scene.props.active.shape[:-1]
    action = jnp.zeros(lead + (6,), jnp.float32) if action is None else jnp.asarray(action, jnp.float32)
    fn = functools.partial(_level_image, config=config)
    for _ in lead:
        fn = jax.vmap(fn)
    return fn(level, action)


def to_uint8(images) -> np.ndarray:
    """Images in [0, 1] as uint8 RGB (numpy)."""
    return np.asarray(jnp.round(jnp.clip(jnp.asarray(images), 0.0, 1.0) * 255.0).astype(jnp.uint8))


__all__ = [
    "BACKGROUND", "FLAME", "JOINT_CENTRE", "JOINT_RING", "LINE_COLOUR", "MOTOR_COLOURS", "NOZZLE_COLOURS",
    "ROLE_COLOURS", "STATIC_SHADE", "RenderConfig", "fit_view", "human_config", "n_depths", "observation_config",
    "render_level", "render_scene", "to_uint8",
]
