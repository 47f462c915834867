"""The JAX rasteriser, pixel observations, episodes drawn for people and their export.

Pixel-exact checks use a 50 x 50 image of the 5 x 5 m world (10 px per metre,
pixel centres at 0.05, 0.15, ...); shapes are placed so that no pixel centre
lies within 1e-3 m of an edge, and the expected pixel sets are computed here
in float64 from the geometry alone.  Every level of this file shares one
capacity, so each render configuration compiles once.
"""

from __future__ import annotations

import json
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from tumble.env import Env, EnvParams, pool_from_levels
from tumble.levels import Circle, CustomSize, Joint, Level, Motor, Polygon, Thruster, compile_level, stack_levels
from tumble.render import export, raster
from tumble.render.raster import RenderConfig, render_level
from tumble.render.rollout import PolicyError, draw_episode, load_actions, policy_actions, run_episode

SIZE = CustomSize(2, 1, 2, 2, 4)
EXACT = RenderConfig(width=50, height=50)  # aliased: a pixel is its centre sample
SMOOTH = RenderConfig(width=50, height=50, supersample=2)
XS, YS = EXACT.pixel_centres()
PX, PY = np.meshgrid(XS, YS)  # world x and y of every pixel centre, [row, column]
BG = np.array(raster.BACKGROUND)


def box(w, h):
    return ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))


def level(*shapes, joints=(), thrusters=(), walls=False) -> Level:
    kwargs = {} if walls else {"boundary": None}
    return Level(name="t", size=SIZE, shapes=tuple(shapes), joints=tuple(joints), thrusters=tuple(thrusters),
                 gravity=(0.0, 0.0), **kwargs)


def rgb(c, static=False) -> np.ndarray:
    c = np.asarray(c, np.float64)
    return np.round(c * raster.STATIC_SHADE) if static else c


def draw(lv, config=EXACT, action=None) -> np.ndarray:
    """uint8 [H, W, 3] of a level (or a batch)."""
    compiled = lv if not isinstance(lv, Level) else compile_level(lv)
    img = render_level(compiled, config, None if action is None else jnp.asarray(action, jnp.float32))
    return raster.to_uint8(img)


def pixel(x, y) -> tuple[int, int]:
    """(row, column) of the pixel whose centre is world point (x, y)."""
    return int(round((5 - y) * 10 - 0.5)), int(round(x * 10 - 0.5))


def covered(img) -> np.ndarray:
    return np.any(img != BG, axis=-1)


def check_margin(distance) -> None:
    """The test itself is sound: no pixel centre sits on an edge (signed distances to the boundary)."""
    assert np.min(np.abs(distance)) > 1e-3


def inside_box(cx, cy, w, h, angle):
    c, s = math.cos(angle), math.sin(angle)
    u = (PX - cx) * c + (PY - cy) * s
    v = -(PX - cx) * s + (PY - cy) * c
    margin = np.minimum(w / 2 - np.abs(u), h / 2 - np.abs(v))
    return margin > 0, margin


# --- pixel-exact shapes -----------------------------------------------------------------------------------------


def test_axis_aligned_box_covers_exactly_its_pixels():
    img = draw(level(Polygon(box(1.0, 0.5), position=(1.5, 2.25), role="green")))
    want, margin = inside_box(1.5, 2.25, 1.0, 0.5, 0.0)
    check_margin(margin)
    assert want.sum() == 10 * 5  # centres 1.05..1.95 by 2.05..2.45
    np.testing.assert_array_equal(covered(img), want)
    assert np.all(img[want] == raster.ROLE_COLOURS[1])
    # row 0 is the top of the world: the box's rows are 25..29 (y = 2.45 .. 2.05), columns 10..19
    rows, cols = np.nonzero(want)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (25, 29, 10, 19)


