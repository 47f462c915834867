"""The ``tumble`` command: help, version, demo (GIF + summary), bench option parsing, preview drawing."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import types

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tumble.cli.main import DEFAULT_BATCHES, app

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("demo", "showcase", "train", "eval", "finetune", "plot", "version", "bench"):
        assert command in result.output
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    assert "physics" in result.output


def test_help_does_not_import_jax():
    # commands import their work lazily, so `tumble --help` is fast
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tumble.cli.main import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "assert 'jax' not in sys.modules, 'tumble --help imported jax'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_version():
    from tumble import __version__

    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0, result.output
    assert f"tumble {__version__}" in result.output


def test_frame_indices_keep_the_last_state():
    from tumble.cli.showcase import frame_indices

    assert frame_indices(30, 2) == list(range(0, 31, 2))
    assert frame_indices(31, 2) == list(range(0, 31, 2)) + [31]
    assert frame_indices(1, 2) == [0, 1]


def test_showcase_writes_gif_and_summary(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["showcase", "--out", str(out), "--steps", "30", "--size", "96", "--no-cache"])
    assert result.exit_code == 0, result.output
    gif, summary_path = out / "demo.gif", out / "summary.json"
    assert str(gif) in result.output and str(summary_path) in result.output
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.size == (96, 96)
        frames = im.n_frames
    assert frames == 30 // 2 + 1  # every second state, t = 0 included
    summary = json.loads(summary_path.read_text())
    assert summary["steps"] == 30
    assert summary["frames"] == frames
    assert summary["non_finite"] is False
    assert summary["steps_per_s"] > 0 and summary["wall_time_s"] > 0
    final = summary["final_positions"]
    assert {"ball", "rocket", "car chassis", "front wheel", "rear wheel", "ramp"} <= set(final)
    assert all(math.isfinite(x) for body in final.values() for x in body["position"])
    # the thruster lifts the rocket and gravity pulls the ball down
    assert final["rocket"]["position"][1] > 0.6
    assert final["ball"]["position"][1] < 3.6


def test_showcase_rejects_bad_steps(tmp_path):
    result = runner.invoke(app, ["showcase", "--out", str(tmp_path), "--steps", "0"])
    assert result.exit_code == 2
    assert not (tmp_path / "demo.gif").exists()


@pytest.fixture
def fake_bench(monkeypatch):
    """Stand in for tumble.bench.physics (whatever its state) and record the call."""
    calls = []
    module = types.ModuleType("tumble.bench.physics")

    def main(**kwargs):
        calls.append(kwargs)
        return module.exit_code

    module.main = main
    module.exit_code = 0
    monkeypatch.setitem(sys.modules, "tumble.bench.physics", module)
    return module, calls


def test_bench_physics_defaults(fake_bench):
    _, calls = fake_bench
    result = runner.invoke(app, ["bench", "physics"])
    assert result.exit_code == 0, result.output
    assert calls == [{"sizes": ["s", "m", "l"], "batches": list(DEFAULT_BATCHES), "json_out": False, "anchor": True}]
    assert list(DEFAULT_BATCHES) == [1, 16, 256, 1024, 4096]


def test_bench_physics_options(fake_bench):
    _, calls = fake_bench
    args = "bench physics --size s --size L --size s --batch 1 --batch 64 --json --no-anchor --steps 10".split()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert calls == [{"sizes": ["s", "l"], "batches": [1, 64], "json_out": True, "anchor": False, "steps": 10}]


def test_bench_physics_passes_on_exit_status(fake_bench):
    module, _ = fake_bench
    module.exit_code = 3
    assert runner.invoke(app, ["bench", "physics", "--size", "m"]).exit_code == 3


@pytest.mark.parametrize("args", [["--size", "xl"], ["--batch", "0"], ["--steps", "-1"], ["--batch", "many"]])
def test_bench_physics_rejects_bad_options(fake_bench, args):
    _, calls = fake_bench
    result = runner.invoke(app, ["bench", "physics", *args])
    assert result.exit_code == 2
    assert calls == []


def test_bench_physics_without_the_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "tumble.bench.physics", None)  # import fails as if the file were missing
    result = runner.invoke(app, ["bench", "physics", "--size", "s", "--no-anchor"])
    assert result.exit_code == 2
    assert "tumble.bench.physics" in result.output
    assert "not part of this installation" in result.output


def test_preview_draws_with_y_up():
    from tumble.physics import SceneBuilder
    from tumble.render.preview import BACKGROUND, PALETTE, WALL, draw_scene

    b = SceneBuilder()
    b.set_boundary(floor=0.0, left=0.0, right=4.0, ceiling=4.0)
    high = b.add_box((1.0, 1.0), position=(1.0, 3.0))  # upper left
    low = b.add_circle(0.5, position=(3.0, 1.0))  # lower right
    scene, _ = b.build()
    pos = np.asarray(scene.state.position)
    img = draw_scene(pos, np.asarray(scene.state.angle), scene, size=200, supersample=1)
    assert img.size == (200, 200)
    px = img.load()
    # the view is the boundary plus 4%: 4.32 m over 200 px, world x = -0.16 + u / s, y = 4.16 - v / s
    s = 200 / 4.32
    to_px = lambda x, y: (int((x + 0.16) * s), int((4.16 - y) * s))  # noqa: E731
    assert px[to_px(1.0, 3.0)] == PALETTE[int(high) % len(PALETTE)]
    assert px[to_px(3.0, 1.3)] == PALETTE[int(low) % len(PALETTE)]
    assert px[to_px(1.0, 1.0)] == BACKGROUND
    assert px[to_px(3.0, 3.0)] == BACKGROUND
    assert px[to_px(2.0, -0.1)] == WALL  # below the floor
    with pytest.raises(ValueError, match="positions must be"):
        draw_scene(pos[:1], np.asarray(scene.state.angle), scene)
