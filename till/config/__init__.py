"""The till's configuration: read (`sources`, `paths`), read quickly (`quick`), validated
(`settings`, `sections`, `checks`).

The names below load on first use (PEP 562): the quick read and `ConfigError` come without
pydantic (~0.1 s to import), so `till --help`, `till journal ...` and the first frame of the
screens start without it; `Settings` and `load_settings` bring it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from till.lazy import LazyNames

if TYPE_CHECKING:
    from till.config.paths import APP_NAME, default_config_path, default_data_dir
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
    from till.config.settings import Settings, load_settings
    from till.config.sources import ConfigError, ConfigFile, read_config_file

#: Each public name -> the module that defines it.
_WHERE = {
    "APP_NAME": "till.config.paths",
    "default_config_path": "till.config.paths",
    "default_data_dir": "till.config.paths",
    "ConfigError": "till.config.sources",
    "ConfigFile": "till.config.sources",
    "read_config_file": "till.config.sources",
    "Settings": "till.config.settings",
    "load_settings": "till.config.settings",
    **{
        name: "till.config.sections"
        for name in (
            "CentralSection",
            "FlashSection",
            "JournalSection",
            "KeysSection",
            "LogSection",
            "PrinterSection",
            "StaffSection",
            "TillSection",
            "TrainingSection",
        )
    },
}

__all__ = [
    "APP_NAME",
    "CentralSection",
    "ConfigError",
    "ConfigFile",
    "FlashSection",
    "JournalSection",
    "KeysSection",
    "LogSection",
    "PrinterSection",
    "Settings",
    "StaffSection",
    "TillSection",
    "TrainingSection",
    "default_config_path",
    "default_data_dir",
    "load_settings",
    "read_config_file",
]


_lazy = LazyNames(globals(), _WHERE)


def __getattr__(name: str) -> Any:
    return _lazy.get(name)


def __dir__() -> list[str]:
    return _lazy.names()
