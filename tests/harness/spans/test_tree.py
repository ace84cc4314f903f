"""Span trees: building, ordering, rendering (plain, verbose, X-ray), querying, patterns."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind, Status, StatusCode

from harness.spans.capture import Capture, capture
from harness.spans.pattern import parse_pattern
from harness.spans.tree import build_tree
from harness.spans.values import format_duration, format_value, parse_scalar


def llm_call(
    cap: Capture,
    *,
    model: str = "gpt-4o-mini",
    tokens: tuple[int, int] = (12, 3),
    fail: bool = False,
) -> None:
    """The contract's call tree, built by hand on the capture's virtual clock."""
    tracer = cap.tracer("sik_llms.fake")
    assert cap.clock is not None
    request_attrs = {
        "llm.model": model,
        "llm.provider": "openai",
        "llm.tokens.input": tokens[0],
        "llm.tokens.output": tokens[1],
        "llm.cost.total": 0.0000123,
    }
    with tracer.start_as_current_span("llm.request", attributes=request_attrs) as request:
        cap.clock.advance(0.01)
        with tracer.start_as_current_span(
            "llm.openai.stream",
            kind=SpanKind.CLIENT,
            attributes={
                "llm.streaming": True,
                "gen_ai.response.id": "chatcmpl-volatile123",
                "gen_ai.response.finish_reasons": ("stop",),
                "server.port": 54321,
            },
        ):
            cap.clock.advance(0.2)
            with tracer.start_as_current_span(
                "http.request",
                kind=SpanKind.CLIENT,
                attributes={
                    "http.response.status_code": 500 if fail else 200,
                    "url.full": "http://127.0.0.1:54321/v1/chat",
                },
            ):
                cap.clock.advance(0.9)
        if fail:
            request.set_status(Status(StatusCode.ERROR, "server exploded"))
            request.set_attribute("error.type", "InternalServerError")
            request.record_exception(RuntimeError("server exploded"))
        cap.clock.advance(0.05)


@pytest.fixture
def cap():
    with capture() as c:
        yield c


PLAIN = """\
llm.request 1.16s llm.cost.total=1.23e-05 llm.model=gpt-4o-mini llm.provider=openai llm.tokens.input=12 llm.tokens.output=3
└── llm.openai.stream [CLIENT] 1.10s llm.streaming=true
    └── http.request [CLIENT] 900ms http.response.status_code=200
