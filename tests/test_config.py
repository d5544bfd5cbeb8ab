"""Configuration: sources in order, and every bad config named by key and file, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from till.cli import main
from till.config import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[1]

GOOD = """
[till]
store_id = "S0042"
terminal_id = "T01"
store_name = "Corner Shop"
[flash]
base_url = "https://api.flashswitch.flash-group.com"
account_number = "ACC123"
read_timeout = 12.5
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TILL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TILL_FLASH__API_KEY", "k-secret-value")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_file_values_over_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.till.store_id == "S0042"
    assert settings.flash.read_timeout == 12.5
    assert settings.flash.connect_timeout == 5.0  # default
    assert settings.flash.api_key is not None
    assert settings.flash.api_key.get_secret_value() == "k-secret-value"
    assert settings.flash.resolved_token_url() == "https://api.flashswitch.flash-group.com/token"


def test_environment_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILL_FLASH__READ_TIMEOUT", "20")
    monkeypatch.setenv("TILL_TILL__TERMINAL_ID", "T99")
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.flash.read_timeout == 20.0
    assert settings.till.terminal_id == "T99"
    assert settings.till.store_id == "S0042"


def test_token_url_variants(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + 'token_url = "/v4/token"\n')
    assert load_settings(path).flash.resolved_token_url().endswith("/v4/token")
    path = write(tmp_path, GOOD + 'token_url = "https://auth.example.co.za/oauth/token"\n')
    assert (
        load_settings(path).flash.resolved_token_url() == "https://auth.example.co.za/oauth/token"
    )


def test_api_key_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILL_FLASH__API_KEY")
    key = tmp_path / "key"
    key.write_text("from-a-file\n")
    settings = load_settings(write(tmp_path, GOOD + f'api_key_file = "{key}"\n'))
    assert settings.flash.api_key is not None
    assert settings.flash.api_key.get_secret_value() == "from-a-file"
    assert "from-a-file" not in repr(settings)


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(REPO / "config.example.toml")
    assert settings.till.store_id == "S0042"
    assert not settings.training.enabled


def test_training_needs_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILL_FLASH__API_KEY")
    text = '[till]\nstore_id = "S1"\nterminal_id = "T1"\n[training]\nenabled = true\n'
    assert load_settings(write(tmp_path, text)).training.enabled


BAD = [
    ('[till]\nterminal_id = "T1"\n', "till.store_id", "is required"),
    ('[till]\nstore_id = "S1"\nterminal_id = "T-1"\n', "till.terminal_id", "letters and digits"),
    (GOOD.replace("https://api.flashswitch.flash-group.com", "ftp:/nope"), "flash.base_url", "URL"),
    (GOOD.replace("https://api.flashswitch", "http://api.flashswitch"), "flash.base_url", "https"),
    (GOOD + "colour = 3\n", "flash.colour", "unknown key"),
    (GOOD.replace("read_timeout = 12.5", 'read_timeout = "soon"'), "flash.read_timeout", "number"),
    (GOOD + "[printer]\nkind = 7\n", "printer.kind", "printer.kind"),
    (GOOD + '[printer]\nprofile = "POS-5890X"\n', "printer.profile", "did you mean 'POS-5890'"),
    (GOOD + '[printer]\nprofile = "no such printer"\n', "printer.profile", "docs/printers.md"),
    (GOOD + '[training]\nenabled = "maybe"\n', "training.enabled", "bool"),
    ("[till\nstore_id=", "config.toml", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD)
def test_bad_config_names_key_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert words in message
    status = main(["--config", str(path), "check"])
    assert status == 2
    err = capsys.readouterr().err
    assert key in err and str(path) in err
    assert "Traceback" not in err


def test_unreadable_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILL_FLASH__API_KEY")
    path = write(tmp_path, GOOD + f'api_key_file = "{tmp_path / "missing"}"\n')
    with pytest.raises(ConfigError, match="api_key_file") as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_live_mode_without_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILL_FLASH__API_KEY")
    with pytest.raises(ConfigError, match=r"flash\.api_key is required"):
        load_settings(write(tmp_path, GOOD))


def test_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILL_FLASH__CONNECT_TIMEOUT", "-1")
    with pytest.raises(ConfigError, match="TILL_FLASH__CONNECT_TIMEOUT"):
        load_settings(write(tmp_path, GOOD))


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_journal_readers_need_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILL_FLASH__API_KEY")
    settings = load_settings(write(tmp_path, GOOD), need_flash=False)
    assert settings.flash.api_key is None
    with pytest.raises(ConfigError, match="api_key"):
        load_settings(write(tmp_path, GOOD))


def test_a_whole_section_from_the_environment_must_be_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILL_TILL", "S1")
    with pytest.raises(ConfigError, match=r"TILL_TILL cannot be read: .* must be written as JSON"):
        load_settings(write(tmp_path, GOOD))
    monkeypatch.delenv("TILL_TILL")
    monkeypatch.setenv("TILL_TILL__ADDRESS_LINES", "12 Main Rd")  # a list, not as JSON
    with pytest.raises(
        ConfigError, match=r"^config error in the environment: TILL_TILL__ADDRESS_LINES cannot"
    ):
        load_settings(write(tmp_path, GOOD))
    monkeypatch.setenv("TILL_TILL__ADDRESS_LINES", '["12 Main Rd", "Soweto"]')
    assert load_settings(write(tmp_path, GOOD)).till.address_lines == ["12 Main Rd", "Soweto"]
    monkeypatch.delenv("TILL_TILL__ADDRESS_LINES")
    monkeypatch.setenv("TILL_TILL", '{"store_id": "S9", "terminal_id": "T9"}')
    assert load_settings(write(tmp_path, GOOD)).till.store_id == "S9"


def test_the_journal_path_must_name_a_file(tmp_path: Path) -> None:
    for bad in ("", ".", "/"):
        with pytest.raises(ConfigError, match=r"journal\.path: must name the journal file"):
            load_settings(write(tmp_path, GOOD + f'[journal]\npath = "{bad}"\n'))


def test_a_printer_profile_python_escpos_knows_is_kept(tmp_path: Path) -> None:
    """Misspelt, it stopped the screens from selling ('The till could not start: ...')."""
    for profile in ("TM-T20II", "POS-5890", "default"):
        text = GOOD + f'[printer]\nprofile = "{profile}"\n'
        assert load_settings(write(tmp_path, text)).printer.profile == profile
