"""Requests per second of the simulator: a short JSON answer and a 50-chunk streamed answer.

The server runs in its own process (as under a load test) with zero latency; the client is a
lean asyncio keep-alive client in this process, so the number measures the simulator, not an
SDK. Run: ``python -m harness.simulator.throughput --seconds 5 --connections 32``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from dataclasses import dataclass
from typing import Any

STREAM_WORDS = 50
BENCH_SCENARIO: dict[str, Any] = {
    "name": "bench",
    "rules": [
        {"match": {"last_user": "bench-short"}, "reply": {"text": "OK."}},
        {
            "match": {"last_user": "bench-stream"},
            "reply": {"text": " ".join(f"word{i}" for i in range(STREAM_WORDS))},
        },
    ],
}


def _serve(conn: Any) -> None:
    """Child process: run the simulator and report its port through ``conn``."""
    from harness.simulator import build_app
    from harness.simulator.httpserver import HttpServer

    app = build_app(scenario=BENCH_SCENARIO)
    app.requests = type(app.requests)(maxlen=1000)
    server = HttpServer(app.plan)

    async def main() -> None:
        conn.send(await server.start())
        await asyncio.Event().wait()

    asyncio.run(main())


def _request(port: int, stream: bool) -> bytes:
    body = json.dumps(
        {
            "model": "gpt-5.4-mini",
            "stream": stream,
            "messages": [{"role": "user", "content": "bench-stream" if stream else "bench-short"}],
        }
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer sk-bench\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _client(
    port: int, payload: bytes, stream: bool, deadline: float, counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        while time.perf_counter() < deadline:
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"bench: unexpected answer {head[:60]!r}")
            if stream:
                body = await reader.readuntil(b"\r\n0\r\n\r\n")
                if body.count(b"data: ") != STREAM_WORDS + 3:  # role + 50 words + finish + [DONE]
                    raise RuntimeError("bench: streamed answer has the wrong number of events")
            else:
                length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


@dataclass
class Result:
    name: str
    requests: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _measure(port: int, stream: bool, seconds: float, connections: int) -> Result:
    payload = _request(port, stream)
    counts = [0]
    await asyncio.gather(
        *(_client(port, payload, stream, time.perf_counter() + 0.3, [0]) for _ in range(2))
    )
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(port, payload, stream, deadline, counts) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    return Result(f"{STREAM_WORDS}-chunk stream" if stream else "short JSON", counts[0], elapsed)


def run_bench(seconds: float = 5.0, connections: int = 32) -> list[Result]:
    """Start the simulator in a child process, measure both answers, stop it."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("bench: the simulator process did not start within 30 s")
        port = parent.recv()
        return [
            asyncio.run(_measure(port, stream, seconds, connections)) for stream in (False, True)
        ]
    finally:
        proc.terminate()
        proc.join(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.simulator.throughput", description=__doc__
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per answer kind")
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent keep-alive connections"
    )
    args = parser.parse_args(argv)
    for result in run_bench(args.seconds, args.connections):
        print(
            f"{result.name:>16}: {result.rps:8.0f} req/s  ({result.requests} requests in {result.seconds:.1f} s, "
            f"{args.connections} connections, zero latency)"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
