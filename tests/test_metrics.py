"""Training metrics on disk: JSONL rows, resume truncation, torn lines, TensorBoard events, plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tumble.agents.metrics import MetricsLog, read_metrics, truncate_metrics
from tumble.agents.plot import plot_runs, smooth


def _rows(n):
    return [{"update": i, "env_steps": 100 * i, "time": 0.5 * i, "return": i / n, "solve_rate": i / n}
            for i in range(1, n + 1)]


def test_jsonl_round_trip_and_truncation(tmp_path):
    log = MetricsLog(tmp_path, {})
    for r in _rows(6):
        log.write(r)
    log.close()
    assert read_metrics(tmp_path) == _rows(6)
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"update": 7, "env_st')  # a killed writer's torn last line
    assert [r["update"] for r in read_metrics(tmp_path)] == [1, 2, 3, 4, 5, 6]
    kept = truncate_metrics(tmp_path, 4)
    assert [r["update"] for r in kept] == [1, 2, 3, 4]
    assert [json.loads(x)["update"] for x in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4]


def test_missing_metrics_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        read_metrics(tmp_path)


def test_tensorboard_events_are_written(tmp_path):
    pytest.importorskip("tensorboardX")
    log = MetricsLog(tmp_path, {}, tensorboard=True)
    for r in _rows(3):
        log.write(r)
    log.close()
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100


def test_smooth_is_a_trailing_mean():
    x = np.asarray([1.0, 3.0, 5.0, 7.0])
    assert np.allclose(smooth(x, 2), [1.0, 2.0, 4.0, 6.0])
    assert np.allclose(smooth(x, 1), x)


def test_plot_two_runs(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(10)))
    out = plot_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "c.png", labels=["one", "two"])
    assert out.stat().st_size > 5000
    with pytest.raises(ValueError, match="labels"):
        plot_runs([tmp_path / "a"], tmp_path / "d.png", labels=["x", "y"])


def test_steps_to_a_solve_rate_needs_a_full_window_of_enough_episodes():
    from tumble.agents.finetune import steps_to

    rows = [{"env_steps": 10 * (i + 1), "solve_rate": s, "episodes": e}
            for i, (s, e) in enumerate([(1.0, 2), (0.0, 10), (0.5, 10), (1.0, 10), (1.0, 10), (1.0, 10),
                                        (1.0, 10), (1.0, 10)])]
    # windows of 5 updates, episode-weighted: rows 0-4 give 27/42, rows 1-5 35/50, rows 2-6 45/50
    assert steps_to(rows, 0.9, window=5) == 70
    assert steps_to(rows, 0.7, window=5) == 60
    assert steps_to(rows, 0.6, window=5) == 50
    assert steps_to(rows[:4], 0.1, window=5) is None  # no full window yet
    assert steps_to(rows, 0.9, window=1, min_episodes=20) is None  # single updates never hold 20 episodes


def test_damaged_or_missing_weights_file_is_named(tmp_path):
    from tumble.agents.checkpoint import load_params, save_params

    save_params({"params": {"w": np.arange(3.0)}}, tmp_path / "p.msgpack")
    assert np.array_equal(load_params(tmp_path / "p.msgpack")["params"]["w"], np.arange(3.0))
    (tmp_path / "bad.msgpack").write_bytes(b"\x00not msgpack at all")
    with pytest.raises(ValueError, match="bad.msgpack"):
        load_params(tmp_path / "bad.msgpack")
    with pytest.raises(FileNotFoundError, match="none.msgpack"):
        load_params(tmp_path / "none.msgpack")
