"""``llm_spans.assert_metrics``: partial patterns over metric points, as readable as the tree
ones, on real metrics (sik_llms and OpenLLMetry against the simulator) and on hand-made ones."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from harness.simulator import Simulator
from harness.spans import Capture, capture
from sik_llms import create_client, user_message


@pytest.fixture
def cap():
    with capture() as c:
        yield c


def _record(cap: Capture) -> None:
    meter = cap.meter_provider.get_meter("app")
    requests = meter.create_counter("app.requests", unit="{request}")
    requests.add(1, {"app.model": "gpt-4o-mini", "app.route": "chat"})
    requests.add(2, {"app.model": "gpt-4o", "app.route": "chat"})
    tokens = meter.create_histogram("app.tokens", unit="{token}")
    tokens.record(12, {"app.token.type": "input"})
    tokens.record(30, {"app.token.type": "output"})
    meter.create_histogram("app.wait", unit="s").record(0.25)


def test_partial_lines_select_points_by_label_and_add_them_up(cap: Capture) -> None:
    _record(cap)
    cap.assert_metrics("""
        app.requests app.model=gpt-4o-mini value=1
        app.requests value=3
        app.requests app.model=gpt-* value=3
        app.requests app.model!=gpt-4o value=1
        app.tokens app.token.type=input value=12
        app.tokens count=2 sum=42 min=12 max=30
        app.tokens app.token.type=output sum>=30 count<2
        app.wait count=1 sum=<duration>
        app.*
    """)


def test_a_rendered_metrics_section_pastes_as_a_pattern(cap: Capture) -> None:
    _record(cap)
    section = cap.tree().render().split("metrics:\n", 1)[1]
    assert "app.wait (s) histogram count=1 sum=<duration>" in section
    cap.assert_metrics("metrics:\n" + section)


def test_a_mismatch_names_the_line_and_the_nearest_points_with_reasons(cap: Capture) -> None:
    _record(cap)
    with pytest.raises(AssertionError) as info:
        cap.assert_metrics("""
            app.requests value=3
            app.tokens app.token.type=input value=13
        """)
    message = str(info.value)
    source = Path(__file__).read_text().splitlines()
    written = 1 + next(i for i, t in enumerate(source) if t.strip().endswith("value=13"))
    assert message.startswith(
        "metrics do not match the pattern\n"
        f"pattern line 3 (tests/harness/spans/test_metric_patterns.py:{written}): "
        "`app.tokens app.token.type=input value=13`\n"
        "  metrics named like it, and why they do not match:\n"
        "    app.tokens: value is 12, expected 13\n"
        "      app.tokens ({token}) histogram app.token.type=input count=1 sum=12"
    )
    assert "(app.token.type is output, expected input)" in message
    assert "    3 |             app.tokens app.token.type=input value=13  <-- not found" in message
    assert "recorded metrics:\n  app.requests ({request}) counter" in message


def test_missing_labels_wrong_kinds_and_unknown_names_say_so(cap: Capture) -> None:
    _record(cap)
    with pytest.raises(AssertionError, match=r"app.requests: no point has app.region=eu"):
        cap.assert_metrics("app.requests app.region=eu")
    with pytest.raises(AssertionError, match=r"count= applies to histograms; this is a counter"):
        cap.assert_metrics("app.requests count=1")
    with pytest.raises(AssertionError, match=r"type is counter, expected gauge"):
        cap.assert_metrics("app.requests gauge")
    with pytest.raises(AssertionError, match=r"no metric is named like 'app.reqests'; nearest: "):
        cap.assert_metrics("app.reqests value=3")
    with pytest.raises(AssertionError, match=r"value is 3, expected 2 \(the 2 points selected"):
        cap.assert_metrics("app.requests app.route=chat value=2")
    with pytest.raises(ValueError, match=r"pattern line 1 \(.*\): cannot read 'stray'"):
        cap.assert_metrics("app.requests stray")
    with pytest.raises(ValueError, match=r"buckets=.* is not \[bound:count"):
        cap.assert_metrics("app.tokens buckets=[x]")


def test_real_genai_metrics_of_sik_llms_and_openllmetry_read_as_patterns() -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    with Simulator() as sim, capture(global_=True) as cap:
        create_client("gpt-4o-mini", base_url=sim.openai_base_url, api_key="sk-sim")(
            [user_message("hi")]
        )
        instrumentor = OpenAIInstrumentor()
        instrumentor.instrument(
            tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider
        )
        try:
            openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim").chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        finally:
            instrumentor.uninstrument()
        tokens = cap.metric_value(
            "gen_ai.client.token.usage", gen_ai_token_type="input", gen_ai_provider_name="openai"
        )["sum"]
        cap.assert_metrics(f"""
            llm.requests llm.model=gpt-4o-mini value=1
            gen_ai.client.token.usage ({{token}}) gen_ai.token.type=input count=1
            gen_ai.client.token.usage (token) gen_ai.token.type=input count=1
            gen_ai.client.token.usage gen_ai.token.type=input count=2 value={tokens}
            gen_ai.client.operation.duration count=2 sum=<duration>
        """)
