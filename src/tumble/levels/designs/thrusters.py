"""Hand-made levels of the thrusters family."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.classic_control import act, box, tidy, wrap
from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Level, Polygon, Thruster, Wall
from tumble.physics.geometry import polygon_mass

UP = math.pi / 2
G = 9.81


def mass_of(shape: Polygon) -> float:
    """A polygon's mass (kg)."""
    return polygon_mass(np.asarray(shape.vertices, float), shape.density).mass


def flap(height: float, vy: float, target: float, mass: float, max_force: float) -> float:
    """Throttle that steers a thruster-lifted body's height to ``target`` (a PD law around hover)."""
    hover = mass * G / max_force
    return float(np.clip(hover + (6.0 * (target - height) - 3.0 * vy) * mass / max_force, 0.0, 1.0))


@design("rocket_aim", "s", "thrusters",
        "Meter the green rocket's fixed-direction burn so it arcs into the blue ball, clear of everything red")
def rocket_aim():
    tilt = -0.6  # the rocket leans right; its engine pushes along its axis, through its centre
    rocket = Polygon(((-0.08, -0.25), (0.08, -0.25), (0.03, 0.25), (-0.03, 0.25)), position=(0.7, 3.6), angle=tilt,
                     density=1.0, role="green")
    mass = mass_of(rocket)
    target = Circle(0.2, position=(4.2, 2.6), static=True, role="blue")
    rock = Circle(0.4, position=(2.6, 1.9), static=True, role="red")
    boundary = Boundary(floor=Wall(0.4, "red"), ceiling=Wall(5.0, "red"))
    # on the rocket's axis of symmetry, pushing along it: the force passes through the centre of mass
    engine = Thruster(0, rocket.position, UP + tilt, max_force=2.0 * mass * G, channel=0)
    level = Level("", (rocket, target, rock), thrusters=(engine,), boundary=boundary)

    def controller(v):
        # burn while the unpowered arc from here would pass below the ball
        p, vel = v.position[0], v.velocity[0]
        dx = target.position[0] - p[0]
        if vel[0] <= 1e-3:
            return act([], [1.0])
        t = dx / vel[0]
        y_at = p[1] + vel[1] * t - 0.5 * G * t * t
        return act([], [float(np.clip(2.0 * (target.position[1] - y_at), 0.0, 1.0))])

    return tidy(level), controller


@design("flappy_hop", "s", "thrusters",
        "Pulse the green bird's thruster to fly through the gap above the red pillar to the blue right wall")
def flappy_hop():
    bird = Circle(0.14, position=(0.5, 2.6), velocity=(1.2, 0.0), density=1.0, role="green")
    mass = math.pi * 0.14 ** 2
    pillar = Polygon(box(0.4, 2.0), position=(2.5, 1.4), static=True, role="red")
    cap = Circle(0.5, position=(2.5, 4.0), static=True, role="red")
    boundary = Boundary(floor=Wall(0.4, "red"), ceiling=Wall(5.0, "red"), right=Wall(5.0, "blue"))
    lift = Thruster(0, bird.position, UP, max_force=2.5 * mass * G, channel=0)
    level = Level("", (bird, pillar, cap), thrusters=(lift,), boundary=boundary)
    gap = 0.5 * (2.4 + 3.5)

    def controller(v):
        return act([], [flap(v.position[0, 1], v.velocity[0, 1], gap, mass, lift.max_force)])

    return tidy(level), controller


def lander_body(x: float, y: float, density: float = 1.0, vx: float = 0.0):
    """A lander hull with an engine under each foot pushing up: (hull, [left, right] thrusters, mass).

    Both engines together lift twice its weight; firing one turns it.
    """
    hull = Polygon(((-0.3, -0.15), (0.3, -0.15), (0.18, 0.15), (-0.18, 0.15)), position=(x, y), density=density,
                   velocity=(vx, 0.0), role="green")
    mass = mass_of(hull)
    force = mass * G  # each
    return hull, [Thruster(0, (x - 0.25, y - 0.15), UP, force, channel=0),
                  Thruster(0, (x + 0.25, y - 0.15), UP, force, channel=1)], mass


