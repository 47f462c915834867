"""The training commands end to end on tiny runs: train, eval, plot, finetune, demo, and their error messages."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from tumble.cli.main import app

runner = CliRunner()
TINY = ["env.levels=rocket_aim", "ppo.num_envs=16", "ppo.num_steps=16", "ppo.num_minibatches=2",
        "ppo.update_epochs=1", "ppo.total_timesteps=512", "run.updates_per_call=1", "run.progress=false"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A two-update run of ``tumble train``, evaluated on its level at the end."""
    d = tmp_path_factory.mktemp("cli") / "run"
    result = runner.invoke(app, ["train", *TINY, "--run-dir", str(d), "--eval", "rocket_aim"])
    assert result.exit_code == 0, result.output
    return d


def test_train_writes_a_run_folder_with_evaluation(run_dir):
    assert (run_dir / "config.yaml").is_file() and (run_dir / "params.msgpack").is_file()
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2] and rows[-1]["env_steps"] == 512
    report = json.loads((run_dir / "eval.json").read_text())
    assert set(report) == {"agent", "random", "noop"}
    assert report["noop"]["levels"][0]["solve_rate"] == 0.0  # doing nothing never reaches the target
    assert "| rocket_aim |" in (run_dir / "eval.md").read_text()


def test_eval_on_a_suite_of_named_levels(run_dir, tmp_path):
    result = runner.invoke(app, ["eval", str(run_dir), "--levels", "rocket_aim,flappy_hop", "-n", "4",
                                 "--no-baselines", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "eval.json").read_text())
    assert [r["level"] for r in report["agent"]["levels"]] == ["rocket_aim", "flappy_hop"]
    assert all(r["episodes"] == 4 for r in report["agent"]["levels"])


def test_plot_draws_a_png(run_dir, tmp_path):
    out = tmp_path / "curve.png"
    result = runner.invoke(app, ["plot", str(run_dir), "--out", str(out), "-m", "return", "-m", "loss"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 400


def test_finetune_compares_with_scratch(run_dir, tmp_path):
    result = runner.invoke(app, ["finetune", str(run_dir), "--levels", "flappy_hop", "--out", str(tmp_path),
                                 "ppo.total_timesteps=256", "ppo.num_envs=16", "ppo.num_steps=16"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "finetune.json").read_text())
    assert set(report["runs"]) == {"finetune", "scratch"}
    assert report["config"]["env"]["levels"] == "flappy_hop"
    assert (tmp_path / "finetune.png").stat().st_size > 0
    for name in ("finetune", "scratch"):
        assert (tmp_path / name / "params.msgpack").is_file()


def test_demo_trains_evaluates_and_draws(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--steps", "4096"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["env_steps"] == 4096 and summary["level"] == "flappy_hop"
    assert 0.0 <= summary["solve_rate"] <= 1.0 and summary["noop_solve_rate"] == 0.0
    with Image.open(out / "agent.gif") as im:
        assert im.format == "GIF" and im.n_frames > 10
    with Image.open(out / "learning_curve.png") as im:
        assert im.format == "PNG"
    assert (out / "run" / "metrics.jsonl").is_file() and (out / "eval.md").is_file()
    # a second demo replaces its own previous run instead of refusing
    again = runner.invoke(app, ["demo", "--out", str(out), "--steps", "4096"])
    assert again.exit_code == 0, again.output


def test_demo_defaults_reach_the_demo(monkeypatch, tmp_path):
    """`tumble demo` with no options: the defaults (level, steps, folder) pass validation and reach run_demo."""
    import tumble.cli.demo as demo

    calls = []
    monkeypatch.setattr(demo, "run_demo", lambda out, level, steps, log: calls.append((out, level, steps)) or
                        {"solve_rate": 1.0})
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert calls == [(demo.Path("runs/demo"), demo.DEMO_LEVEL, demo.DEMO_STEPS)]


@pytest.mark.parametrize("args, message", [
    (["train", "env.levels=rocket_aim", "ppo.num_envs=zero"], "ppo.num_envs"),
    (["train", "env.levels=no_such_level"], "no_such_level"),
    (["train", "--resume", "--run-dir", "{tmp}/nothing"], "nothing"),
    (["eval", "{tmp}"], "config.yaml"),
])
def test_errors_are_one_clear_line(args, message, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
