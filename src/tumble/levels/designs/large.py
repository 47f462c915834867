"""Hand-made large (L) levels of every family: multi-part bodies, several motor channels, obstacles.

Each builder stays small; the helpers below build the parts that recur (bars,
a two-engine craft, a car) and the controllers' common pieces (servoing
joints to target angles, flying a craft along waypoints, LQR gains).
"""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Thruster, Wall
from tumble.physics.geometry import polygon_mass

G = 9.81
UP = math.pi / 2


# --- parts ---------------------------------------------------------------------------------------


def box(width: float, height: float, x: float, y: float, **kw) -> Polygon:
    """A ``width`` x ``height`` rectangle centred at (x, y)."""
    w, h = width / 2, height / 2
    return Polygon(((-w, -h), (w, -h), (w, h), (-w, h)), position=(x, y), **kw)


def quad(*corners: tuple[float, float], **kw) -> Polygon:
    """A static convex polygon given by its world corners (counter-clockwise)."""
    return Polygon(tuple(corners), static=True, **kw)


def bar(start: tuple[float, float], length: float, angle: float, width: float = 0.1, **kw) -> Polygon:
    """A bar leaving ``start`` along direction ``angle`` (0: right); its ends overhang the joints by half its width.

    The bar's frame sits at ``start``, so ``start`` and ``end(start, length, angle)`` are natural joint anchors.
    """
    w = width / 2
    return Polygon(((-w, -w), (length + w, -w), (length + w, w), (-w, w)), position=start, angle=angle, **kw)


def end(start: tuple[float, float], length: float, angle: float) -> tuple[float, float]:
    """The point ``length`` along direction ``angle`` from ``start``."""
    return (start[0] + length * math.cos(angle), start[1] + length * math.sin(angle))


def walls(floor="neutral", left="neutral", right="neutral", ceiling="neutral") -> Boundary:
    """The standard 5 x 5 boundary with these wall roles."""
    return Boundary(floor=Wall(0.4, floor), left=Wall(0.0, left), right=Wall(5.0, right), ceiling=Wall(5.0, ceiling))


def mass_of(shape: Polygon) -> tuple[float, float]:
    """A polygon's mass (kg) and moment of inertia about its centroid (kg m^2)."""
    props = polygon_mass(np.asarray(shape.vertices, float), shape.density)
    return float(props.mass), float(props.inertia)


def craft(x: float, y: float, index: int, density: float = 1.0, lift: float = 2.0):
    """A two-engine craft: a hull with an upward engine under each end, left on channel 0, right on 1.

    Both engines together lift ``lift`` times its weight; firing one more than the other turns it.
    Returns the hull, its two thrusters (on shape ``index``) and the hull's (mass, inertia).
    """
    hull = Polygon(((-0.25, -0.1), (0.25, -0.1), (0.15, 0.12), (-0.15, 0.12)), position=(x, y), density=density,
                   role="green")
    mass, inertia = mass_of(hull)
    force = lift * mass * G / 2
    engines = (Thruster(index, (x - 0.22, y - 0.1), UP, force, channel=0),
               Thruster(index, (x + 0.22, y - 0.1), UP, force, channel=1))
    return hull, engines, (mass, inertia)


# --- controller pieces -----------------------------------------------------------------------------


def act(motor=(), thruster=()) -> list[float]:
    """A 6-channel action from leading motor and thruster values."""
    m = [float(x) for x in motor] + [0.0] * (4 - len(motor))
    t = [float(x) for x in thruster] + [0.0] * (2 - len(thruster))
    return m + t


def servo(angles, targets, gains) -> list[float]:
    """Motor channel values steering each joint angle towards its target (proportional, clipped)."""
    gains = np.broadcast_to(np.asarray(gains, float), (len(targets),))
    return [float(np.clip(k * (t - a), -1.0, 1.0)) for a, t, k in zip(angles, targets, gains)]


