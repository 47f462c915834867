"""Level files: exact round trips, canonical text, and errors that name the JSON path and the reason."""

from __future__ import annotations

import json
import math

import pytest

from tumble.levels import (
    ActionRun, Boundary, Certificate, Circle, CustomSize, Joint, Level, LevelError, Motor, Polygon, Thruster, Wall,
    dumps_level, load_level, loads_level, parse_level, save_level,
)
from tumble.levels.codec import level_to_dict

BOX = ((-0.2, -0.1), (0.2, -0.1), (0.2, 0.1), (-0.2, 0.1))


def rich_level() -> Level:
    """A level with every field away from its default."""
    return Level(
        name="everything",
        description="a level using every field",
        family="test",
        size=CustomSize(polygons=3, circles=2, joints=3, thrusters=2, max_vertices=5),
        episode_length=300,
        frame_skip=3,
        gravity=(0.5, -7.0),
        dt=1.0 / 50.0,
        boundary=Boundary(floor=Wall(0.3, "red"), left=None, right=Wall(6.0, "blue"), ceiling=Wall(4.0),
                          friction=0.8, restitution=0.2),
        joint_chain_filter=True,
        shapes=(
            Polygon(BOX, position=(1.0, 1.0), angle=0.3, velocity=(0.5, -1.0), angular_velocity=2.0, density=2.5,
                    friction=0.9, restitution=0.4, role="green", category=2, mask=5, name="chassis"),
            Polygon(((0.0, 0.0), (1.0, 0.0), (1.2, 0.5), (0.5, 0.9), (-0.2, 0.5)), position=(3.0, 0.5), static=True,
                    role="red"),
            Polygon(((0.0, 0.0), (0.3, 0.0), (0.0, 0.3)), position=(2.0, 2.0)),
            Circle(0.15, position=(0.8, 0.8), role="blue"),
            Circle(0.1, position=(1.2, 0.8), angle=1.0, density=0.5),
        ),
        joints=(
            Joint(b=3, a=0, anchor=(0.8, 0.8), motor=Motor(speed=-4.0, max_torque=2.5, channel=3), limits=(-0.5, 0.5)),
            Joint(b=4, a=0, anchor=(1.2, 0.8), motor=Motor(speed=6.0, max_torque=1.0, channel="auto", idle="free"), collide=True),
            Joint(b=2, anchor=(2.0, 2.0), kind="fixed"),
        ),
        thrusters=(Thruster(0, (0.8, 1.0), math.pi / 2, 3.0, 1), Thruster(2, (2.1, 2.0), 0.0, 0.5)),
        certificate=Certificate((ActionRun(3, (1.0, 0.0, -0.5, 0.25), (0.0, 1.0)), ActionRun(7))),
    )


def minimal_text(**extra) -> str:
    doc = {"format": "tumble-level", "version": 1, "name": "x", "size": "s",
           "shapes": [{"kind": "circle", "radius": 0.2, "position": [2.5, 1.0]}]}
    doc.update(extra)
    return json.dumps(doc)


def test_round_trip_is_exact_and_text_is_canonical(tmp_path):
    level = rich_level()
    path = save_level(level, tmp_path / "a.json")
    loaded = load_level(path)
    assert loaded == level
    assert dumps_level(loaded) == path.read_text()
    assert loads_level(dumps_level(loaded)) == level


def test_each_entity_takes_one_line_and_defaults_are_omitted():
    text = dumps_level(rich_level())
    lines = text.splitlines()
    assert sum('"kind": "polygon"' in ln for ln in lines) == 3 and sum('"kind": "circle"' in ln for ln in lines) == 2
    assert sum('"anchor"' in ln for ln in lines) == 3
    # a default shape writes only what differs from the defaults
    minimal = dumps_level(Level(name="m", shapes=(Circle(0.2),)))
    assert json.loads(minimal) == {"format": "tumble-level", "version": 1, "name": "m",
                                   "shapes": [{"kind": "circle", "radius": 0.2}]}


def test_integers_and_floats_are_one_value():
    level = loads_level(minimal_text(gravity=[0, -10]))
    assert level.gravity == (0.0, -10.0)
    assert '"gravity": [0.0, -10.0]' in dumps_level(level)
    assert dumps_level(Level(name="n", shapes=(Circle(1, position=(1, 2)),))) == dumps_level(
        Level(name="n", shapes=(Circle(1.0, position=(1.0, 2.0)),)))


def test_missing_fields_take_documented_defaults():
    level = loads_level(minimal_text())
    assert level.boundary == Boundary(Wall(0.4), Wall(0.0), Wall(5.0), Wall(5.0), 0.6, 0.0)
    assert (level.episode_length, level.frame_skip, level.gravity) == (256, 2, (0.0, -9.81))
    assert level.shapes[0].role == "neutral" and not level.shapes[0].static
    # an explicit null boundary means an open world; a null wall an open side
    assert loads_level(minimal_text(boundary=None)).boundary is None
    open_top = loads_level(minimal_text(boundary={"ceiling": None}))
    assert open_top.boundary.ceiling is None and open_top.boundary.floor == Wall(0.4)


