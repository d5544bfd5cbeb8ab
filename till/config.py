"""Till configuration: defaults < TOML file < `TILL_` environment variables.

A store manager edits one TOML file per till; secrets come from the environment or a key file,
never from the file itself if it can be avoided. Every mistake becomes a `ConfigError` that names
the key and the file, so the CLI can print one clear line and exit 2.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from till import clock, logfile
from till.configfile import (
    APP_NAME,
    DEFAULT_IDLE_LOCK_SECONDS,
    ENV_PREFIX,
    ConfigError,
    ConfigFile,
    check_journal_file,
    default_config_path,
    default_data_dir,
    default_journal_path,
    default_log_path,
    env_name,
    read_config_file,
)

__all__ = [
    "APP_NAME",
    "ConfigError",
    "ConfigFile",
    "Settings",
    "default_config_path",
    "default_data_dir",
    "load_settings",
    "read_config_file",
]

PRODUCTION_BASE_URL = "https://api.flashswitch.flash-group.com"
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
#: A number written as text (from the environment): ASCII digits, maybe a sign and a point.
#: `int()`/`float()`/`Decimal()` would also take "٥٠", "５０", "1e3", "1_0" or "+5".
_NUMBER_TEXT = re.compile(r"\+?[0-9]{1,12}(?:\.[0-9]{1,6})?")
_HEX_ID = re.compile(r"(?:0[xX])?[0-9A-Fa-f]{1,4}")
#: An API key goes into an HTTP header as it is: printable ASCII, no spaces.
_KEY = re.compile(r"[!-~]{1,512}")


def _plain_number(value: object) -> object:
    """Numbers in the config: TOML's own (not true/false, not nan or inf), or text of ASCII
    digits; anything else is refused before pydantic's lax parsing can read it as a number."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value.strip(" \t")):
        raise ValueError("must be a number written with the digits 0-9, e.g. 5 or 2.5")
    return value


def _plain_text(value: object) -> object:
    """Free text (names printed on receipts and screens): no control or format characters,
    which could move a terminal's cursor or drive a receipt printer."""
    if isinstance(value, str) and any(not ch.isprintable() and ch != " " for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _plain_path(value: object) -> object:
    """A file path: no NUL or other control character (no file is named so)."""
    if isinstance(value, str | Path) and not str(value).isprintable():
        raise ValueError("must be a file path without control characters")
    return value


Number = BeforeValidator(_plain_number)
Text = BeforeValidator(_plain_text)
PlainPath = BeforeValidator(_plain_path)


def _alnum(value: str, *, what: str) -> str:
    if not _ALNUM.fullmatch(value):
        raise ValueError(f"{what} must be letters and digits only (no spaces or symbols)")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(value: str, *, what: str) -> str:
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError(f"{what} must be a URL of printable ASCII characters (got {value!r})")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        raise ValueError(f"{what} has a port that is not a number from 1 to 65535") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be a full URL such as https://host (got {value!r})")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{what} must use https: plain http is only allowed to this machine (localhost)"
        )
    return value.rstrip("/")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class TillSection(_Section):
    """Who this till is: printed on receipts and sent to Flash with every sale.

    The ids are capped so that a reference (store-terminal-epoch-sequence) stays within the 43
    characters a metadata value may hold, which is how refunds and cancels name what they undo.
    """

    store_id: str = Field(max_length=16)
    terminal_id: str = Field(max_length=12)
    store_name: Annotated[str, Text] = ""
    address_lines: list[Annotated[str, Text]] = Field(default_factory=list)
    vat_number: Annotated[str, Text] = ""
    #: The IANA zone every screen, command, receipt, report and export shows times in, and
    #: whose midnights divide the days a search or report asks for (never the machine's zone).
    timezone: str = clock.DEFAULT_ZONE

    @field_validator("store_id", "terminal_id")
    @classmethod
    def _ids_alnum(cls, value: str, info: ValidationInfo) -> str:
        return _alnum(value, what=str(info.field_name))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        clock.zone(value)  # UnknownZone (a ValueError) names the problem
        return value


