"""1Voucher (sell, disburse, redeem, refund), gift and Eezi vouchers and pinless airtime: one
method per sale, each a request built inside the journal's transaction.
"""

from __future__ import annotations

from till.digits import ungroup
from till.flash import client as endpoints
from till.flash.models import (
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    FlashRequest,
    GiftVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
)
from till.journal import Entry, Reads
from till.money import format_rands
from till.outcome import InputError, Outcome
from till.phone import normalize_mobile
from till.sales.settle import Settling


def redeemed_amount(redemption: Entry) -> int:
    """What a redemption was worth: a full one is journaled as 0, and Flash's answer says."""
    return int((redemption.response or {}).get("amount") or redemption.amount or 0)


def refunded_amount(journal: Reads, redemption_reference: str) -> int:
    """Refunds made against a redemption, in doubt ones included (they may yet be approved)."""
    return sum(
        e.amount or 0
        for e in journal.related(redemption_reference)
        if e.kind == endpoints.ONE_VOUCHER_REFUND.name and e.state != "declined"
    )


class Vouchers(Settling):
    """The voucher and airtime sales."""

    # -- 1Voucher ----------------------------------------------------------------------------

    async def sell_1voucher(self, amount: int, *, approved_by: str | None = None) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return OneVoucherPurchaseRequest(reference=reference, amount=amount, **self._common())

        return await self._run(
            endpoints.ONE_VOUCHER_PURCHASE, factory, amount=amount, approved_by=approved_by
        )

    async def disburse_1voucher(self, amount: int, *, approved_by: str | None = None) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return OneVoucherDisburseRequest(reference=reference, amount=amount, **self._common())

        return await self._run(
            endpoints.ONE_VOUCHER_DISBURSE, factory, amount=amount, approved_by=approved_by
        )

    async def redeem_1voucher(
        self, pin: str, amount: int = 0, *, mobile_number: str | None = None
    ) -> Outcome:
        """Redeem a customer's 1Voucher; amount 0 redeems its full value."""
        pin = ungroup(pin)
        mobile = normalize_mobile(mobile_number) if mobile_number else None

        def factory(reference: str) -> FlashRequest:
            return OneVoucherRedeemRequest(
                reference=reference, pin=pin, amount=amount, mobile_number=mobile, **self._common()
            )

        return await self._run(
            endpoints.ONE_VOUCHER_REDEEM, factory, amount=amount, mobile_number=mobile
        )

    async def refund_1voucher(
        self,
        redemption_reference: str,
        amount: int,
        *,
        mobile_number: str | None = None,
        approved_by: str | None = None,
    ) -> Outcome:
        """Refund (part of) an approved redemption as a new voucher, linked to it."""
        redemption = self.journal.get(redemption_reference)
        if redemption is None or redemption.kind != endpoints.ONE_VOUCHER_REDEEM.name:
            raise InputError(f"{redemption_reference} is not a 1Voucher redemption on this till")
        if redemption.state != "approved":
            raise InputError(f"redemption {redemption_reference} was not approved")
        redeemed = redeemed_amount(redemption)
        already = refunded_amount(self.journal, redemption_reference)
        if not redeemed:
            raise InputError(f"the amount redeemed by {redemption_reference} is not known")
        if amount + already > redeemed:
            raise InputError(
                f"refund would exceed the redemption: {format_rands(redeemed - already)} left "
                "to refund",
                field="amount",
            )
        mobile = normalize_mobile(mobile_number) if mobile_number else None

        def factory(reference: str) -> FlashRequest:
            return OneVoucherRefundRequest(
                reference=reference,
                amount=amount,
                mobile_number=mobile,
                metadata={"refundOf": redemption_reference},
                **self._common(),
            )

        return await self._run(
            endpoints.ONE_VOUCHER_REFUND,
            factory,
            amount=amount,
            mobile_number=mobile,
            related_reference=redemption_reference,
            approved_by=approved_by,
        )

    # -- other vouchers ----------------------------------------------------------------------

    async def sell_gift_voucher(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        return await self._sell_product(
            endpoints.GIFT_VOUCHER_PURCHASE,
            GiftVoucherPurchaseRequest,
            product_code,
            amount,
            approved_by,
        )

    async def sell_eezi_voucher(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        return await self._sell_product(
            endpoints.EEZI_VOUCHER_PURCHASE,
            EeziVoucherPurchaseRequest,
            product_code,
            amount,
            approved_by,
        )

    async def sell_airtime(
        self, product_code: int, mobile_number: str, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        mobile = normalize_mobile(mobile_number)

        def factory(reference: str) -> FlashRequest:
            return CellularPinlessPurchaseRequest(
                reference=reference,
                amount=amount,
                product_code=product_code,
                mobile_number=mobile,
                **self._common(),
            )

        return await self._run(
            endpoints.PINLESS_PURCHASE,
            factory,
            amount=amount,
            product_code=product_code,
            mobile_number=mobile,
            approved_by=approved_by,
        )
