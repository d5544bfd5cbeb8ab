"""What the journal holds, as Python sees it: an entry and its row shape, a new sale, a reprint,
and a total; plus the SQL pieces every reader of the `entries` table shares."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

State = Literal["pending", "approved", "declined", "in_doubt"]
OPEN_STATES: tuple[State, ...] = ("pending", "in_doubt")

#: An entry's columns, in the order `Entry._from_row` reads them.
COLUMNS = (
    "id, reference, kind, state, request, response, response_code, attempts, last_error, amount, "
    "product_code, store_id, terminal_id, cashier, mobile_number, meter_number, serial_number, "
    "created_at, settled_at, related_reference, print_count, reprint_count, last_printed_at, "
    "print_error, approved_by, "
    "next_attempt_at, flagged_at, training, retryable"
)


COLUMN_NAMES = tuple(name.strip() for name in COLUMNS.split(","))
#: Written exactly like the partial index `entries_open`'s WHERE, so SQLite uses that index
#: (and `ORDER BY +id` stops it walking the whole table in id order instead).
OPEN = "state IN ('pending', 'in_doubt')"
#: SQLite's largest LIMIT; a bigger one would be read as a real number and refused.
_MAX_LIMIT = 2**63 - 1


def row_limit(limit: int) -> int:
    """A row limit as SQL text: a whole number of at least 1 (a negative LIMIT would mean none)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"a limit is a whole number of at least 1 (got {limit!r})")
    return min(limit, _MAX_LIMIT)


@dataclass(frozen=True)
class Entry:
    """One transaction as the journal holds it. Times are Unix milliseconds (UTC)."""

    id: int
    reference: str
    kind: str
    state: State
    request: bytes
    #: Flash's answer exactly as it came (JSON text); `response` parses it on first use.
    response_json: str | None
    response_code: int | None
    attempts: int
    last_error: str | None
    amount: int | None
    product_code: int | None
    store_id: str
    terminal_id: str
    cashier: str | None
    mobile_number: str | None
    meter_number: str | None
    serial_number: str | None
    created_at: int
    settled_at: int | None
    related_reference: str | None
    print_count: int
    reprint_count: int
    last_printed_at: int | None
    print_error: str | None
    approved_by: str | None
    next_attempt_at: int | None
    flagged_at: int | None
    training: bool
    retryable: bool

    def __repr__(self) -> str:  # the request and response hold PINs: keep them out of reprs
        return f"Entry({self.reference!r}, {self.kind!r}, {self.state!r})"

    @cached_property
    def response(self) -> dict[str, Any] | None:
        """Parsed once, when first read: a search of many rows rarely reads every answer."""
        if self.response_json is None:
            return None
        parsed: dict[str, Any] = json.loads(self.response_json)
        return parsed

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> Entry:
        """Build without the frozen dataclass __init__: 3-4x faster, and searches return many."""
        values = dict(zip(COLUMN_NAMES, row, strict=True))
        values["request"] = bytes(values["request"])
        values["response_json"] = values.pop("response")
        values["training"] = bool(values["training"])
        values["retryable"] = bool(values["retryable"])
        entry = object.__new__(cls)
        entry.__dict__.update(values)
        return entry


@dataclass(frozen=True)
class NewEntry:
    """What a sale knows about itself before its reference exists."""

    kind: str
    build_request: Callable[[str], bytes]
    store_id: str
    terminal_id: str
    amount: int | None = None
    product_code: int | None = None
    cashier: str | None = None
    mobile_number: str | None = None
    meter_number: str | None = None
    serial_number: str | None = None
    related_reference: str | None = None
    training: bool = False
    retryable: bool = True
    approved_by: str | None = None


@dataclass(frozen=True)
class Reprint:
    """One copy of a receipt: when, by whom, and who approved it (when staff is on)."""

    reference: str
    copy: int
    printed_at: int
    cashier: str | None
    approved_by: str | None


@dataclass(frozen=True)
class Totals:
    kind: str
    state: State
    count: int
    amount: int
