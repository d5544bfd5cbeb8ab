"""Prepaid utilities: look a meter up, and vend electricity or water tokens for it."""

from __future__ import annotations

from till.digits import ungroup
from till.flash import client as endpoints
from till.flash.models import FlashRequest, UtilityLookupRequest, UtilityPurchaseRequest
from till.outcome import Outcome
from till.sales.settle import Settling


class Utilities(Settling):
    """The meter lookup and the token vend."""

    async def lookup_meter(self, meter_number: str, amount: int, *, fbe: bool = False) -> Outcome:
        """Who the meter belongs to and what it may buy; `fbe` asks about free basic electricity."""
        meter = ungroup(meter_number)

        def factory(reference: str) -> FlashRequest:
            return UtilityLookupRequest(
                reference=reference,
                account_number=self.client.account_number,
                amount=amount,
                meter_number=meter,
                is_fbe=True if fbe else None,
            )

        return await self._run(endpoints.UTILITY_LOOKUP, factory, amount=amount, meter_number=meter)

    async def vend_utility(
        self, meter_number: str, amount: int, *, fbe: bool = False, approved_by: str | None = None
    ) -> Outcome:
        """Electricity or water tokens for a meter; `fbe` asks for free basic electricity."""
        meter = ungroup(meter_number)

        def factory(reference: str) -> FlashRequest:
            return UtilityPurchaseRequest(
                reference=reference,
                amount=amount,
                meter_number=meter,
                is_fbe=True if fbe else None,
                **self._common(),
            )

        return await self._run(
            endpoints.UTILITY_PURCHASE,
            factory,
            amount=amount,
            meter_number=meter,
            approved_by=approved_by,
        )
