"""The whole-loop XLA setting: on at ``import tumble`` unless opted out, a user's own setting wins, and every
solver loop of a one-scene step qualifies."""

import os
import subprocess
import sys

import jax.numpy as jnp
import pytest

from tumble.whole_loops import OPT_OUT, WHOLE_LOOP_BYTES, apply_default, disable_whole_loops, enable_whole_loops, whole_loop_bytes

OPTION = "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold"


def _fresh_python(code: str, xla_flags: str | None, *args: str, opt_out: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", OPT_OUT)}
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    if opt_out is not None:
        env[OPT_OUT] = opt_out
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", True])
def test_rejects_anything_but_a_positive_byte_count(bad):
    with pytest.raises(ValueError, match="positive number of bytes"):
        enable_whole_loops(bad)


def test_refuses_once_jax_has_started(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    jnp.ones(1).block_until_ready()  # the backend runs in this process now: XLA has read its flags
    with pytest.raises(RuntimeError, match="before JAX's first computation"):
        enable_whole_loops()
    with pytest.raises(RuntimeError, match="before JAX's first computation"):
        disable_whole_loops()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false"  # nothing half-applied
    monkeypatch.delenv(OPT_OUT, raising=False)
    with pytest.warns(UserWarning, match="imported after JAX's CPU backend started"):
        apply_default()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false"
    monkeypatch.setenv(OPT_OUT, "0")
    apply_default()  # opted out: nothing to say


@pytest.mark.parametrize(
    ("flags", "left"),
    [
        (f"{OPTION}=4096", None),
        (f"--xla_cpu_enable_fast_math=false {OPTION}=4096", "--xla_cpu_enable_fast_math=false"),
        ("--xla_backend_extra_options=other_key=1,xla_cpu_small_while_loop_byte_threshold=77,b=2",
         "--xla_backend_extra_options=other_key=1,b=2"),
    ],
)
def test_disable_takes_out_only_the_threshold(monkeypatch, flags, left):
    monkeypatch.setattr("tumble.whole_loops._started", lambda: False)
    monkeypatch.setenv("XLA_FLAGS", flags)
    assert disable_whole_loops()
    assert os.environ.get("XLA_FLAGS") == left
    assert not disable_whole_loops()  # nothing left to take out


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("", None),
        ("--xla_cpu_enable_fast_math=false", None),
        (f"--xla_cpu_enable_fast_math=false {OPTION}=4096", 4096),
        ("--xla_backend_extra_options=other_key=1,xla_cpu_small_while_loop_byte_threshold=77", 77),
        ("--xla_backend_extra_options=other_key=1", None),
    ],
)
def test_reads_the_threshold_from_xla_flags(monkeypatch, flags, expected):
    monkeypatch.setenv("XLA_FLAGS", flags)
    assert whole_loop_bytes() == expected


# Compiles one unbatched step of a small scene with walls, contacts and a joint chain, then lists
# the loops XLA still runs kernel by kernel: those left in the entry computation.
_ONE_SCENE_LOOPS = """
import os, re, sys
import tumble
if sys.argv[1:] == ["whole"]:
    from tumble.whole_loops import enable_whole_loops
    enable_whole_loops()
import jax
from tumble.physics import Capacity, SceneBuilder, default_controls, step
b = SceneBuilder()
b.set_boundary(floor=0.0, left=-5.0, right=5.0, ceiling=8.0)
a = b.add_box(size=(1, 1), position=(0.0, 0.6))
m = b.add_box(size=(1, 1), position=(1.2, 0.6))
c = b.add_circle(0.3, position=(0.0, 2.0))
b.add_revolute_joint(a, m, (0.6, 0.6), enable_motor=True, motor_speed=1.0, max_motor_torque=5.0)
b.add_revolute_joint(m, c, (0.6, 2.0))
scene, params = b.build(Capacity(n_polygons=2, n_circles=1, n_joints=2, n_thrusters=1, max_vertices=4))
text = jax.jit(lambda s: step(s, default_controls(s), params)[0]).lower(scene).compile().as_text()
entry = text[text.index("ENTRY"):]
print(os.environ.get("XLA_FLAGS"), "|", text.count('xla_cpu_small_call="true"'), "|", len(re.findall(r" while\\(", entry)))
"""


def test_enabled_every_loop_of_a_one_scene_step_is_compiled_whole():
    # opted out of the default, then enabled by hand
    flags, whole, left = _fresh_python(_ONE_SCENE_LOOPS, None, "whole", opt_out="0").split(" | ")
    assert flags == f"{OPTION}={WHOLE_LOOP_BYTES}"
    # the solver's loops may hold no scatter, sort or library call, and neither may the joint-chain labelling
    assert int(left) == 0
    assert int(whole) >= 6  # substeps, live walls and rounds (solve and restitution), joints...


