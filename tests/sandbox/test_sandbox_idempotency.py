"""Idempotency by reference (API document 1.2.2), including repeats of in-flight requests."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support import HANG_SECONDS, hold_sandbox_delays, until
from till.sandbox import Fault, Sandbox

from .conftest import Api, get_token

START = 100_000_000


async def test_repeat_returns_stored_answer(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=5_000, metadata={"b": "2", "a": "1"})
    first = await api.post("1voucher/purchase", body)
    # same JSON with keys in another order: parsed bodies compare equal
    reordered = {k: body[k] for k in reversed(list(body))}
    second = await api.post("1voucher/purchase", reordered)
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert len(sb.sales_for(body["reference"])) == 1
    assert sb.float_cents == START - 5_000


async def test_different_body_or_path_is_2256(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=5_000)
    first = (await api.post("1voucher/purchase", body)).json()
    r = await api.post("1voucher/purchase", {**body, "amount": 5_001})
    assert (r.status_code, r.json()["responseCode"]) == (400, 2256)
    r = await api.post("1voucher/disburse", body)
    assert (r.status_code, r.json()["responseCode"]) == (400, 2256)
    r = await api.post("1voucher/purchase", {**body, "storeId": "S9"})
    assert r.json()["responseCode"] == 2256
    assert len(sb.ledger) == 1 and sb.float_cents == START - 5_000
    # and the original is still replayable
    assert (await api.post("1voucher/purchase", body)).json() == first


async def test_gift_path_repeat_is_the_stored_answer(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=10_000, productCode=200)
    first = (await api.post("gift-voucher/purchase", body)).json()
    again = (await api.post("gift-voucher/purchase", body)).json()
    assert again == first and len(sb.ledger) == 1


async def test_declines_are_stored(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=5_000)
    sb.float_cents = 1_000
    assert (await api.post("1voucher/purchase", body)).json()["responseCode"] == 2003
    sb.float_cents = START
    again = await api.post("1voucher/purchase", body)
    assert again.json()["responseCode"] == 2003
    assert sb.ledger == []
    body = api.body(pin="1234123412341234", amount=0)
    first = await api.post("1voucher/redeem", body)
    second = await api.post("1voucher/redeem", body)
    assert second.status_code == first.status_code == 404
    assert second.json() == first.json()


async def test_transient_answers_are_not_stored(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=5_000, meterNumber="99992331")
    first = (await api.post("prepaid-utilities/purchase", body)).json()
    second = (await api.post("prepaid-utilities/purchase", body)).json()
    assert first["responseCode"] == second["responseCode"] == 2331
    assert first["transactionId"] != second["transactionId"]  # processed afresh
    assert sb.stored_answer(body["reference"]) is None


async def test_same_pin_on_replay(sb: Sandbox, api: Api) -> None:
    body = api.body(amount=5_000, productCode=300)
    pins = {
        (await api.post("cash-out-pin/purchase", body)).json()["voucher"]["pin"] for _ in range(3)
    }
    assert len(pins) == 1
    assert len(sb.ledger) == 1


def in_flight(sb: Sandbox) -> bool:
    return bool(sb.state()["inFlight"] == 1)


async def test_inflight_repeat_waits_for_first(
    sb: Sandbox, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_sandbox_delays(monkeypatch)  # the first stays in flight until released
    sb.inflight_wait = HANG_SECONDS  # the repeat waits as long as the first takes
    arrived: list[str] = []
    sb.on_request = lambda path, raw: arrived.append(path)
    sb.faults.inject(Fault("delay", seconds=0.3))
    body = api.body(amount=5_000)
    first_task = asyncio.create_task(api.post("1voucher/purchase", body))
    await until(lambda: in_flight(sb), "the first request to be in flight")
    assert sb.state()["inFlight"] == 1
    second_task = asyncio.create_task(api.post("1voucher/purchase", body))
    await until(lambda: len(arrived) == 2, "the repeat to arrive")
    assert not second_task.done() and not first_task.done()  # the repeat waits for the first
    held.release()
    second = await second_task
    first = await first_task
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert second.json()["responseCode"] == 0
    assert len(sb.ledger) == 1 and sb.float_cents == START - 5_000


async def test_inflight_repeat_past_wait_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    held = hold_sandbox_delays(monkeypatch)  # the first outlasts the repeat's wait, surely
    sb = Sandbox(inflight_wait=0.1)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        api = Api(c, sb)
        sb.faults.inject(Fault("delay", seconds=0.5))
        body = api.body(amount=5_000)
        first_task = asyncio.create_task(api.post("1voucher/purchase", body))
        await until(lambda: in_flight(sb), "the first request to be in flight")
        busy = await api.post("1voucher/purchase", body)
        assert (busy.status_code, busy.json()["responseCode"]) == (200, 2220)
        assert busy.json()["responseMessage"] == "Transaction is busy processing."
        assert not first_task.done()
        held.release()
        first = await first_task
        assert first.json()["responseCode"] == 0
        # busy was not stored: a later repeat gets the first answer
        again = await api.post("1voucher/purchase", body)
        assert again.json() == first.json()
        assert len(sb.ledger) == 1


async def test_inflight_repeat_with_different_body_is_2256(
    sb: Sandbox, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_sandbox_delays(monkeypatch)
    sb.faults.inject(Fault("delay", seconds=0.2))
    body = api.body(amount=5_000)
    first_task = asyncio.create_task(api.post("1voucher/purchase", body))
    await until(lambda: in_flight(sb), "the first request to be in flight")
    r = await api.post("1voucher/purchase", {**body, "amount": 6_000})
    assert r.json()["responseCode"] == 2256
    assert not first_task.done()  # answered while the first was still in flight
    held.release()
    assert (await first_task).json()["responseCode"] == 0
    assert len(sb.ledger) == 1


async def test_concurrent_distinct_references(sb: Sandbox, api: Api) -> None:
    bodies = [api.body(amount=1_000) for _ in range(20)]
    results = await asyncio.gather(*(api.post("1voucher/purchase", b) for b in bodies))
    assert all(r.json()["responseCode"] == 0 for r in results)
    assert len(sb.ledger) == 20 and sb.float_cents == START - 20_000
