"""Level samplers (curricula): which levels the training environments reset to, updated as the agent learns.

Every curriculum keeps its levels in a fixed-shape pool, so its update runs
inside the compiled training step and nothing recompiles.  The trainer asks a
curriculum for

- ``pool(state)``: the :class:`LevelPool` (levels and log-weights) to reset from in the next rollout;
- ``rewritten_at(state)``: per pool slot, the first update whose rollout sees the slot's current
  level (statistics of episodes that began before then belong to an older level and are ignored);
- ``update(key, state, stats, update, policy, axis)``: the new state after a rollout, from
  per-slot :class:`LevelStats` (already summed over devices).

Curricula:

- :class:`FixedLevels`: the given pool, unchanged.
- :class:`DomainRandomisation`: generated levels (no-op solved ones filtered out), a few slots
  replaced by fresh ones every update.
- :class:`PrioritisedReplay` (PLR; ``mutate=True`` gives ACCEL): a buffer of levels scored by
  positive value loss (the mean positive GAE advantage seen on the level, a regret estimate).
  Each update either replays the buffer (rank-based priorities mixed with staleness) or, with
  probability ``1 - replay_prob``, trains on a batch of new levels, which then replace the
  buffer's lowest-scoring levels if they score higher.  ACCEL draws part of each new batch as
  mutations (:func:`tumble.levels.mutate.mutate_level`) of buffer levels.
- :class:`SamplingForLearnability` (SFL): every ``interval`` updates, the current policy plays
  ``candidates`` generated levels, ``episodes`` parallel copies of each, for ``rollout_steps``
  steps (a level restarts when its episode ends); the levels with the highest
  learnability ``p (1 - p)`` (``p``: the fraction of episodes solved) become the training pool,
  with a ``dr_fraction`` of plain generated levels mixed in.  With several devices the
  candidates are split between them.
"""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp

from tumble.agents.rollouts import level_outcomes
from tumble.env.pool import LevelPool
from tumble.levels.mutate import mutate_level
from tumble.levels.noop_filter import generate_filtered_traced
from tumble.levels.generator import generate_many

NEG = -1e9


@flax.struct.dataclass
class LevelStats:
    """Per pool slot, summed over the rollout: positive advantage and steps (of episodes on the slot's level)."""

    positive_advantage: jax.Array  # f32[K]
    steps: jax.Array  # f32[K]

    @classmethod
    def from_rollout(cls, level_index, valid, advantages, size: int) -> "LevelStats":
        """Sum over a rollout's ``[T, B]`` steps into ``size`` pool slots (steps with ``valid`` false skipped)."""
        idx = level_index.reshape(-1)
        w = valid.reshape(-1).astype(jnp.float32)
        pos = jax.ops.segment_sum(jnp.maximum(advantages.reshape(-1), 0.0) * w, idx, num_segments=size)
        return cls(positive_advantage=pos, steps=jax.ops.segment_sum(w, idx, num_segments=size))

    def mean_score(self) -> jax.Array:
        return self.positive_advantage / jnp.maximum(self.steps, 1.0)


def _take(levels, index):
    return jax.tree_util.tree_map(lambda x: x[index], levels)


def _concat(a, b):
    return jax.tree_util.tree_map(lambda x, y: jnp.concatenate([x, y], axis=0), a, b)


def _set_rows(levels, rows, new):
    return jax.tree_util.tree_map(lambda x, y: x.at[rows].set(y, mode="drop"), levels, new)


class Curriculum:
    """Base: a fixed pool. Subclasses override ``init``, ``pool``, ``rewritten_at`` and ``update``."""

    def init(self, key: jax.Array):
        raise NotImplementedError

    def pool(self, state) -> LevelPool:
        return state.pool

    def rewritten_at(self, state) -> jax.Array:
        return state.rewritten_at

    def update(self, key, state, stats: LevelStats, update, policy, axis=None):
        return state, {}


@flax.struct.dataclass
class PoolState:
    """A pool and, per slot, the first update whose rollout sees its current level."""

    pool: LevelPool
    rewritten_at: jax.Array


class FixedLevels(Curriculum):
    """Reset to the given pool's levels with its weights, always."""

    def __init__(self, pool: LevelPool) -> None:
        self._pool = pool

    def init(self, key):
        return PoolState(pool=self._pool, rewritten_at=jnp.zeros((self._pool.size,), jnp.int32))


