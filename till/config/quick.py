"""The quick read: what the first frame and the journal commands need, without pydantic.

Importing pydantic and validating the settings takes longer than Textual needs to paint, so the
screens paint from this small view and validate the whole config in the background before
anything can be sold. The view must equal `FirstFrame.of(settings)` once they are validated (the
app checks, and stops with the config error otherwise); anything this reader cannot read exactly
as pydantic would makes `read_first_frame` return None, and then the settings are validated
before the screens start, as for every other command.

The commands that only read the journal (`till journal ...`) use the same quick read, plus the
till's zone and log file (`read_for_readers`): they never import pydantic when it can be sure,
and validate the whole config first when it cannot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from till import clock
from till.config.paths import (
    check_journal_file,
    default_journal_path,
    default_log_path,
    journal_file,
)
from till.config.sources import DEFAULT_IDLE_LOCK_SECONDS, ENV_PREFIX, ConfigFile
from till.logfile import LEVELS, LogTarget

if TYPE_CHECKING:
    from till.config.settings import Settings

#: The sections `Settings` has; other `TILL_` variables are not the till's (pydantic ignores them).
SECTIONS = ("till", "flash", "journal", "printer", "training", "keys", "staff", "log", "central")
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}
_INT = re.compile(r"[+-]?[0-9]+")


class _Unsure(Exception):
    """A value this reader cannot be sure pydantic reads the same way."""


@dataclass(frozen=True)
class FirstFrame:
    """The few settings the first frame shows or opens."""

    store_id: str
    terminal_id: str
    store_name: str
    training: bool
    #: Screen keys remapped in `[keys]` (mode -> Textual key name).
    keys: Mapping[str, str]
    staff_enabled: bool
    idle_lock_seconds: int
    journal_path: Path

    def differences(self, other: FirstFrame) -> list[str]:
        """The fields on which two views disagree."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    @classmethod
    def of(cls, settings: Settings) -> FirstFrame:
        """The same view, from validated settings."""
        return cls(
            store_id=settings.till.store_id,
            terminal_id=settings.till.terminal_id,
            store_name=settings.till.store_name,
            training=settings.training.enabled,
            keys=settings.keys.model_dump(exclude_none=True),
            staff_enabled=settings.staff.enabled,
            idle_lock_seconds=settings.staff.idle_lock_seconds,
            journal_path=journal_file(
                settings.journal.resolved_path(), training=settings.training.enabled
            ),
        )


@dataclass(frozen=True)
class PendingSettings:
    """Start the screens from `first`; `load()` validates the whole config (ConfigError if bad)."""

    first: FirstFrame
    load: Callable[[], Settings]


