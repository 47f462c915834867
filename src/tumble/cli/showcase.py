"""``tumble showcase``: build a showcase scene, simulate it under one compiled rollout, write a GIF and a summary.

The scene is a Kinetix-sized 5 x 5 m world closed by the boundary half-planes
(floor at y = 0.4): a two-wheeled car whose motors drive it to the right, over
a static ramp and into a stack of three boxes; a bouncy ball dropped onto the
ramp; and a small rocket lifted by a thruster.  Everything is built through
the scripting API (:class:`tumble.physics.SceneBuilder`).

Outputs in ``out``: ``demo.gif`` (every second step, with the time in the
corner) and ``summary.json`` (timings, steps per second, final poses).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from importlib import metadata

from tumble.jax_cache import enable_compilation_cache
from pathlib import Path
from typing import Any

DT = 1.0 / 60.0
DEFAULT_STEPS = 240
FRAME_EVERY = 2  # draw every second step: 30 frames per simulated second


def build_demo_scene():
    """The showcase scene: ``(scene, params, controls, names)``, ``names`` mapping body index to a name."""
    import jax.numpy as jnp

    from tumble.physics import SceneBuilder, default_controls

    b = SceneBuilder(gravity=(0.0, -9.81), dt=DT, max_vertices=4)
    b.set_boundary(floor=0.4, left=0.0, right=5.0, ceiling=5.0, friction=0.8)
    floor = 0.4
    named = []

    # a static ramp for the car (and a surface for the ball to bounce off)
    named.append(("ramp", b.add_polygon([(0.0, 0.0), (0.9, 0.0), (0.9, 0.22)], position=(1.9, floor), static=True)))

    # a stack of three boxes in the car's way
    for k in range(3):
        named.append((f"box {k + 1}", b.add_box((0.3, 0.3), position=(3.7, floor + 0.15 + 0.3 * k), friction=0.3)))

    # the car: a chassis on two motorised wheels (clockwise wheel spin drives it to the right)
    wheel_y = floor + 0.14
    chassis = b.add_box((0.7, 0.14), position=(0.7, wheel_y + 0.13), density=2.0)
    wheels = []
    for x in (0.45, 0.95):
        wheel = b.add_circle(0.14, position=(x, wheel_y), friction=1.0)
        b.add_revolute_joint(
            chassis, wheel, anchor=(x, wheel_y), enable_motor=True, motor_speed=-6.0, max_motor_torque=0.25
        )
        wheels.append(wheel)
    rear, front = wheels
    named += [("car chassis", chassis), ("rear wheel", rear), ("front wheel", front)]

    # a bouncy ball dropped onto the ramp
    named.append(("ball", b.add_circle(0.2, position=(2.45, 3.6), velocity=(-0.4, 0.0), restitution=0.7)))

    # a rocket: a thruster under its centre of mass, pushing up with 1.1 times its weight
    rocket_size = (0.2, 0.4)
    rocket = b.add_box(rocket_size, position=(4.55, floor + 0.2))
    rocket_mass = rocket_size[0] * rocket_size[1] * 1.0
    b.add_thruster(rocket, point=(4.55, floor), angle=math.pi / 2, max_force=1.1 * rocket_mass * 9.81)
    named.append(("rocket", rocket))

    scene, params = b.build()
    controls = default_controls(scene)  # motors at +1 (full target speed)
    controls = controls.replace(thruster=jnp.ones_like(controls.thruster))  # thruster at full throttle
    names = {int(handle): name for name, handle in named}
    return scene, params, controls, names


def frame_indices(steps: int, every: int = FRAME_EVERY) -> list[int]:
    """States drawn in the GIF: every ``every``-th of the ``steps + 1`` states, always with the last one."""
    index = list(range(0, steps + 1, every))
    if index[-1] != steps:
        index.append(steps)
    return index


def run_showcase(
    out: str | Path = "runs/showcase",
    steps: int = DEFAULT_STEPS,
    size: int = 400,
    cache: bool = True,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Build, simulate ``steps`` steps, render; write ``demo.gif`` and ``summary.json`` in ``out``.

    Returns the summary.  Timings: ``first_call_s`` is the first rollout
    (tracing, compilation or a cache hit, and the run); ``simulate_s`` a
    second, already compiled rollout of the same steps.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = enable_compilation_cache() if cache else None

    import jax
    import numpy as np

    from tumble.physics import simulate
    from tumble.render.preview import draw_frames, save_gif, scene_geometry

    scene, params, controls, names = build_demo_scene()
    n_bodies = int(np.sum(np.asarray(scene.props.active)))
    log(
        f"tumble demo: {steps} steps of {DT * 1000:.2f} ms ({steps * DT:.2f} s simulated), {n_bodies} bodies, "
        f"JAX on {jax.default_backend()}"
    )
    log("  compiling and running the rollout" + (f" (compilation cache: {cache_dir})" if cache_dir else "") + " ...")

    t0 = time.perf_counter()
    traj = simulate(scene, params, steps, controls)
    first_call = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate(scene, params, steps, controls)
    simulate_s = time.perf_counter() - t0
    non_finite = bool(np.any(traj.non_finite))
    log(f"  first rollout (trace + compile + run): {first_call:.1f} s")
    log(
        f"  compiled rollout: {simulate_s:.3f} s = {steps / simulate_s:,.0f} steps/s "
        f"({steps * DT / simulate_s:.1f}x real time)"
    )

    t0 = time.perf_counter()
    index = frame_indices(steps, FRAME_EVERY)
    geom = scene_geometry(scene)
    frames = draw_frames(
        traj.position[index],
        traj.angle[index],
        geom,
        size=size,
        thrust=np.asarray(controls.thruster),
        labels=[f"t = {k * DT:.2f} s" for k in index],
    )
    gif = save_gif(frames, out / "demo.gif", fps=1.0 / (FRAME_EVERY * DT))
    render_s = time.perf_counter() - t0

    final = {
        names.get(i, f"body {i}"): {
            "position": [round(float(x), 4) for x in traj.position[-1, i]],
            "angle": round(float(traj.angle[-1, i]), 4),
        }
        for i in range(scene.capacity.n_bodies)
        if bool(scene.props.active[i])
    }
    summary = {
        "tumble_version": _version("tumble"),
        "jax_version": jax.__version__,
        "backend": jax.default_backend(),
        "steps": steps,
        "dt": DT,
        "substeps": params.substeps,
        "simulated_s": steps * DT,
        "bodies": n_bodies,
        "capacity": dataclasses.asdict(scene.capacity),
        "first_call_s": round(first_call, 4),
        "simulate_s": round(simulate_s, 4),
        "steps_per_s": round(steps / simulate_s, 1),
        "render_s": round(render_s, 4),
        "wall_time_s": round(time.perf_counter() - start, 4),
        "non_finite": non_finite,
        "frames": len(frames),
        "frame_every": FRAME_EVERY,
        "gif": str(gif),
        "final_positions": final,
    }
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    log(f"  wrote {gif} ({len(frames)} frames, {size}x{size} px) in {render_s:.1f} s")
    log(f"  wrote {summary_path}")
    log(f"done in {summary['wall_time_s']:.1f} s")
    if non_finite:
        log("warning: the simulation produced NaN or infinite values (see summary.json)")
    return summary


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
