"""Hand-made levels of the classic control family."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Thruster, Wall


def tidy(value, digits: int = 6):
    """``value`` (a level, or any part of one) with every float rounded: files without 0.6000000000000001."""
    if isinstance(value, float):
        return round(value, digits) + 0.0
    if isinstance(value, tuple):
        return tuple(tidy(v, digits) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: tidy(getattr(value, f.name), digits)
                                             for f in dataclasses.fields(value) if f.init})
    return value


def box(w: float, h: float) -> tuple[tuple[float, float], ...]:
    """A w x h rectangle's vertices around its centre."""
    return ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))


def act(motor=(), thruster=()) -> list[float]:
    """A 6-channel action from leading motor and thruster values."""
    m = list(motor) + [0.0] * (4 - len(motor))
    t = list(thruster) + [0.0] * (2 - len(thruster))
    return m + t


def wrap(a: float) -> float:
    """An angle in (-pi, pi]."""
    return (a + math.pi) % (2 * math.pi) - math.pi


def car(x: float, floor: float, first: int, *, length=0.6, height=0.12, r=0.1, speed=20.0, torque=0.1,
        density=1.0, role="green", wheel_role=None, channel=0, driven=(True, True)):
    """A chassis on two wheels: shapes (chassis, rear wheel, front wheel) and their axle joints.

    ``first`` is the chassis's index in the level's shapes; the wheels follow it.
    The chassis rests on its wheels on the ground at height ``floor``; the wheels share its role
    unless ``wheel_role`` says otherwise.
    """
    axle_y = floor + r
    chassis = Polygon(box(length, height), position=(x, axle_y + height / 2), density=density, role=role)
    shapes, joints = [chassis], []
    for k, dx in enumerate((-(length / 2 - 0.6 * r), length / 2 - 0.6 * r)):
        shapes.append(Circle(r, position=(x + dx, axle_y), density=density, friction=1.0, role=wheel_role or role))
        motor = Motor(speed, torque, channel) if driven[k] else None
        joints.append(Joint(a=first, b=first + 1 + k, anchor=(x + dx, axle_y), motor=motor))
    return shapes, joints


@design("pendulum_swing_up", "s", "classic control",
        "Pump the weak pivot motor to swing the green rod up until its tip touches the blue ball above")
def pendulum_swing_up():
    pivot = (2.5, 2.2)
    rod_len = 1.2
    rod = Polygon(box(0.08, rod_len), position=(pivot[0], pivot[1] - rod_len / 2), density=2.0, role="green")
    target = Circle(0.15, position=(pivot[0], pivot[1] + rod_len + 0.1), static=True, role="blue")
    # gravity's torque on the level rod is 0.19 * 9.81 * 0.6 = 1.1 N m: the 0.3 N m motor must pump
    motor = Motor(speed=10.0, max_torque=0.3, channel=0)
    level = Level("", (rod, target), (Joint(b=0, anchor=pivot, motor=motor),))

    def controller(v):
        # energy pumping: always push the way the rod already swings
        return act([1.0 if v.angular_velocity[0] >= 0 else -1.0])

    return tidy(level), controller


@design("segway_to_wall", "s", "classic control",
        "Balance the green pole on its driven wheel and ride it to the blue right wall; the floor is red")
def segway_to_wall():
    r = 0.18
    axle = (0.9, 0.4 + r)
    pole_len = 1.3
    pole = Polygon(box(0.1, pole_len), position=(axle[0], axle[1] + pole_len / 2), angle=0.04, density=1.0,
                   role="green")
    wheel = Circle(r, position=axle, density=1.5, friction=1.0)
    motor = Motor(speed=12.0, max_torque=2.0, channel=0)
    boundary = Boundary(floor=Wall(0.4, "red"), right=Wall(5.0, "blue"))
    level = Level("", (pole, wheel), (Joint(a=0, b=1, anchor=axle, motor=motor),), boundary=boundary)

    def controller(v):
        tilt = v.angle[0]  # > 0: leaning left
        rate = v.angular_velocity[0]
        speed = v.velocity[1, 0]
        want = 0.8  # cruising speed, m/s
        # lean the way you want to go: wheels chase the pole, plus a slow term on the speed error
        lean_ref = -0.08 * np.clip(want - speed, -1.0, 1.0)
        spin = v.angular_velocity[1] - rate  # the wheel's speed relative to the pole, what the motor drives
        u = (spin + 40.0 * (tilt - lean_ref) + 8.0 * rate) / 12.0
        return act([float(np.clip(u, -1.0, 1.0))])

    return tidy(level), controller


