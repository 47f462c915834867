"""Kinetix import: the reference's 74 shipped levels convert, load back and simulate; hand-checked mappings.

The reference files come from the kinetix-env 3.0.2 wheel (``pip download``,
cached under ``~/.cache/tumble/kinetix-wheel``); without it those tests skip.
The unit checks build small reference-format documents by hand.
"""

from __future__ import annotations

import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tumble.levels import (
    Boundary, CustomSize, LevelError, Motor, Polygon, Wall, dumps_level, load_level, loads_level, save_level,
    stack_levels,
)
from tumble.levels.kinetix_import import (
    KinetixImportError, convert_kinetix_level, import_kinetix, import_kinetix_level,
    import_kinetix_report, motor_max_torque, run_import_cli,
)
from tumble.levels.outcome import env_physics_step
from tumble.physics.filtering import category_allows
from tumble.physics.step import WALL_CATEGORY

WHEEL = "kinetix-env==3.0.2"
N_LEVELS = {"s": 10, "m": 24, "l": 40}
FSCALE = 0.4 * math.sqrt(2.0)  # the friction scale for base_friction 0.4
STEPS = 256


def f32(x: float) -> float:
    """How the importer writes a number: the shortest decimal naming the same float32."""
    return float(str(np.float32(x)))


# --- the reference's shipped levels ------------------------------------------------------------

def _wheel_dir() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "tumble" / "kinetix-wheel"


def _download_wheel(folder: Path) -> Path:
    """The cached kinetix-env wheel, downloaded first if needed (into a scratch folder, then moved in whole)."""
    wheels = sorted(folder.glob("kinetix_env-3.0.2-*.whl"))
    if wheels:
        return wheels[0]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            proc = subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", scratch],
                                  capture_output=True, text=True, timeout=300)
            got = sorted(Path(scratch).glob("kinetix_env-3.0.2-*.whl"))
            if proc.returncode != 0 or not got:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                pytest.skip(f"cannot download the {WHEEL} wheel for its level files (pip: {tail[0]})")
            os.replace(got[0], folder / got[0].name)
            return folder / got[0].name
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot download the {WHEEL} wheel for its level files: {exc}")


@pytest.fixture(scope="module")
def reference_levels() -> dict[str, dict]:
    """``{"s/h0_weak_thrust": parsed JSON, ...}`` from the kinetix-env wheel (downloaded once, then cached)."""
    wheel = _download_wheel(_wheel_dir())
    out = {}
    try:
        with zipfile.ZipFile(wheel) as z:
            for name in sorted(z.namelist()):
                parts = name.split("/")
                if len(parts) == 4 and parts[:2] == ["kinetix", "levels"] and name.endswith(".json"):
                    out[f"{parts[2]}/{parts[3][:-5]}"] = json.loads(z.read(name))
    except zipfile.BadZipFile:
        wheel.unlink(missing_ok=True)  # the next run downloads it again
        pytest.skip(f"the cached wheel {wheel} was damaged; removed it")
    assert {s: sum(k.startswith(s + "/") for k in out) for s in N_LEVELS} == N_LEVELS
    return out


@pytest.fixture(scope="module")
def imported(reference_levels):
    """Every shipped level converted: ``{"s/h0_weak_thrust": KinetixConversion}``."""
    return {key: convert_kinetix_level(data, key.split("/")[1]) for key, data in reference_levels.items()}


def test_every_shipped_level_converts_and_round_trips(imported, tmp_path):
    for key, conv in imported.items():
        size, name = key.split("/")
        level = conv.level
        assert level.size == size, key
        assert (level.name, level.family, level.description) == (name, "kinetix", f"imported from Kinetix {key}")
        assert (level.episode_length, level.frame_skip, level.joint_chain_filter) == (256, 2, True)
        assert level.gravity == (0.0, f32(-9.81)) and level.dt == pytest.approx(1 / 60)
        assert level.boundary.floor.at == 0.4 and level.boundary.ceiling.at == 5.0, key
        assert all(not s.name for s in level.shapes), f"{key}: a boundary box was kept as a shape"
        assert loads_level(dumps_level(level)) == level, key
        path = save_level(level, tmp_path / f"{name}.json")
        assert load_level(path) == level, key
    floors = [c.level.boundary.floor.role for c in imported.values()]
    assert (floors.count("red"), floors.count("neutral"), floors.count("blue"), floors.count("green")) == (33, 39, 1, 1)
    # the few approximations of the shipped files are reported
    noted = {k: c.notes for k, c in imported.items() if c.notes}
    assert set(noted) == {"l/gears", "l/h0_angrybirds", "m/arm_up"}
    assert "apart" in noted["m/arm_up"][0] and "outside the joint limits" in noted["l/h0_angrybirds"][0]


