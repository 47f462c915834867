"""Hand-made levels of several families, written by the project's lead."""

from __future__ import annotations

import math

import numpy as np

from tumble.levels.designs.classic_control import act, box, tidy
from tumble.levels.designs.registry import design
from tumble.levels.model import Boundary, Circle, Joint, Level, Motor, Polygon, Thruster, Wall

G = 9.81


@design("twin_jet_hover", "m", "thrusters",
        "Lift the green plank off its pad with its two jets and fly it over the red rock into the blue ball")
def twin_jet_hover():
    half = 0.3
    plank = Polygon(box(2 * half, 0.12), position=(1.0, 0.66), role="green")
    pad = Polygon(box(0.8, 0.2), position=(1.0, 0.5), static=True)
    target = Circle(0.25, position=(3.9, 3.4), static=True, role="blue")
    rock = Circle(0.45, position=(2.5, 1.9), static=True, role="red")
    jets = (Thruster(0, (1.0 - half, 0.6), math.pi / 2, 1.0, channel=0),
            Thruster(0, (1.0 + half, 0.6), math.pi / 2, 1.0, channel=1))
    level = tidy(Level("", (plank, pad, target, rock), thrusters=jets, boundary=Boundary(floor=Wall(0.4, "red"))))
    mass = 2 * half * 0.12
    inertia = mass * ((2 * half) ** 2 + 0.12 ** 2) / 12
    waypoints = [np.array([1.0, 3.3]), np.array([3.9, 3.3])]

    def controller(v):
        p, vel, theta, omega = v.position[0], v.velocity[0], v.angle[0], v.angular_velocity[0]
        goal = waypoints[0] if p[1] < 3.0 and p[0] < 2.0 else waypoints[1]
        accel = np.clip(2.0 * (goal - p) - 2.5 * vel, -3.0, 3.0)
        thrust = mass * (G + accel[1]) / max(math.cos(theta), 0.5)
        tilt = float(np.clip(-math.atan2(accel[0], G + accel[1]), -0.5, 0.5))
        torque = inertia * (60.0 * (tilt - theta) - 12.0 * omega)
        left = thrust / 2 - torque / (2 * half)
        right = thrust / 2 + torque / (2 * half)
        return act((), (left / 1.0, right / 1.0))

    return level, controller


@design("bulldozer", "m", "manipulation",
        "Drive the tractor right to shove the green crate into the blue right wall; the left wall is red")
def bulldozer():
    r = 0.12
    y_axle = 0.4 + r
    chassis = Polygon(box(0.7, 0.16), position=(1.0, y_axle + 0.1), density=2.0)
    wheels = (Circle(r, position=(0.75, y_axle), friction=1.0), Circle(r, position=(1.25, y_axle), friction=1.0))
    crate = Polygon(box(0.35, 0.35), position=(2.3, 0.4 + 0.175), density=0.5, friction=0.4, role="green")
    axles = tuple(Joint(a=0, b=1 + k, anchor=w.position, motor=Motor(10.0, 1.0, channel=0))
                  for k, w in enumerate(wheels))
    level = tidy(Level("", (chassis, *wheels, crate), axles, boundary=Boundary(left=Wall(0.0, "red"),
                                                                            right=Wall(5.0, "blue"))))

    def controller(v):
        return act([-1.0])  # clockwise wheels roll right

    return level, controller


@design("wrecking_ball", "m", "games",
        "Swing the motorised wrecking ball to knock the green ball off its ledge onto the blue floor")
def wrecking_ball():
    pivot = (1.5, 3.5)
    arm = Polygon(box(0.1, 1.3), position=(1.5, 3.5 - 0.65))
    hammer = Circle(0.2, position=(1.5, 3.5 - 1.3), density=3.0)
    ledge = Polygon(box(0.8, 0.15), position=(2.5, 1.975), static=True)
    ball = Circle(0.15, position=(2.2, 2.05 + 0.15), role="green")
    joints = (Joint(b=0, anchor=pivot, motor=Motor(3.0, 6.0, channel=1)),
              Joint(a=0, b=1, anchor=hammer.position, kind="fixed"))
    level = tidy(Level("", (arm, hammer, ledge, ball), joints, boundary=Boundary(floor=Wall(0.4, "blue"))))

    def controller(v):
        return act([0.0, 1.0])  # anticlockwise: the hammer sweeps up to the right

    return level, controller
