"""The service desk's view of the central ledger: any till's sale of the store (every store's,
for head office), found as the Journal screen finds one, shown whole, and reprinted as COPY n
with the copy number allocated by the database, so two desks can never both print COPY 2.

Every value is a bound parameter; each search is shaped for one of the ledger's indexes
(`till.central.schema`), so it stays a few milliseconds at ten million entries. Entries come
back as `till.journal.Entry`, so the words and the slips read them exactly as a till's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from till.journal import Entry, Reprint, State
from till.words.desk import not_found

if TYPE_CHECKING:
    import psycopg

    from till.central.seal import SealKey

__all__ = [
    "OPEN_STATES_SQL",
    "CentralReprint",
    "ConnFactory",
    "Desk",
    "DeskEntry",
    "DeskError",
    "DeskRow",
    "from_ms",
    "to_ms",
]

#: A connection for one call: `psycopg.connect(...)` itself, or a pool's `pool.connection`.
ConnFactory = Callable[[], AbstractContextManager["psycopg.Connection[Any]"]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
#: Written exactly as the partial index's WHERE, so a search for open entries can use it.
OPEN_STATES_SQL = "state IN ('pending', 'in_doubt')"
_MAX_LIMIT = 100_000

_COLUMNS = (
    "reference, kind, state, request::text, response::text, response_code, attempts, "
    "last_error, amount, product_code, store_id, terminal_id, cashier, mobile_number, "
    "meter_number, serial_number, created_at, settled_at, related_reference, print_count, "
    "reprint_count, last_printed_at, print_error, approved_by, flagged_at, retryable, "
    "uploaded_at"
)
_NAMES = [name.strip() for name in _COLUMNS.split(",")]
_STORE, _CREATED = _NAMES.index("store_id"), _NAMES.index("created_at")


def from_ms(ms: int) -> datetime:
    """Journal milliseconds as a timestamptz value, exactly (no float on the way)."""
    return _EPOCH + ms * _MS


def to_ms(moment: datetime | None) -> int | None:
    """A timestamptz back to the journal's milliseconds."""
    return None if moment is None else (moment - _EPOCH) // _MS


class DeskError(Exception):
    """The desk cannot do what was asked (no such sale, no key to read it): the message says."""


@dataclass(frozen=True)
class DeskRow:
    """One search result. `entry` is read from the redacted columns: no PIN, no token."""

    entry: Entry
    #: When head office last received this entry (Unix ms).
    uploaded_at: int

    @property
    def reference(self) -> str:
        return self.entry.reference

    @property
    def store_id(self) -> str:
        return self.entry.store_id

    @property
    def terminal_id(self) -> str:
        return self.entry.terminal_id


@dataclass(frozen=True)
class CentralReprint(Reprint):
    """A copy as the ledger holds it: a journal `Reprint` and where it printed."""

    origin: str  # "till" or "desk"
    terminal_id: str  # the till that printed it, or the desk's own terminal id


@dataclass(frozen=True)
class DeskEntry:
    """One sale, rebuilt as the till journaled it (PINs only when `unsealed`)."""

    entry: Entry
    store_id: str
    terminal_id: str
    #: The request and response are the till's own (the sealed copy, opened with the key);
    #: False: the redacted copy, every PIN and token null.
    unsealed: bool
    reprints: tuple[CentralReprint, ...]
    #: Entries that point at this one (a refund, a cancel).
    related: tuple[Entry, ...]
    uploaded_at: int


