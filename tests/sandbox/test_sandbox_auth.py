"""OAuth2 client-credentials token issue and bearer checks."""

from __future__ import annotations

import httpx

from till.sandbox import Sandbox

from .conftest import ACCOUNT, BASE, Api, get_token

PRODUCTS = f"{BASE}accounts/{ACCOUNT}/products"


async def test_token_issued_on_both_paths(sb: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        for path in ("/token", "/v4/token"):
            r = await c.post(
                path,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": "Basic sandbox-key"},
            )
            assert r.status_code == 200
            body = r.json()
            assert body["token_type"] == "Bearer"
            assert body["scope"] == "am_application_scope default"
            assert body["expires_in"] == 3600
            assert len(body["access_token"]) == 36
            assert body["access_token"] in sb.issued_secrets()


async def test_wrong_or_missing_key_is_401(sb: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        for headers in ({"Authorization": "Basic nope"}, {}, {"Authorization": "sandbox-key"}):
            r = await c.post("/token", data={"grant_type": "client_credentials"}, headers=headers)
            assert r.status_code == 401
            assert r.json()["error"] == "invalid_client"


async def test_bad_grant_type_is_400(sb: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        for data in ({"grant_type": "password"}, {}):
            r = await c.post("/token", data=data, headers={"Authorization": "Basic sandbox-key"})
            assert r.status_code == 400
            assert r.json()["error"] == "unsupported_grant_type"


async def test_missing_and_invalid_bearer(sb: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        r = await c.get(PRODUCTS)
        assert (r.status_code, r.json()["responseCode"]) == (401, 2232)
        r = await c.get(PRODUCTS, headers={"Authorization": "Bearer not-a-token"})
        assert (r.status_code, r.json()["responseCode"]) == (401, 2233)
        r = await c.post(BASE + "1voucher/purchase", json={"reference": "x"})
        assert (r.status_code, r.json()["responseCode"]) == (401, 2232)
    assert sb.ledger == []


async def test_token_expires_after_lifetime() -> None:
    sb = Sandbox(token_lifetime=0)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        token = await get_token(c)
        r = await c.get(PRODUCTS, headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.json()["responseCode"]) == (401, 2233)


async def test_expire_tokens_invalidates_issued_tokens(sb: Sandbox, api: Api) -> None:
    assert (await api.client.get(PRODUCTS)).status_code == 200
    sb.expire_tokens()
    r = await api.client.get(PRODUCTS)
    assert (r.status_code, r.json()["responseCode"]) == (401, 2233)
    fresh = await get_token(api.client)
    r = await api.client.get(PRODUCTS, headers={"Authorization": f"Bearer {fresh}"})
    assert r.status_code == 200


async def test_admin_expire_tokens(sb: Sandbox, api: Api) -> None:
    r = await api.client.post("/_sandbox/expire-tokens")
    assert r.status_code == 200
    assert (await api.client.get(PRODUCTS)).status_code == 401


async def test_custom_key() -> None:
    sb = Sandbox(api_key="k-123", account_number="ACC9")
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        token = await get_token(c, key="k-123")
        r = await c.get(
            f"{BASE}accounts/ACC9/products", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200