@functools.partial(jax.jit, static_argnames=("frame_skip",))
def _rollout(level, actions, frame_skip: int = 2):
    """Per env step (solved, failed, non-finite) flags, not masked after the end; whether the end state is finite."""

    def body(lv, action):
        lv, flags = env_physics_step(lv, action, frame_skip)
        return lv, flags

    final, flags = jax.lax.scan(body, level, actions)
    state = final.scene.state
    finite = jnp.all(jnp.isfinite(state.position)) & jnp.all(jnp.isfinite(state.velocity))
    return flags, finite


def _actions(key, n: int) -> jax.Array:
    a = jax.random.uniform(key, (n, STEPS, 6), minval=-1.0, maxval=1.0)
    return a.at[..., 4:].set(jnp.abs(a[..., 4:]))  # thruster channels in [0, 1]


@pytest.fixture(scope="module")
def collision_probe_levels():
    """Two size-s levels: a green circle (mode 0, then 1) dropped on a red static mode-1 box over a blue floor."""
    out = []
    for mode in (0, 1):
        doc = kinetix_doc(
            polygons=[box((2.5, 1.2), (0.6, 0.1), inv_mass=0.0, role=3)],
            circles=[disc((2.5, 2.2), 0.2, mode=mode, role=1)],
            floor_role=2,
        )
        out.append(import_kinetix_level(doc, f"probe_mode{mode}"))
    return out


@pytest.mark.parametrize("size", ["s", "m", "l"])
def test_shipped_levels_simulate_a_full_episode_without_nan(imported, collision_probe_levels, size):
    """Batched per size (one compilation each) with random actions, 256 env steps of 2 physics steps."""
    keys = [k for k in imported if k.startswith(size + "/")]
    levels = [imported[k].level for k in keys]
    if size == "s":
        levels += collision_probe_levels
    batch = stack_levels(levels)
    (solved, failed, error), finite = jax.vmap(_rollout)(batch, _actions(jax.random.PRNGKey(7), len(levels)))
    error, finite = np.asarray(error), np.asarray(finite)
    bad = [name for name, e, f in zip(keys + ["probe0", "probe1"], error.any(axis=1), finite) if e or not f]
    assert not bad, f"non-finite physics in {bad}"
    if size == "s":
        # collision modes in motion: mode 0 falls through the red mode-1 box onto the blue floor; mode 1 lands on it
        solved, failed = np.asarray(solved)[-2:], np.asarray(failed)[-2:]
        assert solved[0].any() and not failed[0].any()
        assert failed[1].any() and not solved[1].any()


# --- hand-made reference-format documents ---------------------------------------------------------

def vec(x: float, y: float) -> dict:
    return {"0": x, "1": y}


def _body(position, rotation, inv_mass, inv_inertia, mode, role, friction, density, active, **extra) -> dict:
    return {"position": vec(*position), "rotation": rotation, "velocity": vec(0.0, 0.0), "angular_velocity": 0.0,
            "inverse_mass": inv_mass, "inverse_inertia": inv_inertia, "friction": friction, "restitution": 0.0,
            "collision_mode": mode, "active": active, "role": role, "density": density, "highlighted": False,
            **extra}


def box(position, half, rotation=0.0, inv_mass=None, mode=1, role=0, friction=1.0, density=1.0, active=True,
        offset=(0.0, 0.0)) -> dict:
    """A rectangle as the reference stores it: clockwise from the top right, around ``position`` (+ ``offset``)."""
    w, h = half
    ox, oy = offset
    mass = 4 * w * h * density
    inv_m = 1.0 / mass if inv_mass is None else inv_mass
    inv_i = 0.0 if inv_m == 0 else 12.0 / (mass * (4 * w * w + 4 * h * h))
    corners = [(w, h), (w, -h), (-w, -h), (-w, h)]
    return _body(position, rotation, inv_m, inv_i, mode, role, friction, density, active, n_vertices=4, radius=0.0,
                 vertices={str(k): vec(x + ox, y + oy) for k, (x, y) in enumerate(corners)})


