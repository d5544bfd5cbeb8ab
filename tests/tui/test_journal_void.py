"""Void at the Journal screen (F12), by keys alone: a 1Voucher sale is voided with a reason and a
supervisor's approval, its answer shown as every answer is, the sale then marked REVERSED; a
second void of it is refused at once, and nothing more is sent.

A real users file, a real journal and an in-process sandbox (as `test_staff_tui`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from textual.widgets import Static

from tests.tui.harness import till_app, wait_for
from tests.tui.test_keybar import key_bar, shown_keys
from tests.tui.test_staff_tui import PINS, burst, sign_in, staffed, text, type_pin
from till.sandbox import Fault
from till.tui.app import TillApp
from till.tui.screens.base import EntryLine
from till.tui.screens.journal import (
    DETAILS_PROMPT,
    REASON_PROMPT,
    VOID_DONE_PROMPT,
    JournalScreen,
)
from till.tui.signin import ApprovalScreen
from till.tui.steps import SENDING_PROMPT


def journal_screen(app: TillApp) -> JournalScreen:
    screen = app.screen
    assert isinstance(screen, JournalScreen)
    return screen


def shown(app: TillApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


async def test_void_a_1voucher_sale_with_approval_then_again_is_refused(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        sale = await s.engine.sell_1voucher(5_000)
        assert sale.status == "approved"
        s.sent.clear()
        await sign_in(pilot, "c1")
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter")
        screen = journal_screen(s.app)
        assert screen.step == "details"
        assert "F12 voids it." in shown(s.app, "#journal-note")

        await pilot.press("f12")  # the reason first
        assert screen.step == "reason"
        assert "Reason for the void" in str(screen.query_one(EntryLine).border_title)
        await pilot.press("enter")  # no reason: refused on the spot
        assert "Type why the sale is being voided" in text(s.app, "#error")
        await pilot.press(*"wrong amount keyed", "enter")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))
        assert "supervisor must approve a void" in text(s.app, "#approval-reason")
        assert s.sent == [] and s.journal.related(sale.reference) == []

        await type_pin(pilot, "s1", PINS["s1"])
        await wait_for(pilot, lambda: screen.step == "outcome", "the void's answer")
        assert "APPROVED  1Voucher void" in text(s.app, "#outcome-status")
        assert shown(s.app, "#error") == ""  # the empty reason's complaint is gone
        details = text(s.app, "#outcome-details")
        assert sale.reference in details and "R 50.00" in details
        assert "wrong amount keyed" in details and "s1" in details
        (void,) = s.journal.related(sale.reference)
        assert (void.kind, void.state, void.cashier, void.approved_by) == (
            "1voucher.reverse", "approved", "c1", "s1",
        )  # fmt: skip
        assert [p.rsplit("/", 2)[-2:] for p in s.sent] == [["1voucher", "reverse"]]
        assert "1VOUCHER VOID" in s.printer.printed[-1]  # its own receipt printed

        await pilot.press("enter")  # back to the sale: marked REVERSED, on screen and slip
        await wait_for(pilot, lambda: screen.step == "details")
        assert f"REVERSED: voided by {void.reference}" in shown(s.app, "#journal-details")
        assert "F12 voids it." not in shown(s.app, "#journal-note")
        assert "REVERSED" in shown(s.app, "#journal-receipt")

        await pilot.press("f12")  # again: refused at once, nothing asked, nothing sent
        error = text(s.app, "#error")
        assert f"already voided (by {void.reference})" in error and "Nothing was sent" in error
        assert screen.step == "details" and not isinstance(s.app.screen, ApprovalScreen)
        assert len(s.sent) == 1 and len(s.journal.related(sale.reference)) == 1


async def test_escape_on_the_approval_voids_nothing(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        sale = await s.engine.sell_cash_out_pin(300, 20_000)
        s.sent.clear()
        await sign_in(pilot, "c1")
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter", "f12")
        await burst(pilot, *"customer changed mind", "enter")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))
        await pilot.press("escape")
        screen = journal_screen(s.app)
        await wait_for(pilot, lambda: "Not approved" in text(s.app, "#error"))
        assert screen.step == "details" and "Nothing was sent" in text(s.app, "#error")
        assert s.sent == [] and s.journal.related(sale.reference) == []
        assert not s.app.busy


async def test_flash_refuses_a_redeemed_voucher_and_the_sale_stands(tmp_path: Path) -> None:
    """Staff off: no approval asked. Flash's refusal in a cashier's words, then back to the sale,
    still a sale, with F12 still there (a declined void undid nothing)."""
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.ready)
        sale = await app.engine.sell_1voucher(10_000)
        pin = str((sale.response or {})["voucher"]["pin"])
        assert (await app.engine.redeem_1voucher(pin, 2_500)).status == "approved"
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter", "f12")
        await pilot.press(*"wrong amount", "enter")
        screen = journal_screen(app)
        await wait_for(pilot, lambda: screen.step == "outcome", "Flash's answer")
        assert "DECLINED  1Voucher void" in text(app, "#outcome-status")
        details = text(app, "#outcome-details")
        assert "cannot be voided: it has been used" in details and "(code 2412)" in details
        assert "give the customer no money back" in details
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.step == "details")
        assert "REVERSED" not in shown(app, "#journal-details")
        assert till.journal.get(sale.reference).state == "approved"  # type: ignore[union-attr]
        assert "F12 voids it." in shown(app, "#journal-note")  # a declined void undid nothing


async def test_a_void_in_doubt_says_wait_and_a_second_is_refused(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.ready)
        sale = await app.engine.sell_1voucher(5_000)
        till.sandbox.faults.inject(Fault("error_503", path="1voucher/reverse", times=1000))
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter", "f12")
        await pilot.press(*"wrong amount", "enter")
        screen = journal_screen(app)
        await wait_for(pilot, lambda: screen.step == "outcome", "Flash's answer")
        assert "IN DOUBT  1Voucher void" in text(app, "#outcome-status")
        assert "do not give the customer the money back" in text(app, "#outcome-details")
        await pilot.press("enter", "f12")
        assert "still waiting for Flash's answer" in text(app, "#error")
        assert "VOID NOT YET CONFIRMED" in shown(app, "#journal-details")
        till.sandbox.faults.clear()
        (void,) = till.journal.related(sale.reference)
        await wait_for(
            pilot, lambda: till.journal.get(void.reference).state == "approved", "the resolver"
        )  # type: ignore[union-attr]


def screen_rows(app: TillApp) -> list[str]:
    """Every row of the screen as a person sees it."""
    svg = app.export_screenshot()
    cells = re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg)
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, cell in cells:
        rows.setdefault(float(y), []).append((float(x), html.unescape(cell)))
    return ["".join(cell for _, cell in sorted(rows[y])).replace("\xa0", " ") for y in sorted(rows)]


async def test_void_steps_fit_80_columns(tmp_path: Path) -> None:
    """F12 is told in the entry line's title and the note (the key bar has no room for it): each
    of the void's prompts shown whole, at every step; every key the bar shows there in full."""
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.ready and app.catalog)
        for amount in (400_000, 5_000):  # enough on screen for the body to scroll
            sale = await app.engine.sell_1voucher(amount)
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter")
        screen = journal_screen(app)
        line = screen.query_one(EntryLine)
        assert screen.step == "details" and line.border_title == DETAILS_PROMPT
        assert DETAILS_PROMPT in "\n".join(screen_rows(app))
        assert "F12 voids it." in shown(app, "#journal-note")
        bar = key_bar(app).replace(" ", "")
        for key in shown_keys(app):
            assert key in bar, f"{key!r} is cut off in {key_bar(app)!r}"
        await pilot.press("f12")
        assert line.border_title == REASON_PROMPT and REASON_PROMPT in "\n".join(screen_rows(app))
        await pilot.press(*"wrong amount", "enter")
        await wait_for(pilot, lambda: screen.step == "outcome")
        for prompt in (DETAILS_PROMPT, REASON_PROMPT, SENDING_PROMPT, VOID_DONE_PROMPT):
            assert len(prompt) <= line.size.width - 4, prompt
        assert VOID_DONE_PROMPT in "\n".join(screen_rows(app))
