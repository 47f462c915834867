"""``python -m tumble.levels.designs [NAME ...]``: rebuild (and re-certify) the bundled level files."""

from __future__ import annotations

import sys
import time

from tumble.levels.codec import save_level
from tumble.levels.designs import DESIGNS
from tumble.levels.designs.certify import CertificateError, certify
from tumble.levels.library import library_dir


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in DESIGNS]
    if unknown:
        print(f"unknown designs: {', '.join(unknown)}", file=sys.stderr)
        return 2
    failures = 0
    for name in names or sorted(DESIGNS):
        d = DESIGNS[name]
        start = time.perf_counter()
        try:
            level = certify(*d.make())
        except CertificateError as exc:
            print(f"FAIL {name}: {exc}")
            failures += 1
            continue
        path = save_level(level, library_dir() / d.size / f"{name}.json")
        print(f"ok   {name:28s} {d.size} solved in {level.certificate.steps:3d} steps "
              f"({time.perf_counter() - start:.1f} s) -> {path.name}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