def disc(position, radius, rotation=0.0, inv_mass=None, mode=1, role=0, friction=1.0, density=1.0,
         active=True) -> dict:
    mass = math.pi * radius * radius * density
    inv_m = 1.0 / mass if inv_mass is None else inv_mass
    inv_i = 0.0 if inv_m == 0 else 1.0 / (math.pi * radius ** 4 / 4 * density)  # the reference's (half) inertia
    return _body(position, rotation, inv_m, inv_i, mode, role, friction, density, active, n_vertices=0,
                 radius=radius, vertices={str(k): vec(0.0, 0.0) for k in range(4)})


def walls(floor_role=0, friction=1.0, mode=2) -> list[dict]:
    """The reference's 4 boundary boxes (floor, left, right, ceiling), stored as it stores them."""
    return [box((2.5, -4.8), (2.5, 5.2), inv_mass=0.0, role=floor_role, friction=friction, mode=mode),
            box((0.0, 0.0), (2.5, 2.5), offset=(-2.5, 2.5), inv_mass=0.0, friction=friction, mode=mode),
            box((0.0, 0.0), (2.5, 2.5), offset=(7.5, 2.5), inv_mass=0.0, friction=friction, mode=mode),
            box((2.5, 10.2), (2.5, 5.2), inv_mass=0.0, friction=friction, mode=mode)]


def joint(a, b, a_rel=(0.0, 0.0), b_rel=(0.0, 0.0), *, motor=False, speed=1.0, power=1.0, binding=0, fixed=False,
          limits=None, rotation=0.0, active=True) -> dict:
    return {"a_index": a, "b_index": b, "a_relative_pos": vec(*a_rel), "b_relative_pos": vec(*b_rel),
            "global_position": vec(0.0, 0.0), "active": active, "acc_impulse": vec(0.0, 0.0), "acc_r_impulse": 0.0,
            "motor_speed": speed, "motor_power": power, "motor_on": motor, "motor_has_joint_limits": limits is not None,
            "min_rotation": (limits or (0.0, 0.0))[0], "max_rotation": (limits or (0.0, 0.0))[1],
            "is_fixed_joint": fixed, "rotation": rotation, "motor_binding": binding}


def thruster(body, rel=(0.0, 0.0), rotation=0.0, power=1.0, binding=0, active=True) -> dict:
    return {"object_index": body, "relative_position": vec(*rel), "rotation": rotation, "power": power,
            "global_position": vec(0.0, 0.0), "active": active, "thruster_binding": binding}


def kinetix_doc(polygons=(), circles=(), joints=(), thrusters=(), floor_role=0, counts=(5, 2, 1, 1), boundary=None,
                **env) -> dict:
    """A reference-format level: the boundary boxes, then ``polygons``; slots padded with inactive entries."""
    polys = (walls(floor_role) if boundary is None else boundary) + list(polygons)
    n_poly, n_circ, n_joint, n_thr = counts
    polys += [box((0.0, 0.0), (0.1, 0.1), active=False)] * (n_poly - len(polys))
    circs = list(circles) + [disc((0.0, 0.0), 0.1, active=False)] * (n_circ - len(circles))
    js = list(joints) + [joint(0, 1, active=False)] * (n_joint - len(joints))
    ts = list(thrusters) + [thruster(0, active=False)] * (n_thr - len(thrusters))
    params = {"dt": 1 / 60, "base_motor_speed": 6.0, "base_motor_power": 900.0, "base_thruster_power": 10.0,
              "motor_decay_coefficient": 0.1, "base_friction": 0.4, "max_timesteps": 256, **env}
    return {"env_state": {"polygon": polys, "circle": circs, "joint": js, "thruster": ts,
                          "collision_matrix": [], "gravity": vec(0.0, -9.81)},
            "env_params": params,
            "static_env_params": {"num_polygons": n_poly, "num_circles": n_circ, "num_joints": n_joint,
                                  "num_thrusters": n_thr, "max_polygon_vertices": 4, "frame_skip": 2,
                                  "num_static_fixated_polys": 4}}


