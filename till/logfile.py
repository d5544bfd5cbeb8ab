"""The till process's log: a rotating file a store's support desk can read, and nothing else.

Where: `[log] path` (default `till.log` in the user log directory, `~/.local/state/till/log` on
Linux), at `[log] level` or `till --log-level`. The file and its rotations are mode 0600.

Never on the terminal: the screens own it, and the one-shot commands keep stderr for their
one-line messages. So `begin` (called once by `till.cli.main`) puts a holding handler on the root
logger at once, before anything can fall through to Python's last-resort stderr handler; the file
opens once the configuration is validated (`open_log`, from `till.config.settings.load_settings`
for the one-shot commands and from the screens' start-up thread), and what was held goes into it
first.

Never a secret: a filter on the file's handler redacts what looks like a PIN or token (10 or more
digits, grouped by spaces or hyphens or not), `Bearer ...` and `Basic ...` credentials and the
configured API key, whatever logger the line came from. The code should never log one in the first
place; this is the second line of defence.

`logging.handlers` (~10 ms to import) is imported only when the file opens, after the first frame.
"""

from __future__ import annotations

import collections
import functools
import io
import logging
import os
import re
import stat
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from till import clock

if TYPE_CHECKING:
    from logging.handlers import RotatingFileHandler

__all__ = [
    "BACKUP_COUNT",
    "LEVELS",
    "MAX_BYTES",
    "LogTarget",
    "LoggedSettings",
    "Redactor",
    "begin",
    "close",
    "open_log",
    "problem",
    "redact",
    "settings_loaded",
]

#: The levels `[log] level` and `--log-level` accept.
LEVELS = ("debug", "info", "warning", "error")
#: One file of 5 MB and five rotations (`till.log.1` .. `till.log.5`): 30 MB at most.
MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 5
#: At most this many records wait for the file to open (the newest are kept).
HELD_RECORDS = 1000

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
REDACTED = "[redacted]"

#: A PIN, STS token, card or account-like number: 10 or more digits, maybe grouped.
_DIGITS = r"(?<!\d)\d(?:[ -]?\d){9,}(?!\d)"
#: An HTTP credential, wherever it appears (a header, a repr, an error message).
_CREDENTIAL = r"\b(Bearer|Basic)(\s+|=|:\s*)[^\s,;'\")\]}]+"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: the screens import this module before their first frame."""
    return re.compile(_DIGITS), re.compile(_CREDENTIAL, re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = (), keep: re.Pattern[str] | None = None) -> str:
    """`text` with every PIN-like digit run, credential and literal secret replaced; the spans
    `keep` matches (this till's references, which hold digits) are left whole."""
    digits, credential = _patterns()
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = credential.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if keep is None:
        return digits.sub(REDACTED, text)
    out: list[str] = []
    last = 0
    for match in keep.finditer(text):
        out.append(digits.sub(REDACTED, text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(digits.sub(REDACTED, text[last:]))
    return "".join(out)


def reference_pattern(store_id: str, terminal_id: str) -> re.Pattern[str]:
    """This till's references (`store-terminal-epoch-sequence`, see `Journal.add`), standing
    alone: a 4-4-4-4-4 token can never pass for one, since more digits follow its fourth group."""
    prefix = f"{re.escape(store_id)}-{re.escape(terminal_id)}"
    return re.compile(rf"(?<![\w-]){prefix}-[A-Za-z0-9]{{4}}-\d{{1,9}}(?![\w-])")


class Redactor(logging.Filter):
    """On the file's handler: every record's text, its traceback included, is redacted."""

    def __init__(self, secrets: Iterable[str] = (), keep: re.Pattern[str] | None = None) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 4)
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what can be shown, never its arguments
            message = str(record.msg)
        cleaned = redact(message, self.secrets, self.keep)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets, self.keep)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets, self.keep)
        return True


class _Hold(logging.Handler):
    """Keeps records until the file opens: nothing reaches the terminal meanwhile."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: collections.deque[logging.LogRecord] = collections.deque(maxlen=HELD_RECORDS)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _tighten(path: Path) -> None:
    """Mode 0600 for an existing regular file that is looser."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o600)


def _handler_class() -> type[RotatingFileHandler]:
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFileHandler(RotatingFileHandler):
        """Creates the file (and so every rotation, which is a rename of it) with mode 0600."""

        def _open(self) -> io.TextIOWrapper:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
                    os.fchmod(fd, 0o600)
                return open(fd, "a", encoding=self.encoding, errors=self.errors)
            except BaseException:
                os.close(fd)
                raise

    return PrivateRotatingFileHandler


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.wanted = False
        self.override: str | None = None
        self.hold: _Hold | None = None
        self.handler: logging.Handler | None = None
        self.key: tuple[object, ...] | None = None
        self.problem: str | None = None
        self.till_level: int | None = None


_state = _State()


