"""Prepaid utilities: every test meter, in both purchase response shapes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from till.sandbox import Sandbox

from .conftest import Api, get_token

START = 100_000_000
NORMAL, KEY_CHANGE, FBE, ARREARS = "04040404040", "04141414141", "04242424242", "04343434343"
BLOCKED, UNREGISTERED, WATER = "04444444444", "04545454545", "07070707070"


@pytest.fixture(params=["v4", "rev3"])
async def uapi(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    sb = Sandbox(seed=99, utility_shape=request.param)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        yield Api(c, sb)


def tokens(sb: Sandbox, body: dict[str, Any]) -> list[dict[str, Any]]:
    toks: list[dict[str, Any]] = body["tokens"]
    for t in toks:
        assert re.fullmatch(r"[0-9]{20}", t["token"])
        assert t["token"] in sb.issued_secrets()
    return toks


def meter_info(body: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = body["meterInfo"] if "meterInfo" in body else body["meterinfo"]
    return info


async def test_lookup(api: Api) -> None:
    body = await api.ok("prepaid-utilities/lookup", amount=10_000, meterNumber=NORMAL)
    assert type(body["transactionId"]) is str
    assert body["amount"] == 10_000 and body["isFBE"] is False
    info = body["meterInfo"]
    assert info["meterNumber"] == NORMAL
    assert info["customerInfo"]["name"] == "Thabo Mokoena"
    assert info["utilityInfo"]["vatNumber"]
    billing = body["billingInfo"]
    assert billing["minimumVendValue"] == 1_000 and billing["maximumVendValue"] == 500_000
    assert billing["tariffName"]
    arrears = await api.ok("prepaid-utilities/lookup", amount=10_000, meterNumber=ARREARS)
    assert arrears["billingInfo"]["arrearValue"] == 15_000
    assert api.sb.ledger == [] and api.sb.float_cents == START


async def test_lookup_declines(api: Api) -> None:
    await api.declined("prepaid-utilities/lookup", 2311, amount=10_000, meterNumber=BLOCKED)
    await api.declined("prepaid-utilities/lookup", 2310, amount=10_000, meterNumber=UNREGISTERED)
    await api.declined("prepaid-utilities/lookup", 2304, amount=10_000, meterNumber="12345")
    await api.declined("prepaid-utilities/lookup", 2305, amount=10_000, meterNumber="99992305")
    await api.declined("prepaid-utilities/lookup", 2306, amount=0, meterNumber=NORMAL, isFBE=True)
    await api.declined("prepaid-utilities/lookup", 2204, amount=500, meterNumber=NORMAL)
    fbe = await api.ok("prepaid-utilities/lookup", amount=0, meterNumber=FBE, isFBE=True)
    assert fbe["isFBE"] is True


async def test_normal_purchase(uapi: Api) -> None:
    sb = uapi.sb
    body = await uapi.ok("prepaid-utilities/purchase", amount=11_500, meterNumber=NORMAL,
                         storeId="S1", terminalId="T1")  # fmt: skip
    assert type(body["transactionId"]) is int
    assert body["amount"] == 11_500
    [tok] = tokens(sb, body)
    assert meter_info(body)["meterNumber"] == NORMAL
    # R115.00 incl. VAT -> R15.00 VAT, R100.00 excl. at 250c/kWh -> 40 kWh
    if sb.utility_shape == "v4":
        assert tok["type"] == "Credit"
        assert (tok["tax"], tok["value"], tok["units"]["quantity"]) == (1_500, 11_500, 40.0)
        assert body["tariffBlocks"][0]["units"] == 40.0
        assert "debt" not in body and "keyChangeTokenData" not in body
        assert meter_info(body)["utilityInfo"]["name"]
    else:
        assert body["billingInfo"]["taxAmount"] == 1_500
        assert body["billingInfo"]["exclusiveAmount"] == 10_000
        assert body["billingInfo"]["units"] == 40.0
        assert body["charges"]["debt"]["value"] == 0
        assert set(tok) == {"tokenDescription", "serialNumber", "token"}
        assert meter_info(body)["utilityInfo"]["utilityname"]
    assert sb.float_cents == START - 11_500
    [entry] = sb.ledger
    assert entry.tokens == [tok["token"]]


async def test_water_purchase(uapi: Api) -> None:
    body = await uapi.ok("prepaid-utilities/purchase", amount=34_500, meterNumber=WATER)
    [tok] = tokens(uapi.sb, body)
    if uapi.sb.utility_shape == "v4":
        assert tok["units"]["unitType"] == "kL" and tok["units"]["quantity"] == 10.0
    else:
        assert body["billingInfo"]["unitType"] == "kL" and body["billingInfo"]["units"] == 10.0
    await uapi.declined("prepaid-utilities/purchase", 2309, amount=0, meterNumber=WATER, isFBE=True)


async def test_key_change_meter(uapi: Api) -> None:
    body = await uapi.ok("prepaid-utilities/purchase", amount=10_000, meterNumber=KEY_CHANGE)
    toks = tokens(uapi.sb, body)
    assert len(toks) == 3
    assert all("Key Change" in t["tokenDescription"] for t in toks[:2])
    assert "Key Change" not in toks[2]["tokenDescription"]
    if uapi.sb.utility_shape == "v4":
        assert [t["type"] for t in toks] == ["KeyChange", "KeyChange", "Credit"]
        assert body["keyChangeTokenData"] == {
            "supplyGroupCode": 101, "tariffIndex": 2, "keyRevisionNumber": 2,
        }  # fmt: skip
    else:
        info = body["meterinfo"]
        assert (info["oldSupplyGroupCode"], info["newSupplyGroupCode"]) == ("100", "101")
        assert (info["oldTariffIndex"], info["newTariffIndex"]) == ("1", "2")
        assert (info["oldKeyRevisionNumber"], info["newKeyRevisionNumber"]) == ("1", "2")
    assert len(uapi.sb.ledger[0].tokens) == 3


async def test_fbe_meter(uapi: Api) -> None:
    sb = uapi.sb
    body = await uapi.ok("prepaid-utilities/purchase", amount=0, meterNumber=FBE, isFBE=True)
    [tok] = tokens(sb, body)
    assert "Free Basic" in tok["tokenDescription"]
    if sb.utility_shape == "v4":
        assert tok["type"] == "FBE" and tok["units"]["quantity"] == 50.0
    else:
        assert body["billingInfo"]["freeUnits"] == 50.0
    assert sb.float_cents == START
    await uapi.declined("prepaid-utilities/purchase", 2312, amount=0, meterNumber=FBE, isFBE=True)
    await uapi.declined("prepaid-utilities/purchase", 2306, amount=0, meterNumber=NORMAL,
                        isFBE=True)  # fmt: skip
    # a normal paid purchase on the FBE meter still works
    await uapi.ok("prepaid-utilities/purchase", amount=5_000, meterNumber=FBE)


async def test_arrears_meter(uapi: Api) -> None:
    sb = uapi.sb
    body = await uapi.ok("prepaid-utilities/purchase", amount=20_000, meterNumber=ARREARS)
    if sb.utility_shape == "v4":
        assert body["debt"]["value"] == 5_000
        assert body["debt"]["outstanding"] == "10000"
        assert body["tokens"][0]["value"] == 15_000
    else:
        assert body["charges"]["debt"]["value"] == 5_000
        assert body["billingInfo"]["exclusiveAmount"] + body["billingInfo"]["taxAmount"] == 15_000
    assert sb.arrears(ARREARS) == 10_000
    assert sb.float_cents == START - 20_000


async def test_purchase_declines(uapi: Api) -> None:
    await uapi.declined("prepaid-utilities/purchase", 2311, amount=5_000, meterNumber=BLOCKED)
    await uapi.declined("prepaid-utilities/purchase", 2310, amount=5_000, meterNumber=UNREGISTERED)
    await uapi.declined("prepaid-utilities/purchase", 2204, amount=600_000, meterNumber=NORMAL)
    await uapi.declined("prepaid-utilities/purchase", 2373, 429, amount=5_000,
                        meterNumber="99992373")  # fmt: skip
    assert uapi.sb.ledger == [] and uapi.sb.float_cents == START
