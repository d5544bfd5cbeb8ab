"""Each request's fields stay in wire order: the order `FlashRequest` sets when a body is defined,
which a pydantic that gathered the fields again on rebuild would silently undo."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from till.flash.models import requests
from till.flash.models.fields import Cents
from till.flash.models.requests import FlashRequest, TillRequest

#: Written out, not derived: reference and accountNumber, the product's required fields, the
#: till's own, the product's optional fields, metadata last.
WIRE_ORDER: dict[type[FlashRequest], list[str]] = {
    requests.FlashRequest: ["reference", "account_number", "metadata"],
    requests.TillRequest: ["reference", "account_number", "store_id", "terminal_id", "metadata"],
    requests.SaleRequest: [
        "reference",
        "account_number",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.OneVoucherPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.OneVoucherDisburseRequest: [
        "reference",
        "account_number",
        "amount",
        "store_id",
        "terminal_id",
        "metadata",
    ],
    requests.OneVoucherRedeemRequest: [
        "reference",
        "account_number",
        "pin",
        "amount",
        "store_id",
        "terminal_id",
        "mobile_number",
        "metadata",
    ],
    requests.OneVoucherRefundRequest: [
        "reference",
        "account_number",
        "amount",
        "store_id",
        "terminal_id",
        "mobile_number",
        "metadata",
    ],
    requests.GiftVoucherPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "product_code",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.CashOutPinPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "product_code",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.CashOutPinCancelRequest: [
        "reference",
        "account_number",
        "serial_number",
        "product_code",
        "store_id",
        "terminal_id",
        "metadata",
    ],
    requests.CashOutPinLookupRequest: [
        "reference",
        "account_number",
        "serial_number",
        "product_code",
        "metadata",
    ],
    requests.CellularPinlessPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "product_code",
        "mobile_number",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.EeziVoucherPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "product_code",
        "store_id",
        "terminal_id",
        "payment_method",
        "metadata",
    ],
    requests.UtilityLookupRequest: [
        "reference",
        "account_number",
        "amount",
        "meter_number",
        "is_fbe",
        "metadata",
    ],
    requests.UtilityPurchaseRequest: [
        "reference",
        "account_number",
        "amount",
        "meter_number",
        "store_id",
        "terminal_id",
        "payment_method",
        "is_fbe",
        "metadata",
    ],
}


def test_every_request_class_is_pinned() -> None:
    defined = {
        value
        for value in vars(requests).values()
        if isinstance(value, type)
        and issubclass(value, FlashRequest)
        and value.__module__ == requests.__name__
    }
    assert defined == set(WIRE_ORDER)


@pytest.mark.parametrize("model", list(WIRE_ORDER), ids=lambda model: model.__name__)
def test_model_fields_are_in_wire_order(model: type[BaseModel]) -> None:
    assert list(model.model_fields) == WIRE_ORDER[model]


def test_a_pydantic_that_regathers_the_fields_fails_when_the_body_is_defined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def regather(cls: type[BaseModel], **kwargs: Any) -> None:
        cls.__pydantic_fields__ = dict(reversed(cls.__pydantic_fields__.items()))

    monkeypatch.setattr(FlashRequest, "model_rebuild", classmethod(regather))
    with pytest.raises(TypeError, match="not in wire order"):

        class Shuffled(TillRequest):
            amount: Cents
