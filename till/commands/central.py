"""`till central`, `till sync`, `till desk` and `till hq`: the store's and head office's commands
over the central PostgreSQL ledger.

`till desk search|show|reprint` take the same options and print the same way as `till journal`
and `till reprint`, across every till of the store. psycopg is imported only when one of these
commands runs: `till --help` and the till's own commands never load it. Without `[central]` in
the config each says so and exits 2; a database that cannot be reached is exit 1 with what to do,
never a traceback and never the password.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from till.commands.approval import reprint_options
from till.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PRINTER_FAULT,
    EXIT_USAGE,
    UsageError,
    fail,
    file_path,
    reference,
    user_id,
    whole_number,
)
from till.commands.journal import MAX_LIMIT, day

if TYPE_CHECKING:
    import psycopg

    from till.central.desk import Desk, DeskEntry
    from till.central.fleet import FleetReport
    from till.central.seal import SealKey
    from till.central.upload import Uploader
    from till.commands.base import Subparsers
    from till.config.sections import CentralSection
    from till.config.settings import Settings
    from till.journal import Entry

log = logging.getLogger("till.commands")

Command = Callable[[argparse.Namespace], int]


# -- what every central command shares -------------------------------------------------------


def _settings(args: argparse.Namespace) -> tuple[Settings, CentralSection]:
    """The validated config and its `[central]`; a UsageError (exit 2) without one."""
    from till.config.settings import load_settings
    from till.words.desk import NO_CENTRAL

    settings = load_settings(args.config, need_flash=False)
    if settings.central is None:
        raise UsageError(NO_CENTRAL)
    return settings, settings.central


def central_command(func: Command) -> Command:
    """Run a central command, turning the database's and the key's failures into one line and
    an exit status: an unreachable or refusing database is 1, a `[central]` that cannot work
    (an unsafe password or key file, a bad DSN) is 2."""

    def run(args: argparse.Namespace) -> int:
        import psycopg

        from till.central.connect import CentralMisconfigured, CentralUnavailable
        from till.central.desk import DeskError
        from till.central.seal import KeyFileError, SealError
        from till.central.upload import UploadError, safe_error
        from till.words.desk import unreachable

        try:
            return func(args)
        except (CentralMisconfigured, KeyFileError) as exc:
            return fail(str(exc), EXIT_USAGE)
        except CentralUnavailable as exc:
            return fail(str(exc), EXIT_FAILED)
        except (DeskError, SealError, UploadError) as exc:
            return fail(str(exc), EXIT_FAILED)
        except psycopg.OperationalError as exc:  # the connection broke mid-command
            return fail(unreachable(safe_error(exc)), EXIT_FAILED)
        except psycopg.Error as exc:  # refused: a permission, a constraint
            return fail(f"head office's database refused: {safe_error(exc)}", EXIT_FAILED)

    run.__doc__ = func.__doc__
    return run


def _connect(central: CentralSection, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection for the whole command (autocommit: each desk call is one statement or one
    explicit transaction, so nothing waits idle in a transaction); closed by its `with`."""
    from till.central.connect import connect

    return connect(central, autocommit=autocommit)


def _key(central: CentralSection) -> SealKey | None:
    if central.key_file is None:
        return None
    from till.central.seal import SealKey

    return SealKey.load(central.key_file.expanduser())


def _given_dsn(args: argparse.Namespace) -> CentralSection | None:
    """`--dsn`: head office's own login, for a machine that is no till (no config needed); its
    password comes from PGPASSWORD or ~/.pgpass, never the command line."""
    if args.dsn is None:
        return None
    from pydantic import ValidationError

    from till.config.sections import CentralSection

    try:
        return CentralSection(dsn=args.dsn)
    except ValidationError as exc:  # its text echoes the input, which may hold a password
        why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise UsageError(f"--dsn: {why}") from None


