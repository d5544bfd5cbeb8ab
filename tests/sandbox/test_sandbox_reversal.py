"""Reversals (rev 3.0): only an approved, unredeemed sale of a product that allows reversal, once,
within the time limit; the float is refunded, the voucher voided, the ledger records it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import till.sandbox.state as sandbox_state
from till.sandbox import Sandbox

from .conftest import Api

START = 100_000_000


async def reverse(api: Api, tail: str, original: str, **fields: Any) -> dict[str, Any]:
    return await api.ok(tail, originalReference=original, **fields)


async def refused(api: Api, tail: str, original: str, code: int, **fields: Any) -> None:
    await api.declined(tail, code, originalReference=original, **fields)


def money_adds_up(sb: Sandbox) -> None:
    assert sb.float_cents == START + sum(row.float_delta for row in sb.ledger)


async def test_1voucher_reversal_refunds_and_voids(sb: Sandbox, api: Api) -> None:
    sale = await api.ok("1voucher/purchase", amount=5_000, storeId="S1", terminalId="T1")
    pin = sale["voucher"]["pin"]
    body = await reverse(api, "1voucher/reverse", sale["reference"], storeId="S1",
                         terminalId="T1", metadata={"reason": "wrong amount"})  # fmt: skip
    assert body["amount"] == 5_000 and body["storeId"] == "S1"
    assert body["metadata"] == {"reason": "wrong amount"}
    voucher = body["voucher"]
    assert voucher["status"] == "Reversed" and "pin" not in voucher
    assert voucher["serialNumber"] == sale["voucher"]["serialNumber"]
    assert sb.float_cents == START
    row = sb.ledger[-1]
    assert (row.kind, row.amount, row.float_delta, row.original_reference, row.pin) == (
        "1voucher/reverse", 5_000, 5_000, sale["reference"], None,
    )  # fmt: skip
    assert row.to_json()["original_reference"] == sale["reference"]
    assert sb.reversed == {sale["reference"]: body["reference"]}
    voided = sb.voucher(pin)
    assert voided is not None and voided.status == "Reversed"
    # the voided voucher cannot be spent: as a cancelled one
    await api.declined("1voucher/redeem", 2403, pin=pin, amount=0)
    money_adds_up(sb)


async def test_reversal_is_idempotent_on_its_own_reference(sb: Sandbox, api: Api) -> None:
    sale = await api.ok("1voucher/purchase", amount=5_000)
    body = api.body(originalReference=sale["reference"])
    first = await api.post("1voucher/reverse", body)
    again = await api.post("1voucher/reverse", body)
    assert again.json() == first.json() and first.json()["responseCode"] == 0
    changed = await api.post("1voucher/reverse", {**body, "metadata": {"n": "2"}})
    assert (changed.status_code, changed.json()["responseCode"]) == (400, 2256)
    assert len(sb.ledger) == 2 and sb.float_cents == START
    # a second reversal of the same sale, under a new reference, is refused
    await refused(api, "1voucher/reverse", sale["reference"], 2413)
    assert len(sb.ledger) == 2


async def test_a_reversal_of_a_reversal_is_refused(sb: Sandbox, api: Api) -> None:
    sale = await api.ok("1voucher/purchase", amount=5_000)
    undo = await reverse(api, "1voucher/reverse", sale["reference"])
    await refused(api, "1voucher/reverse", undo["reference"], 2276)
    money_adds_up(sb)


async def test_a_redeemed_voucher_cannot_be_reversed(sb: Sandbox, api: Api) -> None:
    partly = await api.ok("1voucher/purchase", amount=10_000)
    await api.ok("1voucher/redeem", pin=partly["voucher"]["pin"], amount=2_500)
    await refused(api, "1voucher/reverse", partly["reference"], 2412)  # even partly
    whole = await api.ok("1voucher/purchase", amount=10_000)
    redeem = await api.ok("1voucher/redeem", pin=whole["voucher"]["pin"], amount=0)
    await refused(api, "1voucher/reverse", whole["reference"], 2412)
    # a redemption is not a sale
    await refused(api, "1voucher/reverse", redeem["reference"], 2276)
    refund = await api.ok("1voucher/refund", amount=1_000)
    await refused(api, "1voucher/reverse", refund["reference"], 2276)
    assert not any(row.kind == "1voucher/reverse" for row in sb.ledger)
    money_adds_up(sb)


async def test_only_an_approved_sale_of_this_account(sb: Sandbox, api: Api) -> None:
    await refused(api, "1voucher/reverse", "NEVER-SOLD", 2275)
    sb.float_cents = 100
    declined = await api.declined("1voucher/purchase", 2003, amount=5_000)
    sb.float_cents = START
    await refused(api, "1voucher/reverse", declined["reference"], 2275)
    await api.declined(
        "1voucher/reverse", 2202, 404, originalReference="X1", accountNumber="OTHER9"
    )


async def test_products_that_allow_no_reversal(sb: Sandbox, api: Api) -> None:
    gift = await api.ok("gift-voucher/purchase", amount=10_000, productCode=200)
    airtime = await api.ok("cellular/pinless/purchase", amount=1_000, productCode=400,
                           mobileNumber="27821234567")  # fmt: skip
    vend = await api.ok("prepaid-utilities/purchase", amount=5_000, meterNumber="04040404040")
    for sale in (gift, airtime, vend):
        for tail in ("1voucher/reverse", "cash-out-pin/reverse", "eezi-voucher/reverse"):
            await refused(api, tail, sale["reference"], 2273)
    assert sb.float_cents == START - 16_000


async def test_the_endpoint_must_fit_the_product(api: Api) -> None:
    cash_out = await api.ok("cash-out-pin/purchase", amount=5_000, productCode=300)
    voucher = await api.ok("1voucher/purchase", amount=5_000)
    await refused(api, "1voucher/reverse", cash_out["reference"], 2283)
    await refused(api, "eezi-voucher/reverse", cash_out["reference"], 2283)
    await refused(api, "cash-out-pin/reverse", voucher["reference"], 2283)


async def test_cash_out_pin_reversal(sb: Sandbox, api: Api) -> None:
    sale = await api.ok("cash-out-pin/purchase", amount=50_000, productCode=300)
    serial = sale["voucher"]["serialNumber"]
    body = await reverse(api, "cash-out-pin/reverse", sale["reference"])
    assert body["amount"] == 50_000 and body["voucher"]["status"] == "Reversed"
    assert sb.float_cents == START
    await refused(api, "cash-out-pin/reverse", sale["reference"], 2280)
    await api.declined("cash-out-pin/cancel", 2414, serialNumber=serial, productCode=300)
    looked = await api.ok("cash-out-pin/lookup", serialNumber=serial, productCode=300)
    assert looked["voucher"]["status"] == "Reversed"
    # a cancelled PIN was refunded already: it cannot be reversed too
    other = await api.ok("cash-out-pin/purchase", amount=2_000, productCode=300)
    await api.ok("cash-out-pin/cancel", serialNumber=other["voucher"]["serialNumber"],
                 productCode=300)  # fmt: skip
    await refused(api, "cash-out-pin/reverse", other["reference"], 2412)
    money_adds_up(sb)


async def test_eezi_and_disbursement_reversals(sb: Sandbox, api: Api) -> None:
    eezi = await api.ok("eezi-voucher/purchase", amount=1_000, productCode=500)
    await reverse(api, "eezi-voucher/reverse", eezi["reference"])
    await refused(api, "eezi-voucher/reverse", eezi["reference"], 2280)
    paid_out = await api.ok("1voucher/disburse", amount=20_000)
    await reverse(api, "1voucher/reverse", paid_out["reference"])
    assert sb.float_cents == START
    money_adds_up(sb)


async def test_amount_mobile_and_account_rules(api: Api) -> None:
    sale = await api.ok("1voucher/purchase", amount=5_000)
    await refused(api, "1voucher/reverse", sale["reference"], 2282, amount=4_000)
    await refused(api, "1voucher/reverse", sale["reference"], 2279, mobileNumber="27821234567")
    await reverse(api, "1voucher/reverse", sale["reference"], amount=5_000)
    api.sb.reversals = False
    other = await api.ok("1voucher/purchase", amount=5_000)
    await refused(api, "1voucher/reverse", other["reference"], 2274)


async def test_time_limit(sb: Sandbox, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    sale = await api.ok("1voucher/purchase", amount=5_000)
    later = sandbox_state._now() + timedelta(hours=24, seconds=5)
    monkeypatch.setattr(sandbox_state, "_now", lambda: later)
    await refused(api, "1voucher/reverse", sale["reference"], 2281)
    sb.reversal_window = None  # no limit
    await reverse(api, "1voucher/reverse", sale["reference"])
    sb.reversal_window = 3_600.0
    young = await api.ok("1voucher/purchase", amount=5_000)
    await reverse(api, "1voucher/reverse", young["reference"])


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"originalReference": None}, 2308, 400),
        ({"originalReference": "bad ref"}, 2231, 400),
        ({"originalReference": "A" * 51}, 2231, 400),
        ({"originalReference": 12}, 2231, 400),
    ],
)
async def test_validation(api: Api, change: dict[str, Any], code: int, status: int) -> None:
    r = await api.post("1voucher/reverse", {**api.body(originalReference="S1-1"), **change})
    assert (r.status_code, r.json()["responseCode"]) == (status, code)
    assert api.sb.ledger == []
