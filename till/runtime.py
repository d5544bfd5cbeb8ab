"""Builds what a till runs on from its settings: the Flash client, the journal, the engine."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from till.config.paths import catalog_file, journal_file
from till.config.quick import read_for_readers

if TYPE_CHECKING:  # imported where used, so the screens can start before them
    from receipts import Document, ReceiptPrinter
    from till.config.settings import Settings
    from till.flash import FlashClient
    from till.journal import Journal
    from till.sales import SaleEngine
    from till.slips import SlipHeader
    from till.staff import ApprovalPolicy, UserStore

#: The base URL the in-process training sandbox answers on (never leaves the process).
TRAINING_BASE_URL = "http://training.sandbox.invalid"


@asynccontextmanager
async def open_flash_client(
    settings: Settings, *, loopback: bool = False
) -> AsyncIterator[FlashClient]:
    """In training mode the till talks to its own sandbox and needs no key.

    `loopback` serves that sandbox over real HTTP on 127.0.0.1 (as the screens use it, so
    timeouts and dropped connections behave as with Flash); otherwise it runs in process.
    """
    from till.flash import FlashClient

    if not settings.training.enabled:
        async with FlashClient.from_settings(settings.flash) as client:
            yield client
        return
    import asyncio  # here: `till journal` reads through this module and never needs it

    from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox, running_sandbox

    revision = settings.flash.api_revision  # training speaks the revision the till is set to
    sandbox = Sandbox(revision=revision)
    with contextlib.ExitStack() as stack:
        if loopback:
            base_url = await asyncio.to_thread(stack.enter_context, running_sandbox(sandbox))
            transport = None
        else:
            base_url, transport = TRAINING_BASE_URL, sandbox.transport()
        async with FlashClient(
            base_url=base_url,
            api_key=DEFAULT_API_KEY,
            account_number=DEFAULT_ACCOUNT,
            transport=transport,
            connect_timeout=settings.flash.connect_timeout,
            read_timeout=settings.flash.read_timeout,
            api_revision=revision,
        ) as client:
            yield client


def open_receipt_printer(settings: Settings) -> ReceiptPrinter | None:
    """The configured printer (nothing is opened until the first receipt), or None for 'none'."""
    cfg = settings.printer
    if cfg.kind == "none":
        return None
    from receipts import open_printer

    return open_printer(
        cfg.kind,
        profile=cfg.profile,
        columns=cfg.columns,
        usb_vendor_id=cfg.usb_vendor_id,
        usb_product_id=cfg.usb_product_id,
        serial_device=cfg.serial_device,
        baudrate=cfg.baudrate,
        host=cfg.host,
        port=cfg.port,
        timeout=cfg.timeout,
        device=cfg.device,
        cups_name=cfg.cups_name,
        preview_path=cfg.preview_path,
    )


def slip_header(settings: Settings) -> SlipHeader:
    """The top of every slip, with the products named as the till's cached catalog names them
    (the Sell screen saves it beside the journal; without it, slips name products by kind)."""
    from till.slips import SlipHeader, catalog_names

    try:
        products = catalog_names(catalog_path(settings).read_bytes())
    except OSError:
        products = {}
    return SlipHeader(
        store_name=settings.till.store_name or settings.till.store_id,
        address_lines=tuple(settings.till.address_lines),
        vat_number=settings.till.vat_number,
        terminal_id=settings.till.terminal_id,
        products=products,
    )


def receipt_preview(settings: Settings, document: Document) -> str:
    """What this till's printer prints, as text: its columns, and a barcode only where it
    prints one. Every preview on a screen or a terminal comes from here."""
    from receipts.escpos import preview_text

    return preview_text(document, settings.printer.profile, settings.printer.columns)


def catalog_path(settings: Settings) -> Path:
    """The product list the screens cache beside the journal (`catalog.json`, training's its
    own)."""
    return catalog_file(journal_path(settings))


def reader_journal_path(config: Path | None) -> Path:
    """The journal a command that only reads it opens (`till journal ...`), from the quick read
    of the config when it can be sure (`till.config.quick.read_for_readers`: no pydantic), else
    from the validated settings. Either way the till's zone and log file are set, as
    `load_settings` sets them, before anything is read."""
    from till import clock, logfile
    from till.config.sources import read_config_file

    config_file = read_config_file(config)
    view = read_for_readers(config_file)
    if view is None:
        from till.config.settings import load_settings

        return journal_path(load_settings(config_file, need_flash=False))
    logfile.settings_loaded(view.log)
    clock.use_zone(view.timezone)
    return view.journal_path


def journal_path(settings: Settings) -> Path:
    """Training sales go to their own file, so they can never be resent to the real Flash."""
    return journal_file(settings.journal.resolved_path(), training=settings.training.enabled)


def users_path(settings: Settings) -> Path:
    """One users file for live and training: the same people train and sell."""
    if settings.staff.users_path is not None:
        return settings.staff.users_path.expanduser()
    return settings.journal.resolved_path().with_name("users.sqlite3")


def open_users(settings: Settings) -> UserStore:
    from till.staff import UserStore

    return UserStore(
        users_path(settings),
        max_attempts=settings.staff.max_pin_attempts,
        lockout_ms=settings.staff.lockout_minutes * 60_000,
    )


def approval_policy(settings: Settings) -> ApprovalPolicy | None:
    """Approvals apply only when the till has staff sign-in."""
    if not settings.staff.enabled:
        return None
    from till.staff import ApprovalPolicy

    return ApprovalPolicy(sale_limit=settings.staff.approval_above_cents)


@asynccontextmanager
async def open_engine(
    settings: Settings,
    *,
    cashier: str | None = None,
    printer: ReceiptPrinter | Literal["configured"] | None = "configured",
    loopback: bool = False,
    journal: Journal | None = None,
) -> AsyncIterator[SaleEngine]:
    """The sale engine on this till's journal, Flash and printer, closed together.

    A `journal` already open (the screens open it first, to show it sooner) is used and left
    open; otherwise the till's journal is opened and closed here.

    Selling starts with every page of the journal read (`PRAGMA quick_check`): a one-shot
    command checks before its sale; the screens, open all day, check in the background and
    the journal refuses every sale from the moment a bad page is found (see `Journal.open`).
    """
    from till.journal import Journal
    from till.sales import SaleEngine

    if printer == "configured":
        printer = open_receipt_printer(settings)
    own = journal is None
    if journal is None:
        journal = Journal.open(journal_path(settings), check="full")
    else:
        journal.check_in_background()
    try:
        async with open_flash_client(settings, loopback=loopback) as client:
            engine = SaleEngine(
                journal,
                client,
                store_id=settings.till.store_id,
                terminal_id=settings.till.terminal_id,
                training=settings.training.enabled,
                cashier=cashier,
                policy=approval_policy(settings),
            )
            if printer is not None:
                from till.sales.printing import SlipPrinter

                engine.slips = SlipPrinter(
                    journal,
                    printer,
                    slip_header(settings),
                    clock=engine.clock,
                    drawer_kick=settings.printer.drawer_kick,
                )
            yield engine
    finally:
        if own:
            journal.close()