@contextmanager
def _desk(settings: Settings, central: CentralSection, *, need_key: bool = False) -> Iterator[Desk]:
    """This store's desk over one connection."""
    from contextlib import nullcontext

    from till.central.desk import Desk
    from till.words.desk import NO_KEY

    key = _key(central)
    if need_key and key is None:
        raise UsageError(NO_KEY)
    with _connect(central) as conn:
        yield Desk(lambda: nullcontext(conn), store_id=settings.till.store_id, key=key)


# -- till central init / keygen ----------------------------------------------------------------


def _secret_file(path: Path, what: str) -> str:
    """A password from a file only its owner can read (as libpq wants of .pgpass)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise UsageError(f"{what} {path} cannot be read ({exc.strerror})") from None
    if mode & 0o077:
        raise UsageError(f"{what} {path} is open to other users: run `chmod 600 {path}`")
    if not text:
        raise UsageError(f"{what} {path} is empty")
    return text


def _pairs(names: list[str], files: list[Path], option: str, what: str) -> list[tuple[str, str]]:
    if len(names) != len(files):
        raise UsageError(f"give one {option} for each {what}, in the same order")
    return [(name, _secret_file(path, option)) for name, path in zip(names, files, strict=True)]


@central_command
def cmd_central_init(args: argparse.Namespace) -> int:
    """Create or upgrade the central schema, its month partitions and the logins."""
    from till.central.schema import init_central

    central = _given_dsn(args) or _settings(args)[1]
    stores = _pairs(args.store or [], args.password_file or [], "--password-file", "--store")
    hq = _pairs(args.hq or [], args.hq_password_file or [], "--hq-password-file", "--hq")
    with _connect(central, autocommit=False) as conn:
        try:
            report = init_central(conn, stores=stores, hq_logins=hq, months_ahead=args.months_ahead)
        except ValueError as exc:  # a store id no login can be made from: nothing was changed
            raise UsageError(f"--store: {exc}") from None
    applied = ", ".join(map(str, report.applied)) or "none (already up to date)"
    print(f"central schema version {report.version} (migrations applied: {applied})")
    if report.partitions:
        print(f"month partitions: {', '.join(report.partitions)}")
    for login in report.logins:
        print(f"login ready: {login}")
    return EXIT_OK


@central_command
def cmd_central_keygen(args: argparse.Namespace) -> int:
    """Make the store's key file (refuses to replace one)."""
    from till.central.seal import generate_key_file

    key = generate_key_file(args.key_file)
    print(
        f"wrote a new store key to {args.key_file} (mode 0600, key id {key.key_id.hex()}). "
        "Copy it to every till and desk of this store ([central] key_file) and keep a copy "
        "somewhere safe: without it no sealed PIN can be read back."
    )
    return EXIT_OK


# -- till sync ---------------------------------------------------------------------------------


@central_command
def cmd_sync(args: argparse.Namespace) -> int:
    """Upload this till's journal to head office: until caught up, or (`--follow`) until stopped."""
    from till.central.upload import uploader_for
    from till.runtime import journal_path
    from till.words.desk import SYNC_NO_KEY

    settings, central = _settings(args)
    key = _key(central)
    if key is None:
        raise UsageError(SYNC_NO_KEY)
    with uploader_for(settings.till, central, journal_path(settings), key) as uploader:
        return _follow(uploader) if args.follow else _catch_up(uploader)


def _catch_up(uploader: Uploader) -> int:
    """Batches until head office holds everything the journal had when they ran."""
    from till.central.upload import HqStatus
    from till.words.desk import sync_summary

    sent = [0, 0, 0, 0]
    while True:
        result = uploader.step()
        for i, n in enumerate((result.entries, result.reprints, result.z_reports, result.skipped)):
            sent[i] += n
        if not result.backlog or not result.changes:
            break
    print(sync_summary(*sent))
    print(HqStatus("behind" if result.backlog else "ok", result.backlog).label())
    return EXIT_OK


