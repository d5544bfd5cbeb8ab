"""What the suite shares outside fixtures: every sandbox and client it made, every log line."""

from __future__ import annotations

from typing import Any

from till.flash import FlashClient
from till.sandbox import Sandbox

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