def test_circle_covers_exactly_its_disc_and_its_line_shows_the_angle():
    cx, cy, r = 3.32, 3.02, 0.62
    dist = np.hypot(PX - cx, PY - cy)
    check_margin(dist - r)
    disc = dist <= r
    half = 0.5 * EXACT.line_width / EXACT.scale
    for angle, along, across in ((0.0, PX - cx, PY - cy), (math.pi / 2, PY - cy, -(PX - cx)),
                                 (math.pi, -(PX - cx), -(PY - cy))):
        img = draw(level(Polygon(box(0.2, 0.2), position=(0.5, 4.5)), Circle(r, position=(cx, cy), angle=angle,
                                                                                  role="blue")))
        check_margin(np.where(along >= -0.01, np.abs(across) - half, 1.0))
        line = disc & (along >= 0) & (np.abs(across) <= half)
        assert line.sum() >= 5
        mask = covered(img) & (PX > 1.0)  # leave out the small box in the corner
        np.testing.assert_array_equal(mask, disc)
        np.testing.assert_array_equal(np.all(img == raster.LINE_COLOUR, axis=-1), line)
        assert np.all(img[disc & ~line] == raster.ROLE_COLOURS[2])


def test_box_rotated_by_45_degrees():
    cx, cy = 2.52, 2.53
    img = draw(level(Polygon(box(1.0, 1.0), position=(cx, cy), angle=math.pi / 4, role="red")))
    want, margin = inside_box(cx, cy, 1.0, 1.0, math.pi / 4)
    check_margin(margin)
    np.testing.assert_array_equal(covered(img), want)
    assert np.all(img[want] == raster.ROLE_COLOURS[3])
    # a diamond: widest on its middle row, one or two pixels at the tips
    widths = want.sum(axis=1)[want.any(axis=1)]
    assert widths.max() >= 13 and widths[0] <= 2 and widths[-1] <= 2


def test_role_colours_static_shading_and_depth():
    shapes = (Polygon(box(1.0, 1.0), position=(1.5, 1.5), role="green"),  # dynamic, slot 0
              Polygon(box(1.0, 1.0), position=(2.0, 2.0), static=True, role="blue"),  # static, slot 1: underneath
              Circle(0.5, position=(3.8, 3.8), angle=math.pi, static=True))
    img = draw(level(*shapes))
    at = lambda x, y: img[pixel(x, y)]  # noqa: E731
    np.testing.assert_array_equal(at(1.25, 1.25), rgb(raster.ROLE_COLOURS[1]))
    np.testing.assert_array_equal(at(2.35, 2.35), rgb(raster.ROLE_COLOURS[2], static=True))
    np.testing.assert_array_equal(at(1.85, 1.85), rgb(raster.ROLE_COLOURS[1]))  # overlap: the dynamic shape wins
    np.testing.assert_array_equal(at(4.05, 3.65), rgb(raster.ROLE_COLOURS[0], static=True))
    # walls: the world outside the floor (y < 0.4) in the floor's role colour, shaded as static
    lv = level(Polygon(box(0.4, 0.4), position=(2.5, 2.5)), walls=True)
    lv = lv.replace(boundary=lv.boundary.__class__(floor=lv.boundary.floor.__class__(0.4, "red")))
    img = draw(lv)
    floor = PY < 0.4
    assert floor.sum() == 4 * 50
    assert np.all(img[floor] == rgb(raster.ROLE_COLOURS[3], static=True))
    assert not covered(img)[~floor & (np.abs(PX - 2.5) > 0.3)].any()


def joints_level(motor=True, fire=True):
    return level(
        Polygon(box(1.0, 0.5), position=(1.5, 2.25), role="green"),
        Polygon(box(0.2, 0.2), position=(0.5, 4.5)),
        Circle(0.4, position=(3.55, 3.55)),
        joints=(Joint(b=0, anchor=(1.15, 2.35), motor=Motor(1.0, 1.0, 2) if motor else None),
                Joint(b=2, anchor=(3.55, 3.55), kind="fixed")),
        thrusters=(Thruster(0, (1.85, 2.25), 0.0, 1.0, channel=0),),
    )


