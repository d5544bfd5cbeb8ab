"""Flash Partner API v4: request/response models, a typed async client, and outcome errors."""

from till.flash.client import ENDPOINTS, Endpoint, FlashClient
from till.flash.errors import (
    FlashAuthError,
    FlashDeclined,
    FlashError,
    FlashInDoubt,
    FlashNotSent,
    FlashUnusable,
)

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "FlashAuthError",
    "FlashClient",
    "FlashDeclined",
    "FlashError",
    "FlashInDoubt",
    "FlashNotSent",
    "FlashUnusable",
]
