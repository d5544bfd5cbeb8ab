"""Shared fixtures: a fresh sandbox per test, a client wired to it, and a suite-wide log capture.

Every log record of the whole run (DEBUG and up, every logger) is kept so the last test can prove
that no API key, bearer token, PIN or utility token reached a log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support import LOG_LINES, sandbox_client, track_instances
from till import logfile
from till.config.paths import default_log_path
from till.flash import FlashClient
from till.journal import Journal
from till.sandbox import Sandbox

#: The central ledger's PostgreSQL fixtures (`pg_server`, `central_db`), for every folder.
pytest_plugins = ["tests.pg"]

# Hypothesis times every example (200 ms by default) and calls slow data generation a failure; on
# a loaded machine both fail correct tests. No test here measures speed.
settings.register_profile("till", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("till")


class _KeepEverything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            LOG_LINES.append(self.format(record))
        except Exception:  # pragma: no cover - a broken record must not break the suite
            LOG_LINES.append(repr(record.__dict__))


def pytest_configure(config: pytest.Config) -> None:
    handler = _KeepEverything(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    track_instances()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` audit what the rest of the suite did, so they run at the end."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's till config or journal."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture(autouse=True)
def till_log(private_dirs: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the till's log file goes in this test (its default place, in the private
    XDG_STATE_HOME), at DEBUG; closed after the test. The last test reads every log file the
    suite wrote, and fails on any secret in one."""
    monkeypatch.setenv("TILL_LOG__LEVEL", "debug")
    yield default_log_path()
    logfile.close()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A fresh journal file of the test's own, closed after it."""
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        yield j


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(seed=1234)
    yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[FlashClient]:
    async with sandbox_client(sandbox) as flash:
        yield flash
