"""Who is at the till: the sign-in / lock screen, and the supervisor's approval modal.

Both ask an id, then a PIN (masked), and check it with the app's UserStore in a thread (scrypt
takes a moment; the screens and the resolver keep running). The app is the till's or the service
desk's: either is a `StaffHost` (`till.tui.host`). Wrong PINs count against the user
typed, and the third locks them out for a while: the store does that, the screens say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from till.staff import AuthError, Role, StaffError, User
from till.tui.widgets import StatusBar

if TYPE_CHECKING:
    from till.tui.host import StaffHost


class PinLine(Input):
    """The form's one line: the id, then the PIN (masked). Enter is taken in key order, so an
    id, Enter and a PIN typed fast all land in the right step (as `EntryLine` does)."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            form = self.screen
            if isinstance(form, PinForm):
                await form.enter(self.value)
            return
        await super()._on_key(event)


class PinForm:
    """Id, Enter, PIN, Enter on one line; then the PIN is checked. Mixed into a Screen."""

    ROLE: Role = "cashier"
    id_label = "Cashier id"
    pin_label = "PIN"
    #: PINs checked (or refused) so far on this screen.
    checked = 0
    step = "id"
    user_id = ""

    def pin_inputs(self) -> ComposeResult:
        yield Static("", id="pin-who")
        yield PinLine(id="pin-line", max_length=16)
        yield Static("", id="pin-error", classes="error")

    @property
    def _screen(self) -> Screen[object]:
        assert isinstance(self, Screen)
        return self

    @property
    def staffed(self) -> StaffHost:
        """The app signed in to: the till's or the desk's."""
        return cast("StaffHost", self._screen.app)

    def enter_step(self, step: str) -> None:
        screen = self._screen
        self.step = step
        line = screen.query_one(PinLine)
        line.value = ""
        line.password = step == "pin"
        label = self.pin_label if step == "pin" else self.id_label
        line.placeholder = line.border_title = label
        who = screen.query_one("#pin-who", Static)
        who.update(f"{self.id_label}: {self.user_id}" if step == "pin" else "")
        who.display = step == "pin"
        line.focus()

    def show_pin_error(self, message: str) -> None:
        error = self._screen.query_one("#pin-error", Static)
        error.update(message)
        error.display = bool(message)

    async def enter(self, text: str) -> None:
        """Enter on the line: the id moves on to the PIN; the PIN is checked."""
        if self.step == "id":
            user_id = text.strip()
            refusal = self.refuse(user_id) if user_id else f"Type the {self.id_label.lower()}."
            if refusal:
                self.checked += 1
                self.show_pin_error(refusal)
                self.enter_step("id")
                return
            self.user_id = user_id
            self.show_pin_error("")
            self.enter_step("pin")
            return
        if not text:
            self.show_pin_error(f"Type the {self.pin_label} and press Enter.")
            return
        self._screen.query_one(PinLine).value = ""
        try:
            user = await self.staffed.verify_user(self.user_id, text, role=self.ROLE)
        except StaffError as exc:
            self.show_pin_error(f"{exc}.")
            self.failed()
            return
        finally:
            self.checked += 1
        self.show_pin_error("")
        self.verified(user)

    def refuse(self, user_id: str) -> str | None:
        """A reason this id may not be used here, checked before the PIN is asked."""
        return None

    def failed(self) -> None:
        """After a wrong PIN: type the PIN again (Escape changes the id)."""
        self.enter_step("pin")

    def verified(self, user: User) -> None:
        raise NotImplementedError


class SignInScreen(PinForm, Screen[None]):
    """Covers the till until a cashier signs in: at the start of a shift, and when locked.

    Locked, the signed-in cashier's own PIN (or a supervisor's or manager's) unlocks it and
    the till returns to the screen it was on; another cashier signing in ends the first one's
    session. Work already started (a sale on the wire, the resolver) carries on underneath.
    """

    BINDINGS = [Binding("escape", "back", "Other id")]

    def __init__(self, *, locked_by: str | None = None) -> None:
        super().__init__(classes="signin")
        self.locked_by = locked_by

    def compose(self) -> ComposeResult:
        yield StatusBar()
        if self.locked_by:
            title = f"LOCKED  -  cashier {self.locked_by}"
            note = (
                f"{self.locked_by}: type your PIN and press Enter to unlock. "
                "Another cashier: Escape, then your own id and PIN to sign in instead."
            )
        else:
            title = "SIGN IN"
            note = "Type your cashier id, Enter, then your PIN, Enter. Escape = another id."
        yield Static(title, classes="screen-title")
        with Vertical(classes="pin-box"):
            yield Static(note, classes="hint")
            yield from self.pin_inputs()

    def on_mount(self) -> None:
        self.show_pin_error("")
        self.user_id = self.locked_by or ""
        self.enter_step("pin" if self.locked_by else "id")

    def action_back(self) -> None:
        """Escape on the PIN: type another id."""
        self.show_pin_error("")
        self.enter_step("id")

    def verified(self, user: User) -> None:
        if self.locked_by and (user.id == self.locked_by or user.at_least("supervisor")):
            self.staffed.unlocked(user)
        else:
            self.staffed.signed_in(user)


class ApprovalScreen(PinForm, ModalScreen[str | None]):
    """A supervisor (or manager) approves one transaction with their id and PIN; Escape = no.

    Dismissed with the approver's id, or None when not approved. The cashier signed in cannot
    approve their own transaction.
    """

    ROLE: Role = "supervisor"
    id_label = "Supervisor id"
    pin_label = "Supervisor PIN"
    BINDINGS = [Binding("escape", "cancel", "Not approved")]

    def __init__(self, reason: str) -> None:
        super().__init__(classes="approval")
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="pin-box"):
            yield Static("SUPERVISOR APPROVAL", classes="screen-title")
            yield Static(f"{self.reason[:1].upper()}{self.reason[1:]}.", id="approval-reason")
            yield Static(
                "Supervisor: id, Enter, PIN, Enter.  Escape = not approved.", classes="hint"
            )
            yield from self.pin_inputs()

    def on_mount(self) -> None:
        self.show_pin_error("")
        self.enter_step("id")

    def failed(self) -> None:
        """Each try is an id and a PIN: whoever comes next types their own."""
        self.enter_step("id")

    def refuse(self, user_id: str) -> str | None:
        cashier = self.staffed.cashier
        if cashier is not None and user_id == cashier:
            return f"{cashier} is the cashier: another person must approve."
        return None

    def verified(self, user: User) -> None:
        self.dismiss(user.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ApprovalScreen", "AuthError", "PinForm", "PinLine", "SignInScreen"]
