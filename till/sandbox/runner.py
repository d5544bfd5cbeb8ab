"""Serving the sandbox over a real socket with uvicorn (blocking, or in a background thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from .server import Sandbox


def _config(sb: Sandbox, host: str, port: int, access_log: bool) -> uvicorn.Config:
    # Access log lines carry only method and path (no PIN, token or key), but stay quiet by default.
    return uvicorn.Config(
        sb.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def serve(sb: Sandbox, host: str = "127.0.0.1", port: int = 8400, access_log: bool = False) -> None:
    """Run the sandbox under uvicorn until interrupted."""
    uvicorn.Server(_config(sb, host, port, access_log)).run()


@contextmanager
def running_sandbox(
    sb: Sandbox, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 120.0
) -> Iterator[str]:
    """Run uvicorn in a background thread on a (free) port; yields the base URL."""
    server = uvicorn.Server(_config(sb, host, port, access_log=False))
    thread = threading.Thread(target=server.run, name="till-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"sandbox did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