def _follow(uploader: Uploader) -> int:
    """Upload until Ctrl+C or SIGTERM, saying each time head office's lag changes state."""
    import signal
    import threading

    from till.words.desk import SYNC_STOPPED

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        uploader.run(stop, on_status=lambda status: print(status.label(), flush=True))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(SYNC_STOPPED)
    return EXIT_OK


# -- till desk -------------------------------------------------------------------------------


def cmd_desk_screens(args: argparse.Namespace) -> int:
    """`till desk`: the keypad-first screens (`till.tui.desk`), like the Journal screen's."""
    from till.tui.desk import run_desk

    settings, _ = _settings(args)
    return run_desk(settings)


def _desk_filters(args: argparse.Namespace) -> dict[str, Any]:
    """The command line's filters as `Desk.search` keywords, days as `till journal` reads them."""
    from till.commands.journal import search_filters

    found = search_filters(args)
    return {
        "reference": found["reference"],
        "since_ms": found["since"],
        "until_ms": found["until"],
        "amount": found["amount"],
        "mobile": found["mobile_number"],
        "meter": found["meter_number"],
        "serial": found["serial_number"],
        "kind": found["kind"],
        "state": found["state"],
        "terminal": args.till,
    }


def _central_json(entry: Entry, uploaded_at: int, found: DeskEntry | None = None) -> dict[str, Any]:
    """`till journal`'s JSON for an entry (PINs only for a `found` entry the key opened), less
    what is the till's alone (its row id, retry schedule, training), plus what head office adds."""
    from till.commands.output import entry_json

    data = entry_json(entry, secrets=found is not None and found.unsealed)
    for name in ("id", "next_attempt_at", "training"):
        data.pop(name, None)
    data["uploaded_at"] = uploaded_at
    if found is not None:
        data["unsealed"] = found.unsealed
        data["related"] = [e.reference for e in found.related]
        data["reprints"] = [
            {"copy": r.copy, "printed_at": r.printed_at, "cashier": r.cashier,
             "approved_by": r.approved_by, "origin": r.origin, "terminal_id": r.terminal_id}
            for r in found.reprints
        ]  # fmt: skip
    return data


@central_command
def cmd_desk_search(args: argparse.Namespace) -> int:
    """Find sales of any till of the store, newest first."""
    from till.commands.output import format_table
    from till.words.desk import DESK_HEADER, NO_MATCH, desk_row

    with _desk(*_settings(args)) as desk:  # loads the config, and so the zone of the days
        rows = desk.search(**_desk_filters(args), limit=args.limit)
    if args.json:
        import json

        print(json.dumps({"entries": [_central_json(r.entry, r.uploaded_at) for r in rows]}))
    elif rows:
        print(format_table([desk_row(r.entry) for r in rows], DESK_HEADER))
    else:
        print(NO_MATCH)
    return EXIT_OK


@central_command
def cmd_desk_show(args: argparse.Namespace) -> int:
    """Every field of one sale of the store; an unknown reference exits 1."""
    from till.words.desk import format_desk_entry, not_found

    with _desk(*_settings(args)) as desk:
        found = desk.get(args.reference)
    if found is None:
        return fail(not_found(args.reference), EXIT_FAILED)
    if args.json:
        import json

        print(json.dumps(_central_json(found.entry, found.uploaded_at, found)))
    else:
        at = found.uploaded_at
        print(format_desk_entry(found.entry, found.related, found.reprints,
                                unsealed=found.unsealed, uploaded_at=at))  # fmt: skip
    return EXIT_OK