def _level(name: str) -> int:
    return logging.getLevelNamesMapping()[name.upper()]


def begin(level: str | None = None) -> None:
    """This process is the `till` command: hold log records until the file opens, and open it
    at `level` (`--log-level`) instead of the configured one. Call once, before anything logs."""
    with _state.lock:
        close()
        if level is not None and level.lower() not in LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LEVELS)}")
        _state.wanted = True
        _state.override = level.lower() if level else None
        _state.hold = _Hold()
        logging.getLogger().addHandler(_state.hold)


class TillTimeFormatter(logging.Formatter):
    """Each line's time in the till's zone, named ("2026-11-30 00:53:32.120 SAST"), as the
    receipts and screens show it: in the machine's own zone (often UTC) a desk would find the
    line hours away from the sale's receipt."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        try:
            ms = int(record.created * 1000)
            moment = clock.local(ms)
        except (OverflowError, ValueError, OSError):  # never lose the line over its time
            return super().formatTime(record, datefmt)
        return f"{moment:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d} {moment:%Z}"


class LogTarget(NamedTuple):
    """What the log file opens from: the file, its level, the key it must never show, and the
    till whose references it keeps whole. From validated settings (`Settings.log_target`), or
    from the quick read of the config by the commands that only read the journal
    (`till.config.quick`). (Not a dataclass: `till --help` imports this module, and
    `dataclasses` would cost it ~10 %.)"""

    path: Path
    level: str
    key: str
    store_id: str
    terminal_id: str

    def __repr__(self) -> str:  # never the key
        return (
            f"LogTarget(path={self.path!r}, level={self.level!r}, key=..., "
            f"store_id={self.store_id!r}, terminal_id={self.terminal_id!r})"
        )


class LoggedSettings(Protocol):
    """Validated settings (`till.config.settings.Settings`), which name their log file: typed
    by shape, so this module (imported before the config) never imports the config."""

    def log_target(self) -> LogTarget: ...


def settings_loaded(settings: LoggedSettings | LogTarget) -> None:
    """`load_settings` calls this: the `till` command (see `begin`) opens its log file now."""
    if _state.wanted:
        open_log(settings)


def open_log(settings: LoggedSettings | LogTarget) -> str | None:
    """Log to the file `settings` name, at their level (or `begin`'s), from now on; what was
    held goes in first. None, or why the file cannot be written (then nothing is logged, and
    still nothing reaches the terminal). Again with the same settings: nothing changes."""
    target = settings if isinstance(settings, LogTarget) else settings.log_target()
    path, key = target.path, target.key
    level = _state.override or target.level
    store, terminal = target.store_id, target.terminal_id
    identity = (path, level, key, store, terminal)
    with _state.lock:
        if _state.handler is not None and _state.key == identity:
            return None
        _drop_handler()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _tighten(path)
            for number in range(1, BACKUP_COUNT + 1):
                _tighten(path.with_name(f"{path.name}.{number}"))
            handler = _handler_class()(
                path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
            )
        except OSError as exc:
            _state.problem = (
                f"the log file {path} cannot be written ({exc.strerror or exc}): nothing is logged"
            )
            if _state.hold is None:  # still nothing for Python's last resort (stderr) to print
                _state.hold = _Hold()
                logging.getLogger().addHandler(_state.hold)
            return _state.problem
        handler.setLevel(_level(level))
        handler.setFormatter(TillTimeFormatter(FORMAT))
        handler.addFilter(Redactor([key], reference_pattern(store, terminal)))
        root = logging.getLogger()
        root.addHandler(handler)
        # The till's own records reach the file at the level asked for; other libraries' only
        # from WARNING (the root logger's default), however chatty their DEBUG is.
        till = logging.getLogger("till")
        if _state.till_level is None:
            _state.till_level = till.level
        if till.getEffectiveLevel() > _level(level):
            till.setLevel(_level(level))
        _state.handler, _state.key, _state.problem = handler, identity, None
        hold, _state.hold = _state.hold, None
        if hold is not None:
            root.removeHandler(hold)
            for record in hold.records:
                if record.levelno >= handler.level:
                    handler.handle(record)
        return None


def problem() -> str | None:
    """Why the log file could not be opened, if it could not."""
    return _state.problem


def _drop_handler() -> None:
    if _state.handler is not None:
        logging.getLogger().removeHandler(_state.handler)
        _state.handler.close()
    _state.handler = _state.key = None


def close() -> None:
    """Close the log file and forget `begin` (the test suite calls it after every test)."""
    with _state.lock:
        _drop_handler()
        if _state.hold is not None:
            logging.getLogger().removeHandler(_state.hold)
        if _state.till_level is not None:
            logging.getLogger("till").setLevel(_state.till_level)
        _state.hold = None
        _state.wanted = False
        _state.override = None
        _state.problem = None
        _state.till_level = None