def test_joints_motors_and_thrusters():
    at = lambda img, x, y: img[pixel(x, y)]  # noqa: E731
    on = draw(joints_level(), action=[0, 0, 0, 0, 1, 0])
    off = draw(joints_level(motor=False))
    # revolute joint: a dark ring around a centre in the motor channel's colour (white without a motor)
    np.testing.assert_array_equal(at(on, 1.15, 2.35), raster.MOTOR_COLOURS[2])
    np.testing.assert_array_equal(at(off, 1.15, 2.35), raster.JOINT_CENTRE)
    np.testing.assert_array_equal(at(on, 1.25, 2.35), raster.JOINT_RING)
    # fixed joint: a solid dark square (its centre is dark too)
    for dx, dy in ((0, 0), (0.1, 0.1), (-0.1, 0.1)):
        np.testing.assert_array_equal(at(on, 3.55 + dx, 3.55 + dy), raster.JOINT_RING)
    # thruster: a nozzle in its channel's colour pointing along the force; a flame behind it only while firing
    np.testing.assert_array_equal(at(on, 1.85, 2.25), raster.NOZZLE_COLOURS[0])
    np.testing.assert_array_equal(at(on, 1.65, 2.25), raster.FLAME)
    np.testing.assert_array_equal(at(off, 1.65, 2.25), raster.ROLE_COLOURS[1])
    assert np.all(on[(PX > 2.0) & (PX < 2.4) & (PY < 3.0)] == BG)  # nothing past the nozzle's tip (x = 2.0)
    assert np.all(on[pixel(1.95, 2.25)] == raster.NOZZLE_COLOURS[0])
    assert not np.any(np.all(off == raster.FLAME, axis=-1))


def test_render_scene_matches_render_level_without_roles():
    lv = compile_level(level(Polygon(box(1.0, 1.0), position=(2.5, 2.5), angle=0.3)))
    a = raster.to_uint8(raster.render_scene(lv.scene, EXACT))
    np.testing.assert_array_equal(a, draw(lv))


# --- antialiasing and batches ------------------------------------------------------------------------------


def test_supersampling_blends_edges_only():
    # left edge at x = 1.05: half of each left column's samples (x = 1.025, 1.075) are inside
    lv = level(Polygon(box(0.95, 0.6), position=(1.525, 2.3), role="green"))
    hard, smooth = draw(lv), np.asarray(render_level(compile_level(lv), SMOOTH))
    fill = np.array(raster.ROLE_COLOURS[1]) / 255.0
    # rows 24..29 (y 2.0 .. 2.6) and columns 11..19 (x 1.1 .. 2.0) are covered whole
    np.testing.assert_allclose(smooth[24:30, 10], np.broadcast_to(0.5 * (fill + BG / 255.0), (6, 3)), atol=1e-6)
    np.testing.assert_allclose(smooth[24:30, 11:20], np.broadcast_to(fill, (6, 9, 3)), atol=1e-6)
    np.testing.assert_allclose(smooth[[23, 30]], BG / 255.0 * np.ones((2, 50, 3)), atol=1e-6)
    np.testing.assert_allclose(smooth[:, 20:], BG / 255.0 * np.ones((50, 30, 3)), atol=1e-6)
    np.testing.assert_array_equal(hard[24:30, 11:20], np.broadcast_to(raster.ROLE_COLOURS[1], (6, 9, 3)))


def test_batch_equals_one_by_one():
    levels = [joints_level(), joints_level(motor=False),
              level(Polygon(box(0.7, 0.3), position=(2.0, 3.0), angle=1.0, role="red"), Circle(0.3, position=(1, 1)))]
    compiled = [compile_level(lv) for lv in levels]
    actions = np.array([[0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0.5, 0], [0] * 6], np.float32)
    batch = np.asarray(render_level(stack_levels(compiled), SMOOTH, jnp.asarray(actions)))
    assert batch.shape == (3, 50, 50, 3)
    for i, lv in enumerate(compiled):
        np.testing.assert_array_equal(batch[i], np.asarray(render_level(lv, SMOOTH, jnp.asarray(actions[i]))))
    assert not np.array_equal(batch[0], batch[1])