def test_boundary_boxes_become_walls_with_the_floor_role_and_scaled_friction():
    level = import_kinetix_level(kinetix_doc(circles=[disc((2.0, 1.0), 0.2)], floor_role=3), "walls")
    assert level.boundary == Boundary(floor=Wall(0.4, "red"), left=Wall(0.0), right=Wall(5.0), ceiling=Wall(5.0),
                                      friction=f32(FSCALE))
    assert level.size == "s" and len(level.shapes) == 1 and level.shapes[0].friction == f32(FSCALE)
    assert level.shapes[0].radius == 0.2 and level.shapes[0].position == (2.0, 1.0)


def test_a_nonstandard_or_inactive_boundary_box_falls_back_and_says_so():
    bd = walls()
    bd[0] = box((2.5, -4.6), (2.5, 5.2), inv_mass=0.0, role=1)  # floor raised to 0.6
    bd[3]["active"] = False  # no ceiling
    doc = kinetix_doc(polygons=[box((2.0, 2.0), (0.1, 0.1))], circles=[disc((2.0, 1.0), 0.2)], boundary=bd)
    conv = convert_kinetix_level(doc, "odd")
    level = conv.level
    assert level.boundary.floor is None and level.boundary.ceiling is None and level.boundary.left == Wall(0.0)
    floor = level.shapes[0]
    assert isinstance(floor, Polygon) and floor.static and floor.role == "green" and floor.name == "floor"
    world = np.add(floor.position, floor.vertices)
    assert world[:, 1].max() == pytest.approx(0.6) and world[:, 0].min() == pytest.approx(0.0)
    assert level.size == CustomSize(polygons=2, circles=2, joints=1, thrusters=1)  # s's budget, plus the floor
    text = "\n".join(conv.notes)
    assert "polygon[0]: boundary box kept as a static polygon (not the standard geometry)" in text
    assert "polygon[3]: an inactive boundary box" in text


def test_inactive_shapes_are_dropped_and_indices_renumbered():
    doc = kinetix_doc(
        polygons=[box((1.0, 1.0), (0.2, 0.2), active=False), box((2.0, 2.0), (0.3, 0.1), rotation=0.5)],
        circles=[disc((0.5, 0.5), 0.1, active=False), disc((3.0, 2.0), 0.2, role=1), disc((4.0, 2.0), 0.2)],
        joints=[joint(5, 8, a_rel=(0.3, 0.0), b_rel=(0.0, 0.0)), joint(4, 7)],  # 4 is inactive
        thrusters=[thruster(8, power=0.5, binding=1), thruster(6)],  # 6 is inactive
        counts=(6, 3, 2, 2))
    conv = convert_kinetix_level(doc, "renumber")
    level = conv.level
    assert conv.shape_sources == (5, 7, 8)
    assert [type(s).__name__ for s in level.shapes] == ["Polygon", "Circle", "Circle"]
    assert level.shapes[1].role == "green"
    assert len(level.joints) == 1 and (level.joints[0].a, level.joints[0].b) == (0, 2)
    assert len(level.thrusters) == 1 and (level.thrusters[0].body, level.thrusters[0].channel) == (2, 1)
    assert level.size == "m"
    text = "\n".join(conv.notes)
    assert "joint[1]: dropped (it joins an inactive shape: a_index 4)" in text
    assert "thruster[1]: dropped (its shape 6 is inactive)" in text


def test_joint_anchor_is_the_world_point_of_both_ends():
    # a turned by 90 degrees: its local (0.3, 0) is world (0, 0.3) from its position
    doc = kinetix_doc(polygons=[box((2.0, 2.0), (0.3, 0.1), rotation=math.pi / 2)], circles=[disc((2.0, 2.3), 0.1)],
                      joints=[joint(4, 5, a_rel=(0.3, 0.0), b_rel=(0.0, 0.0))])
    conv = convert_kinetix_level(doc, "anchor")
    assert conv.level.joints[0].anchor == pytest.approx((2.0, 2.3), abs=1e-6) and not conv.notes
    # ends 0.1 apart: the reference's joint point (mass-weighted) and a note
    doc["env_state"]["joint"][0]["b_relative_pos"] = vec(0.1, 0.0)
    conv = convert_kinetix_level(doc, "gap")
    ma, mb = 0.6 * 0.2, math.pi * 0.01
    expected = (2.0 + 0.1 * mb / (ma + mb), 2.3)
    assert conv.level.joints[0].anchor == pytest.approx(expected, abs=1e-6)
    assert "the two ends are 0.1 m apart" in conv.notes[0]


