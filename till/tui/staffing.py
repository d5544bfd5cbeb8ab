"""Who is at the till or the desk: sign-in, the lock (Ctrl+L or idle), and supervisor approvals.

`StaffedApp` is what the till's app and the service desk's share when `[staff]` is on. The app
starts under its sign-in screen (`signin_screen`); a cashier's id and PIN signs them in and the
top bar shows them. Ctrl+L, or `idle_lock_seconds` without a key, pushes the same screen over
whatever is showing (nothing underneath can be read); the cashier's PIN, or a supervisor's, pops
it again, and another cashier signing in takes over. Workers keep running meanwhile.
`ask_approval(reason)`, awaited from a worker the app owns, asks a supervisor for their id and
PIN. The sign-in screens (`till.tui.signin`) talk to the app only as a `StaffHost`
(`till.tui.host`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from till.clock import now_ms

if TYPE_CHECKING:
    from till.staff import Role, User, UserStore


class StaffedApp(App[None]):
    """An app a cashier signs in to, that locks, and that asks a supervisor to approve."""

    #: Priority, so it locks from inside an entry line or the approval modal too.
    BINDINGS = [Binding("ctrl+l", "lock", "Lock", show=False, priority=True)]

    #: Why the app could not start (a users file that would not open among it), if it did not.
    start_error: str | None = None

    def init_staff(
        self,
        *,
        enabled: bool,
        users: UserStore | None,
        idle_lock_seconds: float | None,
        configured_idle: float,
        monotonic: Callable[[], float] = time.monotonic,
        cashier: str | None = None,
    ) -> None:
        """Call from `__init__`: `users` is the users file (if open yet); `idle_lock_seconds`
        overrides the `[staff]` setting (`configured_idle`; tests use a short idle); `monotonic`
        is the clock the idle lock reads, in seconds (tests pass a fake one and move it on)."""
        self.staff_enabled = enabled
        self._users = users
        self.idle_lock_seconds = (
            idle_lock_seconds if idle_lock_seconds is not None else configured_idle
        )
        self.cashier = cashier
        self.user: User | None = None
        self.locked = False
        self._monotonic = monotonic
        self._last_key = monotonic()

    @property
    def identity_text(self) -> str:
        """The top bar's left side: where this is, and who is signed in."""
        raise NotImplementedError

    def signin_screen(self, locked_by: str | None) -> Screen[None]:
        """The sign-in screen (`locked_by`: the lock screen over that cashier's session)."""
        from till.tui.signin import SignInScreen

        return SignInScreen(locked_by=locked_by)

    async def sign_in_first(self) -> None:
        """Call from `on_mount`: with staff on, nobody is signed in until someone does."""
        if not self.staff_enabled:
            return
        self.cashier = None
        self.locked = True
        await self.push_screen(self.signin_screen(None))
        self.set_interval(min(1.0, self.idle_lock_seconds / 5), self._check_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key = self._monotonic()  # every key, whatever then handles it
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No lock without staff, nor while locked already."""
        if action == "lock":
            return self.staff_enabled and not self.locked
        return True

    def _check_idle(self) -> None:
        if self._monotonic() - self._last_key >= self.idle_lock_seconds:
            self.action_lock()

    def action_lock(self) -> None:
        """Cover the screens until the cashier's PIN (or a supervisor's) is typed."""
        if not self.staff_enabled or self.locked or not self.cashier:
            return
        self.locked = True
        self.push_screen(self.signin_screen(self.cashier))

    async def verify_user(self, user_id: str, pin: str, *, role: Role = "cashier") -> User:
        """The user if the PIN is right (a StaffError if not), checked off the event loop."""
        if self._users is None:
            from till.staff import StaffError

            raise StaffError(self.start_error or "The users file is not open")
        return await asyncio.to_thread(self._users.verify, user_id, pin, now=now_ms(), role=role)

    def signed_in(self, user: User) -> None:
        """`user` is now the cashier (another one's session, if any, ends)."""
        self.user = user
        self.cashier = user.id
        self.unlocked(user)

    def unlocked(self, user: User) -> None:
        """The sign-in (or lock) screen is done: back to the screen underneath."""
        self.locked = False
        self._last_key = self._monotonic()
        self.pop_screen()
        self._refresh_identity()

    def _refresh_identity(self) -> None:
        """Top bars were composed with the old cashier: update every screen's."""
        text = self.identity_text
        for stack in self._screen_stacks.values():
            for screen in stack:
                for static in screen.query(".identity").results(Static):
                    static.update(text)

    async def ask_approval(self, reason: str) -> str | None:
        """A supervisor's id once they approve (None: not approved). Await it from a worker the
        app owns, never one a screen owns. With staff off nobody is asked: returns ""."""
        if not self.staff_enabled:
            return ""
        from till.tui.signin import ApprovalScreen

        return await self.push_screen(ApprovalScreen(reason), wait_for_dismiss=True)


__all__ = ["StaffedApp"]
