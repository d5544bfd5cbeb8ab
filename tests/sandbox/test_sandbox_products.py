"""Product list and product lookup: wrapped with `allowReversal` (rev 3.0, the default), bare and
the 3.1.2 lookup object (April 2023)."""

from __future__ import annotations

import httpx

from till.sandbox import Sandbox

from .conftest import ACCOUNT, BASE, get_token

PRODUCTS = f"{BASE}accounts/{ACCOUNT}/products"


async def test_products_wrapped(client: httpx.AsyncClient) -> None:
    r = await client.get(PRODUCTS)
    assert r.status_code == 200
    body = r.json()
    assert body["responseCode"] == 0
    assert body["responseMessage"] == "Success"
    products = body["products"]
    groups = {p["productGroup"] for p in products}
    assert groups == {
        "1Voucher",
        "Gift Voucher",
        "Cash Out PIN",
        "Cellular",
        "Eezi Voucher",
        "Prepaid Utilities",
    }
    vendors = {p["vendor"] for p in products if p["productGroup"] == "Cellular"}
    assert vendors == {"Vodacom", "MTN", "Cell C", "Telkom"}
    for p in products:
        assert type(p["productCode"]) is int
        assert type(p["minimumAmount"]) is int and type(p["maximumAmount"]) is int
        assert p["minimumAmount"] <= p["maximumAmount"]
        assert p["status"] == "Active"
    cash_out = next(p for p in products if p["productGroup"] == "Cash Out PIN")
    assert cash_out["maximumAmount"] == 50_000
    reversible = {p["productCode"] for p in products if p["allowReversal"] is True}
    assert reversible == {100, 300, 500}  # 1Voucher, Cash Out PIN, Eezi
    assert all(type(p["allowReversal"]) is bool for p in products)


async def test_products_bare() -> None:
    sb = Sandbox(revision="2023-04")
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        token = await get_token(c)
        r = await c.get(PRODUCTS, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        body = r.json()
        assert isinstance(body, list)
        assert {"productCode", "productName", "minimumAmount", "maximumAmount", "status"} <= set(
            body[0]
        )
        assert not any("allowReversal" in p for p in body)  # the April 2023 document has none
        r = await c.get(f"{PRODUCTS}/400", headers={"Authorization": f"Bearer {token}"})
        lookup = r.json()
        assert lookup["productCode"] == 400 and lookup["vendorName"] == "Vodacom"
        for key in ("id", "supplierCode", "vendorCode", "productType", "productParameters"):
            assert key in lookup


async def test_product_lookup(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{PRODUCTS}/300")
    assert r.status_code == 200
    body = r.json()
    assert (body["responseCode"], body["responseMessage"]) == (0, "Success")
    (product,) = body["products"]  # rev 3.0 3.1.2: the list's shape, an array of one
    assert product["productCode"] == 300 and product["productGroup"] == "Cash Out PIN"
    assert product["allowReversal"] is True and product["maximumAmount"] == 50_000


async def test_unknown_product_and_account(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{PRODUCTS}/99999")
    assert (r.status_code, r.json()["responseCode"]) == (404, 2101)
    r = await client.get(f"{PRODUCTS}/abc")
    assert (r.status_code, r.json()["responseCode"]) == (404, 2101)
    r = await client.get(f"{BASE}accounts/NOPE/products")
    assert (r.status_code, r.json()["responseCode"]) == (404, 2102)
    r = await client.get(f"{BASE}accounts/NOPE/products/400")
    assert (r.status_code, r.json()["responseCode"]) == (404, 2102)
