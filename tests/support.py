"""What the suite shares outside fixtures: every sandbox and client it made, every log line, and
the waits that make a test hold on a loaded machine.

No test asserts on time. A test waits for the event or state that proves what it checks; the
deadline of each wait (`HANG_SECONDS`) only bounds a hang, so a slow machine is never a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import types
from collections.abc import Callable
from typing import Any

import pytest

import till.sandbox.server as sandbox_server
from till.flash import FlashClient
from till.journal import Journal
from till.sales import Backoff, SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, Sandbox


def sandbox_client(sandbox: Sandbox, **options: Any) -> FlashClient:
    """A Flash client that talks to `sandbox` in process (httpx's ASGI transport) as its
    merchant; `options` are FlashClient's own (an API revision, an account, timeouts)."""
    settings: dict[str, Any] = {"account_number": DEFAULT_ACCOUNT, **options}
    return FlashClient(
        base_url="http://sandbox.test",
        api_key=sandbox.api_key,
        transport=sandbox.transport(),
        **settings,
    )


#: How long any wait in the suite lasts before it is called a hang (never a measure of speed).
HANG_SECONDS = 120.0

SANDBOXES: list[Sandbox] = []
CLIENTS: list[FlashClient] = []
LOG_LINES: list[str] = []
#: Bearer tokens seen by any client, recorded as they are fetched.
BEARER_TOKENS: set[str] = set()


def track_instances() -> None:
    """Record every Sandbox and FlashClient the suite creates, whoever creates it."""
    sandbox_init = Sandbox.__init__
    client_init = FlashClient.__init__
    fetch = FlashClient._fetch_token

    def init_sandbox(self: Sandbox, *args: Any, **kwargs: Any) -> None:
        sandbox_init(self, *args, **kwargs)
        SANDBOXES.append(self)

    def init_client(self: FlashClient, *args: Any, **kwargs: Any) -> None:
        client_init(self, *args, **kwargs)
        CLIENTS.append(self)

    async def fetch_token(self: FlashClient) -> tuple[str, float]:
        token, lifetime = await fetch(self)
        BEARER_TOKENS.add(token)
        return token, lifetime

    Sandbox.__init__ = init_sandbox  # type: ignore[method-assign]
    FlashClient.__init__ = init_client  # type: ignore[method-assign]
    FlashClient._fetch_token = fetch_token  # type: ignore[method-assign]


def secrets_seen() -> set[str]:
    """Every API key, bearer token, PIN and utility token the suite handed out or used."""
    found = set(BEARER_TOKENS)
    for sandbox in SANDBOXES:
        found |= sandbox.issued_secrets()
        found.add(sandbox.api_key)
    for client in CLIENTS:
        found.add(client._api_key)
    return found


async def until(
    condition: Callable[[], object], what: str = "the condition", seconds: float = HANG_SECONDS
) -> None:
    """Let the event loop run until `condition()` holds; fail only after `seconds` (a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        await asyncio.sleep(0.005)


class ModuleAs:
    """A module as one other module sees it: the same names, a few of them replaced."""

    def __init__(self, module: types.ModuleType, **replaced: Any) -> None:
        self._module = module
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class HeldDelays:
    """The sandbox's `delay` faults, held open by the test instead of timed.

    While installed (`hold_sandbox_delays`), a request the sandbox delays records the seconds
    the fault asked for, then stays in flight, registered under its reference and uncommitted,
    until `release()`: exactly as long as the test needs, however slow the machine. Requests
    after the release pass straight through.
    """

    def __init__(self) -> None:
        #: The seconds each delayed request asked for, in order.
        self.asked: list[float] = []
        self._released = asyncio.Event()

    async def sleep(self, delay: float, result: Any = None) -> Any:
        self.asked.append(delay)
        await self._released.wait()
        return result

    def release(self) -> None:
        self._released.set()


def hold_sandbox_delays(monkeypatch: pytest.MonkeyPatch) -> HeldDelays:
    """Hold the `delay` faults of every sandbox the test runs in process (on its own event loop;
    not one `running_sandbox` serves from a thread) until the test releases them."""
    held = HeldDelays()
    monkeypatch.setattr(sandbox_server, "asyncio", ModuleAs(asyncio, sleep=held.sleep))
    return held


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The commands under `parser`, by name (argparse keeps them in a private action)."""
    return {
        name: child
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, child in action.choices.items()
    }


def make_engine(journal: Journal, client: FlashClient, **options: Any) -> SaleEngine:
    """The tests' sale engine as till S1-T1, retrying at once (1 ms backoff); `options` are
    SaleEngine's own (a cashier, a clock, a policy)."""
    return SaleEngine(
        journal,
        client,
        store_id="S1",
        terminal_id="T1",
        backoff=Backoff(base_ms=1, cap_ms=1),
        **options,
    )
