"""Every bundled level file is exactly what its builder script makes (apart from the stored certificate).

Building a level is plain Python (no physics), so this is quick; replaying the
certificates is the library test's job (``tests/test_library.py``).
"""

from __future__ import annotations

import pytest

from tumble.levels.designs import DESIGNS
from tumble.levels.library import bundled_paths, load_bundled


def test_every_file_has_a_design_and_every_design_a_file():
    files = set(bundled_paths())
    assert files == set(DESIGNS), {"files without a design": sorted(files - set(DESIGNS)),
                                   "designs without a file": sorted(set(DESIGNS) - files)}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_the_stored_file_is_what_the_builder_makes(name):
    design = DESIGNS[name]
    level, _ = design.make()
    assert name in bundled_paths(design.size), f"no file for {name}: run `python -m tumble.levels.designs {name}`"
    stored = load_bundled(name)
    assert stored.certificate is not None
    assert stored.replace(certificate=None) == level, (
        f"{name}: the builder and the stored file differ; rerun `python -m tumble.levels.designs {name}`")
