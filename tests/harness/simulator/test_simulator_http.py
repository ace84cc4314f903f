"""The HTTP layer: keep-alive, pipelining, chunked bodies, SSE chunk per event, bad requests, CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx2

from harness.simulator import Latency, Simulator, simulator_fixture
from harness.simulator.httpserver import parse_request
from harness.simulator.throughput import run_bench
from tests.conftest import ROOT

BODY = json.dumps(
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
).encode()


def _raw(port: int, data: bytes, until: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        got = b""
        while got.count(until) < 1:
            piece = sock.recv(65536)
            if not piece:
                break
            got += piece
        return got


def _post(body: bytes, extra: str = "") -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def test_keep_alive_and_pipelining_answer_in_order() -> None:
    with Simulator() as sim, socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        sock.sendall(_post(BODY) + _post(BODY) + _post(BODY, "connection: close\r\n"))
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.count(b"connection: keep-alive") == 2 and data.count(b"connection: close") == 1
    assert len(sim.requests) == 3


def test_chunked_request_body_is_accepted() -> None:
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)
    head = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    with Simulator() as sim:
        data = _raw(sim.port, head + chunked, b"}")
    assert data.startswith(b"HTTP/1.1 200 OK") and b'"chat.completion"' in data


def test_stream_is_sent_one_chunk_per_sse_event() -> None:
    with Simulator(latency=Latency(ttft=0.01, tps=1000)) as sim:
        body = json.dumps(
            {
                "model": "gpt-4o-mini",
                "stream": True,
                "messages": [{"role": "user", "content": "hi"}],
            }
        ).encode()
        data = _raw(sim.port, _post(body, "connection: close\r\n"), b"\r\n0\r\n\r\n")
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head and b"content-type: text/event-stream" in head
    chunks = []
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        chunks.append(rest[:size])
        rest = rest[size + 2 :]
    assert len(chunks) > 3 and all(c.startswith(b"data: ") and c.endswith(b"\n\n") for c in chunks)
    assert chunks[-1] == b"data: [DONE]\n\n"


def test_bad_request_line_gets_400_and_close() -> None:
    with Simulator() as sim:
        data = _raw(sim.port, b"NONSENSE\r\n\r\n", b"}")
    assert data.startswith(b"HTTP/1.1 400 Bad Request") and b"bad request line" in data


def test_parse_request_waits_for_the_whole_body() -> None:
    full = _post(BODY)
    assert parse_request(full[:-5]) is None
    parsed = parse_request(full + b"extra")
    assert (
        parsed is not None
        and parsed[0].body == BODY
        and parsed[1] == len(full)
        and parsed[2] is True
    )


def test_health_and_unknown_methods() -> None:
    with Simulator() as sim, httpx2.Client() as http:
        assert http.get(f"{sim.base_url}/health").json()["status"] == "ok"
        wrong = http.get(f"{sim.openai_base_url}/chat/completions")
        assert (
            wrong.status_code == 404
            and "Invalid URL (GET /v1/chat/completions)" in wrong.json()["error"]["message"]
        )


def test_cli_prints_base_urls_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "simulate",
            "--port",
            "0",
            "--scenario",
            "travel_agent",
            "--fault",
            "429:first=1,retry_after=0.01",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "listening on http://127.0.0.1:" in line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        assert f"base_url=http://127.0.0.1:{port}/v1" in proc.stdout.readline()  # type: ignore[union-attr]
        with httpx2.Client(timeout=5) as http:
            url = f"http://127.0.0.1:{port}/v1/chat/completions"
            assert (
                http.post(
                    url,
                    json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]},
                ).status_code
                == 429
            )
            assert (
                http.post(
                    url,
                    json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]},
                ).status_code
                == 200
            )
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0 and "stopped after 2 request(s)" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_cli_rejects_bad_input_clearly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "simulate", "--fault", "teapot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "unknown fault kind 'teapot'" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "simulate", "--scenario", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "not found; give a path or a bundled name" in result.stderr


def test_bench_smoke() -> None:
    started = time.monotonic()
    results = run_bench(seconds=0.3, connections=4)
    assert [r.name for r in results] == ["short JSON", "50-chunk stream"]
    assert all(r.requests > 0 for r in results) and time.monotonic() - started < 60


sim_from_factory = simulator_fixture(scenario="travel_agent", seed=5)


def test_fixture_factory_gives_a_running_simulator(sim_from_factory: Simulator) -> None:
    import anthropic

    client = anthropic.Anthropic(
        base_url=sim_from_factory.anthropic_base_url, api_key="k", max_retries=0
    )
    count = client.messages.count_tokens(
        model="claude-sonnet-4-6", messages=[{"role": "user", "content": "hi"}]
    )
    assert count.input_tokens > 0
    assert sim_from_factory.requests[0].path == "/v1/messages/count_tokens"


def test_provider_headers_look_like_the_real_ones() -> None:
    import anthropic
    import openai

    with Simulator() as sim:
        oa = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        first = oa.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}]
        )
        second = oa.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}]
        )
        assert (
            first.headers["x-request-id"].startswith("req_")
            and first.headers["openai-processing-ms"]
        )
        assert first.headers["content-type"] == "application/json"
        assert (
            int(second.headers["x-ratelimit-remaining-requests"])
            == int(first.headers["x-ratelimit-remaining-requests"]) - 1
        )
        an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="k", max_retries=0)
        raw = an.messages.with_raw_response.create(
            model="claude-sonnet-4-6", max_tokens=20, messages=[{"role": "user", "content": "a"}]
        )
        assert raw.headers["request-id"].startswith("req_011C")
        assert int(raw.headers["anthropic-ratelimit-requests-remaining"]) < int(
            raw.headers["anthropic-ratelimit-requests-limit"]
        )
        assert raw.parse().id.startswith("msg_01")


def test_cli_prints_azure_and_compatible_urls_and_no_validate_accepts_any_model() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "simulate", "--port", "0", "--no-validate"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = [proc.stdout.readline() for _ in range(6)]  # type: ignore[union-attr]
        port = int(lines[0].split("http://127.0.0.1:")[1].split()[0])
        azure = next(x for x in lines if x.strip().startswith("Azure:"))
        assert f"azure_endpoint=http://127.0.0.1:{port}" in azure
        assert any(f"base_url=http://127.0.0.1:{port}/<prefix>" in x for x in lines)
        assert any("validation off" in x for x in lines)
        import openai

        client = openai.AzureOpenAI(
            azure_endpoint=f"http://127.0.0.1:{port}",
            api_version="2024-10-21",
            api_key="sk-sim",
            max_retries=0,
        )
        reply = client.chat.completions.create(
            model="my-deployment", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content
        # the official path checks model names unless --no-validate: here it accepts any
        with httpx2.Client(timeout=5) as http:
            ok = http.post(
                f"http://127.0.0.1:{port}/v1/chat/completions",
                json={"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]},
            )
        assert ok.status_code == 200, ok.text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)


def test_simulator_refuses_an_unknown_model_on_the_official_path_by_default() -> None:
    with Simulator() as sim, httpx2.Client(timeout=5) as http:
        refused = http.post(
            f"{sim.openai_base_url}/chat/completions",
            json={"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]},
        )
    assert refused.status_code == 404, refused.text