def _entry(row: Sequence[Any], own: tuple[bytes, str | None] | None = None) -> Entry:
    """A `till.journal.Entry` from a row of `_COLUMNS`; `own` is the till's own request and
    response (unsealed), else the redacted ones are used. The till's row id is not central: 0."""
    (reference, kind, state, request_text, response_text, response_code, attempts, last_error,
     amount, product_code, store_id, terminal_id, cashier, mobile_number, meter_number,
     serial_number, created_at, settled_at, related_reference, print_count, reprint_count,
     last_printed_at, print_error, approved_by, flagged_at, retryable, _uploaded) = row  # fmt: skip
    return Entry(
        id=0,
        reference=reference,
        kind=kind,
        state=state,
        request=own[0] if own is not None else (request_text or "").encode(),
        response_json=own[1] if own is not None else response_text,
        response_code=response_code,
        attempts=attempts,
        last_error=last_error,
        amount=amount,
        product_code=product_code,
        store_id=store_id,
        terminal_id=terminal_id,
        cashier=cashier,
        mobile_number=mobile_number,
        meter_number=meter_number,
        serial_number=serial_number,
        created_at=to_ms(created_at) or 0,
        settled_at=to_ms(settled_at),
        related_reference=related_reference,
        print_count=print_count,
        reprint_count=reprint_count,
        last_printed_at=to_ms(last_printed_at),
        print_error=print_error,
        approved_by=approved_by,
        next_attempt_at=None,
        flagged_at=to_ms(flagged_at),
        training=False,  # training sales never leave the till
        retryable=retryable,
    )


def _row(row: Sequence[Any]) -> DeskRow:
    return DeskRow(_entry(row), to_ms(row[-1]) or 0)


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_LIMIT:
        raise ValueError(f"a limit is a whole number from 1 to {_MAX_LIMIT} (got {limit!r})")
    return limit


