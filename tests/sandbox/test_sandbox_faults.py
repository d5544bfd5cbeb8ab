"""Fault injection: each kind in process, plus drop and delay over a real socket."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.support import HANG_SECONDS, hold_sandbox_delays, until
from till.sandbox import Fault, FaultPlan, Sandbox, running_sandbox

from .conftest import BASE, Api, get_token

START = 100_000_000


async def test_error_500_and_503_commit_nothing(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("error_500"))
    sb.faults.inject(Fault("error_503"))
    body = api.body(amount=5_000)
    assert (await api.post("1voucher/purchase", body)).status_code == 500
    assert (await api.post("1voucher/purchase", body)).status_code == 503
    assert sb.ledger == [] and sb.float_cents == START
    r = await api.post("1voucher/purchase", body)  # retry with the same reference: processed
    assert r.json()["responseCode"] == 0 and len(sb.ledger) == 1


@pytest.mark.parametrize(("code", "status"), [(2210, 200), (2220, 200), (2001, 200), (2373, 429)])
async def test_code_fault_is_transient(sb: Sandbox, api: Api, code: int, status: int) -> None:
    sb.faults.inject(Fault("code", code=code))
    body = api.body(amount=5_000)
    r = await api.post("1voucher/purchase", body)
    assert (r.status_code, r.json()["responseCode"]) == (status, code)
    assert r.json()["reference"] == body["reference"]
    assert sb.ledger == []
    r = await api.post("1voucher/purchase", body)
    assert r.json()["responseCode"] == 0 and len(sb.ledger) == 1


async def test_code_fault_explicit_status_and_path(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("code", path="1voucher/redeem", code=2001, status=503))
    await api.ok("1voucher/purchase", amount=1_000)  # other path: untouched
    r = await api.post("1voucher/redeem", api.body(pin="1111111111111111", amount=0))
    assert (r.status_code, r.json()["responseCode"]) == (503, 2001)
    assert sb.faults.fired == [(BASE + "1voucher/redeem", "code")]


async def test_times_and_clear(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("error_503", times=2))
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 503
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 503
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 200
    sb.faults.inject(Fault("error_503", times=5))
    sb.faults.plan = FaultPlan(rates={"error_500": 1.0})
    sb.faults.clear()
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 200


async def test_drop_commits_then_raises(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("drop"))
    body = api.body(amount=5_000)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("1voucher/purchase", body)
    [sale] = sb.ledger
    assert sb.float_cents == START - 5_000
    r = await api.post("1voucher/purchase", body)
    assert r.json()["voucher"]["pin"] == sale.pin
    assert len(sb.ledger) == 1


async def test_malformed_commits_with_garbled_body(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("malformed"))
    body = api.body(amount=5_000)
    r = await api.post("1voucher/purchase", body)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert len(sb.ledger) == 1
    assert (await api.post("1voucher/purchase", body)).json()["voucher"]["pin"] == sb.ledger[0].pin


async def test_expire_token_fault(sb: Sandbox, api: Api) -> None:
    sb.faults.inject(Fault("expire_token"))
    body = api.body(amount=5_000)
    r = await api.post("1voucher/purchase", body)
    assert (r.status_code, r.json()["responseCode"]) == (401, 2233)
    r = await api.post("1voucher/purchase", body)
    assert r.status_code == 401  # the token really is gone
    assert sb.ledger == []
    api.client.headers["Authorization"] = f"Bearer {await get_token(api.client)}"
    assert (await api.post("1voucher/purchase", body)).json()["responseCode"] == 0


async def test_delay_in_process(sb: Sandbox, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    held = hold_sandbox_delays(monkeypatch)  # the delay, held by the test instead of timed
    sb.faults.inject(Fault("delay", seconds=0.2))
    answer = asyncio.create_task(api.ok("1voucher/purchase", amount=1_000))
    await until(lambda: held.asked, "the sandbox to delay the request")
    # delayed before it is processed: in flight, nothing committed, no answer yet
    assert held.asked == [0.2]
    assert sb.state()["inFlight"] == 1 and sb.ledger == [] and sb.float_cents == START
    assert not answer.done()
    held.release()
    await answer  # then processed, committed and answered normally
    assert sb.faults.fired == [(BASE + "1voucher/purchase", "delay")]
    assert len(sb.ledger) == 1 and sb.float_cents == START - 1_000


async def test_plan_parse_and_draw(sb: Sandbox, api: Api) -> None:
    plan = FaultPlan.parse(["error_503=1.0"], seed=3)
    assert plan.rates == {"error_503": 1.0}
    sb.faults.plan = plan
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 503
    with pytest.raises(ValueError):
        FaultPlan.parse(["drop"])
    with pytest.raises(ValueError):
        FaultPlan.parse(["bogus=0.1"])
    with pytest.raises(ValueError):
        FaultPlan.parse(["drop=0.6", "delay=0.6"])
    mixed = FaultPlan.parse(["drop=0.2", "code=0.3"], codes=[2210], seed=7)
    drawn = [mixed.draw() for _ in range(2000)]
    kinds = [f.kind if f else None for f in drawn]
    assert 300 < kinds.count("drop") < 500 and 500 < kinds.count("code") < 700
    assert {f.code for f in drawn if f and f.kind == "code"} == {2210}
    again = FaultPlan.parse(["drop=0.2", "code=0.3"], codes=[2210], seed=7)
    assert [f.kind if f else None for f in (again.draw() for _ in range(2000))] == kinds


async def test_admin_fault_endpoint_and_audit(sb: Sandbox, api: Api) -> None:
    r = await api.client.post("/_sandbox/faults", json={"inject": [{"kind": "error_500"}]})
    assert r.json()["faultsQueued"] == 1
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 500
    r = await api.client.post("/_sandbox/faults", json={"plan": {"rates": {"error_503": 1.0}}})
    assert r.json()["faultPlan"]["rates"] == {"error_503": 1.0}
    assert (await api.post("1voucher/purchase", api.body(amount=1_000))).status_code == 503
    await api.client.post("/_sandbox/faults", json={"clear": True})
    await api.ok("1voucher/purchase", amount=1_000)
    ledger = (await api.client.get("/_sandbox/ledger")).json()
    assert [e["amount"] for e in ledger] == [1_000]
    state = (await api.client.get("/_sandbox/state")).json()
    assert state["floatCents"] == START - 1_000 and state["ledgerCount"] == 1
    r = await api.client.post("/_sandbox/faults", json={"inject": [{"kind": "nope"}]})
    assert r.status_code == 400
    await api.client.post("/_sandbox/float", json={"cents": 10})
    assert sb.float_cents == 10


async def test_no_admin_when_disabled() -> None:
    sb = Sandbox(admin=False)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox") as c:
        assert (await c.get("/_sandbox/state")).status_code == 404


async def test_on_request_hook_sees_raw_body_first(sb: Sandbox, api: Api) -> None:
    seen: list[tuple[str, bytes, int]] = []
    sb.on_request = lambda path, raw: seen.append((path, raw, len(sb.ledger)))
    body = api.body(amount=1_000)
    await api.post("1voucher/purchase", body)
    [(path, raw, ledger_len)] = seen
    assert path == BASE + "1voucher/purchase"
    assert json.loads(raw) == body
    assert ledger_len == 0


# ------------------------------------------------------------------ over a real socket


@asynccontextmanager
async def _socket_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose timeouts only bound a hang (a test that wants a timeout asks for one)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=HANG_SECONDS) as c:
        c.headers["Authorization"] = f"Bearer {await get_token(c)}"
        yield c


async def test_drop_over_socket_then_resend() -> None:
    sb = Sandbox(seed=5)
    sb.faults.inject(Fault("drop"))
    with running_sandbox(sb, startup_timeout=HANG_SECONDS) as base_url:
        async with _socket_client(base_url) as c:
            api = Api(c, sb)
            body = api.body(amount=5_000)
            with pytest.raises(httpx.RemoteProtocolError):
                await api.post("1voucher/purchase", body)
            r = await api.post("1voucher/purchase", body)
            assert r.status_code == 200
    [sale] = sb.sales_for(body["reference"])
    assert r.json()["voucher"]["pin"] == sale.pin
    assert sb.float_cents == START - 5_000


async def test_delay_over_socket_times_out_then_resend() -> None:
    sb = Sandbox(seed=6, inflight_wait=HANG_SECONDS)
    sb.faults.inject(Fault("delay", seconds=0.6))
    with running_sandbox(sb, startup_timeout=HANG_SECONDS) as base_url:
        async with _socket_client(base_url) as c:
            api = Api(c, sb)
            body = api.body(amount=5_000, productCode=300)
            # no answer can come before the 0.6 s delay: a 0.2 s read timeout always fires
            with pytest.raises(httpx.ReadTimeout):
                await c.post(
                    BASE + "cash-out-pin/purchase",
                    json=body,
                    timeout=httpx.Timeout(HANG_SECONDS, read=0.2),
                )
            # the resend waits for the still-running first request and gets its answer
            r = await c.post(BASE + "cash-out-pin/purchase", json=body)
            assert r.json()["responseCode"] == 0
    [sale] = sb.sales_for(body["reference"])
    assert r.json()["voucher"]["pin"] == sale.pin
    assert len(sb.ledger) == 1 and sb.float_cents == START - 5_000


async def test_no_secret_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sb = Sandbox(seed=8)
    sb.faults.inject(Fault("drop", path="prepaid-utilities/purchase"))
    with running_sandbox(sb, startup_timeout=HANG_SECONDS) as base_url:
        async with _socket_client(base_url) as c:
            api = Api(c, sb)
            await api.ok("1voucher/purchase", amount=1_000)
            await api.ok("1voucher/redeem", pin="1111111111111111", amount=100)
            body = api.body(amount=5_000, meterNumber="04141414141")
            with pytest.raises(httpx.RemoteProtocolError):
                await api.post("prepaid-utilities/purchase", body)
    secrets = sb.issued_secrets() | {sb.api_key}
    assert len(secrets) > 5
    assert caplog.records  # the dropped connection is logged by uvicorn ...
    text = caplog.text
    assert not [s for s in secrets if s in text]  # ... without any PIN, token or key
