"""Sandbox throughput: 1Voucher purchases per second the sandbox serves under uvicorn.

The server runs in its own process exactly as `till sandbox` runs it (`till.sandbox.serve`). The
load comes from a lean raw-socket HTTP/1.1 client (keep-alive, pipelined, several processes):
an httpx client tops out near 300 req/s here and would measure itself. The baseline is the same
client against a trivial ASGI app under the same uvicorn settings that reads the body and answers
a fixed 1Voucher-sized JSON: the client's own ceiling on this machine, in this run. Rounds
alternate sandbox and trivial so noise lands on both. Target: >= 1,500 purchases/s.

    python -m bench.sandbox_throughput [--duration 5] [--rounds 2] [--workers 2]
        [--connections 4] [--depth 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx

from bench._common import header, median, target_line

TARGET_RPS = 1500.0
MODULE = "bench.sandbox_throughput"
PATH = "/aggregation/4.0/1voucher/purchase"
ACCOUNT = "SANDBOX01"
API_KEY = "sandbox-key"
#: What the trivial server answers: the size and shape of a real sandbox 1Voucher approval.
FIXED_BODY = json.dumps(
    {
        "responseCode": 0,
        "responseMessage": "Success",
        "accountNumber": ACCOUNT,
        "reference": "S1-T1-TRIV-1",
        "transactionDate": "2026-01-01T12:00:00+02:00",
        "transactionId": 100001,
        "metadata": {},
        "storeId": "S1",
        "terminalId": "T1",
        "amount": 5000,
        "voucher": {
            "amount": 5000,
            "expiryDate": "2029-01-01T12:00:00+02:00",
            "pin": "1568416432208836",
            "serialNumber": "200000000001",
            "status": "Active",
            "content": {
                "redemptionInstructions": "Redeem at any 1Voucher merchant or online with the "
                "16-digit PIN.",
                "termsAndConditions": "Flash sandbox: training data only, no real value.",
            },
        },
    },
    separators=(",", ":"),
).encode()


# -- the servers (each run in its own process) ---------------------------------------------------


async def trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The cheapest honest HTTP endpoint: read the whole body, answer fixed JSON."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(FIXED_BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": FIXED_BODY})


def serve(kind: str, port: int) -> None:
    if kind == "sandbox":
        from till.sandbox import Sandbox
        from till.sandbox import serve as serve_sandbox

        serve_sandbox(Sandbox(seed=1, float_cents=10**15), host="127.0.0.1", port=port)
    else:
        import uvicorn

        # The same settings till.sandbox.runner gives uvicorn.
        uvicorn.Server(
            uvicorn.Config(
                trivial_app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        ).run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(kind: str, log_dir: str) -> Iterator[int]:
    """Start a server process and wait until it accepts connections; yields its port."""
    port = free_port()
    log_path = os.path.join(log_dir, f"{kind}.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", MODULE, "--serve", kind, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(log_path) as f:
                        raise RuntimeError(f"{kind} server did not start:\n{f.read()}") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the load generator ---------------------------------------------------------------------------


@dataclass
class _Conn:
    sock: socket.socket
    tag: str
    sent: int = 0
    buffer: bytes = b""


def _request(port: int, token: str, reference: str) -> bytes:
    body = (
        f'{{"reference":"{reference}","accountNumber":"{ACCOUNT}","amount":500,'
        f'"storeId":"S1","terminalId":"T1"}}'
    ).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def _responses(conn: _Conn) -> Iterator[bool]:
    """Complete responses in the buffer: True for an HTTP 200 approval, False otherwise."""
    while True:
        end = conn.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = conn.buffer[:end].lower()
        at = head.find(b"content-length:")
        if at < 0:
            raise RuntimeError("response without content-length")
        line_end = head.find(b"\r\n", at)
        length = int(head[at + 15 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        if len(conn.buffer) < total:
            return
        body = conn.buffer[end + 4 : total]
        conn.buffer = conn.buffer[total:]
        yield head.startswith(b"http/1.1 200") and b'"responseCode":0' in body


def load_worker(
    worker: int,
    port: int,
    token: str,
    connections: int,
    depth: int,
    start_at: float,
    warmup: float,
    duration: float,
    out: Connection,
) -> None:
    """Keep `depth` requests in flight on each connection; count answers in the window."""
    selector = selectors.DefaultSelector()
    conns = []
    for c in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock, f"B{os.getpid()}w{worker}c{c}")
        conns.append(conn)
    while time.time() < start_at:
        time.sleep(0.001)
    count_from = time.monotonic() + warmup
    stop_at = count_from + duration
    ok = bad = 0

    def send(conn: _Conn, n: int) -> None:
        batch = b"".join(_request(port, token, f"{conn.tag}-{conn.sent + i}") for i in range(n))
        conn.sent += n
        conn.sock.sendall(batch)

    for conn in conns:
        send(conn, depth)
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    now = time.monotonic()
    while now < stop_at:
        for key, _ in selector.select(timeout=1.0):
            conn = key.data
            data = conn.sock.recv(262144)
            if not data:
                raise RuntimeError("server closed the connection")
            conn.buffer += data
            done = 0
            counting = time.monotonic() >= count_from
            for approved in _responses(conn):
                done += 1
                if counting:
                    if approved:
                        ok += 1
                    else:
                        bad += 1
            if done:
                send(conn, done)
        now = time.monotonic()
    for conn in conns:
        conn.sock.close()
    out.send((ok, bad))
    out.close()


def fetch_token(port: int) -> str:
    response = httpx.post(
        f"http://127.0.0.1:{port}/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {API_KEY}"},
    )
    return str(response.json()["access_token"]) if response.status_code == 200 else "none"


def measure(
    port: int, token: str, *, workers: int, connections: int, depth: int, duration: float
) -> tuple[float, int]:
    """Requests/s answered (approved) across all workers, and how many answers were not."""
    ctx = mp.get_context("spawn")
    start_at = time.time() + 1.0  # let every worker connect first
    pipes = []
    procs = []
    for w in range(workers):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=load_worker,
            args=(w, port, token, connections, depth, start_at, 1.0, duration, child),
        )
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    ok = bad = 0
    for parent, proc in zip(pipes, procs, strict=True):
        a, b = parent.recv()
        ok += a
        bad += b
        proc.join()
    return ok / duration, bad


def run(args: argparse.Namespace) -> bool:
    results: dict[str, list[float]] = {"sandbox": [], "trivial": []}
    errors = 0
    with (
        tempfile.TemporaryDirectory(prefix="bench-tput-") as tmp,
        server_process("sandbox", tmp) as sandbox_port,
        server_process("trivial", tmp) as trivial_port,
    ):
        token = fetch_token(sandbox_port)
        ports = {"sandbox": sandbox_port, "trivial": trivial_port}
        for r in range(args.rounds):
            order = ("trivial", "sandbox") if r % 2 == 0 else ("sandbox", "trivial")
            for kind in order:
                rps, bad = measure(
                    ports[kind],
                    token,
                    workers=args.workers,
                    connections=args.connections,
                    depth=args.depth,
                    duration=args.duration,
                )
                if kind == "sandbox":
                    errors += bad
                results[kind].append(rps)
                print(f"   round {r + 1} {kind:8} {rps:8.0f} req/s  (non-approvals {bad})")

    sandbox_rps = median(results["sandbox"])
    trivial_rps = median(results["trivial"])
    header("sandbox throughput: approved 1Voucher purchases/s under uvicorn, own process")
    print(
        f"   load: {args.workers} client processes x {args.connections} keep-alive connections"
        f" x {args.depth} pipelined; {args.rounds} rounds of {args.duration:.0f} s each"
    )
    print(f"   sandbox (median of rounds)      {sandbox_rps:8.0f} purchases/s")
    print(f"   trivial ASGI (client ceiling)   {trivial_rps:8.0f} req/s")
    print(f"   ratio sandbox/trivial: {sandbox_rps / trivial_rps:.3f}x")
    print(f"   sandbox answers that were not approvals: {errors}")
    ok = sandbox_rps >= TARGET_RPS and errors == 0
    print(target_line("sandbox throughput", f"{sandbox_rps:.0f}/s", f">= {TARGET_RPS:.0f}/s", ok))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per process")
    parser.add_argument("--depth", type=int, default=8, help="pipelined requests per connection")
    parser.add_argument("--serve", choices=("sandbox", "trivial"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    run(args)


if __name__ == "__main__":
    main()