class FlashSection(_Section):
    """Where Flash is and how this till proves who it is."""

    base_url: str = PRODUCTION_BASE_URL
    token_url: str = "/token"
    account_number: str = ""
    api_key: SecretStr | None = None
    api_key_file: Annotated[Path | None, PlainPath] = None
    connect_timeout: Annotated[float, Number] = Field(default=5.0, gt=0, le=120)
    read_timeout: Annotated[float, Number] = Field(default=30.0, gt=0, le=300)
    #: The revision of the Partner API v4 document this Flash speaks: "2023-04" (the April 2023
    #: document) or "2025-05" (rev 3.0 of May 2025: singular gift path, wrapped product list,
    #: reversals). `till check` says when Flash's answers fit the other one.
    api_revision: Literal["2023-04", "2025-05"] = "2025-05"

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_url(value, what="base_url")

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        if value.startswith("/"):
            return value
        return _check_url(value, what="token_url")

    @field_validator("account_number")
    @classmethod
    def _account(cls, value: str) -> str:
        return _alnum(value, what="account_number") if value else value

    @field_validator("api_key")
    @classmethod
    def _key_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _KEY.fullmatch(value.get_secret_value()):
            raise ValueError("api_key must be printable ASCII without spaces")
        return value

    @model_validator(mode="after")
    def _read_key_file(self) -> FlashSection:
        if self.api_key is None and self.api_key_file is not None:
            try:
                key = self.api_key_file.expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(
                    f"api_key_file {str(self.api_key_file)!r} cannot be read ({exc.strerror})"
                ) from None
            if not key:
                raise ValueError(f"api_key_file {str(self.api_key_file)!r} is empty")
            if not _KEY.fullmatch(key):
                raise ValueError(
                    f"api_key_file {str(self.api_key_file)!r} must hold the key alone: "
                    "printable ASCII without spaces"
                )
            self.api_key = SecretStr(key)
        return self

    def resolved_token_url(self) -> str:
        """The document gives both /token and /v4/token, so a path is joined to base_url."""
        if self.token_url.startswith("/"):
            return self.base_url + self.token_url
        return self.token_url


class JournalSection(_Section):
    path: Annotated[Path | None, PlainPath] = None

    @field_validator("path")
    @classmethod
    def _names_a_file(cls, value: Path | None) -> Path | None:
        return value if value is None else check_journal_file(value)

    def resolved_path(self) -> Path:
        return (self.path or default_journal_path()).expanduser()


def _device_id(value: object) -> object:
    """USB ids are written in hex on the printer's label: accept "0x04b8", "04b8" or 1208."""
    if isinstance(value, str):
        if not _HEX_ID.fullmatch(value.strip(" \t")):  # int(x, 16) takes "٠٤b8", "4_b8"
            raise ValueError("must be a hexadecimal USB id such as 0x04b8")
        return int(value.strip(" \t"), 16)
    return _plain_number(value)


class PrinterSection(_Section):
    """Where receipts go. `preview` keeps them on screen (and in `preview_path` if set)."""

    kind: Literal["none", "preview", "usb", "serial", "network", "file", "cups"] = "preview"
    #: python-escpos capability profile: sets the columns (42 or 48 on 80 mm, 32 on 58 mm).
    profile: Annotated[str, Text] = "default"
    columns: Annotated[int | None, Number] = Field(default=None, ge=16, le=80)
    usb_vendor_id: Annotated[int | None, BeforeValidator(_device_id)] = Field(
        default=None, ge=0, le=0xFFFF
    )
    usb_product_id: Annotated[int | None, BeforeValidator(_device_id)] = Field(
        default=None, ge=0, le=0xFFFF
    )
    serial_device: Annotated[str | None, PlainPath] = None
    baudrate: Annotated[int, Number] = Field(default=9600, ge=300, le=4_000_000)
    host: Annotated[str | None, Text] = None
    port: Annotated[int, Number] = Field(default=9100, ge=1, le=65535)
    timeout: Annotated[float, Number] = Field(default=3.0, gt=0, le=30)
    device: Annotated[str | None, PlainPath] = None
    cups_name: Annotated[str | None, Text] = None
    preview_path: Annotated[Path | None, PlainPath] = None
    #: Open the cash drawer wired to the printer after each sale's receipt.
    drawer_kick: bool = False

    @model_validator(mode="after")
    def _needs_for_kind(self) -> PrinterSection:
        needed = {
            "usb": ("usb_vendor_id", "usb_product_id"),
            "serial": ("serial_device",),
            "network": ("host",),
            "file": ("device",),
            "cups": ("cups_name",),
        }.get(self.kind, ())
        missing = [name for name in needed if getattr(self, name) in (None, "")]
        if missing:
            raise ValueError(
                f"printer.kind = {self.kind!r} needs printer.{', printer.'.join(missing)}"
            )
        return self


