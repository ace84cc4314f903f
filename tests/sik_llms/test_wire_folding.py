"""Streamed tool-call deltas fold by one rule on every API: complete fields (id, type, name)
are set, never concatenated; argument pieces are appended; a new id starts a new call even
at a reused index; a delta without id continues the call open at its index."""

from __future__ import annotations

import pytest

from harness.spans.capture import capture
from sik_llms import Tool, create_client, user_message
from sik_llms.providers._fold import ToolCallFolder
from sik_llms.tools import Parameter
from sik_llms.types import ToolCallChunkEvent, ToolPredictionResponse
from tests.sik_llms.wire_cases import (
    ENTRIES,
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

READ_FILE = Tool(
    name="read_file", parameters=[Parameter(name="path", param_type=str, required=True)]
)
ASK = [user_message("open the notes")]


def _inference(cap, prefix: str):
    return next(s for s in cap.spans() if s.name.startswith(prefix))


def _calls(response: ToolPredictionResponse) -> list[tuple[str, dict, str | None]]:
    assert isinstance(response, ToolPredictionResponse)
    return [(p.name, p.arguments, p.call_id) for p in response.tool_predictions]


def test_the_folder_sets_complete_fields_and_appends_pieces() -> None:
    folder = ToolCallFolder()
    for piece in ('{"pa', 'th": ', '"a.txt', '"}'):
        folder.delta(0, id="call_1", name="read_file", kind="function", piece=piece)
    folder.delta(0, id="call_2", name="read_file", piece="{}")  # new id, reused index: a new call
    folder.delta(0, piece=" ")  # no id: continues call_2
    calls = folder.calls()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_1", "read_file", '{"path": "a.txt"}'),
        ("call_2", "read_file", "{} "),
    ]


# The example: an OpenAI-compatible server repeats the name in each of four chunks.
REPEATED_NAME = chat_sse(
    chat_choice(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_rf",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"pa'},
                }
            ],
        }
    ),
    chat_choice(
        {"tool_calls": [{"index": 0, "function": {"name": "read_file", "arguments": 'th": "no'}}]}
    ),
    chat_choice(
        {"tool_calls": [{"index": 0, "function": {"name": "read_file", "arguments": "tes.md"}}]}
    ),
    chat_choice(
        {"tool_calls": [{"index": 0, "function": {"name": "read_file", "arguments": '"}'}}]},
        "tool_calls",
    ),
    chat_usage(30, 12),
)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_name_repeated_in_every_chat_chunk_is_one_call_through_every_entry_point(
    entry: str,
) -> None:
    client = create_client("gpt-4o-mini", tools=[READ_FILE], api_key="sk-test")
    with capture() as cap, serve(200, REPEATED_NAME):
        response, events = run(client, ASK, entry)
    assert _calls(response) == [("read_file", {"path": "notes.md"}, "call_rf")]
    if entry.startswith("stream"):
        chunks = [e for e in events if isinstance(e, ToolCallChunkEvent)]
        assert [c.name for c in chunks] == ["read_file"] * 4
        assert "".join(c.arguments_delta for c in chunks) == '{"path": "notes.md"}'
    span = _inference(cap, "llm.openai.tools")
    assert span.attributes["llm.tool_calls.count"] == 1
    assert (
        "gen_ai.response.time_to_first_chunk" in span.attributes
    )  # a tool-only stream has a first chunk
    assert span.attributes["gen_ai.usage.output_tokens"] == 12
    assert cap.metric_value("llm.requests", llm_model="gpt-4o-mini") == 1


def test_a_new_id_at_a_reused_chat_index_starts_a_new_call_and_id_less_deltas_continue_it() -> None:
    body = chat_sse(
        chat_choice(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"path": "a"}'},
                    }
                ]
            }
        ),
        chat_choice(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"path"'},
                    }
                ]
            }
        ),
        chat_choice(
            {"tool_calls": [{"index": 0, "function": {"arguments": ': "b"}'}}]}, "tool_calls"
        ),
        chat_usage(30, 20),
    )
    client = create_client("gpt-4o-mini", tools=[READ_FILE], api_key="sk-test")
    with serve(200, body):
        response = client(ASK)
    assert _calls(response) == [
        ("read_file", {"path": "a"}, "call_a"),
        ("read_file", {"path": "b"}, "call_b"),
    ]


def test_interleaved_parallel_chat_calls_fold_per_index() -> None:
    body = chat_sse(
        chat_choice(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_0",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": ""},
                    }
                ]
            }
        ),
        chat_choice(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"path":'},
                    }
                ]
            }
        ),
        chat_choice({"tool_calls": [{"index": 0, "function": {"arguments": '{"path": "x"}'}}]}),
        chat_choice(
            {"tool_calls": [{"index": 1, "function": {"arguments": ' "y"}'}}]}, "tool_calls"
        ),
    )
    client = create_client("gpt-4o-mini", tools=[READ_FILE], api_key="sk-test")
    with serve(200, body):
        response = client(ASK)
    assert _calls(response) == [
        ("read_file", {"path": "x"}, "call_0"),
        ("read_file", {"path": "y"}, "call_1"),
    ]


