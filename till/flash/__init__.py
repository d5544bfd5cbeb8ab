"""Flash Partner API v4: request/response models, a typed async client, and outcome errors.

The names below load on first use (PEP 562), so `till.flash.models` and `till.flash.errors`
can be imported without the client and httpx (~50 ms): `till journal show` reads answers with
the models and never talks to Flash.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from till.flash.client import ENDPOINTS, Endpoint, FlashClient
    from till.flash.errors import (
        FlashAuthError,
        FlashDeclined,
        FlashError,
        FlashInDoubt,
        FlashNotSent,
        FlashUnsupported,
        FlashUnusable,
    )

#: Each public name -> the module that defines it.
_WHERE = {
    "ENDPOINTS": "till.flash.client",
    "Endpoint": "till.flash.client",
    "FlashClient": "till.flash.client",
    "FlashAuthError": "till.flash.errors",
    "FlashDeclined": "till.flash.errors",
    "FlashError": "till.flash.errors",
    "FlashInDoubt": "till.flash.errors",
    "FlashNotSent": "till.flash.errors",
    "FlashUnsupported": "till.flash.errors",
    "FlashUnusable": "till.flash.errors",
}

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "FlashAuthError",
    "FlashClient",
    "FlashDeclined",
    "FlashError",
    "FlashInDoubt",
    "FlashNotSent",
    "FlashUnsupported",
    "FlashUnusable",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