@design("ball_and_beam", "s", "classic control",
        "Tilt the beam to roll the green ball off its left end into the blue ball; do not drop it on the red floor")
def ball_and_beam():
    centre = (2.7, 1.6)
    beam = Polygon(box(3.0, 0.1), position=centre, friction=0.8)
    ball = Circle(0.12, position=(3.6, 1.77), friction=0.8, role="green")
    target = Circle(0.1, position=(1.0, 1.77), static=True, role="blue")
    motor = Motor(speed=2.0, max_torque=4.0, channel=0)
    boundary = Boundary(floor=Wall(0.4, "red"))
    level = Level("", (beam, ball, target), (Joint(b=0, anchor=centre, motor=motor, limits=(-0.4, 0.4)),),
                  boundary=boundary)

    def controller(v):
        x, vx = v.position[1, 0], v.velocity[1, 0]
        end = 1.2 + 0.12 + 0.1  # the ball's centre when it leaves the beam (left end + radii)
        want = -0.9 if x > end + 0.6 else -0.4  # roll left, slower near the end
        tilt = float(np.clip(0.35 * (vx - want), -0.25, 0.25))  # > 0 (anticlockwise) rolls it left
        return act([float(np.clip(3.0 * (tilt - v.angle[0]), -1.0, 1.0))])

    return tidy(level), controller


def thrust_cart(cart: int, at: tuple[float, float], force: float):
    """Two thrusters at ``at`` on ``cart``: channel 0 pushes right, channel 1 pushes left."""
    return (Thruster(cart, at, 0.0, force, channel=0), Thruster(cart, at, math.pi, force, channel=1))


def push(force: float) -> list[float]:
    """Thruster channels for a signed horizontal push in [-1, 1] (two opposed thrusters)."""
    return act([], [max(force, 0.0), max(-force, 0.0)])


@design("cartpole_swing_up", "m", "classic control",
        "Rock the thruster cart to swing its hanging green pole up to the blue ceiling; the walls are red")
def cartpole_swing_up():
    base, top, height = 0.8, 0.3, 1.4
    cart_x = 2.5
    cart = Polygon(((-base / 2, 0.0), (base / 2, 0.0), (top / 2, height), (-top / 2, height)),
                   position=(cart_x, 0.4), density=1.0, friction=0.02)
    pivot = (cart_x, 0.4 + height - 0.05)
    pole_len = 1.0
    pole = Polygon(box(0.06, pole_len), position=(cart_x, pivot[1] - pole_len / 2), density=2.0, role="green")
    centroid_y = 0.4 + height * (base + 2 * top) / (3 * (base + top))
    boundary = Boundary(left=Wall(0.0, "red"), right=Wall(5.0, "red"), ceiling=Wall(2.6, "blue"))
    level = Level("", (cart, pole), (Joint(a=0, b=1, anchor=pivot),),
                  thrust_cart(0, (cart_x, centroid_y), 8.0), boundary=boundary)

    def controller(v):
        phi = wrap(v.angle[1])  # 0: hanging down
        omega = v.angular_velocity[1] - v.angular_velocity[0]
        x, vx = v.position[0, 0], v.velocity[0, 0]
        # pump energy: accelerate the pivot against the pole's swing, and keep the cart near the middle
        pump = -np.sign(omega * math.cos(phi)) if abs(omega) > 0.05 else 1.0
        centre = -0.8 * (x - 2.5) - 0.6 * vx
        return push(float(np.clip(pump + centre, -1.0, 1.0)))

    return tidy(level), controller


@design("cartpole_balance", "m", "classic control",
        "Keep the green pole balanced on the thruster cart and carry it to the blue ball; the floor is red")
def cartpole_balance():
    cart_w, cart_h = 0.7, 0.2
    x0 = 1.0
    cart = Polygon(box(cart_w, cart_h), position=(x0, 0.4 + cart_h / 2), density=2.0, friction=0.02)
    pivot = (x0, 0.4 + cart_h)
    pole_len = 1.2
    lean = 0.05  # starts slightly off balance, its foot on the pivot
    pole = Polygon(box(0.06, pole_len), angle=lean, density=1.0, role="green",
                   position=(x0 - math.sin(lean) * pole_len / 2, pivot[1] + math.cos(lean) * pole_len / 2))
    target = Circle(0.12, position=(4.2, pivot[1] + pole_len + 0.02), static=True, role="blue")
    boundary = Boundary(floor=Wall(0.4, "red"))
    level = Level("", (cart, pole, target), (Joint(a=0, b=1, anchor=pivot),),
                  thrust_cart(0, (x0, 0.4 + cart_h / 2), 6.0), boundary=boundary)

    def controller(v):
        phi = v.angle[1]  # > 0: leaning left
        omega = v.angular_velocity[1]
        x, vx = v.position[0, 0], v.velocity[0, 0]
        want = float(np.clip(0.8 * (4.2 - x), -0.7, 0.7))
        # the cart accelerates under the pole's lean; a slow outer loop leans it towards the goal
        force = -(25.0 * phi + 5.0 * omega) + 1.5 * (vx - want)
        return push(float(np.clip(force / 6.0, -1.0, 1.0)))

    return tidy(level), controller


