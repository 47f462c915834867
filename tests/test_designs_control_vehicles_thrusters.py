"""The classic control, vehicles and thrusters builder scripts and their level files stay in step.

Building a level is plain Python (no physics), so this is quick; replaying the
certificates is the library test's job (``tests/test_library.py``).
"""

from __future__ import annotations

import pytest

from tumble.levels.designs import DESIGNS
from tumble.levels.library import bundled_paths, load_bundled

MODULES = ("classic_control", "vehicles", "thrusters")
NAMES = sorted(n for n, d in DESIGNS.items() if d.build.__module__.rsplit(".", 1)[-1] in MODULES)


def test_these_families_have_their_share_of_the_library():
    sizes = [DESIGNS[n].size for n in NAMES]
    assert sizes.count("s") >= 5 and sizes.count("m") >= 8 and sizes.count("l") >= 8, sizes
    assert {DESIGNS[n].family for n in NAMES} == {"classic control", "vehicles", "thrusters"}


@pytest.mark.parametrize("name", NAMES)
def test_the_stored_file_is_what_the_builder_makes(name):
    design = DESIGNS[name]
    level, _ = design.make()
    assert name in bundled_paths(design.size), f"no file for {name}: run `python -m tumble.levels.designs {name}`"
    stored = load_bundled(name)
    assert stored.certificate is not None
    assert stored.replace(certificate=None) == level, (
        f"{name}: the builder and the stored file differ; rerun `python -m tumble.levels.designs {name}`")