"""


def test_plain_render_is_exact(cap: Capture) -> None:
    llm_call(cap)
    assert cap.tree(metrics=False).render() == PLAIN
    assert str(cap.tree(metrics=False)) == PLAIN
    assert cap.tree(metrics=False) == PLAIN


def test_verbose_render_masks_volatile_values(cap: Capture) -> None:
    llm_call(cap)
    text = cap.tree(metrics=False, verbose=True).render()
    assert "gen_ai.response.id=<id>" in text
    assert "server.port=<port>" in text
    assert "url.full=http://127.0.0.1:<port>/v1/chat" in text
    assert 'gen_ai.response.finish_reasons=["stop"]' in text
    assert "chatcmpl-volatile123" not in text and "54321" not in text
    unmasked = cap.tree(metrics=False, verbose=True, masks={"gen_ai.response.id": None}).render()
    assert "gen_ai.response.id=chatcmpl-volatile123" in unmasked


def test_attribute_selection_and_durations_off(cap: Capture) -> None:
    llm_call(cap)
    text = cap.tree(metrics=False, attributes=["llm.model"], durations=False).render()
    assert text.splitlines()[0] == "llm.request llm.model=gpt-4o-mini"
    assert text.splitlines()[1] == "└── llm.openai.stream [CLIENT]"


def test_errors_show_status_and_exception_event(cap: Capture) -> None:
    llm_call(cap, fail=True)
    first = cap.tree(metrics=False).render().splitlines()
    assert 'status=ERROR status.description="server exploded"' in first[0]
    assert "error.type=InternalServerError" in first[0]
    assert (
        first[1]
        == '│   · exception exception.message="server exploded" exception.type=RuntimeError'
    )
    cap.assert_tree("""
        llm.request status=ERROR error.type=InternalServerError
          · exception exception.type=RuntimeError
    """)


def test_xray_view_totals_and_marks_the_slowest_child(cap: Capture) -> None:
    tracer = cap.tracer()
    assert cap.clock is not None
    with tracer.start_as_current_span("llm.reasoning_agent.stream"):
        with tracer.start_as_current_span("reasoning.thinking.iteration_1"):
            llm_call(cap, tokens=(100, 20))
        with tracer.start_as_current_span("reasoning.tool.search_flights"):
            cap.clock.advance(2.1)
        with tracer.start_as_current_span("reasoning.final_answer"):
            llm_call(cap, tokens=(50, 300))
    text = cap.tree(metrics=False).xray()
    lines = text.splitlines()
    assert lines[0] == "trace 1 (4.42s total, 470 tokens, $0.000025)"
    assert lines[1] == "llm.reasoning_agent.stream (4.42s)"
    assert lines[2] == "├── reasoning.thinking.iteration_1 (1.16s)"
    assert lines[3] == "│   └── llm.request (1.16s) 100→20 tokens $0.000012 gpt-4o-mini"
    assert "├── reasoning.tool.search_flights (2.10s)  ◀ slowest" in lines
    assert sum("◀ slowest" in line for line in lines) == 1 + 0  # only among siblings, once


def test_children_ordered_by_start_then_sequence_then_name(cap: Capture) -> None:
    tracer = cap.tracer()
    with tracer.start_as_current_span("root"):
        for name in ("zeta", "alpha", "mid"):  # same virtual instant: start order wins
            tracer.start_span(name).end()
    assert [c.name for c in cap.tree().find("root").children] == ["zeta", "alpha", "mid"]
    # without a start sequence (spans from elsewhere), ties fall back to the name
    tree = build_tree(cap.exporter.get_finished_spans())
    assert [c.name for c in tree.find("root").children] == ["alpha", "mid", "zeta"]


def test_explicit_start_times_order_children() -> None:
    with capture(clock=None) as cap:
        tracer = cap.tracer()
        root = tracer.start_span("root", start_time=0)
        from opentelemetry import trace

        ctx = trace.set_span_in_context(root)
        tracer.start_span("late", context=ctx, start_time=300).end(end_time=400)
        tracer.start_span("early", context=ctx, start_time=100).end(end_time=200)
        root.end(end_time=500)
    assert [c.name for c in cap.tree().find("root").children] == ["early", "late"]
    assert cap.tree().find("late").duration_ns == 100


def test_orphans_are_reported_not_dropped(cap: Capture) -> None:
    tracer = cap.tracer()
    with tracer.start_as_current_span("parent") as parent:
        tracer.start_span("child").end()
    spans = [s for s in cap.exporter.get_finished_spans() if s.name == "child"]
    tree = build_tree(spans)
    assert tree.roots == [] and [o.name for o in tree.orphans] == ["child"]
    assert "orphans (parent span not captured):\n  child" in tree.render()
    assert parent is not None


def test_query_api(cap: Capture) -> None:
    llm_call(cap, model="a")
    llm_call(cap, model="b")
    tree = cap.tree()
    assert len(tree) == 6
    assert [n.attributes["llm.model"] for n in tree.find_all("llm.request")] == ["a", "b"]
    request = tree.find("llm.request", llm_model="b")
    assert request.attributes["llm.tokens.input"] == 12
    assert [n.name for n in request.descendants()] == ["llm.openai.stream", "http.request"]
    assert request.children[0].parent is request
    assert tree.find_all("llm.*.stream", **{"llm.streaming": True})[0].kind == "CLIENT"
    with pytest.raises(LookupError, match=r"exactly one span matching `llm\.request`.*found 2"):
        tree.find("llm.request")
    assert len(cap.find_all("http.request", http_response_status_code=200)) == 2


def test_metrics_section_is_rendered(cap: Capture) -> None:
    meter = cap.meter_provider.get_meter("m")
    meter.create_counter("llm.requests").add(2, {"llm.model": "gpt-4o-mini"})
    meter.create_histogram("llm.request.duration", unit="s").record(
        1.5, {"llm.model": "gpt-4o-mini"}
    )
    assert cap.tree().render() == (
        "metrics:\n"
        "  llm.request.duration (s) histogram llm.model=gpt-4o-mini count=1 sum=<duration>\n"
        "  llm.requests counter llm.model=gpt-4o-mini value=2\n"
    )
    # durations are masked by default (instrumentations time them by the wall clock); unmasked:
    assert (
        "count=1 sum=1.5 min=1.5 max=1.5 buckets=[5.0:1]"
        in cap.tree(masks={"*.duration": None}).render()
    )


def test_stream_timing_histograms_are_masked_like_durations(cap: Capture) -> None:
    meter = cap.meter_provider.get_meter("openllmetry-like")
    for name in (
        "gen_ai.server.time_to_first_token",
        "llm.chat_completions.streaming_time_to_generate",
    ):
        meter.create_histogram(name, unit="s").record(0.0464)
    assert cap.tree().render() == (
        "metrics:\n"
        "  gen_ai.server.time_to_first_token (s) histogram count=1 sum=<duration>\n"
        "  llm.chat_completions.streaming_time_to_generate (s) histogram count=1 sum=<duration>\n"
    )


def test_empty_tree() -> None:
    with capture() as cap:
        pass
    assert cap.tree().render() == "(no spans)\n"


# ---------------------------------------------------------------------- patterns


def test_partial_pattern_matches_only_what_it_names(cap: Capture) -> None:
    llm_call(cap)
    cap.assert_tree("""
        llm.request llm.model=gpt-4o-mini llm.tokens.input=12
          llm.openai.stream llm.streaming=true
    """)
    cap.assert_tree("llm.request")
    cap.assert_tree("llm.* llm.model=gpt-4o-* llm.cost.total=1.23e-05")
    cap.assert_tree("...\n  http.request [CLIENT] http.response.status_code=200")
    cap.assert_tree("llm.request\n  ...\n    http.request")
    cap.assert_tree(
        'llm.request\n  llm.openai.stream gen_ai.response.finish_reasons=["stop"] gen_ai.response.id=<id>'
    )


def test_a_rendered_tree_is_a_valid_pattern(cap: Capture) -> None:
    llm_call(cap)
    cap.assert_tree(cap.tree(metrics=False).render())
    cap.assert_tree(cap.tree(metrics=False).render(verbose=True), exact=True)


def test_pattern_mismatches_fail(cap: Capture) -> None:
    llm_call(cap)
    failing = [
        "llm.request llm.model=gpt-4",  # wrong value
        "llm.request llm.tokens.input=13",
        "llm.request llm.tokens.input=twelve",
        "llm.request nope=1",  # missing attribute
        "llm.openai.stream",  # exists but is not a root
        "llm.request\n  http.request",  # grandchild is not a child
        "llm.request\n  llm.openai.stream [INTERNAL]",
        "llm.request\n  llm.openai.stream llm.streaming=false",
        "llm.request 2.00s",
        "llm.request status=ERROR",
        "llm.request\n  · exception",
        "...\n  http.request http.response.status_code=404",
    ]
    for pattern in failing:
        with pytest.raises(AssertionError):
            cap.assert_tree(pattern)


def test_sibling_order_and_exact_children(cap: Capture) -> None:
    tracer = cap.tracer()
    with tracer.start_as_current_span("root"):
        for name in ("a", "b", "c"):
            tracer.start_span(name).end()
    cap.assert_tree("root\n  a\n  c")  # a subsequence is enough
    with pytest.raises(AssertionError, match="out of order"):
        cap.assert_tree("root\n  c\n  a")
    cap.assert_tree("root\n  a\n  b\n  c", exact=True)
    with pytest.raises(AssertionError, match=r"exactly 2 span\(s\) here, found 3: a, b, c"):
        cap.assert_tree("root\n  a\n  c", exact=True)


def test_failure_message_points_at_the_line_and_shows_the_actual_tree(cap: Capture) -> None:
    llm_call(cap)
    with pytest.raises(AssertionError) as info:
        cap.assert_tree("""
            llm.request llm.model=gpt-4o-mini
              llm.openai.stream llm.streaming=false gen_ai.response.model=x
        """)
    message = str(info.value)
    assert (
        "pattern line 3: `llm.openai.stream llm.streaming=false gen_ai.response.model=x`" in message
    )
    assert "llm.streaming is True, expected False; gen_ai.response.model is missing" in message
    assert (
        "    3 |               llm.openai.stream llm.streaming=false gen_ai.response.model=x  <-- not found"
        in message
    )
    assert "actual tree:\n  llm.request 1.16s" in message
    assert "  └── llm.openai.stream [CLIENT] 1.10s llm.streaming=true\n" in message
    with pytest.raises(
        AssertionError, match=r"no span in `llm\.request` is named like 'llm\.anthropic\.\*'"
    ):
        cap.assert_tree("llm.request\n  llm.anthropic.*")


def test_pattern_parsing() -> None:
    (line,) = parse_pattern("""
        # comments and blank lines are ignored
        root [client] 12ms a=1 b=2.5 c=true d="x y" e=[1,2] f=word

        ├── child
        │   └── grandchild
        └── second
    """)
    assert (line.name, line.kind, line.duration) == ("root", "CLIENT", "12ms")
    assert {k: v for k, (_, v) in line.fields.items()} == {
        "a": 1,
        "b": 2.5,
        "c": True,
        "d": "x y",
        "e": [1, 2],
        "f": "word",
    }
    assert [c.name for c in line.children] == ["child", "second"]
    assert [c.name for c in line.children[0].children] == ["grandchild"]
    with pytest.raises(ValueError, match="cannot read 'stray'"):
        parse_pattern("root stray")
    with pytest.raises(ValueError, match="empty span-tree pattern"), capture() as cap:
        cap.assert_tree("   \n")


@pytest.mark.parametrize(
    "value",
    [
        1,
        2.5,
        1e-05,
        True,
        False,
        "word",
        "two words",
        "12",
        "true",
        "",
        "a=b",
        ("stop", "length"),
        "...",
    ],
)
def test_format_value_round_trips_through_parse_scalar(value: object) -> None:
    parsed = parse_scalar(format_value(value))
    assert parsed == (list(value) if isinstance(value, tuple) else value)
    assert type(parsed) is (list if isinstance(value, tuple) else type(value))


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0us"),
        (999, "0us"),
        (12_345, "12us"),
        (1_250_000, "1.2ms"),
        (350_000_000, "350ms"),
        (2_100_000_000, "2.10s"),
    ],
)
def test_format_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_default_view_hides_values_a_span_repeats_from_its_parent(cap: Capture) -> None:
    tracer = cap.tracer()
    with tracer.start_as_current_span(
        "llm.request", attributes={"llm.model": "m", "llm.provider": "openai"}
    ):
        tracer.start_span(
            "llm.openai.stream", attributes={"llm.model": "m", "llm.provider": "other"}
        ).end()
    lines = cap.tree(metrics=False).render().splitlines()
    assert lines[1] == "└── llm.openai.stream 0us llm.provider=other"
    assert "llm.model=m" in cap.tree(metrics=False).render(verbose=True).splitlines()[1]
    cap.assert_tree(
        "llm.request\n  llm.openai.stream llm.model=m"
    )  # patterns still see every attribute
