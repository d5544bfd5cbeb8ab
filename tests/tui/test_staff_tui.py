"""Staff at the till, by keys alone: sign-in, lock and unlock, and a supervisor's approval.

A real users file in tmp_path (scrypt PINs, lockouts), a real journal, and an in-process sandbox
that records every transaction request it sees.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from receipts import PreviewPrinter
from tests.tui.harness import FakeClock, sandbox_engine, wait_for, write_settings
from till.journal import Journal
from till.sales import SaleEngine
from till.sandbox import Sandbox
from till.staff import ApprovalPolicy, UserStore
from till.tui.app import TillApp
from till.tui.screens.journal import JournalScreen
from till.tui.screens.refund import RefundScreen
from till.tui.screens.sell import SellScreen
from till.tui.signin import ApprovalScreen, PinForm, PinLine, SignInScreen

PINS = {"c1": "1111", "c2": "2222", "c3": "3333", "s1": "5555"}


@dataclass
class Staffed:
    app: TillApp
    sandbox: Sandbox
    journal: Journal
    engine: SaleEngine
    users: UserStore
    printer: PreviewPrinter
    #: Paths of transaction requests the sandbox received (not tokens or the product list).
    sent: list[str] = field(default_factory=list)


@asynccontextmanager
async def staffed(
    tmp_path: Path, *, idle: float = 60.0, monotonic: Callable[[], float] = time.monotonic
) -> AsyncIterator[Staffed]:
    settings = write_settings(tmp_path, "[staff]\nenabled = true\n")
    assert settings.staff.enabled
    sb = Sandbox(seed=11)
    sent: list[str] = []

    def record(path: str, body: bytes) -> None:
        if "token" not in path and "products" not in path:
            sent.append(path)

    sb.on_request = record
    printer = PreviewPrinter()
    policy = ApprovalPolicy(sale_limit=100_000)
    with UserStore(tmp_path / "users.sqlite3") as users:
        for user_id in ("c1", "c2", "c3"):
            users.add(user_id, f"Cashier {user_id}", "cashier", PINS[user_id], now=0)
        users.add("s1", "Sue Supervisor", "supervisor", PINS["s1"], now=0)
        async with sandbox_engine(settings, sb, printer, policy=policy) as engine:
            app = TillApp(
                settings,
                engine=engine,
                catalog_path=tmp_path / "catalog.json",
                users=users,
                idle_lock_seconds=idle,
                monotonic=monotonic,
            )
            yield Staffed(app, sb, engine.journal, engine, users, printer, sent)


def top(s: Staffed) -> object:
    """The screen showing (typed loosely: the tests compare screens across pushes)."""
    return s.app.screen


def text(app: TillApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Keys typed quickly, without waiting for the screen after each (pilot.press does)."""
    for key in keys:
        char = {"enter": "\r", "escape": "\x1b"}.get(key, key)
        event = events.Key(key, char if len(char) == 1 else None)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
    await pilot.pause()


async def type_pin(pilot: Pilot[None], user_id: str | None, pin: str) -> None:
    """Id (None: keep the one shown), Enter, PIN, Enter; waits for the check to finish."""
    app: TillApp = pilot.app  # type: ignore[assignment]

    def ready() -> bool:  # a screen just pushed focuses its line once it is mounted
        focused = app.focused
        return isinstance(focused, PinLine) and focused.screen is app.screen

    await wait_for(pilot, ready, "the PIN line")
    screen = app.screen
    assert isinstance(screen, PinForm)
    checked = screen.checked
    keys = [*pin, "enter"]
    if user_id is not None:
        keys = [*user_id, "enter", *keys]
        if screen.step == "pin":
            await pilot.press("escape")  # back to the id
            assert screen.step == "id"
    await burst(pilot, *keys)
    await wait_for(pilot, lambda: app.screen is not screen or screen.checked > checked)


async def sign_in(pilot: Pilot[None], user_id: str) -> None:
    await type_pin(pilot, user_id, PINS[user_id])
    assert isinstance(pilot.app.screen, SellScreen)


