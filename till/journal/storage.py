"""The journal as a file: made once, atomically; checked on every open; never made again.

A journal file comes into being only whole: it is built under a temporary name in the same
directory (schema, sequence, WAL mode) and then linked to its name, which fails if anything is
already there. So a file at the journal's path is always a journal the till made, and anything
else found there (an empty file, a text file, a truncated or overwritten one) is a fault the
till reports and leaves alone. After that first creation every connection opens the file with
SQLite's `mode=rw`, which never creates it.

The header check reads the first 100 bytes and stats the file: no SQLite connection, well under
a millisecond, so every command and the screens' first frame can afford it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sqlite3
import stat
import struct
from collections.abc import Callable
from pathlib import Path

from till.journal.errors import (
    JournalCorrupt,
    JournalFault,
    JournalGone,
    JournalMissing,
    JournalNotAFile,
    JournalReadOnly,
    fault_from_os,
    fault_from_sqlite,
)

MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100

#: (st_dev, st_ino): which file a path named when the till opened it.
Identity = tuple[int, int]


def identity_of(path: Path) -> Identity:
    """The file at `path` now; OSError (FileNotFoundError when gone) if there is none."""
    info = os.stat(path)
    return info.st_dev, info.st_ino


def uri(path: Path, mode: str = "rw") -> str:
    """An SQLite URI that opens the existing file (read-write, or `mode="ro"`), never making it."""
    return f"{path.absolute().as_uri()}?mode={mode}"


def _writable(path: Path) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def check_location(path: Path, *, create: bool) -> bool:
    """Refuse a path that can never hold the journal; True when the file exists.

    Checks what a stat can tell: a directory or device at the path, a parent that is a file,
    no write access to the file or its directory (SQLite writes its -wal and -shm beside it).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise JournalNotAFile(path, "a part of its directory path is a file") from None
    except OSError as exc:
        raise fault_from_os(exc, path) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise JournalNotAFile(path, f"it is {what}")
    parent = path.parent
    if info is None:
        if not create:
            raise JournalMissing(path)
        if parent.exists() and not parent.is_dir():
            raise JournalNotAFile(path, f"{parent} is not a directory")
        if parent.is_dir() and not _writable(parent):
            raise JournalReadOnly(path, f"its directory {parent} is read-only")
        return False
    if not _writable(path):
        raise JournalReadOnly(path, "the file is read-only")
    if not _writable(parent):
        raise JournalReadOnly(path, f"its directory {parent} is read-only")
    return True


def check_header(path: Path) -> None:
    """JournalCorrupt unless the file starts like an SQLite database and is as long as it says.

    Catches an empty file, a text file, an overwritten header, and a file cut short (the
    header's page count against the file's size, when no write-ahead log holds newer pages).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER_SIZE)
            size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise fault_from_os(exc, path) from None
    if not head:
        raise JournalCorrupt(path, "the file is empty: it was truncated, or is not a journal")
    if len(head) < HEADER_SIZE or not head.startswith(MAGIC):
        raise JournalCorrupt(path, "it does not start with an SQLite header")
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise JournalCorrupt(path, f"its header gives an impossible page size ({page_size})")
    if head[18] not in (1, 2) or head[19] not in (1, 2) or head[21:24] != b"\x40\x20\x20":
        raise JournalCorrupt(path, "its header has impossible format bytes")
    (change, pages, trunk, free) = struct.unpack(">4I", head[24:40])
    (schema_format,) = struct.unpack(">I", head[44:48])
    (encoding,) = struct.unpack(">I", head[56:60])
    (valid_for,) = struct.unpack(">I", head[92:96])
    if schema_format not in (0, 1, 2, 3, 4) or encoding not in (0, 1, 2, 3):  # 0: no tables yet
        raise JournalCorrupt(path, "its header has an impossible schema format or text encoding")
    if size % page_size:
        raise JournalCorrupt(path, f"its size ({size} bytes) is not a whole number of pages")
    if pages and change == valid_for and not _wal_has_frames(path):
        if size < pages * page_size:
            raise JournalCorrupt(
                path,
                f"it is cut short: {size} bytes where its header says {pages * page_size}",
            )
        if trunk > pages or free >= pages:
            raise JournalCorrupt(path, "its header's free-page list points outside the file")


def _wal_has_frames(path: Path) -> bool:
    """A write-ahead log with pages in it: the main file's header may be older than it."""
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except OSError:
        return False


def preflight(path: Path | str, *, create: bool = True) -> None:
    """The checks that need no SQLite connection: for the screens, before their first frame."""
    path = Path(path)
    if check_location(path, create=create):
        check_header(path)


def create(path: Path, initialise: Callable[[sqlite3.Connection], None]) -> bool:
    """Make a new journal at `path` (mode 0600), whole or not at all; never replace a file.

    `initialise` builds the schema on a connection to the temporary file. Returns False when
    another process made the journal first (then theirs is used).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fault_from_os(exc, path) from None
    leftovers = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    if leftovers:
        # A journal's log without the journal: it was moved or deleted, maybe while a till had
        # it open. A new journal here would take that log for its own and mix the two.
        raise JournalGone(
            path,
            f"{', '.join(p.name for p in leftovers)} beside it belong to a journal that was "
            "moved or deleted; a new one is not started over them",
        )
    temporary = path.with_name(f".{path.name}.new-{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.close(fd)
        conn = sqlite3.connect(temporary, isolation_level=None)
        try:
            initialise(conn)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()  # the last connection: SQLite checkpoints and removes the -wal
        _fsync(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            _copy_exclusive(temporary, path)  # a filesystem without hard links
        _fsync(path.parent)
        return True
    except sqlite3.Error as exc:
        fault = fault_from_sqlite(exc, path)
        raise (fault or JournalFault(path, str(exc))) from exc
    except OSError as exc:
        raise fault_from_os(exc, path) from None
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _copy_exclusive(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with open(source, "rb") as f:
            while chunk := f.read(1 << 20):
                os.write(fd, chunk)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Readable by this user only: the journal holds PINs."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            os.chmod(path, 0o600)
    except OSError as exc:
        raise fault_from_os(exc, path) from None


__all__ = [
    "Identity",
    "JournalFault",
    "check_header",
    "check_location",
    "create",
    "identity_of",
    "preflight",
    "tighten",
    "uri",
]
