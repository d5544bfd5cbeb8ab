"""The sale engine against the sandbox and a real journal file: the invariants of DESIGN.md."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest

import till.sales.engine as engine_module
from tests.support import HANG_SECONDS, ModuleAs, hold_sandbox_delays, make_engine, until
from till.flash import FlashClient, FlashDeclined, FlashNotSent
from till.journal import Journal
from till.sales import Backoff, EngineHooks, InputError, ResolveReport, SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, Fault, Sandbox, running_sandbox
from till.staff import ApprovalPolicy
from till.tui.catalog import sale_items

KEY_CHANGE_METER = "04141414141"


@pytest.fixture
async def engine(journal: Journal, client: FlashClient) -> AsyncIterator[SaleEngine]:
    yield make_engine(journal, client)


def pin_of(response: dict[str, Any] | None) -> str:
    assert response is not None
    return str(response["voucher"]["pin"])


# -- invariant 1: journaled before sent --------------------------------------------------------


async def test_reference_is_in_the_journal_before_the_request_arrives(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    seen: list[tuple[str, Any]] = []

    def look(path: str, body: bytes) -> None:
        reference = json.loads(body)["reference"]
        other = sqlite3.connect(journal.path)  # a second connection: only committed data
        row = other.execute(
            "SELECT state, request FROM entries WHERE reference = ?", (reference,)
        ).fetchone()
        other.close()
        seen.append((reference, row))

    sandbox.on_request = look
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved"
    assert seen == [(outcome.reference, ("pending", outcome.entry.request))]


# -- every entry point: approve, and refuse bad input without writing or sending ---------------


async def test_sell_1voucher_approved(engine: SaleEngine, sandbox: Sandbox) -> None:
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved" and outcome.entry.state == "approved"
    ledger = sandbox.sales_for(outcome.reference)
    assert len(ledger) == 1 and ledger[0].pin == pin_of(outcome.response)
    assert outcome.entry.serial_number == outcome.response["voucher"]["serialNumber"]  # type: ignore[index]
    body = json.loads(outcome.entry.request)
    assert body["storeId"] == "S1" and body["terminalId"] == "T1" and body["amount"] == 5000


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: e.sell_1voucher(0), "amount"),
        (lambda e: e.sell_1voucher(-5), "amount"),
        (lambda e: e.disburse_1voucher(0), "amount"),
        (lambda e: e.redeem_1voucher("1234", 0), "pin"),
        (lambda e: e.redeem_1voucher("1111111111111111", 0, mobile_number="12345"), "mobile"),
        (lambda e: e.sell_gift_voucher(0, 5000), "product_code"),
        (lambda e: e.sell_eezi_voucher(500, 0), "amount"),
        (lambda e: e.sell_airtime(400, "0821234", 2900), "mobile"),
        (lambda e: e.sell_cash_out_pin(300, 60_000), "amount"),
        (lambda e: e.lookup_cash_out_pin("AB-1", 300), "serial"),
        (lambda e: e.lookup_meter("0404 0404-040", 5000), "meter"),
        (lambda e: e.vend_utility("04040404040", 0), "amount"),
        (lambda e: e.vend_utility("04242424242", 500, fbe=True), "amount"),
        (lambda e: e.refund_1voucher("NOPE", 500), None),
        (lambda e: e.cancel_cash_out_pin("NOPE"), None),
    ],
)
async def test_bad_input_writes_nothing_and_sends_nothing(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal, call: Any, field: str | None
) -> None:
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    with pytest.raises(InputError) as caught:
        await call(engine)
    assert caught.value.message
    if field is not None:
        assert field in (caught.value.field or "")
    assert journal.search() == []
    assert arrived == []


async def test_redeem_with_change_refund_linked(engine: SaleEngine, journal: Journal) -> None:
    sold = await engine.sell_1voucher(10_000)
    redeemed = await engine.redeem_1voucher(pin_of(sold.response), 4000)
    assert redeemed.status == "approved"
    change = redeemed.response["voucher"]  # type: ignore[index]
    assert change["amount"] == 6000 and len(change["pin"]) == 16
    refund = await engine.refund_1voucher(redeemed.reference, 2500)
    assert refund.status == "approved" and pin_of(refund.response)
    assert refund.entry.related_reference == redeemed.reference
    assert json.loads(refund.entry.request)["metadata"] == {"refundOf": redeemed.reference}
    assert [e.reference for e in journal.related(redeemed.reference)] == [refund.reference]
    with pytest.raises(InputError, match="exceed"):
        await engine.refund_1voucher(redeemed.reference, 2000)  # 2500 + 2000 > 4000


async def test_cash_out_pin_cancel_linked_and_lookup(engine: SaleEngine, journal: Journal) -> None:
    bought = await engine.sell_cash_out_pin(300, 20_000)
    assert bought.status == "approved" and bought.entry.serial_number
    looked = await engine.lookup_cash_out_pin(bought.entry.serial_number, 300)
    assert looked.status == "approved" and not looked.entry.retryable
    cancelled = await engine.cancel_cash_out_pin(bought.reference)
    assert cancelled.status == "approved"
    assert cancelled.entry.related_reference == bought.reference
    assert json.loads(cancelled.entry.request)["metadata"] == {"cancelOf": bought.reference}
    with pytest.raises(InputError, match="already cancelled"):  # refused before it is sent
        await engine.cancel_cash_out_pin(bought.reference)


async def test_other_kinds(engine: SaleEngine) -> None:
    gift = await engine.sell_gift_voucher(200, 10_000)
    eezi = await engine.sell_eezi_voucher(500, 1_000)
    airtime = await engine.sell_airtime(400, "082 123 4567", 2_900)
    disbursed = await engine.disburse_1voucher(2_000)
    assert [o.status for o in (gift, eezi, airtime, disbursed)] == ["approved"] * 4
    assert airtime.entry.mobile_number == "27821234567"
    meter = await engine.lookup_meter(KEY_CHANGE_METER, 20_000)
    assert meter.status == "approved" and meter.entry.meter_number == KEY_CHANGE_METER
    vend = await engine.vend_utility(KEY_CHANGE_METER, 20_000)
    assert vend.status == "approved"
    assert len(vend.response["tokens"]) == 3  # type: ignore[index]
    fbe = await engine.vend_utility("04242424242", 0, fbe=True)
    assert fbe.status == "approved"


async def test_decline_is_settled_with_code(engine: SaleEngine) -> None:
    outcome = await engine.redeem_1voucher("2401240124012401", 0)
    assert outcome.status == "declined" and outcome.code == 2401
    assert outcome.entry.state == "declined" and outcome.entry.response_code == 2401
    assert "used" in outcome.message


async def test_not_sent_is_definitive(journal: Journal) -> None:
    async with FlashClient(
        base_url="http://127.0.0.1:9",
        api_key="k",
        account_number=DEFAULT_ACCOUNT,
        connect_timeout=1,
    ) as client:
        engine = make_engine(journal, client)
        outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "not_sent"
    assert outcome.entry.state == "declined" and "not sent" in (outcome.entry.last_error or "")
    assert engine.open_count == 0


# -- in doubt, settled by the resolver ---------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error_500"),
        Fault("error_503"),
        Fault("drop"),
        Fault("malformed"),
        Fault("code", code=2210),
        Fault("code", code=2220),
        Fault("code", code=2001),
        Fault("code", code=2373),
    ],
    ids=lambda f: f"{f.kind}-{f.code}" if f.kind == "code" else f.kind,
)
async def test_in_doubt_settles_to_exactly_one_sale(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal, fault: Fault
) -> None:
    bodies: list[bytes] = []
    sandbox.on_request = lambda path, body: bodies.append(body)
    counts: list[int] = []
    engine.on_open_count(counts.append)
    sandbox.faults.inject(fault)
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt" and outcome.entry.state == "in_doubt"
    assert engine.open_count == 1 and counts[-1] == 1
    report = await engine.resolve(all_open=True)
    assert report.approved == [outcome.reference]
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "approved" and entry.attempts == 2
    sales = sandbox.sales_for(outcome.reference)
    assert len(sales) == 1 and sales[0].pin == pin_of(entry.response)
    assert len(bodies) == 2 and bodies[0] == bodies[1] == entry.request
    assert engine.open_count == 0 and counts[-1] == 0


async def test_expired_token_is_transparent(engine: SaleEngine, sandbox: Sandbox) -> None:
    await engine.client.token()
    sandbox.faults.inject(Fault("expire_token"))
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved"
    assert len(sandbox.sales_for(outcome.reference)) == 1


async def fetch_token(client: FlashClient) -> None:
    """Get the client its token, asking again while a slow machine outlasts its read timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_SECONDS
    while True:
        try:
            await client.token()
            return
        except FlashNotSent:
            if loop.time() > deadline:
                raise