def test_importing_tumble_turns_it_on_and_the_opt_out_keeps_xla_kernel_by_kernel():
    flags, whole, left = _fresh_python(_ONE_SCENE_LOOPS, None).split(" | ")
    assert flags == f"{OPTION}={WHOLE_LOOP_BYTES}"
    assert int(left) == 0
    flags, whole, left = _fresh_python(_ONE_SCENE_LOOPS, None, opt_out="0").split(" | ")
    assert flags == "None"
    # XLA's default threshold (1 KiB) admits none of the solver's loops, only the tiny joint-chain labelling
    assert int(whole) <= 1 and int(left) > 0


def test_a_users_own_extra_options_win():
    mine = f"{OPTION}=1024"
    flags, whole, left = _fresh_python(_ONE_SCENE_LOOPS, mine, "whole").split(" | ")
    assert flags == mine
    assert int(left) > 0


_BENCH_OPTIONS = """
import os
from typer.testing import CliRunner
from tumble.cli.main import app
seen = [os.environ.get("XLA_FLAGS")]
for option in ("--no-whole-loops", "--whole-loops"):
    result = CliRunner().invoke(app, ["bench", option, "load", "--help"])  # the bench options run, then the help
    assert result.exit_code == 0, result.output
    seen.append(os.environ.get("XLA_FLAGS"))
print(" | ".join(map(str, seen)))
"""


def test_bench_options_take_the_setting_out_and_put_it_back():
    default, off, on = _fresh_python(_BENCH_OPTIONS, None).split(" | ")
    assert default == on == f"{OPTION}={WHOLE_LOOP_BYTES}"
    assert off == "None"



# Loops of a rollout of one scene, of one scene under vmap, of two scenes, and of one env step, unbatched
# and under vmap over one env: how many XLA leaves kernel by kernel (in the entry computation).
_ROLLOUT_LOOPS = """
import re
import tumble
import jax, jax.numpy as jnp
from tumble.physics import Capacity, SceneBuilder, default_controls, step

def loops_left(fn, *args):
    text = jax.jit(fn).lower(*args).compile().as_text()
    return len(re.findall(r" while\\(", text[text.index("ENTRY"):]))

b = SceneBuilder()
b.set_boundary(floor=0.0)
a = b.add_box(size=(1, 1), position=(0.0, 0.6))
c = b.add_circle(0.3, position=(0.0, 2.0))
b.add_revolute_joint(a, c, (0.0, 1.5))
b.add_thruster(a, (0.0, 0.0), 0.0, 5.0)
scene, params = b.build(Capacity(n_polygons=1, n_circles=1, n_joints=1, n_thrusters=1, max_vertices=4))
controls = default_controls(scene)
rollout = lambda s: jax.lax.scan(lambda s, _: (step(s, controls, params)[0], None), s, None, length=3)[0]
batch = lambda k: jax.tree_util.tree_map(lambda x: jnp.stack([x] * k), scene)
counts = [loops_left(rollout, scene), loops_left(jax.vmap(rollout), batch(1)), loops_left(jax.vmap(rollout), batch(2))]
env, env_params = tumble.make("s", "multi_discrete", "flat")
key = jax.random.PRNGKey(0)
_, state = env.reset(key, env_params)
action = env.action_space(env_params).sample(key)
one = lambda x: jax.tree_util.tree_map(lambda y: y[None], x)
counts.append(loops_left(env.step, key, state, action, env_params))
counts.append(loops_left(jax.vmap(env.step, (0, 0, 0, None)), one(key), one(state), one(action), env_params))
print(" ".join(map(str, counts)))
"""


def test_rollouts_of_one_scene_are_compiled_whole_batches_and_one_env_step_kernel_by_kernel():
    scan1, vmap1, vmap2, env_step, env_vmap1 = map(int, _fresh_python(_ROLLOUT_LOOPS, None).split())
    # the one-scene step holds no scatter or sort: a loop of steps is one function, unbatched or over one scene
    assert scan1 == 0 and vmap1 == 0
    # over several scenes the thrusters' per-body sum stays a scatter and the loop keeps its kernels
    # (a whole batched rollout compiles several times slower)
    assert vmap2 >= 1
    # jit(env.step), dispatched once per step, gains nothing from a whole frame-skip loop and would
    # compile slower: it keeps its kernels unbatched (barrier.kernels_when_unbatched), not under vmap
    assert env_step >= 1 and env_vmap1 == 0
