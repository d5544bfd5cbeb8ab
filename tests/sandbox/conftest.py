"""Shared fixtures: a seeded Sandbox and an httpx client bound to it in process (no till.flash)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox

BASE = "/aggregation/4.0/"
ACCOUNT = DEFAULT_ACCOUNT


async def get_token(client: httpx.AsyncClient, key: str = DEFAULT_API_KEY) -> str:
    r = await client.post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {key}"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


class Api:
    """Tiny helper around an authorised client: ``await api.post("1voucher/purchase", {...})``."""

    def __init__(self, client: httpx.AsyncClient, sb: Sandbox) -> None:
        self.client = client
        self.sb = sb
        self._n = 0

    def ref(self) -> str:
        self._n += 1
        return f"T1-{self._n:06d}"

    def body(self, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"reference": self.ref(), "accountNumber": ACCOUNT}
        data.update(fields)
        return data

    async def post(self, tail: str, body: Any) -> httpx.Response:
        if isinstance(body, bytes | str):
            return await self.client.post(
                BASE + tail, content=body, headers={"Content-Type": "application/json"}
            )
        return await self.client.post(BASE + tail, json=body)

    async def ok(self, tail: str, **fields: Any) -> dict[str, Any]:
        r = await self.post(tail, self.body(**fields))
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        assert data["responseCode"] == 0, data
        return data

    async def declined(
        self, tail: str, code: int, status: int = 200, **fields: Any
    ) -> dict[str, Any]:
        r = await self.post(tail, self.body(**fields))
        data: dict[str, Any] = r.json()
        assert (r.status_code, data["responseCode"]) == (status, code), r.text
        assert isinstance(data["transactionId"], str)
        assert data["path"] == BASE + tail
        return data


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=1234)


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        token = await get_token(c)
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient, sb: Sandbox) -> Api:
    return Api(client, sb)