def test_config_validation_and_views():
    with pytest.raises(ValueError, match="x1 > x0"):
        RenderConfig(view=(0, 0, 0, 5))
    with pytest.raises(ValueError, match="positive integer"):
        RenderConfig(width=0)
    assert raster.fit_view((0, 0, 5, 5), 200, 100) == (-2.5, 0.0, 7.5, 5.0)
    cfg = raster.human_config(300)
    assert cfg.width == cfg.height == 300 and cfg.supersample == 3 and cfg.outline > 0


# --- pixel observations --------------------------------------------------------------------------------------


def test_pixel_observations_are_in_their_space_and_jit_vmap():
    lv = joints_level()
    env = Env(compile_level(lv).scene.capacity, "multi_discrete", "pixels", pixel_size=32)
    params = EnvParams(pool=pool_from_levels([lv]))
    space = env.observation_space(params)
    assert space.spaces["image"].shape == (32, 32, 3) and space.spaces["image"].dtype == jnp.float32
    assert (space.spaces["image"].low, space.spaces["image"].high) == (0.0, 1.0)
    reset = jax.jit(jax.vmap(env.reset, (0, None)))
    step = jax.jit(jax.vmap(env.step, (0, 0, 0, None)))
    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    obs, state = reset(keys, params)
    actions = jnp.array([[0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]], jnp.int32)
    obs2, *_ = step(keys, state, actions, params)
    for o in (obs, obs2):
        o = jax.tree_util.tree_map(np.asarray, o)
        for i in range(2):
            assert space.contains({k: v[i] for k, v in o.items()})
    image = np.asarray(obs2["image"])
    flame = np.all(np.abs(image - np.array(raster.FLAME) / 255.0) < 1e-6, axis=-1)
    assert flame[0].any() and not flame[1].any()  # the thruster is lit only where the last action fired it
    # the image is the rasteriser's picture at observation settings
    np.testing.assert_allclose(image[1], np.asarray(render_level(state.level, raster.observation_config(32)))[1])
    # the default size is the reference's (500 x 500 screen downscaled by 4)
    default = Env(env.capacity, "multi_discrete", "pixels").observation_space()
    assert default.spaces["image"].shape == (125, 125, 3) and default.spaces["global"].shape == (26,)


# --- episodes, export, the command ----------------------------------------------------------------------------


def drop(role: str) -> Level:
    """A green ball 0.5 m above a floor of ``role``: it lands after about 15 env steps."""
    lv = level(Polygon(box(0.2, 0.2), position=(0.5, 4.5), static=True), Circle(0.2, position=(2.5, 1.1),
                                                                                 role="green"), walls=True)
    floor = lv.boundary.floor.__class__(0.4, role)
    return lv.replace(gravity=(0.0, -9.81), boundary=lv.boundary.__class__(floor=floor))


@pytest.fixture(scope="module")
def episode():
    return run_episode(drop("blue"), np.zeros((40, 6), np.float32))


def test_episode_stops_at_the_outcome(episode):
    assert episode.outcome == "solved" and 5 <= episode.steps <= 20
    assert episode.n_frames == 1 + 2 * episode.steps  # the initial state, then every physics step
    assert episode.outcome_text() == f"SOLVED in {episode.steps} steps"
    failed = run_episode(drop("red"), np.zeros((40, 6), np.float32))
    assert failed.outcome == "failed" and failed.steps == episode.steps
    short = run_episode(drop("blue"), np.zeros((3, 6), np.float32))
    assert short.outcome == "running" and short.n_frames == 7
    np.testing.assert_allclose(short.position, episode.position[:7])


