"""Reversals in the client (rev 3.0): the request model, the response, the vetting of an approval,
the refusals as definitive declines, and an in-doubt reversal settling once on resend."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from pydantic import ValidationError

from till.flash import FlashClient, FlashDeclined, FlashInDoubt, codes, vet
from till.flash.client import (
    CASH_OUT_PIN_REVERSE,
    EEZI_VOUCHER_REVERSE,
    ENDPOINTS,
    ONE_VOUCHER_REVERSE,
    REVERSAL_FOR,
    REVERSAL_KINDS,
)
from till.flash.models import (
    CashOutPinPurchaseRequest,
    GiftVoucherPurchaseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    Product,
    ProductDetail,
    ProductList,
)
from till.flash.outcome import classify
from till.flash.reversals import ReversalRequest, ReversalResponse
from till.flash.wire import Answer
from till.sandbox import DEFAULT_ACCOUNT, Fault, Sandbox

ACC = DEFAULT_ACCOUNT
_refs = itertools.count(1)


def ref() -> str:
    return f"RX-{next(_refs)}"


def reversal(original: str, **fields: Any) -> ReversalRequest:
    return ReversalRequest(
        reference=ref(), account_number=ACC, original_reference=original, **fields
    )


async def sell(client: FlashClient, amount: int = 5_000) -> str:
    request = OneVoucherPurchaseRequest(reference=ref(), account_number=ACC, amount=amount)
    await client.purchase_1voucher(request)
    return request.reference


# -- the request ------------------------------------------------------------------------------


def test_request_wire_and_checks() -> None:
    request = ReversalRequest(
        reference="S1-T1-AB-9",
        account_number=ACC,
        original_reference="S1-T1-AB-7",
        metadata={"reason": "void", "by": "sup1"},
    )
    assert json.loads(request.to_wire()) == {
        "reference": "S1-T1-AB-9",
        "accountNumber": ACC,
        "originalReference": "S1-T1-AB-7",
        "metadata": {"by": "sup1", "reason": "void"},
    }
    with_ids = reversal("S1-T1-AB-7", store_id="S1", terminal_id="T1")
    assert json.loads(with_ids.to_wire())["storeId"] == "S1"
    with pytest.raises(ValidationError, match="a reference of its own"):
        ReversalRequest(reference="S1-7", account_number=ACC, original_reference="S1-7")
    with pytest.raises(ValidationError, match="Original reference may only contain"):
        reversal("S1 7")
    with pytest.raises(ValidationError, match="Original reference must be 1 to 50"):
        reversal("S" * 51)
    with pytest.raises(ValidationError, match="Metadata values must be at most 43"):
        reversal("S1-7", metadata={"reason": "x" * 44})
    with pytest.raises(ValidationError):
        reversal("S1-7", amount=5_000)  # the document's body has no amount


def test_endpoints_and_kinds() -> None:
    assert [e.name for e in (ONE_VOUCHER_REVERSE, CASH_OUT_PIN_REVERSE, EEZI_VOUCHER_REVERSE)] == [
        "1voucher.reverse",
        "cash-out-pin.reverse",
        "eezi-voucher.reverse",
    ]
    assert set(REVERSAL_KINDS) == {
        "1voucher.reverse",
        "cash-out-pin.reverse",
        "eezi-voucher.reverse",
    }
    assert all(ENDPOINTS[kind].response is ReversalResponse for kind in REVERSAL_KINDS)
    assert REVERSAL_FOR == {
        "1voucher.purchase": ONE_VOUCHER_REVERSE,
        "1voucher.disburse": ONE_VOUCHER_REVERSE,
        "cash-out-pin.purchase": CASH_OUT_PIN_REVERSE,
        "eezi-voucher.purchase": EEZI_VOUCHER_REVERSE,
    }


# -- products carry allowReversal --------------------------------------------------------------


def test_allow_reversal_defaults_to_false() -> None:
    bare = ProductList.from_json([{"productCode": 1}, {"productCode": 2, "allowReversal": None}])
    assert [p.allow_reversal for p in bare.products] == [False, False]
    assert Product.model_validate({"productCode": 3, "allowReversal": True}).allow_reversal
    detail = ProductDetail.model_validate(
        {"productCode": 4, "productName": "X", "minimumAmount": 1, "maximumAmount": 9,
         "vendorName": "V", "productUPC": "600", "termsAndConditions": "T"}
    )  # fmt: skip
    product = detail.as_product()
    assert (product.product_code, product.product_name, product.vendor, product.barcode) == (
        4, "X", "V", "600",
    )  # fmt: skip
    assert product.allow_reversal is False
    assert product.content is not None and product.content.terms_and_conditions == "T"


# -- refusals are definitive -------------------------------------------------------------------


def test_reversal_refusals_are_definitive_declines() -> None:
    assert {2273, 2274, 2275, 2276, 2277, 2278, 2279, 2280, 2281, 2412, 2413} <= (
        codes.REVERSAL_REFUSED_CODES
    )
    assert not codes.REVERSAL_REFUSED_CODES & codes.IN_DOUBT_CODES
    assert codes.REVERSAL_REFUSED_CODES.issubset(codes.known_codes())
    assert codes.ALREADY_REVERSED_CODES <= codes.REVERSAL_REFUSED_CODES
    for code in sorted(codes.REVERSAL_REFUSED_CODES):
        data = {"responseCode": code, "reference": "R1", "transactionId": "9"}
        answer = Answer(200, json.dumps(data).encode(), data, False, None, "application/json")
        with pytest.raises(FlashDeclined) as caught:
            classify(answer, endpoint="1voucher.reverse", reference="R1")
        assert caught.value.code == code
        assert caught.value.message == codes.message_for(code)


async def test_refusals_from_the_sandbox(client: FlashClient, sandbox: Sandbox) -> None:
    sold = await sell(client)
    await client.reverse_1voucher(reversal(sold))
    with pytest.raises(FlashDeclined) as caught:  # twice
        await client.reverse_1voucher(reversal(sold))
    assert caught.value.code == 2413 and caught.value.code in codes.ALREADY_REVERSED_CODES
    assert "already been reversed" in caught.value.message
    redeemed = await sell(client, 10_000)
    voucher = sandbox.sales_for(redeemed)[0].pin
    assert voucher is not None
    await client.redeem_1voucher(
        OneVoucherRedeemRequest(reference=ref(), account_number=ACC, pin=voucher, amount=1_000)
    )
    with pytest.raises(FlashDeclined) as caught:
        await client.reverse_1voucher(reversal(redeemed))
    assert caught.value.code == 2412
    gift = GiftVoucherPurchaseRequest(
        reference=ref(), account_number=ACC, amount=10_000, product_code=200
    )
    await client.purchase_gift_voucher(gift)
    with pytest.raises(FlashDeclined) as caught:
        await client.reverse_1voucher(reversal(gift.reference))
    assert caught.value.code == 2273
    with pytest.raises(FlashDeclined) as caught:
        await client.reverse_eezi_voucher(reversal("NO-SUCH-SALE"))
    assert caught.value.code == 2275
    sandbox.reversal_window = -1.0  # every sale is past the limit
    late = await sell(client)
    with pytest.raises(FlashDeclined) as caught:
        await client.reverse_1voucher(reversal(late))
    assert caught.value.code == codes.REVERSAL_TIME_LIMIT_CODE
    assert all(code in codes.REVERSAL_REFUSED_CODES for code in (2413, 2412, 2273, 2275, 2281))


async def test_cash_out_reversal_response(client: FlashClient, sandbox: Sandbox) -> None:
    sale = CashOutPinPurchaseRequest(
        reference=ref(), account_number=ACC, amount=20_000, product_code=300
    )
    bought = await client.purchase_cash_out_pin(sale)
    before = sandbox.float_cents
    request = reversal(sale.reference, metadata={"reason": "wrong"})
    answer = await client.reverse_cash_out_pin(request)
    assert (answer.reference, answer.amount, answer.metadata) == (
        request.reference, 20_000, {"reason": "wrong"},
    )  # fmt: skip
    assert answer.voucher is not None and answer.voucher.pin is None
    assert bought.voucher is not None
    assert answer.voucher.serial_number == bought.voucher.serial_number
    assert sandbox.float_cents == before + 20_000


# -- in doubt, then exactly once ---------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drop", "malformed", "error_503"])
async def test_an_in_doubt_reversal_settles_once_on_resend(
    client: FlashClient, sandbox: Sandbox, fault: str
) -> None:
    sold = await sell(client)
    before = sandbox.float_cents
    request = reversal(sold)
    sandbox.faults.inject(Fault(fault, path="1voucher/reverse"))
    with pytest.raises(FlashInDoubt):
        await client.reverse_1voucher(request)
    answer = await client.send(ONE_VOUCHER_REVERSE, request.to_wire(), reference=request.reference)
    assert isinstance(answer, ReversalResponse) and answer.amount == 5_000
    again = await client.send(ONE_VOUCHER_REVERSE, request.to_wire(), reference=request.reference)
    assert again.transaction_id == answer.transaction_id
    assert len(sandbox.sales_for(request.reference)) == 1
    assert sandbox.float_cents == before + 5_000


# -- vetting an approval -----------------------------------------------------------------------


def test_vetting_a_reversal_approval() -> None:
    sent = {"reference": "R2", "accountNumber": ACC, "originalReference": "S1"}
    voided = {"serialNumber": "200000000001", "status": "Reversed", "amount": 5_000}
    good = {"responseCode": 0, "reference": "R2", "amount": 5_000, "voucher": voided}
    assert vet.unusable("1voucher.reverse", sent, good) is None
    assert vet.unusable("1voucher.reverse", sent, {**good, "originalReference": "S1"}) is None
    wrong_sale = vet.unusable("1voucher.reverse", sent, {**good, "originalReference": "S9"})
    assert wrong_sale == "the original reference is not the one sent"
    other = vet.unusable("1voucher.reverse", sent, {**good, "reference": "S1"})
    assert other is not None and "not this sale's" in other
    assert vet.unusable("1voucher.reverse", sent, {**good, "amount": 50.5}) is not None
    short_pin = {**good, "voucher": {**voided, "pin": "123"}}
    assert vet.unusable("1voucher.reverse", sent, short_pin) is not None
    cash_pin = {**good, "voucher": {**voided, "pin": "123456789012"}}
    assert vet.unusable("cash-out-pin.reverse", sent, cash_pin) is None
