"""``llm_instrument``'s content capture reaches openai-v2 (opentelemetry-util-genai's modes).

util-genai reads ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` as ``NO_CONTENT``,
``SPAN_ONLY``, ``EVENT_ONLY`` or ``SPAN_AND_EVENT`` and takes ``true`` for no content at all, so
``capture_content`` must set those modes. Replayed from the project cassette ``openai/text``.
"""

from __future__ import annotations

import openai
import pytest
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

from tests.harness.plugin.conftest import OPENAI, recording


def _ask(llm_spans):
    rec = recording(OPENAI)
    openai.OpenAI().chat.completions.create(**rec.body)
    return llm_spans.find(f"chat {rec.model}").attributes


@pytest.mark.llm_cassette(OPENAI)
def test_capture_content_true_puts_messages_on_the_span_and_in_an_event(
    llm_spans, llm_instrument
) -> None:
    llm_instrument(OpenAIInstrumentor(), capture_content=True)
    assert "gen_ai.input.messages" in _ask(llm_spans)
    assert len(llm_spans.logs()) == 1  # gen_ai.client.inference.operation.details


@pytest.mark.llm_cassette(OPENAI)
def test_capture_content_false_keeps_messages_out(llm_spans, llm_instrument) -> None:
    llm_instrument(OpenAIInstrumentor(), capture_content=False)
    assert "gen_ai.input.messages" not in _ask(llm_spans)
    assert llm_spans.logs() == []


@pytest.mark.llm_cassette(OPENAI)
def test_a_mode_name_is_passed_on_as_it_is(llm_spans, llm_instrument) -> None:
    llm_instrument(OpenAIInstrumentor(), capture_content="span_only")
    assert "gen_ai.input.messages" in _ask(llm_spans)
    assert llm_spans.logs() == []  # on the span only


def test_an_unknown_mode_is_one_clear_line(llm_instrument) -> None:
    with pytest.raises(ValueError) as raised:
        llm_instrument(OpenAIInstrumentor(), capture_content="yes")
    assert str(raised.value) == (
        "llm_instrument: capture_content='yes' is not True, False or one of "
        "NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT"
    )