class DomainRandomisation(Curriculum):
    """A pool of generated levels, ``refresh`` random slots replaced by fresh ones after each update."""

    def __init__(self, size: str, pool_size: int, refresh: int, noop_filter: bool = True) -> None:
        self.size, self.pool_size, self.refresh, self.noop_filter = size, pool_size, refresh, noop_filter

    def generate(self, key, n: int):
        if self.noop_filter:
            return generate_filtered_traced(key, self.size, n)
        return generate_many(jax.random.split(key, n), self.size)

    def init(self, key):
        levels = self.generate(key, self.pool_size)
        return PoolState(pool=LevelPool(levels=levels, logits=jnp.zeros((self.pool_size,), jnp.float32)),
                         rewritten_at=jnp.zeros((self.pool_size,), jnp.int32))

    def update(self, key, state, stats, update, policy, axis=None):
        if self.refresh == 0:
            return state, {}
        k_slots, k_gen = jax.random.split(key)
        slots = jax.random.choice(k_slots, self.pool_size, (self.refresh,), replace=False)
        fresh = self.generate(k_gen, self.refresh)
        pool = state.pool.replace(levels=_set_rows(state.pool.levels, slots, fresh))
        return PoolState(pool=pool, rewritten_at=state.rewritten_at.at[slots].set(update + 1)), {}


@flax.struct.dataclass
class PLRState:
    """PLR's buffer with scores and staleness, the batch of new levels, and the next rollout's mode."""

    buffer: object  # CompiledLevel [N]
    scores: jax.Array  # f32[N]
    last_seen: jax.Array  # i32[N]
    fresh: object  # CompiledLevel [K]
    replay: jax.Array  # bool[]: the next rollout replays the buffer (else plays the fresh levels)
    rewritten: jax.Array  # i32[N + K]
    update: jax.Array  # i32[]: updates seen (for staleness)


