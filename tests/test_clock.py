"""One clock: every time the till shows is in `[till] timezone`, whatever the machine's zone.

What is shown is tested with the machine's own zone set (TZ + time.tzset) to UTC and to another
zone, checking that the machine's zone really is in force (the old `.astimezone()` answer
differs), so a formatter that slipped back to the machine's zone fails here.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import OptionList, Static

from receipts import Row
from tests.test_cli_sales import reference_in
from tests.tui.harness import till_app
from till import clock, logfile
from till.cli import main
from till.commands.output import format_entry, list_row
from till.config import ConfigError, load_settings
from till.config.quick import read_first_frame
from till.config.sources import read_config_file
from till.journal import Entry, Journal, NewEntry
from till.reports import build_report, report_document
from till.sandbox import Sandbox, running_sandbox
from till.slips import SlipHeader, slip_for
from till.tui.screens.journal import result_row
from till.tui.screens.redeem import when

REPO = Path(__file__).resolve().parent.parent
MACHINE_ZONES = ["UTC", "America/New_York"]
#: 2026-11-29 14:31:00 UTC: 16:31 in Johannesburg, 09:31 in New York, 03:31 next day in Auckland.
SALE_AT_MS = int(datetime(2026, 11, 29, 14, 31, tzinfo=UTC).timestamp() * 1000)


def ms(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> int:
    """Journal milliseconds of a UTC wall-clock time (computed without till.clock)."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


def expected(at_ms: int, zone: str, fmt: str) -> str:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(zone)).strftime(fmt)


@pytest.fixture(autouse=True)
def till_zone() -> Iterator[None]:
    """Whatever a test configures, the next one starts with the default zone."""
    yield
    clock.use_zone(clock.DEFAULT_ZONE)


@pytest.fixture(params=MACHINE_ZONES)
def machine_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The machine's own zone (TZ and tzset) for the test, then the old one back."""
    name: str = request.param
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield name
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def machine_says(at_ms: int, fmt: str) -> str:
    """What the old code printed: the machine's zone."""
    return datetime.fromtimestamp(at_ms / 1000).astimezone().strftime(fmt)


# -- the clock module -------------------------------------------------------------------------


def test_format_local_is_the_configured_zone_not_the_machines(machine_zone: str) -> None:
    assert machine_says(SALE_AT_MS, "%H:%M") != "16:31"  # the machine's zone is in force
    assert clock.format_local(SALE_AT_MS) == "2026-11-29 16:31:00"
    assert clock.format_local(SALE_AT_MS, fmt=clock.MINUTES_ZONE) == "2026-11-29 16:31 SAST"
    assert clock.format_local(SALE_AT_MS, "Pacific/Auckland", clock.SECONDS_ZONE) == (
        "2026-11-30 03:31:00 NZDT"
    )
    clock.use_zone("America/New_York")
    assert clock.configured_zone() == "America/New_York"
    assert clock.format_local(SALE_AT_MS, fmt=clock.MINUTES_ZONE) == "2026-11-29 09:31 EST"
    assert clock.local_date(SALE_AT_MS, "Pacific/Auckland") == date(2026, 11, 30)


def test_the_log_file_says_the_tills_time_with_its_zone(machine_zone: str, tmp_path: Path) -> None:
    """A desk holding a receipt finds its log lines at the receipt's time, not hours away."""
    path = tmp_path / "till.log"
    target = logfile.LogTarget(path, "info", "", "S1", "T1")
    assert logfile.open_log(target) is None
    try:
        record = logging.LogRecord("till.test", logging.INFO, __file__, 1, "sold", None, None)
        record.created = (SALE_AT_MS + 120) / 1000
        logging.getLogger("till.test").handle(record)
        clock.use_zone("Pacific/Auckland")  # `[till] timezone`, whatever the machine says
        logging.getLogger("till.test").handle(record)
    finally:
        logfile.close()
    first, second = path.read_text().splitlines()
    assert machine_says(SALE_AT_MS, "%H:%M") != "16:31"  # the machine's zone is in force
    assert first.startswith("2026-11-29 16:31:00.120 SAST INFO till.test")
    assert second.startswith("2026-11-30 03:31:00.120 NZDT INFO till.test")


