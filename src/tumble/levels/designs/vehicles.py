"""Hand-made levels of the vehicles family."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.classic_control import act, box, car, tidy
from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Wall


def hump(x: float, height: float, radius: float) -> Circle:
    """A static round hump: a big circle sunk into the floor (y = 0.4) that rises ``height`` above it."""
    return Circle(radius, position=(x, 0.4 + height - radius), static=True)


@design("monowheel_hill", "s", "vehicles",
        "Spin the green wheel against its dragging arm to roll over the hump to the blue right wall, not the red left")
def monowheel_hill():
    r = 0.2
    hub = (1.2, 0.4 + r)
    arm = Polygon(((0.0, 0.03), (0.0, -0.03), (-0.5, -0.17), (-0.5, -0.12)), position=hub, density=2.0,
                  friction=0.3)
    wheel = Circle(r, position=hub, density=1.0, friction=1.0, role="green")
    motor = Motor(speed=10.0, max_torque=0.5, channel=0)
    boundary = Boundary(left=Wall(0.0, "red"), right=Wall(5.0, "blue"))
    level = Level("", (arm, wheel, hump(3.2, 0.3, 1.2)), (Joint(a=0, b=1, anchor=hub, motor=motor),),
                  boundary=boundary)

    def controller(v):
        return act([-0.8])  # clockwise: roll right

    return tidy(level), controller


@design("scooter_left", "s", "vehicles",
        "Drive the green scooter over the hump to the blue left wall without touching the red right wall")
def scooter_left():
    deck = Polygon(((-0.4, 0.0), (0.4, 0.0), (0.4, 0.1), (-0.3, 0.18)), position=(3.9, 0.5), density=1.0,
                   friction=0.15, role="green")
    r = 0.12
    hub = (3.9 - 0.4 + 0.05, 0.4 + r)
    wheel = Circle(r, position=hub, density=1.0, friction=1.0, role="green")
    boundary = Boundary(left=Wall(0.0, "blue"), right=Wall(5.0, "red"))
    level = Level("", (deck, wheel, hump(1.8, 0.2, 1.0)), (Joint(a=0, b=1, anchor=hub, motor=Motor(15.0, 0.3, 0)),),
                  boundary=boundary)

    def controller(v):
        return act([0.7])  # anticlockwise: roll left

    return tidy(level), controller


@design("car_drive_left", "m", "vehicles",
        "Drive the green car left over the bump to the blue left wall; the right wall is red")
def car_drive_left():
    bump = Polygon(((1.6, 0.4), (2.6, 0.4), (2.2, 0.65)), static=True)
    body, axles = car(3.9, 0.4, 1, length=0.6, r=0.1, density=2.0, speed=25.0, torque=0.15)
    boundary = Boundary(left=Wall(0.0, "blue"), right=Wall(5.0, "red"))
    level = Level("", (bump, *body), tuple(axles), boundary=boundary)

    def controller(v):
        return act([0.6])  # anticlockwise wheels: drive left

    return tidy(level), controller


@design("car_ramp", "m", "vehicles",
        "Jump the green car off the ramp into the blue ball in the air; land short and stop before the red wall")
def car_ramp():
    ramp = Polygon(((2.0, 0.4), (3.0, 0.4), (3.0, 0.9)), static=True)
    body, axles = car(0.8, 0.4, 1, length=0.6, r=0.1, density=2.0, speed=70.0, torque=0.3)
    target = Circle(0.2, position=(4.2, 1.35), static=True, role="blue")
    boundary = Boundary(right=Wall(5.0, "red"))
    level = Level("", (ramp, *body, target), tuple(axles), boundary=boundary)
    cruise = 4.0  # m/s off the ramp; much slower lands short of the ball

    def controller(v):
        # the motors hold a wheel speed: ask for the cruise speed (wheels turn clockwise to go right)
        x, y = v.position[1]
        if x > 3.3 and y < 0.62:  # landed short of the ball: brake before the wall
            return act([0.0])
        return act([-cruise / (0.1 * 70.0)])

    return tidy(level), controller


@design("wheelie", "m", "vehicles",
        "Pop and hold a wheelie so the green car's nose touches the blue ball without its tail hitting the red floor")
def wheelie():
    x0 = 1.0
    rear_hub, front_hub = (x0 - 0.3, 0.4 + 0.15), (x0 + 0.33, 0.4 + 0.08)
    chassis = Polygon(box(0.8, 0.1), position=(x0, 0.4 + 0.15 + 0.05), density=0.5, role="green")
    rear = Circle(0.15, position=rear_hub, density=4.0, friction=1.0)  # heavy drive wheel: traction
    front = Circle(0.08, position=front_hub, density=0.5, friction=1.0)
    target = Circle(0.12, position=(3.6, 1.15), static=True, role="blue")
    boundary = Boundary(floor=Wall(0.4, "red"))
    joints = (Joint(a=0, b=1, anchor=rear_hub, motor=Motor(40.0, 1.5, 0)), Joint(a=0, b=2, anchor=front_hub))
    level = Level("", (chassis, rear, front, target), joints, boundary=boundary)

    def controller(v):
        pitch = v.angle[0]  # > 0: nose up
        rate = v.angular_velocity[0]
        spin = v.angular_velocity[1] - rate  # the rear wheel relative to the chassis (< 0 drives right)
        want = 0.8
        # spinning the rear wheel up (more clockwise) lifts the nose; easing off lets it down
        du = -30.0 * (want - pitch) + 5.0 * rate
        return act([float(np.clip((spin + du) / 40.0, -1.0, 1.0))])

    return tidy(level), controller


@design("car_ramp_jump", "l", "vehicles",
        "Jump the green car from its ledge over the red floor onto the blue block")
def car_ramp_jump():
    ledge = Polygon(((0.0, 0.4), (2.0, 0.4), (2.0, 1.0), (0.0, 1.0)), static=True)
    kicker = Polygon(((1.5, 1.0), (2.0, 1.0), (2.0, 1.2)), static=True)
    landing = Polygon(((3.2, 0.4), (4.0, 0.4), (4.0, 0.9), (3.2, 0.9)), static=True, role="blue")
    body, axles = car(0.5, 1.0, 3, length=0.5, r=0.09, density=2.0, speed=60.0, torque=0.2)
    boundary = Boundary(floor=Wall(0.4, "red"), right=Wall(5.0, "red"))
    level = Level("", (ledge, kicker, landing, *body), tuple(axles), boundary=boundary)

    def controller(v):
        return act([-3.5 / (0.09 * 60.0)])  # hold 3.5 m/s: enough to clear the gap

    return tidy(level), controller


@design("car_flip_upright", "l", "vehicles",
        "The green car lies on its roof: lever it onto its wheels with the arm, then drive to the blue right wall")
def car_flip_upright():
    x0, r = 1.6, 0.08
    roof_y = 0.4 + 0.06  # the chassis lies upside down on the floor
    chassis = Polygon(box(0.6, 0.12), position=(x0, roof_y), angle=math.pi, density=2.0, role="green")
    hubs = [(x0 - 0.18, roof_y + 0.06), (x0 + 0.18, roof_y + 0.06)]  # inset: it cannot just tip onto one
    wheels = [Circle(r, position=h, density=2.0, friction=1.0, role="green") for h in hubs]
    # a flipper folded along the chassis side, hinged at its right end
    hinge = (x0 + 0.28, roof_y)
    arm = Polygon(((-0.5, -0.025), (0.0, -0.025), (0.0, 0.025), (-0.5, 0.025)), position=hinge, density=1.0)
    drive = Motor(30.0, 0.15, 0)
    joints = (Joint(a=0, b=1, anchor=hubs[0], motor=drive), Joint(a=0, b=2, anchor=hubs[1], motor=drive),
              Joint(a=0, b=3, anchor=hinge, motor=Motor(4.0, 3.0, 1), limits=(0.0, 2.8)))
    boundary = Boundary(left=Wall(0.0, "red"), right=Wall(5.0, "blue"))
    level = Level("", (chassis, *wheels, arm), joints, boundary=boundary, joint_chain_filter=True)

    def controller(v):
        upright = math.cos(v.angle[0]) > 0.9 and abs(v.angular_velocity[0]) < 1.0
        if not upright:  # swing the arm down into the floor: it levers the car over its right end
            return act([0.0, 1.0])
        # on its wheels: fold the arm back and drive right (wheels clockwise)
        return act([-0.8, -1.0])

    return tidy(level), controller


@design("car_swinging_gate", "l", "vehicles",
        "Time your run under the two red pendulums to drive the green car to the blue right wall")
def car_swinging_gate():
    pivots = [(2.0, 2.45), (3.4, 2.45)]
    length = 2.0
    starts = [1.1, -0.6]  # release angles (0: hanging straight down)
    rods = []
    for (px, py), a in zip(pivots, starts):
        c = (px + math.sin(a) * length / 2, py - math.cos(a) * length / 2)
        # category 2, and a mask without it: the two rods swing through each other
        rods.append(Polygon(box(0.1, length), position=c, angle=a, density=1.0, role="red", category=2, mask=~2))
    body, axles = car(0.6, 0.4, 2, length=0.5, r=0.09, density=2.0, speed=40.0, torque=0.3)
    joints = (Joint(b=0, anchor=pivots[0]), Joint(b=1, anchor=pivots[1]), *axles)
    boundary = Boundary(right=Wall(5.0, "blue"))
    level = Level("", (*rods, *body), joints, boundary=boundary)

    def controller(v):
        # set off once the first rod turns back from its far left swing; it then leads the car through
        rolling = v.velocity[2, 0] > 0.3
        cue = -0.8 < v.angle[0] < -0.6 and v.angular_velocity[0] > 0.0
        return act([-1.0 if rolling or cue else 0.0])

    return tidy(level), controller
