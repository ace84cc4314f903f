"""The span-tree syrupy extension: readable .txt snapshots, update flow, byte-identical output."""

from __future__ import annotations

import pytest

from harness.spans.capture import capture
from harness.spans.snapshot import SpanTreeSnapshot

pytest_plugins = ["pytester"]

INNER = """
from opentelemetry.trace import SpanKind


def make_tree(cap, model="gpt-4o-mini"):
    tracer = cap.tracer("app")
    with tracer.start_as_current_span("llm.request", attributes={"llm.model": model, "llm.tokens.input": 12}):
        cap.clock.advance(0.2)
        with tracer.start_as_current_span("llm.openai.stream", kind=SpanKind.CLIENT,
                                          attributes={"gen_ai.response.id": "chatcmpl-random"}):
            cap.clock.advance(1.0)
    cap.meter_provider.get_meter("m").create_counter("llm.requests").add(1, {"llm.model": model})


def test_chat(llm_spans, snapshot):
    make_tree(llm_spans, model=MODEL)
    assert llm_spans.tree() == snapshot


def test_two_trees_and_an_amber_value(llm_spans, snapshot):
    make_tree(llm_spans)
    assert llm_spans.tree(metrics=False) == snapshot
    assert {"plain": "syrupy"} == snapshot
    assert llm_spans.tree(verbose=True) == snapshot
"""

EXPECTED_CHAT = """\
llm.request 1.20s llm.model=gpt-4o-mini llm.tokens.input=12
└── llm.openai.stream [CLIENT] 1.00s

metrics:
  llm.requests counter llm.model=gpt-4o-mini value=1
"""


def _write(pytester: pytest.Pytester, model: str = "gpt-4o-mini") -> None:
    pytester.makepyfile(test_trees=f"MODEL = {model!r}\n" + INNER)


def test_serialize_accepts_trees_and_text_only() -> None:
    with capture() as cap:
        cap.tracer().start_span("one").end()
    extension = SpanTreeSnapshot()
    assert extension.serialize(cap.tree(metrics=False)) == "one 0us\n"
    assert extension.serialize("a\r\nb\n") == "a\nb\n"
    with pytest.raises(TypeError, match="stores span trees or text, not dict"):
        extension.serialize({"a": 1})


def test_update_creates_readable_txt_then_passes_then_catches_a_change(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester)
    result = pytester.runpytest("--snapshot-update", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    folder = pytester.path / "__snapshots__" / "test_trees"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "test_chat.txt",
        "test_two_trees_and_an_amber_value.2.txt",
        "test_two_trees_and_an_amber_value.txt",
    ]
    assert (folder / "test_chat.txt").read_bytes() == EXPECTED_CHAT.encode()
    verbose = (folder / "test_two_trees_and_an_amber_value.2.txt").read_text()
    assert "gen_ai.response.id=<id>" in verbose and "chatcmpl-random" not in verbose
    assert "plain" in (pytester.path / "__snapshots__" / "test_trees.ambr").read_text()

    pytester.runpytest().assert_outcomes(passed=2)

    _write(pytester, model="gpt-4.1")
    failed = pytester.runpytest()
    failed.assert_outcomes(passed=1, failed=1)
    failed.stdout.fnmatch_lines(
        ["*- llm.request 1.20s llm.model=gpt-4o-mini*", "*+ llm.request 1.20s llm.model=gpt-4.1*"]
    )

    pytester.runpytest("--snapshot-update").assert_outcomes(passed=2)
    assert "llm.model=gpt-4.1" in (folder / "test_chat.txt").read_text()
    pytester.runpytest().assert_outcomes(passed=2)


def test_snapshots_are_byte_identical_across_runs_and_under_xdist(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester)
    pytester.runpytest("--snapshot-update").assert_outcomes(passed=2)
    folder = pytester.path / "__snapshots__" / "test_trees"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    for p in folder.iterdir():
        p.unlink()
    result = pytester.runpytest_subprocess("--snapshot-update", "-n", "2")
    result.assert_outcomes(passed=2)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
