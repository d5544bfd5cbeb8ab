"""FlashClient against the sandbox: every endpoint approves and declines, tokens are shared and
refreshed, and every in-doubt cause is classified and settles to one sale on resend."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support import sandbox_client, until
from till.flash import FlashAuthError, FlashClient, FlashDeclined, FlashInDoubt, FlashNotSent
from till.flash.client import ONE_VOUCHER_PURCHASE
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    GiftVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
    UtilityLookupRequest,
    UtilityPurchaseRequest,
)
from till.sandbox import DEFAULT_ACCOUNT, Fault, Sandbox, running_sandbox

ACC = DEFAULT_ACCOUNT
GIFT, CASH_OUT, VODACOM, EEZI = 200, 300, 400, 500
METER, KEY_CHANGE_METER, BLOCKED_METER, UNREGISTERED_METER = (
    "04040404040",
    "04141414141",
    "04444444444",
    "04545454545",
)
_refs = itertools.count(1)


def ref() -> str:
    return f"T1-{next(_refs)}"


def purchase(amount: int = 5000, reference: str | None = None) -> OneVoucherPurchaseRequest:
    return OneVoucherPurchaseRequest(
        reference=reference or ref(),
        account_number=ACC,
        amount=amount,
        store_id="S1",
        terminal_id="T1",
    )


@pytest.fixture
def poor_sandbox() -> Iterator[Sandbox]:
    """A merchant whose float cannot pay for anything bigger than R 1."""
    yield Sandbox(float_cents=100, seed=7)


@pytest.fixture
async def poor_client(poor_sandbox: Sandbox) -> AsyncIterator[FlashClient]:
    async with sandbox_client(poor_sandbox) as flash:
        yield flash


# -- every endpoint: a success and a decline ---------------------------------------------------


async def test_products(client: FlashClient) -> None:
    products = await client.list_products()
    codes = {p.product_code for p in products}
    assert {GIFT, CASH_OUT, VODACOM, EEZI} <= codes
    detail = await client.lookup_product(GIFT)
    assert detail.product_code == GIFT and detail.product_name
    with pytest.raises(FlashDeclined) as caught:
        await client.lookup_product(999_999)
    assert caught.value.code == 2101


async def test_bare_product_list() -> None:
    sb = Sandbox(products_shape="bare")
    async with FlashClient(
        base_url="http://s", api_key=sb.api_key, account_number=ACC, transport=sb.transport()
    ) as flash:
        assert len(await flash.list_products()) > 5


async def test_unknown_account_declined(sandbox: Sandbox) -> None:
    async with FlashClient(
        base_url="http://s",
        api_key=sandbox.api_key,
        account_number="NOPE1",
        transport=sandbox.transport(),
    ) as flash:
        with pytest.raises(FlashDeclined):
            await flash.list_products()


async def test_1voucher_purchase(client: FlashClient, sandbox: Sandbox) -> None:
    before = sandbox.float_cents
    response = await client.purchase_1voucher(purchase(5000))
    assert response.voucher is not None and response.voucher.pin is not None
    assert len(response.voucher.pin) == 16 and response.voucher.pin.isdigit()
    assert sandbox.float_cents == before - 5000
    assert response.transaction_id is not None


async def test_1voucher_purchase_declined_for_float(poor_client: FlashClient) -> None:
    with pytest.raises(FlashDeclined) as caught:
        await poor_client.purchase_1voucher(purchase(5000))
    assert caught.value.code == 2003
    assert "balance" in caught.value.message.lower()


async def test_1voucher_disburse(client: FlashClient, poor_client: FlashClient) -> None:
    request = OneVoucherDisburseRequest(reference=ref(), account_number=ACC, amount=2000)
    response = await client.disburse_1voucher(request)
    assert response.voucher is not None and response.voucher.pin
    with pytest.raises(FlashDeclined) as caught:
        await poor_client.disburse_1voucher(request)
    assert caught.value.code == 2003


async def test_1voucher_redeem_with_change_then_again(client: FlashClient) -> None:
    sold = await client.purchase_1voucher(purchase(10_000))
    assert sold.voucher is not None and sold.voucher.pin is not None
    redeem = OneVoucherRedeemRequest(
        reference=ref(), account_number=ACC, pin=sold.voucher.pin, amount=4000
    )
    redeemed = await client.redeem_1voucher(redeem)
    assert redeemed.amount == 4000
    assert redeemed.voucher is not None and redeemed.voucher.pin
    assert redeemed.voucher.pin != sold.voucher.pin
    assert redeemed.voucher.amount == 6000
    again = OneVoucherRedeemRequest(
        reference=ref(), account_number=ACC, pin=sold.voucher.pin, amount=0
    )
    with pytest.raises(FlashDeclined) as caught:
        await client.redeem_1voucher(again)
    assert caught.value.code == 2401


async def test_1voucher_redeem_unknown_pin(client: FlashClient) -> None:
    redeem = OneVoucherRedeemRequest(
        reference=ref(), account_number=ACC, pin="8765876587658765", amount=0
    )
    with pytest.raises(FlashDeclined) as caught:
        await client.redeem_1voucher(redeem)
    assert caught.value.code == 2402


async def test_1voucher_refund(client: FlashClient, poor_client: FlashClient) -> None:
    request = OneVoucherRefundRequest(
        reference=ref(), account_number=ACC, amount=3000, metadata={"redeemRef": "T1-7"}
    )
    response = await client.refund_1voucher(request)
    assert response.voucher is not None and response.voucher.pin
    with pytest.raises(FlashDeclined):
        await poor_client.refund_1voucher(request)


async def test_gift_voucher(client: FlashClient) -> None:
    ok = GiftVoucherPurchaseRequest(
        reference=ref(), account_number=ACC, amount=10_000, product_code=GIFT
    )
    response = await client.purchase_gift_voucher(ok)
    assert response.voucher is not None and response.voucher.pin
    unknown = GiftVoucherPurchaseRequest(
        reference=ref(), account_number=ACC, amount=10_000, product_code=98765
    )
    with pytest.raises(FlashDeclined):
        await client.purchase_gift_voucher(unknown)


async def test_cash_out_pin_purchase_cancel_lookup(client: FlashClient, sandbox: Sandbox) -> None:
    bought = await client.purchase_cash_out_pin(
        CashOutPinPurchaseRequest(
            reference=ref(), account_number=ACC, amount=20_000, product_code=CASH_OUT
        )
    )
    assert bought.voucher is not None and bought.voucher.serial_number and bought.voucher.pin
    serial = bought.voucher.serial_number
    looked = await client.lookup_cash_out_pin(
        CashOutPinLookupRequest(
            reference=ref(), account_number=ACC, serial_number=serial, product_code=CASH_OUT
        )
    )
    assert looked.voucher is not None and looked.voucher.serial_number == serial
    float_before = sandbox.float_cents
    cancel = CashOutPinCancelRequest(
        reference=ref(), account_number=ACC, serial_number=serial, product_code=CASH_OUT
    )
    await client.cancel_cash_out_pin(cancel)
    assert sandbox.float_cents == float_before + 20_000
    twice = cancel.model_copy(update={"reference": ref()})
    with pytest.raises(FlashDeclined) as caught:
        await client.cancel_cash_out_pin(twice)
    assert caught.value.code in (2409, 2253)
    with pytest.raises(FlashDeclined):
        await client.lookup_cash_out_pin(
            CashOutPinLookupRequest(
                reference=ref(),
                account_number=ACC,
                serial_number="999999999",
                product_code=CASH_OUT,
            )
        )


async def test_pinless(client: FlashClient) -> None:
    request = CellularPinlessPurchaseRequest(
        reference=ref(),
        account_number=ACC,
        amount=2900,
        product_code=VODACOM,
        mobile_number="27821234567",
    )
    response = await client.purchase_pinless(request)
    assert response.response_code == 0 and response.amount == 2900
    bad = request.model_copy(update={"reference": ref(), "product_code": 98765})
    with pytest.raises(FlashDeclined):
        await client.purchase_pinless(bad)


async def test_eezi(client: FlashClient, poor_client: FlashClient) -> None:
    request = EeziVoucherPurchaseRequest(
        reference=ref(), account_number=ACC, amount=1000, product_code=EEZI
    )
    response = await client.purchase_eezi_voucher(request)
    assert response.voucher is not None and response.voucher.pin
    with pytest.raises(FlashDeclined) as caught:
        await poor_client.purchase_eezi_voucher(request)
    assert caught.value.code == 2003


async def test_meter_lookup(client: FlashClient) -> None:
    found = await client.lookup_meter(
        UtilityLookupRequest(reference=ref(), account_number=ACC, amount=5000, meter_number=METER)
    )
    assert found.meter_info is not None and found.meter_info.customer_info is not None
    assert found.meter_info.customer_info.name
    with pytest.raises(FlashDeclined) as caught:
        await client.lookup_meter(
            UtilityLookupRequest(
                reference=ref(), account_number=ACC, amount=5000, meter_number=BLOCKED_METER
            )
        )
    assert caught.value.code == 2311


@pytest.mark.parametrize("shape", ["v4", "rev3"])
async def test_utility_purchase_both_shapes(shape: str) -> None:
    sb = Sandbox(utility_shape=shape, seed=3)
    async with FlashClient(
        base_url="http://s", api_key=sb.api_key, account_number=ACC, transport=sb.transport()
    ) as flash:
        vend = await flash.purchase_utility(
            UtilityPurchaseRequest(
                reference=ref(), account_number=ACC, amount=20_000, meter_number=KEY_CHANGE_METER
            )
        )
        assert len(vend.key_change_tokens) == 2
        assert len(vend.credit_tokens) == 1
        assert all(len(t.token or "") == 20 for t in vend.tokens)
        with pytest.raises(FlashDeclined) as caught:
            await flash.purchase_utility(
                UtilityPurchaseRequest(
                    reference=ref(),
                    account_number=ACC,
                    amount=20_000,
                    meter_number=UNREGISTERED_METER,
                )
            )
        assert caught.value.code == 2310


# -- tokens ------------------------------------------------------------------------------------


async def test_twenty_concurrent_calls_share_one_token(
    client: FlashClient, sandbox: Sandbox
) -> None:
    results = await asyncio.gather(*(client.purchase_1voucher(purchase(1000)) for _ in range(20)))
    assert client.token_fetches == 1
    assert len({r.voucher.pin for r in results if r.voucher}) == 20
    assert len(sandbox.ledger) == 20


async def test_401_refreshes_once_and_resends_same_body(
    client: FlashClient, sandbox: Sandbox
) -> None:
    await client.purchase_1voucher(purchase())
    sandbox.expire_tokens()
    seen: list[bytes] = []
    sandbox.on_request = lambda path, body: seen.append(body)
    request = purchase()
    response = await client.purchase_1voucher(request)
    assert response.voucher is not None
    assert client.token_fetches == 2
    assert seen == [request.to_wire(), request.to_wire()]
    assert len(sandbox.sales_for(request.reference)) == 1


async def test_token_expiring_mid_session_is_refreshed_before_use(sandbox: Sandbox) -> None:
    now = [1000.0]
    sb_lifetime = 3600
    async with FlashClient(
        base_url="http://s",
        api_key=sandbox.api_key,
        account_number=ACC,
        transport=sandbox.transport(),
        clock=lambda: now[0],
    ) as flash:
        await flash.purchase_1voucher(purchase())
        first = flash._token
        now[0] += sb_lifetime - 30  # inside the refresh margin: refresh before Flash refuses it
        await flash.purchase_1voucher(purchase())
        assert flash.token_fetches == 2 and flash._token != first


async def test_injected_token_expiry_fault(client: FlashClient, sandbox: Sandbox) -> None:
    await client.token()
    sandbox.faults.inject(Fault("expire_token"))
    request = purchase()
    response = await client.purchase_1voucher(request)
    assert response.voucher is not None
    assert client.token_fetches == 2
    assert len(sandbox.sales_for(request.reference)) == 1


async def test_a_second_401_after_a_fresh_token_is_not_sent(
    client: FlashClient, sandbox: Sandbox
) -> None:
    """Refused twice: this attempt was not taken (the engine then says whether the sale is
    not sent or still in doubt), and the message does not claim more than that."""
    await client.token()
    sandbox.faults.inject(Fault("expire_token", times=2))
    request = purchase()
    with pytest.raises(FlashAuthError, match="this attempt was not processed") as caught:
        await client.purchase_1voucher(request)
    assert isinstance(caught.value, FlashNotSent) and caught.value.reference == request.reference
    assert client.token_fetches == 2
    assert sandbox.sales_for(request.reference) == []


async def test_wrong_key_is_an_auth_error(sandbox: Sandbox) -> None:
    async with FlashClient(
        base_url="http://s",
        api_key="not-the-key",
        account_number=ACC,
        transport=sandbox.transport(),
    ) as flash:
        with pytest.raises(FlashAuthError) as caught:
            await flash.purchase_1voucher(purchase())
    assert "not-the-key" not in str(caught.value)
    assert sandbox.ledger == []


# -- in doubt ----------------------------------------------------------------------------------


async def resend_settles(
    client: FlashClient, sandbox: Sandbox, request: OneVoucherPurchaseRequest
) -> str:
    """The resend of the same bytes approves, and the sandbox holds exactly one sale."""
    response = await client.send(
        ONE_VOUCHER_PURCHASE, request.to_wire(), reference=request.reference
    )
    assert response.voucher is not None and response.voucher.pin is not None
    assert len(sandbox.sales_for(request.reference)) == 1
    return response.voucher.pin


@pytest.mark.parametrize(
    ("fault", "cause", "code"),
    [
        (Fault("error_500"), "server_error", None),
        (Fault("error_503"), "server_error", None),
        (Fault("code", code=2210), "resubmit", 2210),
        (Fault("code", code=2220), "busy", 2220),
        (Fault("code", code=2001), "unavailable", 2001),
        (Fault("code", code=2373, status=429), "rate_limited", 2373),
        (Fault("malformed"), "unreadable", None),
        (Fault("drop"), "connection_lost", None),
    ],
)
async def test_in_doubt_causes_in_process(
    client: FlashClient, sandbox: Sandbox, fault: Fault, cause: str, code: int | None
) -> None:
    sandbox.faults.inject(fault)
    request = purchase()
    with pytest.raises(FlashInDoubt) as caught:
        await client.purchase_1voucher(request)
    assert caught.value.cause == cause
    if code is not None:
        assert caught.value.code == code
    committed = sandbox.sales_for(request.reference)
    pin = await resend_settles(client, sandbox, request)
    if committed:  # the fault struck after commit: the resend returns the very same PIN
        assert committed[0].pin == pin


async def test_approval_without_pin_is_in_doubt() -> None:
    """A server that says 0 but sends no voucher: the till must not call that a sale."""

    def flash(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        body: dict[str, Any] = json.loads(request.content)
        return httpx.Response(200, json={"responseCode": 0, "reference": body["reference"]})

    async with FlashClient(
        base_url="http://s", api_key="k", account_number=ACC, transport=httpx.MockTransport(flash)
    ) as client:
        with pytest.raises(FlashInDoubt) as caught:
            await client.purchase_1voucher(purchase())
    assert caught.value.cause == "incomplete"


async def test_unknown_reference_body_mismatch_is_declined(
    client: FlashClient, sandbox: Sandbox
) -> None:
    first = purchase(5000)
    await client.purchase_1voucher(first)
    clash = purchase(6000, reference=first.reference)
    with pytest.raises(FlashDeclined) as caught:
        await client.purchase_1voucher(clash)
    assert caught.value.code == 2256
    assert len(sandbox.sales_for(first.reference)) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connect_refused_is_not_sent() -> None:
    port = _free_port()
    async with FlashClient(
        base_url=f"http://127.0.0.1:{port}", api_key="k", account_number=ACC, connect_timeout=1
    ) as client:
        with pytest.raises(FlashNotSent):
            await client.purchase_1voucher(purchase())


# -- over a real socket: timeouts and dropped connections --------------------------------------


@pytest.mark.parametrize(("fault", "cause"), [("drop", "connection_lost"), ("delay", "timeout")])
async def test_over_socket_commit_then_lose_answer(fault: str, cause: str) -> None:
    sb = Sandbox(seed=11)
    with running_sandbox(sb) as base_url:
        async with FlashClient(
            base_url=base_url, api_key=sb.api_key, account_number=ACC, read_timeout=0.3
        ) as client:
            await client.token()
            sb.faults.inject(Fault(fault, seconds=0.8) if fault == "delay" else Fault(fault))
            request = purchase()
            with pytest.raises(FlashInDoubt) as caught:
                await client.purchase_1voucher(request)
            assert caught.value.cause == cause
            # A delayed request commits after the client gave up.
            await until(lambda: sb.sales_for(request.reference), "the delayed sale to commit")
            committed = sb.sales_for(request.reference)
            assert len(committed) == 1
            pin = await resend_settles(client, sb, request)
            assert pin == committed[0].pin


async def test_refund_by_sms_approves_without_pin(client: FlashClient, sandbox: Sandbox) -> None:
    request = OneVoucherRefundRequest(
        reference=ref(), account_number=ACC, amount=1500, mobile_number="27821234567"
    )
    response = await client.refund_1voucher(request)
    assert response.voucher is not None and response.voucher.pin is None
    assert response.mobile_number == "27821234567"
    assert len(sandbox.sales_for(request.reference)) == 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(["amount", "pin", "mobile_number", "reference", "metadata"]),
    data=st.data(),
)
async def test_invalid_input_sends_nothing(
    client: FlashClient, sandbox: Sandbox, field: str, data: st.DataObject
) -> None:
    bad = {
        "amount": st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=3)),
        "pin": st.text(alphabet="0123456789 x", max_size=20).filter(
            lambda p: not (len(p) == 16 and p.isdigit())
        ),
        "mobile_number": st.from_regex(r"0[0-9]{9}|27[0-9]{0,8}|[a-z]{11}", fullmatch=True),
        "reference": st.from_regex(r"[A-Za-z0-9]{1,10}[ #/_+][A-Za-z0-9]{0,10}", fullmatch=True),
        "metadata": st.dictionaries(
            st.text(min_size=11, max_size=15), st.text(max_size=5), min_size=1, max_size=3
        ),
    }[field]
    fields: dict[str, Any] = {
        "reference": ref(),
        "account_number": ACC,
        "pin": "1111111111111111",
        "amount": 0,
    }
    fields[field] = data.draw(bad)
    seen: list[str] = []
    sandbox.on_request = lambda path, body: seen.append(path)
    with pytest.raises(ValidationError) as caught:
        await client.redeem_1voucher(OneVoucherRedeemRequest(**fields))
    assert field in str(caught.value)
    assert seen == []
    assert sandbox.ledger == []
