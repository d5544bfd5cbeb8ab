"""Cash Out PIN: sell one, cancel one this till sold (never twice, never after a void), and
look one up by serial number.
"""

from __future__ import annotations

from till.flash import client as endpoints
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    FlashRequest,
)
from till.outcome import InputError, Outcome
from till.sales import reversal
from till.sales.settle import Settling
from till.words.void import reversal_in


class CashOut(Settling):
    """The Cash Out PIN transactions."""

    async def sell_cash_out_pin(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        return await self._sell_product(
            endpoints.CASH_OUT_PIN_PURCHASE,
            CashOutPinPurchaseRequest,
            product_code,
            amount,
            approved_by,
        )

    async def cancel_cash_out_pin(
        self, purchase_reference: str, *, approved_by: str | None = None
    ) -> Outcome:
        """Cancel a Cash Out PIN this till sold, found by its purchase reference."""
        purchase = self.journal.get(purchase_reference)
        if purchase is None or purchase.kind != endpoints.CASH_OUT_PIN_PURCHASE.name:
            raise InputError(f"{purchase_reference} is not a Cash Out PIN sale on this till")
        if purchase.state != "approved" or not purchase.serial_number:
            raise InputError(f"Cash Out PIN sale {purchase_reference} was not approved")
        self._check_not_undone(purchase_reference)
        serial = purchase.serial_number
        product_code = purchase.product_code

        def factory(reference: str) -> FlashRequest:
            # Again inside the journal's write transaction: no cancel or void got in meanwhile.
            self._check_not_undone(purchase_reference)
            return CashOutPinCancelRequest(
                reference=reference,
                serial_number=serial,
                product_code=product_code,
                metadata={"cancelOf": purchase_reference},
                **self._common(),
            )

        return await self._run(
            endpoints.CASH_OUT_PIN_CANCEL,
            factory,
            amount=purchase.amount,
            product_code=product_code,
            serial_number=serial,
            related_reference=purchase_reference,
            approved_by=approved_by,
        )

    def _check_not_undone(self, purchase_reference: str) -> None:
        """InputError when this Cash Out PIN sale has a cancel or a void that stands."""
        related = self.journal.related(purchase_reference)
        if reversal.cancel_in(related) is not None:
            raise InputError(f"Cash Out PIN sale {purchase_reference} is already cancelled")
        if reversal_in(related) is not None:
            raise InputError(
                f"Cash Out PIN sale {purchase_reference} was voided: nothing to cancel"
            )

    async def lookup_cash_out_pin(self, serial_number: str, product_code: int) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return CashOutPinLookupRequest(
                reference=reference,
                account_number=self.client.account_number,
                serial_number=serial_number,
                product_code=product_code,
            )

        return await self._run(
            endpoints.CASH_OUT_PIN_LOOKUP,
            factory,
            product_code=product_code,
            serial_number=serial_number,
        )