def _merged(
    config_file: ConfigFile,
    defaults: Mapping[str, Mapping[str, Any]],
    forced: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The raw values by section: file < environment, then defaults where unset, then forced."""
    merged: dict[str, dict[str, Any]] = {}
    for section, values in config_file.data.items():
        if section in SECTIONS:
            if not isinstance(values, dict):
                raise _Unsure(section)
            merged[section] = dict(values)
    seen: set[str] = set()
    for name, value in os.environ.items():
        lowered = name.lower()
        if not lowered.startswith(ENV_PREFIX.lower()):
            continue
        section, _, key = lowered[len(ENV_PREFIX) :].partition("__")
        if section not in SECTIONS:
            continue
        if not key or "__" in key or lowered in seen:  # a JSON section, a nested list, a clash
            raise _Unsure(name)
        seen.add(lowered)
        merged.setdefault(section, {})[key] = value
    for section, values in defaults.items():
        present = merged.setdefault(section, {})
        for key, value in values.items():
            present.setdefault(key, value)
    for section, values in forced.items():
        merged.setdefault(section, {}).update(values)
    return merged


def _text(values: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = values.get(key, default)
    if value is not None and not isinstance(value, str):
        raise _Unsure(key)
    return value


def _flag(values: Mapping[str, Any], key: str) -> bool:
    value = values.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise _Unsure(key)


def _whole(values: Mapping[str, Any], key: str, default: int) -> int:
    value = values.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    raise _Unsure(key)


def read_first_frame(
    config_file: ConfigFile,
    *,
    defaults: Mapping[str, Mapping[str, Any]] | None = None,
    forced: Mapping[str, Mapping[str, Any]] | None = None,
) -> FirstFrame | None:
    """The first frame's view of the config, or None when only full validation can say."""
    try:
        return _first_frame(_merged(config_file, defaults or {}, forced or {}))
    except (_Unsure, ValueError):  # ValueError: a journal path that names no file
        return None


def _first_frame(merged: Mapping[str, Mapping[str, Any]]) -> FirstFrame:
    till = merged.get("till", {})
    store_id = _text(till, "store_id", None)
    terminal_id = _text(till, "terminal_id", None)
    if store_id is None or terminal_id is None:
        raise _Unsure("till")  # the error ("is required") comes from full validation
    training = _flag(merged.get("training", {}), "enabled")
    keys_section = merged.get("keys", {})
    keys = {mode: _text(keys_section, mode, None) for mode in keys_section}
    staff = merged.get("staff", {})
    journal = _text(merged.get("journal", {}), "path", None)
    base = check_journal_file(Path(journal)) if journal is not None else default_journal_path()
    return FirstFrame(
        store_id=store_id,
        terminal_id=terminal_id,
        store_name=_text(till, "store_name", "") or "",
        training=training,
        keys={mode: key for mode, key in keys.items() if key is not None},
        staff_enabled=_flag(staff, "enabled"),
        idle_lock_seconds=_whole(staff, "idle_lock_seconds", DEFAULT_IDLE_LOCK_SECONDS),
        journal_path=journal_file(base.expanduser(), training=training),
    )


@dataclass(frozen=True)
class ReaderView:
    """What a command that only reads the journal takes from the config: its file, the zone
    its times are shown in, and the log file. Equal to `ReaderView.of(settings)` whenever
    `read_for_readers` answers (a hypothesis test holds it to that)."""

    journal_path: Path
    timezone: str
    log: LogTarget

    @classmethod
    def of(cls, settings: Settings) -> ReaderView:
        return cls(
            journal_path=FirstFrame.of(settings).journal_path,
            timezone=settings.till.timezone,
            log=settings.log_target(),
        )


def read_for_readers(config_file: ConfigFile) -> ReaderView | None:
    """The readers' view of the config, or None when only full validation can say.

    Only what they use is read: a mistake in a key they do not read (a printer's, Flash's
    timeouts) is reported by the commands that use it, by `till check` and by the screens.
    An `api_key_file` is left to validation, which reads it (the key is only redacted here)."""
    try:
        merged = _merged(config_file, {}, {})
        first = _first_frame(merged)
        zone = _text(merged.get("till", {}), "timezone", clock.DEFAULT_ZONE) or ""
        clock.zone(zone)  # UnknownZone (a ValueError): validation names the key
        log = merged.get("log", {})
        path = _text(log, "path", None)
        if path is not None and Path(path).name in ("", ".", ".."):
            raise _Unsure("log.path")
        level = (_text(log, "level", "info") or "").lower()
        if level not in LEVELS:
            raise _Unsure("log.level")
        flash = merged.get("flash", {})
        key = _text(flash, "api_key", None)
        if key is None and flash.get("api_key_file") is not None:
            raise _Unsure("flash.api_key_file")
        target = LogTarget(
            path=(Path(path) if path is not None else default_log_path()).expanduser(),
            level=level,
            key=key or "",
            store_id=first.store_id,
            terminal_id=first.terminal_id,
        )
        return ReaderView(first.journal_path, zone, target)
    except (_Unsure, ValueError):
        return None
