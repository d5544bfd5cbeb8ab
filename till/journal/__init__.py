"""The SQLite write-ahead journal: every transaction is in it before a byte goes to Flash."""

from till.journal.entry import OPEN_STATES, Entry, NewEntry, Reprint, State, Totals
from till.journal.errors import (
    JournalCorrupt,
    JournalError,
    JournalFault,
    JournalFull,
    JournalGone,
    JournalMissing,
    JournalNotAFile,
    JournalReadOnly,
    JournalUnavailable,
)
from till.journal.journal import Check, Journal
from till.journal.reads import Reads
from till.journal.schema import SCHEMA_VERSION, SchemaTooNew
from till.journal.storage import preflight

__all__ = [
    "OPEN_STATES",
    "SCHEMA_VERSION",
    "Check",
    "Entry",
    "Journal",
    "JournalCorrupt",
    "JournalError",
    "JournalFault",
    "JournalFull",
    "JournalGone",
    "JournalMissing",
    "JournalNotAFile",
    "JournalReadOnly",
    "JournalUnavailable",
    "NewEntry",
    "Reads",
    "Reprint",
    "SchemaTooNew",
    "State",
    "Totals",
    "preflight",
]
