"""A package's public names imported from their modules on first use (PEP 562), so importing the
package costs nothing until a name is used: one-shot commands start without pydantic or httpx."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


class LazyNames:
    """Serves a package's module-level `__getattr__` and `__dir__` from a name -> module map."""

    def __init__(self, namespace: dict[str, Any], where: Mapping[str, str]) -> None:
        # The tools need `__all__` written out beside the map: the two must name the same.
        public = set(namespace.get("__all__", ()))
        if public != set(where):
            odd = sorted(public.symmetric_difference(where))
            raise ImportError(
                f"{namespace.get('__name__')}: __all__ and the lazy map differ: {odd}"
            )
        self._namespace = namespace
        self._where = where

    def get(self, name: str) -> Any:
        where = self._where.get(name)
        if where is None:
            package = self._namespace.get("__name__")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where), name)
        self._namespace[name] = value  # the next lookup is a plain module attribute
        return value

    def names(self) -> list[str]:
        return sorted(set(self._namespace) | set(self._namespace.get("__all__", ())))