@central_command
def cmd_desk_reprint(args: argparse.Namespace) -> int:
    """Reprint any till's sale on this desk's printer as COPY n, recorded at head office first."""
    from receipts import PrintError
    from till.clock import now_ms
    from till.commands.receipts import show_preview
    from till.runtime import open_receipt_printer, slip_header
    from till.slips import slip_for
    from till.words import desk as words
    from till.words.void import reversal_in

    settings, central = _settings(args)
    approver = None
    if settings.staff.enabled:  # a reprint puts a PIN on paper again: never the desk alone
        from till.commands.approval import verified_approver

        if not args.approver:
            return fail(words.APPROVAL_NEEDED, EXIT_USAGE)
        approver = verified_approver(settings, args)
    printer = open_receipt_printer(settings)
    if printer is None:
        return fail('no printer is configured ([printer] kind = "none")')
    with _desk(settings, central, need_key=True) as desk:
        found = desk.get(args.reference)
        if found is None:
            return fail(words.not_found(args.reference), EXIT_FAILED)
        if not found.unsealed:
            return fail(words.NO_KEY, EXIT_FAILED)
        copy = desk.reprint(
            args.reference,
            desk_terminal=settings.till.terminal_id,
            cashier=None,  # as `till reprint`: the approver is who answers for it
            approved_by=approver,
            now_ms=now_ms(),
        )
    log.info("desk reprint of %s recorded at head office as COPY %d", args.reference, copy)
    document = slip_for(
        found.entry, slip_header(settings), copy=copy, reversal=reversal_in(found.related)
    )
    try:
        warning = printer.print(document)
    except PrintError as exc:
        log.warning("desk COPY %d of %s not printed: %s", copy, args.reference, exc)
        return fail(words.reprint_not_printed(copy, str(exc)), EXIT_PRINTER_FAULT)
    show_preview(settings, document)
    print(words.reprint_printed(copy, args.reference, printer.name))
    if warning:
        print(f"till: warning: {warning}", file=sys.stderr)
    return EXIT_OK


# -- till hq report ----------------------------------------------------------------------------


@central_command
def cmd_hq_report(args: argparse.Namespace) -> int:
    """Head office's report for a period: totals, sales in doubt, reprints, silent tills."""
    from till.central.hq import fleet_report, write_csv
    from till.clock import local_day_start

    central = _given_dsn(args) or _settings(args)[1]  # the config gives the days' zone
    if args.to_date < args.from_date:
        raise UsageError("--to is before --from")
    since = local_day_start(args.from_date.date())
    until = local_day_start(args.to_date.date() + timedelta(days=1))
    with _connect(central) as conn:
        report = fleet_report(conn, since_ms=since, until_ms=until, store=args.store,
                              stale_minutes=args.stale_minutes,
                              silent_minutes=args.silent_minutes)  # fmt: skip
    if args.csv is not None and str(args.csv) == "-":
        import csv

        from till.central.hq import CSV_HEADER, csv_rows

        csv.writer(sys.stdout).writerows([CSV_HEADER, *csv_rows(report)])
        return EXIT_OK
    if args.csv is not None:
        try:
            lines = write_csv(report, args.csv)
        except OSError as exc:
            return fail(f"cannot write {args.csv}: {exc.strerror}", EXIT_FAILED)
        print(f"Wrote {lines} report lines to {args.csv}")
        return EXIT_OK
    print(format_report(report))
    return EXIT_OK


def format_report(report: FleetReport) -> str:
    """The report as a terminal shows it: a line saying what it covers, then four tables."""
    from till.commands.output import format_table
    from till.words.desk import NOTHING, report_scope, report_tables

    lines = [report_scope(report)]
    for title, header, rows in report_tables(report):
        lines += ["", title, format_table(rows, header) if rows else NOTHING]
    return "\n".join(lines)


# -- argument parsing --------------------------------------------------------------------------


def _filters() -> argparse.ArgumentParser:
    """`till journal search`'s filters, and the till that made the sale."""
    from till.commands.journal import filter_options

    filters = argparse.ArgumentParser(add_help=False, parents=[filter_options()])
    filters.add_argument("--till", type=user_id, metavar="TERMINAL", help="one till's sales only")
    return filters


