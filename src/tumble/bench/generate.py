"""Generator benchmark: levels/s of Tumble's procedural generator, side by side with the reference's.

For each size and batch it times :func:`tumble.levels.generate_batch` ("raw": one
jitted call making ``batch`` levels) and :func:`tumble.levels.generate_filtered`
("filtered": ``batch`` levels that the no-op action does not solve in 64 env steps,
candidates replayed with the engine).  Compile time is tracing plus XLA compilation
plus the first call, as wall-clock seconds and as this process's CPU seconds (a figure
that machine load inflates less); the rate is over at least ``repeats`` further calls
with fresh keys, and at least one second of them.  The
reference's own sampler (kinetix-env 3.0.2, ``sample_kinetix_level``, and its no-op
filtered sampler) runs in its own virtual environment through
:mod:`tumble.bench.anchor_venv` and the anchor script ``kinetix_generator.py``, in the
same invocation, timed the same way; the ratio is Tumble's rate over the reference's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Iterable

import jax

from tumble.levels.generator import generate_batch
from tumble.levels.noop_filter import generate_filtered, pool_size

KINETIX_VENV = ("kinetix", ["kinetix-env==3.0.2"])
MODES = ("raw", "filtered")
MIN_TIME = 1.0  # seconds of timed calls at least (small batches take many calls), on both sides


def _call(mode: str, key, size: str, batch: int):
    if mode == "raw":
        return generate_batch(key, size, batch)
    return generate_filtered(key, size, batch)


def time_tumble(size: str, batch: int, mode: str = "raw", repeats: int = 3, seed: int = 0,
                min_time: float = MIN_TIME) -> dict:
    """One row: Tumble's generator at ``batch`` levels per call."""
    key = jax.random.PRNGKey(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    jax.block_until_ready(_call(mode, key, size, batch))
    compile_s, compile_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    per_call: list[float] = []
    while len(per_call) < repeats or sum(per_call) < min_time:  # fast calls: repeat for at least min_time s
        sub = jax.random.fold_in(key, len(per_call) + 1)
        ts = time.perf_counter()
        jax.block_until_ready(_call(mode, sub, size, batch))
        per_call.append(time.perf_counter() - ts)
    row = {"engine": "tumble", "mode": mode, "size": size, "batch": batch, "repeats": len(per_call),
           "levels_per_s": batch * len(per_call) / sum(per_call), "best_levels_per_s": batch / min(per_call),
           "compile_s": compile_s, "compile_cpu_s": compile_cpu_s,
           "loadavg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    if mode == "filtered":
        row["pool"] = pool_size(batch, size)
    return row


def _anchor_rows(size: str, batches: list[int], modes: list[str], repeats: int) -> dict[tuple[str, int], dict]:
    from tumble.bench.anchor_venv import ensure_venv, run_anchor_script

    python = ensure_venv(*KINETIX_VENV)
    args = ["--size", size, "--batch", *map(str, batches), "--mode", *modes, "--repeats", str(repeats),
            "--min-time", str(MIN_TIME)]
    rows = run_anchor_script(python, "kinetix_generator.py", args, timeout=4 * 3600)
    return {(r["mode"], r["batch"]): r for r in rows if "levels_per_s" in r}


def main(sizes: Iterable[str] = ("m",), batches: Iterable[int] = (1, 256, 4096), modes: Iterable[str] = MODES,
         json_out: bool = False, anchor: bool = True, repeats: int = 3) -> list[dict]:
    """Run the benchmark, print a table (or JSON lines with ``json_out``) and return the rows."""
    batches = [int(b) for b in batches]
    modes = [m for m in MODES if m in set(modes)]
    rows: list[dict] = []
    for size in sizes:
        size = size.lower()
        anchors: dict[tuple[str, int], dict] = {}
        if anchor:
            try:
                anchors = _anchor_rows(size, batches, modes, repeats)
            except Exception as exc:  # the anchor is optional: report, keep going
                print(f"[anchor kinetix generator unavailable for size {size}: {exc}]", file=sys.stderr)
        for mode in modes:
            for batch in batches:
                row = time_tumble(size, batch, mode, repeats)
                ref = anchors.get((mode, batch))
                if ref:
                    row["anchor_levels_per_s"] = ref["levels_per_s"]
                    row["anchor_best_levels_per_s"] = ref.get("best_levels_per_s")
                    row["anchor_compile_s"] = ref.get("compile_s")
                    row["anchor_compile_cpu_s"] = ref.get("compile_cpu_s")
                    row["ratio"] = row["levels_per_s"] / ref["levels_per_s"]
                rows.append(row)
                if json_out:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"[{size} {mode} batch {batch}: {row['levels_per_s']:,.0f} levels/s]", file=sys.stderr,
                          flush=True)
    if not json_out:
        _print_table(rows)
        print(json.dumps({"benchmark": "generate", "device": str(jax.devices()[0]), "rows": rows}))
    return rows


def _fmt(x, spec=",.0f"):
    return "-" if x is None else format(x, spec)


def _print_table(rows: list[dict]) -> None:
    print(f"{'size':>4} {'mode':>8} {'batch':>6} {'tumble levels/s':>16} {'compile s (cpu)':>16} "
          f"{'kinetix levels/s':>16} {'kinetix compile s (cpu)':>24} {'ratio':>7}")

    def both(r, p):
        return f"{_fmt(r.get(p + 'compile_s'), '.1f')} ({_fmt(r.get(p + 'compile_cpu_s'), '.1f')})"

    for r in rows:
        print(f"{r['size']:>4} {r['mode']:>8} {r['batch']:>6} {_fmt(r['levels_per_s']):>16} {both(r, ''):>16} "
              f"{_fmt(r.get('anchor_levels_per_s')):>16} {both(r, 'anchor_'):>24} {_fmt(r.get('ratio'), '.1f'):>7}")
