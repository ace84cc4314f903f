"""Bad provider data is ``MalformedStreamError`` on every provider, API and entry point, with
the span marked ERROR and the failure counted; never AttributeError / TypeError / KeyError /
UnicodeDecodeError reaching the caller."""

from __future__ import annotations

import json

import pytest

from harness.spans.capture import capture
from sik_llms import create_client, user_message
from sik_llms.errors import MalformedStreamError
from tests.sik_llms.wire_cases import (
    ENTRIES,
    JSON,
    SSE,
    chat_choice,
    chat_sse,
    message_start,
    named_sse,
    run,
    serve,
)

ASK = [user_message("hi")]
GOOD_CHUNK = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"content": "hi"}}],
}

# (label, provider/api, body, content type): each is one instance of "the provider sent a shape we
# did not expect"; the class is what is tested.
CASES = [
    ("chat: event is a JSON array", "chat", b"data: [1,2]\n\n", SSE),
    ("chat: choices hold a number", "chat", chat_sse({"choices": [1]}), SSE),
    (
        "chat: model is a number",
        "chat",
        chat_sse({**chat_choice({"content": "x"}), "model": 42}),
        SSE,
    ),
    ("chat: model is a list", "chat", b'data: {"model": ["gpt"], "choices": []}\n\n', SSE),
    (
        "chat: delta is a string",
        "chat",
        chat_sse({"choices": [{"index": 0, "delta": "text"}]}),
        SSE,
    ),
    ("chat: content is an object", "chat", chat_sse(chat_choice({"content": {"text": "x"}})), SSE),
    (
        "chat: tool_calls is a dict",
        "chat",
        chat_sse(chat_choice({"tool_calls": {"index": 0}})),
        SSE,
    ),
    (
        "chat: tool arguments are a number",
        "chat",
        chat_sse(
            chat_choice({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": 7}}]})
        ),
        SSE,
    ),
    (
        "chat: usage counts are strings",
        "chat",
        chat_sse({"choices": [], "usage": {"prompt_tokens": "12", "completion_tokens": 1}}),
        SSE,
    ),
    (
        "chat: not UTF-8",
        "chat",
        b'data: {"choices": [{"index": 0, "delta": {"content": "\xff\xfe"}}]}\n\n',
        SSE,
    ),
    ("chat: not JSON", "chat", b"data: {not json\n\n", SSE),
    ("chat body: a JSON array", "chat-body", b"[1, 2]", JSON),
    (
        "chat body: choices hold a string",
        "chat-body",
        json.dumps({"id": "c", "model": "m", "choices": ["x"]}).encode(),
        JSON,
    ),
    (
        "chat body: message is a list",
        "chat-body",
        json.dumps({"model": "m", "choices": [{"message": []}]}).encode(),
        JSON,
    ),
    ("chat body: not UTF-8", "chat-body", b'{"model": "\xc3\x28"}', JSON),
    ("responses: event is a number", "responses", b"event: x\ndata: 5\n\n", SSE),
    (
        "responses: delta is a list",
        "responses",
        named_sse({"type": "response.output_text.delta", "delta": ["a"]}),
        SSE,
    ),
    (
        "responses: output items are strings",
        "responses",
        named_sse({"type": "response.completed", "response": {"model": "m", "output": ["x"]}}),
        SSE,
    ),
    (
        "responses: response is a string",
        "responses",
        named_sse({"type": "response.created", "response": "r"}),
        SSE,
    ),
    (
        "responses: output_index is text",
        "responses",
        named_sse(
            {"type": "response.function_call_arguments.delta", "output_index": "0", "delta": "x"}
        ),
        SSE,
    ),
    ("anthropic: event is a list", "anthropic", b"event: message_start\ndata: [1]\n\n", SSE),
    (
        "anthropic: message is a string",
        "anthropic",
        named_sse({"type": "message_start", "message": "m"}),
        SSE,
    ),
    (
        "anthropic: model is a number",
        "anthropic",
        named_sse({"type": "message_start", "message": {"id": "m", "model": 3}}),
        SSE,
    ),
    (
        "anthropic: index is a list",
        "anthropic",
        named_sse(
            message_start(),
            {
                "type": "content_block_delta",
                "index": [0],
                "delta": {"type": "text_delta", "text": "x"},
            },
        ),
        SSE,
    ),
    (
        "anthropic: text is a number",
        "anthropic",
        named_sse(
            message_start(),
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}},
        ),
        SSE,
    ),
    (
        "anthropic: usage is a list",
        "anthropic",
        named_sse({"type": "message_delta", "delta": {}, "usage": [1]}),
        SSE,
    ),
    (
        "anthropic: tool input is not JSON",
        "anthropic-tools",
        named_sse(
            message_start(),
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"a": '},
            },
        ),
        SSE,
    ),
    (
        "anthropic: not UTF-8",
        "anthropic",
        b'event: message_start\ndata: {"type": "message_start", "message": {"model": "\x80"}}\n\n',
        SSE,
    ),
    (
        "anthropic body: content holds numbers",
        "anthropic-body",
        json.dumps({"id": "m", "model": "claude-haiku-4-5", "content": [1]}).encode(),
        JSON,
    ),
]


def _client(kind: str):
    if kind.startswith("chat"):
        return create_client("gpt-4o-mini", api_key="sk-test", stream=not kind.endswith("body"))
    if kind == "responses":
        return create_client("gpt-4o-mini", api="responses", api_key="sk-test")
    tools = (
        [{"name": "f", "description": "f", "input_schema": {"type": "object"}}]
        if kind.endswith("tools")
        else None
    )
    return create_client(
        "claude-haiku-4-5", api_key="sk-ant-test", stream=not kind.endswith("body"), tools=tools
    )


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(("label", "kind", "body", "ctype"), CASES, ids=[c[0] for c in CASES])
def test_bad_provider_data_is_a_malformed_stream_error_with_an_error_span(
    label: str, kind: str, body: bytes, ctype: str, entry: str
) -> None:
    client = _client(kind)
    with capture() as cap, serve(200, body, ctype), pytest.raises(MalformedStreamError) as caught:
        run(client, ASK, entry)
    assert caught.value.provider == client.provider
    request = next(s for s in cap.spans() if s.name == "llm.request")
    assert request.status.status_code.name == "ERROR"
    assert request.attributes["error.type"] == "malformed_stream_error"
    assert cap.metric_value("llm.requests.failed", llm_model=client.model) == 1
    assert not cap.unfinished()


def test_text_streamed_before_the_bad_event_is_kept_on_the_error() -> None:
    body = (
        chat_sse(chat_choice({"content": "partial "}), chat_choice({"content": "answer"}))
        + b"data: [1]\n\n"
    )
    client = create_client("gpt-4o-mini", api_key="sk-test")
    with serve(200, body), pytest.raises(MalformedStreamError) as caught:
        client(ASK)
    assert caught.value.partial_text == "partial answer"
    assert "JSON object" in str(caught.value)