class Desk:
    """The desk of one store (`store_id`), or head office's (`store_id=None`: every store).

    `key` is the store's sealing key: with it `get` returns the PINs and `reprint` can print;
    without it (head office) the desk reads only the redacted copy. Each call takes its own
    connection from `conn_factory` and gives it back; a screen calls these from a worker."""

    def __init__(
        self, conn_factory: ConnFactory, *, store_id: str | None, key: SealKey | None
    ) -> None:
        self._connect = conn_factory
        self.store_id = store_id
        self.key = key

    def _scope(self, clauses: list[str], params: list[Any]) -> None:
        """This store only. The login's row-level security says so too; saying it here lets
        the planner use the (store_id, ...) indexes, and keeps a head-office login that runs
        a store's desk to that store."""
        if self.store_id is not None:
            clauses.append("store_id = %s")
            params.append(self.store_id)

    def search(
        self,
        *,
        reference: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        amount: int | None = None,
        mobile: str | None = None,
        meter: str | None = None,
        serial: str | None = None,
        terminal: str | None = None,
        state: State | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> list[DeskRow]:
        """The desk's search; every criterion narrows, newest first (at most `limit`)."""
        clauses: list[str] = []
        params: list[Any] = []
        self._scope(clauses, params)
        for column, value in (
            ("terminal_id", terminal),
            ("reference", reference),
            ("mobile_number", mobile),
            ("meter_number", meter),
            ("serial_number", serial),
            ("amount", amount),
            ("kind", kind),
            ("state", state),
        ):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if state in ("pending", "in_doubt"):
            clauses.append(OPEN_STATES_SQL)  # the partial index's own words, for the planner
        if since_ms is not None:
            clauses.append("created_at >= %s")
            params.append(from_ms(since_ms))
        if until_ms is not None:
            clauses.append("created_at < %s")
            params.append(from_ms(until_ms))
        where = " AND ".join(clauses) or "true"
        # ORDER BY created_at alone: the (store_id, created_at) index reads a store's newest
        # first across the monthly partitions in order, and stops at the limit.
        query = (
            f"SELECT {_COLUMNS} FROM till.entries WHERE {where} ORDER BY created_at DESC LIMIT %s"  # noqa: S608
        )
        params.append(_limit(limit))
        with self._connect() as conn:
            rows = conn.execute(query.encode(), params).fetchall()
        return [_row(row) for row in rows]

    def get(self, reference: str) -> DeskEntry | None:
        """Every field of one sale, its reprints (till and desk) and what points at it; None if
        this desk's store has no such reference."""
        clauses, params = ["reference = %s"], [reference]
        self._scope(clauses, params)
        where = " AND ".join(clauses)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, sealed FROM till.entries WHERE {where} "  # noqa: S608
                "ORDER BY created_at DESC LIMIT 1".encode(),
                params,
            ).fetchone()
            if row is None:
                return None
            reprints = conn.execute(
                "SELECT reference, copy, printed_at, cashier, approved_by, origin, terminal_id "
                "FROM till.reprints WHERE reference = %s AND store_id = %s "
                "ORDER BY printed_at, id",
                (reference, row[_STORE]),
            ).fetchall()
            related = conn.execute(
                f"SELECT {_COLUMNS} FROM till.entries WHERE related_reference = %s "  # noqa: S608
                "AND store_id = %s AND created_at >= %s ORDER BY created_at",
                (reference, row[_STORE], row[_CREATED]),
            ).fetchall()
        *columns, sealed = row
        entry, unsealed = self._rebuild(columns, sealed)
        return DeskEntry(
            entry=entry,
            store_id=entry.store_id,
            terminal_id=entry.terminal_id,
            unsealed=unsealed,
            reprints=tuple(
                CentralReprint(ref, copy, to_ms(at) or 0, cashier, approver, origin, till)
                for ref, copy, at, cashier, approver, origin, till in reprints
            ),
            related=tuple(_entry(r) for r in related),
            uploaded_at=to_ms(columns[-1]) or 0,
        )

    def _rebuild(self, columns: Sequence[Any], sealed: bytes | None) -> tuple[Entry, bool]:
        """The entry with the till's own request and response when the key opens the sealed
        copy; the redacted copy otherwise (head office, or a desk without the key)."""
        if self.key is None or sealed is None:
            return _entry(columns), False
        from till.central.seal import SealError, unseal_record

        try:
            record = unseal_record(self.key, columns[0], sealed)
        except SealError as exc:
            raise DeskError(str(exc)) from None
        return _entry(columns, (record.request, record.response_json)), True

    def reprint(
        self,
        reference: str,
        *,
        desk_terminal: str,
        cashier: str | None,
        approved_by: str | None,
        now_ms: int,
    ) -> int:
        """Record a desk reprint of `reference` and return its copy number, before anything is
        printed: the record is the audit trail of a PIN put on paper again.

        One transaction under an advisory lock on the reference: the copy is one more than
        every copy the ledger knows (the tills' reprints and the desks'), so two desks at once
        get different numbers; the unique (reference, copy) index of desk copies is the
        backstop. DeskError if this store has no such sale."""
        clauses, params = ["reference = %s"], [reference]
        self._scope(clauses, params)
        where = " AND ".join(clauses)
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (reference,))
            row = conn.execute(
                f"SELECT store_id, reprint_count FROM till.entries WHERE {where} "  # noqa: S608
                "ORDER BY created_at DESC LIMIT 1".encode(),
                params,
            ).fetchone()
            if row is None:
                raise DeskError(not_found(reference))
            store_id, reprint_count = row
            found = conn.execute(
                "SELECT max(copy) FROM till.reprints WHERE reference = %s AND store_id = %s",
                (reference, store_id),
            ).fetchone()
            highest = found[0] if found is not None and found[0] is not None else 0
            copy = 1 + max(int(highest), int(reprint_count))
            conn.execute(
                "INSERT INTO till.reprints (reference, store_id, origin, terminal_id, epoch, "
                "origin_id, copy, printed_at, cashier, approved_by) "
                "VALUES (%s, %s, 'desk', %s, NULL, NULL, %s, %s, %s, %s)",
                (reference, store_id, desk_terminal, copy, from_ms(now_ms), cashier,
                 approved_by or None),
            )  # fmt: skip
        return copy