async def test_sign_in_wrong_pin_lockout_then_a_sale_records_the_cashier(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        assert isinstance(s.app.screen, SignInScreen)
        assert s.engine.cashier is None
        await pilot.press("f4")  # nothing can be reached before sign-in
        assert isinstance(s.app.screen, SignInScreen)

        await type_pin(pilot, "c1", "9999")
        assert "unknown user id or wrong PIN" in text(s.app, "#pin-error")
        assert s.app.screen.step == "pin"  # the id stays; try the PIN again

        for _ in range(2):
            await type_pin(pilot, "c2", "0000")
        await type_pin(pilot, None, "0000")  # the third wrong PIN for c2
        assert "c2 is now locked out" in text(s.app, "#pin-error")
        await type_pin(pilot, None, PINS["c2"])  # even the right PIN, now
        assert "c2 is locked for 15 more minute(s)" in text(s.app, "#pin-error")
        assert isinstance(s.app.screen, SignInScreen)

        await sign_in(pilot, "c1")
        assert s.engine.cashier == "c1"
        assert "cashier Cashier c1 (c1)" in text(s.app, ".identity")

        await wait_for(pilot, lambda: s.app.catalog)
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: getattr(s.app.screen, "step", "") == "outcome")
        (entry,) = s.journal.search()
        assert (entry.state, entry.cashier, entry.approved_by) == ("approved", "c1", None)


async def test_lock_and_unlock_and_another_cashier_takes_over(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "c1")
        await pilot.press("f4")
        refund_screen = s.app.screen
        assert isinstance(refund_screen, RefundScreen)

        await pilot.press("ctrl+l")
        assert isinstance(s.app.screen, SignInScreen)
        assert "LOCKED" in text(s.app, ".screen-title") and "c1" in text(s.app, ".screen-title")
        await pilot.press("f2")  # nothing underneath can be switched to
        assert isinstance(s.app.screen, SignInScreen)
        resolver = [w for w in s.app.workers if w.name == "resolver"]
        assert resolver and resolver[0].is_running  # background work carries on

        await type_pin(pilot, None, "9999")  # the id shown is c1's: only the PIN is asked
        assert isinstance(s.app.screen, SignInScreen)
        assert "wrong PIN" in text(s.app, "#pin-error")
        await type_pin(pilot, None, PINS["c1"])
        assert top(s) is refund_screen  # back where the cashier was
        assert s.engine.cashier == "c1"

        await pilot.press("ctrl+l")
        await type_pin(pilot, "s1", PINS["s1"])  # a supervisor unlocks for the cashier
        assert top(s) is refund_screen and s.engine.cashier == "c1"

        await pilot.press("ctrl+l")
        await type_pin(pilot, "c3", PINS["c3"])  # another cashier signs in: c1's session ends
        assert top(s) is refund_screen
        assert s.engine.cashier == "c3"
        assert "(c3)" in text(s.app, ".identity")
        await pilot.press("f2")
        assert "(c3)" in text(s.app, ".identity")  # every screen's status bar


async def idle_checked(pilot: Pilot[None], clock: FakeClock) -> None:
    """Wait for the app's next idle check: with no key typed, only that check reads the clock."""
    reads = clock.reads
    await wait_for(pilot, lambda: clock.reads > reads, "the idle check")


async def test_idle_lock(tmp_path: Path) -> None:
    clock = FakeClock()  # idle time is the test's to give: the app's clock moves only on advance
    async with (
        staffed(tmp_path, idle=1.5, monotonic=clock) as s,
        s.app.run_test(size=(80, 24)) as pilot,
    ):
        signin = s.app.screen
        clock.advance(10)
        await idle_checked(pilot, clock)
        assert isinstance(s.app.screen, SignInScreen)  # no lock before anyone signs in
        assert s.app.screen is signin
        await sign_in(pilot, "c1")
        for _ in range(4):  # keys keep it open: 4 s in all, never 1.5 s without a key
            clock.advance(1.0)
            await idle_checked(pilot, clock)
            assert not s.app.locked
            await pilot.press("1")
        assert isinstance(s.app.screen, SellScreen)
        clock.advance(1.5)
        await wait_for(pilot, lambda: isinstance(s.app.screen, SignInScreen), "the idle lock")
        assert s.app.locked
        await type_pin(pilot, None, PINS["c1"])
        assert isinstance(s.app.screen, SellScreen)


