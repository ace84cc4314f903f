"""Replay every LLM call of a vcrpy cassette through sik_llms, and report what it saw.

Each interaction is rebuilt into a sik_llms call from its recorded request (the provider
module owns that mapping: ``client_from_recorded_request``), answered with exactly that
recorded response on a virtual clock, and captured in memory, so the result (text, tool
calls, usage, cost, error, spans) is what a user's code and their tracing backend would see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from harness.capture import capture
from harness.cassettes import Cassette, CassetteError, Interaction, load_cassette
from harness.clock import VirtualClock
from harness.replay_transport import CassetteTransport
from sik_llms import _clock
from sik_llms.errors import LLMError
from sik_llms.providers import anthropic as anthropic_provider
from sik_llms.providers import openai as openai_provider
from sik_llms.transport import use_transport
from sik_llms.types import StructuredOutputResponse, TextResponse, ToolPredictionResponse


class UnsupportedInteraction(ValueError):
    """An interaction sik_llms cannot replay (another API, or no JSON request body)."""


@dataclass(frozen=True)
class Route:
    provider: str
    api: str


def route_of(uri: str) -> Route:
    """Which provider API a recorded request URL is, from its path (hosts vary: proxies, Azure)."""
    path = urlsplit(uri).path.rstrip("/")
    if path.endswith("/chat/completions"):
        return Route("openai", "chat.completions")
    if path.endswith("/responses"):
        return Route("openai", "responses")
    if path.endswith("/messages"):
        return Route("anthropic", "messages")
    raise UnsupportedInteraction(f"{path or '/'} is not an LLM API sik_llms replays (chat/completions, responses, messages)")


class _PinnedTransport(CassetteTransport):
    """Serves one chosen interaction whatever the rebuilt request looks like.

    The rebuilt request can legitimately differ from the recorded one (SDK versions add or
    drop fields), and the point here is to see how the client handles the recorded answer.
    """

    def __init__(self, interaction: Interaction, clock: VirtualClock) -> None:
        super().__init__(Cassette(interactions=[interaction], name="replay"), timing="virtual", clock=clock)
        self._interaction = interaction

    def _find(self, request: httpx2.Request, body: bytes) -> Interaction | None:
        return self._interaction


def replay_interaction(interaction: Interaction) -> dict[str, Any]:
    """Replay one interaction; returns the JSON-able record described in ``replay_cassette``."""
    route = route_of(interaction.request.uri)
    try:
        body = json.loads(interaction.request.body or b"{}")
    except ValueError as exc:
        raise UnsupportedInteraction(f"request body is not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise UnsupportedInteraction(f"request body is a JSON {type(body).__name__}, not an object")
    module = openai_provider if route.provider == "openai" else anthropic_provider
    try:  # the full URL: Azure's host and api-version are part of the call
        client, messages = module.client_from_recorded_request(interaction.request.uri, body)
    except (ValueError, TypeError) as exc:  # ConfigurationError is a ValueError
        raise UnsupportedInteraction(f"the recorded request cannot be rebuilt into a sik_llms call: {exc}") from exc

    clock = VirtualClock()
    transport = _PinnedTransport(interaction, clock)
    record: dict[str, Any] = {
        "index": interaction.index,
        "provider": route.provider,
        "api": route.api,
        "request_model": body.get("model"),
        "response_model": None,
        "stream": bool(body.get("stream", False)),
        "status": interaction.response.status,
        "text": "",
        "tool_calls": [],
        "finish_reason": None,
        "usage": None,
        "cost_usd": None,
        "error": None,
    }
    with _clock.use_clock(clock), capture(clock=None) as cap, use_transport(sync=transport):
        try:
            response = client(messages)
        except LLMError as exc:
            record["error"] = {"status": exc.status, "type": exc.error_type, "message": exc.message}
        else:
            record.update(_response_fields(response))
    tree = cap.tree(metrics=False)
    record["spans"] = [
        {
            "name": span.name,
            "span_id": format(span.context.span_id, "016x"),
            "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
            "kind": span.kind.name,
            "status": span.status.status_code.name,
            "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(span.attributes.items())},
        }
        for span in cap.spans()
    ]
    record["_tree"] = tree.render()
    return record


def _response_fields(response: Any) -> dict[str, Any]:
    text = ""
    tool_calls: list[dict[str, Any]] = []
    if isinstance(response, TextResponse):
        text = response.response
    elif isinstance(response, ToolPredictionResponse):
        text = response.message or ""
        tool_calls = [{"name": p.name, "arguments": p.arguments} for p in response.tool_predictions]
    elif isinstance(response, StructuredOutputResponse):
        parsed = response.parsed
        dumped = parsed.model_dump(mode="json") if hasattr(parsed, "model_dump") else parsed
        text = response.refusal or json.dumps(dumped, separators=(",", ":"), ensure_ascii=False, default=str)
    return {
        "response_model": response.model,
        "text": text,
        "tool_calls": tool_calls,
        "finish_reason": response.finish_reason,
        "usage": {
            "input_tokens": response.input_tokens,
            "output_tokens": response.output_tokens,
            "cache_read_tokens": response.cache_read_tokens,
            "cache_write_tokens": response.cache_write_tokens,
            "reasoning_tokens": response.reasoning_tokens,
        },
        "cost_usd": response.total_cost,
    }


def replay_cassette(path: str | Path) -> dict[str, Any]:
    """``{"cassette": PATH, "interactions": [...], "skipped": [...]}`` for one cassette.

    Each interaction: index, provider, api, request_model, response_model, stream, status,
    text, tool_calls [{name, arguments}], finish_reason, usage {input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, reasoning_tokens} (as the provider reported them),
    cost_usd, error (null or {status, type, message}) and spans [{name, span_id, parent_id,
    kind, status, attributes}]. Raises ``CassetteError`` when the file is not a cassette and
    ``UnsupportedInteraction`` when nothing in it is an LLM call sik_llms knows.
    """
    cassette = load_cassette(Path(path))
    interactions: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for interaction in cassette.interactions:
        try:
            interactions.append(replay_interaction(interaction))
        except UnsupportedInteraction as exc:
            skipped.append({"index": interaction.index, "reason": str(exc)})
        except Exception as exc:  # one bad recording never costs the others their report
            skipped.append({"index": interaction.index, "reason": f"replay failed: {type(exc).__name__}: {exc}"})
    if not interactions:
        reasons = "; ".join(sorted({s["reason"] for s in skipped})) or "it has no interactions"
        raise UnsupportedInteraction(f"{path}: nothing to replay: {reasons}")
    return {"cassette": str(path), "interactions": interactions, "skipped": skipped}


__all__ = ["CassetteError", "UnsupportedInteraction", "replay_cassette", "replay_interaction", "route_of"]
