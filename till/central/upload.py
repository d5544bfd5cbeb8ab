"""The uploader: ships a journal's changes to the central PostgreSQL ledger, idempotently.

One PostgreSQL transaction per batch: lock the till's row and read its high-water marks, upsert
the changes after them (an entry's newer version only ever replaces an older one), move the marks,
commit. The marks live centrally and the till keeps nothing, so a crash, a kill or a lost
connection anywhere means the same batch is simply sent again. Training entries never leave the
till (they are skipped, and the marks move past them).
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psycopg

from till.central.connect import CentralUnavailable
from till.central.redact import jsonb_text, redact_json
from till.central.seal import SealKey
from till.central.staging import (
    COPY,
    COPY_TYPES,
    CREATED,
    PIN_RUN,
    READ,
    REFERENCE,
    STAGE_TABLE,
    STORE,
    TRAINING,
    UPSERT,
    entry_row,
    ms_timestamptz,
    safe_text,
)
from till.journal.errors import JournalFault
from till.journal.outbox import Marks, Outbox, ReprintChange, ZChange

if TYPE_CHECKING:
    from till.config import CentralSection, TillSection

__all__ = ["HqStatus", "StepResult", "UploadError", "Uploader", "safe_error"]

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_LOCK_TILL = (
    "INSERT INTO till.tills AS t (store_id, terminal_id, epoch) VALUES (%s, %s, %s) "
    "ON CONFLICT (store_id, terminal_id, epoch) DO UPDATE SET last_seen = now() "
    "RETURNING entries_hwm, reprints_hwm, z_hwm"
)
_MS = ms_timestamptz("%s::int8")
_INSERT_REPRINT = (
    "INSERT INTO till.reprints (reference, store_id, origin, terminal_id, epoch, origin_id, "  # noqa: S608
    f"copy, printed_at, cashier, approved_by) VALUES (%s, %s, 'till', %s, %s, %s, %s, {_MS}, "
    "%s, %s) ON CONFLICT (store_id, terminal_id, epoch, origin_id) DO NOTHING"
)
_INSERT_Z = (
    "INSERT INTO till.z_reports (store_id, terminal_id, epoch, number, created_at, "  # noqa: S608
    "period_start, period_end, created_by, override_by, body) "
    f"VALUES (%s, %s, %s, %s, {_MS}, {_MS}, {_MS}, %s, %s, %s::jsonb) "
    "ON CONFLICT (store_id, terminal_id, epoch, number) DO NOTHING"
)
_ADVANCE = (
    "UPDATE till.tills SET entries_hwm = %s, reprints_hwm = %s, z_hwm = %s, backlog = %s, "
    "last_seen = now() WHERE store_id = %s AND terminal_id = %s AND epoch = %s"
)
#: Anything that looks like a password in an error text (a DSN quoted back): never shown.
_PASSWORD = re.compile(r"(password\s*=\s*)(\S+)", re.IGNORECASE)
#: While batches come full, the backlog is counted again at most this often (seconds): a
#: count walks the whole backlog, which may be a million changes.
_RECOUNT = 1.0
#: How often a caught-up uploader looks for a new commit to the journal (seconds, default).
POLL = 0.05


class UploadError(Exception):
    """The journal cannot be uploaded as it is; the message says why and what to do."""


#: Failures of head office (or of this till's standing there), not of the journal.
_CENTRAL_TROUBLE = (psycopg.Error, CentralUnavailable, UploadError)


@dataclass(frozen=True)
class StepResult:
    """What one batch did: rows sent (training skipped, not sent) and what is left."""

    entries: int
    reprints: int
    z_reports: int
    skipped: int
    backlog: int
    marks: Marks

    @property
    def changes(self) -> int:
        """Changes the marks moved past (sent or skipped)."""
        return self.entries + self.reprints + self.z_reports + self.skipped


@dataclass(frozen=True)
class HqStatus:
    """How far behind head office is, for the top bar; `error` never holds a secret."""

    state: Literal["ok", "behind", "offline"]
    behind: int = 0
    error: str | None = None
    last_ok_at: float | None = None

    def label(self) -> str:
        if self.state == "offline":
            return "HQ offline"
        return f"HQ: {self.behind} behind" if self.behind > 0 else "HQ: up to date"


def safe_error(exc: BaseException) -> str:
    """One line about a failure, with no password, PIN or token in it."""
    text = str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    return PIN_RUN.sub("****", _PASSWORD.sub(r"\1****", text))[:200]


def _z_body(text: str) -> str:
    """A Z report (totals, no PIN) as jsonb-safe JSON; text that is not JSON is kept as text."""
    parsed = redact_json(text) or {"text": safe_text(text)}
    return jsonb_text(parsed) or "{}"


class Uploader:
    """Uploads one journal file to the central ledger; `step` is one batch, `run` a loop.

    `connect` returns a new psycopg connection (the store's login); one is kept open and
    replaced after any failure. Not thread-safe: one thread drives one uploader.
    """

    def __init__(
        self,
        journal_path: Path | str,
        connect: Callable[[], psycopg.Connection[Any]],
        key: SealKey,
        *,
        store_id: str,
        terminal_id: str,
        batch_size: int = 500,
        interval: float = 2.0,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        poll: float = POLL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= batch_size <= 10_000:
            raise ValueError("batch_size is 1 to 10000")
        if not (interval > 0 and poll > 0):
            raise ValueError("interval and poll are seconds above 0")
        self.journal_path = Path(journal_path)
        self.store_id, self.terminal_id = store_id, terminal_id
        self.batch_size, self.interval, self.poll = batch_size, interval, min(poll, interval)
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._connect, self._key, self._clock = connect, key, clock
        self._conn: psycopg.Connection[Any] | None = None
        self._outbox: Outbox | None = None
        #: Months whose partition exists (committed), as [first, next month's first) in UTC
        #: milliseconds, so ensure_month runs once each.
        self._months: list[tuple[int, int]] = []
        self._marks = Marks()  # as head office last gave them
        self._counted = (0, float("-inf"))  # (backlog, monotonic time of that count)
        self._status = HqStatus("offline", error="not connected yet")
        # What `due` compares against: the journal's data_version read before the last good
        # step read the outbox (None: step at once), and when that step began (monotonic).
        self._seen: int | None = None
        self._stepped_at = float("-inf")
        self._more = False  # the last step came back full: there is more to send now
        self._wake = threading.Event()

    @property
    def status(self) -> HqStatus:
        return self._status

    def close(self) -> None:
        self._drop_connection()
        self._close_journal()

    def _close_journal(self) -> None:
        self._seen = None  # a reopened journal's data_version starts afresh
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    def __enter__(self) -> Uploader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # never raises, even on a broken connection

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            conn = self._connect()
            try:
                with conn.transaction():
                    conn.execute(STAGE_TABLE)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _journal(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox.open(self.journal_path)
        return self._outbox

    # -- one batch ----------------------------------------------------------------------------

    def step(self) -> StepResult:
        """Upload one batch (at most batch_size changes) in one PostgreSQL transaction.

        A kept connection that went stale (PostgreSQL restarted, an idle timeout) gets one more
        try on a new one at once; resending is harmless, whether or not the commit landed."""
        self._wake.clear()  # a wake() from here on is for the next step
        self._stepped_at = time.monotonic()
        self._seen = None  # until this step has succeeded
        kept = self._conn is not None and not self._conn.closed
        for attempt in (1, 2):
            try:
                return self._step()
            except psycopg.OperationalError:
                self._drop_connection()
                if not kept or attempt == 2:
                    raise
            except BaseException:
                self._drop_connection()  # whatever failed, the next step starts clean
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _step(self) -> StepResult:
        outbox = self._journal()
        # Read before the changes are: a commit from here on changes it, so `due` sees it.
        version = outbox.data_version()
        epoch = outbox.epoch()
        conn = self._connection()
        with conn.transaction():
            row = conn.execute(_LOCK_TILL, (self.store_id, self.terminal_id, epoch)).fetchone()
            assert row is not None  # INSERT .. ON CONFLICT DO UPDATE .. RETURNING: always a row
            marks = Marks(int(row[0]), int(row[1]), int(row[2]))
            budget = self.batch_size
            changes = outbox.entry_rows_after(marks.entries, budget, READ)
            budget -= len(changes)
            reprints = outbox.reprints_after(marks.reprints, budget) if budget else []
            budget -= len(reprints)
            zs = outbox.z_reports_after(marks.z_reports, budget) if budget else []
            if not (changes or reprints or zs):
                self._check_not_ahead(outbox, marks)
            live = [row for row in changes if not row[TRAINING]]
            new_months = self._ensure_months(conn, live)
            if live:
                self._upsert_entries(conn, live, epoch)
            sent_reprints = self._insert_reprints(conn, reprints, epoch) if reprints else 0
            if zs:
                self._insert_z(conn, zs, epoch)
            new_marks = Marks(
                changes[-1][0] if changes else marks.entries,
                reprints[-1].id if reprints else marks.reprints,
                zs[-1].number if zs else marks.z_reports,
            )
            moved = len(changes) + len(reprints) + len(zs)
            backlog = self._backlog(outbox, new_marks, full=budget == 0, moved=moved)
            till = (self.store_id, self.terminal_id, epoch)
            conn.execute(_ADVANCE, (*_values(new_marks), backlog, *till))
        self._months += new_months  # only now: a rolled-back partition does not exist
        self._marks = new_marks
        self._seen, self._more = version, bool(backlog and moved)
        skipped = len(changes) - len(live) + len(reprints) - sent_reprints
        return StepResult(len(live), sent_reprints, len(zs), skipped, backlog, new_marks)

    def _backlog(self, outbox: Outbox, marks: Marks, *, full: bool, moved: int) -> int:
        """Counted when nearly caught up; while batches come full, estimated between counts."""
        count, at = self._counted
        now = time.monotonic()
        if full and now - at < _RECOUNT:
            count = max(count - moved, 1)
        else:
            count, at = outbox.backlog(marks), now
        self._counted = (count, at)
        return count

    def _check_not_ahead(self, outbox: Outbox, marks: Marks) -> None:
        latest = outbox.latest()
        if any(m > n for m, n in zip(_values(marks), _values(latest), strict=True)):
            raise UploadError(
                f"head office holds changes this journal ({self.journal_path}) does not have: "
                "was it restored from an older copy? Ask support before selling on it"
            )

    def _ensure_months(
        self, conn: psycopg.Connection[Any], live: Sequence[tuple[Any, ...]]
    ) -> list[tuple[int, int]]:
        """Create the monthly partitions this batch needs, before any row is written (so the
        partition's lock is never wanted while this transaction holds rows others wait on).

        Hot (every entry): a batch's entries mostly share a month, so the last month found
        is tried first, by two integer comparisons."""
        known = list(self._months)
        new: list[tuple[int, int]] = []
        lo = hi = 0
        for row in live:
            ms = row[CREATED]
            if lo <= ms < hi:
                continue
            for lo, hi in known:  # the span found is used after the loop
                if lo <= ms < hi:
                    break
            else:
                lo, hi = _month_span(ms)
                known.append((lo, hi))
                new.append((lo, hi))
                conn.execute(f"SELECT till.ensure_month({_MS})", (ms,))
        return new

    def _upsert_entries(
        self, conn: psycopg.Connection[Any], live: Sequence[tuple[Any, ...]], epoch: str
    ) -> None:
        """COPY the batch into a temporary table, then one INSERT .. ON CONFLICT from it.

        Each row is made (redacted, sealed) as it is written: psycopg sends the COPY every
        32 kB (about 16 rows), so PostgreSQL stages the first ones while the till makes the
        rest (about 10 % more entries a second than making them all first). The rows are
        checked first: a batch with another store's entry never starts a COPY."""
        store, key = self.store_id, self._key
        for read in live:
            if read[STORE] != store:
                raise UploadError(
                    f"{read[REFERENCE]} was made for store {read[STORE]!r}, but this till "
                    f"uploads as store {store!r}: check [central] and the store"
                )
        with conn.cursor() as cur:
            with cur.copy(COPY) as copy:
                copy.set_types(COPY_TYPES)
                for read in live:
                    copy.write_row(entry_row(read, epoch, key))
            cur.execute(UPSERT)

    def _insert_reprints(
        self,
        conn: psycopg.Connection[Any],
        reprints: Sequence[ReprintChange],
        epoch: str,
    ) -> int:
        till = (self.store_id, self.terminal_id, epoch)
        text = safe_text
        rows = [
            (r.reference, *till, r.id, r.copy, r.printed_at, text(r.cashier), text(r.approved_by))
            for r in reprints
            if not r.training
        ]
        if rows:
            conn.cursor().executemany(_INSERT_REPRINT, rows)
        return len(rows)

    def _insert_z(self, conn: psycopg.Connection[Any], zs: Sequence[ZChange], epoch: str) -> None:
        till = (self.store_id, self.terminal_id, epoch)
        head = [(z.number, z.created_at, z.period_start, z.period_end) for z in zs]
        people = [(safe_text(z.created_by), safe_text(z.override_by), _z_body(z.body)) for z in zs]
        rows = [(*till, *h, *p) for h, p in zip(head, people, strict=True)]
        conn.cursor().executemany(_INSERT_Z, rows)

    # -- the loop -----------------------------------------------------------------------------

    def wake(self) -> None:
        """Step now rather than at the next look at the journal (the screens call it after a
        sale). Safe from any thread."""
        self._wake.set()

    def due(self) -> bool:
        """Whether a step may have something to send: the last step came back full or failed,
        `wake()` was called, another connection committed to the journal since the last step
        read it (`PRAGMA data_version`: microseconds, no disk read), or `interval` has passed.
        `run` looks every `poll` while caught up; a driver of many uploaders may call it too."""
        if self._more or self._seen is None or self._outbox is None or self._wake.is_set():
            return True
        if time.monotonic() - self._stepped_at >= self.interval:
            return True
        try:
            return self._outbox.data_version() != self._seen
        except Exception:
            return True  # the step says what is wrong with the journal

    def _idle(self, stop: threading.Event) -> None:
        """Caught up: wait until `due` (a new commit, a wake, `interval`) or `stop`, looking
        every `poll` seconds; `wake()` ends the wait at once, `stop` within `poll`."""
        while not stop.is_set() and not self.due():
            left = self._stepped_at + self.interval - time.monotonic()
            self._wake.wait(max(0.0, min(self.poll, left)))

    def _estimate_backlog(self) -> int:
        """How far behind, from the journal and the marks head office last gave (offline)."""
        try:
            return self._journal().backlog(self._marks)
        except Exception:
            return self._status.behind

    def _backoff(self, failures: int) -> float:
        """Exponential with jitter: many tills coming back at once do not arrive together."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(failures - 1, 30))
        return ceiling * random.uniform(0.5, 1.0)

    def run(
        self, stop: threading.Event, on_status: Callable[[HqStatus], None] | None = None
    ) -> None:
        """Upload until `stop` is set: back to back while behind; when caught up, as soon as
        the journal changes or `wake()` is called (and every `interval` regardless); backing
        off (up to backoff_max) while head office cannot be reached. `on_status` hears of
        every change to what the top bar shows."""
        failures = 0
        told: HqStatus | None = None
        try:
            while not stop.is_set():
                try:
                    result = self.step()
                except Exception as exc:
                    failures += 1
                    if not isinstance(exc, _CENTRAL_TROUBLE):
                        self._close_journal()  # the journal's trouble, or a bug: reopen it
                    last_ok = self._status.last_ok_at
                    status = HqStatus("offline", self._estimate_backlog(), safe_error(exc), last_ok)
                    if _shown(status) != _shown(self._status):  # once per new trouble
                        unforeseen = not isinstance(exc, (*_CENTRAL_TROUBLE, JournalFault))
                        log.warning(
                            "head office upload failed: %s", status.error, exc_info=unforeseen
                        )
                    delay = self._backoff(failures)
                else:
                    failures = 0
                    state: Literal["ok", "behind"] = "behind" if result.backlog else "ok"
                    status = HqStatus(state, result.backlog, None, self._clock())
                    delay = 0.0
                self._status = status
                if on_status is not None and (told is None or _shown(told) != _shown(status)):
                    told = status
                    try:
                        on_status(status)
                    except Exception:
                        log.exception("the HQ status callback failed")
                if delay:
                    stop.wait(delay)
                else:
                    self._idle(stop)
        finally:
            self._drop_connection()


def _month_span(ms: int) -> tuple[int, int]:
    """The calendar month (UTC) holding the instant `ms`, as [its first ms, the next's first)."""
    when = _EPOCH + timedelta(milliseconds=ms)
    first = (datetime(when.year, when.month, 1, tzinfo=UTC) - _EPOCH) // _ONE_MS
    try:
        after = datetime(when.year + when.month // 12, when.month % 12 + 1, 1, tzinfo=UTC)
    except ValueError:  # December 9999 has no next month: a span of this instant will do
        return first, ms + 1
    return first, (after - _EPOCH) // _ONE_MS


def _values(marks: Marks) -> tuple[int, int, int]:
    return marks.entries, marks.reprints, marks.z_reports


def _shown(status: HqStatus) -> tuple[str, int, str | None]:
    return status.state, status.behind, status.error


def uploader_for(
    till: TillSection,
    central: CentralSection,
    journal: Path,
    key: SealKey,
    *,
    backoff_base: float = 0.5,
    backoff_max: float = 60.0,
) -> Uploader:
    """This till's uploader as its config describes it (the screens choose their own backoff)."""
    from till.central.connect import connect

    return Uploader(
        journal,
        lambda: connect(central),
        key,
        store_id=till.store_id,
        terminal_id=till.terminal_id,
        batch_size=central.batch_size,
        interval=central.interval,
        backoff_base=backoff_base,
        backoff_max=backoff_max,
    )
