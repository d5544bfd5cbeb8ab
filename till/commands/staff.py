"""`till users`, `till shift` and `till report`: the till's people, their cash, and the day's close.

None of these talk to Flash. PINs are never command-line arguments (anyone can read argv with
`ps`): they are asked for on the terminal, or read one a line from stdin in scripts
(`--pin-stdin`, or whenever stdin is not a terminal).

Shifts and reports always use the live journal: training sales never count.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from till.clock import MINUTES_ZONE, format_local, now_ms
from till.commands.base import (
    EXIT_OK,
    UsageError,
    fail,
    file_path,
    plain_text,
    printable,
    rands,
    user_id,
    whole_number,
)
from till.money import format_rands

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.config.settings import Settings
    from till.reports import (
        Report,
        ReportBook,
        ShiftCash,
    )
    from till.staff import Role, User, UserStore


TRAINING_NOTE = "Training mode is on: reports and shifts cover live sales only."


# -- PINs -------------------------------------------------------------------------------------


def _from_stdin(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "pin_stdin", False)) or not sys.stdin.isatty()


def read_pin(args: argparse.Namespace, prompt: str) -> str:
    """One PIN: from the terminal without echo, or the next line of stdin in scripts."""
    if _from_stdin(args):
        line = sys.stdin.readline()
        if not line:
            raise UsageError(f"{prompt.rstrip(': ')}: no PIN on stdin (one PIN per line)")
        return line.strip()
    return getpass.getpass(prompt).strip()


def read_new_pin(args: argparse.Namespace, who: str) -> str:
    first = read_pin(args, f"New PIN for {who}: ")
    second = read_pin(args, f"New PIN for {who} again: ")
    if first != second:
        raise UsageError("the two PINs differ: nothing was changed")
    return first


def authenticate(store: UserStore, args: argparse.Namespace, user_id: str, role: Role) -> User:
    """Ask for `user_id`'s PIN; AuthError (wrong PIN, locked, disabled, too junior) otherwise."""
    return store.verify(user_id, read_pin(args, f"PIN for {user_id}: "), now=now_ms(), role=role)


# -- till users -------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    from till.config.settings import load_settings

    return load_settings(args.config, need_flash=False)


@contextmanager
def _users(args: argparse.Namespace) -> Iterator[UserStore]:
    from till.runtime import open_users

    with open_users(_settings(args)) as store:
        yield store


def _manager(store: UserStore, args: argparse.Namespace) -> User:
    if not args.as_user:
        raise UsageError("--as ID: a manager signs in to manage users")
    return authenticate(store, args, args.as_user, "manager")


def _has_manager(store: UserStore) -> bool:
    return any(user.role == "manager" for user in store.list())


def cmd_users_add(args: argparse.Namespace) -> int:
    from till.staff import StaffError

    with _users(args) as store:
        try:
            if _has_manager(store):
                by = _manager(store, args)
                note = f"by {by.id}"
            elif args.role != "manager":
                return fail(
                    "there is no manager yet: add one first "
                    "(till users add ID --name NAME --role manager)"
                )
            else:
                print("No manager yet: adding the first manager without sign-in.")
                note = "first manager"
            pin = read_new_pin(args, args.user_id)
            user = store.add(args.user_id, args.name, args.role, pin, now=now_ms())
        except StaffError as exc:
            return fail(str(exc))
    print(f"added {user.role} {user.id} ({user.name}), {note}")
    return EXIT_OK


def _local(ms: int) -> str:
    return format_local(ms, fmt=MINUTES_ZONE)


