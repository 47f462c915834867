"""Hand-made levels of the locomotion family: bodies that move themselves with motorised joints."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Wall


def box(width: float, height: float, x: float, y: float, **kw) -> Polygon:
    """A ``width`` x ``height`` rectangle centred at (x, y)."""
    w, h = width / 2, height / 2
    return Polygon(((-w, -h), (w, -h), (w, h), (-w, h)), position=(x, y), **kw)


def walls(floor="neutral", left="neutral", right="neutral", ceiling="neutral", ceiling_at: float = 5.0) -> Boundary:
    """The standard 5 x 5 boundary with these wall roles (and optionally a lower ceiling)."""
    return Boundary(floor=Wall(0.4, floor), left=Wall(0.0, left), right=Wall(5.0, right),
                    ceiling=Wall(ceiling_at, ceiling))


def gait(t: int, period: float, amplitude, offset, phase) -> np.ndarray:
    """Joint targets of a periodic gait at env step ``t``: offset + amplitude * sin(2 pi t / period + phase)."""
    s = 2 * math.pi * t / period
    return np.asarray(offset) + np.asarray(amplitude) * np.sin(s + np.asarray(phase))


def servo(joint_angles, targets, gain: float = 4.0) -> list[float]:
    """Motor channel values that steer each joint towards its target angle."""
    cmd = [float(np.clip(gain * (t - a), -1.0, 1.0)) for a, t in zip(joint_angles, targets)]
    return cmd + [0.0] * (6 - len(cmd))


def limb(top: tuple[float, float], length: float, width: float = 0.08, angle: float = 0.0, **kw) -> Polygon:
    """A bar hanging from ``top`` (turned by ``angle`` about it); its ends overlap the joints by half its width."""
    w = width / 2
    return Polygon(((-w, -length - w), (w, -length - w), (w, w), (-w, w)), position=top, angle=angle, **kw)


def chain_joints(pairs, motors) -> tuple[Joint, ...]:
    """Revolute joints ``(a, b, anchor)`` with the given motors (channel k for the k-th)."""
    return tuple(Joint(b=b, a=a, anchor=anchor, motor=m) for (a, b, anchor), m in zip(pairs, motors))


def shin_with_foot(knee: tuple[float, float], length: float, foot: float, **kw) -> Polygon:
    """A lower leg hanging from ``knee`` that widens into a flat foot ``foot`` wide (toes forward)."""
    return Polygon(((-0.06, -length), (foot - 0.06, -length), (0.04, 0.04), (-0.04, 0.04)), position=knee, **kw)


@design("unicycle", "s", "locomotion", "Balance the green rider on its wheel and ride it over the hump into the blue "
        "right wall without letting it touch the red floor.")
def unicycle():
    r, x = 0.22, 1.0
    bx, br, bh = 2.8, 1.2, 0.25  # the hump: a wide disc sunk into the floor, 0.25 m proud of it
    rider = Polygon(((-0.07, 0.0), (0.07, 0.0), (0.12, 0.9), (-0.12, 0.9)), position=(x, 0.4 + r), angle=-0.04,
                    density=1.5, role="green")
    wheel = Circle(r, position=(x, 0.4 + r), friction=1.0)
    hump = Circle(br, position=(bx, 0.4 + bh - br), static=True)
    hub = Joint(b=1, a=0, anchor=(x, 0.4 + r), motor=Motor(speed=20.0, max_torque=2.0, channel=0))
    level = Level("unicycle", shapes=(rider, wheel, hump), joints=(hub,), boundary=walls(floor="red", right="blue"))

    def ride(v):
        lean, lean_rate = v.angle[0], v.angular_velocity[0]  # counter-clockwise positive: leaning left
        speed = v.velocity[1, 0]
        want_lean = -0.25 * float(np.clip(1.6 - speed, -1.0, 1.0))  # lean right to speed up (to 1.6 m/s)
        accel = -30.0 * (lean - want_lean) - 6.0 * lean_rate  # move the wheel under the lean
        wheel_rate = -(speed + accel / 30.0) / r
        return [(wheel_rate - lean_rate) / 20.0, 0, 0, 0, 0, 0]

    return level, ride


@design("tumbling_box", "s", "locomotion", "Spin up and brake the reaction wheel inside the green box to tumble "
        "it edge over edge to the blue right wall, away from the red left wall.")
def tumbling_box():
    side, x, top_speed = 0.5, 2.2, 70.0
    shell = box(side, side, x, 0.4 + side / 2, density=1.0, friction=1.0, role="green")
    rotor = Circle(0.2, position=(x, 0.4 + side / 2), density=5.0)
    axle = Joint(b=1, a=0, anchor=(x, 0.4 + side / 2), motor=Motor(speed=top_speed, max_torque=5.0, channel=0))
    level = Level("tumbling_box", shapes=(shell, rotor), joints=(axle,), boundary=walls(left="red", right="blue"))
    state = {"phase": "spin", "since": 0}

    def tumble(v):
        tilt = v.angle[0] % (math.pi / 2)  # 0 when resting on a face
        settled = min(tilt, math.pi / 2 - tilt) < 0.03 and abs(v.angular_velocity[0]) < 0.2
        rotor_rate = (v.angular_velocity[1] - v.angular_velocity[0]) / top_speed
        if state["phase"] == "spin" and rotor_rate < -0.95:
            state["phase"] = "brake"  # the sudden stop hands the rotor's spin to the box: it tips right
        elif state["phase"] == "brake" and settled and abs(rotor_rate) < 0.05:
            state["phase"], state["since"] = "rest", v.t
        elif state["phase"] == "rest" and v.t - state["since"] >= 3:  # a short rest lets the landing settle
            state["phase"] = "spin"
        if state["phase"] == "spin":
            return [rotor_rate - 0.06, 0, 0, 0, 0, 0]  # spin clockwise, slowly enough that the box stays put
        return [0.0, 0, 0, 0, 0, 0]

    return level, tumble


@design("inchworm", "m", "locomotion", "Fold and unfold the green two-segment worm in a rhythm that hops it along "
        "to the blue right wall.")
def inchworm():
    seg = 0.7
    hinge = (1.0, 0.4 + 0.3 + 0.005)  # the feet just clear the floor
    rear = Polygon(((-seg, -0.3), (0.0, 0.0), (0.0, 0.06), (-seg, -0.24)), position=hinge, friction=0.2,
                   role="green")
    front = Polygon(((0.0, 0.0), (seg, -0.3), (seg, -0.24), (0.0, 0.06)), position=hinge, friction=1.0,
                    role="green")
    joint = Joint(b=1, a=0, anchor=hinge, motor=Motor(speed=10.0, max_torque=3.0, channel=0))
    level = Level("inchworm", shapes=(rear, front), joints=(joint,), boundary=walls(right="blue"))
    closing = [True]

    def crawl(v):
        fold = -v.joint_angle[0]  # how far the two halves have folded towards each other
        if closing[0] and fold > 1.0:
            closing[0] = False
        elif not closing[0] and fold < 0.2:
            closing[0] = True
        return [-1.0 if closing[0] else 0.7, 0, 0, 0, 0, 0]  # snap shut, open more slowly

    return level, crawl


@design("ball_bot", "m", "locomotion", "Back off a little, then hold the pendulum inside the green ball leaning "
        "forward to charge up the steep ramp into the blue right wall; the left wall is red.")
def ball_bot():
    r, x = 0.35, 0.8
    shell = Circle(r, position=(x, 0.4 + r), density=0.3, friction=1.0, role="green")
    weight = Polygon(((-0.08, -0.28), (0.08, -0.28), (0.04, 0.02), (-0.04, 0.02)), position=(x, 0.4 + r), density=6.0)
    ramp = Polygon(((0.0, 0.0), (2.4, 0.0), (2.4, 0.6), (1.1, 0.6)), position=(2.6, 0.4), static=True)
    axle = Joint(b=0, a=2, anchor=(x, 0.4 + r), motor=Motor(speed=12.0, max_torque=3.0, channel=0))
    level = Level("ball_bot", shapes=(weight, ramp, shell), joints=(axle,), boundary=walls(left="red", right="blue"))

    backed = []

    def roll(v):
        if v.position[2, 0] < 0.75:
            backed.append(v.t)  # backed off a little for a run-up (not into the red wall)
        speed = 3.5 if backed else -1.0
        lean = float(np.clip(3.0 * (speed - v.velocity[2, 0]), -1.2, 1.2))  # hold the weight ahead to speed up
        swing = 6.0 * (lean - v.angle[0])  # the weight's wanted angular speed (0 = hanging straight down)
        return [(swing - v.angular_velocity[2]) / 12.0, 0, 0, 0, 0, 0]

    return level, roll


@design("cheetah", "l", "locomotion", "Flex the green two-part back and swing the legs to gallop the cheetah to the "
        "blue right wall without its back touching the red floor.")
def cheetah():
    thigh, shin, y = 0.32, 0.32, 0.4 + 0.64 + 0.06
    spine = (1.1, y)
    back = Polygon(((-0.6, -0.06), (0.0, -0.06), (0.0, 0.06), (-0.6, 0.06)), position=spine, density=2.0,
                   role="green")
    front = Polygon(((0.0, -0.06), (0.55, -0.06), (0.6, 0.02), (0.0, 0.06)), position=spine, density=2.0,
                    role="green")
    back_hip, front_hip = (spine[0] - 0.5, y), (spine[0] + 0.5, y)
    back_knee = (back_hip[0], y - thigh)
    parts = (back, front, limb(back_hip, thigh), limb(back_knee, shin, friction=1.0),
             limb(front_hip, thigh + shin, friction=1.0))
    pairs = ((0, 1, spine), (0, 2, back_hip), (2, 3, back_knee), (1, 4, front_hip))
    motors = (Motor(6.0, 3.0, channel=0), Motor(8.0, 3.0, channel=1), Motor(8.0, 2.0, channel=2),
              Motor(8.0, 3.0, channel=3))
    level = Level("cheetah", shapes=parts, joints=chain_joints(pairs, motors), joint_chain_filter=True,
                  boundary=walls(floor="red", right="blue"))

    # a galloping rhythm found by search (spine, back hip, back knee, front hip), leaning against the back's pitch
    amplitude, offset = (0.52, 0.498, 0.222, 0.273), (0.35, -0.141, 0.8, -0.171)
    phase, lean = (5.004, 2.237, 2.939, 2.833), np.array((0.459, -0.857, 0.157, 0.136))

    def run(v):
        return servo(v.joint_angle, gait(v.t, 11.729, amplitude, offset, phase) + lean * v.angle[0], gain=3.838)

    return level, run


@design("walker", "l", "locomotion", "Walk the biped to the blue right wall, one foot after the other, without its "
        "green body touching the red floor.")
def walker():
    thigh, shin = 0.4, 0.4
    hip = (0.8, 0.4 + thigh + shin + 0.02)
    torso = Polygon(((-0.1, 0.0), (0.1, 0.0), (0.08, 0.6), (-0.08, 0.6)), position=hip, density=1.0, role="green")
    parts, pairs = [torso], []
    for _ in range(2):  # two identical legs
        knee = (hip[0], hip[1] - thigh)
        parts += [limb(hip, thigh, width=0.09), shin_with_foot(knee, shin, 0.28, friction=1.0)]
        pairs += [(0, len(parts) - 2, hip), (len(parts) - 2, len(parts) - 1, knee)]
    motors = [Motor(6.0, 4.0 if k % 2 == 0 else 3.0, channel=k) for k in range(4)]
    level = Level("walker", shapes=tuple(parts), joints=chain_joints(pairs, motors), joint_chain_filter=True,
                  boundary=walls(floor="red", right="blue"))

    # a gait found by search: the legs swing in antiphase, hips and knees lean against the body's pitch
    amplitude, offset, knee_lag = (0.342, 0.243) * 2, (0.102, 0.328) * 2, 2.267
    phase = (0.0, knee_lag, math.pi, math.pi + knee_lag)
    lean = np.array((-0.827, 0.151) * 2)

    def walk(v):
        return servo(v.joint_angle, gait(v.t, 25.414, amplitude, offset, phase) + lean * v.angle[0], gain=2.845)

    return level, walk


@design("hopper", "l", "locomotion", "Hop the one-legged hopper to the blue right wall without its green torso "
        "touching the red floor.")
def hopper():
    thigh, shin = 0.4, 0.4
    hip = (0.8, 0.4 + 0.05 + shin + thigh)
    knee, ankle = (hip[0], hip[1] - thigh), (hip[0], hip[1] - thigh - shin)
    torso = Polygon(((-0.07, 0.0), (0.07, 0.0), (0.07, 0.5), (-0.07, 0.5)), position=hip, density=1.5, role="green")
    foot = Polygon(((-0.12, -0.05), (0.28, -0.05), (0.28, 0.0), (-0.08, 0.03)), position=ankle, friction=1.0)
    parts = (torso, limb(hip, thigh, width=0.09), limb(knee, shin, width=0.08), foot)
    pairs = ((0, 1, hip), (1, 2, knee), (2, 3, ankle))
    motors = [Motor(8.0, t, channel=k) for k, t in enumerate((4.0, 3.0, 2.0))]
    level = Level("hopper", shapes=parts, joints=chain_joints(pairs, motors), joint_chain_filter=True,
                  boundary=walls(floor="red", right="blue"))

    # a hopping rhythm found by search (hip, knee, ankle), leaning against the torso's pitch
    amplitude, offset, phase = (0.02, 0.779, 0.166), (-0.195, 0.215, 0.281), (5.488, 2.37, 5.201)
    lean = np.array((-0.366, -0.084, 0.362))

    def hop(v):
        return servo(v.joint_angle, gait(v.t, 16.829, amplitude, offset, phase) + lean * v.angle[0], gain=2.098)

    return level, hop


@design("swimmer", "l", "locomotion", "Ripple the five-segment green swimmer along the floor to the blue right wall, "
        "keeping under the low red ceiling.")
def swimmer():
    n, seg, y = 5, 0.36, 0.4 + 0.045
    x0 = 0.4
    parts = tuple(Polygon(((0.0, -0.045), (seg, -0.045), (seg, 0.045), (0.0, 0.045)), position=(x0 + k * seg, y),
                          friction=0.8, role="green") for k in range(n))
    pairs = tuple((k, k + 1, (x0 + (k + 1) * seg, y)) for k in range(n - 1))
    motors = [Motor(6.0, 1.5, channel=k) for k in range(n - 1)]
    level = Level("swimmer", shapes=parts, joints=chain_joints(pairs, motors), joint_chain_filter=True,
                  boundary=walls(right="blue", ceiling="red", ceiling_at=1.4))

    # a rippling rhythm found by search, steered by the tail segment's pitch
    amplitude, offset = (0.327, 0.2, 0.849, 0.534), (0.312, 0.722, -0.225, -0.75)
    phase, lean = (3.054, 2.775, 1.482, 2.309), np.array((-0.333, -0.528, 0.242, 0.222))

    def swim(v):
        return servo(v.joint_angle, gait(v.t, 7.612, amplitude, offset, phase) + lean * v.angle[0], gain=3.588)

    return level, swim
