"""What can go wrong with the journal, as errors a person can act on.

`JournalError` is a refusal about one entry (an unknown reference, one already settled): the
journal itself is fine. A `JournalFault` is about the file: the till cannot record a sale, so it
must not make one. Each fault's message is one line saying what happened, which file, and what
to do; the commands map each kind to its own exit status (`till.commands.base.EXIT_STATUSES`).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path


class JournalError(Exception):
    """The journal cannot do what was asked (unknown reference, a settled entry, ...)."""


class JournalFault(JournalError):
    """The journal file cannot be used: nothing more can be recorded, so nothing is sold.

    `reference` names a sale whose answer from Flash could not be recorded (it may have gone
    through), so the person reading the message can follow it up.
    """

    what = "cannot be used"
    advice = "stop selling and call support"

    def __init__(self, path: Path | str, detail: str = "", *, reference: str | None = None):
        self.path = Path(path)
        self.detail = detail
        self.reference = reference
        super().__init__(self._message())

    def _message(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        lost = ""
        if self.reference:
            lost = (
                f"; the answer for {self.reference} was not recorded (it may have been sold: "
                "do not sell it again)"
            )
        return f"journal {self.path} {self.what}{detail}{lost}: {self.advice}"

    def for_reference(self, reference: str) -> JournalFault:
        """The same fault, naming the sale it struck."""
        fault = type(self)(self.path, self.detail, reference=reference)
        fault.__cause__ = self.__cause__
        return fault


class JournalMissing(JournalFault):
    """No journal at the path, for a command that only reads it."""

    what = "does not exist"
    advice = (
        "nothing has been recorded on this till yet, or [journal] path names the wrong file "
        "(check it with the till's config)"
    )


class JournalGone(JournalFault):
    """The file the till opened was deleted, moved or replaced while the till had it open."""

    what = "was deleted, moved or replaced while the till had it open"
    advice = (
        "stop selling: nothing more can be recorded; restore the journal file (or its "
        "directory) from where it went or from a backup before starting the till again"
    )


class JournalCorrupt(JournalFault):
    """The file is not a till journal, or is damaged (truncated, overwritten)."""

    what = "is damaged or is not a till journal"
    advice = (
        "stop selling; the till leaves the file as it is: keep a copy for support and restore "
        "the last good journal (or move this one aside to start an empty one)"
    )


class JournalReadOnly(JournalFault):
    """The file, its directory or its filesystem cannot be written."""

    what = "cannot be written"
    advice = (
        "nothing was sold; give the till's user write access to the file and its directory "
        "(and mount the disk read-write)"
    )


class JournalFull(JournalFault):
    """The disk (or the user's quota) holding the journal is full."""

    what = "cannot grow: the disk is full"
    advice = "free space on that disk, then try again (open sales are kept: run `till retry`)"


class JournalNotAFile(JournalFault):
    """`[journal] path` names a directory (or a device, a socket...) instead of a file."""

    what = "is not a regular file"
    advice = "set [journal] path to the name of a file, e.g. /var/lib/till/journal.sqlite3"


class JournalUnavailable(JournalFault):
    """Any other failure to read or write the file (an I/O error, a lock held too long)."""

    what = "cannot be read or written"
    advice = "check the disk and that no other program holds the file, then try again"


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

_BY_CODE: dict[int, type[JournalFault]] = {
    _SQLITE_PERM: JournalReadOnly,
    _SQLITE_READONLY: JournalReadOnly,
    _SQLITE_CORRUPT: JournalCorrupt,
    _SQLITE_NOTADB: JournalCorrupt,
    _SQLITE_FULL: JournalFull,
    _SQLITE_IOERR: JournalUnavailable,
    _SQLITE_BUSY: JournalUnavailable,
    _SQLITE_LOCKED: JournalUnavailable,
    _SQLITE_CANTOPEN: JournalUnavailable,
}

_BY_ERRNO: dict[int, type[JournalFault]] = {
    errno.ENOENT: JournalGone,
    errno.EACCES: JournalReadOnly,
    errno.EPERM: JournalReadOnly,
    errno.EROFS: JournalReadOnly,
    errno.ENOSPC: JournalFull,
    errno.EDQUOT: JournalFull,
    errno.EISDIR: JournalNotAFile,
    errno.ENOTDIR: JournalNotAFile,
}


def fault_from_sqlite(exc: sqlite3.Error, path: Path) -> JournalFault | None:
    """The fault an SQLite error means, or None for an error about the SQL (a constraint, a
    trigger's refusal): those are the caller's to handle."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    kind = _BY_CODE.get(code & 0xFF)
    if kind is None:
        return None
    if kind is JournalUnavailable and _disk_full(path):
        kind = JournalFull  # SQLite says "I/O error" when its -shm or -wal cannot grow
    return kind(path, str(exc))


#: Less free space than this beside the journal is a full disk: an SQLite write needs pages.
_FULL_BELOW = 64 * 1024


def _disk_full(path: Path) -> bool:
    try:
        info = os.statvfs(path.parent)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < _FULL_BELOW


def fault_from_os(exc: OSError, path: Path) -> JournalFault:
    kind = _BY_ERRNO.get(exc.errno or 0, JournalUnavailable)
    return kind(path, exc.strerror or str(exc))