def test_limits_move_from_the_reference_angle_to_the_initial_pose():
    # rot_b - rot_a = 0.7 and the joint's reference angle is 0.5: offset 0.2
    doc = kinetix_doc(polygons=[box((2.0, 2.0), (0.3, 0.1), rotation=0.3)],
                      circles=[disc((2.0, 2.0), 0.1, rotation=1.0)],
                      joints=[joint(4, 5, limits=(-0.4, 0.6), rotation=0.5, motor=True)])
    jt = import_kinetix_level(doc, "limits").joints[0]
    assert jt.kind == "revolute" and jt.limits == pytest.approx((-0.6, 0.4), abs=1e-6)
    # a fixed joint away from its reference angle is reported (and carries no motor)
    doc["env_state"]["joint"][0].update(is_fixed_joint=True, motor_has_joint_limits=False)
    conv = convert_kinetix_level(doc, "fixed")
    assert conv.level.joints[0].kind == "fixed" and conv.level.joints[0].motor is None
    assert "fixed joint 0.2 rad away from its reference angle" in conv.notes[0]


def test_a_joint_to_a_boundary_box_joins_the_world():
    # a pendulum hung from the ceiling (index 3); then the same joint written with the ceiling as b
    bob = box((2.5, 4.5), (0.05, 0.5))
    doc = kinetix_doc(polygons=[bob], circles=[disc((1.0, 1.0), 0.1)],
                      joints=[joint(3, 4, a_rel=(0.0, -5.2), b_rel=(0.0, 0.5), motor=True, limits=(-0.5, 1.0))])
    conv = convert_kinetix_level(doc, "hang")
    jt = conv.level.joints[0]
    assert (jt.a, jt.b) == (None, 0) and jt.anchor == pytest.approx((2.5, 5.0))
    assert jt.motor.speed == 6.0 and jt.limits == (-0.5, 1.0)
    assert "joins the ceiling boundary wall, imported as a joint to the world" in conv.notes[0]
    doc["env_state"]["joint"][0].update(a_index=4, b_index=3, a_relative_pos=vec(0.0, 0.5),
                                        b_relative_pos=vec(0.0, -5.2))
    jt = import_kinetix_level(doc, "hang_b").joints[0]
    assert (jt.a, jt.b) == (None, 0) and jt.motor.speed == -6.0 and jt.limits == (-1.0, 0.5)


def test_collision_modes_map_to_categories_and_masks():
    doc = kinetix_doc(polygons=[box((1.0, 1.0), (0.1, 0.1), mode=0), box((2.0, 1.0), (0.1, 0.1), mode=1)],
                      circles=[disc((3.0, 1.0), 0.1, mode=2), disc((4.0, 1.0), 0.1, mode=0)], counts=(6, 3, 2, 2))
    shapes = import_kinetix_level(doc, "modes").shapes
    modes = [0, 1, 2, 0]
    assert [(s.category, s.mask) for s in shapes] == [(4, ~4), (1, ~4), (1, -1), (4, ~4)]
    for sa, ma in zip(shapes, modes):
        assert sa.mask & WALL_CATEGORY, "every shape meets the boundary walls (mode-2 boxes in the reference)"
        for sb, mb in zip(shapes, modes):
            reference = ma == 2 or mb == 2 or ma * mb > 0
            assert bool(category_allows(sa.category, sa.mask, sb.category, sb.mask)) == reference, (ma, mb)
    # without a mode-0 shape every pair collides: the defaults
    doc = kinetix_doc(polygons=[box((2.0, 1.0), (0.1, 0.1), mode=1)], circles=[disc((3.0, 1.0), 0.1, mode=2)])
    assert {(s.category, s.mask) for s in import_kinetix_level(doc, "plain").shapes} == {(1, -1)}


