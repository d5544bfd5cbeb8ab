"""The commands that only read the journal read the config quickly (no pydantic) when they can
be sure of what they read, and validate it first when they cannot (issue 12, start-up).

`read_for_readers` must answer None or exactly what validation says (`ReaderView.of`), as the
first frame's quick read must; for ordinary configs it must answer, or the fast start never
happens. What the commands then do is the same either way: the same journal, zone and log file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_firstframe import ORDINARY, configs, environment
from till import clock, logfile
from till.cli import main
from till.config import ConfigError, load_settings
from till.config.paths import default_log_path
from till.config.quick import ReaderView, read_for_readers
from till.config.sources import ConfigFile
from till.journal import Journal


def both(data: dict[str, Any], env: dict[str, str]) -> tuple[ReaderView | None, ReaderView | str]:
    """(the quick read, ReaderView.of the validated settings or the ConfigError's text)."""
    config_file = ConfigFile(Path("/nonexistent/till.toml"), present=True, data=data)
    with environment(env):
        quick = read_for_readers(config_file)
        try:
            full: ReaderView | str = ReaderView.of(load_settings(config_file, need_flash=False))
        except ConfigError as exc:
            full = str(exc)
    return quick, full


def test_an_ordinary_config_is_read_exactly() -> None:
    data = {**ORDINARY, "till": {**ORDINARY["till"], "timezone": "Europe/London"}}
    data["log"] = {"path": "/var/log/till/till.log", "level": "WARNING"}
    quick, full = both(data, {})
    assert quick is not None, "an ordinary config must take the fast path"
    assert quick == full
    assert quick.timezone == "Europe/London"
    assert quick.log.path == Path("/var/log/till/till.log") and quick.log.level == "warning"
    assert quick.log.key == "k-test"  # the environment's key, to be redacted from the log


def test_the_defaults() -> None:
    quick, full = both({"till": {"store_id": "S1", "terminal_id": "T1"}}, {})
    assert quick is not None and quick == full
    assert quick.timezone == clock.DEFAULT_ZONE
    assert quick.log.path == default_log_path() and quick.log.level == "info"


@pytest.mark.parametrize(
    ("data", "env"),
    [
        ({**ORDINARY, "till": {**ORDINARY["till"], "timezone": "Mars/Olympus"}}, {}),
        ({**ORDINARY, "till": {**ORDINARY["till"], "timezone": 2}}, {}),
        ({**ORDINARY, "log": {"level": "loud"}}, {}),
        ({**ORDINARY, "log": {"path": "/var/log/.."}}, {}),
        ({**ORDINARY, "log": {"path": 7}}, {}),
        (ORDINARY, {"TILL_LOG": '{"level": "debug"}'}),  # a JSON section
        ({**ORDINARY, "staff": {"idle_lock_seconds": 300.0}}, {}),  # the first frame's doubt
    ],
)
def test_what_it_cannot_be_sure_of_goes_to_validation(
    data: dict[str, Any], env: dict[str, str]
) -> None:
    quick, _ = both(data, env)
    assert quick is None


def test_a_key_file_is_left_to_validation(tmp_path: Path) -> None:
    """Validation reads `api_key_file` (and refuses one it cannot read): the quick read does not
    read it a second way. A key that is not text is validation's to refuse."""
    key = tmp_path / "key"
    key.write_text("k-from-file\n")
    with environment({}):
        del os.environ["TILL_FLASH__API_KEY"]
        for flash in ({"api_key_file": str(key)}, {"api_key": 12345}):
            data = {**ORDINARY, "flash": {"account_number": "ACC1", **flash}}
            config_file = ConfigFile(Path("/nonexistent/till.toml"), present=True, data=data)
            assert read_for_readers(config_file) is None
        data = {**ORDINARY, "flash": {"api_key_file": str(key)}}
        config_file = ConfigFile(Path("/nonexistent/till.toml"), present=True, data=data)
        assert ReaderView.of(load_settings(config_file, need_flash=False)).log.key == "k-from-file"


timezones = (
    st.sampled_from(["Africa/Johannesburg", "UTC", "America/New_York"]),
    st.sampled_from(["", "Nowhere/Town", "../etc/passwd", "localtime", 5]),
)
levels = (
    st.sampled_from(["debug", "INFO", "Warning", "error"]),
    st.sampled_from(["", "verbose", " info", 3]),
)
log_paths = (
    st.sampled_from(["/var/log/till/till.log", "~/till.log", "rel/till.log"]),
    st.sampled_from(["", ".", "..", "/", 7]),
)
keys = (st.sampled_from(["k-1", "A" * 40]), st.sampled_from(["", "has space", 9]))


@st.composite
def reader_configs(draw: st.DrawFn, *, odd: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The first frame's configs, plus what only the readers read: zone, log and key."""
    data, env, _ = draw(configs(odd=odd))

    def value(pair: tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]) -> Any:
        return draw(st.one_of(pair[0], pair[1]) if odd else pair[0])

    if draw(st.booleans()) and isinstance(data.get("till"), dict):
        data["till"] = {**data["till"], "timezone": value(timezones)}
    log = {name: value(pair) for name, pair in (("level", levels), ("path", log_paths))}
    data["log"] = {k: v for k, v in log.items() if draw(st.booleans())}
    if draw(st.booleans()):
        env["TILL_FLASH__API_KEY"] = str(value(keys))
    if odd and draw(st.booleans()):
        env["TILL_LOG__LEVEL"] = str(value(levels))
    return data, env


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reader_configs(odd=False))
def test_ordinary_configs_take_the_fast_path_and_agree(
    config: tuple[dict[str, Any], dict[str, str]],
) -> None:
    quick, full = both(*config)
    assert isinstance(full, ReaderView), full
    assert quick == full


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reader_configs(odd=True))
def test_the_quick_read_never_disagrees_with_validation(
    config: tuple[dict[str, Any], dict[str, str]],
) -> None:
    quick, full = both(*config)
    if quick is not None and isinstance(full, ReaderView):
        assert quick == full
    if quick is not None and isinstance(full, str):
        # Refused by validation, but read: only for a key the readers do not use (an id's
        # spelling, a screen key, the API key's characters), never one they act on.
        for used in ("journal.path", "till.timezone", "log.path", "log.level"):
            assert used not in full, full


