"""The till's config as written: one read of the TOML file, and the `TILL_` environment.

`till.config.settings` validates what is read here; `till.config.quick` reads it directly so
the first frame and the journal commands start before pydantic has even been imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from till.config.paths import default_config_path

ENV_PREFIX = "TILL_"
#: `[staff] idle_lock_seconds` when the config does not say (both reads of it agree).
DEFAULT_IDLE_LOCK_SECONDS = 300


class ConfigError(Exception):
    """A configuration problem a store manager can fix; the text names the key and the file."""


def env_name(key: str) -> str:
    """The environment variable that sets a dotted key: `flash.api_key` -> TILL_FLASH__API_KEY."""
    return ENV_PREFIX + key.replace(".", "__").upper()


class ConfigFile:
    """One read of the TOML file, so the first frame and the full validation see the same text.

    Read-only, compared by value. Not a dataclass: `till --help` imports this module, and
    importing `dataclasses` (with `inspect`) would cost it ~10 % of its start-up."""

    __slots__ = ("data", "path", "present")
    path: Path
    present: bool
    data: dict[str, Any]

    def __init__(self, path: Path, present: bool, data: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "present", present)
        object.__setattr__(self, "data", {} if data is None else data)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ConfigFile.{name} cannot be changed: read the file again")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigFile):
            return NotImplemented
        return (self.path, self.present, self.data) == (other.path, other.present, other.data)

    __hash__ = None  # type: ignore[assignment]  # its data is a dict, as a dataclass's would be

    def __repr__(self) -> str:
        return f"ConfigFile(path={self.path!r}, present={self.present!r}, data={self.data!r})"

    @property
    def where(self) -> str:
        """How error messages name the file."""
        return str(self.path) if self.present else f"{self.path} (not present)"


def read_config_file(path: Path | None = None) -> ConfigFile:
    """PATH, or the default file if it exists; a PATH given but missing is an error."""
    import tomllib  # here: `till --help` reads no config

    file_path = (path or default_config_path()).expanduser()
    if not file_path.is_file():
        if path is not None:
            raise ConfigError(f"config file {file_path} does not exist")
        return ConfigFile(file_path, present=False)
    try:
        data = tomllib.loads(file_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {file_path} cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file_path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {file_path} is not UTF-8 text") from None
    return ConfigFile(file_path, present=True, data=data)
