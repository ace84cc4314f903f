"""Every real recording, replayed through our client rebuilt from the recorded request.

For each cassette in ../shared/cassettes-real (standard vcrpy format), the manifest's primary
interaction is served at the transport seam and our client (built by the provider module's
``client_from_recorded_request``) must extract what the manifest says: text prefix, tool
names, tokens, finish reason, model, or the typed error with the recorded HTTP status.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sik_llms.errors import LLMError
from sik_llms.providers import anthropic as anthropic_provider
from sik_llms.providers import openai as openai_provider
from sik_llms.types import StructuredOutputResponse, TextResponse, ToolPredictionResponse
from tests.conftest import REAL, load_interaction, serve

pytestmark = pytest.mark.real_cassettes

BUILDERS = {
    "openai": openai_provider.client_from_recorded_request,
    "anthropic": anthropic_provider.client_from_recorded_request,
}


def _rows() -> list[Any]:
    manifest = REAL / "MANIFEST.jsonl"
    if not manifest.is_file():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"real recordings not present at {REAL}")
            )
        ]
    rows = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        marks = []
        rows.append(pytest.param(row, id=row["local_path"], marks=marks))
    return rows


def _text_of(response: Any) -> str:
    if isinstance(response, TextResponse):
        return response.response
    if isinstance(response, ToolPredictionResponse):
        return response.message or ""
    if isinstance(response, StructuredOutputResponse):
        if response.parsed is None:
            return ""
        parsed = response.parsed
        data = parsed.model_dump() if hasattr(parsed, "model_dump") else parsed
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    raise AssertionError(f"unexpected response type {type(response).__name__}")


def _run(row: dict[str, Any], entry: str) -> Any:
    interaction = load_interaction(REAL / row["local_path"], int(row["primary_interaction"] or 0))
    client, messages = BUILDERS[row["provider"]](interaction.path, interaction.request_json())
    try:
        with serve(interaction):
            if entry == "sync":
                return client(messages)
            return asyncio.run(client.run_async(messages))
    finally:
        _assert_same_request(interaction)


def _assert_same_request(interaction: Any) -> None:
    """The rebuilt call sends what was recorded: same endpoint, same JSON body."""
    assert len(interaction.served) == 1
    sent = interaction.served[0]
    assert sent.url.path == interaction.path.split("?")[0]
    assert ("beta=true" in str(sent.url)) == ("beta=true" in interaction.path)
    recorded = interaction.request_json()
    body = json.loads(sent.content)
    # A one-message Responses input list and the equivalent plain string are the same request.
    rec_input = recorded.get("input")
    if (
        isinstance(rec_input, list)
        and len(rec_input) == 1
        and rec_input[0] == {"role": "user", "content": body.get("input")}
    ):
        recorded["input"] = body["input"]
    assert body == recorded


@pytest.mark.parametrize("entry", ["sync", "async"])
@pytest.mark.parametrize("row", _rows())
def test_recording_replays_through_client(row: dict[str, Any], entry: str) -> None:
    prefix = (row["expected_text_prefix"] or "").replace("\\n", "\n")
    status = int(row["http_status"])
    if status >= 400:
        with pytest.raises(LLMError) as info:
            _run(row, entry)
        assert info.value.status == status
        assert info.value.provider == row["provider"]
        assert info.value.message.startswith(prefix), info.value.message
        return

    response = _run(row, entry)
    if prefix.startswith("tool:"):
        assert isinstance(response, ToolPredictionResponse)
        assert [p.name for p in response.tool_predictions] == prefix[len("tool:") :].split(",")
    elif prefix.startswith("REFUSAL: "):
        assert isinstance(response, StructuredOutputResponse)
        assert response.refusal is not None
        assert response.refusal.startswith(prefix[len("REFUSAL: ") :])
        assert response.parsed is None
    else:
        text = _text_of(response)
        assert text[: len(prefix)] == prefix, text[:80]
    if row["tool_names"]:
        assert isinstance(response, ToolPredictionResponse)
        assert [p.name for p in response.tool_predictions] == row["tool_names"].split(",")
        assert all(isinstance(p.arguments, dict) for p in response.tool_predictions)
    if row["input_tokens"] is not None:
        assert response.input_tokens == row["input_tokens"]
        assert response.output_tokens == row["output_tokens"]
    if row["finish_reason"]:
        assert response.finish_reason == row["finish_reason"]
    assert response.model == row["model"]
    assert response.response_id