async def start_refund(pilot: Pilot[None], s: Staffed) -> None:
    """F4, pick the redemption, refund all of it, print the voucher, confirm."""
    await pilot.press("f4", "enter", "enter", "enter", "enter")
    await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))


async def test_a_refund_needs_a_supervisor(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        redemption = await s.engine.redeem_1voucher("1212121212121212")
        assert redemption.status == "approved"
        s.sent.clear()
        await sign_in(pilot, "c1")
        await start_refund(pilot, s)
        assert "supervisor must approve refunds" in text(s.app, "#approval-reason")
        assert s.sent == [] and s.journal.search(kind="1voucher.refund") == []

        await burst(pilot, "c", "1", "enter")  # the cashier cannot approve their own refund
        await wait_for(pilot, lambda: "c1 is the cashier" in text(s.app, "#pin-error"))
        assert s.app.screen.step == "id"  # type: ignore[attr-defined]
        await type_pin(pilot, "c2", PINS["c2"])  # nor can another cashier
        assert "c2 is a cashier: a supervisor must approve" in text(s.app, "#pin-error")
        await type_pin(pilot, "s1", "0000")
        assert "unknown user id or wrong PIN" in text(s.app, "#pin-error")
        assert isinstance(s.app.screen, ApprovalScreen) and s.sent == []

        await type_pin(pilot, "s1", PINS["s1"])  # each try is an id and a PIN
        await wait_for(pilot, lambda: getattr(s.app.screen, "step", "") == "outcome")
        (refund,) = s.journal.search(kind="1voucher.refund")
        assert refund.state == "approved"
        assert (refund.cashier, refund.approved_by) == ("c1", "s1")
        assert [p.rsplit("/", 2)[-2:] for p in s.sent] == [["1voucher", "refund"]]  # just one
        assert "APPROVED" in text(s.app, "#outcome-status")


async def test_escape_sends_nothing_and_three_wrong_pins_lock_the_supervisor(
    tmp_path: Path,
) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        await s.engine.redeem_1voucher("1212121212121212")
        s.sent.clear()
        await sign_in(pilot, "c1")
        await start_refund(pilot, s)
        await type_pin(pilot, "s1", "0000")
        await type_pin(pilot, "s1", "0001")
        await type_pin(pilot, "s1", "0002")
        assert "s1 is now locked out" in text(s.app, "#pin-error")
        await type_pin(pilot, "s1", PINS["s1"])
        assert "s1 is locked" in text(s.app, "#pin-error")

        await pilot.press("escape")
        screen = s.app.screen
        assert isinstance(screen, RefundScreen)
        await wait_for(pilot, lambda: screen.step == "confirm")
        error = text(s.app, "#error")
        assert "Not approved" in error and "Nothing was sent" in error
        assert s.sent == [] and s.journal.search(kind="1voucher.refund") == []
        assert not s.app.busy

        await pilot.press("enter")  # confirm again: asked again
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Not approved" in text(s.app, "#error"))
        assert s.sent == []


async def test_a_reprint_needs_a_supervisor(tmp_path: Path) -> None:
    async with staffed(tmp_path) as s, s.app.run_test(size=(80, 24)) as pilot:
        sale = await s.engine.sell_1voucher(5000)
        printed = len(s.printer.printed)
        await sign_in(pilot, "c1")
        await pilot.press("f7", *f"ref {sale.reference}", "enter", "enter")
        assert isinstance(s.app.screen, JournalScreen) and s.app.screen.step == "details"

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "not approved" in text(s.app, "#error"))
        assert len(s.printer.printed) == printed

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ApprovalScreen))
        await type_pin(pilot, "s1", PINS["s1"])
        await wait_for(pilot, lambda: len(s.printer.printed) > printed)
        assert "COPY 1" in s.printer.printed[-1]
        (reprint,) = s.journal.reprints(sale.reference)  # who asked, who approved: kept
        assert (reprint.copy, reprint.cashier, reprint.approved_by) == (1, "c1", "s1")
        await wait_for(pilot, lambda: "approved by s1" in text(s.app, "#journal-details"))
