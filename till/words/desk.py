"""The service desk's and head office's words: what `till desk`, `till sync`, `till hq report`
and the desk screens say about the central ledger, in one place so the screens and the commands
cannot drift apart.

Light on purpose (no database, no Flash models): the screens import it while they paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from till.words.entry import format_entry, indented_rows
from till.words.labels import local_time, rands_or_dash

if TYPE_CHECKING:
    from till.central.fleet import FleetReport
    from till.journal import Entry

# -- configuration and the connection ------------------------------------------------------

#: Every central command without `[central]` in the config (exit 2).
NO_CENTRAL = (
    "this till has no [central] section in its config: add one to use head office's database "
    "(see config.example.toml)"
)
#: A desk without `[central] key_file` can find sales but cannot read or print their PINs.
NO_KEY = (
    "this desk has no store key ([central] key_file): it can find sales but not reprint them, "
    "because PINs and tokens are sealed with the store's key"
)
#: `till sync` uploads sealed PINs: it cannot run without the key.
SYNC_NO_KEY = (
    "this till has no store key ([central] key_file): it cannot upload, because PINs and tokens "
    "go to head office sealed with the store's key (`till central keygen` makes one)"
)
#: Shown with an entry read without the key: its PINs are not on this screen.
SEALED_NOTE = "PINs and tokens are sealed in the central database: this desk has no store key."


def unreachable(detail: str) -> str:
    """PostgreSQL cannot be reached (exit 1): what went wrong and what to do. `detail` must
    already be free of any password (`till.central.connect` says it safely)."""
    return (
        f"cannot reach head office's database: {detail}. Check [central] in the config, the "
        "network and that PostgreSQL is running; the tills sell without it"
    )


# -- the desk's search and details ---------------------------------------------------------

#: `till desk search`: `till journal list`'s columns with the till that made the sale.
DESK_HEADER = ("time", "till", "reference", "kind", "state", "amount", "attempts")
NO_MATCH = "No matching entries in the central ledger."


def answer_unreadable(problem: str) -> str:
    """Head office answered something the desk failed to read (a bug, not the network)."""
    return (
        f"head office's answer could not be read ({problem}); nothing was changed. Try again, "
        "and if it keeps failing tell head office (the desk's log says why)"
    )


def not_found(reference: str) -> str:
    return f"no central entry with reference {reference!r} for this store"


def desk_row(entry: Entry) -> tuple[str, str, str, str, str, str, str]:
    """One line of `till desk search` (and one row of the desk screen's results)."""
    return (
        local_time(entry.created_at),
        entry.terminal_id,
        entry.reference,
        entry.kind,
        entry.state,
        rands_or_dash(entry.amount),
        str(entry.attempts),
    )


class CentralCopy(Protocol):
    """A reprint as the central ledger records it (`till.central.desk.CentralReprint`)."""

    @property
    def copy(self) -> int: ...
    @property
    def printed_at(self) -> int: ...
    @property
    def cashier(self) -> str | None: ...
    @property
    def approved_by(self) -> str | None: ...
    @property
    def origin(self) -> str: ...
    @property
    def terminal_id(self) -> str: ...


def where_printed(copy: CentralCopy) -> str:
    """'at the desk DESK1' or 'on till T2'."""
    return (
        f"at the desk {copy.terminal_id}"
        if copy.origin == "desk"
        else f"on till {copy.terminal_id}"
    )


def reprint_line(copy: CentralCopy) -> str:
    return (
        f"  COPY {copy.copy}  {local_time(copy.printed_at, named=True)}  {where_printed(copy)}"
        f"  by {copy.cashier or '-'}  approved by {copy.approved_by or '-'}"
    )


def format_desk_entry(
    entry: Entry,
    related: Sequence[Entry] = (),
    reprints: Sequence[CentralCopy] = (),
    *,
    unsealed: bool,
    uploaded_at: int | None = None,
) -> str:
    """Every field of a central entry, laid out as `till journal show` lays out a till's.

    The journal's own row id is not central (it is the till's), so its line is left out; every
    reprint says where it printed, a till or a desk."""
    lines = format_entry(entry, related).splitlines()
    id_row = indented_rows([("id", str(entry.id))])[0]
    lines = [line for line in lines if line != id_row]
    extra = [("uploaded", local_time(uploaded_at, named=True))] if uploaded_at else []
    if extra:
        lines[1:1] = indented_rows(extra)
    if reprints:
        lines.append("Reprints:")
        lines += [reprint_line(r) for r in reprints]
    if not unsealed:
        lines.append(SEALED_NOTE)
    return "\n".join(lines)


# -- reprint -------------------------------------------------------------------------------


def reprint_printed(copy: int, reference: str, printer: str) -> str:
    return f"printed COPY {copy} for {reference} on {printer} (recorded at head office)"


def reprint_not_printed(copy: int, error: str) -> str:
    """The copy number is taken (the record is the audit trail) but the paper did not come."""
    return f"COPY {copy} is recorded at head office but did not print: {error}"


APPROVAL_NEEDED = "a supervisor must approve a reprint: add --approver ID"


# -- till sync ------------------------------------------------------------------------------
# How far behind head office is reads as `till.central.upload.HqStatus.label` says it
# ("HQ: 12 behind", "HQ offline"), on the top bar and from `till sync` alike.


def sync_summary(entries: int, reprints: int, z_reports: int, skipped: int) -> str:
    """What `till sync` sent in one run."""
    parts = [f"{entries} entr{'y' if entries == 1 else 'ies'}",
             f"{reprints} reprint{'' if reprints == 1 else 's'}",
             f"{z_reports} Z report{'' if z_reports == 1 else 's'}"]  # fmt: skip
    text = "sent " + ", ".join(parts) + " to head office"
    if skipped:
        text += f" ({skipped} training entr{'y' if skipped == 1 else 'ies'} stay on the till)"
    return text


SYNC_STOPPED = "till sync stopped"

# -- head office's report ------------------------------------------------------------------


TOTALS_TITLE = "Totals by store, till, kind and state"
TOTALS_HEADER = ("store", "till", "kind", "state", "count", "amount")
DOUBT_TITLE = "In doubt longer than {minutes} minutes"
DOUBT_HEADER = ("store", "till", "reference", "kind", "state", "amount", "open for")
REPRINTS_TITLE = "Reprints per sale (most first)"
REPRINTS_HEADER = ("store", "till", "reference", "kind", "amount", "copies", "last copy")
SILENT_TITLE = "Tills not heard from for {minutes} minutes"
SILENT_HEADER = ("store", "till", "last heard", "behind")
NOTHING = "  (none)"


def minutes_text(minutes: int) -> str:
    """An age in minutes as a person reads it: '45 min', '3 h 05 min', '2 d 4 h'."""
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def heard_at(when: str, minutes: int) -> str:
    """When head office last heard from a till: '2026-11-24 10:02:11 (2 h 05 min ago)'."""
    return f"{when} ({minutes_text(minutes)} ago)"


Table = tuple[str, tuple[str, ...], list[tuple[str, ...]]]


def report_tables(report: FleetReport) -> list[Table]:
    """Head office's report as (title, header, rows) tables, for a terminal or a screen."""
    return [
        (
            TOTALS_TITLE,
            TOTALS_HEADER,
            [(t.store_id, t.terminal_id, t.kind, t.state, str(t.count), rands_or_dash(t.amount))
             for t in report.totals],
        ),
        (
            DOUBT_TITLE.format(minutes=report.stale_minutes),
            DOUBT_HEADER,
            [(d.store_id, d.terminal_id, d.reference, d.kind, d.state, rands_or_dash(d.amount),
              minutes_text(d.age_minutes)) for d in report.in_doubt],
        ),
        (
            REPRINTS_TITLE,
            REPRINTS_HEADER,
            [(r.store_id, r.terminal_id or "-", r.reference, r.kind or "-",
              rands_or_dash(r.amount), str(r.copies), local_time(r.last_printed_at))
             for r in report.reprints],
        ),
        (
            SILENT_TITLE.format(minutes=report.silent_minutes),
            SILENT_HEADER,
            [(s.store_id, s.terminal_id, heard_at(local_time(s.last_seen), s.minutes),
              str(s.backlog)) for s in report.silent],
        ),
    ]  # fmt: skip


def report_scope(report: FleetReport) -> str:
    """The report's first line: which stores, which period (in the till's zone)."""
    scope = f"store {report.store}" if report.store else "every store"
    since, until = local_time(report.since_ms), local_time(report.until_ms)
    return f"Head office report, {scope}: from {since} to before {until}"