def fly_to(v, body: int, goal: tuple[float, float], mass: float, force: float, speed: float = 1.0,
           descent: float | None = None):
    """A lander autopilot: lean towards ``goal``, climb or sink towards its height; two throttles.

    It steers a velocity that points at the goal (at most ``speed``), leaning the hull (by
    differential thrust) to make the sideways part.  ``descent`` (m/s) replaces the
    vertical target with a steady sink, for touching down.
    """
    (x, y), (vx, vy) = v.position[body], v.velocity[body]
    angle, spin = v.angle[body], v.angular_velocity[body]
    want_vx = float(np.clip(1.2 * (goal[0] - x), -speed, speed))
    want_vy = -descent if descent is not None else float(np.clip(1.2 * (goal[1] - y), -speed, speed))
    want_angle = float(np.clip(-0.3 * (want_vx - vx), -0.35, 0.35))  # lean right (negative) to go right
    lift = mass * (G + 4.0 * (want_vy - vy)) / max(math.cos(angle), 0.5)
    turn = 0.6 * (want_angle - angle) - 0.15 * spin  # torque, N m (each engine is 0.25 m off centre)
    left = (lift / 2 - turn / 0.5) / force
    right = (lift / 2 + turn / 0.5) / force
    return float(np.clip(left, 0.0, 1.0)), float(np.clip(right, 0.0, 1.0))


@design("lander", "m", "thrusters",
        "Fly the drifting green lander with its two engines onto the blue pad; the floor and side walls are red")
def lander():
    hull, engines, mass = lander_body(0.8, 4.2, vx=0.8)
    pad = Polygon(box(1.0, 0.3), position=(3.9, 0.55), static=True, role="blue")
    boundary = Boundary(floor=Wall(0.4, "red"), left=Wall(0.0, "red"), right=Wall(5.0, "red"))
    level = Level("", (hull, pad), thrusters=tuple(engines), boundary=boundary)

    def controller(v):
        over_pad = abs(v.position[0, 0] - 3.9) < 0.3
        return act([], fly_to(v, 0, (3.9, 1.5), mass, engines[0].max_force, descent=0.6 if over_pad else None))

    return tidy(level), controller


@design("flappy_pipes", "m", "thrusters",
        "Pulse the green bird's thruster through the gaps of two red pipe pairs to the blue right wall")
def flappy_pipes():
    bird = Circle(0.14, position=(0.4, 2.5), velocity=(1.2, 0.0), density=1.0, role="green")
    mass = math.pi * 0.14 ** 2
    low_pipe = Polygon(box(0.35, 1.8), position=(1.9, 0.4 + 0.9), static=True, role="red")
    high_pipe = Polygon(box(0.35, 1.9), position=(1.9, 5.0 - 0.95), static=True, role="red")
    # the second gate is cut between two boulders, lower down
    low_rock = Circle(0.45, position=(3.6, 0.85), static=True, role="red")
    high_rock = Circle(0.9, position=(3.6, 3.3), static=True, role="red")
    boundary = Boundary(floor=Wall(0.4, "red"), ceiling=Wall(5.0, "red"), right=Wall(5.0, "blue"))
    lift = Thruster(0, bird.position, UP, max_force=2.5 * mass * G, channel=0)
    level = Level("", (bird, low_pipe, high_pipe, low_rock, high_rock), thrusters=(lift,), boundary=boundary)
    gaps = [(2.15, 0.5 * (2.2 + 3.1)), (math.inf, 0.5 * (1.3 + 2.4))]  # (until x, aim at the gap's middle)

    def controller(v):
        x = v.position[0, 0]
        aim = next(h for until, h in gaps if x < until)
        return act([], [flap(v.position[0, 1], v.velocity[0, 1], aim, mass, lift.max_force)])

    return tidy(level), controller


@design("rocket_lean_launch", "m", "thrusters",
        "Tip the green rocket with its nose jet to aim it, then burn the main engine to arc into the blue ball")