async def test_read_timeout_over_a_socket_settles_once(journal: Journal) -> None:
    sb = Sandbox(seed=5)
    with running_sandbox(sb, startup_timeout=HANG_SECONDS) as base_url:
        async with FlashClient(
            base_url=base_url, api_key=sb.api_key, account_number=DEFAULT_ACCOUNT, read_timeout=0.3
        ) as client:
            await fetch_token(client)  # the short read timeout is for the sale
            engine = make_engine(journal, client)
            sb.faults.inject(Fault("delay", seconds=0.8))
            outcome = await engine.sell_1voucher(5000)
            assert outcome.status == "in_doubt"
            report = await engine.resolve(all_open=True)  # may wait for the first (in flight)
            while report.still_in_doubt:
                report = await engine.resolve(all_open=True)
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "approved"
    assert [s.pin for s in sb.sales_for(outcome.reference)] == [pin_of(entry.response)]


async def test_resolver_keeps_trying_while_flash_is_down(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    sandbox.faults.inject(Fault("error_503", times=4))
    outcome = await engine.sell_1voucher(5000)
    for _ in range(3):
        report = await engine.resolve(all_open=True)
        assert report.still_in_doubt == [outcome.reference]
    report = await engine.resolve(all_open=True)
    assert report.approved == [outcome.reference]
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.attempts == 5
    assert len(sandbox.sales_for(outcome.reference)) == 1


async def test_leftover_pending_entry_is_resent_on_start(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    """A crash between journaling and sending leaves `pending`: resolve sends it, once."""
    crashed = EngineHooks(journaled=lambda entry: (_ for _ in ()).throw(SystemExit))
    engine.hooks = crashed
    with pytest.raises(SystemExit):
        await engine.sell_1voucher(5000)
    (pending,) = journal.pending()
    assert sandbox.sales_for(pending.reference) == []
    engine.hooks = EngineHooks()
    report = await engine.resolve()
    assert report.approved == [pending.reference]
    assert len(sandbox.sales_for(pending.reference)) == 1


async def test_a_decline_on_resend_settles_declined(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    sandbox.faults.inject(Fault("error_500"))
    sandbox.float_cents = 100  # by the time Flash answers, the float is spent
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt"
    report = await engine.resolve(all_open=True)
    assert report.declined == [outcome.reference]
    assert journal.get(outcome.reference).response_code == 2003  # type: ignore[union-attr]


async def test_queries_are_never_retried(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    sandbox.faults.inject(Fault("error_503"))
    outcome = await engine.lookup_meter("04040404040", 5000)
    assert outcome.status == "declined" and "No answer" in outcome.message
    assert not outcome.entry.retryable and engine.open_count == 0
    assert (await engine.resolve(all_open=True)).attempted == 0


async def test_stale_in_doubt_is_flagged_never_dropped(
    journal: Journal, client: FlashClient, sandbox: Sandbox
) -> None:
    now = [1_000_000]
    engine = make_engine(journal, client, clock=lambda: now[0], attention_after_ms=60_000)
    sandbox.faults.inject(Fault("error_503", times=100))  # Flash stays down all test
    outcome = await engine.sell_1voucher(5000)
    now[0] += 61_000
    report = await engine.resolve(all_open=True)
    assert report.flagged == 1 and report.still_in_doubt == [outcome.reference]
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.flagged_at == now[0] and entry.state == "in_doubt"


async def test_training_engine_never_resends_live_entries(
    journal: Journal, client: FlashClient, sandbox: Sandbox
) -> None:
    live = make_engine(journal, client)
    sandbox.faults.inject(Fault("error_500"))
    outcome = await live.sell_1voucher(5000)
    training = make_engine(journal, client, training=True)
    assert (await training.resolve(all_open=True)).attempted == 0
    assert journal.get(outcome.reference).state == "in_doubt"  # type: ignore[union-attr]


def count_passes(engine: SaleEngine) -> list[ResolveReport]:
    """Every pass the engine's resolver finishes, in order."""
    reports: list[ResolveReport] = []
    resolve = engine.resolve

    async def counted(*, all_open: bool = False) -> ResolveReport:
        report = await resolve(all_open=all_open)
        reports.append(report)
        return report

    engine.resolve = counted  # type: ignore[method-assign]
    return reports


async def test_background_resolver_settles_and_never_doubles_an_in_flight_sale(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_sandbox_delays(monkeypatch)  # the sale stays on the wire until released
    passes = count_passes(engine)
    arrivals: list[str] = []
    sandbox.on_request = lambda path, body: arrivals.append(json.loads(body)["reference"])
    stop = asyncio.Event()
    resolver = asyncio.create_task(engine.run_resolver(stop))
    try:
        await until(lambda: passes, "the resolver's first pass")
        sandbox.faults.inject(Fault("delay", seconds=0.3))
        slow = asyncio.create_task(engine.sell_1voucher(5000))
        await until(lambda: held.asked, "the sale to be on the wire")
        before = len(passes)
        engine.wake()  # the resolver looks while the sale is still in flight: it must skip it
        await until(lambda: len(passes) > before, "the resolver's pass")
        assert passes[before].attempted == 0 and not slow.done()
        held.release()
        assert (await slow).status == "approved"
        assert len(arrivals) == 1

        sandbox.faults.inject(Fault("drop"))
        doubted = await engine.sell_1voucher(6000)
        assert doubted.status == "in_doubt"
        # the resolver was woken by the in-doubt outcome
        await until(
            lambda: journal.get(doubted.reference).state == "approved",  # type: ignore[union-attr]
            "the resolver to settle the sale",
        )
        assert journal.get(doubted.reference).state == "approved"  # type: ignore[union-attr]
        assert len(sandbox.sales_for(doubted.reference)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(resolver, timeout=HANG_SECONDS)


def test_backoff_is_capped_exponential_with_jitter() -> None:
    backoff = Backoff(base_ms=1000, cap_ms=30_000, jitter=0.5, rng=random.Random(1))
    for attempts in range(1, 12):
        ceiling = min(30_000, 1000 * 2 ** (attempts - 1))
        delays = {backoff.delay_ms(attempts) for _ in range(50)}
        assert all(ceiling // 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter spreads tills that lost Flash at the same moment
    assert backoff.delay_ms(10_000) <= 30_000


async def test_resolver_does_not_spin_while_a_sale_is_on_the_wire(
    engine: SaleEngine, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_sandbox_delays(monkeypatch)  # the sale stays on the wire until released
    passes = count_passes(engine)
    #: How long the resolver sleeps after each pass, unless woken (seconds).
    sleeps: list[float | None] = []
    wait = asyncio.wait

    async def timed_wait(*args: Any, **kwargs: Any) -> Any:
        sleeps.append(kwargs.get("timeout"))
        return await wait(*args, **kwargs)

    monkeypatch.setattr(engine_module, "asyncio", ModuleAs(asyncio, wait=timed_wait))
    stop = asyncio.Event()
    resolver = asyncio.create_task(engine.run_resolver(stop))
    try:
        await until(lambda: sleeps, "the resolver's first sleep")
        sandbox.faults.inject(Fault("delay", seconds=1.0))
        before = len(passes)
        sale = asyncio.create_task(engine.sell_1voucher(5000))
        await until(lambda: held.asked, "the sale to be on the wire")
        slept = len(sleeps)
        engine.wake()  # the resolver looks while the sale is in flight, then goes back to sleep
        await until(lambda: len(sleeps) > slept, "the resolver to sleep again")
        # it used to wake every 50 ms for the sale in flight: now it sleeps until woken (or
        # until the next entry is due: none here)
        assert all(s is not None and s > 1.0 for s in sleeps[slept:]), sleeps
        held.release()
        assert (await sale).status == "approved"
        assert len(passes) - before <= 3
    finally:
        stop.set()
        await asyncio.wait_for(resolver, timeout=HANG_SECONDS)


async def test_a_cash_out_pin_cannot_be_cancelled_twice(engine: SaleEngine) -> None:
    bought = await engine.sell_cash_out_pin(300, 10_000)
    assert (await engine.cancel_cash_out_pin(bought.reference)).status == "approved"
    with pytest.raises(InputError, match="already cancelled"):
        await engine.cancel_cash_out_pin(bought.reference)


# -- the product list: one check (till.sales.products) before anything is written or sent -----


@pytest.fixture
async def listed_engine(journal: Journal, client: FlashClient) -> SaleEngine:
    """An engine fed with the product list the account's Flash gives (as the commands feed it)."""
    return make_engine(journal, client, products=sale_items(await client.list_products()))


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda e: e.sell_1voucher(600_000), "amount", "largest amount is R 5 000.00"),
        (lambda e: e.sell_1voucher(400), "amount", "smallest amount is R 5.00"),
        (lambda e: e.disburse_1voucher(600_000), "amount", "largest amount is R 5 000.00"),
        (lambda e: e.sell_gift_voucher(400, 5000), "product_code", "not a gift voucher"),
        (lambda e: e.sell_gift_voucher(999, 5000), "product_code", "200, 201, 202, 203"),
        (lambda e: e.sell_gift_voucher(203, 5000), "amount", "only amount is R 100.00"),
        (lambda e: e.sell_gift_voucher(201, 300_000), "amount", "R 2 000.00"),
        (lambda e: e.sell_eezi_voucher(200, 5000), "product_code", "not an Eezi voucher"),
        (lambda e: e.sell_airtime(200, "0821234567", 2900), "product_code", "not pinless"),
        (lambda e: e.sell_airtime(401, "0821234567", 200_000), "amount", "R 1 000.00"),
        (lambda e: e.sell_cash_out_pin(300, 1000), "amount", "smallest amount is R 20.00"),
        (lambda e: e.sell_cash_out_pin(500, 5000), "product_code", "not a Cash Out PIN"),
    ],
)
async def test_the_product_list_refuses_before_anything_is_written_or_sent(
    listed_engine: SaleEngine,
    sandbox: Sandbox,
    journal: Journal,
    call: Any,
    field: str,
    words: str,
) -> None:
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    with pytest.raises(InputError) as caught:
        await call(listed_engine)
    assert caught.value.field == field and words in caught.value.message
    assert journal.search() == [] and arrived == [] and sandbox.ledger == []


async def test_what_the_product_list_allows_is_sold(listed_engine: SaleEngine) -> None:
    for outcome in [
        await listed_engine.sell_1voucher(500_000),
        await listed_engine.sell_gift_voucher(203, 10_000),
        await listed_engine.sell_airtime(401, "0821234567", 500),
        await listed_engine.sell_cash_out_pin(300, 50_000),
    ]:
        assert outcome.status == "approved", outcome.message


async def test_without_a_product_list_flash_judges(engine: SaleEngine) -> None:
    """No list (none fetched or cached): the sale goes to Flash, which declines it (2204)."""
    outcome = await engine.sell_1voucher(600_000)
    assert outcome.status == "declined" and outcome.code == 2204


async def test_a_refused_sale_asks_no_supervisor_first(
    journal: Journal, client: FlashClient
) -> None:
    """Above the approval limit and out of range: refused, never sent to a supervisor."""
    products = sale_items(await client.list_products())
    engine = make_engine(journal, client, products=products, policy=ApprovalPolicy(sale_limit=100))
    with pytest.raises(InputError) as caught:
        await engine.sell_1voucher(600_000)
    assert caught.value.field == "amount" and journal.search() == []


async def test_a_decline_journals_the_body_flash_sent(
    engine: SaleEngine, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = '{"responseCode":2204,"responseMessage":"Amount out of range"}'

    async def declines(*args: Any, **kwargs: Any) -> Any:
        exc = FlashDeclined("Amount out of range", code=2204, http_status=400)
        exc.body = body  # type: ignore[attr-defined]  # what till.flash is to keep (see below)
        raise exc

    monkeypatch.setattr(engine.client, "exchange", declines)
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "declined" and outcome.code == 2204
    assert outcome.response == json.loads(body)
    assert journal.get(outcome.reference).response == json.loads(body)  # type: ignore[union-attr]
