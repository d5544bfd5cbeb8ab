"""Where a till's files live: the platformdirs defaults, and the files named after the journal.

Shared by the quick read and the full validation, so both name the same files; no pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "till"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def default_journal_path() -> Path:
    """`[journal] path` when the config does not say."""
    return default_data_dir() / "journal.sqlite3"


def default_log_path() -> Path:
    """`[log] path` when the config does not say: the user log directory (Linux:
    ~/.local/state/till/log/till.log)."""
    return platformdirs.user_log_path(APP_NAME) / "till.log"


def check_journal_file(path: Path) -> Path:
    """The journal must be a file, not a directory: ValueError otherwise."""
    if path.name in ("", ".", ".."):
        raise ValueError("must name the journal file, e.g. /var/lib/till/journal.sqlite3")
    if not str(path).isprintable():
        raise ValueError("must be a file path without control characters")
    if any(len(os.fsencode(part)) > 255 for part in path.parts) or len(str(path)) > 4000:
        raise ValueError("is too long for a file path")
    return path


def journal_file(path: Path, *, training: bool) -> Path:
    """Training sales go to their own file, so they can never be resent to the real Flash."""
    return path.with_name(f"{path.stem}-training{path.suffix}") if training else path


def catalog_file(journal: Path) -> Path:
    """The product list the till caches beside its journal: the training journal's is its
    own (`catalog-training.json`), so the sandbox's products never price a live sale."""
    training = journal.stem.endswith("-training")
    return journal_file(journal.with_name("catalog.json"), training=training)
