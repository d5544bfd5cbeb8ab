"""What the screens and widgets need of the app they run in, as protocols.

Screens and widgets name these rather than the app classes, so the apps can import their
screens without the screens importing the apps back (no import circle): `StaffHost` is what the
sign-in screens need (the till's app and the service desk's are both one), `BarHost` what the
top bar shows, `TillHost` what the till's screens use, `DeskHost` what the service desk's use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from textual.screen import Screen

    from receipts import Document
    from till.central.desk import Desk
    from till.config import Settings
    from till.journal import Entry
    from till.sales import SaleEngine
    from till.sales.reads import SaleReads
    from till.slips import SlipHeader
    from till.staff import Role, User
    from till.tui.catalog import SaleItem
    from till.tui.messages import Call, SlipPrinted

T = TypeVar("T")


class BarHost(Protocol):
    """The top bar's words: whether this is training, and where and who this is."""

    @property
    def training(self) -> bool: ...

    @property
    def identity_text(self) -> str: ...


class StaffHost(Protocol):
    """An app a cashier signs in to (`till.tui.staffing.StaffedApp`)."""

    @property
    def cashier(self) -> str | None: ...

    async def verify_user(self, user_id: str, pin: str, *, role: Role = "cashier") -> User: ...

    def signed_in(self, user: User) -> None: ...

    def unlocked(self, user: User) -> None: ...


class TillHost(BarHost, StaffHost, Protocol):
    """The till's app (`till.tui.app.TillApp`) as its screens use it: reads through `reads`,
    transactions through `transact`, other engine work through `run_engine`."""

    open_count: int

    @property
    def catalog(self) -> tuple[SaleItem, ...]: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def staff_enabled(self) -> bool: ...

    @property
    def ready(self) -> bool: ...

    @property
    def engine(self) -> SaleEngine: ...

    @property
    def reads(self) -> SaleReads: ...

    def now(self) -> int: ...

    def transact(self, screen: Screen[None], call: Call) -> bool: ...

    def run_engine(self, call: Callable[[SaleEngine], Awaitable[object]]) -> None: ...

    async def ask_approval(self, reason: str) -> str | None: ...


class DeskHost(Protocol):
    """What the desk's screens need of the desk's app (`till.tui.desk.DeskApp`)."""

    @property
    def identity_text(self) -> str: ...

    @property
    def link(self) -> str: ...

    @property
    def header(self) -> SlipHeader: ...

    async def ask(self, call: Callable[[Desk], T]) -> T: ...

    def preview(self, document: Document) -> str: ...

    def cannot_reprint(self, entry: Entry) -> str | None: ...

    def reprint(self, screen: Screen[None], reference: str) -> None: ...

    def printed_text(self, message: SlipPrinted) -> str: ...


__all__ = ["BarHost", "DeskHost", "StaffHost", "TillHost"]
