"""A hostile Flash on loopback: every answer that must not be an approval is not one.

Each case runs a real sale through the engine, a real journal file and a printer, against the
stand-in in front of the sandbox, and checks the outcome, the journal and the printer.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from receipts import PreviewPrinter
from till.clock import now_ms
from till.flash import FlashClient, FlashInDoubt
from till.flash.models import OneVoucherPurchaseRequest
from till.journal import Journal
from till.sales import Backoff, SaleEngine
from till.sales.printing import SlipPrinter
from till.slips import SlipHeader
from till.tui.widgets import big_codes

from .hostile import HostileFlash, Reply, gzip_bomb

ACC = "SANDBOX01"
ROOT = Path(__file__).resolve().parents[2]
#: Bytes a terminal or printer would act on rather than show.
UNSAFE = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f", "\u202e", "\u2066"]


@pytest.fixture
def hostile() -> Iterator[tuple[HostileFlash, str]]:
    stand_in = HostileFlash()
    with stand_in.running() as url:
        yield stand_in, url


@pytest.fixture
async def till(
    hostile: tuple[HostileFlash, str], journal: Journal
) -> AsyncIterator[tuple[SaleEngine, PreviewPrinter, HostileFlash]]:
    stand_in, url = hostile
    printer = PreviewPrinter()
    async with FlashClient(
        base_url=url,
        api_key=stand_in.sandbox.api_key,
        account_number=ACC,
        connect_timeout=60,
        read_timeout=120,
    ) as client:
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", backoff=Backoff(1, 1))
        engine.slips = SlipPrinter(journal, printer, SlipHeader(store_name="Shop"), clock=now_ms)
        yield engine, printer, stand_in


def voucher_rewrite(change: Callable[[dict[str, Any]], None]) -> Callable[..., Reply | None]:
    """Rewrite every approval Flash sends with `change`; declines pass as they are."""

    def rewrite(path: str, request: dict[str, Any], reply: Reply) -> Reply | None:
        body = json.loads(reply.body)
        if body.get("responseCode") != 0:
            return None
        change(body)
        return Reply.of(body)

    return rewrite


def set_pin(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["voucher"]["pin"] = value

    return change


def set_voucher_amount(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["voucher"]["amount"] = value

    return change


def set_field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body[name] = value

    return change


HOSTILE_APPROVALS = {
    "pin with ANSI escapes": set_pin("\x1b[31m12345678\x1b[0m12345678"),
    "pin with control characters": set_pin("1234\x00\x07\x08567812345678"),
    "pin with an RTL override": set_pin("\u202e1234567812345678"),
    "pin with newlines": set_pin("1234\nAPPROVED FAKE\n5678"),
    "pin of 10,000 characters": set_pin("1" * 10_000),
    "pin sent as an integer": set_pin(1234567812345678),
    "pin of Arabic-Indic digits": set_pin("١٢٣٤٥٦٧٨١٢٣٤٥٦٧٨"),
    "pin of 15 digits": set_pin("123456781234567"),
    "voucher amount -5000": set_voucher_amount(-5000),
    "voucher amount 10^30": set_voucher_amount(10**30),
    "voucher amount of another sale": set_voucher_amount(6000),
    "voucher amount as a float": set_voucher_amount(5000.0),
    "amount echoed wrong": set_field("amount", 500000),
    "another sale's reference": set_field("reference", "S1-T1-999999"),
    "no reference": set_field("reference", None),
    "transaction date that is not a date": set_field("transactionDate", "yesterday-ish"),
}


@pytest.mark.parametrize("case", list(HOSTILE_APPROVALS))
async def test_a_hostile_approval_is_not_an_approval(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal, case: str
) -> None:
    engine, printer, stand_in = till
    stand_in.rewrite = voucher_rewrite(HOSTILE_APPROVALS[case])
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt", outcome.message
    assert outcome.needs_attention
    assert outcome.message.startswith("Flash's approval is unusable: ")
    assert "Flash helpdesk" in outcome.message and outcome.reference in outcome.message
    assert big_codes(outcome) == []  # nothing shown as a PIN
    assert printer.printed == []  # nothing printed
    entry = journal.get(outcome.reference)
    assert entry is not None
    assert entry.state == "in_doubt" and entry.flagged_at is not None
    assert entry.response is None  # the unusable answer is never the journal's approval
    assert entry.last_error is not None and "unusable" in entry.last_error
    assert not any(ch in outcome.message for ch in UNSAFE)
    assert len(outcome.message) < 400


async def test_the_flagged_sale_stays_open_and_settles_once_flash_answers_properly(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal
) -> None:
    engine, printer, stand_in = till
    stand_in.rewrite = voucher_rewrite(set_pin("1234\nAPPROVED FAKE\n5678"))
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt"
    stand_in.rewrite = lambda path, request, reply: None
    report = await engine.resolve(all_open=True)
    assert report.approved == [outcome.reference]
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "approved"
    assert len(stand_in.sandbox.sales_for(outcome.reference)) == 1  # one sale, not two
    assert len(printer.printed) == 1


async def test_a_utility_token_that_is_not_20_digits_is_not_vended(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal
) -> None:
    engine, printer, stand_in = till

    def rewrite(path: str, request: dict[str, Any], reply: Reply) -> Reply | None:
        body = json.loads(reply.body)
        body["tokens"][0]["token"] = "1234 5678\x1b[2J"
        return Reply.of(body)

    stand_in.rewrite = rewrite
    outcome = await engine.vend_utility("04040404040", 5000)
    assert outcome.status == "in_doubt" and "token 1 is not 20 digits" in outcome.message
    assert big_codes(outcome) == [] and printer.printed == []


async def test_control_characters_in_a_decline_never_reach_the_screen(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal
) -> None:
    engine, _, stand_in = till
    message = "\x1b[2J\x1b[HAPPROVED\x07\x00\u202eWOLF\nline two" + "x" * 5000

    def rewrite(path: str, request: dict[str, Any], reply: Reply) -> Reply | None:
        return Reply.of({"responseCode": 2401, "responseMessage": message}, status=400)

    stand_in.rewrite = rewrite
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "declined" and outcome.code == 2401
    assert not any(ch in outcome.message for ch in UNSAFE)
    assert "APPROVED" in outcome.message and len(outcome.message) <= 200
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.last_error == outcome.message


async def test_strings_in_an_approval_are_made_safe_before_the_journal(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal
) -> None:
    engine, printer, stand_in = till

    def change(body: dict[str, Any]) -> None:
        body["responseMessage"] = "OK\x1b]0;pwned\x07"
        body["voucher"]["content"] = {"redemptionInstructions": "Dial \u202e*120#\r\n\x1b[5m"}

    stand_in.rewrite = voucher_rewrite(change)
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved"
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.response is not None
    stored = json.dumps(entry.response, ensure_ascii=False)
    assert not any(ch in stored for ch in UNSAFE)
    assert "Dial" in entry.response["voucher"]["content"]["redemptionInstructions"]
    assert len(printer.printed) == 1 and not any(ch in printer.printed[0] for ch in UNSAFE)


# -- answers that are not Flash's, and classifications ------------------------------------------


def replace_with(reply: Reply) -> Callable[..., Reply]:
    return lambda path, request, original: reply


NOT_AN_ANSWER = {
    "redirect": (Reply(302, b"", {"Location": "http://elsewhere.test/"}), "redirected"),
    "see other": (Reply(303, b"", {"Location": "/receipt/1"}), "redirected"),
    "HTML 404": (
        Reply(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"}),
        "not_flash",
    ),
    "empty 404": (Reply(404, b"", {}), "not_flash"),
    "nested 100,000 levels": (Reply(200, b"[" * 100_000 + b"]" * 100_000), "unreadable"),
    "responseCode superscript two": (Reply.of({"responseCode": "²"}), "unreadable"),
    "not JSON": (Reply(200, b"\xff\xfe garbage"), "unreadable"),
    "unknown encoding": (Reply(200, b"{}", {"Content-Encoding": "br"}), "unreadable"),
}


@pytest.mark.parametrize("case", list(NOT_AN_ANSWER))
async def test_an_answer_that_is_not_flashs_leaves_the_sale_in_doubt(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal, case: str
) -> None:
    engine, printer, stand_in = till
    reply, cause = NOT_AN_ANSWER[case]
    stand_in.rewrite = replace_with(reply)
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt", outcome.message
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "in_doubt" and entry.response is None
    assert printer.printed == []
    assert not any(ch in outcome.message for ch in UNSAFE)
    # The sandbox did sell it: resending the same reference settles it, exactly once.
    stand_in.rewrite = lambda path, request, original: None
    report = await engine.resolve(all_open=True)
    assert report.approved == [outcome.reference], cause
    assert len(stand_in.sandbox.sales_for(outcome.reference)) == 1


BAD_TOKENS = {
    "non-ASCII token": Reply.of({"access_token": "tökén", "expires_in": 3600}),
    "token with CR LF": Reply.of({"access_token": "abc\r\nX-Evil: 1", "expires_in": 3600}),
    "empty token": Reply.of({"access_token": "", "expires_in": 3600}),
    "token of 10,000 characters": Reply.of({"access_token": "a" * 10_000, "expires_in": 3600}),
    "expires_in 0": Reply.of({"access_token": "abc", "expires_in": 0}),
    "expires_in negative": Reply.of({"access_token": "abc", "expires_in": -60}),
    "expires_in not a number": Reply.of({"access_token": "abc", "expires_in": "soon"}),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_an_unusable_access_token_means_nothing_was_sent(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal, case: str
) -> None:
    engine, _, stand_in = till
    stand_in.token_reply = BAD_TOKENS[case]
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "not_sent", outcome.message
    assert "token" in outcome.message
    assert not any("/1voucher/" in path for path in stand_in.requests)  # nothing was sent
    assert stand_in.sandbox.ledger == []
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "declined"


async def test_an_api_key_that_cannot_be_sent_is_a_clear_error(journal: Journal) -> None:
    async with FlashClient(
        base_url="http://127.0.0.1:9", api_key="kéy\n", account_number=ACC
    ) as client:
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
        outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "not_sent" and "only plain ASCII" in outcome.message


# -- unbounded answers: measured in a child process, against a control run ----------------------


def _sale_in_a_child(url: str, key: str, tmp_path: Path, name: str) -> dict[str, Any]:
    journal = tmp_path / f"{name}.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "tests.flash.hostile_child", url, key, str(journal)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    result["journal_bytes"] = sum(
        os.path.getsize(p) for p in tmp_path.glob(f"{name}.sqlite3*") if p.is_file()
    )
    return result


UNBOUNDED: dict[str, Callable[[], Reply]] = {
    "50 MB answer": lambda: Reply(200, b" " * 65536, repeat_to=50 * 1024 * 1024),
    "gzip bomb": lambda: Reply(
        200, gzip_bomb(256 * 1024 * 1024), {"Content-Encoding": "gzip", "Content-Type": "x"}
    ),
    # 100 KB at 20 bytes a second would take over an hour: the 10 s deadline cuts it off.
    "a byte at a time": lambda: Reply(200, b" " * 100_000, drip_seconds=0.05),
}


@pytest.mark.parametrize("case", list(UNBOUNDED))
def test_an_unbounded_answer_is_cut_off_in_doubt_with_bounded_memory(
    hostile: tuple[HostileFlash, str], tmp_path: Path, case: str
) -> None:
    stand_in, url = hostile
    control = _sale_in_a_child(url, stand_in.sandbox.api_key, tmp_path, "control")
    assert control["status"] == "approved"
    stand_in.rewrite = replace_with(UNBOUNDED[case]())
    result = _sale_in_a_child(url, stand_in.sandbox.api_key, tmp_path, "hostile")
    assert result["status"] == "in_doubt" and result["state"] == "in_doubt"
    assert result["stored_response"] is False
    if case == "a byte at a time":
        assert "did not arrive in full within 10 s" in result["message"]
    else:
        assert "1024 KiB cap" in result["message"]
    # Peak memory of the whole sale, against a normal sale in the same run.
    grew_kib = result["peak_kib"] - control["peak_kib"]
    print(f"{case}: peak {result['peak_kib']} KiB, control {control['peak_kib']} KiB")
    assert grew_kib < 16 * 1024, f"{case} grew the till by {grew_kib} KiB"
    assert result["journal_bytes"] < control["journal_bytes"] + 256 * 1024


# -- found by review: answers that pass as approvals under another name or shape ---------------


def _refund_pin_by_sms_to_someone_else(body: dict[str, Any]) -> None:
    body["mobileNumber"] = "27000000000"
    body["voucher"].pop("pin")


def _snake_mobile(body: dict[str, Any]) -> None:
    body["mobile_number"] = "27000000000"
    body["voucher"].pop("pin")


async def _refundable(engine: SaleEngine, stand_in: HostileFlash) -> str:
    stand_in.rewrite = lambda path, request, reply: None
    sale = await engine.sell_1voucher(5000)
    pin = str((sale.response or {})["voucher"]["pin"])
    redemption = await engine.redeem_1voucher(pin)
    assert redemption.status == "approved"
    return redemption.reference


@pytest.mark.parametrize(
    "change", [_refund_pin_by_sms_to_someone_else, _snake_mobile], ids=["sms", "snake_case"]
)
async def test_a_refund_asked_for_on_paper_must_come_with_its_pin(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], change: Callable[..., None]
) -> None:
    engine, printer, stand_in = till
    redemption = await _refundable(engine, stand_in)
    printed = len(printer.printed)
    stand_in.rewrite = voucher_rewrite(change)
    outcome = await engine.refund_1voucher(redemption, 2000)
    assert outcome.status == "in_doubt" and outcome.needs_attention, outcome.message
    assert len(printer.printed) == printed


async def test_a_change_voucher_must_come_with_its_pin(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash],
) -> None:
    engine, _, stand_in = till
    sale = await engine.sell_1voucher(5000)
    pin = str((sale.response or {})["voucher"]["pin"])
    stand_in.rewrite = voucher_rewrite(lambda body: body["voucher"].pop("pin"))
    outcome = await engine.redeem_1voucher(pin, 3000)  # R20 change, asked for on paper
    assert outcome.status == "in_doubt" and "change voucher has no PIN" in outcome.message


async def test_the_wrong_meter_under_its_snake_case_name_is_refused(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash],
) -> None:
    engine, _, stand_in = till

    def change(body: dict[str, Any]) -> None:
        body["meter_info"] = body.pop("meterInfo")
        body["meter_info"]["meterNumber"] = "99999999999"

    stand_in.rewrite = voucher_rewrite(change)
    outcome = await engine.vend_utility("04040404040", 5000)
    assert outcome.status == "in_doubt" and "meter number is not the one sent" in outcome.message


async def test_a_meter_number_echoed_as_a_json_number_is_the_same_meter(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash],
) -> None:
    engine, _, stand_in = till

    def change(body: dict[str, Any]) -> None:
        body["meterInfo"]["meterNumber"] = int(body["meterInfo"]["meterNumber"])

    stand_in.rewrite = voucher_rewrite(change)
    outcome = await engine.vend_utility("04040404040", 5000)
    assert outcome.status == "approved", outcome.message


ENCODED = {
    "UTF-8 BOM": (lambda body: b"\xef\xbb\xbf" + body, {}, "approved"),
    "gzip": (lambda body: gzip.compress(body), {"Content-Encoding": "gzip"}, "approved"),
    "gzip cut short": (
        lambda body: gzip.compress(body)[:-8],
        {"Content-Encoding": "gzip"},
        "in_doubt",
    ),
    "gzip with junk after": (
        lambda body: gzip.compress(body) + b"junk",
        {"Content-Encoding": "gzip"},
        "in_doubt",
    ),
    "raw deflate (not asked for)": (
        lambda body: zlib.compress(body)[2:-4],
        {"Content-Encoding": "deflate"},
        "in_doubt",
    ),
}


@pytest.mark.parametrize("case", list(ENCODED))
async def test_how_an_approval_is_encoded(
    till: tuple[SaleEngine, PreviewPrinter, HostileFlash], journal: Journal, case: str
) -> None:
    engine, printer, stand_in = till
    encode, headers, status = ENCODED[case]

    def rewrite(path: str, request: dict[str, Any], reply: Reply) -> Reply:
        return Reply(200, encode(reply.body), {"Content-Type": "application/json", **headers})

    stand_in.rewrite = rewrite
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == status, outcome.message
    entry = journal.get(outcome.reference)
    assert entry is not None
    if status == "approved":  # journaled so that it reads back, and the receipt printed
        assert entry.response is not None and entry.response["voucher"]["pin"]
        assert len(printer.printed) == 1


async def test_a_key_that_breaks_the_header_is_never_quoted(journal: Journal) -> None:
    async with FlashClient(
        base_url="http://127.0.0.1:9", api_key="SECRETKEY123\r\nX: y", account_number=ACC
    ) as client:
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
        outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "not_sent"
    assert "SECRETKEY123" not in outcome.message


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Reply(200, b" " * 65536, repeat_to=2 * 1024 * 1024), "too_large"),
        (Reply(200, gzip_bomb(8 * 1024 * 1024), {"Content-Encoding": "gzip"}), "too_large"),
        (Reply(200, b"{not json"), "unreadable"),
    ],
    ids=["body over the cap", "inflated over the cap", "not JSON"],
)
async def test_the_in_doubt_cause_says_which_cap_or_which_fault(
    hostile: tuple[HostileFlash, str], reply: Reply, cause: str
) -> None:
    stand_in, url = hostile
    stand_in.rewrite = replace_with(reply)
    async with FlashClient(
        base_url=url, api_key=stand_in.sandbox.api_key, account_number=ACC, read_timeout=120
    ) as client:
        request = OneVoucherPurchaseRequest(
            reference="S1-T1-CAP-1", account_number=ACC, amount=5000
        )
        with pytest.raises(FlashInDoubt) as caught:
            await client.purchase_1voucher(request)
    assert caught.value.cause == cause
