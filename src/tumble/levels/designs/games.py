"""Hand-made levels of the games family: pinball, launching at targets, mazes and platformers."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Thruster, Wall


def box(width: float, height: float, x: float, y: float, **kw) -> Polygon:
    """A ``width`` x ``height`` rectangle centred at (x, y)."""
    w, h = width / 2, height / 2
    return Polygon(((-w, -h), (w, -h), (w, h), (-w, h)), position=(x, y), **kw)


def walls(floor="neutral", left="neutral", right="neutral", ceiling="neutral", ceiling_at: float = 5.0) -> Boundary:
    """The standard 5 x 5 boundary with these wall roles (and optionally a lower ceiling)."""
    return Boundary(floor=Wall(0.4, floor), left=Wall(0.0, left), right=Wall(5.0, right),
                    ceiling=Wall(ceiling_at, ceiling))


def flipper(pivot: tuple[float, float], length: float, angle: float, **kw) -> Polygon:
    """A tapered bat pivoting at ``pivot``, pointing along ``angle`` (negative length points left)."""
    back = math.copysign(0.1, -length)  # a short tail behind the pivot
    outline = ((back, -0.08), (length, -0.04), (length, 0.04), (back, 0.08))
    if length < 0:
        outline = tuple(reversed(outline))  # keep the outline counter-clockwise
    return Polygon(outline, position=pivot, angle=angle, **kw)


def jumper(x: float, ground: float) -> tuple[tuple, tuple, Thruster]:
    """A little green car with a jump jet standing at ``x`` on ``ground``: (shapes, joints, thruster).

    The shapes must come first in the level (body 0, wheels 1 and 2).  Both wheels drive on motor channel 0
    (negative: to the right); the jet pushes the body up on thruster channel 0.
    """
    r, y = 0.1, ground + 0.1
    body = box(0.4, 0.16, x, y + 0.12, role="green")
    wheels = tuple(Circle(r, position=(x + dx, y), friction=1.0, role="green") for dx in (-0.14, 0.14))
    axles = tuple(Joint(b=k + 1, a=0, anchor=w.position, motor=Motor(speed=15.0, max_torque=0.5, channel=0))
                  for k, w in enumerate(wheels))
    jet = Thruster(body=0, point=(x, y + 0.12), angle=math.pi / 2, max_force=5.0, channel=0)
    return (body, *wheels), axles, jet


@design("flipper", "s", "games", "Time the flipper's swing so that the falling green ball flies up into the blue "
        "bumper instead of draining onto the red floor.")
def flipper_shot():
    pivot = (0.9, 1.3)
    bat = flipper(pivot, 1.4, -0.35, density=1.0)
    ball = Circle(0.12, position=(1.85, 3.0), role="green", restitution=0.2)
    bumper = Circle(0.3, position=(2.7, 4.1), static=True, role="blue")
    hinge = Joint(b=0, anchor=pivot, motor=Motor(speed=15.0, max_torque=12.0, channel=0), limits=(0.0, 1.0))
    level = Level("flipper", shapes=(bat, ball, bumper), joints=(hinge,), boundary=walls(floor="red"))

    fired = []

    def swing(v):
        if v.position[1, 1] < 1.3:  # the ball is about to land: swing, and keep the bat up
            fired.append(True)
        return [1.0 if fired else 0.0, 0, 0, 0, 0, 0]

    return level, swing


@design("catapult", "s", "games", "Choose the catapult's swing speed to lob the green ball onto the blue target: "
        "too soft lands on the red floor, too hard hits the red ceiling.")
def catapult():
    pivot = (1.3, 1.0)
    arm = box(1.1, 0.1, pivot[0] - 0.45, pivot[1])
    ball = Circle(0.12, position=(pivot[0] - 0.85, pivot[1] + 0.05 + 0.12), role="green")
    target = Circle(0.2, position=(3.2, 2.4), static=True, role="blue")
    hinge = Joint(b=0, anchor=pivot, motor=Motor(speed=10.0, max_torque=10.0, channel=0), limits=(-1.6, 0.0))
    level = Level("catapult", shapes=(arm, ball, target), joints=(hinge,), boundary=walls(floor="red", ceiling="red"))
    return level, [[-0.72, 0, 0, 0, 0, 0]] * 45  # swing clockwise at 72% speed up to the stop


@design("pinball", "m", "games", "Cradle the green ball on a flipper and shoot it into the blue bumper; do not "
        "let it drain onto the red floor or hit the red bumper.")
def pinball():
    left, right = (0.2, 1.5), (4.8, 1.5)
    bats = (flipper(left, 2.2, -0.3, density=0.6), flipper(right, -2.2, 0.3, density=0.6))
    ball = Circle(0.12, position=(4.3, 4.2), velocity=(-1.2, 0.0), role="green", restitution=0.4)
    goal = Circle(0.25, position=(1.6, 4.3), static=True, role="blue", restitution=0.5)
    spoiler = Circle(0.3, position=(2.6, 3.3), static=True, role="red")
    hinges = (Joint(b=0, anchor=left, motor=Motor(speed=12.0, max_torque=15.0, channel=0), limits=(0.0, 0.7)),
              Joint(b=1, anchor=right, motor=Motor(speed=12.0, max_torque=15.0, channel=1), limits=(-0.7, 0.0)))
    level = Level("pinball", shapes=(*bats, ball, goal, spoiler), joints=hinges, boundary=walls(floor="red"))
    phase = ["catch"]

    def play(v):
        x = v.position[2, 0]
        if phase[0] == "catch" and x > 4.0 and np.hypot(*v.velocity[2]) < 0.05:
            phase[0] = "roll"  # cradled in the right corner: drop the bat and let the ball roll down it
        if phase[0] == "roll" and x < 3.1:
            phase[0] = "shoot"  # this far down the bat, a flip sends it up to the left of the red bumper
        right_bat = {"catch": -1.0, "roll": 1.0, "shoot": -1.0}[phase[0]]
        return [-1.0, right_bat, 0, 0, 0, 0]

    return level, play


@design("hoop_shot", "m", "games", "Flick the spatula as the green ball rolls onto it to lob the ball over the red "
        "wall to the blue ball behind it, without hitting the red ceiling.")
def hoop_shot():
    hinge, speed, r = (1.9, 0.45), 1.5, 0.12
    spatula = Polygon(((-1.0, -0.04), (0.0, -0.04), (0.0, 0.04), (-1.0, -0.025)), position=hinge, friction=0.8)
    wall = box(0.15, 1.3, 3.0, 0.4 + 0.65, static=True, role="red")
    ball = Circle(r, position=(0.4, 0.4 + r), velocity=(speed, 0.0), angular_velocity=-speed / r, role="green")
    goal = Circle(0.25, position=(4.2, 0.65), static=True, role="blue")
    hinge_joint = Joint(b=0, anchor=hinge, motor=Motor(speed=10.0, max_torque=6.0, channel=0), limits=(-1.6, 0.0))
    level = Level("hoop_shot", shapes=(spatula, wall, ball, goal), joints=(hinge_joint,),
                  boundary=walls(ceiling="red"))
    fired = []

    def flick(v):
        if v.position[2, 0] > 1.15:  # the ball is well onto the spatula: flick at 70% speed
            fired.append(v.t)
        return [-0.7 if fired else 0.0, 0, 0, 0, 0, 0]

    return level, flick


@design("platform_jump", "m", "games", "Drive the green jumper and fire its jump jet at the right moment to land on "
        "the ledge and reach the blue ball, without hitting the red ceiling.")
def platform_jump():
    car, axles, jet = jumper(0.6, 0.4)
    ledge = box(1.6, 0.9, 4.2, 0.4 + 0.45, static=True)
    goal = Circle(0.15, position=(4.6, 1.3 + 0.15), static=True, role="blue")
    level = Level("platform_jump", shapes=(*car, ledge, goal), joints=axles, thrusters=(jet,),
                  boundary=walls(ceiling="red", ceiling_at=3.0))
    jumped = []

    def play(v):
        if v.position[0, 0] > 2.3 and not jumped:
            jumped.append(v.t)  # take off 1.3 m before the ledge
        burst = bool(jumped) and v.t - jumped[0] < 5  # a 5-step burst clears the ledge but not the ceiling
        return [-1.0, 0, 0, 0, 1.0 if burst else 0.0, 0]  # full speed to the right all the way

    return level, play


@design("ledge_hopper", "l", "games", "Drive and jump the green jumper from ledge to ledge up to the blue ball; the "
        "floor below and the ceiling are red.")
def ledge_hopper():
    car, axles, jet = jumper(0.4, 1.0)
    tops = (1.0, 1.4, 1.8)
    ledges = (box(1.2, tops[0] - 0.4, 0.6, (tops[0] + 0.4) / 2, static=True),
              box(1.1, tops[1] - 0.4, 2.35, (tops[1] + 0.4) / 2, static=True),
              box(1.5, tops[2] - 0.4, 4.25, (tops[2] + 0.4) / 2, static=True))
    goal = Circle(0.15, position=(4.75, tops[2] + 0.15), static=True, role="blue")
    level = Level("ledge_hopper", shapes=(*car, *ledges, goal), joints=axles, thrusters=(jet,),
                  boundary=walls(floor="red", ceiling="red", ceiling_at=4.2))
    state = {"jumped_at": None, "ledge": 0}
    # take off while both wheels are still on the ledge; jet bursts (env steps); cruising speed on each ledge
    edges, bursts, speeds = (0.92, 2.58), (5, 5), (1.3, 1.6, 0.8)

    def play(v):
        x, height = v.position[0]
        k = state["ledge"]
        standing_on = [i for i, top in enumerate(tops) if abs(height - (top + 0.22)) < 0.05]
        if state["jumped_at"] is not None and standing_on and abs(v.velocity[0, 1]) < 0.1 \
                and v.t - state["jumped_at"] > bursts[min(k, 1)] + 2:
            state["jumped_at"], state["ledge"] = None, standing_on[0]  # landed (or fell back: try again)
            k = state["ledge"]
        if state["jumped_at"] is None and k < len(edges) and x > edges[k]:
            state["jumped_at"] = v.t
        if state["jumped_at"] is not None:  # airborne: let the wheels spin on, a change of pace would tip the car
            firing = v.t - state["jumped_at"] < bursts[k]
            return [(v.angular_velocity[1] - v.angular_velocity[0]) / 15.0, 0, 0, 0, 1.0 if firing else 0.0, 0]
        drive = float(np.clip(2.0 * (speeds[k] - v.velocity[0, 0]), -1, 1))
        return [-drive, 0, 0, 0, 0, 0]

    return level, play



@design("tilt_maze", "l", "games", "Tilt the maze to roll the green ball along each shelf and down through the gaps "
        "to the blue floor, without letting it touch the red side walls.")
def tilt_maze():
    hub = (2.5, 2.6)

    def bar(left: float, right: float, low: float, high: float, **kw) -> Polygon:
        """A rectangle of the maze, in coordinates relative to the hub."""
        return Polygon(((left, low), (right, low), (right, high), (left, high)), position=hub, **kw)

    top, middle = bar(-1.2, 0.65, 0.56, 0.64), bar(-0.65, 1.2, -0.04, 0.04)
    bottom = bar(-1.2, 1.2, -0.64, -0.56, role="blue")
    left, right = bar(-1.3, -1.2, -1.0, 1.0, role="red"), bar(1.2, 1.3, -1.0, 1.0, role="red")
    ball = Circle(0.1, position=(hub[0] - 0.9, hub[1] + 0.64 + 0.1), role="green")
    pieces = (top, middle, bottom, left, right, ball)
    # the pieces are welded in a chain, top - left - bottom - right - middle, each weld between the two pieces
    chain = ((0, 3, (-1.0, 0.6)), (3, 2, (-1.0, -0.6)), (2, 4, (1.0, -0.6)), (4, 1, (1.0, 0.0)))
    welds = tuple(Joint(b=b, a=a, anchor=(hub[0] + dx, hub[1] + dy), kind="fixed") for a, b, (dx, dy) in chain)
    pivot = Joint(b=0, anchor=hub, motor=Motor(speed=1.0, max_torque=20.0, channel=0))
    level = Level("tilt_maze", shapes=pieces, joints=(pivot, *welds), joint_chain_filter=True)

    def tilt(v):
        x, height = v.position[5] - hub
        gap = 0.95 if height > 0.3 else -0.95  # over the gap at the end of the shelf the ball is on
        want = float(np.clip(-0.3 * (gap - x) + 0.4 * v.velocity[5, 0], -0.25, 0.25))  # tip it there gently
        return [float(np.clip(3.0 * (want - v.angle[0]), -1, 1)), 0, 0, 0, 0, 0]

    return level, tilt



@design("basketball", "l", "games", "Swing the two-jointed arm to throw the green ball from its cup into the blue "
        "bottom of the basket; the floor is red.")
def basketball():
    shoulder, upper, fore = (1.9, 1.3), 0.7, 0.6
    elbow = (shoulder[0] - upper, shoulder[1])  # the arm starts stretched out to the left, level
    hand = (elbow[0] - fore, elbow[1])
    arm = (Polygon(((-upper, -0.05), (0.0, -0.05), (0.0, 0.05), (-upper, 0.05)), position=shoulder),
           Polygon(((-fore + 0.15, -0.04), (0.0, -0.04), (0.0, 0.04), (-fore + 0.15, 0.04)), position=elbow),
           Polygon(((-0.15, -0.03), (0.15, -0.03), (0.15, 0.03), (-0.15, 0.03)), position=hand),  # cup floor
           Polygon(((-0.21, -0.03), (-0.15, -0.03), (-0.15, 0.15), (-0.21, 0.15)), position=hand))  # cup lip
    ball = Circle(0.1, position=(hand[0], hand[1] + 0.03 + 0.1), role="green")
    basket = (box(0.08, 1.0, 4.55, 2.9, static=True),  # backboard
              box(0.06, 0.35, 3.85, 2.37, static=True),  # front rim
              box(0.64, 0.06, 4.2, 2.23, static=True, role="blue"))  # bottom
    joints = (Joint(b=0, anchor=shoulder, motor=Motor(8.0, 8.0, channel=0)),
              Joint(b=1, a=0, anchor=elbow, motor=Motor(8.0, 4.0, channel=1)),
              Joint(b=2, a=1, anchor=(hand[0] + 0.15, hand[1]), kind="fixed"),
              Joint(b=3, a=2, anchor=(hand[0] - 0.15, hand[1]), kind="fixed"))
    level = Level("basketball", shapes=(*arm, *basket, ball), joints=joints, joint_chain_filter=True,
                  boundary=walls(floor="red"))

    def throw(v):
        if -v.angle[0] < 1.0:
            return [-0.5, -0.1, 0, 0, 0, 0]  # swing the arm up clockwise at half speed, the elbow flicking a little
        return [0.0, 0.0, 0, 0, 0, 0]  # brake: the ball flies on

    return level, throw