class StaffSection(_Section):
    """Cashier sign-in, supervisor approvals and lockouts."""

    #: true: the screens ask for a cashier id and PIN, lock when idle, and ask a supervisor to
    #: approve refunds, Cash Out PIN cancels, reprints and sales above `approval_above`.
    enabled: bool = False
    #: the users file (mode 0600); default: users.sqlite3 beside the journal.
    users_path: Annotated[Path | None, PlainPath] = None
    idle_lock_seconds: Annotated[int, Number] = Field(
        default=DEFAULT_IDLE_LOCK_SECONDS, ge=15, le=86_400
    )
    #: rands; a sale above this needs a supervisor. 0 turns the limit off.
    approval_above: Annotated[Decimal, Number] = Field(
        default=Decimal("1000"), ge=0, le=10_000_000, decimal_places=2
    )
    max_pin_attempts: Annotated[int, Number] = Field(default=3, ge=1, le=10)
    lockout_minutes: Annotated[int, Number] = Field(default=15, ge=1, le=1440)

    @property
    def approval_above_cents(self) -> int | None:
        """Whole cents (no float ever touches money); 0 means no limit."""
        cents = int(self.approval_above * 100)
        return cents or None


class KeysSection(_Section):
    """Remap the keys that open each screen, e.g. `sell = "f1"` (Textual key names)."""

    sell: Annotated[str | None, Text] = None
    redeem: Annotated[str | None, Text] = None
    refund: Annotated[str | None, Text] = None
    vend: Annotated[str | None, Text] = None
    cashout: Annotated[str | None, Text] = None
    journal: Annotated[str | None, Text] = None
    in_doubt: Annotated[str | None, Text] = None
    disburse: Annotated[str | None, Text] = None


class TrainingSection(_Section):
    enabled: bool = False


class LogSection(_Section):
    """The till's log file, for the store's support desk: never a PIN, token or key in it."""

    #: default: till.log in the user log directory (Linux: ~/.local/state/till/log).
    path: Path | None = None
    #: `till --log-level` overrides it for one run.
    level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _names_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and value.name in ("", ".", ".."):
            raise ValueError("must name the log file, e.g. /var/log/till/till.log")
        return value

    def resolved_path(self) -> Path:
        return (self.path or default_log_path()).expanduser()


#: libpq's sslmode values; `None` lets `till.central.connect` choose (verify-full off loopback).
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
_DSN_PASSWORD = re.compile(r"password\s*=|^postgres(?:ql)?://[^/@]*:[^/@]*@", re.IGNORECASE)


class CentralSection(_Section):
    """Head office's PostgreSQL, which every till's journal is copied to in the background.

    Without this section the till works exactly as before: nothing central exists. The DSN in the
    file never holds the password: it comes from `password_file`, `dsn_file` (a whole DSN in a
    0600 file) or the environment (TILL_CENTRAL__PASSWORD, or libpq's PGPASSWORD).
    """

    dsn: Annotated[str | None, Text] = None
    dsn_file: Annotated[Path | None, PlainPath] = None
    password_file: Annotated[Path | None, PlainPath] = None
    password: SecretStr | None = None
    sslmode: SslMode | None = None
    #: The store's AES-256-GCM key for PINs and tokens (`till central keygen` makes one).
    key_file: Annotated[Path | None, PlainPath] = None
    batch_size: Annotated[int, Number] = Field(default=500, ge=1, le=10_000)
    #: A new change is sent within ~50 ms (the uploader watches the journal file); this is the
    #: longest gap between checks in with head office when nothing changes, which keeps the
    #: till off head office's "not heard from" list.
    interval: Annotated[float, Number] = Field(default=10.0, ge=0.1, le=3600)

    @field_validator("dsn")
    @classmethod
    def _no_password_in_dsn(cls, value: str | None) -> str | None:
        if value is not None and _DSN_PASSWORD.search(value):
            raise ValueError(
                "dsn must not hold the password (the config file is not secret): put it in "
                "password_file, dsn_file or TILL_CENTRAL__PASSWORD"
            )
        return value

    @model_validator(mode="after")
    def _one_dsn(self) -> CentralSection:
        if (self.dsn is None) == (self.dsn_file is None):
            raise ValueError("[central] needs exactly one of dsn or dsn_file")
        return self