class Waypoints:
    """A closed-loop autopilot flying a two-engine craft through ``points`` in turn.

    It steers a velocity towards the current waypoint (``gain`` times the distance, at most ``speed``), leans the hull
    to make the sideways part, and moves on once within ``reach`` of a waypoint.
    """

    def __init__(self, body: int, points, inertia_mass, force: float, speed: float = 1.0, reach: float = 0.25,
                 gain: float = 1.5):
        self.body, self.points, self.force, self.speed, self.reach = body, list(points), force, speed, reach
        self.gain = gain
        self.mass, self.inertia = inertia_mass
        self.k = 0

    def __call__(self, v) -> list[float]:
        b = self.body
        p, vel = v.position[b], v.velocity[b]
        angle, spin = v.angle[b], v.angular_velocity[b]
        goal = np.asarray(self.points[self.k], float)
        if np.linalg.norm(goal - p) < self.reach and self.k < len(self.points) - 1:
            self.k += 1
            goal = np.asarray(self.points[self.k], float)
        error = goal - p
        want = self.gain * error
        norm = np.linalg.norm(want)
        if norm > self.speed:
            want *= self.speed / norm
        accel = 3.0 * (want - vel)  # m/s^2 wanted
        want_angle = float(np.clip(-accel[0] / G, -0.4, 0.4))  # lean right (negative) to accelerate right
        lift = self.mass * (G + accel[1]) / max(math.cos(angle), 0.6)
        torque = self.inertia * (60.0 * (want_angle - angle) - 14.0 * spin)
        arm = 0.22
        left = (lift / 2 - torque / (2 * arm)) / self.force
        right = (lift / 2 + torque / (2 * arm)) / self.force
        return act([], [np.clip(left, 0.0, 1.0), np.clip(right, 0.0, 1.0)])


# --- thrusters -------------------------------------------------------------------------------------


@design("twin_engine_maze", "l", "thrusters",
        "Fly the green two-engine craft up through the zigzag maze to the blue ball without touching anything red")
def twin_engine_maze():
    hull, engines, inertia_mass = craft(0.6, 0.52, 0)
    low_baffle = box(3.3, 0.2, 1.65, 1.95, static=True, role="red")  # gap on the right
    high_baffle = box(3.4, 0.2, 3.3, 3.4, static=True, role="red")  # gap on the left
    pillar = quad((2.0, 0.4), (2.6, 0.4), (2.4, 1.0), (2.2, 1.0), role="red")
    fang = quad((2.3, 3.3), (2.7, 3.3), (2.5, 2.95), role="red")  # hangs under the high baffle
    goal = Circle(0.15, position=(3.4, 4.4), static=True, role="blue")
    shapes = (hull, low_baffle, high_baffle, pillar, fang, goal)
    level = Level("", shapes, thrusters=engines, boundary=walls(left="red", right="red", ceiling="red"))
    route = [(0.6, 1.35), (4.25, 1.35), (4.25, 2.5), (0.8, 2.6), (0.8, 4.1), (3.4, 4.4)]
    return level, Waypoints(0, route, inertia_mass, engines[0].max_force, speed=2.0, reach=0.35, gain=2.0)


@design("canyon_lander", "l", "thrusters",
        "Lift the green craft off its ledge, thread it between the red peak and the red boulder, and set it down on "
        "the blue pad deep in the canyon")
def canyon_lander():
    hull, engines, inertia_mass = craft(0.5, 1.72, 0)
    ledge = quad((0.0, 0.4), (1.0, 0.4), (1.0, 1.6), (0.0, 1.6))
    peak = quad((1.5, 0.4), (3.4, 0.4), (2.65, 3.0), (2.35, 3.0), role="red")
    cliff = quad((4.45, 0.4), (5.0, 0.4), (5.0, 2.6), (4.45, 2.6), role="red")
    pad = box(0.7, 0.12, 3.95, 0.46, static=True, role="blue")
    boulder = Circle(0.35, position=(2.5, 4.2), static=True, role="red")
    shapes = (hull, ledge, peak, cliff, pad, boulder)
    level = Level("", shapes, thrusters=engines, boundary=walls(floor="red", ceiling="red"))
    route = [(0.6, 2.3), (2.5, 3.45), (3.95, 3.0), (3.95, 1.2), (3.95, 0.5)]
    return level, Waypoints(0, route, inertia_mass, engines[0].max_force, speed=1.6, reach=0.3)


# --- vehicles --------------------------------------------------------------------------------------


