"""Tabula-rasa PPO on named hand-made S levels: env steps and wall time to a 0.9 solve rate.

    python experiments/tabula_rasa.py [--levels flappy_hop,scooter_left,...] [--steps 1000000] [--out runs/tabula_rasa]
    python experiments/tabula_rasa.py --levels levels/kinetix_s/h0_weak_thrust.json,...   # imported Kinetix levels

Each level is trained from scratch with ``configs/s_level.yaml`` (MLP on flat
observations, 64 environments), in slices of 25 updates, and stopped once the
training solve rate over 5 updates reaches 0.9 and a 64-episode evaluation of the
saved weights confirms it, or at ``--steps``.  "Steps to 0.9" is the first update at
which the training solve rate over the last 5 updates reached 0.9.
Prints a Markdown table and one JSON line; writes ``OUT/tabula_rasa.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DEFAULT_LEVELS = "rocket_aim,flappy_hop,scooter_left,tumbling_box,catapult,paddle_juggle"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default=DEFAULT_LEVELS)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--out", default="runs/tabula_rasa")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from tumble.agents.config import load_config
    from tumble.agents.evaluate import evaluate_run
    from tumble.agents.finetune import steps_to
    from tumble.agents.train import train

    out = Path(args.out)
    results = []
    for level in [x.strip() for x in args.levels.split(",") if x.strip()]:
        run_dir = out / Path(level).stem  # a bundled name or a level file (e.g. an imported Kinetix level)
        cfg = load_config(Path(__file__).parents[1] / "configs" / "s_level.yaml", [
            f"env.levels={level}", f"ppo.total_timesteps={args.steps}", f"run.run_dir={run_dir}",
            f"run.seed={args.seed}", "run.progress=false"])
        t0 = time.perf_counter()
        # train in slices so the run stops soon after it reaches the target
        rows: list[dict] = []
        compile_s = None
        resume = False
        while True:
            res = train(cfg, resume=resume, max_updates=25, log=lambda s: None)
            compile_s = res.compile_seconds if compile_s is None else compile_s
            rows += res.rows
            resume = True
            reached = steps_to(rows, 0.9)
            done = not res.rows or rows[-1]["update"] >= cfg.ppo.num_updates
            if reached is not None:
                ev = evaluate_run(run_dir, level, episodes=64)
                if ev["agent"][0]["solve_rate"] >= 0.9 or done:
                    break
            elif done:
                ev = evaluate_run(run_dir, level, episodes=64)
                break
        wall = time.perf_counter() - t0
        row_at = next((r for r in rows if r["env_steps"] == reached), None)
        results.append({
            "level": Path(level).stem, "steps_to_0.9": reached, "env_steps_run": rows[-1]["env_steps"],
            "train_seconds_to_0.9": row_at["time"] if row_at else None, "compile_seconds": round(compile_s, 1),
            "wall_seconds": round(wall, 1), "eval_solve_rate": ev["agent"][0]["solve_rate"],
            "random_solve_rate": ev["random"][0]["solve_rate"], "noop_solve_rate": ev["noop"][0]["solve_rate"],
            "steps_per_second": round(float(np.median([r["steps_per_second"] for r in rows])), 0),
        })
        print(json.dumps(results[-1]), flush=True)
    print("\n| level | env steps to 0.9 | train s to 0.9 | compile s | eval solve rate (64 ep.) | random | no-op |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['level']} | {r['steps_to_0.9'] or 'not reached'} | {r['train_seconds_to_0.9'] or '-'} | "
              f"{r['compile_seconds']} | {r['eval_solve_rate']:.2f} | {r['random_solve_rate']:.2f} | "
              f"{r['noop_solve_rate']:.2f} |")
    out.mkdir(parents=True, exist_ok=True)
    (out / "tabula_rasa.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"experiment": "tabula_rasa", "results": results}))


if __name__ == "__main__":
    main()
