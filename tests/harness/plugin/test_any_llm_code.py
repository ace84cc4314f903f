"""Acceptance: a user's project (module-level tracer, raw openai + openai-v2, raw anthropic with
the Anthropic SDK's own tracing, sik_llms) recorded once against the simulator, then replayed offline: no key, under the network
guard (in a network namespace of its own), in both orders and under xdist, snapshots unchanged.

Every inner run is a subprocess (``runpytest_subprocess`` or ``unshare -rn``): the plugin
installs process-wide providers and transport patches, exactly as in a user's run.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.harness.conftest import project_files, run_offline

pytest_plugins = ["pytester"]

APP = """
import os

import anthropic
import openai
from opentelemetry import trace

from sik_llms import create_client, user_message

tracer = trace.get_tracer(__name__)  # bound at import, as apps do
PROMPT = "Summarize: the harness works."


def summarize(text=PROMPT):
    with tracer.start_as_current_span("feature.summarize", attributes={"app.feature": "summarize"}):
        client = openai.OpenAI()
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
        return reply.choices[0].message.content


def stream_summary(text=PROMPT):
    with tracer.start_as_current_span("feature.stream"):
        client = openai.OpenAI()
        chunks = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def classify(text="Is this spam?"):
    with tracer.start_as_current_span("feature.classify"):
        client = anthropic.AsyncAnthropic()
        reply = await client.messages.create(model="claude-3-5-haiku-latest", max_tokens=50,
                                             messages=[{"role": "user", "content": text}])
        return reply.content[0].text


def ask(text="What's 2+2?"):
    with tracer.start_as_current_span("feature.ask"):
        client = create_client("gpt-4o-mini", base_url=os.environ.get("OPENAI_BASE_URL"))
        return client([user_message(text)]).response
"""

CONFTEST = '''
import os

import pytest

from harness.spans.snapshot import SpanTreeSnapshot


@pytest.fixture
def snapshot(snapshot):
    return snapshot.use_extension(SpanTreeSnapshot)


@pytest.fixture(autouse=True, scope="session")
def simulator_when_recording():
    """Recording runs talk to the simulator on loopback; replays use the SDKs' default URLs."""
    if not os.environ.get("RECORD"):
        yield
        return
    from harness.simulator import Simulator

    with Simulator() as sim:
        os.environ["OPENAI_BASE_URL"] = sim.openai_base_url
        os.environ["ANTHROPIC_BASE_URL"] = sim.anthropic_base_url
        yield
'''

TEST_OPENAI = '''
import pytest
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

import app


@pytest.mark.llm_cassette
def test_summarize(llm_spans, llm_instrument, snapshot):
    llm_instrument(OpenAIInstrumentor())
    assert app.summarize()
    llm_spans.assert_tree("""
        feature.summarize app.feature=summarize
          "chat gpt-4o-mini" [CLIENT] gen_ai.request.model=gpt-4o-mini gen_ai.usage.input_tokens=*
    """)
    assert llm_spans.tree() == snapshot


@pytest.mark.llm_cassette
def test_stream_summary(llm_spans, llm_instrument, snapshot):
    llm_instrument(OpenAIInstrumentor())
    assert app.stream_summary()
    llm_spans.assert_tree("""
        feature.stream
          "chat gpt-4o-mini" [CLIENT] gen_ai.response.model=gpt-4o-mini
    """)
    assert llm_spans.tree() == snapshot
'''

TEST_OTHERS = '''
import asyncio

import pytest

import app


@pytest.mark.llm_cassette
def test_classify(llm_spans, snapshot):
    assert asyncio.run(app.classify())  # the Anthropic SDK traces itself through the global provider
    llm_spans.assert_tree("""
        feature.classify
          anthropic.messages.create [CLIENT] gen_ai.provider.name=anthropic
    """)
    assert llm_spans.tree() == snapshot


@pytest.mark.llm_cassette
def test_ask(llm_spans, snapshot):
    assert app.ask()
    llm_spans.assert_tree("""
        feature.ask
          llm.request llm.model=gpt-4o-mini
    """)
    assert llm_spans.tree() == snapshot


def test_unmarked_code_cannot_reach_the_internet():
    import urllib.request

    urllib.request.urlopen("http://192.0.2.7/", timeout=1)


def test_unmarked_sdk_call_cannot_reach_the_provider(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "placeholder")  # past the SDK's own key check
    app.summarize()  # openai-v2's app feature, with no cassette: the guard stops it
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for variable in (
        "CI",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "RECORD",
    ):
        monkeypatch.delenv(variable, raising=False)
    pytester.makepyfile(
        app=APP, conftest=CONFTEST, test_openai=TEST_OPENAI, test_others=TEST_OTHERS
    )
    pytester.makeini("[pytest]\npythonpath = .\n")
    return pytester


