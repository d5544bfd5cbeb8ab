"""The first frame's quick read of the config agrees with pydantic, or stands aside.

`read_first_frame` lets the screens paint before the config is validated; the app then checks
`FirstFrame.of(settings) == first` and stops if not. These tests hold the reader to that: for any
file and environment, it returns None or exactly what validation says, and for ordinary configs
it answers (otherwise the fast start never happens).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from till.commands.screens import DEMO_FORCED, DEMO_IDENTITY
from till.config import ConfigError, load_settings
from till.config.quick import FirstFrame, read_first_frame
from till.config.sources import ConfigFile, read_config_file


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Exactly these TILL_ variables (and an API key) for the block, then the old environment."""
    saved = {name: value for name, value in os.environ.items() if name.lower().startswith("till_")}
    for name in saved:
        del os.environ[name]
    os.environ.update({"TILL_FLASH__API_KEY": "k-test", **values})
    try:
        yield
    finally:
        for name in [n for n in os.environ if n.lower().startswith("till_")]:
            del os.environ[name]
        os.environ.update(saved)


def both(
    data: dict[str, Any],
    env: dict[str, str],
    *,
    demo: bool = False,
) -> tuple[FirstFrame | None, FirstFrame | str]:
    """(the quick read, FirstFrame.of the validated settings or the ConfigError's text)."""
    config_file = ConfigFile(Path("/nonexistent/till.toml"), present=True, data=data)
    defaults, forced = (DEMO_IDENTITY, DEMO_FORCED) if demo else (None, None)
    with environment(env):
        quick = read_first_frame(config_file, defaults=defaults, forced=forced)
        try:
            full: FirstFrame | str = FirstFrame.of(
                load_settings(config_file, defaults=defaults, forced=forced)
            )
        except ConfigError as exc:
            full = str(exc)
    return quick, full


ORDINARY: dict[str, Any] = {
    "till": {"store_id": "S0042", "terminal_id": "T01", "store_name": "Corner Shop"},
    "flash": {"account_number": "ACC123"},
    "journal": {"path": "/var/lib/till/journal.sqlite3"},
    "keys": {"sell": "f1", "journal": "f12"},
    "staff": {"enabled": True, "idle_lock_seconds": 120},
}


def test_an_ordinary_config_is_read_exactly() -> None:
    quick, full = both(ORDINARY, {})
    assert quick is not None, "an ordinary config must take the fast path"
    assert quick == full
    assert quick.keys == {"sell": "f1", "journal": "f12"}
    assert quick.journal_path == Path("/var/lib/till/journal.sqlite3")
    assert quick.staff_enabled and quick.idle_lock_seconds == 120


def test_the_demo_without_a_file() -> None:
    with environment({}):
        quick = read_first_frame(
            ConfigFile(Path("/nonexistent/till.toml"), present=False),
            defaults=DEMO_IDENTITY,
            forced=DEMO_FORCED,
        )
    assert quick is not None
    assert (quick.store_id, quick.terminal_id, quick.store_name) == (
        "DEMO01",
        "TILL01",
        "Demo Store",
    )
    assert quick.training
    assert quick.journal_path.name == "journal-training.sqlite3"  # never the live journal


def test_environment_beats_the_file_in_any_case() -> None:
    quick, full = both(
        ORDINARY, {"till_till__store_name": "Night Shift", "TILL_TRAINING__ENABLED": "yes"}
    )
    assert quick is not None and quick == full
    assert quick.store_name == "Night Shift" and quick.training
    assert quick.journal_path.name == "journal-training.sqlite3"


@pytest.mark.parametrize(
    ("data", "env"),
    [
        ({**ORDINARY, "till": {"store_id": 42, "terminal_id": "T1"}}, {}),  # not text
        (ORDINARY, {"TILL_TILL": '{"store_id": "S9", "terminal_id": "T9"}'}),  # a JSON section
        (ORDINARY, {"TILL_TRAINING__ENABLED": "maybe"}),
        (ORDINARY, {"TILL_STAFF__IDLE_LOCK_SECONDS": "2 minutes"}),
        ({"till": "S1"}, {}),  # a section that is not a table
        ({}, {}),  # no store or till id: "is required" comes from validation
    ],
)
def test_what_it_cannot_be_sure_of_goes_to_validation_first(
    data: dict[str, Any], env: dict[str, str]
) -> None:
    quick, _ = both(data, env)
    assert quick is None


@pytest.mark.parametrize("path", ["", ".", "..", "/"])
def test_a_journal_path_validation_refuses_is_never_read_quickly(path: str) -> None:
    """The quick read's journal is opened (and locked) before validation: it must be one
    validation accepts, or the quick read stands aside and the error comes first."""
    quick, full = both({**ORDINARY, "journal": {"path": path}}, {})
    assert quick is None
    assert isinstance(full, str) and "journal.path: must name the journal file" in full


