"""Runs after the whole suite: no API key, bearer token, PIN or utility token reached a log."""

from __future__ import annotations

import pytest

from tests.support import LOG_LINES, secrets_seen
from till.digits import format_sts_token, group_digits


@pytest.mark.last
def test_no_secret_in_any_log_line() -> None:
    secrets = {s for s in secrets_seen() if len(s) >= 6}
    # The audit means something only if the suite logged at DEBUG and handed out secrets.
    assert any("till.flash DEBUG" in line for line in LOG_LINES)
    assert any(len(s) == 16 and s.isdigit() for s in secrets), "no PIN was issued"
    forms = set(secrets)
    forms |= {group_digits(s) for s in secrets if s.isdigit()}
    forms |= {format_sts_token(s) for s in secrets if s.isdigit()}
    text = "\n".join(LOG_LINES)
    leaked = sum(1 for s in forms if s in text)
    if leaked:  # never print the secrets themselves, not even in a failure
        pytest.fail(f"{leaked} secrets appear in the suite's log output")
