"""Each revision of the document served strictly: the other revision's gift path and (on April
2023) the reversal paths are the gateway's 404, nothing is committed, and the products come in
the revision's shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from till.sandbox import APRIL_2023, DEFAULT_REVISION, MAY_2025, REVISIONS, Sandbox

from .conftest import ACCOUNT, BASE, Api, get_token

START = 100_000_000
REVERSE_PATHS = ("1voucher/reverse", "cash-out-pin/reverse", "eezi-voucher/reverse")


@pytest.fixture(params=REVISIONS)
async def revised(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    sb = Sandbox(seed=5, revision=request.param)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        yield Api(c, sb)


def test_default_revision_is_may_2025() -> None:
    assert DEFAULT_REVISION == MAY_2025 == Sandbox().revision == "2025-05"
    assert Sandbox().state()["revision"] == "2025-05"
    with pytest.raises(ValueError, match="2023-04, 2025-05"):
        Sandbox(revision="2024-01")


async def test_gift_path_of_the_revision_only(revised: Api) -> None:
    sb = revised.sb
    own, other = (
        ("gift-vouchers/purchase", "gift-voucher/purchase")
        if sb.revision == APRIL_2023
        else ("gift-voucher/purchase", "gift-vouchers/purchase")
    )
    wrong = await revised.post(other, revised.body(amount=10_000, productCode=200))
    assert wrong.status_code == 404
    fault = wrong.json()
    assert "responseCode" not in fault  # the gateway's answer: Flash never saw it
    assert fault["fault"]["code"] == 900906
    assert sb.ledger == [] and sb.float_cents == START
    body = await revised.ok(own, amount=10_000, productCode=200)
    assert body["voucher"]["pin"] and sb.float_cents == START - 10_000


async def test_reversal_paths_only_in_may_2025(revised: Api) -> None:
    for tail in REVERSE_PATHS:
        r = await revised.post(tail, {})
        if revised.sb.revision == APRIL_2023:
            assert r.status_code == 404 and "responseCode" not in r.json()
        else:  # the path exists: an empty body is a validation failure, stored nowhere
            assert (r.status_code, r.json()["responseCode"]) == (400, 2308)


async def test_products_in_the_revision_shape(revised: Api) -> None:
    r = await revised.client.get(f"{BASE}accounts/{ACCOUNT}/products")
    body = r.json()
    if revised.sb.revision == APRIL_2023:
        assert isinstance(body, list)
    else:
        assert body["responseCode"] == 0 and isinstance(body["products"], list)


async def test_unknown_path_is_the_gateway_404_for_any_method(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        r = await client.request(method, f"{BASE}no/such/thing")
        assert r.status_code == 404 and r.json()["fault"]["code"] == 900906
    assert (await client.get("/elsewhere")).status_code == 404  # outside the API: Starlette's
