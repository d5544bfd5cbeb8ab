"""The till's one clock.

The journal keeps Unix milliseconds, UTC. People read them in one zone, the till's
`[till] timezone` (an IANA name, default Africa/Johannesburg), on every screen, command,
receipt, report and export: never the machine's own zone, which may be UTC on a till and
anything on a service desk's laptop. Everything that turns a journal time into words, or a
calendar day into journal times, goes through here.

`till.config.load_settings` sets the zone (`use_zone`) once the config is validated; until then,
and for code that never loads a config, it is `DEFAULT_ZONE`. The tz database is loaded only
when a time is first formatted or a zone checked (the first frame needs neither); Python's
`zoneinfo` reads the system's copy, or the `tzdata` package where the machine has none.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, date, datetime, timedelta, tzinfo

#: `[till] timezone` when the config does not say: South African Standard Time (UTC+2, no DST).
DEFAULT_ZONE = "Africa/Johannesburg"
#: Formats for `format_local`; %Z is the zone's abbreviation ("SAST", "EST", or "+04").
SECONDS = "%Y-%m-%d %H:%M:%S"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS_ZONE = f"{SECONDS} %Z"
MINUTES_ZONE = f"{MINUTES} %Z"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
#: An IANA name: Area/Location words of letters, digits, '_', '+' and '-' (no dots, so no
#: "..", "zone.tab" or "tzdata.zi"; no leading '/', so never a path outside the database).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,40}(?:/[A-Za-z0-9_+-]{1,40}){0,3}")
#: Files in the tz database that are not a place's zone: "localtime" is the machine's own zone
#: (the very thing this module avoids), "posixrules" a default rule, "Factory" says "not set".
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


_UNKNOWN = f"must be a time zone name from the tz database, such as {DEFAULT_ZONE} or UTC"


class UnknownZone(ValueError):
    """A zone name the tz database does not know (the config error names the key and value)."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@functools.lru_cache(maxsize=32)
def zone(name: str) -> tzinfo:
    """The IANA zone `name` ("Africa/Johannesburg"); UnknownZone if there is none."""
    if not _ZONE_NAME.fullmatch(name) or name in _NOT_PLACES:
        raise UnknownZone(_UNKNOWN)
    from zoneinfo import ZoneInfo  # here, not at import: the first frame needs no tz data

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, not a zone file, a directory
        raise UnknownZone(_UNKNOWN) from None


_configured = DEFAULT_ZONE


def use_zone(name: str) -> None:
    """Make `name` the till's zone for this process (UnknownZone if it is not one)."""
    global _configured
    zone(name)
    _configured = name


def configured_zone() -> str:
    """The name of the zone the till shows times in."""
    return _configured


Zone = str | tzinfo | None


def _zone(which: Zone) -> tzinfo:
    if which is None:
        return zone(_configured)
    return zone(which) if isinstance(which, str) else which


def local(ms: int, which: Zone = None) -> datetime:
    """Journal milliseconds as an aware date-time in the till's zone (or `which`).

    Integer arithmetic, so a time is never a float's rounding away from its second."""
    return (_EPOCH + ms * _MS).astimezone(_zone(which))


def format_local(ms: int, which: Zone = None, fmt: str = SECONDS) -> str:
    """Journal milliseconds as people read them: '2026-11-29 16:31:05' in the till's zone."""
    return local(ms, which).strftime(fmt)


def to_local(moment: datetime, which: Zone = None) -> datetime:
    """An aware date-time (from Flash, say) in the till's zone; a naive one is left as given."""
    return moment if moment.tzinfo is None else moment.astimezone(_zone(which))


def local_date(ms: int, which: Zone = None) -> date:
    """The calendar day, in the till's zone, that a journal time falls on."""
    return local(ms, which).date()


def local_day_start(day: date, which: Zone = None) -> int:
    """The first journal millisecond of `day` in the till's zone.

    Where a zone's clocks skip midnight (a DST start at 00:00) this is the moment the day
    begins; where midnight happens twice, the first time."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=_zone(which))
    return (midnight - _EPOCH) // _MS


def local_day_bounds(day: date, which: Zone = None) -> tuple[int, int]:
    """`day` in the till's zone as journal milliseconds [start, end): 23, 24 or 25 hours."""
    return local_day_start(day, which), local_day_start(day + timedelta(days=1), which)
