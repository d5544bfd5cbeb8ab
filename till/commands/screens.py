"""`till` and `till demo` without `--script`: the screens, painted from a quick read of the
config and validated behind the first frame; one till program per journal."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from till.commands.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, journal_status

if TYPE_CHECKING:
    from till.config.quick import PendingSettings
    from till.config.settings import Settings

#: A store and till for the demo when no config file exists (training mode only).
DEMO_FORCED: dict[str, dict[str, object]] = {
    "training": {"enabled": True},
    "printer": {"kind": "preview"},
}
DEMO_IDENTITY: dict[str, dict[str, object]] = {
    "till": {"store_id": "DEMO01", "terminal_id": "TILL01", "store_name": "Demo Store"}
}


def start_screens(config: Path | None, *, demo: bool) -> int:
    """`till` and `till demo`: the screens paint from the config file as read, and validate it
    in the background before anything is sold; a config the quick read cannot be sure of is
    validated first, so its error comes before any screen."""
    from till.config.quick import PendingSettings, read_first_frame
    from till.config.sources import read_config_file

    defaults, forced = (DEMO_IDENTITY, DEMO_FORCED) if demo else (None, None)
    config_file = read_config_file(config)

    def validate() -> Settings:
        from till.config.settings import load_settings  # pydantic: ~0.1 s to import

        return load_settings(config_file, defaults=defaults, forced=forced)

    from till.instance import TillAlreadyOpen, only_instance

    first = read_first_frame(config_file, defaults=defaults, forced=forced)
    settings: Settings | PendingSettings
    if first is None:
        from till.runtime import journal_path

        settings = validate()
        journal = journal_path(settings)
    else:
        settings, journal = PendingSettings(first, validate), first.journal_path
    from till.journal import JournalFault, preflight

    try:  # a journal path the screens could never use: said here, not on a screen
        preflight(journal)
    except JournalFault as exc:
        return fail(str(exc), journal_status(exc))
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(only_instance(journal))
        except TillAlreadyOpen as exc:
            return fail(str(exc), EXIT_FAILED)
        except OSError as exc:  # the journal's directory cannot be made or written
            return fail(f"cannot open the till's files beside {journal}: {exc.strerror}")
        return run_tui(settings)


def run_tui(settings: Settings | PendingSettings) -> int:
    """The screens; imported only here so the other commands start without Textual."""
    from till.tui.app import TillApp

    app = TillApp(settings)
    app.run()
    if app.journal_fault is not None:
        return fail(str(app.journal_fault), journal_status(app.journal_fault))
    if app.config_error:
        return fail(app.config_error, EXIT_USAGE)
    return app.return_code or EXIT_OK  # a crash inside the screens is not a success
