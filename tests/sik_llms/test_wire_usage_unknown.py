"""Unknown is not zero: a call that ends without usage reports token fields None, leaves the
token span attributes out, records no token histogram point and adds nothing to the token
counters (a 0 would show the call as free on every dashboard)."""

from __future__ import annotations

import pytest

from harness.spans.capture import capture
from sik_llms import create_client, user_message
from sik_llms.errors import ServerError
from tests.sik_llms.wire_cases import (
    ENTRIES,
    JSON,
    block_delta,
    block_start,
    chat_choice,
    chat_sse,
    message_start,
    named_sse,
    run,
    serve,
)

ASK = [user_message("hi")]
TOKEN_ATTRIBUTES = (
    "llm.tokens.input",
    "llm.tokens.output",
    "llm.tokens.total",
    "llm.tokens.cache_read",
    "llm.tokens.cache_write",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
)

NO_USAGE_CHAT = chat_sse(
    chat_choice({"role": "assistant", "content": "Hello"}), chat_choice({}, "stop")
)
NO_USAGE_RESPONSES = named_sse(
    {
        "type": "response.created",
        "response": {"id": "resp_1", "model": "gpt-4o-mini", "output": []},
    },
    {"type": "response.output_text.delta", "output_index": 0, "delta": "Hello"},
)
NO_MESSAGE_DELTA = named_sse(
    message_start(input_tokens=20),
    block_start(0, {"type": "text", "text": ""}),
    block_delta(0, {"type": "text_delta", "text": "Hello"}),
)


def _attributes(cap) -> dict:
    merged: dict = {}
    for span in cap.spans():
        merged.update(span.attributes)
    return merged


def _token_points(cap) -> list[dict]:
    return [p for p in cap.metrics() if p["name"] == "gen_ai.client.token.usage"]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    ("model", "options", "body"),
    [
        ("gpt-4o-mini", {}, NO_USAGE_CHAT),
        ("gpt-4o-mini", {"api": "responses"}, NO_USAGE_RESPONSES),
    ],
    ids=["chat-ignored-include_usage", "responses-cut-before-completed"],
)
def test_an_openai_call_without_usage_reports_unknown_tokens_everywhere(
    model: str, options: dict, body: bytes, entry: str
) -> None:
    client = create_client(model, api_key="sk-test", **options)
    with capture() as cap, serve(200, body):
        response, _ = run(client, ASK, entry)
    assert response.response == "Hello"
    assert (response.input_tokens, response.output_tokens, response.total_tokens) == (
        None,
        None,
        None,
    )
    assert (response.cache_read_tokens, response.reasoning_tokens, response.total_cost) == (
        None,
        None,
        None,
    )
    attributes = _attributes(cap)
    assert not [key for key in TOKEN_ATTRIBUTES if key in attributes]
    assert "llm.cost.total" not in attributes
    assert _token_points(cap) == []
    assert cap.metric_value("llm.tokens.input", None, llm_model=model) is None
    assert cap.metric_value("llm.tokens.output", None, llm_model=model) is None
    assert cap.metric_value("llm.requests", llm_model=model) == 1  # the call itself still counts


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_anthropic_stream_cut_before_message_delta_knows_its_input_but_not_its_output(
    entry: str,
) -> None:
    client = create_client("claude-haiku-4-5", api_key="sk-ant-test")
    with capture() as cap, serve(200, NO_MESSAGE_DELTA):
        response, _ = run(client, ASK, entry)
    assert response.response == "Hello"
    assert (response.input_tokens, response.output_tokens) == (
        20,
        None,
    )  # never message_start's placeholder 1
    assert response.total_cost is None
    attributes = _attributes(cap)
    assert attributes["gen_ai.usage.input_tokens"] == 20
    assert "gen_ai.usage.output_tokens" not in attributes and "llm.tokens.output" not in attributes
    assert [p["attributes"]["gen_ai.token.type"] for p in _token_points(cap)] == ["input"]
    assert cap.metric_value("llm.tokens.output", None, llm_model="claude-haiku-4-5") is None
    assert cap.metric_value("llm.tokens.input", llm_model="claude-haiku-4-5") == 20


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
def test_a_failed_call_records_no_tokens(model: str) -> None:
    client = create_client(model, api_key="sk-test", max_retries=0)
    with (
        capture() as cap,
        serve(500, b'{"error": {"message": "down", "type": "server_error"}}', JSON),
        pytest.raises(ServerError),
    ):
        client(ASK)
    assert _token_points(cap) == []
    assert cap.metric_value("llm.tokens.input", None, llm_model=model) is None
    assert cap.metric_value("llm.requests.failed", llm_model=model) == 1
    assert not [key for key in TOKEN_ATTRIBUTES if key in _attributes(cap)]


def test_a_reported_zero_is_still_recorded_as_zero() -> None:
    body = chat_sse(
        chat_choice({"content": ""}, "stop"),
        {"choices": [], "usage": {"prompt_tokens": 0, "completion_tokens": 0}},
    )
    client = create_client("gpt-4o-mini", api_key="sk-test")
    with capture() as cap, serve(200, body):
        response = client(ASK)
    assert (response.input_tokens, response.output_tokens) == (0, 0)
    assert _attributes(cap)["gen_ai.usage.output_tokens"] == 0
    assert len(_token_points(cap)) == 2