def test_friction_is_scaled_so_equal_pairs_keep_the_reference_friction():
    doc = kinetix_doc(polygons=[box((2.0, 1.0), (0.1, 0.1), friction=0.5)],
                      circles=[disc((3.0, 1.0), 0.1, friction=0.5)])
    level = import_kinetix_level(doc, "friction")
    fa, fb = level.shapes[0].friction, level.shapes[1].friction
    assert fa == fb == f32(0.5 * FSCALE)
    assert math.sqrt(fa * fb) == pytest.approx(0.4 * math.hypot(0.5, 0.5), rel=1e-6)  # Tumble's pair = reference's
    assert level.boundary.friction == f32(FSCALE)  # the walls keep 1.0: wall-wall and wall-shape pairs likewise
    doc["env_params"]["base_friction"] = 0.2
    assert import_kinetix_level(doc, "friction").shapes[0].friction == f32(0.5 * 0.2 * math.sqrt(2))


def test_motor_speed_torque_and_channel():
    arm = box((2.0, 2.0), (0.3, 0.05))
    wheel = disc((2.3, 2.0), 0.15)
    doc = kinetix_doc(polygons=[arm], circles=[wheel],
                      joints=[joint(4, 5, a_rel=(0.3, 0.0), motor=True, speed=1.5, power=2.0, binding=3)])
    m = import_kinetix_level(doc, "motor").joints[0].motor
    axial = 1.0 / (arm["inverse_inertia"] + wheel["inverse_inertia"])  # the reference's own inertias
    target = 1.5 * 6.0
    expected = 900.0 * 2.0 * axial * math.log(math.cosh(0.1 * target)) / (0.1 * target)
    assert m == Motor(speed=9.0, max_torque=f32(expected), channel=3, idle="free")
    assert motor_max_torque(900.0 * 2.0, axial, 0.1, -target) == pytest.approx(expected)
    # the torque sits between the reference's at the target (0) and at rest (tanh)
    assert 0 < expected < 900.0 * 2.0 * axial * math.tanh(0.1 * target)
    # env_params are read from the file
    doc["env_params"].update(base_motor_speed=3.0, base_motor_power=100.0)
    m = import_kinetix_level(doc, "motor").joints[0].motor
    assert m.speed == 4.5 and m.max_torque == f32(motor_max_torque(200.0, axial, 0.1, 4.5))
    # motor off, or a fixed joint: no motor
    doc["env_state"]["joint"][0]["motor_on"] = False
    assert import_kinetix_level(doc, "off").joints[0].motor is None


def test_thruster_point_direction_force_and_channel():
    doc = kinetix_doc(polygons=[box((2.0, 2.0), (0.3, 0.1), rotation=0.5)],
                      thrusters=[thruster(4, rel=(0.2, 0.0), rotation=0.3, power=0.7, binding=1)],
                      counts=(6, 3, 2, 2))
    t = import_kinetix_level(doc, "thrust").thrusters[0]
    assert t.body == 0 and t.channel == 1 and t.max_force == f32(7.0)
    assert t.point == pytest.approx((2.0 + 0.2 * math.cos(0.5), 2.0 + 0.2 * math.sin(0.5)), abs=1e-6)
    assert t.angle == pytest.approx(0.8, abs=1e-6)
    doc["env_state"]["thruster"][0]["power"] = -0.7  # pushes backwards
    t = import_kinetix_level(doc, "back").thrusters[0]
    assert t.max_force == f32(7.0) and t.angle == pytest.approx(0.8 - math.pi, abs=1e-6)
    doc["env_params"]["base_thruster_power"] = 20.0
    assert import_kinetix_level(doc, "x").thrusters[0].max_force == f32(14.0)


def test_size_and_episode_come_from_the_parameters():
    doc = kinetix_doc(circles=[disc((2.0, 1.0), 0.2)], counts=(12, 4, 6, 2), max_timesteps=100)
    doc["static_env_params"]["frame_skip"] = 3
    level = import_kinetix_level(doc, "big")
    assert (level.size, level.episode_length, level.frame_skip) == ("l", 100, 3)
    conv = convert_kinetix_level(kinetix_doc(circles=[disc((2.0, 1.0), 0.2)], counts=(7, 5, 3, 1)), "odd")
    assert conv.level.size == CustomSize(polygons=3, circles=5, joints=3, thrusters=1)
    assert "size: custom" in conv.notes[0]


