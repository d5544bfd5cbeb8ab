"""Issue 12, the screens: every answer tells the truth its receipt tells, in doubt on every
screen, one line per row at 80x24, approvals that never pretend to be sending, a quit that
asks, a training till that can clear its own in-doubt sales, and the Disbursement screen.

Every test drives the real app by keys against an in-process sandbox, and waits on what the
screen or the journal shows, never on a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Digits, OptionList, Static

from receipts import BigCode, Block, Document, Row, Rule
from tests.tui.harness import Till, till_app, wait_for
from tests.tui.test_redeem_refund_cashout import answer
from tests.tui.test_staff_tui import PINS, sign_in, staffed, type_pin
from till.sandbox import Fault, Sandbox
from till.tui.app import TillApp
from till.tui.confirm import QuitScreen
from till.tui.screens.base import APPROVAL_PROMPT, AnswerScreen, EntryLine
from till.tui.screens.in_doubt import TRAINING_CLEARED, InDoubtScreen
from till.tui.screens.journal import JournalScreen
from till.tui.screens.refund import RefundScreen
from till.tui.signin import ApprovalScreen
from till.words import IN_DOUBT_ADVICE, display_mobile, in_doubt_advice

# -- helpers -----------------------------------------------------------------------------------


def text(app: TillApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def step(app: TillApp) -> object:
    return getattr(app.screen, "step", None)


async def outcome(pilot: Pilot[None]) -> None:
    app: TillApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: step(app) == "outcome", "the answer")


def in_doubt_for(till: Till, path: str) -> None:
    """Flash takes the next `path` request and its answer is lost; then it is down for good,
    so the sale stays in doubt however often the resolver tries."""
    till.sandbox.faults.inject(Fault("drop", path=path))
    till.sandbox.faults.inject(Fault("error_503", path=path, times=100_000))


def receipt_body(document: Document) -> list[Block]:
    """The blocks between the receipt's header rows and its footer."""
    blocks = list(document.blocks)
    rules = [i for i, block in enumerate(blocks) if isinstance(block, Rule)]
    return blocks[rules[1] + 1 : rules[-1]]


def assert_shows_its_receipt(app: TillApp) -> None:
    """Every row and big code of the answer's receipt is on the screen."""
    screen = app.screen
    assert isinstance(screen, AnswerScreen) and screen.outcome is not None
    receipt = screen.outcome.receipt
    assert receipt is not None, "an approved sale printed a receipt"
    details = text(app, "#outcome-details")
    captions = " ".join(str(s.render()) for s in screen.query(".code-caption").results(Static))
    digits = [d.value for d in screen.query(Digits)]
    for block in receipt_body(receipt):
        if isinstance(block, Row):
            line = next((ln for ln in details.splitlines() if ln.startswith(block.label)), "")
            assert block.value in line, f"{block.label}: {block.value} not in\n{details}"
        elif isinstance(block, BigCode):
            assert block.code in digits and (block.caption or "") in captions


async def printed_slip_for(pilot: Pilot[None], till: Till, reference: str) -> None:
    """F9, then the customer's not-yet-confirmed slip for `reference` comes out."""
    printed = len(till.printer.printed)
    await pilot.press("f9")
    await wait_for(pilot, lambda: len(till.printer.printed) > printed, "the in-doubt slip")
    slip = till.printer.printed[-1]
    assert "NOT YET CONFIRMED" in slip and reference in slip


# -- (1) in doubt on every screen --------------------------------------------------------------


def test_every_kind_in_doubt_has_its_own_instruction() -> None:
    for kind, advice in IN_DOUBT_ADVICE.items():
        assert "F9" in advice and "same reference" in advice, kind
    redeem = in_doubt_advice("1voucher.redeem")
    assert "Do not pay out cash" in redeem and "sell" not in redeem
    airtime = in_doubt_advice("cellular.pinless.purchase")
    assert "PIN" not in airtime and "recharge again" in airtime
    assert "tokens" in in_doubt_advice("prepaid-utilities.purchase")
    assert "money back" in in_doubt_advice("cash-out-pin.cancel")
    assert "new PIN" in in_doubt_advice("1voucher.refund")
    assert "Do not sell again" in in_doubt_advice("gift-voucher.purchase")


