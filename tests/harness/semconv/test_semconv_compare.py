"""Every instrumentation on the same recording, and the command line faces of the checker."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.cli import main
from harness.semconv.peers import PeerRun, compare, side_by_side
from harness.semconv.table import PeerSummary, render_markdown, summarise
from tests.conftest import REAL, ROOT

OPENAI_REC = REAL / "otel-contrib" / "test_chat_completion_with_content.yaml"


@pytest.mark.real_cassettes
@pytest.mark.skipif(not OPENAI_REC.is_file(), reason="real recordings not present")
def test_one_recording_through_ours_and_each_peer_side_by_side() -> None:
    pytest.importorskip("opentelemetry.instrumentation.openai")
    pytest.importorskip("opentelemetry.instrumentation.openai_v2")  # the dev extra pins util-genai
    runs = {
        r.peer: r
        for r in compare(
            OPENAI_REC, 0, peers=["sik_llms", "openai_v2", "openllmetry", "anthropic_sdk"]
        )
    }
    assert runs["sik_llms"].status == "ok" and runs["sik_llms"].violations == {}
    assert (
        '"chat gpt-4o-mini" [CLIENT]' in runs["sik_llms"].tree
    )  # names with a space render quoted
    assert runs["openai_v2"].status == "ok", runs["openai_v2"].reason
    assert runs["openai_v2"].tree.startswith('"chat gpt-4o-mini" [CLIENT]')
    assert "gen_ai.input.messages" in runs["openai_v2"].attributes  # content capture reached it
    assert runs["openllmetry"].status == "ok" and runs["openllmetry"].total > 0
    assert runs["anthropic_sdk"].status == "skipped" and "openai" in runs["anthropic_sdk"].reason
    text = side_by_side(list(runs.values()))
    assert text.splitlines()[0].startswith("sik_llms: 0 violation(s)")
    assert "openai_v2: 0 violation(s)" in text.splitlines()[0]
    assert "openllmetry:" in text.splitlines()[0]
    assert "anthropic_sdk: skipped: does not instrument openai" in text


def test_the_docs_table_counts_rules_and_says_what_did_not_run() -> None:
    runs = [
        PeerRun("openllmetry", "ok", attributes=["gen_ai.is_streaming"], violations={"span.name": 2},
                examples=["span.name: span 'openai.chat': chat spans are named 'chat gpt-4o'"]),
        PeerRun("openllmetry", "skipped", "does not instrument x"),
    ]  # fmt: skip
    summary = summarise("openllmetry", runs)
    assert (summary.replayed, summary.violations, summary.skipped) == (
        1,
        Counter({"span.name": 2}),
        Counter({"does not instrument x": 1}),
    )
    text = render_markdown(
        [summary, PeerSummary("sik_llms", replayed=1, attributes={"gen_ai.operation.name"})],
        "2 recordings",
    )
    assert "| `span.name` 2 |" in text and "1: does not instrument x" in text
    assert "| `gen_ai.is_streaming` | yes |  |" in text
    assert "sik-llms semconv" in text  # says how it was made


def test_the_command_checks_a_cassette_and_exits_zero_when_it_conforms(capsys) -> None:
    assert main(["semconv", "--no-suite", str(ROOT / "cassettes" / "openai" / "tools.yaml")]) == 0
    assert "0 violation(s) in 4 run(s)" in capsys.readouterr().out


def test_the_command_says_in_one_line_what_is_wrong_with_its_input(capsys) -> None:
    assert main(["semconv", "--compare", "no-such.yaml"]) == 2
    assert main(["semconv", "--docs-table", "out.md"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "sik-llms semconv: no-such.yaml not found (--compare wants a vcrpy cassette)",
        "sik-llms semconv: --docs-table needs --real DIR (a directory with MANIFEST.jsonl)",
    ]