def test_a_time_is_never_rounded_into_the_next_second() -> None:
    last = ms(2026, 12, 31, 21, 59, 59) + 999  # 23:59:59.999 in Johannesburg
    assert clock.format_local(last) == "2026-12-31 23:59:59"
    assert clock.format_local(last + 1) == "2027-01-01 00:00:00"


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Africa/Johannesburg", date(2026, 11, 29), 24),
        ("America/New_York", date(2026, 3, 8), 23),  # clocks go forward at 02:00
        ("America/New_York", date(2026, 11, 1), 25),  # and back
        ("America/Santiago", date(2026, 9, 6), 23),  # forward at midnight: the day starts at 01:00
    ],
)
def test_day_bounds_are_the_zones_midnights(
    machine_zone: str, zone: str, day: date, hours: int
) -> None:
    start, end = clock.local_day_bounds(day, zone)
    assert end - start == hours * 3_600_000
    assert clock.local_date(start, zone) == day and clock.local_date(start - 1, zone) < day
    assert clock.local_date(end - 1, zone) == day and clock.local_date(end, zone) > day


def test_johannesburg_days_begin_at_22_utc(machine_zone: str) -> None:
    assert clock.local_day_bounds(date(2026, 11, 29)) == (
        ms(2026, 11, 28, 22, 0),
        ms(2026, 11, 29, 22, 0),
    )


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "localtime", "posixrules", "Africa", "../etc/passwd", "/etc/UTC", ""]
)
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(clock.UnknownZone):
        clock.zone(name)
    with pytest.raises(clock.UnknownZone):
        clock.use_zone(name)
    assert clock.configured_zone() == clock.DEFAULT_ZONE


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_zones_load_without_the_systems_tz_database() -> None:
    """A fresh machine without /usr/share/zoneinfo: the tzdata package answers."""
    out = run_python(
        "from till import clock; "
        f"print(clock.format_local({SALE_AT_MS}, 'Africa/Johannesburg', clock.MINUTES_ZONE))",
        PYTHONTZPATH=os.pathsep.join(["/nonexistent/zoneinfo"]),
    )
    assert out == "2026-11-29 16:31 SAST"


def test_the_first_frame_loads_no_tz_data() -> None:
    out = run_python(
        "import sys; from pathlib import Path; "
        "from till.config.sources import ConfigFile; "
        "from till.config.quick import read_first_frame; "
        "import till.clock; "
        "data = {'till': {'store_id': 'S1', 'terminal_id': 'T1', 'timezone': 'Mars/Olympus'}}; "
        "first = read_first_frame(ConfigFile(Path('/x/till.toml'), True, data)); "
        "print(first is not None, 'zoneinfo' in sys.modules)"
    )
    assert out == "True False"


# -- the config -------------------------------------------------------------------------------


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "till.toml"
    path.write_text(
        f'[till]\nstore_id = "S1"\nterminal_id = "T1"\n{extra}'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n'
        "[training]\nenabled = true\n"
    )
    return path


def test_the_zone_defaults_to_johannesburg_and_is_set_when_loaded(tmp_path: Path) -> None:
    assert load_settings(config_file(tmp_path)).till.timezone == "Africa/Johannesburg"
    settings = load_settings(config_file(tmp_path, 'timezone = "Asia/Tokyo"\n'))
    assert settings.till.timezone == "Asia/Tokyo" == clock.configured_zone()
    load_settings(config_file(tmp_path))
    assert clock.configured_zone() == "Africa/Johannesburg"  # a later load sets it back


def test_the_environment_sets_the_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILL_TILL__TIMEZONE", "Europe/London")
    assert load_settings(config_file(tmp_path)).till.timezone == "Europe/London"


