"""Our telemetry held against the conventions on recordings: the project's cassettes and any
vcrpy cassette of a real provider call (``../shared/cassettes-real`` has 50).

Each recording is replayed offline through sik_llms (every entry point for a single call:
``client()``, ``run_async()``, ``stream_sync()``, ``stream()``; the suite's ReasoningAgent run
for the agent) with message content captured on spans and as events, into one capture per
run, and checked. Used by ``sik-llms semconv`` and by the zero-violation tests.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from harness.semconv.check import check_capture
from harness.semconv.model import Report

ENTRY_POINTS = ("sync", "async", "stream_sync", "stream")
#: what a run sets so every rule has something to check: content on spans and as events
CONTENT_ENV = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT"}
SEMCONV_NAMES_ENV = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}


@dataclass(frozen=True)
class Checked:
    """One replayed run: which recording, how it was called, and the checker's report."""

    label: str
    entry: str
    report: Report


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _settings(semconv_names: bool) -> dict[str, str]:
    return {
        **CONTENT_ENV,
        **(SEMCONV_NAMES_ENV if semconv_names else {"OTEL_SEMCONV_STABILITY_OPT_IN": ""}),
    }


def _call(client: Any, messages: list[Any], entry: str) -> Any:
    if entry == "sync":
        return client(messages)
    if entry == "async":
        return asyncio.run(client.run_async(messages))
    if entry == "stream_sync":
        return list(client.stream_sync(messages))[-1]

    async def drain() -> Any:
        items = [item async for item in client.stream(messages)]
        return items[-1]

    return asyncio.run(drain())


def _recorded_route(uri: str) -> str:
    path = urlsplit(uri).path.rstrip("/")
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith(("/chat/completions", "/responses")):
        return "openai"
    raise ValueError(f"{path or '/'} is not an LLM API sik_llms replays")


def replay_recording(path: Path, index: int, entry: str, *, semconv_names: bool = True) -> Checked:
    """Replay interaction ``index`` of the cassette at ``path`` through ``entry``; check it."""
    from harness.cassettes import load_cassette
    from harness.spans.capture import capture
    from sik_llms.errors import LLMError
    from sik_llms.providers import anthropic, openai
    from sik_llms.transport import use_transport

    recorded = load_cassette(path).interactions[index]
    provider = _recorded_route(recorded.request.uri)
    parts = urlsplit(recorded.request.uri)
    body = recorded.request.body
    request = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    module = openai if provider == "openai" else anthropic
    client, messages = module.client_from_recorded_request(
        parts.path + (f"?{parts.query}" if parts.query else ""), request
    )
    response = recorded.response
    headers = {
        k.lower(): v[0]
        for k, v in response.headers.items()
        if v and k.lower() not in ("content-length", "transfer-encoding")
    }
    headers.setdefault(
        "content-type", "text/event-stream" if recorded.streamed else "application/json"
    )

    def handler(_request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(response.status, headers=headers, content=response.body)

    transport = httpx2.MockTransport(handler)
    with (
        _env(_settings(semconv_names)),
        capture() as cap,
        use_transport(sync=transport, async_=transport),
    ):
        with suppress(
            LLMError
        ):  # recorded errors are part of the corpus: their spans are checked too
            _call(client, messages, entry)
    return Checked(f"{path.name}#{index}", entry, check_capture(cap, span_names=semconv_names))


def real_recordings(root: Path) -> list[tuple[Path, int]]:
    """(cassette, primary interaction) of every row of ``root/MANIFEST.jsonl``."""
    rows = []
    for line in (root / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((root / row["local_path"], int(row["primary_interaction"] or 0)))
    return rows


def replay_project_cassettes(
    root: Path | None = None, *, semconv_names: bool = True
) -> list[Checked]:
    """Every call of the project's cassette suite (the agent included), replayed and checked."""
    from harness.cassettes import load_cassette, suite, use_cassette
    from harness.clock import VirtualClock
    from harness.spans.capture import capture
    from sik_llms.errors import LLMError

    root = suite.CASSETTE_ROOT if root is None else Path(root)
    out = []
    for provider, call in suite.suite_calls():
        path = suite.cassette_path(root, provider, call.name)
        meta = load_cassette(path).metadata.get(suite.SUITE_KEY) or {}
        target = suite.Target(
            provider,
            meta.get("base_url") or suite.SIMULATOR_BASE_URLS[provider],
            suite.SIMULATOR_KEY,
        )
        clock = VirtualClock()
        with _env(_settings(semconv_names)), capture(clock=clock) as cap:
            with use_cassette(path, mode="none", timing="virtual", clock=clock, unused="error"):
                with suppress(LLMError):
                    call.run(target)
        out.append(
            Checked(
                f"{provider}/{call.name}", "suite", check_capture(cap, span_names=semconv_names)
            )
        )
    return out
