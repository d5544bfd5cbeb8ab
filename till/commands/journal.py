"""`till journal`: the service desk's view of past transactions, read straight from the journal.

Reading needs no Flash connection, so these commands work when Flash is down. The CSV export
travels by email: it never holds a PIN or a token.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from till.clock import local_day_start
from till.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    digits,
    fail,
    file_path,
    mobile,
    printable,
    rands,
    reference,
    serial,
    starting,
    whole_number,
)
from till.money import rands_plain

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.journal import Entry, Journal

STATES = ("pending", "approved", "declined", "in_doubt")
LIST_HEADER = ("time", "reference", "kind", "state", "amount", "attempts")
CSV_HEADER = (
    "created",
    "reference",
    "kind",
    "state",
    "amount_cents",
    "amount_rands",
    "product_code",
    "mobile_number",
    "meter_number",
    "serial_number",
    "related_reference",
    "response_code",
    "attempts",
    "last_error",
    "settled",
    "flash_transaction_id",
    "store_id",
    "terminal_id",
    "cashier",
    "training",
)
#: An export takes every match; the journal's search wants a number.
EXPORT_LIMIT = 10**12
#: The most a listing or search shows (an export has no limit).
MAX_LIMIT = 100_000
#: Dates the desk may search: a typo such as 0001 or 9999 is refused, not computed with.
FIRST_YEAR, LAST_YEAR = 2000, 2999
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@contextmanager
def _open_journal(args: argparse.Namespace) -> Iterator[Journal]:
    """The till's journal, read where it is: never made by a command that only reads it.
    The config is read quickly when that can be sure of it (`reader_journal_path`)."""
    with starting():
        from till.journal import Journal
        from till.runtime import reader_journal_path

        journal = Journal.open(reader_journal_path(args.config), create=False)
    with journal:
        yield journal


def parse_day(text: str, option: str) -> datetime:
    """'2026-11-24' -> that calendar day: the desk thinks in the store's days, which begin at
    midnight in `[till] timezone` (till.clock), whatever the zone of the machine it runs on.

    ASCII digits only (strptime's own pattern also takes other scripts' digits)."""
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        day = datetime.strptime(text, "%Y-%m-%d")
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date like 2026-11-24") from None
    return day


def day(text: str) -> datetime:
    """An argparse type for --from and --to."""
    try:
        return parse_day(text, "date")
    except UsageError:
        raise argparse.ArgumentTypeError(
            f"{printable(repr(text))} is not a date like 2026-11-24"
        ) from None


def search_filters(args: argparse.Namespace) -> dict[str, Any]:
    """The command line's filters as `Journal.search` keywords; `--to` includes that whole day."""
    since = local_day_start(args.from_date.date()) if args.from_date is not None else None
    until = None
    if args.to_date is not None:
        until = local_day_start(args.to_date.date() + timedelta(days=1))
    return {
        "reference": args.reference,
        "since": since,
        "until": until,
        "amount": args.amount,
        "mobile_number": args.mobile,
        "meter_number": args.meter,
        "serial_number": args.serial,
        "kind": args.kind,
        "state": args.state,
    }


def _print_entries(entries: list[Entry], *, as_json: bool) -> None:
    import json  # here, as csv below: `till --help` builds this module's parsers only

    from till.commands.output import entry_json, format_table, list_row

    if as_json:
        print(json.dumps({"entries": [entry_json(e, secrets=False) for e in entries]}))
    elif entries:
        print(format_table([list_row(e) for e in entries], LIST_HEADER))
    else:
        print("No matching journal entries.")


def cmd_list(args: argparse.Namespace) -> int:
    limit: int = args.limit
    only_open: bool = args.open
    with _open_journal(args) as journal:
        if only_open:
            entries = list(reversed(journal.open_entries()))[:limit]
        else:
            entries = journal.search(limit=limit)
    _print_entries(entries, as_json=args.json)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Every field of one entry; an unknown (well-formed) reference exits 1."""
    from till.commands.output import entry_json, format_entry

    with _open_journal(args) as journal:
        entry = journal.get(args.reference)
        related = journal.related(args.reference) if entry is not None else []
        reprints = journal.reprints(args.reference)
    if entry is None:
        return fail(f"no journal entry with reference {args.reference!r}", EXIT_FAILED)
    if args.json:
        import json

        data = entry_json(entry)
        data["related"] = [e.reference for e in related]
        data["reprints"] = [
            {"copy": r.copy, "printed_at": r.printed_at, "cashier": r.cashier,
             "approved_by": r.approved_by}
            for r in reprints
        ]  # fmt: skip
        print(json.dumps(data))
    else:
        with starting():  # what the customer got is read with the Flash models (pydantic)
            text = format_entry(entry, related, reprints)
        print(text)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    with _open_journal(args) as journal:  # loads the config, and so the zone of the days
        entries = journal.search(**search_filters(args), limit=args.limit)
    _print_entries(entries, as_json=args.json)
    return EXIT_OK


def _rands_plain(cents: int | None) -> str:
    return "" if cents is None else rands_plain(cents)


def csv_row(entry: Entry) -> list[str]:
    """One exported line: the journal's plain columns only, never the request or response."""
    from till.commands.output import local_time

    txn = (entry.response or {}).get("transactionId")
    return [
        local_time(entry.created_at),
        entry.reference,
        entry.kind,
        entry.state,
        "" if entry.amount is None else str(entry.amount),
        _rands_plain(entry.amount),
        "" if entry.product_code is None else str(entry.product_code),
        entry.mobile_number or "",
        entry.meter_number or "",
        entry.serial_number or "",
        entry.related_reference or "",
        "" if entry.response_code is None else str(entry.response_code),
        str(entry.attempts),
        entry.last_error or "",
        local_time(entry.settled_at) if entry.settled_at is not None else "",
        "" if txn is None else str(txn),
        entry.store_id,
        entry.terminal_id,
        entry.cashier or "",
        "yes" if entry.training else "no",
    ]


