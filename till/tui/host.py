"""What the screens and widgets need of the app they run in, as protocols.

Screens and widgets name these rather than the app classes, so the apps can import their
screens without the screens importing the apps back (no import circle): `StaffHost` is what the
sign-in screens need (the till's app and the service desk's are both one), `BarHost` what the
top bar shows, `TillHost` what the till's screens use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from till.config import Settings
    from till.sales import SaleEngine
    from till.sales.reads import SaleReads
    from till.staff import Role, User
    from till.tui.catalog import SaleItem
    from till.tui.messages import Call


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


__all__ = ["BarHost", "StaffHost", "TillHost"]
