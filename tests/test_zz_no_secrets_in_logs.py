"""Runs after the whole suite: no API key, bearer token, PIN or utility token reached a log:
neither a log record (every one the suite made, at DEBUG, from every logger) nor a line of any
till log file the suite wrote (each test's `[log] path`, in its private directories), rotations
included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import LOG_LINES, secrets_seen
from till.digits import format_sts_token, group_digits


def _forms() -> set[str]:
    """Every secret the suite handed out or used, as it was sent and as it is shown."""
    secrets = {s for s in secrets_seen() if len(s) >= 6}
    assert any(len(s) == 16 and s.isdigit() for s in secrets), "no PIN was issued"
    forms = set(secrets)
    forms |= {group_digits(s) for s in secrets if s.isdigit()}
    forms |= {format_sts_token(s) for s in secrets if s.isdigit()}
    return forms


#: A log file's name after ".log": nothing, or a rotation's number.
_TAILS = {"", *(f".{n}" for n in range(1, 100))}


def _log_files(root: Path) -> list[Path]:
    """Every log file under the session's temporary directory: till.log, till.log.1, ..."""
    return sorted(
        p for p in root.rglob("*.log*") if p.is_file() and p.name.split(".log", 1)[1] in _TAILS
    )


@pytest.mark.last
def test_no_secret_in_any_log_line() -> None:
    # The audit means something only if the suite logged at DEBUG and handed out secrets.
    assert any("till.flash DEBUG" in line for line in LOG_LINES)
    forms = _forms()
    text = "\n".join(LOG_LINES)
    leaked = sum(1 for s in forms if s in text)
    if leaked:  # never print the secrets themselves, not even in a failure
        pytest.fail(f"{leaked} secrets appear in the suite's log output")


@pytest.mark.last
def test_no_secret_in_any_log_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = _log_files(tmp_path_factory.getbasetemp())
    texts = {path: path.read_text(encoding="utf-8", errors="replace") for path in files}
    # The audit means something only if the till's own DEBUG lines, sales among them, reached
    # files: the screens, the one-shot commands and the engine all log there in this suite.
    assert any(" DEBUG till.flash " in text for text in texts.values()), "no log file at DEBUG"
    assert any("receipt for " in text for text in texts.values()), "no sale reached a log file"
    forms = _forms()
    leaking = [path for path, text in texts.items() if any(s in text for s in forms)]
    if leaking:  # name the files, never the secrets
        pytest.fail(f"secrets appear in {len(leaking)} log files: {[str(p) for p in leaking]}")
