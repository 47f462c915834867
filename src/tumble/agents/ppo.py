"""PPO with the whole update under ``jit``: rollout scan, GAE, minibatch epochs, curriculum update.

Read top to bottom: :class:`Trainer` builds an initial :class:`RunnerState`
from a key; :meth:`Trainer.update` is one PPO update (a rollout of
``num_steps`` steps in ``num_envs`` environments, GAE, ``update_epochs``
epochs of ``num_minibatches`` minibatches, then the curriculum's update from
per-level statistics); :meth:`Trainer.run` scans ``n`` updates in one
compiled call; :meth:`Trainer.train` runs them all (``jit`` it, ``vmap`` it
over seeds).  With a device mesh the environment batch is split over the
devices (``shard_map``): each device steps its share of environments, and
gradients, metrics and level statistics are averaged or summed over devices,
so parameters stay identical everywhere.

Truncated episodes (time limit) bootstrap from the value of their last state
instead of being treated as failures; terminated ones do not bootstrap.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import flax.struct
import jax
import jax.numpy as jnp
import optax
from flax.training.train_state import TrainState
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from tumble.agents import distributions as D
from tumble.agents.config import TrainConfig
from tumble.agents.curricula import Curriculum, LevelStats

AXIS = "data"


@flax.struct.dataclass
class RunnerState:
    """Everything a run carries from one update to the next (and saves in a checkpoint)."""

    train_state: TrainState
    env_state: Any  # [num_envs, ...]
    obs: Any  # [num_envs, ...]
    episode_start: jax.Array  # i32[num_envs]: the update in which each env's current episode began
    curriculum: Any
    key: jax.Array
    update: jax.Array  # i32[]: updates done


class Transition(NamedTuple):
    """One rollout step of every environment (stacked to ``[T, B]`` by the scan)."""

    obs: Any
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    done: jax.Array
    terminated: jax.Array
    truncated: jax.Array
    level_index: jax.Array
    level_valid: jax.Array
    episode_end: jax.Array
    episode_return: jax.Array
    episode_solved: jax.Array


def _level_index(env_state) -> jax.Array:
    while not hasattr(env_state, "level_index"):
        env_state = env_state.env_state
    return env_state.level_index


def gae(traj: Transition, last_value: jax.Array, gamma: float, lam: float) -> tuple[jax.Array, jax.Array]:
    """Generalised advantage estimates and value targets ``[T, B]``.

    A terminated step does not bootstrap; a truncated one bootstraps from its own
    value (its successor, the next episode's first state, is not its future).
    """
    next_values = jnp.concatenate([traj.value[1:], last_value[None]], axis=0)
    next_values = jnp.where(traj.truncated, traj.value, next_values)
    delta = traj.reward + gamma * next_values * (1.0 - traj.terminated) - traj.value

    def back(carry, x):
        d, done = x
        carry = d + gamma * lam * (1.0 - done) * carry
        return carry, carry

    _, adv = jax.lax.scan(back, jnp.zeros_like(last_value), (delta, traj.done.astype(jnp.float32)), reverse=True)
    return adv, adv + traj.value


class Trainer:
    """PPO on one environment and curriculum; see the module docstring."""

    def __init__(self, config: TrainConfig, env, env_params, network, curriculum: Curriculum,
                 mesh: Mesh | None = None) -> None:
        self.config = config
        self.env = env
        self.env_params = env_params
        self.network = network
        self.curriculum = curriculum
        self.mesh = mesh
        self.n_devices = 1 if mesh is None else mesh.devices.size
        p = config.ppo
        if p.num_envs % self.n_devices:
            raise ValueError(f"ppo.num_envs: {p.num_envs} environments cannot be split over {self.n_devices} devices")
        self.local_envs = p.num_envs // self.n_devices
        if (self.local_envs * p.num_steps) % p.num_minibatches:
            raise ValueError(f"ppo.num_minibatches: must divide the per-device batch "
                             f"{self.local_envs} x {p.num_steps}")
        self.action_type = env.action_type

    # --- construction -------------------------------------------------------------------------
    def _optimizer(self):
        p = self.config.ppo
        steps_per_update = p.update_epochs * p.num_minibatches
        if p.anneal_lr:
            lr = optax.linear_schedule(p.lr, 0.0, p.num_updates * steps_per_update)
        else:
            lr = p.lr
        return optax.chain(optax.clip_by_global_norm(p.max_grad_norm), optax.adam(lr, eps=1e-5))

    def init(self, key: jax.Array, params=None) -> RunnerState:
        """The state before the first update (``params`` to start from a checkpoint's weights)."""
        k_net, k_env, k_cur, k_run = jax.random.split(key, 4)
        cur = self.curriculum.init(k_cur)
        env_params = self.env_params.replace(pool=self.curriculum.pool(cur))
        obs, env_state = jax.vmap(self.env.reset, in_axes=(0, None))(
            jax.random.split(k_env, self.config.ppo.num_envs), env_params)
        if params is None:
            params = self.network.init(k_net, jax.tree_util.tree_map(lambda x: x[:1], obs))
        ts = TrainState.create(apply_fn=self.network.apply, params=params, tx=self._optimizer())
        runner = RunnerState(train_state=ts, env_state=env_state, obs=obs,
                             episode_start=jnp.zeros((self.config.ppo.num_envs,), jnp.int32), curriculum=cur,
                             key=k_run, update=jnp.zeros((), jnp.int32))
        return self.place(runner)

    def policy(self, params, obs, key, greedy: bool = False):
        """Actions for a batch of observations."""
        dist, _ = self.network.apply(params, obs)
        return D.mode(self.action_type, dist) if greedy else D.sample(self.action_type, dist, key)

    # --- sharding ------------------------------------------------------------------------------
    def _specs(self, runner: RunnerState) -> RunnerState:
        batched = lambda tree: jax.tree_util.tree_map(lambda _: P(AXIS), tree)  # noqa: E731
        rep = lambda tree: jax.tree_util.tree_map(lambda _: P(), tree)  # noqa: E731
        return RunnerState(train_state=rep(runner.train_state), env_state=batched(runner.env_state),
                           obs=batched(runner.obs), episode_start=P(AXIS), curriculum=rep(runner.curriculum),
                           key=P(), update=P())

    def place(self, runner: RunnerState) -> RunnerState:
        """Put the environment batch across the mesh's devices (a no-op without a mesh)."""
        if self.mesh is None:
            return runner
        specs = self._specs(runner)
        return jax.tree_util.tree_map(lambda x, s: jax.device_put(x, NamedSharding(self.mesh, s)), runner, specs)

    # --- one update ----------------------------------------------------------------------------
    def update(self, runner: RunnerState):
        """One PPO update: ``(runner, metrics)``."""
        if self.mesh is None:
            return self._update(runner, None)
        specs = self._specs(runner)
        f = jax.shard_map(functools.partial(self._update, axis=AXIS), mesh=self.mesh, in_specs=(specs,),
                          out_specs=(specs, P()), check_vma=False)
        return f(runner)

    def _update(self, runner: RunnerState, axis: str | None):
        cfg = self.config.ppo
        psum = (lambda x: jax.lax.psum(x, axis)) if axis else (lambda x: x)  # noqa: E731
        pmean = (lambda x: jax.lax.pmean(x, axis)) if axis else (lambda x: x)  # noqa: E731
        ts = runner.train_state
        pool = self.curriculum.pool(runner.curriculum)
        rewritten_at = self.curriculum.rewritten_at(runner.curriculum)
        env_params = self.env_params.replace(pool=pool)
        key, k_roll, k_epochs, k_cur = jax.random.split(runner.key, 4)
        if axis:  # each device's environments draw their own randomness
            k_roll = jax.random.fold_in(k_roll, jax.lax.axis_index(axis))
            k_epochs = jax.random.fold_in(k_epochs, jax.lax.axis_index(axis))
        n_envs = self.local_envs

        def env_step(carry, _):
            env_state, obs, ep_start, k = carry
            k, k_act, k_env = jax.random.split(k, 3)
            dist, value = ts.apply_fn(ts.params, obs)
            action = D.sample(self.action_type, dist, k_act)
            log_prob = D.log_prob(self.action_type, dist, action)
            index = _level_index(env_state)
            valid = ep_start >= rewritten_at[index]
            obs2, env_state2, reward, done, info = jax.vmap(self.env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(k_env, n_envs), env_state, action, env_params)
            ep_start2 = jnp.where(done, runner.update, ep_start)
            tr = Transition(obs, action, log_prob, value, reward, done, info["terminated"].astype(jnp.float32),
                            info["truncated"], index, valid, info["returned_episode"],
                            info["returned_episode_return"], info["returned_episode_solved"])
            return (env_state2, obs2, ep_start2, k), tr

        (env_state, obs, ep_start, _), traj = jax.lax.scan(
            env_step, (runner.env_state, runner.obs, runner.episode_start, k_roll), None, length=cfg.num_steps)
        _, last_value = ts.apply_fn(ts.params, obs)
        advantages, targets = gae(traj, last_value, cfg.gamma, cfg.gae_lambda)

        ts, losses = self._epochs(ts, traj, advantages, targets, k_epochs, pmean)

        stats = LevelStats.from_rollout(traj.level_index, traj.level_valid, advantages, pool.size)
        stats = jax.tree_util.tree_map(psum, stats)
        policy = functools.partial(self.policy, ts.params)
        cur, cur_metrics = self.curriculum.update(k_cur, runner.curriculum, stats, runner.update, policy, axis)

        episodes = psum(jnp.sum(traj.episode_end))
        denom = jnp.maximum(episodes, 1)
        metrics = {
            "episodes": episodes,
            "return": psum(jnp.sum(jnp.where(traj.episode_end, traj.episode_return, 0.0))) / denom,
            "solve_rate": psum(jnp.sum(traj.episode_end & traj.episode_solved)) / denom,
            "reward_per_step": pmean(jnp.mean(traj.reward)),
            "value": pmean(jnp.mean(traj.value)),
            **losses,
            **cur_metrics,
        }
        runner = RunnerState(train_state=ts, env_state=env_state, obs=obs, episode_start=ep_start, curriculum=cur,
                             key=key, update=runner.update + 1)
        return runner, metrics

    def _epochs(self, ts: TrainState, traj: Transition, advantages, targets, key, pmean):
        cfg = self.config.ppo
        at = self.action_type
        n = traj.reward.size
        flat = jax.tree_util.tree_map(lambda x: x.reshape((n,) + x.shape[2:]),
                                      (traj.obs, traj.action, traj.log_prob, traj.value, advantages, targets))

        def loss_fn(params, batch):
            obs, action, old_logp, old_value, adv, target = batch
            dist, value = ts.apply_fn(params, obs)
            logp = D.log_prob(at, dist, action)
            ratio = jnp.exp(logp - old_logp)
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - cfg.clip_eps, 1 + cfg.clip_eps) * adv).mean()
            v_clipped = old_value + jnp.clip(value - old_value, -cfg.clip_eps, cfg.clip_eps)
            v_loss = 0.5 * jnp.maximum((value - target) ** 2, (v_clipped - target) ** 2).mean()
            ent = D.entropy(at, dist).mean()
            total = pg + cfg.vf_coef * v_loss - cfg.ent_coef * ent
            aux = {"policy_loss": pg, "value_loss": v_loss, "entropy": ent,
                   "approx_kl": jnp.mean((ratio - 1) - jnp.log(ratio)),
                   "clip_fraction": jnp.mean(jnp.abs(ratio - 1) > cfg.clip_eps)}
            return total, aux

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def minibatch(ts, batch):
            (loss, aux), grads = grad_fn(ts.params, batch)
            grads = pmean(grads)
            aux = dict(aux, loss=loss, grad_norm=optax.tree.norm(grads))
            return ts.apply_gradients(grads=grads), aux

        def epoch(carry, _):
            ts, k = carry
            k, k_perm = jax.random.split(k)
            perm = jax.random.permutation(k_perm, n)
            batches = jax.tree_util.tree_map(
                lambda x: x[perm].reshape((cfg.num_minibatches, -1) + x.shape[1:]), flat)
            ts, aux = jax.lax.scan(minibatch, ts, batches)
            return (ts, k), aux

        (ts, _), aux = jax.lax.scan(epoch, (ts, key), None, length=cfg.update_epochs)
        return ts, {k: pmean(jnp.mean(v)) for k, v in aux.items()}

    # --- many updates ----------------------------------------------------------------------------
    def run(self, runner: RunnerState, n: int):
        """``n`` updates in one scan: ``(runner, metrics stacked over updates)``.  ``jit`` it with ``n`` static."""
        return jax.lax.scan(lambda r, _: self.update(r), runner, None, length=n)

    def train(self, key: jax.Array):
        """The whole run from a key (``config.ppo.num_updates`` updates); ``jit`` and ``vmap`` it over seeds."""
        return self.run(self.init(key), self.config.ppo.num_updates)
