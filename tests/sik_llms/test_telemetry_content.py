"""Message content mapped to the GenAI conventions' parts, whatever spelling was sent."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sik_llms.telemetry import content


def test_an_assistant_tool_call_turn_and_its_result_keep_their_structure():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]  # fmt: skip
    inputs, system = content.split_input(messages)
    assert system == [{"type": "text", "content": "Be brief."}]
    assert inputs[1] == {
        "role": "assistant",
        "parts": [
            {"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}
        ],
    }
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_1", "response": "18C"}],
    }


def test_anthropic_tool_blocks_and_responses_items_map_to_the_same_parts():
    anthropic = [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "tu_1", "name": "f", "input": {"x": 1}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "ok"}],
        },
    ]
    inputs, _ = content.split_input(anthropic)
    assert inputs[0]["parts"] == [
        {"type": "tool_call", "id": "tu_1", "name": "f", "arguments": {"x": 1}}
    ]
    assert inputs[1]["parts"] == [{"type": "tool_call_response", "id": "tu_1", "response": "ok"}]
    responses = [
        {"type": "function_call", "call_id": "c9", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c9", "output": "done"},
    ]
    inputs, _ = content.split_input(responses)
    assert inputs == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c9", "name": "f", "arguments": {}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c9", "response": "done"}]},
    ]


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"type": "image_url", "image_url": {"url": "https://x/cat.png"}}, {"type": "uri", "modality": "image", "uri": "https://x/cat.png"}),
        ({"type": "image", "source_type": "url", "data": "https://x/cat.png"}, {"type": "uri", "modality": "image", "uri": "https://x/cat.png"}),
        ({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
         {"type": "blob", "modality": "image", "content": "AAAA", "mime_type": "image/png"}),
        ({"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,BBBB"}},
         {"type": "blob", "modality": "image", "content": "BBBB", "mime_type": "image/jpeg"}),
    ],
)  # fmt: skip
def test_images_become_uri_or_blob_parts_with_their_content(part, expected):
    (message,), _ = content.split_input([{"role": "user", "content": [part]}])
    assert message["parts"] == [expected]


@pytest.mark.parametrize(
    ("raw", "mapped"),
    [("stop", "stop"), ("end_turn", "stop"), ("completed", "stop"), ("tool_calls", "tool_call"), ("tool_use", "tool_call"),
     ("max_tokens", "length"), ("length", "length"), ("content_filter", "content_filter"), ("refusal", "content_filter"),
     ("something_new", None), (None, None)],
)  # fmt: skip
def test_finish_reasons_map_to_the_conventions_values(raw, mapped):
    assert content.finish_reason(raw) == mapped


def test_an_answer_with_tool_calls_is_an_output_message_with_tool_call_parts():
    prediction = SimpleNamespace(call_id="c1", name="weather", arguments={"city": "Paris"})
    response = SimpleNamespace(
        tool_predictions=[prediction], message="Checking.", finish_reason="tool_calls"
    )
    assert content.output_message(response) == {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Checking."},
            {"type": "tool_call", "id": "c1", "name": "weather", "arguments": {"city": "Paris"}},
        ],
        "finish_reason": "tool_call",
    }
