"""Anchor benchmark: levels per second of the reference's procedural level generator.

Standalone: run by the kinetix anchor environment's python (it needs ``kinetix-env``),
never imports tumble.

For one size (s, m or l) it times kinetix's own sampler, ``sample_kinetix_level``
(through ``make_reset_fn_sample_kinetix_level`` with default ``UEDParams``), as
``jax.jit(jax.vmap(sampler))`` over ``batch`` keys ("raw"), and its no-op filtered
sampler (``make_vmapped_filtered_level_sampler`` with the training configuration's
``level_filter_n_steps = 64`` and ``level_filter_sample_ratio = 2``, on a
multi-discrete, symbolic-flat env) for ``batch`` levels ("filtered").  Compile time is
tracing plus XLA compilation plus the first call (wall and process CPU seconds); the
rate is over at least ``repeats`` further calls with fresh keys, and at least
``min_time`` seconds of them.

Prints one JSON line per (mode, batch).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time


def _version(dist: str):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=["s", "m", "l"], required=True)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 256, 4096])
    ap.add_argument("--mode", choices=["raw", "filtered"], nargs="+", default=["raw", "filtered"])
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per batch, at least")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timed calls per batch, at least")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main() -> None:
    args = parse_args()

    import jax
    from kinetix.environment.env import make_kinetix_env
    from kinetix.environment.env_state import EnvParams
    from kinetix.environment.spaces import ActionType, ObservationType
    from kinetix.environment.ued.ued import make_reset_fn_sample_kinetix_level, make_vmapped_filtered_level_sampler
    from kinetix.environment.utils import static_env_params_from_size

    size = args.size
    static_params = static_env_params_from_size(size)
    env_params = EnvParams()
    sampler = make_reset_fn_sample_kinetix_level(env_params, static_params)
    key = jax.random.PRNGKey(args.seed)

    def report(mode, batch, compile_s, compile_cpu_s, per_call):
        print(json.dumps({
            "engine": "kinetix", "mode": mode, "size": size, "batch": batch, "repeats": len(per_call),
            "levels_per_s": batch * len(per_call) / sum(per_call), "best_levels_per_s": batch / min(per_call),
            "compile_s": compile_s, "compile_cpu_s": compile_cpu_s,
            "loadavg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "jax": jax.__version__, "kinetix_env": _version("kinetix-env"), "jax2d": _version("jax2d"),
            "backend": jax.default_backend(), "python": platform.python_version(),
        }), flush=True)

    for mode in args.mode:
        if mode == "raw":
            fn = jax.jit(jax.vmap(sampler))
            make_args = lambda k, b: (jax.random.split(k, b),)  # noqa: E731
        else:
            env = make_kinetix_env(ActionType.MULTI_DISCRETE, ObservationType.SYMBOLIC_FLAT, None, env_params,
                                   static_params)
            config = {"filter_levels": True, "level_filter_sample_ratio": 2, "env_size_name": size,
                      "level_filter_n_steps": 64}
            fn = make_vmapped_filtered_level_sampler(sampler, env_params, static_params, config, env)
            make_args = lambda k, b: (k, b)  # noqa: E731
        for batch in args.batch:
            key, sub = jax.random.split(key)
            call_args = make_args(sub, batch)
            jax.block_until_ready(call_args[0])
            t0, c0 = time.perf_counter(), time.process_time()
            jax.block_until_ready(fn(*call_args))
            compile_s, compile_cpu_s = time.perf_counter() - t0, time.process_time() - c0
            per_call = []
            while len(per_call) < args.repeats or sum(per_call) < args.min_time:
                key, sub = jax.random.split(key)
                call_args = make_args(sub, batch)
                jax.block_until_ready(call_args[0])
                ts = time.perf_counter()
                jax.block_until_ready(fn(*call_args))
                per_call.append(time.perf_counter() - ts)
            report(mode, batch, compile_s, compile_cpu_s, per_call)


if __name__ == "__main__":
    main()