def test_gif_png_and_mp4_decode_to_the_right_frames(episode, tmp_path):
    cfg = RenderConfig(width=64, height=64)
    frames = draw_episode(episode, cfg)
    assert frames.shape == (episode.n_frames, 64, 64, 3) and frames.dtype == np.uint8
    plain = draw_episode(episode, cfg, labels=False, outcome=False)
    assert not np.array_equal(frames[-1], plain[-1])  # the outcome is written on the last frame
    gif = export.save_frames(frames, tmp_path / "run.gif", fps=60)
    assert export.count_video_frames(gif) == episode.n_frames
    with Image.open(gif) as im:
        im.seek(0)
        first = np.asarray(im.convert("RGB"))
    assert np.abs(first.astype(int) - frames[0]).max() <= 24  # one shared palette, no dithering
    png = export.save_frames(frames, tmp_path / "last.png")
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), frames[-1])
    pytest.importorskip("imageio_ffmpeg")
    odd = np.pad(frames, ((0, 0), (0, 1), (0, 1), (0, 0)), mode="edge")  # odd sizes are padded to even
    mp4 = export.save_frames(odd, tmp_path / "run.mp4", fps=60)
    assert export.count_video_frames(mp4) == episode.n_frames


def test_mp4_without_the_video_extra_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    with pytest.raises(export.VideoDependencyError, match=r"pip install 'tumble\[video\]'"):
        export.save_frames(np.zeros((2, 16, 16, 3), np.uint8), tmp_path / "x.mp4")
    with pytest.raises(ValueError, match="unknown output format"):
        export.save_frames(np.zeros((2, 16, 16, 3), np.uint8), tmp_path / "x.avi")


def test_policies_and_action_files(tmp_path):
    lv = drop("blue")
    assert policy_actions("noop", lv, 5).shape == (5, 6) and not policy_actions("noop", lv, 5).any()
    r1, r2 = policy_actions("random", lv, 50, seed=1), policy_actions("random", lv, 50, seed=1)
    np.testing.assert_array_equal(r1, r2)
    assert set(np.unique(r1[:, :4])) == {-1.0, 0.0, 1.0} and set(np.unique(r1[:, 4:])) == {0.0, 1.0}
    assert policy_actions("random", lv).shape == (lv.episode_length, 6)
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([[1, 0, 0, 0, 0, 1], [0, -1, 0, 0, 1, 0]]))
    np.testing.assert_array_equal(policy_actions(rows, lv), [[1, 0, 0, 0, 0, 1], [0, -1, 0, 0, 1, 0]])
    assert policy_actions(rows, lv, 4)[2:].sum() == 0  # padded with no-ops
    cert = tmp_path / "cert.json"
    cert.write_text(json.dumps({"actions": [{"steps": 2, "thruster": [1, 0]}, {"steps": 1, "motor": [0, 0, 1, 0]}]}))
    np.testing.assert_array_equal(load_actions(cert), [[0, 0, 0, 0, 1, 0]] * 2 + [[0, 0, 1, 0, 0, 0]])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([[1, 2, 3]]))
    with pytest.raises(PolicyError, match="rows of 6 numbers"):
        load_actions(bad)
    with pytest.raises(PolicyError, match="training issue"):
        policy_actions("runs/ppo/checkpoint_100", lv)
    with pytest.raises(PolicyError, match="unknown policy"):
        policy_actions("greedy", lv)
    with pytest.raises(PolicyError, match="no certificate"):
        policy_actions("certificate", lv)


def test_render_command_writes_a_gif(tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from tumble.levels import save_level
    from tumble.cli.render import render_command

    app = typer.Typer()
    app.command("render")(render_command)
    app.command("other")(lambda: None)  # two commands: typer keeps the subcommand name
    path = save_level(drop("blue"), tmp_path / "drop.json")
    out = tmp_path / "drop.gif"
    result = CliRunner().invoke(app, ["render", str(path), "--steps", "3", "--size", "64", "--supersample", "1",
                                      "--hold", "0", "--no-cache", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "not solved after 3 steps" in result.output
    assert export.count_video_frames(out) == 7
    result = CliRunner().invoke(app, ["render", str(path), "--policy", "ckpt/model", "--out", str(out)])
    assert result.exit_code == 2 and "training issue" in result.output
    result = CliRunner().invoke(app, ["render", str(path), "--out", str(tmp_path / "x.avi")])
    assert result.exit_code == 2 and ".png, .gif, .mp4" in result.output
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # the video extra is not installed
    result = CliRunner().invoke(app, ["render", str(path), "--out", str(tmp_path / "x.mp4")])
    assert result.exit_code == 2 and "pip install 'tumble[video]'" in result.output
