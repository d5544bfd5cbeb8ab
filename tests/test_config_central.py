"""`[central]`: optional, one DSN source, and a password never in the file nor in an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from till.config import ConfigError, load_settings

from .test_config import GOOD, write


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TILL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TILL_FLASH__API_KEY", "k-secret-value")


def test_without_central_nothing_central_exists(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, GOOD)).central is None


def test_central_defaults_and_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILL_CENTRAL__PASSWORD", "s3cret-pw")
    text = GOOD + '[central]\ndsn = "host=hq.example dbname=till user=store_s0042"\n'
    central = load_settings(write(tmp_path, text)).central
    assert central is not None
    assert central.dsn == "host=hq.example dbname=till user=store_s0042"
    assert central.password is not None and central.password.get_secret_value() == "s3cret-pw"
    assert "s3cret-pw" not in repr(central)
    assert (central.batch_size, central.interval, central.sslmode) == (500, 10.0, None)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('dsn = "host=h password=hunter22 dbname=d"', "must not hold the password"),
        ('dsn = "postgresql://u:hunter22@h/d"', "must not hold the password"),
        ("batch_size = 0", "central.batch_size"),
        ('dsn = "host=h"\ndsn_file = "/etc/till/dsn"', "exactly one of dsn or dsn_file"),
        ("interval = 2.0", "exactly one of dsn or dsn_file"),
        ('dsn = "host=h"\nsslmode = "sometimes"', "central.sslmode"),
    ],
)
def test_bad_central_is_named_and_never_echoes_a_password(
    tmp_path: Path, body: str, complaint: str
) -> None:
    if "batch_size" in body:
        body += '\ndsn = "host=h"'
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, GOOD + "[central]\n" + body + "\n"))
    assert complaint in str(raised.value)
    assert "hunter22" not in str(raised.value)