def _add_central(sub: Subparsers) -> None:
    central = sub.add_parser("central", help="set up head office's PostgreSQL ledger")
    actions = central.add_subparsers(dest="central_action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create or upgrade the schema and logins (as admin)")
    init.add_argument(
        "--dsn", metavar="DSN",
        help="the admin's login (no config needed; password from PGPASSWORD or ~/.pgpass)",
    )  # fmt: skip
    init.add_argument("--store", action="append", metavar="ID", help="a store login (repeatable)")
    init.add_argument(
        "--password-file", action="append", type=file_path, metavar="FILE",
        help="the password of each --store's login, in the same order (0600)",
    )  # fmt: skip
    init.add_argument("--hq", action="append", metavar="LOGIN", help="a head-office login")
    init.add_argument(
        "--hq-password-file", action="append", type=file_path, metavar="FILE",
        help="the password of each --hq login, in the same order (0600)",
    )  # fmt: skip
    init.add_argument(
        "--months-ahead", type=whole_number(0, 120), default=3, metavar="N",
        help="month partitions to make ahead of this one (default 3)",
    )  # fmt: skip
    init.set_defaults(func=cmd_central_init)
    keygen = actions.add_parser("keygen", help="make the store's key for sealing PINs (0600)")
    keygen.add_argument("--key-file", type=file_path, required=True, metavar="PATH")
    keygen.set_defaults(func=cmd_central_keygen)


def add_parsers(sub: Subparsers) -> None:
    """Register `till central`, `till sync`, `till desk` and `till hq`."""
    _add_central(sub)

    sync = sub.add_parser("sync", help="upload this till's journal to head office")
    sync.add_argument("--follow", action="store_true", help="keep going until Ctrl+C or SIGTERM")
    sync.set_defaults(func=cmd_sync)

    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    desk = sub.add_parser("desk", help="the service desk: any till's sale of this store",
                          description="With no ACTION: the desk's screens.")  # fmt: skip
    desk.set_defaults(func=cmd_desk_screens)
    actions = desk.add_subparsers(dest="desk_action", metavar="ACTION")
    search = actions.add_parser("search", help="find sales", parents=[out, _filters()])
    search.add_argument("--limit", type=whole_number(1, MAX_LIMIT), default=100, metavar="N")
    search.set_defaults(func=cmd_desk_search)
    show = actions.add_parser("show", help="every field of one sale", parents=[out])
    show.add_argument("reference", type=reference, metavar="REF")
    show.set_defaults(func=cmd_desk_show)
    reprint = actions.add_parser(
        "reprint", help="print any till's sale again here, as COPY n", parents=[reprint_options()]
    )
    reprint.add_argument("reference", type=reference, metavar="REF")
    reprint.set_defaults(func=cmd_desk_reprint)

    hq = sub.add_parser("hq", help="head office's reports")
    hq_actions = hq.add_subparsers(dest="hq_action", metavar="ACTION", required=True)
    report = hq_actions.add_parser("report", help="totals, in doubt, reprints, silent tills")
    report.add_argument("--from", dest="from_date", type=day, required=True, metavar="DATE")
    report.add_argument("--to", dest="to_date", type=day, required=True, metavar="DATE")
    report.add_argument("--store", metavar="ID", help="one store only")
    report.add_argument(
        "--dsn", metavar="DSN",
        help="head office's login (no config needed; password from PGPASSWORD or ~/.pgpass)",
    )  # fmt: skip
    report.add_argument(
        "--csv", type=file_path, metavar="FILE", help="write a CSV instead ('-': standard output)"
    )
    report.add_argument(
        "--stale-minutes", type=whole_number(1, 525_600), default=30, metavar="N",
        help="list sales in doubt longer than this (default 30)",
    )  # fmt: skip
    report.add_argument(
        "--silent-minutes", type=whole_number(1, 525_600), default=30, metavar="N",
        help="list tills not heard from for this long (default 30)",
    )  # fmt: skip
    report.set_defaults(func=cmd_hq_report)
