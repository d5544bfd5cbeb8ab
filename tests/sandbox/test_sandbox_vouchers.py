"""1Voucher, gift voucher, Cash Out PIN, pinless airtime and Eezi voucher business rules."""

from __future__ import annotations

import re

from till.sandbox import Sandbox

from .conftest import ACCOUNT, Api

START = 100_000_000
VALID_PIN = "1111111111111111"  # seeded R100.00


def _voucher_ok(v: dict[str, object], amount: int) -> None:
    assert v["amount"] == amount
    assert re.fullmatch(r"[0-9]{16}", str(v["pin"]))
    assert v["status"] == "Active"
    assert v["serialNumber"] and v["expiryDate"]
    content = v["content"]
    assert isinstance(content, dict) and content["redemptionInstructions"]


async def test_1voucher_purchase_debits_float(sb: Sandbox, api: Api) -> None:
    body = await api.ok("1voucher/purchase", amount=5_000, storeId="S1", terminalId="T1",
                        metadata={"till": "7"})  # fmt: skip
    assert body["accountNumber"] == ACCOUNT
    assert (body["storeId"], body["terminalId"], body["metadata"]) == ("S1", "T1", {"till": "7"})
    assert type(body["transactionId"]) is int
    assert body["transactionDate"].endswith("+02:00")
    _voucher_ok(body["voucher"], 5_000)
    assert sb.float_cents == START - 5_000
    [entry] = sb.ledger
    assert (entry.reference, entry.kind, entry.amount, entry.float_delta) == (
        body["reference"], "1voucher/purchase", 5_000, -5_000,
    )  # fmt: skip
    assert entry.pin == body["voucher"]["pin"]
    assert entry.pin in sb.issued_secrets()
    assert sb.voucher(entry.pin) is not None


async def test_1voucher_disburse(sb: Sandbox, api: Api) -> None:
    body = await api.ok("1voucher/disburse", amount=20_000)
    _voucher_ok(body["voucher"], 20_000)
    assert sb.float_cents == START - 20_000


async def test_insufficient_float_changes_nothing(api: Api) -> None:
    sb = api.sb
    sb.float_cents = 1_000
    await api.declined("1voucher/purchase", 2003, amount=5_000)
    await api.declined("cellular/pinless/purchase", 2003, amount=5_000, productCode=400,
                       mobileNumber="27821234567")  # fmt: skip
    await api.declined("prepaid-utilities/purchase", 2003, amount=5_000, meterNumber="04040404040")
    assert sb.float_cents == 1_000
    assert sb.ledger == []


async def test_1voucher_amount_out_of_range(api: Api) -> None:
    await api.declined("1voucher/purchase", 2204, amount=100)
    await api.declined("1voucher/purchase", 2204, amount=600_000)
    assert api.sb.ledger == []


async def test_partial_redeem_then_redeem_change(sb: Sandbox, api: Api) -> None:
    body = await api.ok("1voucher/redeem", pin=VALID_PIN, amount=3_000)
    assert body["amount"] == 3_000
    change = body["voucher"]
    _voucher_ok(change, 7_000)
    assert change["pin"] != VALID_PIN
    assert sb.float_cents == START + 3_000
    assert sb.voucher(VALID_PIN).status == "Redeemed"  # type: ignore[union-attr]
    # the change voucher redeems in full with amount 0
    body2 = await api.ok("1voucher/redeem", pin=change["pin"], amount=0)
    assert body2["amount"] == 7_000
    assert body2["voucher"]["status"] == "Redeemed"
    assert "pin" not in body2["voucher"]
    assert sb.float_cents == START + 10_000
    assert [e.float_delta for e in sb.ledger] == [3_000, 7_000]


async def test_redeem_only_once(api: Api) -> None:
    await api.ok("1voucher/redeem", pin=VALID_PIN, amount=0)
    await api.declined("1voucher/redeem", 2401, pin=VALID_PIN, amount=0)
    assert api.sb.float_cents == START + 10_000


async def test_redeem_purchased_voucher(api: Api) -> None:
    bought = await api.ok("1voucher/purchase", amount=2_500)
    await api.ok("1voucher/redeem", pin=bought["voucher"]["pin"], amount=2_500)
    assert api.sb.float_cents == START


async def test_seeded_voucher_declines(api: Api) -> None:
    await api.declined("1voucher/redeem", 2401, pin="2401240124012401", amount=0)
    await api.declined("1voucher/redeem", 2403, pin="2403240324032403", amount=0)
    await api.declined("1voucher/redeem", 2405, pin="2405240524052405", amount=0)
    body = await api.declined("1voucher/redeem", 2402, 404, pin="1234567812345678", amount=0)
    assert body["responseMessage"] == "The voucher you have entered could not be found."
    await api.declined("1voucher/redeem", 2408, pin=VALID_PIN, amount=10_001)
    await api.declined("1voucher/redeem", 2336, pin="9999999999992336", amount=0)
    assert api.sb.ledger == []
    assert api.sb.float_cents == START


async def test_change_voucher_by_sms(sb: Sandbox, api: Api) -> None:
    body = await api.ok("1voucher/redeem", pin=VALID_PIN, amount=4_000, mobileNumber="27821234567")
    assert body["mobileNumber"] == "27821234567"
    assert "pin" not in body["voucher"]
    assert body["voucher"]["amount"] == 6_000
    assert "SMS" in body["voucher"]["content"]["redemptionInstructions"]
    [(mobile, pin, serial, amount)] = sb.sms_outbox
    assert (mobile, amount, serial) == ("27821234567", 6_000, body["voucher"]["serialNumber"])
    assert sb.voucher(pin) is not None and sb.ledger[0].pin == pin


