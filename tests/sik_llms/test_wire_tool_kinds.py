"""Every tool kind: OpenAI free-form custom tools on both APIs (request and response, streamed
and not), provider-run tools surfaced on the response and its span, and Anthropic thinking
blocks with their signatures ready to send back."""

from __future__ import annotations

import json

import pytest

from harness.spans.capture import capture
from sik_llms import create_client, user_message
from sik_llms.types import ThinkingBlock, ToolPredictionResponse
from tests.sik_llms.wire_cases import (
    ENTRIES,
    JSON,
    block_delta,
    block_start,
    chat_choice,
    chat_sse,
    chat_usage,
    message_delta,
    message_start,
    named_sse,
    run,
    serve,
)

ASK = [user_message("run the query")]
CUSTOM = {
    "type": "custom",
    "custom": {"name": "sql", "description": "Run a SQL query", "format": {"type": "text"}},
}
SQL = "SELECT name FROM users WHERE id = 7"


def _span(cap, prefix: str):
    return next(s for s in cap.spans() if s.name.startswith(prefix))


CHAT_CUSTOM_STREAM = chat_sse(
    chat_choice(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_sql",
                    "type": "custom",
                    "custom": {"name": "sql", "input": ""},
                }
            ],
        }
    ),
    chat_choice({"tool_calls": [{"index": 0, "custom": {"input": "SELECT name FROM users "}}]}),
    chat_choice({"tool_calls": [{"index": 0, "custom": {"input": "WHERE id = 7"}}]}, "tool_calls"),
    chat_usage(50, 14),
)
CHAT_CUSTOM_BODY = json.dumps(
    {
        "id": "chatcmpl-c",
        "object": "chat.completion",
        "model": "gpt-5-mini-2025-08-07",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_sql",
                            "type": "custom",
                            "custom": {"name": "sql", "input": SQL},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 50, "completion_tokens": 14},
    }
).encode()
RESPONSES_CUSTOM_STREAM = named_sse(
    {
        "type": "response.created",
        "response": {"id": "resp_c", "model": "gpt-5-mini-2025-08-07", "output": []},
    },
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {
            "id": "ctc_1",
            "type": "custom_tool_call",
            "call_id": "call_sql",
            "name": "sql",
            "input": "",
        },
    },
    {
        "type": "response.custom_tool_call_input.delta",
        "output_index": 0,
        "item_id": "ctc_1",
        "delta": "SELECT name FROM users ",
    },
    {
        "type": "response.custom_tool_call_input.delta",
        "output_index": 0,
        "item_id": "ctc_1",
        "delta": "WHERE id = 7",
    },
    {
        "type": "response.completed",
        "response": {
            "id": "resp_c",
            "model": "gpt-5-mini-2025-08-07",
            "status": "completed",
            "output": [
                {
                    "id": "ctc_1",
                    "type": "custom_tool_call",
                    "call_id": "call_sql",
                    "name": "sql",
                    "input": SQL,
                }
            ],
            "usage": {"input_tokens": 50, "output_tokens": 14},
        },
    },
)
RESPONSES_CUSTOM_BODY = json.dumps(
    {
        "id": "resp_c",
        "object": "response",
        "model": "gpt-5-mini-2025-08-07",
        "status": "completed",
        "output": [
            {
                "id": "ctc_1",
                "type": "custom_tool_call",
                "call_id": "call_sql",
                "name": "sql",
                "input": SQL,
            }
        ],
        "usage": {"input_tokens": 50, "output_tokens": 14},
    }
).encode()


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    ("api", "stream", "body"),
    [
        ("chat_completions", True, CHAT_CUSTOM_STREAM),
        ("chat_completions", False, CHAT_CUSTOM_BODY),
        ("responses", True, RESPONSES_CUSTOM_STREAM),
        ("responses", False, RESPONSES_CUSTOM_BODY),
    ],
    ids=["chat-stream", "chat-json", "responses-stream", "responses-json"],
)
def test_an_openai_custom_tool_call_comes_back_with_its_raw_input(
    api: str, stream: bool, body: bytes, entry: str
) -> None:
    client = create_client(
        "gpt-5-mini", tools=[CUSTOM], tool_choice="sql", api=api, stream=stream, api_key="sk-test"
    )
    with capture() as cap, serve(200, body, None if stream else JSON) as served:
        response, _ = run(client, ASK, entry)
    assert isinstance(response, ToolPredictionResponse)
    [call] = response.tool_predictions
    assert (call.kind, call.name, call.input, call.arguments, call.call_id) == (
        "custom",
        "sql",
        SQL,
        {},
        "call_sql",
    )
    sent = served.sent_json()
    if api == "chat_completions":
        assert sent["tools"] == [CUSTOM]
        assert sent["tool_choice"] == {"type": "custom", "custom": {"name": "sql"}}
    else:  # the Responses API spells custom tools flat
        assert sent["tools"] == [
            {
                "type": "custom",
                "name": "sql",
                "description": "Run a SQL query",
                "format": {"type": "text"},
            }
        ]
        assert sent["tool_choice"] == {"type": "custom", "name": "sql"}
    span = _span(cap, "llm.openai.tools")
    assert span.attributes["llm.tool_calls.count"] == 1
    assert span.attributes["gen_ai.usage.output_tokens"] == 14
    if stream:
        assert "gen_ai.response.time_to_first_chunk" in span.attributes