BAD = [
    ("not json", "{", ["line 1 column 2: not valid JSON"]),
    ("kinetix file", json.dumps({"env_state": {}, "env_params": {}}), ["format: must be 'tumble-level'",
                                                                         "import-kinetix"]),
    ("newer version", minimal_text(version=7), ["version: 7 is newer than this Tumble reads (1)"]),
    ("missing name", json.dumps({"format": "tumble-level", "version": 1, "shapes": []}), ["name: missing field"]),
    ("typo", minimal_text(episode_lenght=3), ["episode_lenght: unknown field"]),
    ("wrong type", minimal_text(frame_skip="2"), ["frame_skip: must be an integer, got a string"]),
    ("bad size", minimal_text(size="xl"), ["size: must be one of s, m, l"]),
    ("bad dt", minimal_text(dt=0), ["dt: must be > 0, got 0"]),
    ("no shapes", minimal_text(shapes=[]), ["shapes: needs at least one shape"]),
    ("bad role", minimal_text(shapes=[{"kind": "circle", "radius": 1, "role": "purple"}]),
     ["shapes[0].role: must be one of neutral, green, blue, red, got 'purple'"]),
    ("bad kind", minimal_text(shapes=[{"kind": "square"}]), ["shapes[0].kind: must be 'polygon' or 'circle'"]),
    ("negative radius", minimal_text(shapes=[{"kind": "circle", "radius": -1}]), ["shapes[0].radius: must be > 0"]),
    ("nan density", '{"format": "tumble-level", "version": 1, "name": "x", "shapes": [{"kind": "circle", '
                    '"radius": 1, "density": NaN}]}', ["shapes[0].density: must be finite"]),
    ("non-convex", minimal_text(shapes=[{"kind": "polygon", "vertices": [[0, 0], [2, 0], [1, 0.2], [1, 2]]}]),
     ["shapes[0].vertices: ", "convex"]),
    ("too many vertices", minimal_text(shapes=[{"kind": "polygon", "vertices": [[0, 0], [2, 0], [3, 1], [2, 2],
                                                                                 [0, 2]]}]),
     ["shapes[0].vertices: has 5 vertices; polygons need 3 to 4"]),
    ("collinear", minimal_text(shapes=[{"kind": "polygon", "vertices": [[0, 0], [1, 0], [2, 0]]}]),
     ["shapes[0].vertices: "]),
    ("vertex not a pair", minimal_text(shapes=[{"kind": "polygon", "vertices": [[0, 0], [1], [2, 0]]}]),
     ["shapes[0].vertices: must be a list of [x, y] pairs"]),
    ("joint to a missing body", minimal_text(joints=[{"b": 3, "anchor": [0, 0]}]), ["joints[0].b: must be <= 0, got 3"]),
    ("joint to itself", minimal_text(size="m", shapes=[{"kind": "circle", "radius": 1}] * 2,
                                     joints=[{"a": 1, "b": 1, "anchor": [0, 0]}]), ["joints[0].b: joins a shape to itself"]),
    ("motor on a fixed joint", minimal_text(joints=[{"kind": "fixed", "b": 0, "anchor": [0, 0],
                                                     "motor": {"speed": 1, "max_torque": 1}}]),
     ["joints[0].motor: a fixed joint cannot have a motor"]),
    ("bad channel", minimal_text(joints=[{"b": 0, "anchor": [0, 0], "motor": {"speed": 1, "max_torque": 1,
                                                                               "channel": 4}}]),
     ["joints[0].motor.channel: must be <= 3, got 4"]),
    ("bad idle", minimal_text(joints=[{"b": 0, "anchor": [0, 0], "motor": {"speed": 1, "max_torque": 1,
                                                                            "idle": "coast"}}]),
     ["joints[0].motor.idle: must be one of brake, free, got 'coast'"]),
    ("reversed limits", minimal_text(joints=[{"b": 0, "anchor": [0, 0], "limits": [1, -1]}]),
     ["joints[0].limits: lower 1 is above upper -1"]),
    ("thruster channel", minimal_text(thrusters=[{"body": 0, "point": [0, 0], "max_force": 1, "channel": 2}]),
     ["thrusters[0].channel: must be <= 1, got 2"]),
    ("over capacity", minimal_text(shapes=[{"kind": "polygon", "vertices": [[0, 0], [1, 0], [0, 1]]}] * 2),
     ["shapes: over capacity: 2 polygons but size s holds 1"]),
    ("ceiling below floor", minimal_text(boundary={"floor": {"at": 2}, "ceiling": {"at": 1}}),
     ["boundary.ceiling.at: must be above the floor (2)"]),
    ("wall without at", minimal_text(boundary={"floor": {"role": "red"}}), ["boundary.floor.at: missing field"]),
    ("certificate out of range", minimal_text(certificate={"actions": [{"steps": 2, "motor": [0, 0, 2, 0]}]}),
     ["certificate.actions[0].motor: values must be in [-1, 1]"]),
]


@pytest.mark.parametrize("text,expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_name_the_path_and_reason(text, expected):
    with pytest.raises(LevelError) as info:
        loads_level(text, "f.json")
    message = str(info.value)
    assert message.startswith("f.json: ")
    for part in expected:
        assert part in message, message


def test_every_problem_is_reported_at_once():
    doc = json.loads(minimal_text(frame_skip=0, shapes=[{"kind": "circle", "radius": 0, "role": "x"}],
                                  joints=[{"b": 9, "anchor": [0, 0]}]))
    with pytest.raises(LevelError) as info:
        parse_level(doc)
    paths = [p.split(":")[0] for p in info.value.problems]
    assert sorted(paths) == ["frame_skip", "joints[0].b", "shapes[0].radius", "shapes[0].role"]


def test_save_refuses_an_invalid_level_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.json"
    good = Level(name="good", shapes=(Circle(0.2),))
    save_level(good, path)
    before = path.read_text()
    bad = good.replace(shapes=(Polygon(((0, 0), (1, 0), (2, 0))),))
    with pytest.raises(LevelError):
        save_level(bad, path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]


def test_level_to_dict_is_json_ready():
    data = level_to_dict(rich_level())
    assert json.loads(json.dumps(data)) == data
    assert data["size"] == {"polygons": 3, "circles": 2, "joints": 3, "thrusters": 2, "max_vertices": 5}