async def test_refund_issues_new_voucher(sb: Sandbox, api: Api) -> None:
    await api.ok("1voucher/redeem", pin=VALID_PIN, amount=0)
    body = await api.ok("1voucher/refund", amount=10_000, metadata={"redeemRef": "T1-000001"})
    _voucher_ok(body["voucher"], 10_000)
    assert body["voucher"]["pin"] != VALID_PIN
    assert sb.float_cents == START
    await api.ok("1voucher/redeem", pin=body["voucher"]["pin"], amount=0)


async def test_refund_decline(api: Api) -> None:
    api.sb.float_cents = 0
    await api.declined("1voucher/refund", 2003, amount=1_000)


async def test_gift_voucher(sb: Sandbox, api: Api) -> None:
    body = await api.ok("gift-voucher/purchase", amount=10_000, productCode=200)
    _voucher_ok(body["voucher"], 10_000)
    assert re.fullmatch(r"[0-9]{13}", body["voucher"]["barcode"])
    assert sb.float_cents == START - 10_000
    # productCode as a numeric string (the document's examples do that)
    await api.ok("gift-voucher/purchase", amount=10_000, productCode="203")
    assert sb.ledger[0].kind == "gift-vouchers/purchase"  # one ledger kind in both revisions


async def test_gift_voucher_declines(api: Api) -> None:
    await api.declined("gift-voucher/purchase", 2101, 404, amount=10_000, productCode=999)
    await api.declined("gift-voucher/purchase", 2257, amount=10_000, productCode=400)
    await api.declined("gift-voucher/purchase", 2204, amount=9_000, productCode=203)
    assert api.sb.ledger == []


async def test_cash_out_purchase_cancel_lookup(sb: Sandbox, api: Api) -> None:
    bought = await api.ok("cash-out-pin/purchase", amount=50_000, productCode=300)
    serial = bought["voucher"]["serialNumber"]
    assert sb.float_cents == START - 50_000
    looked = await api.ok("cash-out-pin/lookup", serialNumber=serial, productCode=300)
    assert looked["voucher"]["status"] == "Active"
    assert looked["voucher"]["pin"] == bought["voucher"]["pin"]
    assert "amount" not in looked and "storeId" not in looked
    cancelled = await api.ok("cash-out-pin/cancel", serialNumber=serial, productCode="300")
    assert cancelled["voucher"]["status"] == "Cancelled"
    assert sb.float_cents == START
    await api.declined("cash-out-pin/cancel", 2409, serialNumber=serial, productCode=300)
    assert sb.float_cents == START
    looked = await api.ok("cash-out-pin/lookup", serialNumber=serial, productCode=300)
    assert looked["voucher"]["status"] == "Cancelled"
    assert sb.cash_out_pin(serial).status == "Cancelled"  # type: ignore[union-attr]
    assert [e.kind for e in sb.ledger] == ["cash-out-pin/purchase", "cash-out-pin/cancel"]


async def test_cash_out_declines(api: Api) -> None:
    await api.declined("cash-out-pin/purchase", 2204, amount=50_001, productCode=300)
    await api.declined("cash-out-pin/purchase", 2257, amount=5_000, productCode=200)
    await api.declined("cash-out-pin/cancel", 2249, 404, serialNumber="999", productCode=300)
    await api.declined("cash-out-pin/lookup", 2249, 404, serialNumber="999", productCode=300)
    await api.declined("cash-out-pin/cancel", 2268, serialNumber="999", productCode=200)
    assert api.sb.ledger == []


async def test_pinless(sb: Sandbox, api: Api) -> None:
    body = await api.ok("cellular/pinless/purchase", amount=2_900, productCode=401,
                        mobileNumber=27831234567)  # fmt: skip
    assert body["rechargeDetails"]["rechargeVendor"] == "MTN"
    assert body["amount"] == 2_900
    assert sb.float_cents == START - 2_900
    assert sb.ledger[0].pin is None


async def test_pinless_declines(api: Api) -> None:
    await api.declined("cellular/pinless/purchase", 2335, amount=2_900, productCode=400,
                       mobileNumber="27999002335")  # fmt: skip
    await api.declined("cellular/pinless/purchase", 2204, amount=100, productCode=400,
                       mobileNumber="27821234567")  # fmt: skip
    await api.declined("cellular/pinless/purchase", 2257, amount=2_900, productCode=500,
                       mobileNumber="27821234567")  # fmt: skip
    assert api.sb.ledger == []


async def test_eezi(sb: Sandbox, api: Api) -> None:
    body = await api.ok("eezi-voucher/purchase", amount=1_000, productCode=500)
    assert re.fullmatch(r"[0-9]{12}", body["voucher"]["pin"])
    assert sb.float_cents == START - 1_000
    await api.declined("eezi-voucher/purchase", 2257, amount=1_000, productCode=400)


async def test_wrong_account(api: Api) -> None:
    r = await api.post("1voucher/purchase", {**api.body(amount=1_000), "accountNumber": "OTHER1"})
    assert (r.status_code, r.json()["responseCode"]) == (404, 2202)
    assert api.sb.ledger == []
