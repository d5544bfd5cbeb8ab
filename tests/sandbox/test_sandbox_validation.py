"""Request validation per the document's parameter tables: HTTP 400, nothing committed."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ACCOUNT, Api

START = 100_000_000
GOOD: dict[str, dict[str, Any]] = {
    "1voucher/purchase": {"amount": 1_000},
    "1voucher/redeem": {"amount": 0, "pin": "1111111111111111"},
    "gift-voucher/purchase": {"amount": 10_000, "productCode": 200},
    "cellular/pinless/purchase": {
        "amount": 1_000,
        "productCode": 400,
        "mobileNumber": "27821234567",
    },
    "cash-out-pin/cancel": {"serialNumber": "1", "productCode": 300},
    "prepaid-utilities/purchase": {"amount": 5_000, "meterNumber": "04040404040"},
}

CASES: list[tuple[str, dict[str, Any], int]] = [
    ("1voucher/purchase", {"amount": None}, 2308),
    ("1voucher/purchase", {"reference": None}, 2308),
    ("1voucher/purchase", {"accountNumber": None}, 2308),
    ("1voucher/redeem", {"pin": None}, 2308),
    ("gift-voucher/purchase", {"productCode": None}, 2308),
    ("cellular/pinless/purchase", {"mobileNumber": None}, 2308),
    ("cash-out-pin/cancel", {"serialNumber": None}, 2308),
    ("prepaid-utilities/purchase", {"meterNumber": None}, 2308),
    ("1voucher/purchase", {"reference": "A" * 51}, 2301),
    ("1voucher/purchase", {"reference": "bad ref"}, 2231),
    ("1voucher/purchase", {"reference": "bad/ref"}, 2231),
    ("1voucher/purchase", {"reference": ""}, 2231),
    ("1voucher/purchase", {"reference": 12}, 2231),
    ("1voucher/purchase", {"accountNumber": "SAND-BOX"}, 2231),
    ("1voucher/purchase", {"amount": 10.5}, 2231),
    ("1voucher/purchase", {"amount": 1000.0}, 2231),
    ("1voucher/purchase", {"amount": "1000"}, 2231),
    ("1voucher/purchase", {"amount": True}, 2231),
    ("1voucher/purchase", {"amount": 0}, 2231),
    ("1voucher/purchase", {"amount": -5}, 2231),
    ("1voucher/purchase", {"storeId": "store 1"}, 2231),
    ("1voucher/purchase", {"terminalId": "T_1"}, 2231),
    ("1voucher/purchase", {"paymentMethod": "card!"}, 2231),
    ("1voucher/purchase", {"metadata": {f"k{i}": "v" for i in range(10)}}, 2231),
    ("1voucher/purchase", {"metadata": {"elevenchars": "v"}}, 2231),
    ("1voucher/purchase", {"metadata": {"k": "x" * 44}}, 2231),
    ("1voucher/purchase", {"metadata": {"k": 5}}, 2231),
    ("1voucher/purchase", {"metadata": ["k"]}, 2231),
    ("1voucher/redeem", {"pin": "111111111111111"}, 2231),
    ("1voucher/redeem", {"pin": "11111111111111112"}, 2231),
    ("1voucher/redeem", {"pin": "111111111111111a"}, 2231),
    ("1voucher/redeem", {"pin": 1111111111111111}, 2231),
    ("1voucher/redeem", {"mobileNumber": "0821234567"}, 2231),
    ("cellular/pinless/purchase", {"mobileNumber": "2782123456"}, 2231),
    ("cellular/pinless/purchase", {"mobileNumber": "+27821234567"}, 2231),
    ("gift-voucher/purchase", {"productCode": 0}, 2231),
    ("gift-voucher/purchase", {"productCode": "abc"}, 2231),
    ("gift-voucher/purchase", {"productCode": 200.0}, 2231),
    ("cash-out-pin/cancel", {"serialNumber": "12-34"}, 2231),
    ("prepaid-utilities/purchase", {"meterNumber": "0404 0404"}, 2231),
    ("prepaid-utilities/purchase", {"isFBE": "true"}, 2231),
    ("prepaid-utilities/purchase", {"isFBE": True}, 2230),
    ("prepaid-utilities/purchase", {"amount": 0}, 2231),
]


@pytest.mark.parametrize(("tail", "change", "code"), CASES)
async def test_field_validation(api: Api, tail: str, change: dict[str, Any], code: int) -> None:
    body = api.body(**GOOD[tail])
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    r = await api.post(tail, body)
    assert r.status_code == 400, r.text
    data = r.json()
    assert data["responseCode"] == code
    assert data["responseMessage"]
    assert api.sb.ledger == []
    assert api.sb.float_cents == START


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b""])
async def test_unparseable_or_non_object(api: Api, raw: bytes) -> None:
    r = await api.post("1voucher/purchase", raw)
    assert (r.status_code, r.json()["responseCode"]) == (400, 2231)
    assert api.sb.ledger == []


async def test_validation_failure_is_not_stored(api: Api) -> None:
    body = api.body(amount=1.5)
    assert (await api.post("1voucher/purchase", body)).status_code == 400
    body["amount"] = 1_500
    r = await api.post("1voucher/purchase", body)
    assert (r.status_code, r.json()["responseCode"]) == (200, 0)


async def test_lenient_types_accepted(api: Api) -> None:
    await api.ok("cellular/pinless/purchase", amount=1_000, productCode="400",
                 mobileNumber=27821234567, metadata={"a" * 10: "x" * 43})  # fmt: skip
    await api.ok("1voucher/purchase", amount=1_000, reference="A.b-C=9" + "x" * 43, extra="ignored")
    assert api.sb.ledger[1].reference.startswith("A.b-C=9")


async def test_limits_inclusive(api: Api) -> None:
    await api.ok("1voucher/purchase", amount=1_000, reference="R" * 50,
                 metadata={f"k{i}": "v" for i in range(9)})  # fmt: skip
    assert len(api.sb.ledger) == 1
    assert api.sb.account_number == ACCOUNT