@design("acrobot_swing_up", "m", "classic control",
        "Drive only the elbow of the hanging two-link arm to swing its green tip up to the blue ceiling")
def acrobot_swing_up():
    pivot = (2.5, 3.4)
    link = 0.9
    upper = Polygon(box(0.08, link), position=(pivot[0], pivot[1] - link / 2), density=1.0)
    lower = Polygon(box(0.08, link), position=(pivot[0], pivot[1] - 1.5 * link), density=1.0, role="green")
    elbow = (pivot[0], pivot[1] - link)
    motor = Motor(speed=8.0, max_torque=0.5, channel=0)
    boundary = Boundary(ceiling=Wall(5.0, "blue"))
    level = Level("", (upper, lower), (Joint(b=0, anchor=pivot), Joint(a=0, b=1, anchor=elbow, motor=motor)),
                  boundary=boundary)

    def controller(v):
        if v.t < 6:  # a first kick to get the swing going
            return act([1.0])
        # bend the elbow against the shoulder's swing: each half swing adds energy
        return act([-1.0 if v.angular_velocity[0] > 0 else 1.0])

    return tidy(level), controller


@design("mountain_car", "l", "classic control",
        "The green car's motor is too weak to climb the right hill: rock back and forth to reach the blue flag")
def mountain_car():
    left_hill = Polygon(((0.0, 0.4), (1.7, 0.4), (0.0, 2.0)), static=True)
    right_hill = Polygon(((2.9, 0.4), (5.0, 0.4), (5.0, 1.4), (4.4, 1.4)), static=True)
    flag = Circle(0.15, position=(4.8, 1.65), static=True, role="blue")
    body, axles = car(2.3, 0.4, 3, density=2.0, torque=0.05, speed=40.0, wheel_role="green")
    level = Level("", (left_hill, right_hill, flag, *body), tuple(axles))

    def controller(v):
        # pump energy: always drive the way the car already rolls (clockwise wheels, -1, drive right)
        vx = v.velocity[3, 0]
        if abs(vx) < 0.05:  # at the start or turning round on a slope: drive downhill (right at the start)
            return act([1.0 if v.position[3, 0] > 2.35 else -1.0])
        return act([-1.0 if vx > 0 else 1.0])

    return tidy(level), controller


@design("cartpole_carry", "l", "classic control",
        "Drive the cart up the ramp while balancing the free green pole until its tip touches the blue ball")
def cartpole_carry():
    ramp = Polygon(((2.6, 0.4), (3.8, 0.4), (3.8, 0.7)), static=True)
    shelf = Polygon(box(1.2, 0.3), position=(4.4, 0.55), static=True)
    body, axles = car(1.0, 0.4, 2, length=0.7, height=0.15, r=0.12, density=2.0, torque=1.0, speed=15.0,
                      role="neutral")
    chassis_top = body[0].position[1] + 0.075
    pole_len = 1.2
    lean = -0.04
    pole = Polygon(box(0.06, pole_len), angle=lean, role="green",
                   position=(1.0 - math.sin(lean) * pole_len / 2, chassis_top + math.cos(lean) * pole_len / 2))
    target = Circle(0.12, position=(4.5, 0.7 + (chassis_top - 0.4) + pole_len + 0.03), static=True, role="blue")
    boundary = Boundary(floor=Wall(0.4, "red"))
    shapes = (ramp, shelf, *body, pole, target)
    joints = (*axles, Joint(a=2, b=5, anchor=(1.0, chassis_top)))
    level = Level("", shapes, joints, boundary=boundary)

    def controller(v):
        tilt = v.angle[5]  # > 0: leaning left
        rate = v.angular_velocity[5]
        speed = v.velocity[2, 0]
        want = 0.9 if v.position[2, 0] < 4.4 else 0.0
        lean_ref = -0.06 * np.clip(want - speed, -1.0, 1.0)
        spin = v.angular_velocity[3] - v.angular_velocity[2]  # the rear wheel's speed relative to the chassis
        u = (spin + 40.0 * (tilt - lean_ref) + 8.0 * rate) / 15.0
        return act([float(np.clip(u, -1.0, 1.0))])

    return tidy(level), controller