def _responses_tool_stream(completed: bool) -> bytes:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_r1",
        "name": "read_file",
        "arguments": "",
        "status": "in_progress",
    }
    events = [
        {
            "type": "response.created",
            "response": {"id": "resp_1", "model": "gpt-5-mini-2025-08-07", "output": []},
        },
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 0,
            "item_id": "fc_1",
            "delta": '{"path": ',
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 0,
            "item_id": "fc_1",
            "delta": '"r.md"}',
        },
    ]
    if completed:
        done = {**item, "arguments": '{"path": "r.md"}', "status": "completed"}
        events += [
            {
                "type": "response.function_call_arguments.done",
                "output_index": 0,
                "item_id": "fc_1",
                "arguments": '{"path": "r.md"}',
            },
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            {
                "type": "response.completed",
                "response": {
                    "id": "resp_1",
                    "model": "gpt-5-mini-2025-08-07",
                    "status": "completed",
                    "output": [done],
                    "usage": {"input_tokens": 40, "output_tokens": 9},
                },
            },
        ]
    return named_sse(*events)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("completed", [True, False], ids=["completed", "cut-before-completed"])
def test_responses_function_call_deltas_fold_with_or_without_the_final_response(
    entry: str, completed: bool
) -> None:
    client = create_client("gpt-5-mini", tools=[READ_FILE], api="responses", api_key="sk-test")
    with capture() as cap, serve(200, _responses_tool_stream(completed)):
        response, _ = run(client, ASK, entry)
    assert _calls(response) == [("read_file", {"path": "r.md"}, "call_r1")]
    span = _inference(cap, "llm.openai.tools")
    assert "gen_ai.response.time_to_first_chunk" in span.attributes
    if completed:
        assert response.input_tokens == 40 and span.attributes["gen_ai.usage.input_tokens"] == 40
    else:  # the usage never came: unknown, not zero
        assert response.input_tokens is None and "gen_ai.usage.input_tokens" not in span.attributes


def _anthropic_tools_stream() -> bytes:
    return named_sse(
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "Reading both."}),
        block_start(1, {"type": "tool_use", "id": "toolu_a", "name": "read_file", "input": {}}),
        block_delta(1, {"type": "input_json_delta", "partial_json": ""}),
        block_delta(1, {"type": "input_json_delta", "partial_json": '{"path": "a'}),
        block_delta(1, {"type": "input_json_delta", "partial_json": '.md"}'}),
        block_start(2, {"type": "tool_use", "id": "toolu_b", "name": "read_file", "input": {}}),
        block_delta(2, {"type": "input_json_delta", "partial_json": '{"path": "b.md"}'}),
        message_delta("tool_use", 44),
        {"type": "message_stop"},
    )


@pytest.mark.parametrize("entry", ENTRIES)
def test_anthropic_input_json_deltas_fold_per_block(entry: str) -> None:
    client = create_client("claude-haiku-4-5", tools=[READ_FILE], api_key="sk-ant-test")
    with capture() as cap, serve(200, _anthropic_tools_stream()):
        response, _ = run(client, ASK, entry)
    assert _calls(response) == [
        ("read_file", {"path": "a.md"}, "toolu_a"),
        ("read_file", {"path": "b.md"}, "toolu_b"),
    ]
    assert response.message == "Reading both."
    span = _inference(cap, "llm.anthropic.tools")
    assert span.attributes["llm.tool_calls.count"] == 2
    assert span.attributes["gen_ai.usage.output_tokens"] == 44
    assert cap.metric_value("llm.tokens.output", llm_model="claude-haiku-4-5") == 44


def test_responses_deltas_that_name_only_their_item_id_fold_into_that_item() -> None:
    item = {
        "id": "fc_9",
        "type": "function_call",
        "call_id": "call_9",
        "name": "read_file",
        "arguments": "",
    }
    body = named_sse(
        {"type": "response.output_item.added", "output_index": 3, "item": item},
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_9",
            "delta": '{"path": "z"}',
        },
    )
    client = create_client("gpt-5-mini", tools=[READ_FILE], api="responses", api_key="sk-test")
    with serve(200, body):
        response = client(ASK)
    assert _calls(response) == [("read_file", {"path": "z"}, "call_9")]


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_anthropic_tool_only_stream_has_a_time_to_first_chunk(entry: str) -> None:
    body = named_sse(
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_only", "name": "read_file", "input": {}}),
        block_delta(0, {"type": "input_json_delta", "partial_json": '{"path": "c.md"}'}),
        message_delta("tool_use", 20),
    )
    client = create_client("claude-haiku-4-5", tools=[READ_FILE], api_key="sk-ant-test")
    with capture() as cap, serve(200, body):
        response, events = run(client, ASK, entry)
    assert _calls(response) == [("read_file", {"path": "c.md"}, "toolu_only")]
    if entry.startswith("stream"):
        assert [type(e).__name__ for e in events] == ["ToolCallChunkEvent", "ToolCallChunkEvent"]
    span = _inference(cap, "llm.anthropic.tools")
    assert "gen_ai.response.time_to_first_chunk" in span.attributes
    assert "llm.time_to_first_chunk_seconds" in span.attributes
