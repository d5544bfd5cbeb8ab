"""Flash Partner API v4: request/response models, a typed async client, and outcome errors.

The names below load on first use (PEP 562), so `till.flash.models` and `till.flash.errors`
can be imported without the client and httpx (~50 ms): `till journal show` reads answers with
the models and never talks to Flash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from till.lazy import LazyNames

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


_lazy = LazyNames(globals(), _WHERE)


def __getattr__(name: str) -> Any:
    return _lazy.get(name)


def __dir__() -> list[str]:
    return _lazy.names()