def rocket_lean_launch():
    hull = ((-0.2, -0.2), (0.2, -0.2), (0.05, 0.3), (-0.05, 0.3))  # centre of mass at the origin
    rocket = Polygon(hull, position=(0.7, 0.6), density=1.0, role="green")
    mass = mass_of(rocket)
    main = Thruster(0, (0.7, 0.4), UP, max_force=3.0 * mass * G, channel=0)  # through the centre of mass
    nose = Thruster(0, (0.7, 0.9), 0.0, max_force=0.5 * mass * G, channel=1)  # pushes the nose right
    target = Circle(0.25, position=(3.9, 3.0), static=True, role="blue")
    rock = Circle(0.45, position=(2.4, 1.3), static=True, role="red")
    boundary = Boundary(right=Wall(5.0, "red"), ceiling=Wall(5.0, "red"))
    level = Level("", (rocket, target, rock), thrusters=(main, nose), boundary=boundary)
    lean = -0.35  # steep enough to pass over the red rock

    def controller(v):
        angle, spin = v.angle[0], v.angular_velocity[0]
        (x, y), (vx, vy) = v.position[0], v.velocity[0]
        grounded = y < 0.72  # the centre of mass rises as the rocket tips onto its corner
        if grounded and (abs(angle - lean) > 0.1 or abs(spin) > 0.05):
            # hold the lean against gravity with the nose jet, on the rocket's corner
            side = 0.5 + 3.0 * (angle - lean) + 0.5 * spin
            return act([], [0.0, float(np.clip(side, 0.0, 1.0))])
        # burn while the unpowered arc from here would pass below the ball
        if vx <= 1e-3:
            return act([], [1.0, 0.0])
        t = (target.position[0] - x) / vx
        y_at = y + vy * t - 0.5 * G * t * t
        return act([], [float(np.clip(2.0 * (target.position[1] - y_at), 0.0, 1.0)), 0.0])

    return tidy(level), controller


@design("lander_cave", "l", "thrusters",
        "Fly the green lander over the red ledge, down the shaft and back under the ledge onto the blue pad")
def lander_cave():
    hull, engines, mass = lander_body(0.8, 4.3)
    pad = Polygon(box(0.9, 0.2), position=(1.0, 0.5), static=True, role="blue")
    ledge = Polygon(((0.0, 2.7), (2.7, 2.7), (2.7, 3.0), (0.0, 3.0)), static=True, role="red")
    block = Polygon(((3.9, 2.3), (5.0, 2.3), (5.0, 3.0), (3.9, 3.0)), static=True, role="red")
    spike = Polygon(((2.0, 0.4), (2.6, 0.4), (2.3, 1.3)), static=True, role="red")
    boundary = Boundary(floor=Wall(0.4, "red"), left=Wall(0.0, "red"), right=Wall(5.0, "red"),
                        ceiling=Wall(5.0, "red"))
    level = Level("", (hull, pad, ledge, block, spike), thrusters=tuple(engines), boundary=boundary)
    force = engines[0].max_force

    def controller(v):
        x, y = v.position[0]
        if y > 3.2 and x < 2.9:  # above the ledge: cross to the shaft
            return act([], fly_to(v, 0, (3.3, 3.6), mass, force, speed=1.5))
        if y > 2.1:  # in the shaft: straight down, keeping to its middle
            return act([], fly_to(v, 0, (3.3, 1.8), mass, force, speed=1.2))
        if abs(x - 1.0) > 0.25:  # under the ledge: back over the spike to the pad
            return act([], fly_to(v, 0, (1.0, 1.8), mass, force, speed=1.5))
        return act([], fly_to(v, 0, (1.0, 1.8), mass, force, descent=0.8))

    return tidy(level), controller


@design("flappy_course", "l", "thrusters",
        "Pulse the green bird's thruster through three red pipe gaps at different heights to the blue right wall")
