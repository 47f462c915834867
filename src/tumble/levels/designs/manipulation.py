"""Hand-made levels of the manipulation family: arms that reach, grasp, push and lever things."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Wall


def box(width: float, height: float, x: float, y: float, **kw) -> Polygon:
    """A ``width`` x ``height`` rectangle centred at (x, y)."""
    w, h = width / 2, height / 2
    return Polygon(((-w, -h), (w, -h), (w, h), (-w, h)), position=(x, y), **kw)


def link(start: tuple[float, float], length: float, width: float = 0.12, **kw) -> Polygon:
    """A bar standing straight up from ``start`` (its ends overlap the joints by half its width)."""
    w = width / 2
    return Polygon(((-w, -w), (w, -w), (w, length + w), (-w, length + w)), position=start, **kw)


def servo(joint_angles, targets, gain: float = 4.0) -> list[float]:
    """Motor channel values that steer each joint towards its target angle."""
    cmd = [float(np.clip(gain * (t - a), -1.0, 1.0)) for a, t in zip(joint_angles, targets)]
    return cmd + [0.0] * (6 - len(cmd))


def two_link_ik(shoulder, target, l1: float, l2: float, elbow_up: bool = True) -> tuple[float, float]:
    """(shoulder, elbow) joint angles placing the tip of an upright two-link arm at ``target``."""
    dx, dy = target[0] - shoulder[0], target[1] - shoulder[1]
    d2 = dx * dx + dy * dy
    bend = math.acos(float(np.clip((d2 - l1 * l1 - l2 * l2) / (2 * l1 * l2), -1.0, 1.0)))
    bend = -bend if elbow_up else bend  # elbow up when reaching right: the forearm turns clockwise
    heading = math.atan2(dy, dx) - math.atan2(l2 * math.sin(bend), l1 + l2 * math.cos(bend))
    return heading - math.pi / 2, bend  # joint 0 is measured from straight up


def bar(start: tuple[float, float], length: float, heading: float, width: float = 0.08, **kw) -> Polygon:
    """A bar from ``start`` pointing ``heading`` radians counter-clockwise from straight up."""
    return link(start, length, width, angle=heading, **kw)


def wrap(angle):
    """An angle moved into [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def plank(pivot: tuple[float, float], left: float, right: float, angle: float, thickness: float = 0.1, **kw):
    """A plank through ``pivot`` reaching ``left`` to its left and ``right`` to its right, tilted by ``angle``."""
    h = thickness / 2
    return Polygon(((-left, -h), (right, -h), (right, h), (-left, h)), position=pivot, angle=angle, **kw)


@design("arm_reach", "m", "manipulation", "Steer the green two-joint arm to touch the blue ball on the floor, "
        "reaching over the red ball in the way without brushing it.")
def arm_reach():
    shoulder, l1, l2, spot = (1.0, 1.4), 1.4, 1.4, (3.3, 0.6)
    elbow = (shoulder[0], shoulder[1] + l1)
    upper = link(shoulder, l1, role="green")
    fore = link(elbow, l2, role="green")
    goal = Circle(0.15, position=spot, static=True, role="blue")
    rock = Circle(0.3, position=(2.3, 1.0), static=True, role="red")
    joints = (Joint(b=0, anchor=shoulder, motor=Motor(speed=2.0, max_torque=15.0, channel=0)),
              Joint(b=1, a=0, anchor=elbow, motor=Motor(speed=2.0, max_torque=6.0, channel=1)))
    level = Level("arm_reach", shapes=(upper, fore, goal, rock), joints=joints)

    above = two_link_ik(shoulder, (spot[0], spot[1] + 1.2), l1, l2)
    reach = two_link_ik(shoulder, spot, l1, l2)
    arrived = []

    def steer(v):
        if np.max(np.abs(v.joint_angle - above)) < 0.05:
            arrived.append(v.t)
        return servo(v.joint_angle, reach if arrived else above)  # over the red ball first, then down

    return level, steer


@design("lever", "m", "manipulation", "Spin the hammer down onto the short end of the lever hard enough to fling "
        "the green block on the long end up into the blue ball.")
def lever():
    pivot, long_arm, short_arm = (3.0, 0.75), 1.9, 0.6
    tilt = math.asin((pivot[1] - 0.4 - 0.05) / long_arm)  # the long end rests on the floor
    board = plank(pivot, long_arm, short_arm, tilt, density=0.8)
    along, side = 1.65, 0.24  # the block sits this far along the long arm
    block = Polygon(((-side / 2, 0.05), (side / 2, 0.05), (side / 2, 0.05 + side), (-side / 2, 0.05 + side)),
                    position=(pivot[0] - along * math.cos(tilt), pivot[1] - along * math.sin(tilt)), angle=tilt,
                    role="green")
    goal = Circle(0.2, position=(1.65, 2.6), static=True, role="blue")
    hinge_at = (3.45, 1.3)
    hammer = Circle(0.25, position=(hinge_at[0], hinge_at[1] + 0.35), density=4.0)  # a disc pinned off-centre
    joints = (Joint(b=0, anchor=pivot),
              Joint(b=2, anchor=hinge_at, motor=Motor(speed=12.0, max_torque=10.0, channel=0)))
    level = Level("lever", shapes=(board, block, hammer, goal), joints=joints)
    return level, [[1.0, 0, 0, 0, 0, 0]] * 30  # full speed counter-clockwise: the disc comes down on the short end


@design("tray_carry", "m", "manipulation", "Swing the arm over to the right while tilting the tray to keep the green "
        "ball on it, then roll the ball into the blue ball; do not drop it on the red one.")
def tray_carry():
    shoulder, elbow = (1.0, 1.0), (1.0, 2.2)
    upper = link(shoulder, 1.2)
    tray = Polygon(((-0.1, -0.04), (1.1, -0.04), (1.1, 0.04), (-0.1, 0.04)), position=elbow, friction=0.8)
    ball = Circle(0.12, position=(elbow[0] + 0.5, elbow[1] + 0.04 + 0.12), role="green")
    goal = Circle(0.15, position=(3.3, 1.6), static=True, role="blue")
    hazard = Circle(0.25, position=(2.4, 0.65), static=True, role="red")
    joints = (Joint(b=0, anchor=shoulder, motor=Motor(speed=1.5, max_torque=12.0, channel=0)),
              Joint(b=1, a=0, anchor=elbow, motor=Motor(speed=3.0, max_torque=4.0, channel=1)))
    level = Level("tray_carry", shapes=(upper, tray, ball, goal, hazard), joints=joints)

    def carry(v):
        reach = -1.0 if v.joint_angle[0] > -1.0 else 0.0  # swing clockwise to the carrying angle
        along = v.position[2, 0] - v.position[1, 0]  # where the ball sits on the tray, from its centre
        tilt = 1.5 * along + 0.5 * (v.velocity[2, 0] - v.velocity[1, 0])  # raise the side the ball rolls to
        if reach == 0.0:
            tilt = -0.25  # arrived: tip the tray to the right
        wrist = tilt - v.angle[1] - v.angular_velocity[0] / 3.0  # also cancel the shoulder's swing
        return [reach, float(np.clip(4.0 * wrist, -1, 1)), 0, 0, 0, 0]

    return level, carry


@design("pick_and_place", "l", "manipulation", "Pinch the green ball with the arm's tweezers, carry it over the red "
        "wall and set it down on the blue button on the shelf.")
def pick_and_place():
    shoulder, l1, l2, tip, splay = (2.3, 2.9), 1.2, 1.2, 0.85, 0.6
    ball_at, shelf_top = (1.3, 0.92), 1.0  # the ball waits on a slim post
    hold = 0.6  # the ball sits this far from the wrist, between the open tweezers

    def arm_pose(wrist_at, near=None):
        """Headings (from straight up) of upper arm and forearm placing the wrist; the option nearest ``near``."""
        options = [np.array(two_link_ik(shoulder, wrist_at, l1, l2, elbow_up=up)) for up in (True, False)]
        options = [np.array([q[0], q[0] + q[1]]) for q in options]
        if near is None:
            return max(options, key=lambda q: math.cos(q[0]))  # the higher elbow
        return min(options, key=lambda q: np.abs(wrap(q - near)).sum())

    start = arm_pose((ball_at[0], ball_at[1] + hold + 0.4))
    elbow = (shoulder[0] - l1 * math.sin(start[0]), shoulder[1] + l1 * math.cos(start[0]))
    wrist = (elbow[0] - l2 * math.sin(start[1]), elbow[1] + l2 * math.cos(start[1]))
    thumb, finger = math.pi - splay / 2, math.pi + splay / 2  # tweezers pointing down
    parts = (bar(shoulder, l1, start[0], width=0.1), bar(elbow, l2, start[1], width=0.09),
             bar(wrist, tip, thumb, friction=1.0), bar(wrist, tip, finger, friction=1.0),
             box(0.15, 1.2, 2.2, 0.4 + 0.6, static=True, role="red"),
             box(1.2, 0.6, 3.9, shelf_top - 0.3, static=True),
             Circle(0.08, position=(3.8, shelf_top + 0.08), static=True, role="blue"),
             box(0.12, 0.4, ball_at[0], 0.6, static=True),
             Circle(0.12, position=ball_at, friction=1.0, role="green"))
    joints = (Joint(b=0, anchor=shoulder, motor=Motor(1.0, 15.0, channel=0)),
              Joint(b=1, a=0, anchor=elbow, motor=Motor(1.0, 8.0, channel=1)),
              Joint(b=2, a=1, anchor=wrist, motor=Motor(1.0, 3.0, channel=2)),
              Joint(b=3, a=2, anchor=wrist, motor=Motor(1.0, 2.5, channel=3), limits=(-splay, 0.02)))
    level = Level("pick_and_place", shapes=parts, joints=joints, joint_chain_filter=True)

    # waypoints for the wrist, each turned into joint targets continuing from the one before
    route = [(ball_at[0], ball_at[1] + hold), (ball_at[0], ball_at[1] + hold), (ball_at[0], 2.4), (2.9, 2.6),
             (3.8, 2.5), (3.8, shelf_top + 0.16 + 0.12 + hold - 0.05)]
    grips, dwells = [0.0, -1.0, -1.0, -1.0, -1.0, -1.0], [0, 12, 0, 0, 0, 0]
    plan, heading = [], start
    for point in route:
        h = arm_pose(point, heading)
        h = heading + wrap(h - heading)
        plan.append(np.array([h[0] - start[0], (h[1] - h[0]) - (start[1] - start[0]), -(h[1] - start[1])]))
        heading = h
    state = {"at": 0, "since": None}

    def pick(v):
        at = state["at"]
        if np.max(np.abs(v.joint_angle[:3] - plan[at])) < 0.05 and at < len(plan) - 1:
            state["since"] = v.t if state["since"] is None else state["since"]
            if v.t - state["since"] >= dwells[at]:  # (the tweezers get a moment to close on the ball)
                state["at"], state["since"] = at + 1, None
        return servo(v.joint_angle[:3], plan[state["at"]], gain=3.0)[:3] + [grips[state["at"]], 0, 0]

    return level, pick


@design("paddle_juggle", "s", "manipulation", "Bat the bouncing green ball with the pivoting paddle, higher each time, "
        "until it reaches the blue ceiling; do not let it fall to the red floor.")
def paddle_juggle():
    pivot = (2.5, 1.2)
    paddle = Polygon(((-0.9, -0.04), (0.9, -0.04), (0.9, 0.04), (-0.9, 0.04)), position=pivot, friction=0.3)
    ball = Circle(0.12, position=(pivot[0] + 0.45, 2.2), restitution=0.8, role="green")
    hinge = Joint(b=0, anchor=pivot, motor=Motor(speed=8.0, max_torque=8.0, channel=0), limits=(-0.6, 0.6))
    walls = Boundary(floor=Wall(0.4, "red"), left=Wall(0.0), right=Wall(5.0), ceiling=Wall(3.6, "blue"))
    level = Level("paddle_juggle", shapes=(paddle, ball), joints=(hinge,), boundary=walls)

    def bat(v):
        x, y = v.position[1] - np.asarray(pivot)
        tilt = v.angle[0]
        gap = y - x * math.tan(tilt) - 0.16  # the ball's height above the paddle surface
        if v.velocity[1, 1] < 0 and gap < 0.11 * -v.velocity[1, 1]:  # it lands within 0.11 s:
            return [1.0 if x > 0 else -1.0, 0, 0, 0, 0, 0]  # swing the side under the ball up into it
        return [float(np.clip(-4.0 * tilt, -1, 1)), 0, 0, 0, 0, 0]  # otherwise level the paddle again

    return level, bat
