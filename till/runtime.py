"""Builds the Flash client a till should use: the real Flash, or the built-in training sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from till.config import Settings
from till.flash import FlashClient

#: The base URL the in-process training sandbox answers on (never leaves the process).
TRAINING_BASE_URL = "http://training.sandbox.invalid"


@asynccontextmanager
async def open_flash_client(settings: Settings) -> AsyncIterator[FlashClient]:
    """In training mode the till talks to an in-process sandbox and needs no key."""
    if settings.training.enabled:
        from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox

        sandbox = Sandbox()
        client = FlashClient(
            base_url=TRAINING_BASE_URL,
            api_key=DEFAULT_API_KEY,
            account_number=DEFAULT_ACCOUNT,
            transport=sandbox.transport(),
        )
    else:
        client = FlashClient.from_settings(settings.flash)
    async with client:
        yield client
