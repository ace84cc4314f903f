"""Conformance: the simulator's answers have the shape of the real recordings.

For one representative recording per (category, api, streaming) in cassettes-real, we script the
simulator to say what the real API said (same text / tool calls / thinking / error), send it the
recorded request body over HTTP, and compare: status, field names at every level, SSE event
kinds in order (runs of deltas collapsed), and the SDK types both parse into.

Known, deliberate variances (both shapes occur in real recordings of different API versions, and
the simulator follows the newer one): n > 1 streams interleave choices per chunk rather than in
the exact real order; older chat streams put the role and the first tool call in one chunk;
Anthropic ``compaction`` blocks are not simulated.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pydantic
import pytest
from anthropic._models import construct_type as anthropic_construct
from anthropic.types import Message, RawMessageStreamEvent
from openai._models import construct_type as openai_construct
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

from harness.cassettes import load_cassette
from harness.simulator import Simulator
from harness.simulator.recorded import reply_from_recording
from harness.simulator.structure import event_sequence, parse_sse, structure_diff
from tests.conftest import REAL, real_manifest

pytestmark = pytest.mark.real_cassettes


def _representatives() -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in real_manifest():
        seen.setdefault((row["category"], row["api"], row["streaming"]), row)
        if row["local_path"] in EXTRA:
            seen[(row["local_path"], "", "")] = row
    return list(seen.values())


#: extra recordings worth holding to the same bar: streamed tool calls on every API
EXTRA = (
    "simonw-llm/test_responses_tool_use_streaming.yaml",
    "otel-contrib/test_chat_completion_multiple_tools_streaming_with_content.yaml",
    "openinference/test_anthropic_instrumentation_multiple_tool_calling_streaming.yaml",
    "openllmetry/test_responses_tool_calls.yaml",
    "openllmetry/test_parsed_refused_completion.yaml",
)
REPS = _representatives()
_STREAM_TYPES: dict[str, Any] = {
    "chat.completions": ChatCompletionChunk,
    "responses": ResponseStreamEvent,
    "messages": RawMessageStreamEvent,
}
#: SDK types that only appear for fields newer API versions add (e.g. usage.cache_creation)
VERSION_TYPES = {"CacheCreation", "PromptTokensDetails", "CompletionTokensDetails"}
_JSON_TYPES: dict[str, Any] = {
    "chat.completions": ChatCompletion,
    "responses": Response,
    "messages": Message,
}


def _sdk_parse(api: str, type_: Any, value: Any) -> Any:
    """Build the SDK object the way the SDK itself does when it reads a response."""
    construct = anthropic_construct if api == "messages" else openai_construct
    return construct(type_=type_, value=value)


def _sdk_type_names(value: Any) -> set[str]:
    """Class names of every pydantic model inside an SDK object (what the parse produced)."""
    names: set[str] = set()
    if isinstance(value, pydantic.BaseModel):
        names.add(type(value).__name__)
        for field in type(value).model_fields:
            names |= _sdk_type_names(getattr(value, field))
    elif isinstance(value, list):
        for item in value:
            names |= _sdk_type_names(item)
    return names


def _by_kind(events: list[tuple[str | None, Any]]) -> dict[str, list[Any]]:
    from harness.simulator.structure import event_kind

    out: dict[str, list[Any]] = {}
    for name, data in events:
        out.setdefault(event_kind(name, data), []).append(data)
    return out


@pytest.mark.skipif(
    not REPS, reason=f"real recordings not found at {REAL} (only present in the workspace)"
)
@pytest.mark.parametrize("row", REPS, ids=[r["local_path"] for r in REPS])
def test_simulator_matches_real_structure(row: dict[str, Any]) -> None:
    cassette = load_cassette(REAL / row["local_path"])
    recorded = cassette.interactions[int(row["primary_interaction"] or 0)]
    real = recorded.response
    api = row["api"]
    reply = reply_from_recording(api, real.status, real.body, recorded.streamed)
    scenario = {"rules": [{"name": "as recorded", "reply": reply}]}
    headers = {"content-type": "application/json", "authorization": "Bearer sk-sim"}
    if row["provider"] == "anthropic":
        headers |= {"anthropic-version": "2023-06-01", "x-api-key": "sk-sim"}
    with Simulator(scenario=scenario) as sim, httpx2.Client(timeout=10) as http:
        uri = urlsplit(recorded.request.uri)
        url = f"{sim.base_url}{uri.path}" + (f"?{uri.query}" if uri.query else "")
        resp = http.post(url, content=recorded.request.body, headers=headers)
    assert resp.status_code == real.status, resp.text
    ours_sse = resp.headers["content-type"].startswith("text/event-stream")
    assert ours_sse == (recorded.streamed and real.status < 400)
    if not ours_sse:
        real_json, our_json = json.loads(real.body), resp.json()
        assert structure_diff(real_json, our_json) == []
        if real.status < 400:
            model = _JSON_TYPES[api]
            ours_types = _sdk_type_names(_sdk_parse(api, model, our_json))
            real_types = _sdk_type_names(_sdk_parse(api, model, real_json))
            assert real_types <= ours_types, "the real answer parses into types ours does not"
            assert ours_types - real_types <= VERSION_TYPES
        return
    real_events, our_events = parse_sse(real.body), parse_sse(resp.content)
    assert event_sequence(our_events) == event_sequence(real_events)
    real_kinds, our_kinds = _by_kind(real_events), _by_kind(our_events)
    for kind, samples in real_kinds.items():
        if kind == "ping":
            continue
        for real_data in samples[:1]:
            assert structure_diff(real_data, our_kinds[kind][0], f"{kind}") == [], kind
    type_ = _STREAM_TYPES[api]
    real_types = [
        type(_sdk_parse(api, type_, d)).__name__ for _, d in real_events if isinstance(d, dict)
    ]
    our_types = [
        type(_sdk_parse(api, type_, d)).__name__ for _, d in our_events if isinstance(d, dict)
    ]
    assert _collapse(our_types, drop="RawPingEvent") == _collapse(real_types, drop="RawPingEvent")


def _collapse(names: list[str], drop: str) -> list[str]:
    out: list[str] = []
    for name in names:
        if name != drop and (not out or out[-1] != name):
            out.append(name)
    return out