class Settings(BaseSettings):
    """The whole till configuration, validated before anything talks to Flash."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    till: TillSection
    flash: FlashSection = Field(default_factory=FlashSection)
    journal: JournalSection = Field(default_factory=JournalSection)
    printer: PrinterSection = Field(default_factory=PrinterSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    keys: KeysSection = Field(default_factory=KeysSection)
    staff: StaffSection = Field(default_factory=StaffSection)
    log: LogSection = Field(default_factory=LogSection)
    central: CentralSection | None = None

    # The parsed TOML file, and whether Flash credentials are needed; set on a throwaway
    # subclass by load_settings.
    file_data: ClassVar[dict[str, Any]] = {}
    need_flash: ClassVar[bool] = True

    @model_validator(mode="after")
    def _live_needs_credentials(self) -> Settings:
        if self.training.enabled or not self.need_flash:
            return self
        if not self.flash.account_number:
            raise ValueError("flash.account_number is required unless [training] enabled = true")
        if self.flash.api_key is None:
            raise ValueError(
                "flash.api_key is required unless [training] enabled = true: set "
                "TILL_FLASH__API_KEY or flash.api_key_file"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_settings = InitSettingsSource(settings_cls, init_kwargs=cls.file_data)
        return (init_settings, env_settings, file_settings)


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (dotted key, plain message)."""
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return key, "unknown key (check the spelling against config.example.toml)"
    if kind == "missing":
        return key, "is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    secret = "api_key" in key or key.startswith("central.")  # a DSN may hold a password
    if not secret and isinstance(value, str | int | float | bool):
        message = f"{message} (got {value!r})"
    return key, message


def load_settings(
    path: Path | ConfigFile | None = None,
    *,
    defaults: dict[str, dict[str, Any]] | None = None,
    forced: dict[str, dict[str, Any]] | None = None,
    need_flash: bool = True,
) -> Settings:
    """Load settings from PATH (or the default file if it exists) and the environment.

    PATH may be a file already read (`read_config_file`), so the screens validate the very text
    their first frame was drawn from. `defaults` fill keys that neither the file nor the
    environment set (the demo's store name); `forced` beat both (the demo is always training).
    `need_flash=False` is for commands that only read the journal, so the service desk needs
    no API key.
    """
    config_file = path if isinstance(path, ConfigFile) else read_config_file(path)
    file_data = config_file.data

    in_env = {name.lower() for name in os.environ}  # pydantic-settings ignores the case
    init: dict[str, dict[str, Any]] = {}
    for section, values in (defaults or {}).items():
        present = file_data.get(section, {})
        unset = {
            k: v
            for k, v in values.items()
            if k not in present and env_name(f"{section}.{k}").lower() not in in_env
        }
        if unset:
            init[section] = unset
    for section, values in (forced or {}).items():
        init.setdefault(section, {}).update(values)

    bound = type("BoundSettings", (Settings,), {"file_data": file_data, "need_flash": need_flash})
    try:
        settings: Settings = bound(**init)
    except SettingsError as exc:  # a section or a list from the environment that is not JSON
        section = str(exc).split('"')[1] if str(exc).count('"') >= 2 else ""
        prefix = env_name(section).lower()
        named = sorted(n for n in os.environ if n.lower().startswith(prefix)) or [prefix.upper()]
        raise ConfigError(
            f"config error in the environment: {', '.join(named)} cannot be read: a whole "
            f"section ({env_name(section)}) or a list (e.g. {env_name('till.address_lines')}) "
            "must be written as JSON, such as '[\"12 Main Rd\"]'; other keys as plain values"
        ) from None
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            key, message = _describe(dict(error))
            env = env_name(key)
            source = f" (from environment variable {env})" if env in os.environ else ""
            lines.append(f"{key}: {message}{source}" if key else message)
        where = config_file.where
        raise ConfigError(f"config error in {where}:\n  " + "\n  ".join(lines)) from None
    logfile.settings_loaded(settings)  # the `till` command logs to its file from here on
    clock.use_zone(settings.till.timezone)  # every time shown from here on is in this zone
    return settings