def test_unrelated_till_variables_are_ignored() -> None:
    quick, full = both(ORDINARY, {"TILL_SOMETHING_ELSE": "x", "TILLER": "y"})
    assert quick is not None and quick == full


def test_the_file_is_read_once_and_errors_name_it(tmp_path: Path) -> None:
    path = tmp_path / "till.toml"
    path.write_text("[till\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        read_config_file(tmp_path / "missing.toml")
    path.write_bytes(b'[till]\nstore_name = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_config_file(path)


# -- any file and environment: None, or what validation says ------------------------------------


#: (ordinary values, odd ones) per key: the odd ones are wrong, or not what pydantic reads alike.
ids = (st.sampled_from(["S1", "T01", "ABC123"]), st.sampled_from(["bad id!", "X" * 20, 42]))
names = (st.sampled_from(["Corner Shop", ""]), st.sampled_from([5, True]))
flags = (
    st.one_of(st.booleans(), st.sampled_from(["true", "FALSE", "yes", "0", "on", "t", "N"])),
    st.sampled_from(["maybe", "", 2, 1.0]),
)
seconds = (
    st.one_of(st.integers(15, 86_400), st.sampled_from(["300", "+60"])),
    st.sampled_from([10, "1e3", " 90", 300.0, True, "x"]),
)
key_names = (st.sampled_from(["f1", "f12", "ctrl+r"]), st.sampled_from(["", 5, True]))
paths = (
    st.sampled_from(["/tmp/till-j/journal.sqlite3", "~/till/j.db", "rel/j.sqlite3"]),
    st.sampled_from(["", ".", "/", 7]),
)
Values = tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]
FIELDS: dict[str, dict[str, Values]] = {
    "training": {"enabled": flags},
    "staff": {"enabled": flags, "idle_lock_seconds": seconds},
    "keys": {"sell": key_names, "journal": key_names},
    "journal": {"path": paths},
}
ENV: dict[str, Values] = {
    "TILL_TILL__STORE_ID": ids,
    "till_till__terminal_id": ids,
    "TILL_TILL__STORE_NAME": names,
    "TILL_TRAINING__ENABLED": flags,
    "TILL_STAFF__ENABLED": flags,
    "TILL_STAFF__IDLE_LOCK_SECONDS": seconds,
    "TILL_KEYS__SELL": key_names,
    "TILL_JOURNAL__PATH": paths,
}


@st.composite
def configs(draw: st.DrawFn, *, odd: bool) -> tuple[dict[str, Any], dict[str, str], bool]:
    """A file and an environment; with `odd`, any value may be wrong or unusual."""

    def value(pair: Values) -> st.SearchStrategy[Any]:
        return st.one_of(pair[0], pair[1]) if odd else pair[0]

    data: dict[str, Any] = {"flash": {"account_number": "ACC1"}}
    optional = {"store_name": value(names)}
    if odd:
        optional |= {"store_id": value(ids), "terminal_id": value(ids), "nonsense": value(names)}
        data["till"] = draw(st.fixed_dictionaries({}, optional=optional))
    else:
        required = {"store_id": value(ids), "terminal_id": value(ids)}
        data["till"] = draw(st.fixed_dictionaries(required, optional=optional))
    for section, fields in FIELDS.items():
        chosen = draw(st.fixed_dictionaries({}, optional={k: value(v) for k, v in fields.items()}))
        if chosen:
            data[section] = chosen
    env_names = draw(st.lists(st.sampled_from(sorted(ENV)), max_size=3, unique=True))
    env = {name: str(draw(value(ENV[name]))) for name in env_names}
    if odd and draw(st.booleans()):
        env["TILL_TILL"] = draw(st.sampled_from(['{"store_id": "J1", "terminal_id": "J2"}', "S1"]))
    return data, env, draw(st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(odd=False))
def test_ordinary_configs_take_the_fast_path_and_agree(
    config: tuple[dict[str, Any], dict[str, str], bool],
) -> None:
    data, env, demo = config
    quick, full = both(data, env, demo=demo)
    assert isinstance(full, FirstFrame), full
    assert quick == full


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(odd=True))
def test_the_quick_read_never_disagrees_with_validation(
    config: tuple[dict[str, Any], dict[str, str], bool],
) -> None:
    data, env, demo = config
    quick, full = both(data, env, demo=demo)
    if quick is not None and isinstance(full, FirstFrame):
        assert quick == full
    if quick is not None and isinstance(full, str):  # refused, but the first frame was drawn:
        assert "journal.path" not in full  # never on a journal it should not have opened
