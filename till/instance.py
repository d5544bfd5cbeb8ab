"""One set of screens per journal: a second window on the same till would run a second resolver
and a second printer queue, and show the cashier two tills that each think they are the one.

Only the screens take the lock: the one-shot commands (a report, `till retry`, a scripted sale)
still run beside them; the journal keeps those safe (a reference is settled once).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no advisory locks; the till then relies on its journal alone
    fcntl = None  # type: ignore[assignment]


class TillAlreadyOpen(Exception):
    """The screens are already running on this journal, in another window or process."""


def lock_path(journal_path: Path) -> Path:
    return journal_path.with_name(journal_path.name + ".lock")


@contextlib.contextmanager
def only_instance(journal_path: Path) -> Iterator[None]:
    """Hold the till's lock for the block; TillAlreadyOpen if another process holds it.

    The lock is the kernel's (flock), so it goes when its holder exits, even by SIGKILL or a
    power cut: a stale lock file never keeps a till shut.
    """
    path = lock_path(journal_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
                holder = f" (process {pid})" if pid.isascii() and pid.isdigit() else ""
                raise TillAlreadyOpen(
                    f"this till is already open in another window{holder}: use that one, "
                    "or close it first"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # and with it the lock
