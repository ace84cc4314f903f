"""What GenAI-aware backends count: one chat operation per call, streaming-only timing, server.*."""

from __future__ import annotations

import pytest

from harness.spans.capture import capture
from sik_llms import create_client
from tests.conftest import Script, ok, openai_sse, scripted

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("stream", [True, False])
def test_one_chat_operation_per_call_with_streaming_only_timing(stream: bool) -> None:
    client = create_client("gpt-4o-mini", api_key="sk-test", stream=stream)
    body = openai_sse("hi") if stream else None
    if body is None:
        import json

        body = json.dumps({
            "id": "c1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }).encode()  # fmt: skip
    with capture() as cap, scripted(Script(ok(body))):
        client(MESSAGES)
    chats = [s for s in cap.spans() if s.attributes.get("gen_ai.operation.name") == "chat"]
    assert [s.name for s in chats] == [
        "llm.openai.stream"
    ]  # the llm.request wrapper claims nothing
    request = cap.find("llm.request")
    assert not any(k.startswith("gen_ai.") for k in request.attributes)
    inference = chats[0].attributes
    assert ("gen_ai.response.time_to_first_chunk" in inference) is stream
    assert ("gen_ai.request.stream" in inference) is stream
    assert "gen_ai.output.type" not in inference  # no output format was requested
    assert inference["gen_ai.response.finish_reasons"] == ("stop",)
    names = {p["name"] for p in cap.metrics()}
    assert ("gen_ai.client.operation.time_to_first_chunk" in names) is stream
    assert ("gen_ai.client.operation.time_per_output_chunk" in names) is stream
    for point in cap.metrics():
        if point["name"].startswith("gen_ai."):
            assert point["attributes"]["server.address"] == "api.openai.com"
            assert point["attributes"]["server.port"] == 443
