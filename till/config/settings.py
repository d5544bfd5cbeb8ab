"""Till configuration: defaults < TOML file < `TILL_` environment variables, validated whole.

A store manager edits one TOML file per till; secrets come from the environment or a key file,
never from the file itself if it can be avoided. Every mistake becomes a `ConfigError` that names
the key and the file, so the CLI can print one clear line and exit 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from till import clock, logfile
from till.config.sections import (
    CentralSection,
    FlashSection,
    JournalSection,
    KeysSection,
    LogSection,
    PrinterSection,
    StaffSection,
    TillSection,
    TrainingSection,
)
from till.config.sources import ENV_PREFIX, ConfigError, ConfigFile, env_name, read_config_file

__all__ = ["Settings", "load_settings"]


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

    def log_target(self) -> logfile.LogTarget:
        """What the log file opens from (`till.logfile.open_log`): its file and level, the key
        it must never show, and this till, whose references it keeps whole."""
        key = self.flash.api_key.get_secret_value() if self.flash.api_key else ""
        return logfile.LogTarget(
            path=self.log.resolved_path(),
            level=self.log.level,
            key=key,
            store_id=self.till.store_id,
            terminal_id=self.till.terminal_id,
        )

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
