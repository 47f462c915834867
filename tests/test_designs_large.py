"""The large hand-made levels' builder scripts and their bundled files stay in step."""

import pytest

from tumble.levels.codec import load_level
from tumble.levels.designs import DESIGNS
from tumble.levels.library import library_dir

LARGE = sorted(name for name, d in DESIGNS.items() if d.build.__module__ == "tumble.levels.designs.large")


def test_the_large_module_has_its_levels():
    assert len(LARGE) >= 9
    assert all(DESIGNS[name].size == "l" for name in LARGE)


@pytest.mark.parametrize("name", LARGE)
def test_builder_matches_stored_file(name):
    d = DESIGNS[name]
    built, _ = d.make()
    stored = load_level(library_dir() / d.size / f"{name}.json")
    assert stored.certificate is not None and stored.certificate.steps <= stored.episode_length
    assert built.replace(certificate=None) == stored.replace(certificate=None)
