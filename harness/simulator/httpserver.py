"""A minimal HTTP/1.1 server on asyncio: keep-alive, content-length and chunked bodies.

Why hand-rolled: the simulator must never be the bottleneck of a load test, and the SDKs need
only a small, well-defined slice of HTTP/1.1. One ``asyncio.Protocol`` per connection parses
requests straight out of the receive buffer; a plain reply (no latency, no fault) is written
synchronously, so the common case costs no task or coroutine at all. Timed or faulty replies run
as one task per request, and requests on a connection are answered strictly in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from harness.simulator.reply import Reply

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class HttpRequest:
    """One parsed request; header names are lower-cased."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


Handler = Callable[[HttpRequest], Reply]


def _reason(status: int) -> str:
    if status == 529:
        return "Overloaded"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _head(status: int, headers: list[tuple[str, str]], framing: str, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    lines.append(framing)
    lines.append("connection: keep-alive" if keep_alive else "connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _BadRequest(Exception):
    """Unparseable request: answer 400 and close, since framing is lost."""


def _parse_chunked(buf: bytes, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None when more bytes are needed."""
    out = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(buf[pos:eol].split(b";", 1)[0], 16)
        except ValueError as exc:
            raise _BadRequest("bad chunk size") from exc
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            return (bytes(out), end + 4) if end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos : pos + size]
        pos += size + 2
        if len(out) > MAX_BODY_BYTES:
            raise _BadRequest("body too large")


def parse_request(buf: bytes) -> tuple[HttpRequest, int, bool] | None:
    """Parse one request from the front of ``buf``: (request, bytes consumed, keep_alive)."""
    idx = buf.find(b"\r\n\r\n")
    if idx < 0:
        if len(buf) > MAX_HEAD_BYTES:
            raise _BadRequest("request head too large")
        return None
    lines = buf[:idx].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(f"bad request line {lines[0][:80]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    start = idx + 4
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parsed = _parse_chunked(buf, start)
        if parsed is None:
            return None
        body, end = parsed
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise _BadRequest("bad content-length") from exc
        if length > MAX_BODY_BYTES:
            raise _BadRequest("body too large")
        if len(buf) < start + length:
            return None
        body, end = buf[start : start + length], start + length
    conn = headers.get("connection", "").lower()
    keep_alive = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
    return HttpRequest(method, target, headers, body, time.monotonic()), end, keep_alive


class _Connection(asyncio.Protocol):
    """One client connection: parse, plan via the handler, write (in order)."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._buf = b""
        self._busy = False
        self._closed = False
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._can_write.set()
        self._server.connections.discard(self)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._busy:
            self._process()

    # -- request loop ------------------------------------------------------------------------
    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _write(self, data: bytes) -> None:
        if not self._closed and self._transport is not None:
            self._transport.write(data)

    def _process(self) -> None:
        while not self._closed and self._buf:
            try:
                parsed = parse_request(self._buf)
            except _BadRequest as exc:
                body = f'{{"error":{{"message":"bad HTTP request: {exc}","type":"invalid_request_error"}}}}'
                self._write(
                    _head(
                        400,
                        [("content-type", "application/json"), ("content-length", str(len(body)))],
                        "x-simulator: bad-request",
                        False,
                    )
                    + body.encode()
                )
                self._close()
                return
            if parsed is None:
                return
            request, consumed, keep_alive = parsed
            self._buf = self._buf[consumed:]
            reply = self._server.plan(request)
            if reply.is_plain:
                self._write_plain(reply, keep_alive)
                if not keep_alive:
                    self._close()
                    return
                continue
            self._busy = True
            self._task = asyncio.get_running_loop().create_task(self._run(reply, keep_alive))
            return

    def _close(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.close()
        self._closed = True

    def _write_plain(self, reply: Reply, keep_alive: bool) -> None:
        if reply.events is None:
            self._write(
                _head(reply.status, reply.headers, f"content-length: {len(reply.body)}", keep_alive)
                + reply.body
            )
            return
        parts = [_head(reply.status, reply.headers, "transfer-encoding: chunked", keep_alive)]
        for event in reply.events:
            parts.append(b"%x\r\n%s\r\n" % (len(event), event))
        parts.append(b"0\r\n\r\n")
        # each event is its own chunk; with no delay to honour, one write (one syscall) sends them all
        self._write(b"".join(parts))

    async def _run(self, reply: Reply, keep_alive: bool) -> None:
        try:
            done = await self._execute(reply, keep_alive)
        except asyncio.CancelledError:
            return
        except (ConnectionError, RuntimeError):
            self._close()
            return
        self._busy = False
        self._task = None
        if not done or not keep_alive:
            self._close()
            return
        self._process()

    async def _pause_until(self, target: float) -> None:
        delay = target - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(
        self, data: bytes, trickle_delay: float, trickle_size: int, chunked: bool
    ) -> None:
        """Send one piece (chunk-framed if ``chunked``), trickling it when asked."""
        pieces = [data]
        if trickle_delay > 0 and len(data) > trickle_size:
            pieces = [data[i : i + trickle_size] for i in range(0, len(data), trickle_size)]
        for n, piece in enumerate(pieces):
            if n and trickle_delay > 0:
                await asyncio.sleep(trickle_delay)
            self._write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await self._can_write.wait()
            if self._closed:
                raise ConnectionError("client went away")

    async def _execute(self, reply: Reply, keep_alive: bool) -> bool:
        """Send a timed or faulty reply; False when the connection must be closed after."""
        loop = asyncio.get_running_loop()
        if reply.hang is not None:
            await asyncio.sleep(reply.hang)
            return False
        target = loop.time()
        delays = reply.delays or []
        if reply.events is None:
            if delays:
                await self._pause_until(target + delays[0])
            body = reply.body
            if reply.disconnect_after is not None:
                self._write(
                    _head(reply.status, reply.headers, f"content-length: {len(body)}", keep_alive)
                )
                self._write(body[: reply.disconnect_after])
                return False
            self._write(
                _head(reply.status, reply.headers, f"content-length: {len(body)}", keep_alive)
            )
            await self._send(body, reply.trickle_delay, reply.trickle_size, chunked=False)
            return True
        self._write(_head(reply.status, reply.headers, "transfer-encoding: chunked", keep_alive))
        for i, event in enumerate(reply.events):
            if reply.disconnect_after is not None and i >= reply.disconnect_after:
                return False
            if i < len(delays) and delays[i] > 0:
                target += delays[i]
                await self._pause_until(target)
            await self._send(event, reply.trickle_delay, reply.trickle_size, chunked=True)
        if reply.disconnect_after is not None and reply.disconnect_after <= len(reply.events):
            return False
        self._write(b"0\r\n\r\n")
        return True


class HttpServer:
    """Serves ``plan(request) -> Reply`` on a loopback port."""

    def __init__(self, plan: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.plan = plan
        self.host = host
        self.port = port
        self.connections: set[_Connection] = set()
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.connections):
            conn.abort()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)
        self._server = None

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()


class BackgroundServer:
    """Runs an ``HttpServer`` on its own event loop in a daemon thread (for tests, demos)."""

    def __init__(self, plan: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = HttpServer(plan, host, port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self.server.port

    def start(self, timeout: float = 10.0) -> int:
        self._thread = threading.Thread(target=self._main, name="sik-llms-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"simulator did not start within {timeout}s")
        if self._error is not None:
            raise RuntimeError(f"simulator could not start: {self._error}") from self._error
        return self.port

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.server.start())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.server.close())
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