def test_a_custom_tool_call_in_the_history_goes_back_to_the_responses_api_as_a_custom_tool_call() -> (
    None
):
    history = [
        user_message("run it"),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_sql", "type": "custom", "custom": {"name": "sql", "input": SQL}}
            ],
        },
    ]
    client = create_client(
        "gpt-5-mini", tools=[CUSTOM], api="responses", stream=False, api_key="sk-test"
    )
    with serve(200, RESPONSES_CUSTOM_BODY, JSON) as served:
        client(history)
    assert {
        "type": "custom_tool_call",
        "call_id": "call_sql",
        "name": "sql",
        "input": SQL,
    } in served.sent_json()["input"]


WEB_SEARCH_RESPONSES = json.dumps(
    {
        "id": "resp_ws",
        "object": "response",
        "model": "gpt-4o-mini",
        "status": "completed",
        "output": [
            {
                "id": "ws_1",
                "type": "web_search_call",
                "status": "completed",
                "action": {"type": "search", "query": "weather paris"},
            },
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Sunny."}],
            },
        ],
        "usage": {"input_tokens": 300, "output_tokens": 4},
    }
).encode()

ANTHROPIC_WEB_SEARCH = named_sse(
    message_start("claude-haiku-4-5-20251001", 400),
    block_start(
        0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    ),
    block_delta(0, {"type": "input_json_delta", "partial_json": '{"query": "weather'}),
    block_delta(0, {"type": "input_json_delta", "partial_json": ' paris"}'}),
    block_start(
        1,
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_1",
            "content": [
                {"type": "web_search_result", "url": "https://example.org/paris", "title": "Paris"}
            ],
        },
    ),
    block_start(2, {"type": "text", "text": ""}),
    block_delta(2, {"type": "text_delta", "text": "Sunny."}),
    message_delta("end_turn", 9),
    {"type": "message_stop"},
)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    ("model", "options", "body", "expected"),
    [
        (
            "gpt-4o-mini",
            {"api": "responses", "stream": False},
            WEB_SEARCH_RESPONSES,
            (
                "web_search_call",
                "web_search",
                "ws_1",
                {"type": "search", "query": "weather paris"},
                None,
            ),
        ),
        (
            "claude-haiku-4-5",
            {"web_search": True},
            ANTHROPIC_WEB_SEARCH,
            (
                "server_tool_use",
                "web_search",
                "srvtoolu_1",
                {"query": "weather paris"},
                [
                    {
                        "type": "web_search_result",
                        "url": "https://example.org/paris",
                        "title": "Paris",
                    }
                ],
            ),
        ),
    ],
    ids=["openai-web_search_call", "anthropic-server_tool_use"],
)
def test_a_tool_the_provider_ran_is_on_the_response_and_its_span(
    model: str, options: dict, body: bytes, expected: tuple, entry: str
) -> None:
    client = create_client(model, api_key="sk-test", **options)
    with capture() as cap, serve(200, body, JSON if options.get("stream") is False else None):
        response, _ = run(client, [user_message("weather in paris?")], entry)
    assert response.response == "Sunny."
    [tool] = response.server_tool_calls
    assert (tool.type, tool.name, tool.call_id, tool.input, tool.result) == expected
    span = _span(cap, f"llm.{client.provider}.")
    assert span.attributes["llm.server_tool_calls.count"] == 1
    assert list(span.attributes["llm.server_tool_calls.names"]) == ["web_search"]


THINKING_STREAM = named_sse(
    message_start("claude-haiku-4-5-20251001", 30),
    block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    block_delta(0, {"type": "thinking_delta", "thinking": "Two plus two "}),
    block_delta(0, {"type": "thinking_delta", "thinking": "is four."}),
    block_delta(0, {"type": "signature_delta", "signature": "EqQBCkYIBxgCKkBsig=="}),
    {"type": "content_block_stop", "index": 0},
    block_start(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}),
    block_start(2, {"type": "text", "text": ""}),
    block_delta(2, {"type": "text_delta", "text": "4"}),
    message_delta("end_turn", 25),
)
THINKING_BODY = json.dumps(
    {
        "id": "msg_t",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "stop_reason": "end_turn",
        "content": [
            {
                "type": "thinking",
                "thinking": "Two plus two is four.",
                "signature": "EqQBCkYIBxgCKkBsig==",
            },
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
            {"type": "text", "text": "4"},
        ],
        "usage": {"input_tokens": 30, "output_tokens": 25},
    }
).encode()


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    ("stream", "body"), [(True, THINKING_STREAM), (False, THINKING_BODY)], ids=["stream", "json"]
)
def test_anthropic_thinking_blocks_keep_their_signatures_to_send_back(
    stream: bool, body: bytes, entry: str
) -> None:
    client = create_client(
        "claude-haiku-4-5", api_key="sk-ant-test", stream=stream, thinking_budget_tokens=2048
    )
    with serve(200, body, None if stream else JSON):
        response, _ = run(client, [user_message("2+2?")], entry)
    assert response.thinking_blocks == [
        ThinkingBlock(thinking="Two plus two is four.", signature="EqQBCkYIBxgCKkBsig=="),
        ThinkingBlock(redacted=True, data="EmwKAhgBEgy3va3pzix"),
    ]
    next_turn = {
        "role": "assistant",
        "content": [b.to_content_block() for b in response.thinking_blocks]
        + [{"type": "text", "text": "4"}],
    }
    with serve(200, body, None if stream else JSON) as served:
        client([user_message("2+2?"), next_turn, user_message("and 3+3?")])
    sent = served.sent_json()["messages"][1]["content"]
    assert sent[0] == {
        "type": "thinking",
        "thinking": "Two plus two is four.",
        "signature": "EqQBCkYIBxgCKkBsig==",
    }
    assert sent[1] == {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}