def car(x: float, ground: float, first: int, *, length=0.7, height=0.12, r=0.12, speed=25.0, torque=0.6,
        role="green", channel=0):
    """A chassis on two driven wheels resting on ground at height ``ground``: shapes and axle joints.

    ``first`` is the chassis's index in the level's shapes; the rear and front wheels follow it.
    A negative channel value turns the wheels clockwise: the car drives right.
    """
    axle_y = ground + r
    chassis = box(length, height, x, axle_y + height / 2, role=role)
    shapes, joints = [chassis], []
    for k, dx in enumerate((-(length / 2 - 0.6 * r), length / 2 - 0.6 * r)):
        shapes.append(Circle(r, position=(x + dx, axle_y), friction=1.0, role=role))
        joints.append(Joint(a=first, b=first + 1 + k, anchor=(x + dx, axle_y), motor=Motor(speed, torque, channel)))
    return shapes, joints


@design("car_gap_crossing", "l", "vehicles",
        "Drive the green car over two gaps above the red pits, jumping the wide one off the ramp without hitting "
        "the red ball, to the blue right wall")
def car_gap_crossing(want: float = 2.75):
    start = quad((0.0, 0.4), (1.5, 0.4), (1.5, 1.0), (0.0, 1.0))
    middle = quad((1.72, 0.4), (3.0, 0.4), (3.0, 1.0), (1.72, 1.0))
    ramp = quad((2.5, 1.0), (3.0, 1.0), (3.0, 1.12))
    finish = quad((3.55, 0.4), (5.0, 0.4), (5.0, 1.0), (3.55, 1.0))
    hazard = Circle(0.2, position=(3.95, 1.78), static=True, role="red")
    r, top = 0.12, 35.0
    body, axles = car(0.45, 1.0, 4, speed=top, torque=1.0)
    level = Level("", (start, middle, ramp, finish, *body, hazard), tuple(axles),
                  boundary=walls(floor="red", right="blue"))

    def controller(v):
        # want (m/s): fast enough to clear the wide gap, slow enough to pass under the red ball
        vx = v.velocity[4, 0]
        wheel = -(want + 2.0 * (want - vx)) / r  # clockwise wheel speed wanted, rad/s
        return act([(wheel - v.angular_velocity[4]) / top])

    return level, controller


# --- games -----------------------------------------------------------------------------------------


@design("drawbridge_hammer", "l", "games",
        "Lower the two drawbridges over the red pit to let the green ball roll to the blue wall, timing it to slip "
        "under the swinging red hammer")
def drawbridge_hammer(open_at: float = 0.3, open_dir: float = -1.0):
    r = 0.12
    slope = quad((0.0, 0.4), (1.6, 0.4), (1.6, 1.5), (0.0, 2.0))
    landing = quad((3.4, 0.4), (5.0, 0.4), (5.0, 1.2), (3.4, 1.2))
    span, tilt = 0.76, 0.175  # each bridge's length, and the lowered deck's downhill slope
    left_hinge, right_hinge = (1.67, 1.45), (3.33, 1.15)
    left_deck = bar(left_hinge, span, UP)
    right_deck = bar(right_hinge, span, UP)
    alpha = math.atan2(0.5, 1.6)
    ball_x = 1.40
    ball = Circle(r, position=(ball_x + r * math.sin(alpha), 2.0 - 0.5 / 1.6 * ball_x + r / math.cos(alpha) - 0.002),
                  role="green")
    # the hammer starts 0.7 rad right of hanging and swings between the right wall and the raised right deck
    pivot, arm, swing0 = (4.2, 2.35), 0.8, -0.7
    hammer = Circle(0.18, position=(pivot[0] - arm * math.sin(swing0), pivot[1] - arm * math.cos(swing0)),
                    density=3.0, role="red")
    winch = Motor(speed=3.0, max_torque=1.5, channel=0)
    joints = (Joint(a=0, b=2, anchor=left_hinge, motor=winch),
              Joint(a=1, b=3, anchor=right_hinge, motor=Motor(speed=3.0, max_torque=1.5, channel=1)),
              Joint(b=5, anchor=pivot))
    level = Level("", (slope, landing, left_deck, right_deck, ball, hammer), joints,
                  boundary=walls(floor="red", right="blue"))
    down = (-(UP + tilt), UP - tilt)  # joint angles of the lowered decks
    state = {"open": False}

    def controller(v):
        swing = v.joint_angle[2] - swing0  # the hammer's angle from hanging straight down, positive to the right
        if not state["open"] and v.t > 40 and abs(swing - open_at) < 0.12 and v.angular_velocity[5] * open_dir > 0:
            state["open"] = True  # the hammer swings back leftwards: lowered now, the ball slips by behind it
        targets = (down[0] if state["open"] else 0.0, down[1])
        return act(servo(v.joint_angle[:2], targets, 4.0))

    return level, controller


