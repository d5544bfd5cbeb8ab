"""What the screens may read: the journal's entries and Flash's product list, through one door.

The screens hold neither a Flash client nor a Journal; they read through `SaleReads`. It is
built on the journal as soon as that is open (the screens paint before the engine starts) and
is given the engine once it is up, for what only the engine knows (the product list, the API
revision, the slips' header). The look-ups by reference are quick enough for a key press, and
run on the event loop, where no write is ever half done. The lists (`search`, `open_entries`,
`unprinted`, and the pick lists: `cancellable_cash_out_sales`, `recent_redemptions`) can be
slow on a big journal, so the screens call them from a thread, and every read they make goes
through the journal's read-only twin (`Journal.reader()`): a list never sees, or is aborted by,
a write in progress. The rules the pick lists apply (what was given back, what is refunded)
are here, not in the screens, which only draw what they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from till.flash import client as endpoints
from till.journal import Entry, Journal, Reprint
from till.sales.reversal import cancel_in, reversible
from till.sales.vouchers import redeemed_amount, refunded_amount
from till.words.void import reversal_in

if TYPE_CHECKING:
    from till.flash.models import Product
    from till.sales.engine import SaleEngine
    from till.sales.products import Listed
    from till.slips import SlipHeader


def given_back(related: Sequence[Entry]) -> bool:
    """Whether a Cash Out PIN sale with these entries pointing at it was cancelled, or voided:
    its money was given back either way (unless Flash declined the cancel or the void)."""
    return cancel_in(related) is not None or reversal_in(related) is not None


@dataclass(frozen=True)
class Redemption:
    """A 1Voucher redemption, what it was worth and what of it is already refunded (refunds
    in doubt included: they may yet be approved)."""

    entry: Entry
    redeemed: int
    refunded: int

    @property
    def left(self) -> int:
        """What may still be refunded."""
        return max(0, self.redeemed - self.refunded)


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

    def redemption(self, entry: Entry) -> Redemption:
        """A redemption with what it was worth and what of it is already refunded."""
        return Redemption(entry, redeemed_amount(entry), self.refunded(entry.reference))

    def given_back(self, reference: str) -> bool:
        """Whether this Cash Out PIN sale was cancelled or voided: its money was given back."""
        return given_back(self._journal.related(reference))

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

    def cancellable_cash_out_sales(self, *, limit: int = 20) -> list[Entry]:
        """The latest `limit` approved Cash Out PIN sales, less those given back already."""
        sales = self.search(
            kind=endpoints.CASH_OUT_PIN_PURCHASE.name, state="approved", limit=limit
        )
        return [sale for sale in sales if not given_back(self._lists.related(sale.reference))]

    def recent_redemptions(self, *, limit: int = 20) -> list[Redemption]:
        """The latest `limit` approved 1Voucher redemptions, each with what is refunded of it
        (those refunded in full too: they show with nothing left)."""
        found = self.search(kind=endpoints.ONE_VOUCHER_REDEEM.name, state="approved", limit=limit)
        return [
            Redemption(entry, redeemed_amount(entry), refunded_amount(self._lists, entry.reference))
            for entry in found
        ]

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


__all__ = ["Redemption", "SaleReads", "given_back"]
