"""Builds what a till runs on from its settings: the Flash client, the journal, the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from till.config import Settings
from till.flash import FlashClient
from till.journal import Journal
from till.sales import SaleEngine

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


def journal_path(settings: Settings) -> Path:
    """Training sales go to their own file, so they can never be resent to the real Flash."""
    path = settings.journal.resolved_path()
    if settings.training.enabled:
        return path.with_name(f"{path.stem}-training{path.suffix}")
    return path


@asynccontextmanager
async def open_engine(
    settings: Settings, *, cashier: str | None = None
) -> AsyncIterator[SaleEngine]:
    """The sale engine on this till's journal and Flash, closed together."""
    journal = Journal.open(journal_path(settings))
    try:
        async with open_flash_client(settings) as client:
            yield SaleEngine(
                journal,
                client,
                store_id=settings.till.store_id,
                terminal_id=settings.till.terminal_id,
                training=settings.training.enabled,
                cashier=cashier,
            )
    finally:
        journal.close()