async def test_f9_prints_the_slip_for_a_refund_cancel_and_redemption_in_doubt(
    tmp_path: Path,
) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await pilot.press("f3")  # a redemption to refund, approved
        await answer(pilot, "5000500050005000", "200", "", "")
        await outcome(pilot)

        in_doubt_for(till, "1voucher/refund")
        await pilot.press("f4")
        await answer(pilot, "", "50", "", "")
        await outcome(pilot)
        (refund,) = till.journal.search(kind="1voucher.refund")
        assert "IN DOUBT" in text(app, "#outcome-status")
        assert "Do not refund again" in text(app, "#outcome-details")
        await printed_slip_for(pilot, till, refund.reference)

        await pilot.press("f6")  # a Cash Out PIN to cancel, approved
        await answer(pilot, "1", "150", "")
        await outcome(pilot)
        in_doubt_for(till, "cash-out-pin/cancel")
        await answer(pilot, "2", "", "")
        await outcome(pilot)
        (cancel,) = till.journal.search(kind="cash-out-pin.cancel")
        assert "Do not cancel again" in text(app, "#outcome-details")
        await printed_slip_for(pilot, till, cancel.reference)

        in_doubt_for(till, "1voucher/redeem")
        await pilot.press("f3")
        await answer(pilot, "", "1212121212121212", "", "")
        await outcome(pilot)
        redemption = till.journal.search(kind="1voucher.redeem")[0]
        assert redemption.state == "in_doubt"
        details = text(app, "#outcome-details")
        assert "Do not pay out cash" in details and "sell" not in details
        await printed_slip_for(pilot, till, redemption.reference)

        # F8 and F7 give the same instruction, in the kind's own words, and F9 there too
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, InDoubtScreen), "the in-doubt list")
        await answer(pilot, redemption.reference)
        assert "Do not pay out cash" in text(app, "#open-details")
        summary = text(app, "#open-summary")  # a refund, a cancel and a redemption: no sale
        assert "in doubt: do not repeat any of them" in summary and "sell" not in summary
        await printed_slip_for(pilot, till, redemption.reference)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen), "the journal")
        await answer(pilot, f"ref {redemption.reference}", "")
        assert step(app) == "details"
        assert "Do not pay out cash" in text(app, "#journal-note")
        await printed_slip_for(pilot, till, redemption.reference)


# -- (2) every answer shows what its receipt shows; Ctrl+P everywhere ---------------------------


async def test_a_key_change_vend_shows_units_and_its_reference_without_scrolling(
    tmp_path: Path,
) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await pilot.press("f5", *"04141414141", "enter", *"100", "enter")
        await wait_for(pilot, lambda: step(app) == "confirm", "the meter's customer")
        await pilot.press("enter")
        await outcome(pilot)
        (sale,) = till.journal.search(kind="prepaid-utilities.purchase")
        captions = [str(s.render()) for s in app.screen.query(".code-caption").results(Static)]
        assert len(captions) == 3 and "kWh" in captions[2]  # the credit token's units
        units = [ln for ln in text(app, "#outcome-details").splitlines() if ln.startswith("Units")]
        assert units and "kWh" in units[0]
        assert_shows_its_receipt(app)
        # the reference is in view at 80x24 without PageDown
        status = app.screen.query_one("#outcome-status", Static)
        assert sale.reference in str(status.render())
        body = app.screen.query_one(".body")
        assert body.scroll_y == 0 and body.region.contains_region(status.region)


