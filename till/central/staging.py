"""One entry as the uploader stages it: the columns it reads from the journal, the row it COPYs
(binary) into a temporary table, redacted and sealed, and the SQL that lands those rows in
`till.entries`. `entry_row` is the uploader's hot path: once per entry sent.
"""

from __future__ import annotations

import re
from typing import Any

from till.central.redact import redact_json_text
from till.central.seal import SealKey, seal_record

__all__ = [
    "COPY",
    "COPY_TYPES",
    "CREATED",
    "PIN_RUN",
    "READ",
    "REFERENCE",
    "STAGE_TABLE",
    "STORE",
    "TRAINING",
    "UPSERT",
    "entry_row",
    "ms_timestamptz",
    "safe_text",
]

#: Entry columns taken from the journal as they are, then the ones the uploader fills in; with
#: their types for a binary COPY. Times stay integer milliseconds up to PostgreSQL.
_PLAIN = (
    "reference text, created_at int8, store_id text, terminal_id text, kind text, state text, "
    "amount int8, product_code int4, mobile_number text, meter_number text, serial_number text, "
    "related_reference text, response_code int4, attempts int4, settled_at int8, "
    "print_count int4, reprint_count int4, last_printed_at int8, flagged_at int8, retryable bool"
)
_FILLED = (
    "epoch text, version int8, cashier text, approved_by text, last_error text, "
    "print_error text, request text, response text, sealed bytea"
)
_STAGE = [tuple(c.split()) for c in f"{_PLAIN}, {_FILLED}".split(", ")]
_NAMES = [name for name, _ in _STAGE]
COPY_TYPES = [kind for _, kind in _STAGE]
_PLAIN_NAMES = _NAMES[: _PLAIN.count(",") + 1]
_PEOPLE = ("cashier", "approved_by", "last_error", "print_error")
#: What the uploader reads of each changed entry (`Outbox.entry_rows_after`, which puts the
#: change number first): whether it is training, the plain columns in the COPY's order, the
#: texts it makes safe, and the JSON.
READ = ("training", *_PLAIN_NAMES, *_PEOPLE, "request", "response")
#: Where things are in a row read.
TRAINING, REFERENCE, CREATED, STORE, _REQUEST, _RESPONSE = (
    1 + READ.index(name)
    for name in ("training", "reference", "created_at", "store_id", "request", "response")
)
_PLAIN_AT, _PEOPLE_AT = 1 + READ.index(_PLAIN_NAMES[0]), 1 + READ.index(_PEOPLE[0])
_TIMES = frozenset({"created_at", "settled_at", "last_printed_at", "flagged_at"})
_JSON = frozenset({"request", "response"})
#: A run of 16 or more digits (spaces or dashes between them): a PIN or a token.
PIN_RUN = re.compile(r"\d(?:[ -]?\d){15,}")


def ms_timestamptz(value: str) -> str:
    """SQL for milliseconds to an exact timestamptz (no float on the way)."""
    return f"timestamptz 'epoch' + {value} * interval '1 millisecond'"


def _select(name: str) -> str:
    return ms_timestamptz(name) if name in _TIMES else f"{name}::jsonb" if name in _JSON else name


#: A staged entry is about 1.8 kB (the sealed record is the largest part), and a quarter are
#: over the default toast_tuple_target (2 kB): PostgreSQL would try to compress their largest
#: columns on the way into this table (mostly in vain) and back out; ~3 us of its CPU an entry.
STAGE_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS till_upload_entries ("
    + ", ".join(f"{n} {t}" for n, t in _STAGE)
    + ") WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS"
)
COPY = f"COPY till_upload_entries ({', '.join(_NAMES)}) FROM STDIN (FORMAT BINARY)"
UPSERT = (
    f"INSERT INTO till.entries AS e ({', '.join(_NAMES)}) "  # noqa: S608 (constants only)
    f"SELECT {', '.join(map(_select, _NAMES))} FROM pg_temp.till_upload_entries "
    "ON CONFLICT (reference, created_at) DO UPDATE SET "
    + ", ".join(f"{n} = EXCLUDED.{n}" for n in _NAMES if n not in ("reference", "created_at"))
    + ", uploaded_at = now() WHERE e.version < EXCLUDED.version"
)


def safe_text(value: str | None) -> str | None:
    """Text PostgreSQL accepts (no NUL), with anything shaped like a PIN or token hidden."""
    if value is None:
        return None
    if len(value) < 16 and "\x00" not in value:  # too short for a PIN: most names, every time
        return value
    return PIN_RUN.sub("****", value.replace("\x00", "\ufffd"))


def entry_row(read: tuple[Any, ...], epoch: str, key: SealKey) -> tuple[Any, ...]:
    """The staged row of one row read (`READ`): the journal's columns as they are (flags 0/1
    go to bool columns as they are), the texts made safe, the redacted JSON and the sealed
    original."""
    request, response = bytes(read[_REQUEST]), read[_RESPONSE]
    return (
        *read[_PLAIN_AT:_PEOPLE_AT],
        epoch,
        read[0],
        *map(safe_text, read[_PEOPLE_AT:_REQUEST]),
        redact_json_text(request),
        redact_json_text(response),
        seal_record(key, read[REFERENCE], request, response),
    )