def _record(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    with monkeypatch.context() as env:
        env.setenv("RECORD", "1")
        env.setenv("OPENAI_API_KEY", "simulated")
        env.setenv("ANTHROPIC_API_KEY", "simulated")
        return project.runpytest_subprocess("-p", "no:randomly", "--llm-record-mode=once", *args)


def test_recorded_once_replays_offline_identically_in_any_order_and_under_xdist(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = _record(project, monkeypatch, "--snapshot-update", "-k", "not unmarked")
    recorded.assert_outcomes(passed=4, deselected=2)
    cassettes = project_files(project.path / "cassettes", "*.yaml")
    assert sorted(cassettes) == [
        "test_openai/test_stream_summary.yaml",
        "test_openai/test_summarize.yaml",
        "test_others/test_ask.yaml",
        "test_others/test_classify.yaml",
    ]
    assert all(b"simulated" not in text for text in cassettes.values())
    snapshots = project_files(project.path, "*.txt")
    assert len(snapshots) == 4
    # the snapshots hold every instrumentation's spans, so "unchanged" below covers them all
    for test, span in (
        ("test_openai/test_summarize", '"chat gpt-4o-mini" [CLIENT]'),  # openai-v2
        ("test_openai/test_stream_summary", '"chat gpt-4o-mini" [CLIENT]'),
        ("test_others/test_classify", "anthropic.messages.create [CLIENT]"),  # the SDK's own
        ("test_others/test_ask", "llm.request"),  # sik_llms
    ):
        assert span in snapshots[f"__snapshots__/{test}.txt"].decode(), test
    # recorded on the virtual clock with the real gaps: durations are not zero
    assert (
        " 0us"
        not in snapshots["__snapshots__/test_openai/test_stream_summary.txt"]
        .decode()
        .splitlines()[0]
    )

    for args in (
        ["test_openai.py", "test_others.py"],
        ["test_others.py", "test_openai.py"],
        ["-n", "2"],
    ):
        run = run_offline(project.path, *args, "-k", "not unmarked")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        assert "4 passed" in run.stdout
        assert project_files(project.path, "*.txt") == snapshots
        assert project_files(project.path / "cassettes", "*.yaml") == cassettes


def test_the_guard_fails_an_unmarked_test_naming_the_host_before_any_connect(
    project: pytest.Pytester,
) -> None:
    run = run_offline(project.path, "test_others.py", "-k", "unmarked", "-rf")
    assert run.returncode == 1
    assert "2 failed" in run.stdout
    assert "sik-llms network guard: the test tried to reach 192.0.2.7:80 (connect)" in run.stdout
    assert "--llm-allow-network=192.0.2.7" in run.stdout
    # through the SDK's retries and error wrapping, the guard's line still fails the test,
    # said once per test (no chain of re-raises, no SDK traceback around it)
    assert "the test tried to reach api.openai.com:443 (DNS lookup)" in run.stdout
    failure = run.stdout.split("short test summary info")[0]
    assert failure.count("sik-llms network guard") == 2, failure
    assert "During handling of the above exception" not in failure


def test_a_changed_prompt_fails_with_the_diff_and_the_command_that_rewrites_it_in_one_run(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(
        project, monkeypatch, "test_openai.py", "-k", "test_summarize", "--snapshot-update"
    ).assert_outcomes(passed=1)
    project.makepyfile(app=APP.replace("the harness works", "the harness changed"))
    miss = run_offline(project.path, "test_openai.py", "-k", "test_summarize")
    assert miss.returncode == 1
    assert "closest recorded request" in miss.stdout
    assert "the harness works" in miss.stdout and "the harness changed" in miss.stdout
    rerecord = "pytest 'test_openai.py::test_summarize' --llm-record-mode=all --snapshot-update"
    assert rerecord in miss.stdout  # the test uses syrupy: a new answer needs new snapshots

    rewrite = _record(project, monkeypatch, "test_openai.py", "-k", "test_summarize")
    rewrite.assert_outcomes(failed=1)  # mode once keeps an existing cassette: still the old prompt
    with monkeypatch.context() as env:
        env.setenv("RECORD", "1")
        env.setenv("OPENAI_API_KEY", "simulated")
        project.runpytest_subprocess(
            "test_openai.py", "-k", "test_summarize", "--llm-record-mode=all", "--snapshot-update"
        ).assert_outcomes(passed=1)
    again = run_offline(project.path, "test_openai.py", "-k", "test_summarize")
    assert again.returncode == 0, again.stdout[-2000:]


def test_an_unknown_marker_keyword_is_one_clear_line(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_typo=textwrap.dedent("""
        import pytest

        @pytest.mark.llm_cassette(ignore_feilds=["user"])
        def test_typo():
            pass
    """)
    )
    result = project.runpytest_subprocess("test_typo.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.llm_cassette got unknown keyword(s) ignore_feilds; accepted: *"
            "ignore_fields*"
        ]
    )
