"""Benchmark: how long loading level files takes, Tumble against the reference, in one invocation.

Tumble side: ``N`` level files (the bundled library, copied round-robin into a
temporary folder) are (1) parsed and validated with ``load_level``, and (2)
also compiled to arrays and stacked into one batch per size (what an
environment does before its first step).  Reference side: kinetix's own
``load_from_json_file`` on its shipped files, in its own virtual environment.
Prints a table, or one JSON line with ``--json``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

KINETIX_VENV = ("kinetix", ["kinetix-env==3.0.2"])


def _tumble_times(n_files: int) -> dict:
    from tumble.levels import compile_level, load_level, stack_levels
    from tumble.levels.library import bundled_paths

    sources = list(bundled_paths().values())
    if not sources:
        raise RuntimeError("the bundled level library is empty")
    tmp = Path(tempfile.mkdtemp(prefix="tumble-load-"))
    try:
        files = []
        for i in range(n_files):
            src = sources[i % len(sources)]
            dst = tmp / f"{i:05d}_{src.parent.name}_{src.name}"
            shutil.copyfile(src, dst)
            files.append(dst)
        start = time.perf_counter()
        levels = [load_level(f) for f in files]
        parse_s = time.perf_counter() - start
        start = time.perf_counter()
        by_size: dict[str, list] = {}
        for level in levels:
            by_size.setdefault(str(level.size), []).append(compile_level(level))
        batches = {size: stack_levels(group) for size, group in by_size.items()}
        compile_s = time.perf_counter() - start
        assert sum(b.roles.shape[0] for b in batches.values()) == n_files
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"files": n_files, "load_s": parse_s, "load_compile_stack_s": parse_s + compile_s}


def main(n_files: int = 1000, anchor: bool = True, anchor_files: int = 10, json_out: bool = False) -> int:
    """Run the benchmark and print a table (or a JSON line); return an exit code."""
    result = {"benchmark": "levels_load", "tumble": _tumble_times(n_files)}
    if anchor:
        from tumble.bench.anchor_venv import AnchorError, ensure_venv, run_anchor_script

        try:
            python = ensure_venv(*KINETIX_VENV)
            rows = run_anchor_script(python, "kinetix_level_load.py", ["--files", str(anchor_files)], timeout=3600)
            result["reference"] = rows[-1]
        except AnchorError as exc:
            print(f"warning: reference skipped: {exc}", file=sys.stderr)
    t = result["tumble"]
    per_file = t["load_s"] / t["files"]
    ref = result.get("reference")
    if ref:
        result["ratio_per_file"] = ref["mean_s"] / per_file
    if json_out:
        print(json.dumps(result))
        return 0
    print(f"{'':34s} {'files':>6s} {'total s':>9s} {'ms/file':>9s}")
    print(f"{'tumble load_level':34s} {t['files']:6d} {t['load_s']:9.3f} {1e3 * per_file:9.3f}")
    print(f"{'tumble load + compile + stack':34s} {t['files']:6d} {t['load_compile_stack_s']:9.3f} "
          f"{1e3 * t['load_compile_stack_s'] / t['files']:9.3f}")
    if ref:
        print(f"{'kinetix load_from_json_file':34s} {ref['files']:6d} {sum(ref['seconds']):9.3f} "
              f"{1e3 * ref['mean_s']:9.3f}")
        print(f"ratio (reference / tumble, per file load): {result['ratio_per_file']:.0f}x")
    print(json.dumps(result))
    return 0
