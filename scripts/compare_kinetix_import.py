"""Behaviour check of the Kinetix importer: the reference engine against Tumble on imported levels.

For each case (a shipped Kinetix level and a fixed channel action) this runs the
reference (jax2d, in the kinetix anchor environment, via
``tumble/bench/anchor_scripts/kinetix_trajectories.py``) and Tumble's replay of the
level imported by :mod:`tumble.levels.kinetix_import`, both for ``--steps`` env steps
of 2 physics steps, and prints per case and time the gap between the two: the
centre of mass of all movable bodies, the worst single body position and the worst
rotation. Differences are expected once contacts dominate (the solvers differ); free
flight, thrust and motor spin-up should agree closely.

    python scripts/compare_kinetix_import.py            # the default cases
    python scripts/compare_kinetix_import.py --case s/h0_weak_thrust:0,0,0,0,1,0 --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

DEFAULT_CASES = [
    "s/h0_weak_thrust:0,0,0,0,1,0",  # thruster on
    "s/h3_point_the_thruster:0,0,0,0,1,0",  # thruster on
    "s/h2_one_wheel_car:1,0,0,0,0,0",  # motor car forwards
    "s/h6_unicycle_right:1,0,0,0,0,0",  # motor
    "m/h3_car_thrust:1,1,1,1,1,1",  # car with motors and thrusters
    "m/arm_left:1,1,0,0,0,0",  # two-joint arm spinning up
]
REPORT_TIMES = (0.25, 0.5, 1.0)  # s


_RUN = None


def _compiled_run():
    """One jitted rollout, shared by every level of a capacity (levels are arguments, not constants)."""
    global _RUN
    if _RUN is None:
        import functools

        import jax

        from tumble.levels.outcome import env_physics_step

        @functools.partial(jax.jit, static_argnames=("frame_skip", "steps"))
        def run(lv, a, frame_skip, steps):
            def body(lv, _):
                lv, _ = env_physics_step(lv, a, frame_skip)
                return lv, (lv.scene.state.position, lv.scene.state.angle)

            _, (pos, ang) = jax.lax.scan(body, lv, None, length=steps)
            return pos, ang

        _RUN = run
    return _RUN


def tumble_run(level, action, steps: int):
    """Per env step (with t = 0) body positions and angles of the level's shapes, in document order."""
    import jax.numpy as jnp
    import numpy as np

    from tumble.levels import body_indices, compile_level

    compiled = compile_level(level)
    index = body_indices(level, compiled.scene.capacity)
    pos, ang = _compiled_run()(compiled, jnp.asarray(action, jnp.float32), frame_skip=level.frame_skip, steps=steps)
    pos = np.concatenate([np.asarray(compiled.scene.state.position)[None], np.asarray(pos)])
    ang = np.concatenate([np.asarray(compiled.scene.state.angle)[None], np.asarray(ang)])
    return pos[:, index], ang[:, index]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="size/name:m0,m1,m2,m3,t0,t1 (repeatable)")
    ap.add_argument("--steps", type=int, default=60, help="env steps (2 physics steps each)")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ap.add_argument("--release-idle-motors", action="store_true",
                    help="drop the motors whose channel is 0 in the action (the reference's motor then turns "
                         "freely; Tumble's holds its joint)")
    args = ap.parse_args()

    import numpy as np

    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script
    from tumble.bench.physics import KINETIX_VENV
    from tumble.levels.kinetix_import import convert_kinetix_level

    python = ensure_venv(*KINETIX_VENV)
    for case in args.case or DEFAULT_CASES:
        name, action_text = case.split(":")
        action = [float(x) for x in action_text.split(",")]
        ref = run_anchor_script(python, "kinetix_trajectories", ["--level", name, "--action", action_text,
                                                                "--steps", str(args.steps)], timeout=600)[0]
        # the same file, from the anchor environment's copy of the package
        level_file = Path(python).parents[1].glob(f"lib/python*/site-packages/kinetix/levels/{name}.json")
        conv = convert_kinetix_level(json.loads(next(level_file).read_text()), name.split("/")[-1])
        level = conv.level
        if args.release_idle_motors:
            def idle(m):
                return m is not None and m.channel != "auto" and action[m.channel] == 0.0

            level = level.replace(joints=tuple(dataclasses.replace(j, motor=None) if idle(j.motor) else j
                                               for j in level.joints))
        src = list(conv.shape_sources)
        t_pos, t_ang = tumble_run(level, action, args.steps)
        r_pos = np.asarray(ref["position"])[:, src]
        r_ang = np.asarray(ref["rotation"])[:, src]
        movable = np.array([not s.static for s in level.shapes])
        inv_mass = np.asarray(ref["inverse_mass"])[src]
        mass = np.where(movable, 1.0 / np.where(inv_mass > 0, inv_mass, 1.0), 0.0)
        com = lambda p: (p * mass[None, :, None]).sum(1) / mass.sum()  # noqa: E731
        env_dt = ref["dt"] * ref["frame_skip"]
        rows = []
        for t in REPORT_TIMES:
            k = min(int(round(t / env_dt)), args.steps)
            d_com = float(np.linalg.norm(com(t_pos)[k] - com(r_pos)[k]))
            travel = float(np.linalg.norm(com(r_pos)[k] - com(r_pos)[0]))
            d_body = float(np.max(np.linalg.norm(t_pos[k] - r_pos[k], axis=-1)[movable]))
            d_ang = float(np.max(np.abs(t_ang[k] - r_ang[k])[movable]))
            rows.append({"case": case, "released_idle_motors": args.release_idle_motors, "t": t,
                         "com_gap_m": d_com, "com_travel_m": travel, "worst_body_m": d_body,
                         "worst_angle_rad": d_ang})
        for row in rows:
            if args.json:
                print(json.dumps(row))
            else:
                print(f"{row['case']:42s} t={row['t']:.2f}s  COM gap {row['com_gap_m']:.4f} m "
                      f"(COM moved {row['com_travel_m']:.3f} m)  worst body {row['worst_body_m']:.4f} m  "
                      f"worst angle {row['worst_angle_rad']:.4f} rad", flush=True)


if __name__ == "__main__":
    main()