@pytest.mark.parametrize("name", ["Mars/Olympus", "SAST", "localtime", "Africa", "+02:00"])
def test_an_unknown_zone_is_a_config_error(tmp_path: Path, name: str) -> None:
    path = config_file(tmp_path, f'timezone = "{name}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "till.timezone: must be a time zone name" in str(caught.value)
    assert repr(name) in str(caught.value)
    # The first frame shows no time, so its quick read need not know the zone: it may paint,
    # and the app then stops with this error (as for any key only validation checks).
    quick = read_first_frame(read_config_file(path))
    assert quick is not None and quick.journal_path.name == "j-training.sqlite3"


def test_the_example_config_names_the_zone() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert 'timezone = "Africa/Johannesburg"' in text


# -- one sale, everywhere ---------------------------------------------------------------------


@dataclass
class Desk:
    config: Path
    journal: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> str:
        self.capsys.readouterr()
        status = main(["--config", str(self.config), *args])
        out, err = self.capsys.readouterr()
        assert status == 0, err
        return out

    def entry(self, reference: str) -> Entry:
        with Journal.open(self.journal) as journal:
            found = journal.get(reference)
        assert found is not None
        return found


@pytest.fixture
def desk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> Iterator[Desk]:
    """A live till over the sandbox whose clock reads 2026-11-29 14:31 UTC (and runs on)."""
    zone: str | None = getattr(request, "param", None)
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    started = time.time_ns()
    fake = types.SimpleNamespace(time_ns=lambda: SALE_AT_MS * 1_000_000 + time.time_ns() - started)
    monkeypatch.setattr(clock, "time", fake)
    with running_sandbox(Sandbox(seed=3)) as base_url:
        journal = tmp_path / "j.sqlite3"
        config = tmp_path / "till.toml"
        config.write_text(
            '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
            + (f'timezone = "{zone}"\n' if zone else "")
            + f'[flash]\nbase_url = "{base_url}"\naccount_number = "SANDBOX01"\n'
            f'[journal]\npath = "{journal}"\n[printer]\nkind = "preview"\n'
        )
        yield Desk(config, journal, capsys)


@pytest.mark.parametrize(
    ("desk", "zone", "minute"),
    [
        (None, "Africa/Johannesburg", "2026-11-29 16:31"),
        ("Pacific/Auckland", "Pacific/Auckland", "2026-11-30 03:31"),
    ],
    indirect=["desk"],
)
def test_one_sale_reads_the_same_time_everywhere(
    machine_zone: str, desk: Desk, zone: str, minute: str
) -> None:
    out = desk.run("sell", "1voucher", "--amount", "50")
    reference = reference_in(out)
    sale = desk.entry(reference)
    seconds = expected(sale.created_at, zone, "%Y-%m-%d %H:%M:%S")
    abbreviation = expected(sale.created_at, zone, "%Z")
    assert seconds.startswith(minute)
    assert not machine_says(sale.created_at, "%Y-%m-%d %H:%M").startswith(minute)

    # the receipt (`till reprint` with the preview printer shows it) and the slip itself
    receipt = desk.run("reprint", reference)
    assert f"{seconds} {abbreviation}" in receipt
    slip = slip_for(sale, SlipHeader("Shop"))
    assert Row("Date", f"{seconds} {abbreviation}") in slip.blocks

    # `till journal show`, as text and JSON, and `till journal list`
    shown = desk.run("journal", "show", reference)
    assert f"{seconds} {abbreviation}" in shown
    assert json.loads(desk.run("journal", "show", reference, "--json"))["created"] == seconds
    assert seconds in desk.run("journal", "list")

    # the export
    rows = list(csv.DictReader(io.StringIO(desk.run("journal", "export", "--csv", "-"))))
    assert [row["created"] for row in rows if row["reference"] == reference] == [seconds]

    # the Journal and In doubt screens' text (their rows and details) and the Redeem screen's
    assert minute[5:] in result_row(sale)  # the row may leave the year out: "11-29 16:31"
    assert f"{seconds} {abbreviation}" in format_entry(sale)
    assert list_row(sale)[0] == seconds
    assert when(sale) == expected(sale.created_at, zone, "%d %b %H:%M")

    # `till report x`, made within the same minute, and a report built at that moment
    x_report = desk.run("report", "x")
    assert f"{minute} {abbreviation}" in x_report
    assert machine_says(SALE_AT_MS, "%H:%M") not in x_report
    report = build_report(
        [sale], [], kind="X", period_start=0, period_end=sale.created_at, now=sale.created_at
    )
    document = report_document(report, store_name="S", terminal_id="T")
    assert Row("To", f"{minute} {abbreviation}") in document.blocks


# -- days: searches, exports and reports follow the configured zone ---------------------------


def add_entry(journal: Journal, at_ms: int) -> str:
    entry = journal.add(
        NewEntry(
            kind="1voucher.purchase",
            build_request=lambda ref: b"{}",
            store_id="S1",
            terminal_id="T1",
            amount=5000,
        ),
        now=at_ms,
    )
    return entry.reference


@pytest.mark.parametrize(
    ("zone", "midnight"),
    [
        (None, (2026, 11, 29, 22, 0)),  # Johannesburg's midnight, 30 November, in UTC
        ("America/New_York", (2026, 11, 30, 5, 0)),
    ],
)
def test_search_export_and_report_days_are_the_configured_zones(
    machine_zone: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    zone: str | None,
    midnight: tuple[int, int, int, int, int],
) -> None:
    boundary = ms(*midnight)
    journal_path = tmp_path / "j-training.sqlite3"
    config = config_file(tmp_path, f'timezone = "{zone}"\n' if zone else "")
    with Journal.open(journal_path) as journal:
        before = add_entry(journal, boundary - 1)  # 23:59:59.999 on the 29th
        after = add_entry(journal, boundary)  # 00:00:00.000 on the 30th

    def search(*days: str) -> list[str]:
        capsys.readouterr()
        argv = ["--config", str(config), "journal", "search"]
        argv += [*(["--from", days[0]] if days[0] else []), *(["--to", days[1]] if days[1] else [])]
        assert main([*argv, "--json"]) == 0
        return [e["reference"] for e in json.loads(capsys.readouterr().out)["entries"]]

    assert search("2026-11-29", "2026-11-29") == [before]
    assert search("2026-11-30", "2026-11-30") == [after]
    assert search("2026-11-30", "") == [after]
    assert sorted(search("", "2026-11-30")) == sorted([before, after])

    capsys.readouterr()
    assert (
        main(["--config", str(config), "journal", "export", "--csv", "-", "--from", "2026-11-30"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["reference"], r["created"]) for r in rows] == [(after, "2026-11-30 00:00:00")]

    # a report whose period runs from the one sale to the other spans the zone's midnight
    with Journal.open(journal_path) as journal:
        entries = journal.search(limit=10)
    report = build_report(
        entries, [], kind="X", period_start=boundary - 60_000, period_end=boundary, now=boundary
    )
    rows_shown = {
        b.label: b.value
        for b in report_document(report, store_name="S", terminal_id="T").blocks
        if isinstance(b, Row)
    }
    name = expected(boundary, zone or clock.DEFAULT_ZONE, "%Z")
    assert rows_shown["From"] == f"2026-11-29 23:59 {name}"
    assert rows_shown["To"] == f"2026-11-30 00:00 {name}"


# -- the screens, drawn ------------------------------------------------------------------------


async def test_the_journal_screen_shows_the_configured_zone(
    machine_zone: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Journal screen, at 80x24: its result row, the entry's details and the receipt."""
    monkeypatch.setenv("TILL_TILL__TIMEZONE", "Pacific/Auckland")
    async with till_app(tmp_path) as t, t.app.run_test(size=(80, 24)) as pilot:
        reference = add_entry(t.journal, SALE_AT_MS)
        t.journal.settle(reference, "declined", now=SALE_AT_MS + 1_000, response_code=2204)
        await pilot.press("f7", *f"ref {reference}", "enter")
        await pilot.pause()
        results = t.app.screen.query_one("#results", OptionList)
        row = str(results.get_option_at_index(0).prompt)
        assert "11-30 03:31 " in row and reference in row
        await pilot.press("enter")
        await pilot.pause()
        details = str(t.app.screen.query_one("#journal-details", Static).render())
        assert "2026-11-30 03:31:00 NZDT" in details and "2026-11-30 03:31:01 NZDT" in details
        receipt = str(t.app.screen.query_one("#journal-receipt", Static).render())
        assert "2026-11-30 03:31:00 NZDT" in receipt
        assert machine_says(SALE_AT_MS, "%H:%M") not in details + receipt