# -- the commands, either way ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def default_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands below set the till's zone for the process: it is put back after each."""
    monkeypatch.setattr(clock, "_configured", clock.DEFAULT_ZONE)


def _journal(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    journal = tmp_path / "j.sqlite3"
    Journal.open(journal).close()
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\ntimezone = "America/New_York"\n'
        f'[journal]\npath = "{journal}"\n{extra}'
    )
    return config, journal


@pytest.mark.parametrize("extra", ["", "[staff]\nidle_lock_seconds = 300.0\n"])
def test_the_zone_and_the_log_are_set_either_way(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
) -> None:
    """Quick (no [staff] doubt) or validated, a reader shows times in the till's zone and logs
    to its file, as `load_settings` would have set them."""
    log = tmp_path / "logs" / "till.log"
    monkeypatch.setenv("TILL_LOG__PATH", str(log))
    config, _ = _journal(tmp_path, extra)
    assert main(["--config", str(config), "journal", "list"]) == 0
    assert "No matching journal entries." in capsys.readouterr().out
    assert clock.configured_zone() == "America/New_York"
    assert log.is_file() and logfile.problem() is None


def test_a_bad_zone_is_the_config_error_it_always_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = _journal(tmp_path)
    config.write_text(config.read_text().replace("America/New_York", "Mars/Olympus"))
    assert main(["--config", str(config), "journal", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("till: config error in ") and "till.timezone:" in err


def test_a_missing_journal_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, journal = _journal(tmp_path)
    journal.unlink()
    assert main(["--config", str(config), "journal", "list"]) == 4
    assert not journal.exists()  # a reader never makes the journal