def problems_of(doc) -> list[str]:
    with pytest.raises(LevelError) as info:
        import_kinetix_level(doc, "bad")
    return info.value.problems


def test_malformed_files_fail_naming_the_json_path():
    assert problems_of({"env_params": {}}) == ["env_state: missing field (not a Kinetix level file?)"]
    assert problems_of([1, 2]) == ["(top level): must be an object, got a list"]
    doc = kinetix_doc(polygons=[box((2.0, 1.0), (0.1, 0.1))], circles=[disc((3.0, 1.0), 0.1)],
                      joints=[joint(4, 9)])
    assert problems_of(doc) == ["env_state.joint[0].b_index: no body 9: the file has 5 polygons (0-4) and "
                                "2 circles (5-6)"]
    doc = kinetix_doc(polygons=[box((2.0, 1.0), (0.1, 0.1))])
    doc["env_state"]["polygon"][4]["vertices"]["1"] = vec(-0.05, 0.0)  # a dent: not convex
    doc["env_state"]["circle"][0] = disc((3.0, 1.0), 0.1)
    doc["env_state"]["circle"][0]["inverse_mass"] = "light"
    doc["env_state"]["circle"][1]["active"] = "yes"
    problems = problems_of(doc)
    assert len(problems) == 3
    assert problems[0].startswith("env_state.polygon[4].vertices: is not convex")
    assert problems[1] == "env_state.circle[0].inverse_mass: must be a number, got a string"
    assert problems[2] == "env_state.circle[1].active: must be true or false, got a string"
    doc = kinetix_doc(circles=[disc((3.0, 1.0), 0.1)], thrusters=[thruster(5, binding=2)])
    doc["env_state"]["gravity"] = [0.0]
    assert problems_of(doc) == ['env_state.gravity: must be a vector {"0": x, "1": y}, got [0.0]',
                                "env_state.thruster[0].thruster_binding: must be in [0, 1], got 2"]
    with pytest.raises(LevelError, match="already a Tumble level file"):
        import_kinetix_level(json.loads(dumps_level(import_kinetix_level(kinetix_doc(circles=[disc((3, 1), 0.1)]),
                                                                           "x"))), "y")


def test_folder_import_keeps_subfolders_reports_failures_and_never_overwrites(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "out"
    (src / "s").mkdir(parents=True)
    (src / "m").mkdir()
    good = kinetix_doc(circles=[disc((2.0, 1.0), 0.2)])
    (src / "s" / "one.json").write_text(json.dumps(good))
    (src / "m" / "two.json").write_text(json.dumps(kinetix_doc(circles=[disc((2.0, 1.0), 0.2)], counts=(6, 3, 2, 2))))
    (src / "m" / "broken.json").write_text("{not json")
    with pytest.raises(KinetixImportError) as info:
        import_kinetix(src, dest)
    err = info.value
    assert [(p.name, "not valid JSON" in why) for p, why in err.failures] == [("broken.json", True)]
    assert sorted(d.relative_to(dest).as_posix() for _, d in err.written) == ["m/two.json", "s/one.json"]
    one = load_level(dest / "s" / "one.json")
    assert one.name == "one" and one.size == "s" and one.family == "kinetix"
    # a second run leaves the existing files alone unless asked
    reports = import_kinetix_report(src / "s", dest / "s")
    assert not reports[0].ok and "already exists" in reports[0].error
    assert import_kinetix(src / "s" / "one.json", dest / "s", overwrite=True) == [(src / "s" / "one.json",
                                                                                   dest / "s" / "one.json")]
    # one file to a named file; the CLI runner prints one line per file and exits 1 on any failure
    assert import_kinetix(src / "s" / "one.json", tmp_path / "single.json")[0][1] == tmp_path / "single.json"
    lines = []
    code = run_import_cli(src, tmp_path / "cli", echo=lambda text="", err=False: lines.append((err, text)))
    assert code == 1
    assert any(err and "broken.json: FAILED: line 1 column 2: not valid JSON" in t for err, t in lines)
    assert any(not err and t.endswith("two.json (size m)") for err, t in lines)
    assert lines[-1] == (True, "converted 2 of 3 files; 1 failed")
    assert run_import_cli(tmp_path / "missing", tmp_path / "x", echo=lambda *a, **k: None) == 2
