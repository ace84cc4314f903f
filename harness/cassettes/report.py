"""Replay every LLM call of a vcrpy cassette through sik_llms, and report what it saw.

Each interaction is rebuilt into a sik_llms call from its recorded request (the provider
module owns that mapping: ``client_from_recorded_request``), answered with exactly that
recorded response on a virtual clock, and captured in memory, so the result (text, tool
calls, usage, cost, error, spans) is what a user's code and their tracing backend would see.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.cassettes.format import Cassette, Interaction, load_cassette
from harness.cassettes.transport import CassetteTransport
from harness.cassettes.validate import CassetteError
from harness.clock import VirtualClock
from harness.spans.capture import capture
from sik_llms import clock as _clock
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


@dataclass(frozen=True)
class ReplayedSpan:
    """One captured span: ids as 16 hex digits, ``kind`` / ``status`` as OTel enum names."""

    name: str
    span_id: str
    parent_id: str | None
    kind: str
    status: str
    attributes: dict[str, Any]


@dataclass
class ReplayedCall:
    """What one replayed interaction gave: the response as the user's code saw it (usage as
    the provider reported it, cost in USD), or the error, plus the spans and the rendered tree."""

    index: int
    provider: str
    api: str
    request_model: str | None
    response_model: str | None = None
    stream: bool = False
    status: int = 0
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{name, arguments}]
    finish_reason: str | None = None
    #: {input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens}
    usage: dict[str, Any] | None = None
    cost_usd: float | None = None
    error: dict[str, Any] | None = None  # {status, type, message}
    spans: list[ReplayedSpan] = field(default_factory=list)
    tree: str = ""  # the plain span tree, as ``sik-llms replay`` prints it

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (every field but ``tree``, in declaration order)."""
        data = asdict(self)
        del data["tree"]
        return data


@dataclass(frozen=True)
class SkippedInteraction:
    index: int
    reason: str


@dataclass
class CassetteReplay:
    """``replay_cassette``'s result: the replayed calls and the interactions it skipped."""

    cassette: str
    interactions: list[ReplayedCall]
    skipped: list[SkippedInteraction]

    def to_json(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "interactions": [call.to_json() for call in self.interactions],
            "skipped": [asdict(s) for s in self.skipped],
        }


def route_of(uri: str) -> Route:
    """Which provider API a recorded request URL is, from its path (hosts vary: proxies, Azure)."""
    path = urlsplit(uri).path.rstrip("/")
    if path.endswith("/chat/completions"):
        return Route("openai", "chat.completions")
    if path.endswith("/responses"):
        return Route("openai", "responses")
    if path.endswith("/messages"):
        return Route("anthropic", "messages")
    raise UnsupportedInteraction(
        f"{path or '/'} is not an LLM API sik_llms replays (chat/completions, responses, messages)"
    )


def replay_interaction(interaction: Interaction) -> ReplayedCall:
    """Replay one interaction, answered with exactly its recorded response on a virtual clock."""
    route = route_of(interaction.request.uri)
    try:
        body = json.loads(interaction.request.body or b"{}")
    except RecursionError:
        raise UnsupportedInteraction("request body is JSON nested too deeply to replay") from None
    except ValueError as exc:
        raise UnsupportedInteraction(f"request body is not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise UnsupportedInteraction(f"request body is a JSON {type(body).__name__}, not an object")
    module = openai_provider if route.provider == "openai" else anthropic_provider
    try:  # the full URL: Azure's host and api-version are part of the call
        client, messages = module.client_from_recorded_request(interaction.request.uri, body)
    except (ValueError, TypeError) as exc:  # ConfigurationError is a ValueError
        raise UnsupportedInteraction(
            f"the recorded request cannot be rebuilt into a sik_llms call: {exc}"
        ) from exc

    clock = VirtualClock()
    # the rebuilt request can legitimately differ from the recorded one (SDK versions add or
    # drop fields); the point is how the client handles the recorded answer, so pin it
    transport = CassetteTransport(
        Cassette(interactions=[interaction], name="replay"),
        timing="virtual",
        clock=clock,
        pin=interaction,
    )
    call = ReplayedCall(
        index=interaction.index,
        provider=route.provider,
        api=route.api,
        request_model=body.get("model"),
        stream=bool(body.get("stream", False)),
        status=interaction.response.status,
    )
    with _clock.use_clock(clock), capture(clock=None) as cap, use_transport(sync=transport):
        try:
            response = client(messages)
        except LLMError as exc:
            call.error = {"status": exc.status, "type": exc.error_type, "message": exc.message}
        else:
            _fill_response(call, response)
    call.spans = [
        ReplayedSpan(
            name=span.name,
            span_id=format(span.context.span_id, "016x"),
            parent_id=format(span.parent.span_id, "016x") if span.parent else None,
            kind=span.kind.name,
            status=span.status.status_code.name,
            attributes={
                k: list(v) if isinstance(v, tuple) else v
                for k, v in sorted(span.attributes.items())
            },
        )
        for span in cap.spans()
    ]
    call.tree = cap.tree(metrics=False).render()
    return call


def _fill_response(call: ReplayedCall, response: Any) -> None:
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
        text = response.refusal or json.dumps(
            dumped, separators=(",", ":"), ensure_ascii=False, default=str
        )
    call.response_model = response.model
    call.text = text
    call.tool_calls = tool_calls
    call.finish_reason = response.finish_reason
    call.usage = {
        "input_tokens": response.input_tokens,
        "output_tokens": response.output_tokens,
        "cache_read_tokens": response.cache_read_tokens,
        "cache_write_tokens": response.cache_write_tokens,
        "reasoning_tokens": response.reasoning_tokens,
    }
    call.cost_usd = response.total_cost


def replay_cassette(path: str | Path) -> CassetteReplay:
    """Replay every LLM call of the cassette at ``path`` (see ``ReplayedCall`` for each result).

    Raises ``CassetteError`` when the file is not a cassette and ``UnsupportedInteraction``
    when nothing in it is an LLM call sik_llms knows.
    """
    cassette = load_cassette(Path(path))
    calls: list[ReplayedCall] = []
    skipped: list[SkippedInteraction] = []
    for interaction in cassette.interactions:
        try:
            calls.append(replay_interaction(interaction))
        except UnsupportedInteraction as exc:
            skipped.append(SkippedInteraction(interaction.index, str(exc)))
        except Exception as exc:  # one bad recording never costs the others their report
            skipped.append(
                SkippedInteraction(interaction.index, f"replay failed: {type(exc).__name__}: {exc}")
            )
    if not calls:
        reasons = "; ".join(sorted({s.reason for s in skipped})) or "it has no interactions"
        raise UnsupportedInteraction(f"{path}: nothing to replay: {reasons}")
    return CassetteReplay(cassette=str(path), interactions=calls, skipped=skipped)


__all__ = [
    "CassetteError",
    "CassetteReplay",
    "ReplayedCall",
    "ReplayedSpan",
    "Route",
    "SkippedInteraction",
    "UnsupportedInteraction",
    "replay_cassette",
    "replay_interaction",
    "route_of",
]
