"""End-to-end PPO training throughput: env steps per second, rollout and update together.

    python experiments/throughput.py [--envs 256,2048] [--networks mlp,transformer] [--updates 2]

For each network (MLP on flat observations, entity transformer on entity
observations; S levels, the bundled S pool, multi-discrete actions, the paper's
64 steps x 8 epochs x 32 minibatches for the transformer) and batch of
environments: the compile time of one update, then the best of ``--updates``
timed updates. Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

NETWORKS = {
    "mlp": ["env.observation=flat", "network.kind=mlp", "ppo.update_epochs=4", "ppo.num_minibatches=8"],
    "transformer": ["env.observation=entity", "network.kind=transformer", "ppo.update_epochs=8",
                    "ppo.num_minibatches=32"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", default="256,2048")
    ap.add_argument("--networks", default="mlp,transformer")
    ap.add_argument("--updates", type=int, default=2)
    ap.add_argument("--size", default="s")
    ap.add_argument("--paper-ppo", action="store_true", help="8 epochs x 32 minibatches for every network")
    args = ap.parse_args()

    import jax

    from tumble.agents.config import make_config
    from tumble.agents.setup import make_trainer
    from tumble.jax_cache import enable_compilation_cache

    enable_compilation_cache()
    rows = []
    for net in args.networks.split(","):
        for n in (int(x) for x in args.envs.split(",")):
            cfg = make_config(overrides=[f"env.size={args.size}", f"env.levels=bundled:{args.size}",
                                         f"ppo.num_envs={n}", "ppo.num_steps=64", *NETWORKS[net],
                                         *(["ppo.update_epochs=8", "ppo.num_minibatches=32"] if args.paper_ppo else [])])
            trainer = make_trainer(cfg)
            runner = jax.jit(trainer.init)(jax.random.PRNGKey(0))
            update = jax.jit(trainer.update, donate_argnums=0)
            t = time.perf_counter()
            runner, m = update(runner)
            jax.block_until_ready(m)
            compile_s = time.perf_counter() - t
            best = float("inf")
            for _ in range(args.updates):
                t = time.perf_counter()
                runner, m = update(runner)
                jax.block_until_ready(m)
                best = min(best, time.perf_counter() - t)
            rows.append({"network": net, "envs": n, "epochs": cfg.ppo.update_epochs,
                         "minibatches": cfg.ppo.num_minibatches, "steps_per_update": cfg.ppo.batch_size,
                         "first_update_s": round(compile_s, 1), "update_s": round(best, 2),
                         "steps_per_second": round(cfg.ppo.batch_size / best)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\nPPO end to end, size {args.size}, {jax.devices()[0].platform} ({platform.processor() or platform.machine()})")
    print("| network | envs | env steps / update | first update (compile) s | update s | env steps/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['network']} | {r['envs']} | {r['steps_per_update']} | {r['first_update_s']} | {r['update_s']} | "
              f"{r['steps_per_second']:,} |")
    print(json.dumps({"benchmark": "ppo_throughput", "device": jax.devices()[0].device_kind, "rows": rows}))


if __name__ == "__main__":
    main()
