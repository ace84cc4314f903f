"""The default render for any instrumentation: real spans from OpenLLMetry, the Anthropic SDK's
own tracing, openinference and openai-v2 (where they import), driven by the simulator.

Each call runs twice, against two simulators (different ports, response ids and system
fingerprints): the rendered text, verbose included, must be identical, and the default view
must show the GenAI facts of that instrumentation and none of its content or plumbing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.trace import SpanKind

from harness.simulator import Simulator
from harness.spans import capture
from harness.spans.defaults import default_selection, shown_by_default

PROMPT = [{"role": "user", "content": "hi"}]


def _openai_chat(sim: Simulator) -> None:
    openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim").chat.completions.create(
        model="gpt-4o-mini", messages=PROMPT
    )


def _openai_stream(sim: Simulator) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim")
    list(client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT, stream=True))


def _anthropic_message(sim: Simulator) -> None:
    anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="sk-sim").messages.create(
        model="claude-3-5-haiku-latest", max_tokens=20, messages=PROMPT
    )


def _renders(
    call: Callable[[Simulator], None], instrumentor: Any = None, **options: Any
) -> list[tuple[str, str]]:
    """(default render, verbose render) of ``call`` in two runs on two fresh simulators."""
    out = []
    for _ in range(2):
        with Simulator() as sim, capture(global_=True) as cap:
            if instrumentor is not None:
                cap.retire_providers()  # as llm_instrument does: OpenLLMetry keeps its wrappers
                instrumentor.instrument(
                    tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider
                )
            try:
                with cap.tracer("app").start_as_current_span(
                    "feature.answer", attributes={"app.feature": "answer", "llm.prompts.0": "x"}
                ):
                    call(sim)
            finally:
                if instrumentor is not None:
                    instrumentor.uninstrument()
            tree = cap.tree()
            out.append((tree.render(**options), tree.render(verbose=True)))
    return out


def _assert_stable(runs: list[tuple[str, str]], *, verbose_too: bool = True) -> str:
    (default, verbose), (default_again, verbose_again) = runs
    assert default == default_again
    if verbose_too:
        assert verbose == verbose_again
    assert "127.0.0.1" not in verbose and ":" + "<port>" not in default
    return default


def test_openllmetry_openai_spans_show_the_genai_facts_and_render_the_same_every_run() -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    text = _assert_stable(_renders(_openai_chat, OpenAIInstrumentor()))
    chat = next(line for line in text.splitlines() if "openai.chat [CLIENT]" in line)
    for shown in (
        "gen_ai.operation.name=chat",
        "gen_ai.provider.name=openai",
        "gen_ai.request.model=gpt-4o-mini",
        "gen_ai.usage.input_tokens=",
        "gen_ai.usage.output_tokens=",
        'gen_ai.response.finish_reasons=["stop"]',
    ):
        assert shown in chat
    for hidden in ("gen_ai.input.messages", "api_base", "gen_ai.response.id", "fingerprint"):
        assert hidden not in chat
    # the wall-clock duration histogram: its count stays, its value is masked
    assert "gen_ai.client.operation.duration (s) histogram" in text
    assert "count=1 sum=<duration>" in text


def test_openllmetry_streaming_time_metrics_are_masked_so_runs_agree() -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    # verbose differs: OpenLLMetry wraps the stream once more after each uninstrument and
    # instrument, so its recorded content repeats (its bug, not a masking matter)
    text = _assert_stable(_renders(_openai_stream, OpenAIInstrumentor()), verbose_too=False)
    timing = [line for line in text.splitlines() if "time_to_generate" in line]
    assert timing and all(line.endswith("count=1 sum=<duration>") for line in timing)


def test_anthropic_sdk_tracing_and_openllmetry_anthropic_show_their_facts_not_their_ids() -> None:
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

    text = _assert_stable(_renders(_anthropic_message, AnthropicInstrumentor()))
    sdk = next(line for line in text.splitlines() if "anthropic.messages.create" in line)
    assert "anthropic.message.stop_reason=end_turn" in sdk
    assert "gen_ai.request.max_tokens=20" in sdk
    assert "http.response.status_code=200" in sdk
    assert "request.id" not in sdk and "organization" not in sdk
    openllmetry = next(line for line in text.splitlines() if "anthropic.chat" in line)
    assert "gen_ai.usage.input_tokens=" in openllmetry


def test_anthropic_sdk_ids_are_masked_in_the_verbose_view() -> None:
    (_, verbose), _ = _renders(_anthropic_message)
    assert "anthropic.request.id=<id>" in verbose
    assert "anthropic.organization.id=<id>" in verbose
    assert "url.full=<origin>/v1/messages" in verbose


def test_openinference_spans_show_their_llm_family_without_content() -> None:
    instrumentation = pytest.importorskip("openinference.instrumentation.openai")
    text = _assert_stable(_renders(_openai_chat, instrumentation.OpenAIInstrumentor()))
    line = next(line for line in text.splitlines() if "ChatCompletion" in line)
    for shown in ("llm.model_name=gpt-4o-mini", "llm.token_count.prompt=", "llm.system=openai"):
        assert shown in line
    assert "openinference.span.kind=LLM" in line
    assert "input.value" not in line and "llm.input_messages" not in line


def test_openai_v2_spans_show_the_genai_facts() -> None:
    try:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    except ImportError as exc:  # the peer pin is another change's; test what imports
        pytest.skip(f"openai-v2 does not import here: {exc}")
    text = _assert_stable(_renders(_openai_chat, OpenAIInstrumentor()))
    assert "gen_ai.request.model=gpt-4o-mini" in text


def test_your_own_attributes_show_on_your_own_spans_and_instrumentation_content_does_not() -> None:
    text = _assert_stable(_renders(_openai_chat))
    assert text.splitlines()[0] == "feature.answer 0us app.feature=answer"


def test_a_span_carrying_both_families_shows_the_llm_side_once() -> None:
    attributes = {
        "llm.model": "gpt-4o-mini",
        "gen_ai.request.model": "gpt-4o-mini",
        "llm.tokens.input": 3,
        "gen_ai.usage.input_tokens": 3,
        "server.port": 1,
        "customer.tier": "gold",
    }
    assert default_selection(attributes) == ["customer.tier", "llm.model", "llm.tokens.input"]
    assert default_selection({"gen_ai.request.model": "m"}) == ["gen_ai.request.model"]
    assert not shown_by_default("gen_ai.input.messages")
    assert shown_by_default("myapp.anything")


def test_masks_none_shows_a_time_metric_and_also_adds_attributes() -> None:
    with capture() as cap:
        histogram = cap.meter_provider.get_meter("app").create_histogram("app.wait", unit="s")
        histogram.record(0.25)
        with cap.tracer().start_as_current_span("step", kind=SpanKind.CLIENT) as span:
            span.set_attribute("url.path", "/v1/chat")
    tree = cap.tree()
    assert "app.wait (s) histogram count=1 sum=<duration>" in tree.render()
    assert "sum=0.25" in tree.render(masks={"app.wait": None})
    assert "step [CLIENT] 0us url.path=/v1/chat" in tree.render(also=["url.path"])
    with pytest.raises(TypeError, match="list of globs"):
        tree.render(attributes="url.path")


def test_attribute_and_sibling_order_never_depend_on_how_spans_were_made() -> None:
    texts = []
    for keys in (["b.x", "a.y", "gen_ai.request.model"], ["gen_ai.request.model", "a.y", "b.x"]):
        with capture() as cap:
            tracer = cap.tracer()
            with tracer.start_as_current_span("root"):
                for name in ("second", "first"):  # same virtual instant: start order decides
                    with tracer.start_as_current_span(name) as span:
                        for key in keys:
                            span.set_attribute(key, key.upper())
            texts.append(cap.tree().render())
    assert texts[0] == texts[1]
    assert texts[0] == (
        "root 0us\n"
        "├── second 0us a.y=A.Y b.x=B.X gen_ai.request.model=GEN_AI.REQUEST.MODEL\n"
        "└── first 0us a.y=A.Y b.x=B.X gen_ai.request.model=GEN_AI.REQUEST.MODEL\n"
    )