async def test_free_basic_electricity_shows_its_units(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await pilot.press("f5", *"04242424242", "enter", *"fbe", "enter")
        await wait_for(pilot, lambda: step(app) == "confirm", "the meter's customer")
        await pilot.press("enter")
        await outcome(pilot)
        (caption,) = [str(s.render()) for s in app.screen.query(".code-caption").results(Static)]
        assert "Free basic electricity" in caption and "kWh" in caption
        assert_shows_its_receipt(app)


async def test_every_answer_shows_its_receipt_and_ctrl_p_shows_the_receipt(
    tmp_path: Path,
) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app

        async def check(*keys: str, typed: tuple[str, ...] = ()) -> None:
            await pilot.press(*keys)
            await answer(pilot, *typed)
            await outcome(pilot)
            assert "APPROVED" in text(app, "#outcome-status")
            assert_shows_its_receipt(app)
            screen = app.screen
            assert isinstance(screen, AnswerScreen) and screen.outcome is not None
            await pilot.press("ctrl+p")
            receipt = app.screen.query_one("#receipt", Static)
            assert receipt.display and screen.outcome.reference in str(receipt.render())
            assert not app.screen.query_one("#outcome-details").display
            await pilot.press("ctrl+p")  # and back to the answer
            assert app.screen.query_one("#outcome-details").display

        await wait_for(pilot, lambda: app.catalog, "the product list")
        await check(typed=("1vou", "50", ""))  # Sell
        await check(typed=("401", "0821234567", "29", ""))  # airtime
        await check("f3", typed=("5000500050005000", "200", "", ""))  # redeem with change
        await check("f4", typed=("", "50", "", ""))  # refund as a new 1Voucher
        await check("f6", typed=("1", "150", ""))  # a Cash Out PIN
        await check(typed=("2", "", ""))  # and its cancel
        await check("f10", typed=("100", ""))  # a disbursement


# -- (3) the Cash Out cancel and the confirm step's cell number ---------------------------------


async def test_a_cash_out_cancel_never_shows_the_dead_pin(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await pilot.press("f6")
        await answer(pilot, "1", "150", "")
        await outcome(pilot)
        (sale,) = till.journal.search()
        (ledger,) = till.sandbox.sales_for(sale.reference)
        assert ledger.pin is not None
        await answer(pilot, "2", "", "")
        await outcome(pilot)
        (cancel,) = till.journal.search(kind="cash-out-pin.cancel")
        assert cancel.state == "approved"
        assert ledger.pin in str(cancel.response)  # Flash sends it back; the screen never shows it
        assert not app.screen.query(Digits)
        assert ledger.pin not in text(app, "#outcome-details")
        assert "CANCELLED" in text(app, "#outcome-details")


def test_a_cell_number_reads_as_the_customer_knows_it() -> None:
    assert display_mobile("27821234567") == "082 123 4567"
    assert display_mobile("+27831234567") == "083 123 4567"
    assert display_mobile("12345") == "12345" and display_mobile(None) == ""


async def test_the_confirm_step_shows_the_cell_number_as_typed_by_people(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.catalog, "the product list")
        await answer(pilot, "401", "27831234567", "29")
        assert step(app) == "confirm"
        summary = text(app, "#summary")
        assert "083 123 4567" in summary and "27831234567" not in summary
        await pilot.press("escape", "escape", "escape")
        await pilot.press("f3")
        await answer(pilot, "5000500050005000", "20", "+27 83 123 4567")
        assert step(app) == "confirm"
        summary = text(app, "#summary")
        assert "SMS to 083 123 4567" in summary and "2783" not in summary


# -- (4) 80x24: one line per row, whole prompts -------------------------------------------------


@asynccontextmanager
async def long_till(tmp_path: Path) -> AsyncIterator[Till]:
    """A till whose references are as long as `till demo`'s (DEMO01-TILL01-XXXX-n)."""
    async with till_app(tmp_path, Sandbox(seed=5), store_id="DEMO01", terminal_id="TILL01") as t:
        yield t


def one_line_each(options: OptionList) -> bool:
    """Every option of the list takes exactly one line (none wraps)."""
    return options.option_count > 0 and options.virtual_size.height == options.option_count


def whole_prompt(app: TillApp) -> bool:
    line = app.screen.query_one(EntryLine)
    return len(str(line.border_title)) <= line.size.width - 4


async def test_journal_and_refund_rows_are_one_line_and_prompts_whole(tmp_path: Path) -> None:
    async with long_till(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        engine = app.engine
        for amount in (400_000, 5000):
            assert (await engine.sell_1voucher(amount)).status == "approved"
        redeemed = await engine.redeem_1voucher("5000500050005000")  # R 500.00, in full
        assert redeemed.status == "approved" and len(redeemed.reference) >= 20

        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen), "the journal")
        assert whole_prompt(app)
        await pilot.press("enter")  # the latest sales
        results = app.screen.query_one("#results", OptionList)
        await wait_for(pilot, lambda: one_line_each(results), "one line per result")
        assert results.option_count == 3
        await pilot.press("enter")  # the details
        assert step(app) == "details" and whole_prompt(app)

        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, RefundScreen), "the refund screen")
        picks = app.screen.query_one("#picks", OptionList)
        await wait_for(pilot, lambda: one_line_each(picks), "one line per redemption")
        assert "R 500.00 left of R 500.00" in str(picks.get_option_at_index(0).prompt)


# -- (5) approvals and quitting -----------------------------------------------------------------