class PrioritisedReplay(DomainRandomisation):
    """PLR over a buffer of ``pool_size`` levels; ``mutate=True`` makes it ACCEL (see the module docstring)."""

    def __init__(self, size: str, pool_size: int, new_levels: int, replay_prob: float = 0.8,
                 temperature: float = 0.3, staleness_coef: float = 0.3, mutate: bool = False,
                 mutation_fraction: float = 0.5, noop_filter: bool = True) -> None:
        super().__init__(size, pool_size, 0, noop_filter)
        self.new_levels, self.replay_prob = new_levels, replay_prob
        self.temperature, self.staleness_coef = temperature, staleness_coef
        self.mutate, self.mutation_fraction = mutate, mutation_fraction

    def init(self, key):
        k_buf, k_new = jax.random.split(key)
        n = self.pool_size
        return PLRState(buffer=self.generate(k_buf, n), scores=jnp.zeros((n,), jnp.float32),
                        last_seen=jnp.zeros((n,), jnp.int32), fresh=self.generate(k_new, self.new_levels),
                        replay=jnp.zeros((), bool), rewritten=jnp.zeros((n + self.new_levels,), jnp.int32),
                        update=jnp.zeros((), jnp.int32))

    def replay_logits(self, state: PLRState) -> jax.Array:
        """Log of the replay distribution: rank priorities ``(1/rank)^(1/T)`` mixed with staleness."""
        n = self.pool_size
        rank = jnp.empty((n,), jnp.float32).at[jnp.argsort(-state.scores)].set(jnp.arange(1, n + 1, dtype=jnp.float32))
        h = (1.0 / rank) ** (1.0 / self.temperature)
        p_score = h / h.sum()
        stale = (state.update - state.last_seen).astype(jnp.float32)
        p_stale = jnp.where(stale.sum() > 0, stale / jnp.maximum(stale.sum(), 1e-9), 1.0 / n)
        p = (1 - self.staleness_coef) * p_score + self.staleness_coef * p_stale
        return jnp.log(jnp.maximum(p, 1e-30))

    def pool(self, state: PLRState) -> LevelPool:
        k = self.new_levels
        replay = jnp.concatenate([self.replay_logits(state), jnp.full((k,), NEG)])
        new = jnp.concatenate([jnp.full((self.pool_size,), NEG), jnp.zeros((k,))])
        return LevelPool(levels=_concat(state.buffer, state.fresh), logits=jnp.where(state.replay, replay, new))

    def rewritten_at(self, state: PLRState) -> jax.Array:
        return state.rewritten

    def new_batch(self, key, state: PLRState):
        """The next batch of new levels: generated, and for ACCEL partly mutated buffer levels."""
        k_gen, k_pick, k_mut, k_mix = jax.random.split(key, 4)
        fresh = self.generate(k_gen, self.new_levels)
        if not self.mutate:
            return fresh
        parents = jax.random.categorical(k_pick, self.replay_logits(state), shape=(self.new_levels,))
        mutants = jax.vmap(mutate_level)(jax.random.split(k_mut, self.new_levels), _take(state.buffer, parents))
        use = jax.random.uniform(k_mix, (self.new_levels,)) < self.mutation_fraction
        return jax.tree_util.tree_map(
            lambda m, f: jnp.where(use.reshape((-1,) + (1,) * (m.ndim - 1)), m, f), mutants, fresh)

    def update(self, key, state: PLRState, stats, update, policy, axis=None):
        n, k = self.pool_size, self.new_levels
        seen = stats.steps > 0
        score = stats.mean_score()
        seen_b, seen_f = seen[:n], seen[n:]
        scores = jnp.where(seen_b, score[:n], state.scores)
        last_seen = jnp.where(seen_b, update, state.last_seen)
        # the best new levels replace the worst buffer levels they beat (a merge of the two sorted lists)
        cand = jnp.where(seen_f, score[n:], -jnp.inf)
        m = min(n, k)
        worst = jnp.argsort(scores)[:m]
        best = jnp.argsort(-cand)[:m]
        better = cand[best] > scores[worst]
        dest = jnp.where(better, worst, n)
        buffer = _set_rows(state.buffer, dest, _take(state.fresh, best))
        scores = scores.at[dest].set(cand[best], mode="drop")
        last_seen = last_seen.at[dest].set(update, mode="drop")
        # `dest` drops at index n, which in `rewritten` [N + K] is fresh slot 0: drop past its end instead
        rewritten = state.rewritten.at[jnp.where(better, worst, n + k)].set(update + 1, mode="drop")

        k_mode, k_new = jax.random.split(key)
        replay = jax.random.uniform(k_mode) < self.replay_prob
        mid = state.replace(buffer=buffer, scores=scores, last_seen=last_seen, update=update + 1)
        fresh = jax.lax.cond(replay, lambda: state.fresh, lambda: self.new_batch(k_new, mid))
        rewritten = jnp.where(replay, rewritten, rewritten.at[n:].set(update + 1))
        new_state = mid.replace(fresh=fresh, replay=replay, rewritten=rewritten)
        metrics = {"plr_replay": state.replay.astype(jnp.float32), "plr_inserted": jnp.sum(better),
                   "plr_mean_score": jnp.mean(scores), "plr_max_score": jnp.max(scores)}
        return new_state, metrics


def select_learnable(key, solved, episodes, n_top: int, n_random: int) -> tuple[jax.Array, jax.Array]:
    """Candidate indices for an SFL pool: the ``n_top`` most learnable, then ``n_random`` drawn uniformly.

    Learnability is ``p (1 - p)`` with ``p = solved / episodes`` (0 for a level with no finished
    episode).  Returns ``(indices [n_top + n_random], learnability per candidate)``.
    """
    p = solved / jnp.maximum(episodes, 1)
    learn = p * (1 - p)
    top = jax.lax.top_k(learn, n_top)[1]
    rand = jax.random.choice(key, learn.shape[0], (n_random,), replace=False)
    return jnp.concatenate([top, rand]), learn


@flax.struct.dataclass
class SFLState:
    """SFL's training pool and the learnability statistics of its last selection."""

    pool: LevelPool
    rewritten_at: jax.Array
    learnability: jax.Array  # f32[]: mean p(1-p) of the pool's levels at the last selection
    learnable_fraction: jax.Array  # f32[]: fraction of candidates with 0 < p < 1 at the last selection


