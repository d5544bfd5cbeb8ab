"""The SQLite write-ahead journal: every transaction is in it before a byte goes to Flash."""

from till.journal.journal import (
    OPEN_STATES,
    Entry,
    Journal,
    JournalError,
    NewEntry,
    Reprint,
    State,
    Totals,
)
from till.journal.schema import SCHEMA_VERSION, SchemaTooNew

__all__ = [
    "OPEN_STATES",
    "SCHEMA_VERSION",
    "Entry",
    "Journal",
    "JournalError",
    "NewEntry",
    "Reprint",
    "SchemaTooNew",
    "State",
    "Totals",
]
