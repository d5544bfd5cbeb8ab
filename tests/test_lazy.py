"""The packages whose names load on first use (`till.lazy.LazyNames`): each public name is
served, from the module the map names, and a map that drifts from `__all__` is refused."""

from __future__ import annotations

import importlib

import pytest

from till.lazy import LazyNames

LAZY_PACKAGES = ("till.config", "till.flash", "till.flash.models")


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_every_public_name_is_served_from_its_module(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__
    for public in package.__all__:
        value = getattr(package, public)
        assert value is getattr(importlib.import_module(package._WHERE[public]), public)
    assert set(package.__all__) <= set(dir(package))


def test_a_map_that_drifts_from_all_is_refused() -> None:
    namespace = {"__name__": "pkg", "__all__": ["Kept", "Forgotten"]}
    with pytest.raises(ImportError, match=r"pkg: __all__ and the lazy map differ: \['Forgotten'"):
        LazyNames(namespace, {"Kept": "pkg.kept", "Stray": "pkg.stray"})
    with pytest.raises(AttributeError, match="no attribute 'Missing'"):
        LazyNames({"__name__": "pkg", "__all__": ["Kept"]}, {"Kept": "pkg.kept"}).get("Missing")