# --- manipulation ----------------------------------------------------------------------------------


def two_link_ik(base, target, l1: float, l2: float, elbow_up: bool = True) -> tuple[float, float]:
    """Absolute angles (first link, second link) putting the tip of a two-link arm at ``target``."""
    dx, dy = target[0] - base[0], target[1] - base[1]
    d = min(math.hypot(dx, dy), l1 + l2 - 1e-6)
    cos_bend = (d * d - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    bend = math.acos(float(np.clip(cos_bend, -1.0, 1.0)))
    bend = -bend if elbow_up else bend
    a1 = math.atan2(dy, dx) - math.atan2(l2 * math.sin(bend), l1 + l2 * math.cos(bend))
    return a1, a1 + bend


class Path:
    """A tip path through ``points`` at ``speed`` (m/s), eased in and out at each corner."""

    def __init__(self, points, speed: float):
        self.points = [np.asarray(p, float) for p in points]
        self.times = [0.0]
        for a, b in zip(self.points, self.points[1:]):
            self.times.append(self.times[-1] + max(np.linalg.norm(b - a) / speed, 0.2))

    def at(self, t: float) -> np.ndarray:
        for k in range(len(self.points) - 1):
            if t < self.times[k + 1]:
                s = (t - self.times[k]) / (self.times[k + 1] - self.times[k])
                s = 0.5 - 0.5 * math.cos(math.pi * s)
                return (1 - s) * self.points[k] + s * self.points[k + 1]
        return self.points[-1]


@design("knuckle_crane", "l", "manipulation",
        "Work the two crane joints to swing the hanging green crate over the red wall and lower it onto the blue pad "
        "without it touching the red floor")
def knuckle_crane():
    base, l1, l2, rope = (1.0, 2.45), 1.6, 1.5, 0.5
    a1, a2 = 1.2, -1.2
    elbow = end(base, l1, a1)
    tip = end(elbow, l2, a2)
    tower = quad((0.85, 0.4), (1.15, 0.4), (1.15, 2.5), (0.85, 2.5))
    boom = bar(base, l1, a1)
    jib = bar(elbow, l2, a2, width=0.08)
    cable = bar(tip, rope, -UP, width=0.04, density=0.5)
    hook = (tip[0], tip[1] - rope)
    crate = box(0.3, 0.25, hook[0], hook[1] - 0.125, density=2.0, role="green")
    wall = quad((2.6, 0.4), (2.9, 0.4), (2.9, 2.0), (2.6, 2.0), role="red")
    pad = box(0.7, 0.3, 3.7, 0.55, static=True, role="blue")
    joints = (Joint(a=0, b=1, anchor=base, motor=Motor(speed=1.5, max_torque=25.0, channel=0)),
              Joint(a=1, b=2, anchor=elbow, motor=Motor(speed=1.5, max_torque=12.0, channel=1)),
              Joint(a=2, b=3, anchor=tip),
              Joint(a=3, b=4, anchor=hook, kind="fixed"))
    level = Level("", (tower, boom, jib, cable, crate, wall, pad), joints, boundary=walls(floor="red"),
                  joint_chain_filter=True)
    path = Path([tip, (tip[0] + 0.1, 3.3), (3.7, 3.3), (3.7, 2.2), (3.7, 1.3)], speed=0.75)
    dt = level.frame_skip * level.dt

    def controller(v):
        want = two_link_ik(base, path.at(v.t * dt), l1, l2)
        targets = (want[0] - a1, (want[1] - want[0]) - (a2 - a1))
        return act(servo(v.joint_angle[:2], targets, 6.0))

    return level, controller


@design("arm_catch_carry", "l", "manipulation",
        "Hold the arm's tray under the chute, open the gate to catch the green ball, carry it over the red wall and "
        "tip it out so it rolls into the blue right wall")
def arm_catch_carry():
    shoulder, l1, l2 = (2.2, 0.9), 1.3, 1.2
    catch = (1.32, 2.5)
    a1, a2 = two_link_ik(shoulder, catch, l1, l2)
    elbow = end(shoulder, l1, a1)
    wrist = end(elbow, l2, a2)
    pedestal = quad((2.05, 0.4), (2.35, 0.4), (2.35, 0.9), (2.05, 0.9))
    upper = bar(shoulder, l1, a1)
    fore = bar(elbow, l2, a2, width=0.08)
    tray = box(0.36, 0.04, wrist[0], wrist[1] + 0.02, density=0.5)
    lips = [box(0.03, 0.14, wrist[0] + side * 0.165, wrist[1] + 0.07, density=0.5) for side in (-1, 1)]
    chute = quad((0.0, 3.2), (1.1, 2.9), (1.1, 3.0), (0.0, 3.3))
    wall = quad((3.3, 0.4), (3.5, 0.4), (3.5, 1.9), (3.3, 1.9), role="red")
    slope = math.atan(0.3 / 1.1)
    ball_at = 0.84
    ball = Circle(0.09, position=(ball_at + 0.09 * math.sin(slope), 3.3 - 0.3 / 1.1 * ball_at + 0.09 * math.cos(slope)),
                  role="green")
    gate_pin = (1.05, 3.35)
    gate = Circle(0.08, position=(1.05, 3.11))
    joints = (Joint(a=0, b=1, anchor=shoulder, motor=Motor(speed=1.5, max_torque=15.0, channel=0)),
              Joint(a=1, b=2, anchor=elbow, motor=Motor(speed=1.5, max_torque=8.0, channel=1)),
              Joint(a=2, b=3, anchor=wrist, motor=Motor(speed=3.0, max_torque=2.0, channel=2)),
              Joint(a=3, b=4, anchor=lips[0].position, kind="fixed"),
              Joint(a=3, b=5, anchor=lips[1].position, kind="fixed"),
              Joint(b=9, anchor=gate_pin, motor=Motor(speed=3.0, max_torque=1.0, channel=3)))
    shapes = (pedestal, upper, fore, tray, *lips, chute, wall, ball, gate)
    level = Level("", shapes, joints, boundary=walls(right="blue"), joint_chain_filter=True)
    dt = level.frame_skip * level.dt
    path = Path([catch, (2.2, 2.9), (3.8, 2.6), (4.2, 2.3)], speed=0.8)
    state = {"caught": None}

    def controller(v):
        gate_up = v.t >= 5
        ball_p, ball_v, tray_p = v.position[8], v.velocity[8], v.position[3]
        if state["caught"] is None and np.linalg.norm(ball_p - tray_p) < 0.15 and np.linalg.norm(ball_v) < 0.05:
            state["caught"] = v.t  # the ball has settled in the tray
        t = 0.0 if state["caught"] is None else (v.t - state["caught"]) * dt
        w = path.at(t)
        want = two_link_ik(shoulder, w, l1, l2)
        tilt = -2.2 if t > path.times[-1] + 0.3 else 0.0  # tray's absolute angle: level, then tipped right
        targets = (want[0] - a1, (want[1] - want[0]) - (a2 - a1), tilt - (want[1] - a2))
        cmd = servo(v.joint_angle[:3], targets, (6.0, 6.0, 6.0))
        cmd += servo(v.joint_angle[5:6], (1.6 if gate_up else 0.0,), 4.0)
        return act(cmd)

    return level, controller


# --- classic control -------------------------------------------------------------------------------


def lqr_gains(a: np.ndarray, b: np.ndarray, q: np.ndarray, r: np.ndarray, dt: float) -> np.ndarray:
    """State feedback gains K (u = -K x) of the discrete LQR for the continuous system x' = a x + b u.

    The system is held for ``dt`` between control updates; the Riccati equation is solved by iteration.
    """
    n, m = b.shape
    block = np.zeros((n + m, n + m))
    block[:n, :n], block[:n, n:] = a * dt, b * dt
    expm, term = np.eye(n + m), np.eye(n + m)
    for k in range(1, 20):  # exp(block) by its series: [[Ad, Bd], [0, I]]
        term = term @ block / k
        expm = expm + term
    ad, bd = expm[:n, :n], expm[:n, n:]
    p = q.copy()
    for _ in range(5000):
        k = np.linalg.solve(r + bd.T @ p @ bd, bd.T @ p @ ad)
        p = q + ad.T @ p @ (ad - bd @ k)
    return np.linalg.solve(r + bd.T @ p @ bd, bd.T @ p @ ad)


@design("double_cartpole", "l", "classic control",
        "Balance the two-link green pole on the thruster cart and carry it upright until its tip touches the blue "
        "ball; the floor is red")
def double_cartpole():
    x0, l1, l2, w, force = 0.8, 0.8, 0.7, 0.03, 6.0
    cart = box(0.5, 0.16, x0, 0.48, density=4.0, friction=0.02)
    hinge1 = (x0, 0.56)
    hinge2 = (x0, 0.56 + l1)
    lean = 0.03  # the top link starts slightly off balance
    lower = bar(hinge1, l1, UP, width=2 * w, density=2.0, role="green")
    upper = bar(hinge2, l2, UP + lean, width=2 * w, density=2.0, role="green")
    top = hinge2[1] + l2 + w
    goal = Circle(0.1, position=(4.3, top + 0.06), static=True, role="blue")
    engines = (Thruster(0, (x0, 0.48), 0.0, force, channel=0), Thruster(0, (x0, 0.48), math.pi, force, channel=1))
    level = Level("", (cart, lower, upper, goal), (Joint(a=0, b=1, anchor=hinge1), Joint(a=1, b=2, anchor=hinge2)),
                  engines, boundary=walls(floor="red"))

    # the linearised cart and double pendulum: angles from upright, counter-clockwise positive
    m0 = mass_of(cart)[0]
    (m1, i1), (m2, i2) = mass_of(lower), mass_of(upper)
    c1, c2 = l1 / 2, l2 / 2
    mass = np.array([[m0 + m1 + m2, -(m1 * c1 + m2 * l1), -m2 * c2],
                     [-(m1 * c1 + m2 * l1), i1 + m1 * c1**2 + m2 * l1**2, m2 * l1 * c2],
                     [-m2 * c2, m2 * l1 * c2, i2 + m2 * c2**2]])
    stiff = np.diag([0.0, G * (m1 * c1 + m2 * l1), G * m2 * c2])
    inv = np.linalg.inv(mass)
    a = np.block([[np.zeros((3, 3)), np.eye(3)], [inv @ stiff, np.zeros((3, 3))]])
    b = np.concatenate([np.zeros(3), inv @ np.array([1.0, 0.0, 0.0])])[:, None]
    dt = level.frame_skip * level.dt
    gains = lqr_gains(a, b, np.diag([4.0, 60.0, 60.0, 1.0, 2.0, 2.0]), np.array([[0.05]]), dt)[0]

    def controller(v):
        x, vx = v.position[0, 0], v.velocity[0, 0]
        goal_x = min(x0 + 0.45 * v.t * dt, 4.4)
        state = np.array([float(np.clip(x - goal_x, -0.4, 0.4)), v.angle[1] - UP, v.angle[2] - UP,
                          vx - (0.45 if goal_x < 4.4 else 0.0), v.angular_velocity[1], v.angular_velocity[2]])
        push = float(np.clip(-gains @ state / force, -1.0, 1.0))
        return act([], [max(push, 0.0), max(-push, 0.0)])

    return level, controller


# --- locomotion ------------------------------------------------------------------------------------


def leg(hip: tuple[float, float], first: int, body: int, channels: tuple[int, int], thigh=0.3, shin=0.3):
    """A thigh, a shin and a round foot hanging from ``hip``, with motorised hip and knee and a welded foot.

    ``first`` is the thigh's index in the level's shapes (the shin and foot follow it), ``body`` the torso's.
    """
    knee = (hip[0], hip[1] - thigh)
    ankle = (hip[0], knee[1] - shin)
    shapes = (bar(hip, thigh, -UP, width=0.08, density=2.0), bar(knee, shin, -UP, width=0.06, density=2.0),
              Circle(0.05, position=ankle, friction=1.0))
    joints = (Joint(a=body, b=first, anchor=hip, motor=Motor(speed=4.0, max_torque=3.0, channel=channels[0])),
              Joint(a=first, b=first + 1, anchor=knee, motor=Motor(speed=4.0, max_torque=2.0, channel=channels[1])),
              Joint(a=first + 1, b=first + 2, anchor=ankle, kind="fixed"))
    return shapes, joints


@design("bounding_runner", "l", "locomotion",
        "Drive the hip and knee motors of the green-backed two-legged runner in a bounding rhythm to the blue right "
        "wall, never letting its back touch the red floor")
def bounding_runner(period: float = 12.0, hip_amp: float = 0.25, knee_amp: float = 0.4, knee_phase: float = 1.5,
                    front_phase: float = 0.0, knee_offset: float = 0.0):
    hip_y, x = 1.05, 0.9
    torso = box(0.9, 0.12, x, hip_y, density=5.0, role="green")
    back, back_joints = leg((x - 0.35, hip_y), 1, 0, (0, 1))
    front, front_joints = leg((x + 0.35, hip_y), 4, 0, (2, 3))
    shapes = (torso, *back, *front)
    level = Level("", shapes, (*back_joints, *front_joints), boundary=walls(floor="red", right="blue"),
                  joint_chain_filter=True)

    def controller(v):
        s = 2 * math.pi * v.t / period
        targets = (hip_amp * math.sin(s), knee_offset + knee_amp * math.sin(s + knee_phase),
                   hip_amp * math.sin(s + front_phase), knee_offset + knee_amp * math.sin(s + front_phase + knee_phase))
        angles = v.joint_angle[[0, 1, 3, 4]]
        return act(servo(angles, targets, 5.0))

    return level, controller


@design("flipper_relay", "l", "games",
        "Flick the green ball with the left flipper so it comes down to the right one, then flick it up past the red "
        "bumpers into the blue ball; the drain floor is red")
def flipper_relay(first_at: int = 30, second_x: float = 3.4):
    rest, length = 0.45, 1.0
    left_pivot, right_pivot = (1.3, 1.3), (3.7, 1.3)
    left = bar(left_pivot, length, -rest, friction=0.4)
    right = bar(right_pivot, length, math.pi + rest, friction=0.4)
    left_rail = quad((0.0, 2.5), (1.2, 1.35), (1.2, 1.45), (0.0, 2.6))
    right_rail = quad((3.8, 1.35), (5.0, 2.5), (5.0, 2.6), (3.8, 1.45))
    ball = Circle(0.1, position=(0.25, 2.6 - 1.15 / 1.2 * 0.25 + 0.15), role="green", restitution=0.3)
    goal = Circle(0.2, position=(1.8, 4.2), static=True, role="blue")
    bumpers = (Circle(0.25, position=(1.3, 3.1), static=True, role="red", restitution=0.6),
               Circle(0.2, position=(3.6, 4.3), static=True, role="red", restitution=0.6))
    joints = (Joint(b=0, anchor=left_pivot, motor=Motor(speed=15.0, max_torque=6.0, channel=0), limits=(0.0, 0.8)),
              Joint(b=1, anchor=right_pivot, motor=Motor(speed=15.0, max_torque=6.0, channel=1), limits=(-0.8, 0.0)))
    level = Level("", (left, right, left_rail, right_rail, ball, goal, *bumpers), joints,
                  boundary=walls(floor="red"))
    state = {"second": None}

    def controller(v):
        x, y = v.position[4]
        near_right = abs(x - second_x) < 0.15 and y < 2.0 and v.velocity[4, 1] < 0.5
        if state["second"] is None and v.t > first_at + 10 and near_right:
            state["second"] = v.t
        fire_left = first_at <= v.t < first_at + 10
        fire_right = state["second"] is not None and v.t < state["second"] + 10
        return act([1.0 if fire_left else -1.0, -1.0 if fire_right else 1.0])

    return level, controller
