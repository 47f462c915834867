"""Run Tumble's physics fidelity scenarios and print a pass/fail table.

    python benchmarks/scenarios.py                  # all scenarios: table, then one JSON line
    python benchmarks/scenarios.py --only pendulum  # one scenario (repeat --only or use commas for more)
    python benchmarks/scenarios.py --json           # the JSON line only

The scenes, metrics and thresholds are those of ``shared/physics-scenarios.md``;
the implementation is :mod:`tumble.bench.scenarios`.  Exit status is 0 when every
scenario run passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

try:
    from tumble.bench.scenarios import SCENARIOS, run_scenario
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from tumble.bench.scenarios import SCENARIOS, run_scenario


def fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def jsonable(v: Any) -> Any:
    """Replace non-finite floats by strings so the line is strict JSON."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def table(results: list[dict[str, Any]]) -> str:
    rows = [("scenario", "metric", "value", "PASS/FAIL")]
    for r in results:
        name = r["scenario"]
        for metric, value in r["metrics"].items():
            crit = r["criteria"].get(metric)
            status = "" if crit is None else ("FAIL" if metric in r["failed"] else "PASS") + f" ({crit})"
            rows.append((name, metric, fmt(value), status))
            name = ""
        verdict = "PASS" if r["passed"] else "FAIL (" + ", ".join(r["failed"]) + ")"
        rows.append(("", "PASS?", f"{r['wall_s']:.1f} s", verdict))
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", default=None, metavar="NAME",
                    help=f"run only this scenario (repeatable, comma-separated ok): {', '.join(SCENARIOS)}")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args(argv)

    names = list(SCENARIOS)
    if args.only:
        names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            ap.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")

    results = []
    for n in names:
        if not args.json:
            print(f"running {n} ...", file=sys.stderr, flush=True)
        results.append(run_scenario(n))

    if not args.json:
        print(table(results))
        n_pass = sum(r["passed"] for r in results)
        print(f"\n{n_pass}/{len(results)} checks pass")
        for r in results:
            for note in r.get("notes", []):
                print(f"note [{r['scenario']}]: {note}")
    print(json.dumps(jsonable(results), separators=(",", ":")))
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