async def test_the_approval_box_never_covers_a_sending_line(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "c1")
        assert (await s.engine.redeem_1voucher("5000500050005000", 20_000)).status == "approved"
        sent = list(s.sent)
        await pilot.press("f4")
        await answer(pilot, "", "50", "", "")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen), "the approval")
        refund_screen = s.app.screen_stack[-2]
        assert isinstance(refund_screen, RefundScreen)
        title = str(refund_screen.query_one(EntryLine).border_title)
        assert title == APPROVAL_PROMPT and "Sending" not in title
        assert s.sent == sent  # nothing has left the till
        await type_pin(pilot, "s1", PINS["s1"])
        await wait_for(pilot, lambda: step(s.app) == "outcome", "the refund's answer")
        (refund,) = s.journal.search(kind="1voucher.refund")
        assert refund.state == "approved" and refund.approved_by == "s1"


async def test_ctrl_q_with_sales_in_doubt_asks_first(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        in_doubt_for(till, "1voucher/purchase")
        await wait_for(pilot, lambda: app.ready, "the engine")
        assert (await app.engine.sell_1voucher(5000)).status == "in_doubt"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), "the question")
        question = text(app, "#quit-question")
        assert "1 sale is still IN DOUBT" in question and "stays in the journal" in question
        await pilot.press("escape")  # keep the till open
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen), "the till")
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), "the question")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.is_running, "the till to quit")
        assert till.journal.count_open() == 1  # still there for the next start


# -- (6) training clears its own in-doubt sales --------------------------------------------------


async def test_training_clears_its_own_in_doubt_sales_only(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        in_doubt_for(till, "1voucher/purchase")
        await wait_for(pilot, lambda: app.ready, "the engine")
        trained = await app.engine.sell_1voucher(5000)
        app.engine.training = False  # an entry not marked training, as a live sale is
        live = await app.engine.sell_1voucher(6000)
        app.engine.training = True  # the till itself is a training till
        assert trained.status == live.status == "in_doubt"
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, InDoubtScreen), "the in-doubt list")
        await wait_for(pilot, lambda: app.open_count == 2, "the badge")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.open_count == 1, "the badge to follow")
        cleared = till.journal.get(trained.reference)
        assert cleared is not None and cleared.state == "declined"
        assert cleared.last_error == TRAINING_CLEARED
        kept = till.journal.get(live.reference)
        assert kept is not None and kept.state == "in_doubt"
        assert "cleared 1" in text(app, "#open-report")


async def test_a_live_till_never_clears_in_doubt_sales(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till:
        till.app.training = False
        async with till.app.run_test(size=(80, 24)) as pilot:
            app = till.app
            in_doubt_for(till, "1voucher/purchase")
            await wait_for(pilot, lambda: app.ready, "the engine")
            sale = await app.engine.sell_1voucher(5000)
            await pilot.press("f8")
            await wait_for(pilot, lambda: isinstance(app.screen, InDoubtScreen), "the list")
            screen = app.screen
            assert isinstance(screen, InDoubtScreen)
            assert screen.check_action("clear_training", ()) is False
            await pilot.press("ctrl+t")
            screen.action_clear_training()  # even asked directly
            entry = till.journal.get(sale.reference)
            assert entry is not None and entry.state == "in_doubt"


# -- (7) Disbursement ---------------------------------------------------------------------------


async def test_a_disbursement_pays_out_a_new_1voucher(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await pilot.press("f10")
        await answer(pilot, "2", "100")
        assert step(app) == "confirm" and "R 100.00" in text(app, "#summary")
        assert till.journal.search() == []  # nothing until confirmed
        await answer(pilot, "")
        await outcome(pilot)
        (entry,) = till.journal.search()
        assert (entry.kind, entry.state, entry.amount) == ("1voucher.disburse", "approved", 10000)
        pin = (entry.response or {})["voucher"]["pin"]
        assert [d.value.replace(" ", "") for d in app.screen.query(Digits)] == [pin]


async def test_a_disbursement_needs_a_supervisor(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "c1")
        await pilot.press("f10")
        await answer(pilot, "100", "")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen), "the approval")
        assert s.sent == [] and s.journal.search() == []
        await type_pin(pilot, "s1", PINS["s1"])
        await wait_for(pilot, lambda: step(s.app) == "outcome", "the answer")
        (entry,) = s.journal.search()
        assert (entry.kind, entry.state) == ("1voucher.disburse", "approved")
        assert entry.approved_by == "s1"
