"""Anchor benchmark: a box pyramid stepped by Box2D 2.3 (the PyPI package ``box2d``).

Standalone: run by the Box2D anchor environment's python, never imports tumble.
Scene: static ground (40 x 1 box centred at (0, -0.5)); unit boxes (density 1, friction
0.6, restitution 0) in rows, row i (0 at the bottom) holding base - i boxes centred at
x = (j - (n - 1) / 2) * 1.1, y = 0.5 + i. Sleeping is disabled on every body; dt = 1/60,
8 velocity and 3 position iterations. Prints one JSON line with the stepping rate and the
largest downward displacement of any box as a sanity check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import Box2D
from Box2D import b2PolygonShape, b2World


def build(base: int):
    world = b2World(gravity=(0.0, -9.81), doSleep=False)
    ground = world.CreateStaticBody(position=(0.0, -0.5))
    ground.CreatePolygonFixture(shape=b2PolygonShape(box=(20.0, 0.5)), friction=0.6)
    boxes = []
    for i in range(base):
        n = base - i
        for j in range(n):
            body = world.CreateDynamicBody(position=((j - (n - 1) / 2) * 1.1, 0.5 + i),
                                           allowSleep=False)
            body.CreatePolygonFixture(shape=b2PolygonShape(box=(0.5, 0.5)), density=1.0,
                                      friction=0.6, restitution=0.0)
            boxes.append(body)
    return world, boxes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=10)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3,
                    help="independent runs (fresh world each); the best rate is reported")
    args = ap.parse_args()

    dt, vel_iters, pos_iters = 1.0 / 60.0, 8, 3
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rates, sinks = [], []
    for _ in range(max(1, args.repeats)):
        world, boxes = build(args.base)
        y0 = [b.position.y for b in boxes]
        t0 = time.perf_counter()
        for _ in range(args.steps):
            world.Step(dt, vel_iters, pos_iters)
        elapsed = time.perf_counter() - t0
        rates.append(args.steps / elapsed)
        sinks.append(max(y - b.position.y for y, b in zip(y0, boxes)))
    print(json.dumps({
        "engine": "box2d",
        "scene": "pyramid",
        "base": args.base,
        "bodies": args.base * (args.base + 1) // 2,
        "steps": args.steps,
        "steps_per_s": max(rates),
        "steps_per_s_all": rates,
        "max_sink": sinks[-1],
        "box2d_version": Box2D.__version__,
        "python": platform.python_version(),
        "loadavg_1m": load_before,
    }), flush=True)


if __name__ == "__main__":
    main()
