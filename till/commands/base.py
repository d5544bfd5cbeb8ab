"""What every subcommand shares: exit statuses, usage errors, and the parsers of what a
cashier types on the command line (amounts in rands, whole numbers, references, ids).

Only ASCII digits are numbers here: `int()`, `str.isdigit()` and `\\d` also take Arabic-Indic
or full-width digits ("٥٠", "５０"), which a till must refuse rather than read as 50.
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias, TypeVar

from till.money import parse_rands

if TYPE_CHECKING:
    #: What `add_subparsers()` returns: each command module adds its parsers to it (a type
    #: only: argparse's class cannot be subscripted at run time).
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: Something needs a person: an approval Flash sent that the till could not use, or an entry
#: whose settling failed unexpectedly (flagged; `till journal list --open` shows it).
EXIT_ATTENTION = 3
EXIT_JOURNAL_GONE = 4
EXIT_JOURNAL_CORRUPT = 5
EXIT_JOURNAL_READ_ONLY = 6
EXIT_JOURNAL_FULL = 7
EXIT_JOURNAL_NOT_A_FILE = 8
EXIT_JOURNAL_TOO_NEW = 9
EXIT_JOURNAL_UNAVAILABLE = 10
#: `till printer test`: the printer did not print the page, or reports a fault (paper out...).
EXIT_PRINTER_FAULT = 11
EXIT_INTERRUPTED = 130

#: Every exit status of the `till` command, in one place (docs/commands.md's table is this one).
#: 4-10 are the journal's faults: nothing was recorded or sent to Flash, except for a sale the
#: message names, whose answer came but could not be recorded.
EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "approved, or the command did what was asked"),
    (EXIT_FAILED, "declined, in doubt, not sent, or otherwise failed (the message says which)"),
    (EXIT_USAGE, "bad command line or configuration: nothing was journaled or sent"),
    (EXIT_ATTENTION, "a person is needed: an answer the till could not use (flagged)"),
    (EXIT_JOURNAL_GONE, "the journal file is missing, or was deleted or replaced while open"),
    (EXIT_JOURNAL_CORRUPT, "the journal file is damaged or is not a till journal"),
    (EXIT_JOURNAL_READ_ONLY, "the journal file, its directory or its disk is read-only"),
    (EXIT_JOURNAL_FULL, "the disk holding the journal is full"),
    (EXIT_JOURNAL_NOT_A_FILE, "[journal] path names a directory or other non-file"),
    (EXIT_JOURNAL_TOO_NEW, "the journal was written by a newer till"),
    (EXIT_JOURNAL_UNAVAILABLE, "the journal cannot be read or written (I/O error, locked)"),
    (EXIT_PRINTER_FAULT, "printer test, reprint, slip, desk reprint: nothing printed"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl+C)"),
)

#: Journal fault class name -> exit status (by name: the screens start without the journal's
#: modules, and this table must stay importable without them).
_JOURNAL_FAULTS: dict[str, int] = {
    "JournalMissing": EXIT_JOURNAL_GONE,
    "JournalGone": EXIT_JOURNAL_GONE,
    "JournalCorrupt": EXIT_JOURNAL_CORRUPT,
    "JournalReadOnly": EXIT_JOURNAL_READ_ONLY,
    "JournalFull": EXIT_JOURNAL_FULL,
    "JournalNotAFile": EXIT_JOURNAL_NOT_A_FILE,
    "SchemaTooNew": EXIT_JOURNAL_TOO_NEW,
    "JournalUnavailable": EXIT_JOURNAL_UNAVAILABLE,
    "JournalFault": EXIT_JOURNAL_UNAVAILABLE,
}


def journal_status(exc: BaseException) -> int:
    """The exit status for a journal error: its fault's own, or 1 for a refusal about one
    entry (an unknown reference)."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _JOURNAL_FAULTS:
            return _JOURNAL_FAULTS[cls.__name__]
    return EXIT_FAILED


class _Process:
    #: True in the `till` program itself, which runs one command and exits (`one_command`).
    one_command = False


def one_command() -> None:
    """`till.cli.main` calls this when it is the `till` program (not called in process by a
    test or another program): this process runs one command and exits, so what the command's
    start-up made may be frozen (`starting`)."""
    _Process.one_command = True


@contextmanager
def starting() -> Iterator[None]:
    """A command's start-up: importing pydantic, the Flash models and httpx and reading the
    config make ~50,000 objects that live as long as the process, and no garbage. Python's
    cyclic collector is paused meanwhile, instead of walking them again and again; in the `till`
    program they are then frozen (`gc.freeze`), so no later collection, nor the interpreter's
    last ones at exit, walks them at all: a fifth of the run of `till sell` and of
    `till journal show`, measured. Objects are still freed as soon as nothing refers to them;
    only a reference cycle made during start-up would wait for the process to end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _Process.one_command:
            gc.freeze()
        if enabled:
            gc.enable()


class UsageError(Exception):
    """The command line is wrong: reported before anything is journaled or sent (exit 2)."""


def printable(text: str) -> str:
    """`text` on one line with every control, format or unassigned character escaped, so
    nothing a user typed can move the cursor, recolour or split the terminal's line."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def fail(message: str, status: int = EXIT_FAILED) -> int:
    """Print a one-line error to stderr and return the exit status, so callers can `return` it.

    A config error keeps its layout (a line per key); anything else is made one line."""
    config_layout = status == EXIT_USAGE and message.startswith("config error")
    text = message if config_layout else printable(message)
    print(f"till: {text}", file=sys.stderr)
    return status


class TillArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("till").strip()
        prefix = f"{where}: " if where else ""
        self.exit(EXIT_USAGE, f"till: {prefix}{printable(message)} (see --help)\n")


# -- argparse types: each refuses with one line, before anything is opened ---------------------

_ASCII_WHOLE = re.compile(r"[0-9]{1,30}")
_REFERENCE = re.compile(r"[-.=A-Za-z0-9]{1,50}")
_USER_ID = re.compile(r"[A-Za-z0-9]{1,16}")
_SERIAL = re.compile(r"[A-Za-z0-9]{1,32}")
#: Digits typed in groups: single spaces between ASCII digits (as `till.digits.ungroup` takes).
_GROUPED_DIGITS = re.compile(r"[0-9]+(?: [0-9]+)*")
_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,3})?")


def _refuse(text: str, what: str) -> NoReturn:
    raise argparse.ArgumentTypeError(f"{printable(repr(text))} is not {what}")


N = TypeVar("N", int, float)


def _ranged(
    pattern: re.Pattern[str], convert: Callable[[str], N], low: N, high: N, what: str
) -> Callable[[str], N]:
    """An argparse type: text that matches `pattern` (ASCII only), converted, in range."""

    def parse(text: str) -> N:
        if not pattern.fullmatch(text):
            _refuse(text, what)
        value = convert(text)
        if not low <= value <= high:
            _refuse(text, what)
        return value

    return parse


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """ASCII digits only, from `low` to `high` (no sign, no exponent)."""
    return _ranged(_ASCII_WHOLE, int, low, high, f"a whole number from {low} to {high}")


def seconds(low: float, high: float) -> Callable[[str], float]:
    """A duration: ASCII digits with up to three decimals, in range."""
    return _ranged(
        _DECIMAL, float, low, high, f"a number of seconds from {low:g} to {high:g}, e.g. 2.5"
    )


def rands(text: str) -> int:
    """An argparse type for an amount typed in rands, as cents."""
    try:
        return parse_rands(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(printable(str(exc))) from None


def reference(text: str) -> str:
    """A journal reference: letters, digits, '-', '.' and '=' (what Flash accepts)."""
    if not _REFERENCE.fullmatch(text):
        _refuse(text, "a reference (letters, digits, '-', '.' and '=', e.g. S1-T1-ABCD-12)")
    return text


def user_id(text: str) -> str:
    """A cashier's, supervisor's or manager's id: 1 to 16 letters and digits."""
    if not _USER_ID.fullmatch(text):
        _refuse(text, "a user id (1 to 16 letters and digits)")
    return text


def serial(text: str) -> str:
    """A voucher serial number: 1 to 32 letters and digits."""
    if not _SERIAL.fullmatch(text):
        _refuse(text, "a serial number (1 to 32 letters and digits)")
    return text


def digits(what: str, low: int, high: int, *, secret: bool = False) -> Callable[[str], str]:
    """An argparse type for a PIN or meter number: ASCII digits, optionally in groups split
    by single spaces; returns the digits alone. A `secret` (a PIN) is never echoed back: a typo
    of one digit too many is still the customer's whole PIN."""
    size = f"exactly {low} digits" if low == high else f"{low} to {high} digits"

    def parse(text: str) -> str:
        compact = text.replace(" ", "")
        if not _GROUPED_DIGITS.fullmatch(text.strip(" ")) or not low <= len(compact) <= high:
            got = f"{len(text)} characters" if secret else printable(repr(text))
            raise argparse.ArgumentTypeError(f"{what} must be {size} (got {got})")
        return compact

    return parse


def mobile(text: str) -> str:
    """An argparse type for a South African cell number, as Flash wants it (27821234567)."""
    from till.phone import parse_mobile

    try:
        return parse_mobile(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(printable(str(exc))) from None


def plain_text(what: str, max_length: int) -> Callable[[str], str]:
    """Free text (a person's name): printable characters only, not blank, not too long."""

    def parse(text: str) -> str:
        if not text.strip() or len(text) > max_length or not text.isprintable():
            _refuse(text, f"{what} (1 to {max_length} printable characters)")
        return text.strip()

    return parse


def file_path(text: str) -> Path:
    """A file name on the command line: not empty, no NUL or other control character."""
    if not text or not text.isprintable():
        _refuse(text, "a file name")
    return Path(text)
