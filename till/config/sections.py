"""The config file's sections, one pydantic model each: what a till's store manager may set.

Each section refuses a key it does not know and checks its values (`till.config.checks`);
`till.config.settings` puts them together with the file and the environment.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from till import clock
from till.config.checks import (
    KEY,
    Number,
    PlainPath,
    Text,
    alnum,
    check_url,
    device_id,
)
from till.config.paths import check_journal_file, default_journal_path, default_log_path
from till.config.sources import DEFAULT_IDLE_LOCK_SECONDS

PRODUCTION_BASE_URL = "https://api.flashswitch.flash-group.com"


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
        return alnum(value, what=str(info.field_name))

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
        return check_url(value, what="base_url")

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        if value.startswith("/"):
            return value
        return check_url(value, what="token_url")

    @field_validator("account_number")
    @classmethod
    def _account(cls, value: str) -> str:
        return alnum(value, what="account_number") if value else value

    @field_validator("api_key")
    @classmethod
    def _key_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not KEY.fullmatch(value.get_secret_value()):
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
            if not KEY.fullmatch(key):
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


class PrinterSection(_Section):
    """Where receipts go. `preview` keeps them on screen (and in `preview_path` if set)."""

    kind: Literal["none", "preview", "usb", "serial", "network", "file", "cups"] = "preview"
    #: python-escpos capability profile: sets the columns (42 or 48 on 80 mm, 32 on 58 mm).
    profile: Annotated[str, Text] = "default"
    columns: Annotated[int | None, Number] = Field(default=None, ge=16, le=80)
    usb_vendor_id: Annotated[int | None, BeforeValidator(device_id)] = Field(
        default=None, ge=0, le=0xFFFF
    )
    usb_product_id: Annotated[int | None, BeforeValidator(device_id)] = Field(
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

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value != "default":  # the default needs no look-up (nor python-escpos's load)
            from receipts.escpos import unknown_profile

            problem = unknown_profile(value)
            if problem is not None:
                raise ValueError(problem)
        return value

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