def cmd_users_list(args: argparse.Namespace) -> int:
    with _users(args) as store:
        users = store.list()
    if not users:
        print("No users yet: till users add ID --name NAME --role manager")
        return EXIT_OK
    now = now_ms()
    rows = [("id", "name", "role", "active", "locked until")]
    for user in users:
        locked = user.locked_until is not None and user.locked_until > now
        rows.append(
            (
                user.id,
                user.name,
                user.role,
                "yes" if user.active else "no",
                _local(user.locked_until) if locked and user.locked_until else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


def _set_active(args: argparse.Namespace, active: bool) -> int:
    from till.staff import StaffError

    with _users(args) as store:
        try:
            by = _manager(store, args)
            target = store.get(args.user_id)
            if target is None:
                return fail(f"no user {args.user_id}")
            if not active and target.role == "manager":
                others = [
                    u
                    for u in store.list()
                    if u.role == "manager" and u.active and u.id != target.id
                ]
                if not others:
                    return fail(f"{target.id} is the last active manager: add another first")
            store.set_active(target.id, active)
        except StaffError as exc:
            return fail(str(exc))
    print(f"{'enabled' if active else 'disabled'} {target.id} ({target.name}), by {by.id}")
    return EXIT_OK


def cmd_users_disable(args: argparse.Namespace) -> int:
    return _set_active(args, False)


def cmd_users_enable(args: argparse.Namespace) -> int:
    return _set_active(args, True)


def cmd_users_set_pin(args: argparse.Namespace) -> int:
    from till.staff import StaffError

    with _users(args) as store:
        try:
            by = _manager(store, args)
            if store.get(args.user_id) is None:
                return fail(f"no user {args.user_id}")
            store.set_pin(args.user_id, read_new_pin(args, args.user_id))
        except StaffError as exc:
            return fail(str(exc))
    print(f"new PIN set for {args.user_id} (any lockout cleared), by {by.id}")
    return EXIT_OK


# -- the live journal -------------------------------------------------------------------------


def live_journal_path(settings: Settings) -> Path:
    """Shifts and reports are about real money: never the training journal."""
    from till.runtime import journal_path

    if not settings.training.enabled:
        return journal_path(settings)
    training = settings.training.model_copy(update={"enabled": False})
    return journal_path(settings.model_copy(update={"training": training}))


@contextmanager
def _book(settings: Settings) -> Iterator[ReportBook]:
    from till.journal import Journal
    from till.reports import ReportBook

    if settings.training.enabled:
        print(TRAINING_NOTE)
    with Journal.open(live_journal_path(settings)) as journal:
        yield ReportBook(journal)


# -- till shift -------------------------------------------------------------------------------


def format_cash(cash: ShiftCash) -> str:
    rows = [
        ("float", format_rands(cash.opening_float)),
        ("cash in", format_rands(cash.cash_in)),
        ("in doubt", format_rands(cash.in_doubt_cash)),
        ("paid out", format_rands(-cash.cash_out)),
        ("expected", format_rands(cash.expected)),
        ("counted", "-" if cash.counted is None else format_rands(cash.counted)),
        ("difference", "-" if cash.difference is None else format_rands(cash.difference)),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)


def cmd_shift_open(args: argparse.Namespace) -> int:
    from till.reports import ReportError
    from till.runtime import open_users
    from till.staff import StaffError

    settings = _settings(args)
    opening: int = args.float_rands
    with open_users(settings) as store:
        try:
            cashier = authenticate(store, args, args.cashier, "cashier")
        except StaffError as exc:
            return fail(str(exc))
    with _book(settings) as book:
        try:
            shift = book.open_shift(cashier.id, opening, now=now_ms())
        except ReportError as exc:
            return fail(str(exc))
    print(f"shift {shift.id} open for {cashier.id} ({cashier.name}), float {format_rands(opening)}")
    return EXIT_OK


def cmd_shift_close(args: argparse.Namespace) -> int:
    from till.reports import ReportError, build_report
    from till.runtime import open_users
    from till.staff import StaffError

    settings = _settings(args)
    counted: int = args.counted_rands
    closer_id = args.as_user or args.cashier
    with open_users(settings) as store:
        try:
            role: Role = "cashier" if closer_id == args.cashier else "supervisor"
            closer = authenticate(store, args, closer_id, role)
        except StaffError as exc:
            return fail(str(exc))
    with _book(settings) as book:
        try:
            shift = book.close_shift(args.cashier, counted, closed_by=closer.id, now=now_ms())
        except ReportError as exc:
            return fail(str(exc))
        assert shift.closed_at is not None
        entries = book.journal.search(since=shift.opened_at, until=shift.closed_at, limit=10**9)
    report = build_report(
        entries,
        [shift],
        kind="X",
        period_start=shift.opened_at,
        period_end=shift.closed_at,
        now=shift.closed_at,
    )
    print(f"shift {shift.id} of {shift.cashier} closed by {closer.id}")
    print(format_cash(report.shifts[0]))
    return EXIT_OK


# -- till report ------------------------------------------------------------------------------


def _output(settings: Settings, args: argparse.Namespace, report: Report, copy: int = 0) -> bool:
    """Show the report, write the CSV if asked, print it; False when no printer is set up."""
    from till.reports import ReportError, report_csv, report_document
    from till.runtime import open_receipt_printer, receipt_preview

    document = report_document(
        report,
        store_name=settings.till.store_name or settings.till.store_id,
        terminal_id=settings.till.terminal_id,
        copy=copy,
    )
    print(receipt_preview(settings, document))
    if args.csv is not None:
        try:
            args.csv.write_text(report_csv(report), encoding="utf-8", newline="")
        except OSError as exc:
            raise ReportError(f"--csv {args.csv}: {exc.strerror}") from None
        print(f"CSV written to {args.csv}")
    printer = open_receipt_printer(settings)
    if printer is None:
        return False
    printer.print(document)  # PrintError when it fails
    return True


def cmd_report_x(args: argparse.Namespace) -> int:
    from receipts import PrintError
    from till.reports import ReportError

    settings = _settings(args)
    with _book(settings) as book:
        report = book.x_report(now=now_ms())
    try:
        _output(settings, args, report)
    except (ReportError, PrintError) as exc:
        return fail(f"X report not printed: {exc}")
    return EXIT_OK


def cmd_report_z(args: argparse.Namespace) -> int:
    from receipts import PrintError
    from till.reports import ReportError
    from till.runtime import open_users
    from till.staff import StaffError

    settings = _settings(args)
    with open_users(settings) as store:
        try:
            by = authenticate(store, args, args.as_user, "supervisor")
        except StaffError as exc:
            return fail(str(exc))
    with _book(settings) as book:
        open_live = [e for e in book.journal.open_entries() if not e.training]
        override = bool(open_live) and args.override
        if override and not by.at_least("manager"):
            return fail(f"Z report refused: {by.id} is a {by.role}: only a manager may override")
        try:
            report = book.z_report(
                now=now_ms(), created_by=by.id, override_by=by.id if override else None
            )
        except ReportError as exc:
            return fail(f"Z report refused: {exc} (till retry; or a manager's --override)")
        assert report.number is not None
        if override:
            print(f"{len(open_live)} open transaction(s) overridden by manager {by.id}")
        try:
            printed = _output(settings, args, report)
        except (ReportError, PrintError) as exc:
            return fail(
                f"Z report {report.number} is stored but not printed: {exc} "
                f"(till report show {report.number})"
            )
        if printed:
            book.count_z_print(report.number)
    print(f"Z report {report.number} closed by {by.id}")
    return EXIT_OK


def cmd_report_show(args: argparse.Namespace) -> int:
    from receipts import PrintError
    from till.reports import ReportError

    settings = _settings(args)
    with _book(settings) as book:
        try:
            report, printed = book.z(args.number)
        except ReportError as exc:
            return fail(str(exc))
        try:
            if _output(settings, args, report, copy=printed):
                book.count_z_print(args.number)
        except (ReportError, PrintError) as exc:
            return fail(f"Z report {args.number} not printed: {exc}")
    return EXIT_OK


# -- argument parsing -------------------------------------------------------------------------


def _pin_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read PINs from stdin, one a line (automatic when stdin is not a terminal)",
    )
    return parent


def role(text: str) -> Role:
    """An argparse type: one of the staff roles (checked when given, so building the parser
    does not load the users module)."""
    from till.staff import ROLES

    for known in ROLES:
        if text == known:
            return known
    raise argparse.ArgumentTypeError(f"{printable(repr(text))} is not one of {', '.join(ROLES)}")


def _add_users(sub: Subparsers, pins: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", help="cashiers, supervisors and managers (a manager signs in)")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser(
        "add", parents=[pins], help="add a user (the first manager needs no sign-in)"
    )
    add.add_argument("user_id", type=user_id, metavar="ID")
    add.add_argument("--name", type=plain_text("a name", 60), required=True)
    add.add_argument("--role", type=role, required=True, help="cashier, supervisor or manager")
    add.add_argument(
        "--as", dest="as_user", type=user_id, metavar="ID", help="the manager adding them"
    )
    add.set_defaults(func=cmd_users_add)
    listing = users_sub.add_parser("list", help="id, name, role, active, locked until")
    listing.set_defaults(func=cmd_users_list)
    for name, func, text in (
        ("disable", cmd_users_disable, "stop a user signing in"),
        ("enable", cmd_users_enable, "let a disabled user sign in again"),
        ("set-pin", cmd_users_set_pin, "give a user a new PIN (also clears a lockout)"),
    ):
        action = users_sub.add_parser(name, parents=[pins], help=text)
        action.add_argument("user_id", type=user_id, metavar="ID")
        action.add_argument(
            "--as",
            dest="as_user",
            type=user_id,
            metavar="ID",
            required=True,
            help="the manager doing it",
        )
        action.set_defaults(func=func)


def _add_shift(sub: Subparsers, pins: argparse.ArgumentParser) -> None:
    shift = sub.add_parser("shift", help="open a cashier's shift with a float, close it counted")
    shift_sub = shift.add_subparsers(dest="shift_command", metavar="ACTION", required=True)
    opening = shift_sub.add_parser("open", parents=[pins], help="the cashier signs in")
    opening.add_argument("--cashier", type=user_id, required=True, metavar="ID")
    opening.add_argument("--float", dest="float_rands", type=rands, required=True, metavar="RANDS")
    opening.set_defaults(func=cmd_shift_open)
    closing = shift_sub.add_parser(
        "close", parents=[pins], help="count the drawer: expected vs counted cash"
    )
    closing.add_argument("--cashier", type=user_id, required=True, metavar="ID")
    closing.add_argument(
        "--counted", dest="counted_rands", type=rands, required=True, metavar="RANDS"
    )
    closing.add_argument(
        "--as",
        dest="as_user",
        type=user_id,
        metavar="ID",
        help="a supervisor closing for the cashier",
    )
    closing.set_defaults(func=cmd_shift_close)


def _add_report(sub: Subparsers, pins: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", help="X (running totals) and Z (close the day) reports")
    report_sub = report.add_subparsers(dest="report_command", metavar="KIND", required=True)
    x = report_sub.add_parser("x", help="running totals since the last Z: changes nothing")
    x.set_defaults(func=cmd_report_x)
    z = report_sub.add_parser(
        "z", parents=[pins], help="close the day: numbered, stored, unchangeable"
    )
    z.add_argument(
        "--as",
        dest="as_user",
        type=user_id,
        metavar="ID",
        required=True,
        help="supervisor/manager",
    )
    z.add_argument(
        "--override",
        action="store_true",
        help="a manager closes the day although entries are still in doubt (recorded)",
    )
    z.set_defaults(func=cmd_report_z)
    show = report_sub.add_parser("show", help="print a stored Z report again (as COPY n)")
    show.add_argument("number", type=whole_number(1, 10**9), metavar="N")
    show.set_defaults(func=cmd_report_show)
    for parser in (x, z, show):
        parser.add_argument("--csv", type=file_path, metavar="FILE", help="also write the figures")


def add_parsers(sub: Subparsers) -> None:
    """Register `till users`, `till shift` and `till report`."""
    pins = _pin_options()
    _add_users(sub, pins)
    _add_shift(sub, pins)
    _add_report(sub, pins)


__all__ = ["add_parsers", "read_pin"]
