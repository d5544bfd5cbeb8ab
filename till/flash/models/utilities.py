"""Prepaid utility answers (meter lookup and purchase), normalised over the April 2023 and the
later revision's shapes: where each revision put billing, charges, meter details and tokens."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field

from till.flash.models.responses import FlashResponse, Tolerant, none_to_empty

#: A number whose unit or type the document does not pin down (units, costPerUnit, tax, debt):
#: an int when it is one, else an exact Decimal (never a float), else the text as sent.
Number = Annotated[int | Decimal | str, Field(union_mode="left_to_right")]


class BillingInfo(Tolerant):
    """Billing part of a meter lookup or utility purchase, in either revision's shape."""

    # April 2023 (lookup and purchase)
    arrear_value: Number | None = None
    arrear_desc: str | None = None
    maximum_vend_value: Number | None = None
    minimum_vend_value: Number | None = None
    tariff_name: str | None = None
    # later revision (purchase)
    tax_amount: Number | None = None
    unit_type: str | None = None
    units: Number | None = None
    free_units: Number | None = None
    exclusive_amount: Number | None = None
    receipt_number: str | None = None
    transaction_number: str | None = None


class CustomerInfo(Tolerant):
    """The meter's registered customer."""

    address: str | None = None
    name: str | None = None


class UtilityInfo(Tolerant):
    """The municipality or utility that owns the meter."""

    address: str | None = None
    call_centre: str | None = None
    name: str | None = Field(
        default=None, validation_alias=AliasChoices("name", "utilityname", "utilityName")
    )
    vat_number: str | None = None


class MeterInfo(Tolerant):
    """STS meter details; SGC/TI/KRN are strings here even when Flash sends numbers."""

    algorithm_code: str | None = None
    customer_info: CustomerInfo | None = None
    key_revision_number: str | None = None
    meter_number: str | None = None
    supply_group_code: str | None = None
    tariff_index: str | None = None
    token_technology: str | None = None
    utility_info: UtilityInfo | None = None
    # later revision: key change signalled by old/new values
    old_supply_group_code: str | None = None
    old_tariff_index: str | None = None
    old_key_revision_number: str | None = None
    new_supply_group_code: str | None = None
    new_tariff_index: str | None = None
    new_key_revision_number: str | None = None
    consumer_message: str | None = None
    tariff_name: str | None = None


class UtilityLookupResponse(FlashResponse):
    """Meter lookup (3.1.13): who the meter belongs to and how much may be vended."""

    billing_info: BillingInfo | None = None
    meter_info: MeterInfo | None = Field(
        default=None, validation_alias=AliasChoices("meterInfo", "meterinfo", "meter_info")
    )
    is_fbe: bool | None = Field(default=None, alias="isFBE")


class UtilityCharge(Tolerant):
    """A debt recovery or fixed cost deducted from a utility purchase."""

    value: Number | None = None
    description: str | None = None
    outstanding: Number | None = None
    tariff_description: str | None = None
    tax: Number | None = None
    tax_invoice_number: str | None = None


class UtilityCharges(Tolerant):
    """The later revision's `charges` wrapper."""

    debt: UtilityCharge | None = None
    fixed_cost: list[UtilityCharge] | None = None


class KeyChangeTokenData(Tolerant):
    """April 2023: the new STS key values when the purchase carries key change tokens."""

    key_revision_number: str | None = None
    supply_group_code: str | None = None
    tariff_index: str | None = None


class TariffBlock(Tolerant):
    """One tariff block of a utility purchase."""

    amount: Number | None = None
    # The later revision documents the key as "units " with a trailing space.
    units: Number | None = Field(default=None, validation_alias=AliasChoices("units", "units "))
    cost_per_unit: Number | None = None
    tariff_name: str | None = None


class UtilityTokenUnits(Tolerant):
    """How much a token buys."""

    description: str | None = None
    quantity: Number | None = None
    unit_type: str | None = None


class UtilityToken(Tolerant):
    """One token to key into the meter: credit, key change or free basic electricity."""

    token: str | None = Field(default=None, repr=False)
    token_description: str | None = None
    type: str | None = None
    value: Number | None = None
    tax: Number | None = None
    tariff_name: str | None = None
    tariff_description: str | None = None
    serial_number: str | None = None
    units: UtilityTokenUnits | None = None

    def _label(self) -> str:
        text = f"{self.type or ''} {self.token_description or ''}".lower()
        return re.sub(r"[^a-z]", "", text)

    @property
    def is_key_change(self) -> bool:
        """True for an STS key change token (must be keyed in before the credit token)."""
        return "keychange" in self._label()

    @property
    def is_fbe(self) -> bool:
        """True for a free basic electricity token."""
        label = self._label()
        return not self.is_key_change and ("freebasic" in label or "fbe" in label)


class UtilityPurchaseResponse(FlashResponse):
    """Prepaid utility purchase, normalised over the April 2023 and later-revision shapes."""

    billing_info: BillingInfo | None = None
    # April 2023: debt and fixedCost at the top level
    debt: UtilityCharge | None = None
    fixed_cost: list[UtilityCharge] | None = None
    # later revision: both under `charges`
    charges: UtilityCharges | None = None
    key_change_token_data: KeyChangeTokenData | None = None
    meter_info: MeterInfo | None = Field(
        default=None, validation_alias=AliasChoices("meterInfo", "meterinfo", "meter_info")
    )
    tariff_blocks: list[TariffBlock] | None = None
    tokens: Annotated[list[UtilityToken], BeforeValidator(none_to_empty)] = Field(
        default_factory=list
    )

    @property
    def debt_charge(self) -> UtilityCharge | None:
        """The debt recovered on this purchase, wherever the revision put it."""
        if self.debt is not None:
            return self.debt
        return self.charges.debt if self.charges is not None else None

    @property
    def fixed_costs(self) -> list[UtilityCharge]:
        """Fixed costs deducted on this purchase, wherever the revision put them."""
        if self.fixed_cost is not None:
            return self.fixed_cost
        if self.charges is not None and self.charges.fixed_cost is not None:
            return self.charges.fixed_cost
        return []

    @property
    def key_change_tokens(self) -> list[UtilityToken]:
        """Key change tokens, in the order they must be keyed in."""
        return [t for t in self.tokens if t.is_key_change]

    @property
    def fbe_tokens(self) -> list[UtilityToken]:
        """Free basic electricity tokens."""
        return [t for t in self.tokens if t.is_fbe]

    @property
    def credit_tokens(self) -> list[UtilityToken]:
        """Everything that is neither key change nor FBE: the credit the customer paid for."""
        return [t for t in self.tokens if not t.is_key_change and not t.is_fbe]
