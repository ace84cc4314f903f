"""Fuzz of everything that reads provider data: the SSE decoder, the three parsers and the
cassette loader. Whatever the bytes, each either parses or raises its documented typed error
(``LLMError`` for the parsers, ``CassetteError`` for the loader); the decoder never raises.

Inputs are real-shaped: recorded event templates with random parts replaced or removed, mixed
with raw bytes. 11,000 examples in all (3 x 2,000 parser runs, 2,500 decoder inputs, 2,000 cassettes, 500 whole calls through the client and its HTTP seam), derandomized (the same examples on every run, so CI is
reproducible) and without deadlines; each test a few seconds to a minute on a busy core.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cassettes import CassetteError
from harness.cassettes.format import parse_cassette
from sik_llms import create_client, user_message
from sik_llms.errors import LLMError
from sik_llms.providers._anthropic_parsers import AnthropicParser
from sik_llms.providers._openai_chat_parser import OpenAIChatParser
from sik_llms.providers._openai_responses_parser import OpenAIResponsesParser
from sik_llms.sse import SseDecoder, SseEvent
from tests.sik_llms.wire_cases import serve


def _profile(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=5,
)

CHAT = [
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "Hi"},
                "finish_reason": None,
                "logprobs": {"content": [{"logprob": -0.1}]},
            }
        ],
    },
    {
        "id": "c1",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a": 1}'},
                        }
                    ]
                },
            }
        ],
    },
    {
        "id": "c1",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "type": "custom", "custom": {"name": "g", "input": "x"}}
                    ]
                },
                "finish_reason": "tool_calls",
            }
        ],
    },
    {
        "id": "c1",
        "model": "gpt-4o-mini",
        "choices": [],
        "usage": {
            "prompt_tokens": 3,
            "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": 1},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    },
    {"error": {"message": "boom", "type": "server_error"}},
]
CHAT_BODY = {
    "id": "c",
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {
                "role": "assistant",
                "content": "Hi",
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2},
}
RESPONSES = [
    {"type": "response.created", "response": {"id": "r", "model": "gpt-5-mini", "output": []}},
    {"type": "response.output_text.delta", "delta": "Hi", "output_index": 0},
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {
            "type": "function_call",
            "id": "fc",
            "call_id": "call_1",
            "name": "f",
            "arguments": "",
        },
    },
    {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '{"a":'},
    {"type": "response.function_call_arguments.done", "output_index": 1, "arguments": '{"a": 1}'},
    {
        "type": "response.output_item.done",
        "output_index": 2,
        "item": {
            "type": "web_search_call",
            "id": "ws",
            "status": "completed",
            "action": {"query": "q"},
        },
    },
    {
        "type": "response.completed",
        "response": {
            "id": "r",
            "model": "gpt-5-mini",
            "status": "completed",
            "output": [
                {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]},
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "f",
                    "arguments": '{"a": 1}',
                },
                {"type": "reasoning", "summary": [{"text": "t"}]},
            ],
            "usage": {
                "input_tokens": 3,
                "output_tokens": 2,
                "input_tokens_details": {"cached_tokens": 0},
            },
        },
    },
    {"type": "response.failed", "response": {"error": {"code": "server_error", "message": "m"}}},
]
ANTHROPIC = [
    {
        "type": "message_start",
        "message": {
            "id": "m",
            "model": "claude-haiku-4-5",
            "content": [],
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    },
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": ""},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "hm"},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "sig"},
    },
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"a": 1}'},
    },
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {
            "type": "server_tool_use",
            "id": "s",
            "name": "web_search",
            "input": {"query": "q"},
        },
    },
    {
        "type": "content_block_start",
        "index": 3,
        "content_block": {
            "type": "web_search_tool_result",
            "tool_use_id": "s",
            "content": [{"type": "web_search_result", "url": "u"}],
        },
    },
    {"type": "content_block_delta", "index": 4, "delta": {"type": "text_delta", "text": "Hi"}},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 2, "output_tokens_details": {"thinking_tokens": 1}},
    },
]
ANTHROPIC_BODY = {
    "id": "m",
    "model": "claude-haiku-4-5",
    "stop_reason": "tool_use",
    "content": [
        {"type": "text", "text": "Hi"},
        {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}},
        {"type": "redacted_thinking", "data": "x"},
    ],
    "usage": {"input_tokens": 3, "output_tokens": 2},
}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, templates: list[dict[str, Any]] | dict[str, Any]) -> Any:
    """A template with up to three of its parts replaced by any JSON value, or removed."""
    base = draw(st.sampled_from(templates)) if isinstance(templates, list) else templates
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        if not path:
            value = draw(JSON_VALUES)
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return value


def _data(draw: st.DrawFn, templates: list[dict[str, Any]]) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=40))
    encoded = json.dumps(draw(mutated(templates)), allow_nan=True).encode()
    if kind == 1 and encoded:  # a broken byte somewhere
        at = draw(st.integers(0, len(encoded) - 1))
        encoded = encoded[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + encoded[at + 1 :]
    return encoded


def _exercise(parser: Any, events: list[SseEvent], body: bytes | None) -> None:
    try:
        if body is not None:
            parser.feed_body(body)
        for event in events:
            parser.feed_sse(event)
        parser.finish()
    except LLMError:
        pass  # the documented outcome for data we cannot use


PARSERS = {
    "chat": (lambda kind: OpenAIChatParser("gpt-4o-mini", kind), CHAT, CHAT_BODY, lambda d: None),
    "responses": (
        lambda kind: OpenAIResponsesParser("gpt-5-mini", kind),
        RESPONSES,
        RESPONSES[6]["response"],
        lambda d: d,
    ),
    "anthropic": (
        lambda kind: AnthropicParser("claude-haiku-4-5", kind, structured_tool=None),
        ANTHROPIC,
        ANTHROPIC_BODY,
        lambda d: d,
    ),
}


@st.composite
def parser_runs(draw: st.DrawFn, name: str) -> tuple[Any, list[SseEvent], bytes | None]:
    make, templates, body_template, _ = PARSERS[name]
    parser = make(draw(st.sampled_from(["text", "tools"])))
    if draw(st.integers(0, 4)) == 0:
        body = (
            json.dumps(draw(mutated(body_template))).encode()
            if draw(st.booleans())
            else draw(st.binary(max_size=30))
        )
        return parser, [], body
    events = []
    for _ in range(draw(st.integers(1, 4))):
        data = _data(draw, templates)
        if name == "anthropic":
            event_name = draw(
                st.sampled_from(["message_start", "content_block_delta", "error", "ping", None])
            )
        else:
            event_name = draw(st.sampled_from([None, "x"]))
        events.append(SseEvent(event_name, data))
    return parser, events, None


@_profile(2000)
@given(parser_runs("chat"))
def test_the_chat_completions_parser_turns_any_data_into_a_response_or_a_typed_error(
    run: tuple[Any, list[SseEvent], bytes | None],
) -> None:
    _exercise(*run)


@_profile(2000)
@given(parser_runs("responses"))
def test_the_responses_parser_turns_any_data_into_a_response_or_a_typed_error(
    run: tuple[Any, list[SseEvent], bytes | None],
) -> None:
    _exercise(*run)


@_profile(2000)
@given(parser_runs("anthropic"))
def test_the_anthropic_parser_turns_any_data_into_a_response_or_a_typed_error(
    run: tuple[Any, list[SseEvent], bytes | None],
) -> None:
    _exercise(*run)


@_profile(2500)
@given(st.binary(max_size=200), st.lists(st.integers(0, 200), max_size=6))
def test_the_sse_decoder_never_raises_and_splitting_the_bytes_changes_nothing(
    raw: bytes, cuts: list[int]
) -> None:
    whole = SseDecoder()
    expected = whole.feed(raw) + whole.flush()
    pieces = SseDecoder()
    got: list[SseEvent] = []
    start = 0
    for cut in sorted(c for c in cuts if c <= len(raw)):
        got += pieces.feed(raw[start:cut])
        start = cut
    got += pieces.feed(raw[start:]) + pieces.flush()
    assert got == expected
    assert all(
        isinstance(e.data, bytes) and (e.event is None or isinstance(e.event, str)) for e in got
    )


CASSETTE = {
    "version": 1,
    "interactions": [
        {
            "request": {
                "method": "POST",
                "uri": "https://api.openai.com/v1/chat/completions",
                "body": '{"model": "gpt-4o-mini"}',
                "headers": {"content-type": ["application/json"]},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": '{"choices": []}'},
            },
        }
    ],
}


@st.composite
def cassette_texts(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=80))
    return yaml.safe_dump(draw(mutated(CASSETTE)), allow_unicode=True)


@_profile(2000)
@given(cassette_texts())
def test_the_cassette_loader_turns_any_text_into_a_cassette_or_a_cassette_error(text: str) -> None:
    with contextlib.suppress(CassetteError):
        parse_cassette(text, name="fuzz")


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, bool, bool, int, str | None, bytes]:
    """(provider API, streamed, tools, HTTP status, content type, body) of one whole answer."""
    which = draw(st.sampled_from(["chat", "responses", "anthropic"]))
    stream = draw(st.booleans())
    if stream:
        templates = {"chat": CHAT, "responses": RESPONSES, "anthropic": ANTHROPIC}[which]
        events = [draw(mutated(templates)) for _ in range(draw(st.integers(0, 4)))]
        names = [
            e.get("type") if isinstance(e, dict) and isinstance(e.get("type"), str) else "x"
            for e in events
        ]
        body = "".join(
            f"event: {name}\ndata: {json.dumps(e)}\n\n"
            for name, e in zip(names, events, strict=True)
        ).encode()
    else:
        template = {
            "chat": CHAT_BODY,
            "responses": RESPONSES[6]["response"],
            "anthropic": ANTHROPIC_BODY,
        }[which]
        body = json.dumps(draw(mutated(template))).encode()
    status = draw(st.sampled_from([200, 200, 200, 302, 400, 404, 429, 500, 529]))
    ctype = draw(
        st.sampled_from(
            [
                None,
                "text/event-stream",
                "application/json",
                "text/html",
                "text/plain; charset=x",
                "",
            ]
        )
    )
    return which, stream, draw(st.booleans()), status, ctype, body


@_profile(500)
@given(answers())
def test_a_whole_call_through_the_client_ends_in_a_response_or_a_typed_error(answer: tuple) -> None:
    which, stream, tools, status, ctype, body = answer
    options: dict[str, Any] = {"api": "responses"} if which == "responses" else {}
    if tools:
        options["tools"] = (
            [{"name": "f", "input_schema": {"type": "object"}}]
            if which == "anthropic"
            else [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
        )
    client = create_client(
        "claude-haiku-4-5" if which == "anthropic" else "gpt-4o-mini",
        api_key="k",
        stream=stream,
        max_retries=0,
        **options,
    )
    with serve(status, body, ctype), contextlib.suppress(LLMError):
        client([user_message("hi")])
