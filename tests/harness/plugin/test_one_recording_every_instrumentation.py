"""One recording, every instrumentation: the same cassette replayed through sik_llms and through
the raw SDK under openai-v2, OpenLLMetry and the Anthropic SDK's own tracing, each asserted
through the plugin (``llm_cassette`` marker, ``llm_instrument``, ``llm_spans.assert_tree``).

An OpenAI recording cannot be read by the Anthropic SDK (nor the reverse), so there is one of
each from the project's cassettes: ``openai/text`` (sik_llms, openai-v2, OpenLLMetry) and
``anthropic/text`` (sik_llms, the Anthropic SDK's tracing, OpenLLMetry). Each test sends the
recorded request body as it is, so a re-recording with another model or prompt keeps them
valid; and each checks that its chat span reports the recording's own response id and token
counts, so all of them demonstrably read the same answer.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from tests.harness.plugin.conftest import ANTHROPIC, OPENAI, Recording, recording


def reads_the_recording(llm_spans, name: str, rec: Recording) -> None:
    """The span ``name`` reports the recorded answer: its id and its token counts."""
    span = llm_spans.find(name)
    inputs, outputs = rec.usage()
    assert span.attributes["gen_ai.response.id"] == rec.answer["id"]
    assert span.attributes["gen_ai.usage.input_tokens"] == inputs
    assert span.attributes["gen_ai.usage.output_tokens"] == outputs


def holds_the_prompt(llm_spans, name: str, rec: Recording) -> None:
    messages = json.loads(llm_spans.find(name).attributes["gen_ai.input.messages"])
    assert rec.prompt in json.dumps(messages, ensure_ascii=False)


# ---------------------------------------------------------------- one OpenAI recording


@pytest.mark.llm_cassette(OPENAI)
def test_sik_llms_reads_the_openai_recording(llm_spans) -> None:
    from sik_llms.providers.openai import client_from_recorded_request

    rec = recording(OPENAI)
    client, messages = client_from_recorded_request(rec.path, rec.body)
    client(messages)
    llm_spans.assert_tree(f"""
        llm.request llm.model={rec.model} llm.provider=openai
          * [CLIENT] gen_ai.operation.name=chat gen_ai.request.model={rec.model}
            http.request [CLIENT] http.response.status_code=200
    """)
    reads_the_recording(llm_spans, "llm.openai*", rec)


@pytest.mark.llm_cassette(OPENAI)
def test_openai_v2_reads_the_same_openai_recording(llm_spans, llm_instrument) -> None:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    llm_instrument(OpenAIInstrumentor(), capture_content=True)
    rec = recording(OPENAI)
    openai.OpenAI().chat.completions.create(**rec.body)
    llm_spans.assert_tree(f"""
        "chat {rec.model}" [CLIENT] gen_ai.provider.name=openai gen_ai.request.model={rec.model}
    """)
    reads_the_recording(llm_spans, f"chat {rec.model}", rec)
    holds_the_prompt(llm_spans, f"chat {rec.model}", rec)  # capture_content reached openai-v2
    inputs, _ = rec.usage()
    tokens_in = llm_spans.metric_value("gen_ai.client.token.usage", gen_ai_token_type="input")
    assert tokens_in["sum"] == inputs  # its metrics read the same answer


@pytest.mark.llm_cassette(OPENAI)
def test_openllmetry_reads_the_same_openai_recording(llm_spans, llm_instrument) -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    llm_instrument(OpenAIInstrumentor(), capture_content=True)
    rec = recording(OPENAI)
    openai.OpenAI().chat.completions.create(**rec.body)
    llm_spans.assert_tree(f"""
        openai.chat [CLIENT] gen_ai.provider.name=openai gen_ai.request.model={rec.model}
    """)
    reads_the_recording(llm_spans, "openai.chat", rec)
    holds_the_prompt(llm_spans, "openai.chat", rec)


# ------------------------------------------------------------- one Anthropic recording


@pytest.mark.llm_cassette(ANTHROPIC)
def test_sik_llms_reads_the_anthropic_recording(llm_spans) -> None:
    from sik_llms.providers.anthropic import client_from_recorded_request

    rec = recording(ANTHROPIC)
    client, messages = client_from_recorded_request(rec.path, rec.body)
    client(messages)
    llm_spans.assert_tree(f"""
        llm.request llm.model={rec.model} llm.provider=anthropic
          * [CLIENT] gen_ai.operation.name=chat gen_ai.request.model={rec.model}
            http.request [CLIENT] http.response.status_code=200
    """)
    # sik_llms turns the SDK's own span off on its clients: one tree, no duplicate
    assert not llm_spans.find_all("anthropic.*")
    reads_the_recording(llm_spans, "llm.anthropic*", rec)


@pytest.mark.llm_cassette(ANTHROPIC)
def test_the_anthropic_sdks_own_tracing_reads_the_same_anthropic_recording(llm_spans) -> None:
    rec = recording(ANTHROPIC)
    # no instrumentor: the SDK traces through the global provider, which the plugin routes here
    client = anthropic.Anthropic(open_telemetry={"traces": {"content_mode": "content"}})
    client.messages.create(**rec.body)
    llm_spans.assert_tree(
        f"""
        anthropic.messages.create [CLIENT] gen_ai.provider.name=anthropic gen_ai.request.model={rec.model}
    """,
        exact=True,
    )
    reads_the_recording(llm_spans, "anthropic.messages.create", rec)
    holds_the_prompt(llm_spans, "anthropic.messages.create", rec)


@pytest.mark.llm_cassette(ANTHROPIC)
def test_openllmetry_reads_the_same_anthropic_recording(llm_spans, llm_instrument) -> None:
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

    llm_instrument(AnthropicInstrumentor(), capture_content=True)
    rec = recording(ANTHROPIC)
    anthropic.Anthropic().messages.create(**rec.body)
    # OpenLLMetry's span does not become current, so the SDK's own span is its sibling
    llm_spans.assert_tree(f"""
        anthropic.chat [CLIENT] gen_ai.provider.name=anthropic gen_ai.request.model={rec.model}
        anthropic.messages.create [CLIENT] gen_ai.request.model={rec.model}
    """)
    reads_the_recording(llm_spans, "anthropic.chat", rec)
    reads_the_recording(llm_spans, "anthropic.messages.create", rec)
    holds_the_prompt(llm_spans, "anthropic.chat", rec)