def flappy_course():
    bird = Circle(0.13, position=(0.4, 3.3), velocity=(1.0, 0.0), density=1.0, role="green")
    mass = math.pi * 0.13 ** 2
    columns = [(1.5, 2.8, 3.8), (2.8, 1.6, 2.6), (4.1, 2.6, 3.6)]  # x, gap bottom, gap top
    pipes = []
    for x, low, high in columns:
        pipes.append(Polygon(box(0.3, low - 0.4), position=(x, 0.4 + (low - 0.4) / 2), static=True, role="red"))
        pipes.append(Polygon(box(0.3, 5.0 - high), position=(x, high + (5.0 - high) / 2), static=True, role="red"))
    boundary = Boundary(floor=Wall(0.4, "red"), ceiling=Wall(5.0, "red"), right=Wall(5.0, "blue"))
    lift = Thruster(0, bird.position, UP, max_force=2.5 * mass * G, channel=0)
    level = Level("", (bird, *pipes), thrusters=(lift,), boundary=boundary)

    def controller(v):
        x = v.position[0, 0]
        # aim at the middle of the next gap once the bird's tail has cleared the last pipe
        low, high = next(((lo, hi) for cx, lo, hi in columns if x < cx + 0.15 + 0.13), columns[-1][1:])
        return act([], [flap(v.position[0, 1], v.velocity[0, 1], 0.5 * (low + high), mass, lift.max_force)])

    return tidy(level), controller


@design("zero_g_dock", "l", "thrusters",
        "In zero gravity, steer the green capsule (two rear jets) around the red asteroids into the blue dock")
def zero_g_dock():
    start = (0.8, 0.9)
    capsule = Polygon(box(0.5, 0.24), position=start, density=1.0, role="green")
    mass = mass_of(capsule)
    force = 1.2 * mass  # each jet: 1.2 m/s^2
    jets = (Thruster(0, (start[0] - 0.25, start[1] + 0.1), 0.0, force, channel=0),  # turns it clockwise
            Thruster(0, (start[0] - 0.25, start[1] - 0.1), 0.0, force, channel=1))  # anticlockwise
    dock = Polygon(box(0.4, 0.7), position=(4.3, 3.4), static=True, role="blue")
    rocks = (Circle(0.6, position=(2.2, 2.3), static=True, role="red"),
             Circle(0.4, position=(3.3, 4.3), static=True, role="red"),
             Circle(0.35, position=(3.0, 3.3), static=True, role="red"),
             Circle(0.3, position=(1.2, 3.9), static=True, role="red"),
             Polygon(((0.5, 2.6), (1.2, 2.4), (0.9, 3.0)), static=True, role="red"))
    boundary = Boundary(floor=Wall(0.4, "red"), left=Wall(0.0, "red"), right=Wall(5.0, "red"),
                        ceiling=Wall(5.0, "red"))
    level = Level("", (capsule, dock, *rocks), thrusters=jets, boundary=boundary, gravity=(0.0, 0.0))
    inertia = mass * (0.5 ** 2 + 0.24 ** 2) / 12

    def controller(v):
        p, vel = v.position[0], v.velocity[0]
        # along the bottom first, then up to the dock; steer towards a velocity that points at the goal
        goal = np.array((3.4, 1.0)) if p[0] < 3.1 and p[1] < 1.9 else np.array((4.3, 3.4))
        d = goal - p
        want = d * min(0.8, 0.8 * np.linalg.norm(d)) / max(np.linalg.norm(d), 1e-6)
        err = want - vel
        if np.linalg.norm(err) < 0.05:
            return act([], [0.0, 0.0])
        off = wrap(math.atan2(err[1], err[0]) - v.angle[0])  # turn the jets' push onto the velocity error
        torque = inertia * (12.0 * off - 7.0 * v.angular_velocity[0])  # a critically damped turn
        turn = torque / (0.1 * force)  # one jet, 0.1 m off the axis
        push = min(1.0, 2.0 * np.linalg.norm(err)) if abs(off) < 0.3 else 0.0  # both, once lined up
        return act([], [float(np.clip(push + max(-turn, 0.0), 0.0, 1.0)),
                        float(np.clip(push + max(turn, 0.0), 0.0, 1.0))])

    return tidy(level), controller
