"""Anchor script: body trajectories of one kinetix level under a fixed channel action.

Standalone: run by the kinetix anchor environment's python (it needs ``kinetix-env`` and
its pinned ``jax2d``), never imports tumble.

Loads one of the levels the kinetix package ships (``--level s/h0_weak_thrust``) with
kinetix's own loader and steps the raw jax2d engine ``--steps`` env steps of
``frame_skip`` physics steps each, every step under the same channel action
``--action m0,m1,m2,m3,t0,t1`` (motor channels in [-1, 1], thruster channels in [0, 1]),
routed to joints and thrusters through the level's bindings as the environment does.

Prints one JSON line: the level's global body indices (polygons, then circles) with
their active flag and inverse mass, and per env step (including t = 0) every body's
position [x, y] and rotation.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", required=True, help="size/name of a shipped level, e.g. s/h0_weak_thrust")
    ap.add_argument("--action", default="0,0,0,0,0,0", help="6 channel values: 4 motors then 2 thrusters")
    ap.add_argument("--steps", type=int, default=60, help="env steps")
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    import kinetix
    from jax2d.engine import PhysicsEngine
    from kinetix.util.saving import load_from_json_file

    path = os.path.join(os.path.dirname(kinetix.__file__), "levels", args.level + ".json")
    state, static_params, env_params = load_from_json_file(path)
    channels = np.array([float(x) for x in args.action.split(",")], np.float32)
    n_motor = static_params.num_motor_bindings
    motor = np.clip(channels[:n_motor][np.asarray(state.motor_bindings)], -1.0, 1.0)
    motor = np.where(np.asarray(state.motor_auto), 1.0, motor)
    thrust = np.clip(channels[n_motor:][np.asarray(state.thruster_bindings)], 0.0, 1.0)
    action = jnp.asarray(np.concatenate([motor, thrust]), jnp.float32)

    engine = PhysicsEngine(static_params)

    @jax.jit
    def env_step(s):
        def one(s, _):
            s, _ = engine.step(s, env_params, action)
            return s, None

        s, _ = jax.lax.scan(one, s, None, length=static_params.frame_skip)
        return s

    def snapshot(s):
        pos = np.concatenate([np.asarray(s.polygon.position), np.asarray(s.circle.position)])
        rot = np.concatenate([np.asarray(s.polygon.rotation), np.asarray(s.circle.rotation)])
        return pos.tolist(), rot.tolist()

    positions, rotations = [], []
    p, r = snapshot(state)
    positions.append(p)
    rotations.append(r)
    s = state
    for _ in range(args.steps):
        s = env_step(s)
        p, r = snapshot(s)
        positions.append(p)
        rotations.append(r)
    print(json.dumps({
        "level": args.level,
        "action": channels.tolist(),
        "dt": float(env_params.dt),
        "frame_skip": int(static_params.frame_skip),
        "active": np.concatenate([np.asarray(state.polygon.active), np.asarray(state.circle.active)]).tolist(),
        "inverse_mass": np.concatenate([np.asarray(state.polygon.inverse_mass),
                                        np.asarray(state.circle.inverse_mass)]).tolist(),
        "position": positions,
        "rotation": rotations,
    }))


if __name__ == "__main__":
    main()
