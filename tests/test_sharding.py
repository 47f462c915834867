"""Data parallelism: the environment batch split over two (virtual CPU) devices with shard_map.

JAX fixes its device count at start-up, so the check runs in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, jax, numpy as np
    from tumble.agents.config import make_config
    from tumble.agents.setup import make_trainer
    assert len(jax.devices()) == 2
    out = {}
    for kind, extra in [("fixed", ["env.levels=rocket_aim"]),
                        ("sfl", ["env.levels=generator", "curriculum.kind=sfl", "curriculum.pool_size=4",
                                 "curriculum.sfl_candidates=8", "curriculum.sfl_rollout_steps=8",
                                 "curriculum.sfl_interval=1", "curriculum.noop_filter=false"])]:
        cfg = make_config(overrides=extra + ["ppo.num_envs=8", "ppo.num_steps=8", "ppo.num_minibatches=2",
                                             "ppo.update_epochs=1", "run.devices=2"])
        trainer = make_trainer(cfg)
        assert trainer.n_devices == 2 and trainer.local_envs == 4
        runner = trainer.init(jax.random.PRNGKey(0))
        env_shards = [s.data for s in jax.tree_util.tree_leaves(runner.env_state)[0].addressable_shards]
        update = jax.jit(trainer.update)
        for _ in range(2):
            runner, metrics = update(runner)
        leaf = jax.tree_util.tree_leaves(runner.train_state.params)[0]
        shards = [np.asarray(s.data) for s in leaf.addressable_shards]
        obs_leaf = jax.tree_util.tree_leaves(runner.obs)[0]
        out[kind] = {
            "env_shard_rows": [int(s.shape[0]) for s in env_shards],
            "param_devices": len(shards),
            "params_identical": all(np.array_equal(shards[0], s) for s in shards[1:]),
            "obs_devices": len({s.device for s in obs_leaf.addressable_shards}),
            "obs_differ": not np.array_equal(*[np.asarray(s.data) for s in obs_leaf.addressable_shards]),
            "finite": all(bool(np.isfinite(float(v))) for v in metrics.values()),
            "update": int(runner.update),
            "metrics": sorted(metrics),
        }
    print("RESULT" + json.dumps(out))
""")


def test_two_devices_keep_weights_identical_and_split_the_environments():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    out = json.loads(line[len("RESULT"):])
    for kind in ("fixed", "sfl"):
        r = out[kind]
        assert r["env_shard_rows"] == [4, 4]  # 8 environments, 4 per device
        assert r["param_devices"] == 2 and r["params_identical"]  # replicated weights stay in step
        assert r["obs_devices"] == 2 and r["obs_differ"]  # each device steps its own environments
        assert r["finite"] and r["update"] == 2
    assert "sfl_learnability" in out["sfl"]["metrics"]
