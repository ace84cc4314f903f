"""The generated suites of the per-test bench (``harness.bench.pertest``): each a ``conftest.py``
that times every test and one test file of ``tests`` tests making the same small OpenAI call.

``ours`` (the marker and ``llm_spans``), ``vcr`` (pytest-recording on the raw SDK), ``floor``
(the same sik_llms call on a mock transport, no cassette, no capture), ``floor_otel`` (the
floor with sik_llms's telemetry into hand-made in-memory providers) and ``ours_metrics``
(``ours`` whose tests also read a metric). The timer writes, per test, (wall s, CPU s, GC s)
taken around ``pytest_runtest_protocol`` to the JSON file ``SIK_BENCH_OUT`` names.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ALL_SUITES", "BASE_URL", "CASSETTE", "PROMPT", "SUITES", "write_suite"]

SUITES = ("ours", "vcr", "floor")
ALL_SUITES = (*SUITES, "floor_otel", "ours_metrics")
#: A small non-streamed OpenAI call recorded against the simulator (``simulator.invalid``).
CASSETTE = "openai/text.yaml"
BASE_URL = "http://simulator.invalid/v1"
PROMPT = "What's the capital of France?"

_TIMER = """
import gc, json, os, time
import pytest

_times = []
_gc = {"seconds": 0.0, "start": 0.0, "collections": [0, 0, 0]}


def _gc_timer(phase, info):
    if phase == "start":
        _gc["start"] = time.perf_counter()
    else:
        _gc["seconds"] += time.perf_counter() - _gc["start"]
        _gc["collections"][info["generation"]] += 1


gc.callbacks.append(_gc_timer)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    t0, c0, g0 = time.perf_counter(), time.process_time(), _gc["seconds"]
    yield
    _times.append((time.perf_counter() - t0, time.process_time() - c0, _gc["seconds"] - g0))


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["SIK_BENCH_OUT"], "w") as out:
        json.dump({"times": _times, "exitstatus": int(exitstatus), "failed": session.testsfailed,
                   "gc_collections": _gc["collections"]}, out)
"""

_OURS = """
import pytest
from sik_llms import create_client, user_message

CASSETTE = {cassette!r}


@pytest.mark.parametrize("i", range({tests}))
@pytest.mark.llm_cassette(CASSETTE)
def test_call(i, llm_spans):
    client = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url={base_url!r}, stream=False)
    response = client([user_message({prompt!r})])
    assert "Paris" in response.response
    assert sorted(s.name for s in llm_spans.spans()) == ["http.request", "llm.openai.stream", "llm.request"]
"""

#: what ``ours_metrics`` adds to each test of ``ours``
_READ_METRIC = """    assert llm_spans.metric_value("llm.request.duration")["count"] == 1
"""

_VCR_CONFTEST = """

def pytest_recording_configure(config, vcr):
    # pytest-recording 0.13's CombinedPersister unpacks two values from vcrpy's loader, which
    # returns three since vcrpy 7 ("too many values to unpack" on any existing cassette): use
    # vcrpy's own persister (the extra-cassette paths it adds are not used here).
    from vcr.persisters.filesystem import FilesystemPersister

    vcr.register_persister(FilesystemPersister)
"""

_VCR = """
import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

@pytest.fixture(scope="module")
def vcr_config():
    return {{"record_mode": "none", "match_on": ["method", "uri"]}}


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return {cassette_dir!r}


@pytest.fixture
def default_cassette_name():
    return {cassette_name!r}


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("bench"), exporter
    provider.shutdown()


@pytest.mark.parametrize("i", range({tests}))
@pytest.mark.vcr
def test_call(i, spans):
    tracer, exporter = spans
    client = openai.OpenAI(api_key="sk-test-0000", base_url={base_url!r}, max_retries=0)
    with tracer.start_as_current_span("chat"):
        response = client.chat.completions.create(
            model="gpt-5.4-mini", messages=[{{"role": "user", "content": {prompt!r}}}]
        )
    assert "Paris" in response.choices[0].message.content
    assert [s.name for s in exporter.get_finished_spans()] == ["chat"]
"""

_FLOOR = """
import json
import httpx2
import pytest
from sik_llms import create_client, user_message
from sik_llms.transport import use_transport

BODY = {body!r}
HEADERS = {headers!r}


@pytest.fixture
def transport():
    with use_transport(sync=httpx2.MockTransport(lambda request: httpx2.Response(200, headers=HEADERS, content=BODY))):
        yield


@pytest.mark.parametrize("i", range({tests}))
def test_call(i, transport):
    client = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url={base_url!r}, stream=False)
    response = client([user_message({prompt!r})])
    assert "Paris" in response.response
"""


_FLOOR_OTEL = """
import httpx2
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sik_llms import create_client, telemetry, user_message
from sik_llms.transport import use_transport

BODY = {body!r}
HEADERS = {headers!r}
EXPORTER = InMemorySpanExporter()
TRACER_PROVIDER = TracerProvider()
TRACER_PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
METER_PROVIDER = MeterProvider(metric_readers=[InMemoryMetricReader()])


@pytest.fixture
def transport():
    with use_transport(sync=httpx2.MockTransport(lambda request: httpx2.Response(200, headers=HEADERS, content=BODY))):
        with telemetry.use_providers(TRACER_PROVIDER, METER_PROVIDER):
            yield
    EXPORTER.clear()


@pytest.mark.parametrize("i", range({tests}))
def test_call(i, transport):
    client = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url={base_url!r}, stream=False)
    response = client([user_message({prompt!r})])
    assert "Paris" in response.response
    assert sorted(s.name for s in EXPORTER.get_finished_spans()) == ["http.request", "llm.openai.stream", "llm.request"]
"""


def _project_cassettes() -> Path:
    from harness.bundled import cassette_dir  # the checkout's cassettes/, or the wheel's copy

    here = cassette_dir()
    if not (here / CASSETTE).is_file():
        raise FileNotFoundError(
            f"{here / CASSETTE} not found: the per-test bench needs the project's cassettes"
        )
    return here


def write_suite(kind: str, directory: Path, tests: int = 200) -> Path:
    """Write the ``kind`` suite (one of ``ALL_SUITES``) into ``directory``; returns the test file."""
    from harness.cassettes import load_cassette

    directory.mkdir(parents=True, exist_ok=True)
    cassette = _project_cassettes() / CASSETTE
    args = {"tests": tests, "base_url": BASE_URL, "prompt": PROMPT, "cassette": str(cassette)}
    if kind in ("ours", "ours_metrics"):
        text = _OURS.format(**{**args, "cassette": str(cassette.with_suffix(""))})
        text += _READ_METRIC if kind == "ours_metrics" else ""
    elif kind == "vcr":
        text = _VCR.format(**args, cassette_dir=str(cassette.parent), cassette_name=cassette.stem)
    elif kind in ("floor", "floor_otel"):
        response = load_cassette(cassette).interactions[0].response
        headers = {"content-type": response.header("content-type") or "application/json"}
        template = _FLOOR if kind == "floor" else _FLOOR_OTEL
        text = template.format(**args, body=response.body, headers=headers)
    else:
        raise ValueError(f"suite must be one of {', '.join(ALL_SUITES)}, not {kind!r}")
    (directory / "conftest.py").write_text(_TIMER + (_VCR_CONFTEST if kind == "vcr" else ""))
    (directory / "pytest.ini").write_text("[pytest]\n")
    path = directory / f"test_{kind}_suite.py"
    path.write_text(text)
    return path