def write_csv(entries: list[Entry], out: TextIO) -> None:
    import csv

    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for entry in entries:
        writer.writerow(csv_row(entry))


def open_private(path: Path) -> TextIO:
    """An export file, mode 0600 whatever the umask (it names customers' numbers): created so,
    or, if it is already a file with looser permissions, tightened before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
        return open(fd, "w", newline="", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def _is_a_journal_file(path: Path, journal: Path) -> bool:
    """True if `path` names the journal or its log (by file identity, whatever the spelling):
    an export opened there would truncate the record of every sale."""
    try:
        target = os.stat(path)
    except OSError:
        return False
    for suffix in ("", "-wal", "-shm"):
        try:
            if os.path.samestat(target, os.stat(f"{journal}{suffix}")):
                return True
        except OSError:
            continue
    return False


def cmd_export(args: argparse.Namespace) -> int:
    with _open_journal(args) as journal:  # loads the config, and so the zone of the days
        entries = journal.search(**search_filters(args), limit=EXPORT_LIMIT)
    if str(args.csv) == "-":
        write_csv(entries, sys.stdout)
        return EXIT_OK
    path = Path(args.csv)
    if _is_a_journal_file(path, journal.path):
        return fail(f"{path} is the till's journal: export to another file", EXIT_USAGE)
    try:
        with open_private(path) as out:
            write_csv(entries, out)
    except OSError as exc:
        return fail(f"cannot write {path}: {exc.strerror}", EXIT_FAILED)
    print(f"Exported {len(entries)} journal entries to {path}")
    return EXIT_OK


def _list_options(parser: argparse.ArgumentParser, limit: object, flag: object) -> None:
    """`till journal [list] [--limit N] [--open] [--json]`: the same options either way."""
    parser.add_argument(
        "--limit", type=whole_number(1, MAX_LIMIT), default=limit, metavar="N", help="default 20"
    )
    parser.add_argument(
        "--open", action="store_true", default=flag, help="only pending and in-doubt"
    )
    parser.add_argument(
        "--json", action="store_true", default=flag, help="print one JSON object instead"
    )


def kind(text: str) -> str:
    """An argparse type: a transaction kind the journal holds (checked when given, so building
    the parser does not load the labels' module)."""
    from till.commands.output import KIND_LABELS

    if text not in KIND_LABELS:
        raise argparse.ArgumentTypeError(
            f"{printable(repr(text))} is not a kind: one of {', '.join(sorted(KIND_LABELS))}"
        )
    return text


def filter_options() -> argparse.ArgumentParser:
    """The search options `till journal search|export` take, and `till desk search` too."""
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--reference", type=reference, metavar="REF")
    filters.add_argument(
        "--from", dest="from_date", type=day, metavar="DATE", help="YYYY-MM-DD, in [till] timezone"
    )
    filters.add_argument(
        "--to", dest="to_date", type=day, metavar="DATE", help="YYYY-MM-DD, inclusive"
    )
    filters.add_argument("--amount", type=rands, metavar="RANDS")
    filters.add_argument("--mobile", type=mobile, metavar="NUMBER")
    filters.add_argument("--meter", type=digits("a meter number", 1, 32), metavar="NUMBER")
    filters.add_argument("--serial", type=serial, metavar="SERIAL")
    filters.add_argument("--kind", type=kind, metavar="KIND", help="e.g. 1voucher.purchase")
    filters.add_argument("--state", choices=STATES)
    return filters


def add_parsers(sub: Subparsers) -> None:
    """Register `till journal` and its actions."""
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    filters = filter_options()

    journal = sub.add_parser(
        "journal",
        help="list, show, search and export past transactions",
        description="With no ACTION: `list`, newest first.",
    )
    _list_options(journal, 20, False)
    journal.set_defaults(func=cmd_list)
    actions = journal.add_subparsers(dest="journal_action", metavar="ACTION")

    listing = actions.add_parser("list", help="newest first")
    # `till journal --limit 5 list` keeps its 5: this parser's defaults must not overwrite it.
    _list_options(listing, argparse.SUPPRESS, argparse.SUPPRESS)
    listing.set_defaults(func=cmd_list)

    show = actions.add_parser("show", help="every field of one entry", parents=[out])
    show.add_argument("reference", type=reference, metavar="REF")
    show.set_defaults(func=cmd_show)

    search = actions.add_parser("search", help="find entries", parents=[out, filters])
    search.add_argument("--limit", type=whole_number(1, MAX_LIMIT), default=100, metavar="N")
    search.set_defaults(func=cmd_search)

    export = actions.add_parser("export", help="CSV for email, without PINs", parents=[filters])
    export.add_argument(
        "--csv", type=file_path, required=True, metavar="FILE", help="'-' for standard output"
    )
    export.set_defaults(func=cmd_export)