class SamplingForLearnability(DomainRandomisation):
    """SFL (see the module docstring)."""

    def __init__(self, size: str, pool_size: int, env, env_params, interval: int = 10, candidates: int = 1024,
                 rollout_steps: int = 256, dr_fraction: float = 0.25, noop_filter: bool = True,
                 episodes: int = 8) -> None:
        super().__init__(size, pool_size, 0, noop_filter)
        self.env, self.env_params = env, env_params
        self.interval, self.candidates, self.rollout_steps = interval, candidates, rollout_steps
        self.copies = episodes
        self.n_dr = int(round(pool_size * dr_fraction))

    def init(self, key):
        levels = self.generate(key, self.pool_size)
        z = jnp.zeros((), jnp.float32)
        return SFLState(pool=LevelPool(levels=levels, logits=jnp.zeros((self.pool_size,), jnp.float32)),
                        rewritten_at=jnp.zeros((self.pool_size,), jnp.int32), learnability=z, learnable_fraction=z)

    def select(self, key, state: SFLState, update, policy, axis=None) -> SFLState:
        """Measure learnability on fresh candidates and rebuild the pool."""
        k_gen, k_play, k_dr = jax.random.split(key, 3)
        cands = self.generate(k_gen, self.candidates)
        plays = jax.tree_util.tree_map(lambda x: jnp.repeat(x, self.copies, axis=0), cands)  # [M * copies]
        if axis is None:
            out = level_outcomes(self.env, self.env_params, policy, plays, k_play, self.rollout_steps)
            episodes, solved = out.episodes, out.solved
        else:  # each device plays its share of the copies
            n_dev = jax.lax.axis_size(axis)
            share = self.candidates * self.copies // n_dev
            i = jax.lax.axis_index(axis)
            mine = jax.tree_util.tree_map(lambda x: jax.lax.dynamic_slice_in_dim(x, i * share, share), plays)
            out = level_outcomes(self.env, self.env_params, policy, mine, jax.random.fold_in(k_play, i),
                                 self.rollout_steps)
            episodes = jax.lax.all_gather(out.episodes, axis, tiled=True)
            solved = jax.lax.all_gather(out.solved, axis, tiled=True)
        episodes = episodes.reshape(self.candidates, self.copies).sum(axis=1)
        solved = solved.reshape(self.candidates, self.copies).sum(axis=1)
        chosen, learn = select_learnable(k_dr, solved, episodes, self.pool_size - self.n_dr, self.n_dr)
        top = chosen[: self.pool_size - self.n_dr]
        return SFLState(pool=state.pool.replace(levels=_take(cands, chosen)),
                        rewritten_at=jnp.full((self.pool_size,), update + 1, jnp.int32),
                        learnability=jnp.mean(learn[top]), learnable_fraction=jnp.mean(learn > 0))

    def update(self, key, state: SFLState, stats, update, policy, axis=None):
        due = (update + 1) % self.interval == 0
        state = jax.lax.cond(due, lambda: self.select(key, state, update, policy, axis), lambda: state)
        return state, {"sfl_learnability": state.learnability, "sfl_learnable_fraction": state.learnable_fraction}


def make_curriculum(cfg, env, env_params) -> Curriculum:
    """The curriculum of a :class:`tumble.agents.config.TrainConfig` (``env`` is the unwrapped :class:`Env`)."""
    c = cfg.curriculum
    size = cfg.env.size
    if c.kind == "fixed":
        return FixedLevels(env_params.pool)
    if c.kind == "dr":
        return DomainRandomisation(size, c.pool_size, c.refresh, c.noop_filter)
    if c.kind in ("plr", "accel"):
        return PrioritisedReplay(size, c.pool_size, c.new_levels, c.replay_prob, c.temperature, c.staleness_coef,
                                 mutate=c.kind == "accel", mutation_fraction=c.mutation_fraction,
                                 noop_filter=c.noop_filter)
    if c.kind == "sfl":
        return SamplingForLearnability(size, c.pool_size, env, env_params, c.sfl_interval, c.sfl_candidates,
                                       c.sfl_rollout_steps, c.sfl_dr_fraction, c.noop_filter, c.sfl_episodes)
    raise ValueError(f"curriculum.kind: unknown curriculum {c.kind!r}")
