"""Physics fidelity scenarios (shared/physics-scenarios.md): one test per pass/fail check.

Each scenario runs once per module (module-scoped fixtures); the thresholds are
the spec's and are asserted here explicitly.  Run the table with
``python benchmarks/scenarios.py``.
"""

from __future__ import annotations

import json

import pytest

from tumble.bench import scenarios as sc

try:
    from tumble.physics import SceneBuilder, simulate  # noqa: F401
except ImportError as exc:  # the engine's scripting API is not there
    pytestmark = pytest.mark.skip(reason=f"tumble.physics scripting API unavailable: {exc}")


def show(res: dict) -> str:
    """The whole result, for assertion messages."""
    return f"{res['scenario']}: failed {res['failed']}\n" + json.dumps(res["metrics"], indent=1, default=str)


def check_all(res: dict) -> None:
    """The harness' own verdict must agree with the explicit asserts of each test."""
    assert res["passed"], show(res)


@pytest.fixture(scope="module")
def free_fall():
    return sc.run_free_fall()


@pytest.fixture(scope="module")
def bounce():
    return sc.run_bounce()


@pytest.fixture(scope="module")
def incline():
    return sc.run_incline_friction()


@pytest.fixture(scope="module")
def pyramid10():
    return sc.run_pyramid(10)


@pytest.fixture(scope="module")
def pyramid20():
    return sc.run_pyramid(20)


@pytest.fixture(scope="module")
def stack():
    return sc.run_stack()


@pytest.fixture(scope="module")
def pendulum():
    return sc.run_pendulum()


@pytest.fixture(scope="module")
def chain():
    return sc.run_chain()


@pytest.fixture(scope="module")
def motor():
    return sc.run_motor()


@pytest.fixture(scope="module")
def high_speed():
    return sc.run_high_speed()


@pytest.fixture(scope="module")
def momentum():
    return sc.run_momentum()


def test_free_fall(free_fall):
    m = free_fall["metrics"]
    assert abs(m["pos_err"]) <= 0.09, show(free_fall)
    assert m["vel_err"] <= 1e-3, show(free_fall)
    check_all(free_fall)


def test_bounce(bounce):
    m = bounce["metrics"]
    assert abs(m["rel_err"]) <= 0.10, show(bounce)
    check_all(bounce)


def test_incline_friction(incline):
    m = incline["metrics"]
    assert abs(m["stick_mu0p7.along_slope"]) <= 0.01, show(incline)  # case a: mu 0.7 sticks
    assert abs(m["slide_mu0p3.rel_err"]) <= 0.03, show(incline)  # case b: mu 0.3 slides 10.603 m
    check_all(incline)


def assert_settled(res: dict) -> None:
    m = res["metrics"]
    assert m["max_horizontal_displacement"] <= 0.1, show(res)
    assert m["max_sink"] <= 0.1, show(res)
    assert m["max_rotation"] <= 0.05, show(res)
    assert m["max_penetration"] <= 0.01, show(res)
    assert m["penetration_per_contact"] <= 0.005, show(res)
    assert m["ke_per_box_max_last_2s"] <= 2e-5, show(res)
    check_all(res)


def test_pyramid_base10(pyramid10):
    assert pyramid10["metrics"]["boxes"] == 55
    assert_settled(pyramid10)


def test_pyramid_base20(pyramid20):
    assert pyramid20["metrics"]["boxes"] == 210
    assert_settled(pyramid20)


def test_stack(stack):
    assert_settled(stack)


def test_pendulum(pendulum):
    m = pendulum["metrics"]
    assert m["joint_err_max"] <= 0.01, show(pendulum)
    assert abs(m["period_first_rel_err"]) <= 0.05, show(pendulum)
    assert -0.5 <= m["energy_drift_end"] <= 0.02, show(pendulum)
    check_all(pendulum)


def test_chain(chain):
    m = chain["metrics"]
    assert m["joint_err_max"] <= 0.05, show(chain)
    assert m["stays_connected"] is True, show(chain)
    check_all(chain)


def test_motor(motor):
    m = motor["metrics"]
    assert m["t95_ratio"] <= 1.2, show(motor)
    assert abs(m["w_end"] / sc.MOTOR_SPEED - 1.0) <= 0.01, show(motor)
    check_all(motor)


def test_high_speed(high_speed):
    m = high_speed["metrics"]
    assert m["runs"] == 8
    assert m["tunnelled"] == 0, show(high_speed)
    check_all(high_speed)


def test_momentum(momentum):
    m = momentum["metrics"]
    assert m["momentum_rel_err"] <= 1e-5, show(momentum)
    assert abs(m["ke_rel_change"]) <= 0.005, show(momentum)
    assert m["post_velocity_err_rel"] <= 0.05, show(momentum)
    check_all(momentum)
