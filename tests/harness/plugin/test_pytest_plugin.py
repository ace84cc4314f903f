"""The pytest plugin: fixtures, marker, options, record/replay of real calls, xdist, coexistence."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from opentelemetry import trace

from harness.spans.capture import Capture
from sik_llms import create_client, user_message
from tests.conftest import Script, ok, openai_sse, scripted

pytest_plugins = ["pytester"]

SSE = openai_sse("2 + 2 = 4", prompt_tokens=12, completion_tokens=5)

# an inner test module: records a real sik_llms call from a scripted server on first run
# (mode once), replays it afterwards, and writes its tree so runs can be compared byte for byte
CHAT_MODULE = f'''
import os
from pathlib import Path

import httpx2
import pytest

from sik_llms import create_client, user_message

SSE = {SSE!r}


def serve(request):
    return httpx2.Response(200, content=SSE, headers={{"content-type": "text/event-stream"}})


def dump(name, tree):
    out = Path(os.environ["TREE_OUT"])
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(tree.render().encode())


@pytest.mark.llm_cassette("openai/chat_basic", real_transport=httpx2.MockTransport(serve))
def test_chat(llm_spans):
    client = create_client("gpt-4o-mini", api_key="test-key")
    response = client([user_message("What's 2+2?")])
    assert response.response == "2 + 2 = 4"
    llm_spans.assert_tree("""
        llm.request llm.model=gpt-4o-mini llm.tokens.input=12 llm.tokens.output=5
          llm.openai.stream llm.streaming=true
            http.request http.response.status_code=200
    """)
    dump("test_chat.txt", llm_spans.tree())


@pytest.mark.parametrize("question", ["a", "b", "c", "d"])
def test_own_spans(llm_spans, question):
    tracer = llm_spans.tracer()
    with tracer.start_as_current_span("step", attributes={{"question": question}}):
        llm_spans.clock.advance(0.5)
        tracer.start_span("inner").end()
    dump(f"test_own_spans_{{question}}.txt", llm_spans.tree())
'''


# ---------------------------------------------------------------------- in this session


def test_llm_spans_captures_a_real_call(llm_spans: Capture, snapshot) -> None:
    client = create_client("gpt-4o-mini", api_key="test-key")
    with scripted(Script(ok(SSE))):
        client([user_message("What's 2+2?")])
    llm_spans.assert_tree("""
        llm.request llm.model=gpt-4o-mini llm.tokens.input=12
          llm.openai.stream [CLIENT] llm.streaming=true
            http.request http.request.method=POST
    """)
    assert llm_spans.metric_value("llm.requests", llm_model="gpt-4o-mini") == 1
    assert llm_spans.metric_value("llm.tokens.output", llm_provider="openai") == 5
    assert llm_spans.tree() == snapshot


def test_llm_spans_captures_spans_of_the_global_tracer_provider(llm_spans: Capture) -> None:
    trace.get_tracer("guide").start_span("from.the.guide").end()
    llm_spans.assert_tree("from.the.guide")


@pytest.mark.llm_spans(global_=False)
def test_llm_spans_marker_options_reach_capture(llm_spans: Capture) -> None:
    trace.get_tracer("guide").start_span("from.the.guide").end()
    llm_spans.tracer().start_span("own").end()
    assert [s.name for s in llm_spans.spans()] == ["own"]


def test_each_test_starts_with_an_empty_context() -> None:
    assert trace.get_current_span() is trace.INVALID_SPAN


# ---------------------------------------------------------------------- inner sessions


# Runs that load cassettes go to a subprocess: an in-process run re-imports the YAML loader's
# modules each time (pytester restores sys.modules), which the safe loader rightly rejects.
@pytest.fixture
def chat_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)  # recording is refused under CI
    monkeypatch.setenv("TREE_OUT", str(pytester.path / "trees"))
    pytester.makepyfile(test_chat=CHAT_MODULE)
    return pytester


def _trees(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_options_markers_and_header(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--llm-record-mode=*none,once,new_episodes,all*",
            "*--llm-timing=*virtual,realtime*",
            "*llm_cassette_dir*",
        ]
    )
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(
        [
            "@pytest.mark.llm_cassette(name=None, mode=None, timing=None*",
            "@pytest.mark.llm_spans(**options)*",
        ]
    )
    pytester.makepyfile("def test_x(): pass")
    header = pytester.runpytest("--llm-record-mode=once")
    header.stdout.fnmatch_lines(
        [f"sik-llms: cassettes in {pytester.path / 'cassettes'}, record mode: once, timing: *"]
    )
    bad = pytester.runpytest("--llm-record-mode=rewrite")
    assert bad.ret != 0
    bad.stderr.fnmatch_lines(["*invalid choice: 'rewrite'*"])


def test_replay_only_by_default_and_the_miss_names_the_cassette(chat_dir: pytest.Pytester) -> None:
    result = chat_dir.runpytest_subprocess("test_chat.py::test_chat")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "sik-llms: no cassette cassettes/openai/chat_basic.yaml; fix the name*--llm-record-mode=once*"
        ]
    )


def test_record_once_then_replay_identically(chat_dir: pytest.Pytester) -> None:
    cassette = chat_dir.path / "cassettes" / "openai" / "chat_basic.yaml"
    chat_dir.runpytest_subprocess(
        "test_chat.py::test_chat", "--llm-record-mode=once"
    ).assert_outcomes(passed=1)
    assert cassette.is_file()
    assert "test-key" not in cassette.read_text()  # the allow-list dropped the auth header

    runs = []
    for _ in range(2):  # replay-only, twice: byte-identical trees with non-zero virtual durations
        chat_dir.runpytest_subprocess("test_chat.py::test_chat").assert_outcomes(passed=1)
        runs.append((chat_dir.path / "trees" / "test_chat.txt").read_bytes())
    assert runs[0] == runs[1]
    text = runs[0].decode()
    assert text.startswith("llm.request ") and " 0us " not in text.splitlines()[0]
    assert (
        "llm.requests ({request}) counter llm.model=gpt-4o-mini llm.provider=openai value=1" in text
    )


def test_a_failing_test_writes_no_cassette(chat_dir: pytest.Pytester) -> None:
    module = CHAT_MODULE.replace(
        'assert response.response == "2 + 2 = 4"', 'assert response.response == "5"'
    )
    chat_dir.makepyfile(test_chat=module)
    result = chat_dir.runpytest_subprocess("test_chat.py::test_chat", "--llm-record-mode=all")
    result.assert_outcomes(failed=1)
    assert not (chat_dir.path / "cassettes" / "openai" / "chat_basic.yaml").exists()


def test_marker_mode_ini_dir_and_cli_override(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makeini("[pytest]\nllm_cassette_dir = recordings\n")
    (pytester.path / "recordings").mkdir()
    (pytester.path / "recordings" / "named.yaml").write_text("interactions: []\nversion: 1\n")
    pytester.makepyfile(
        test_paths="""
        import pytest
        from harness.clock import VirtualClock
        from sik_llms import clock as _clock

        @pytest.mark.llm_cassette("named")
        def test_named(llm_cassette, request):
            assert llm_cassette.path == request.config.rootpath / "recordings" / "named.yaml"
            assert isinstance(_clock.current_clock(), VirtualClock)
            assert llm_cassette.mode == (request.config.getoption("--llm-record-mode") or "none")

        @pytest.mark.llm_cassette(mode="once")
        def test_default_name(llm_cassette, llm_spans, request):
            assert llm_cassette.path == request.config.rootpath / "recordings" / "test_paths" / "test_default_name.yaml"
            assert llm_cassette.mode == (request.config.getoption("--llm-record-mode") or "once")
            assert llm_spans.clock is _clock.current_clock()

        @pytest.mark.llm_cassette("named", timing="realtime")
        def test_realtime(llm_spans):
            assert llm_spans.clock is None
            assert _clock.current_clock() is _clock.SYSTEM_CLOCK
    """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=3)
    pytester.runpytest_subprocess("--llm-record-mode=new_episodes").assert_outcomes(passed=3)
    pytester.runpytest_subprocess("--llm-timing=realtime", "-k", "realtime").assert_outcomes(
        passed=1, deselected=2
    )


def test_context_leaks_are_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_leak="""
        from opentelemetry import context, trace
        from opentelemetry.sdk.trace import TracerProvider

        def test_leaks():
            span = TracerProvider().get_tracer("leaky").start_span("never.detached")
            context.attach(trace.set_span_in_context(span))

        def test_next():
            assert trace.get_current_span() is trace.INVALID_SPAN
    """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    pytester.makeini("[pytest]\nllm_isolate_context = false\n")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1, failed=1)


def test_coexists_with_pytest_recording_and_syrupy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_both="""
        import pytest

        @pytest.mark.vcr
        def test_vcr_and_spans(llm_spans, snapshot, vcr):
            llm_spans.tracer().start_span("with.vcr").end()
            assert vcr is not None
            assert llm_spans.tree() == snapshot
            assert {"amber": True} == snapshot
    """
    )
    result = pytester.runpytest("--record-mode=none", "--snapshot-update", "-p", "recording")
    result.assert_outcomes(passed=1)
    txt = pytester.path / "__snapshots__" / "test_both" / "test_vcr_and_spans.txt"
    assert txt.read_text() == "with.vcr 0us\n"
    pytester.runpytest("--record-mode=none").assert_outcomes(passed=1)


def test_xdist_runs_give_the_same_trees_as_a_serial_run(chat_dir: pytest.Pytester) -> None:
    chat_dir.runpytest_subprocess(
        "test_chat.py::test_chat", "--llm-record-mode=once"
    ).assert_outcomes(passed=1)
    serial = chat_dir.runpytest_subprocess()
    serial.assert_outcomes(passed=5)
    first = _trees(chat_dir.path / "trees")
    assert len(first) == 5
    for path in (chat_dir.path / "trees").iterdir():
        path.unlink()
    chat_dir.runpytest_subprocess("-n", "2").assert_outcomes(passed=5)
    assert _trees(chat_dir.path / "trees") == first
    assert first["test_own_spans_a.txt"] == (
        textwrap.dedent("""\
            step 500ms question=a
            └── inner 0us
        """).encode()
    )


def test_marker_tests_skip_with_a_reason_when_cassettes_are_unavailable(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest("""
        import sys

        sys.modules["harness.cassettes"] = None  # as if the cassette engine were not installed
    """)
    pytester.makepyfile(
        test_skip="""
        import pytest

        @pytest.mark.llm_cassette("anything")
        def test_needs_a_cassette():
            raise AssertionError("must not run")
    """
    )
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*sik-llms cassettes are unavailable*install sik-llms[[]harness[]]*"]
    )
