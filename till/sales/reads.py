"""What the screens may read: the journal's entries and Flash's product list, through one door.

The screens hold neither a Flash client nor a Journal; they read through `SaleReads`. It is
built on the journal as soon as that is open (the screens paint before the engine starts) and
is given the engine once it is up, for what only the engine knows (the product list, the API
revision, the slips' header). The look-ups by reference are quick enough for a key press;
the lists (`search`, `open_entries`, `unprinted`, the pick lists built from them) can be slow
on a big journal, so the screens call them from a thread, and they read through the journal's
read-only twin (`Journal.reader()`): a list never sees, or is aborted by, a write in progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from till.journal import Entry, Journal, Reprint
from till.sales.reversal import reversible
from till.sales.vouchers import refunded_amount

if TYPE_CHECKING:
    from till.flash.models import Product
    from till.sales.engine import SaleEngine
    from till.sales.products import Listed
    from till.slips import SlipHeader


class SaleReads:
    """The read side of one till: entries, lists and the product list, never a write."""

    def __init__(self, journal: Journal, engine: SaleEngine | None = None) -> None:
        self._journal = journal
        self._lists = journal.reader()  # opened here, on the event loop, before any thread asks
        #: The engine, once it has started (None before: the journal is read all the same).
        self.engine = engine

    # -- one entry, by reference: quick ------------------------------------------------------

    def get(self, reference: str) -> Entry | None:
        return self._journal.get(reference)

    def find(self, text: str) -> Entry | None:
        """The entry a cashier typed the reference of, in any case."""
        return self._journal.get(text) or self._journal.get(text.upper())

    def related(self, reference: str) -> list[Entry]:
        """Entries that point at this one (refunds, cancels, voids), oldest first."""
        return self._journal.related(reference)

    def reprints(self, reference: str) -> list[Reprint]:
        return self._journal.reprints(reference)

    def refunded(self, redemption_reference: str) -> int:
        """What is already refunded of a 1Voucher redemption, refunds in doubt included."""
        return refunded_amount(self._journal, redemption_reference)

    def reversible(self, reference: str, products: Sequence[Listed] = ()) -> Entry:
        """The sale, when the till may void it; else an InputError that says why."""
        return reversible(
            self._journal, reference, products=products, api_revision=self.api_revision
        )

    def count_open(self) -> int:
        return self._journal.count_open()

    # -- lists: call these from a thread -----------------------------------------------------

    def search(self, *, limit: int = 100, **criteria: Any) -> list[Entry]:
        """`Journal.search`: every criterion narrows, newest first."""
        return self._lists.search(limit=limit, **criteria)

    def open_entries(self) -> list[Entry]:
        """Every sale Flash has not answered yet, oldest first."""
        return self._lists.open_entries()

    def unprinted(self, *, limit: int = 100) -> list[Entry]:
        """Approved sales whose receipt never printed, newest first."""
        return self._lists.unprinted(limit=limit)

    # -- what the engine knows -----------------------------------------------------------------

    @property
    def api_revision(self) -> str | None:
        """The Flash API revision the till speaks; None until the engine has started."""
        return self.engine.client.api_revision if self.engine is not None else None

    @property
    def slip_header(self) -> SlipHeader | None:
        """The header the engine's slips print under; None without an engine or a printer."""
        slips = self.engine.slips if self.engine is not None else None
        return slips.header if slips is not None else None

    async def list_products(self) -> list[Product]:
        """Flash's product list (a FlashError when Flash cannot say)."""
        assert self.engine is not None, "the product list is read once the engine has started"
        return await self.engine.client.list_products()


__all__ = ["SaleReads"]
