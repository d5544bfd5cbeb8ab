"""Head office in the background of the screens: the uploader's thread and the top bar's word.

The uploader (`till.central.upload.Uploader`) blocks on PostgreSQL, so it runs in a daemon thread
of its own, reading the journal through its own read-only connection: a sale never waits on it,
and head office being slow or down changes nothing at the till but the word in the top bar
(`HQ: 12 behind`, `HQ offline`, `HQ: up to date`). Each new status is handed to the event loop
with `call_soon_threadsafe`, which never blocks the uploader (so stopping it cannot deadlock
with a screen that is redrawing). psycopg is imported only here, and only with `[central]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from till.words.hq import NO_UPLOAD_KEY, hq_label, no_upload

if TYPE_CHECKING:
    from pathlib import Path

    from till.central.upload import HqStatus, Uploader
    from till.config import CentralSection, Settings

log = logging.getLogger("till.tui")

#: How long leaving the app waits for a batch on the wire; the thread is a daemon after that
#: (head office simply gets the batch again next time: the marks live centrally).
STOP_SECONDS = 10.0
#: The longest pause between tries while head office is down, in `interval`s (clamped below).
BACKOFF_INTERVALS = 30


def backoff_limits(interval: float) -> tuple[float, float]:
    """(first pause, longest pause) in seconds after failed uploads: a till that uploads
    often also notices soon that head office is back; never more than a minute."""
    return min(0.5, interval), min(60.0, max(1.0, BACKOFF_INTERVALS * interval))


class HqLink:
    """One till's uploader, run in its own thread; `label` is what the top bar shows.

    `changed` runs on the event loop after each new status (the app redraws its top bar)."""

    def __init__(self, uploader: Uploader, changed: Callable[[], None]) -> None:
        self.uploader = uploader
        self.status: HqStatus | None = None
        self._changed = changed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def label(self) -> str:
        return hq_label(self.status)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start uploading; call on the event loop the statuses go to."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="till-hq-upload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.uploader.run(self._stop, self._post)
        except Exception:  # run() handles the database's failures itself: this is a bug
            log.exception("the head office uploader stopped")
        finally:
            self.uploader.close()

    def _post(self, status: HqStatus) -> None:
        """From the uploader's thread: the status to the event loop, without waiting."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
            loop.call_soon_threadsafe(self._show, status)

    def _show(self, status: HqStatus) -> None:
        self.status = status
        self._changed()

    async def stop(self) -> None:
        """Stop the uploader and wait (off the event loop, bounded) for its thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, STOP_SECONDS)
            if thread.is_alive():
                log.warning("the head office uploader did not stop in %.0f s", STOP_SECONDS)


def _uploader(settings: Settings, central: CentralSection, journal: Path) -> Uploader:
    """The store's uploader for `journal` (psycopg and the store key load here, in a thread)."""
    from till.central.seal import KeyFileError, SealKey
    from till.central.upload import uploader_for

    if central.key_file is None:
        raise KeyFileError(NO_UPLOAD_KEY)
    key = SealKey.load(central.key_file.expanduser())
    first, longest = backoff_limits(central.interval)
    return uploader_for(
        settings.till, central, journal, key, backoff_base=first, backoff_max=longest
    )


async def start_hq(
    settings: Settings,
    journal: Path,
    changed: Callable[[], None],
    warn: Callable[[str], None],
) -> HqLink | None:
    """Start uploading `journal` to head office when `[central]` is set (None otherwise, or
    when it cannot start: `warn` then says why, once, and the till sells on as before).

    Not in training: its journal holds training sales only, which never leave the till."""
    central = settings.central
    if central is None or settings.training.enabled:
        return None
    try:
        uploader = await asyncio.to_thread(_uploader, settings, central, journal)
    except Exception as exc:  # a key file or [central] that cannot work: the till still sells
        log.warning("head office upload not started: %s", exc)
        warn(no_upload(str(exc)))
        return None
    link = HqLink(uploader, changed)
    link.start()
    return link


__all__ = ["HqLink", "backoff_limits", "start_hq"]
