"""What the harness adds per test: a generated suite run by pytest, three ways, side by side.

Each suite has ``tests`` tests (default 200) making the same small OpenAI chat call:

- ``ours``: ``@pytest.mark.llm_cassette`` replaying a project cassette, spans captured by the
  ``llm_spans`` fixture and asserted (the harness's promise, end to end);
- ``vcr``: pytest-recording's ``@pytest.mark.vcr`` replaying the same cassette for the raw
  ``openai`` SDK, with a hand-made ``InMemorySpanExporter`` fixture (what a user would write
  without us);
- ``floor``: the same sik_llms call on an in-process ``httpx2.MockTransport`` answering the
  recorded body, no cassette and no capture (the cost of the call and of pytest itself).

Every test builds its client, as tests usually do. A suite runs in its own ``pytest``
process; the time of each test is taken around ``pytest_runtest_protocol`` (setup, call,
teardown, reporting), the first ``warmup`` tests are dropped (first-use imports), and a
figure is the median over the remaining tests of the median over rounds. Suites run in
rounds, in an order that changes every round, so a noisy machine hits them alike.
``python -m harness.bench.pertest`` prints ms/test and the ratios to the floor.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SUITES", "run", "write_suite"]

SUITES = ("ours", "vcr", "floor")
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


def _project_cassettes() -> Path:
    here = Path(__file__).resolve().parent.parent / "cassettes"
    if not (here / CASSETTE).is_file():
        raise FileNotFoundError(
            f"{here / CASSETTE} not found: the per-test bench needs the project's cassettes"
        )
    return here


def write_suite(kind: str, directory: Path, tests: int = 200) -> Path:
    """Write the ``kind`` suite (one of ``SUITES``) into ``directory``; returns the test file."""
    from harness.cassettes import load_cassette

    directory.mkdir(parents=True, exist_ok=True)
    cassette = _project_cassettes() / CASSETTE
    args = {"tests": tests, "base_url": BASE_URL, "prompt": PROMPT, "cassette": str(cassette)}
    if kind == "ours":
        text = _OURS.format(**{**args, "cassette": str(cassette.with_suffix(""))})
    elif kind == "vcr":
        text = _VCR.format(**args, cassette_dir=str(cassette.parent), cassette_name=cassette.stem)
    elif kind == "floor":
        response = load_cassette(cassette).interactions[0].response
        headers = {"content-type": response.header("content-type") or "application/json"}
        text = _FLOOR.format(**args, body=response.body, headers=headers)
    else:
        raise ValueError(f"suite must be one of {', '.join(SUITES)}, not {kind!r}")
    (directory / "conftest.py").write_text(_TIMER + (_VCR_CONFTEST if kind == "vcr" else ""))
    (directory / "pytest.ini").write_text("[pytest]\n")
    path = directory / f"test_{kind}_suite.py"
    path.write_text(text)
    return path


def _run_suite(path: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "SIK_BENCH_OUT": str(out)}
    for var in (
        "OTEL_SDK_DISABLED",
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    ):
        env.pop(var, None)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-p",
        "no:randomly",
        "--rootdir",
        str(path.parent),
        str(path),
    ]
    proc = subprocess.run(
        cmd, cwd=path.parent, env=env, capture_output=True, text=True, timeout=600
    )
    if not out.is_file():
        raise RuntimeError(
            f"{path.name}: pytest wrote no timings (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    data = json.loads(out.read_text())
    out.unlink()
    if data["failed"]:
        raise RuntimeError(f"{path.name}: {data['failed']} test(s) failed:\n{proc.stdout[-3000:]}")
    return data


def run(
    tests: int = 200,
    rounds: int = 3,
    warmup: int = 10,
    suites: tuple[str, ...] = SUITES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the suites interleaved; ms/test (wall and CPU) per suite and each one's ratio to the floor."""
    per: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in suites}
    with tempfile.TemporaryDirectory(prefix="sik-pertest-") as tmp:
        paths = {kind: write_suite(kind, Path(tmp) / kind, tests) for kind in suites}
        order = list(suites)
        for r in range(rounds):
            order = order[1:] + order[:1]
            for kind in order:
                if progress:
                    progress(f"round {r + 1}/{rounds}: {kind}")
                data = _run_suite(paths[kind], Path(tmp) / f"{kind}.json")
                times = data["times"][warmup:]
                per[kind].append(
                    (
                        statistics.median(t[0] for t in times),
                        statistics.median(t[1] for t in times),
                        statistics.fmean(t[2] for t in times),
                    )
                )
    rows = {
        kind: {
            "wall_ms": round(statistics.median(s[0] for s in samples) * 1000, 3),
            "cpu_ms": round(statistics.median(s[1] for s in samples) * 1000, 3),
            "gc_ms_mean": round(statistics.median(s[2] for s in samples) * 1000, 3),
        }
        for kind, samples in per.items()
    }
    if "floor" in rows:
        for row in rows.values():
            row["wall_ratio"] = round(row["wall_ms"] / rows["floor"]["wall_ms"], 2)
            row["cpu_ratio"] = round(row["cpu_ms"] / rows["floor"]["cpu_ms"], 2)
    return {"tests": tests, "rounds": rounds, "warmup": warmup, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.pertest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--suite", action="append", choices=SUITES, help="run only these (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(
        args.tests,
        args.rounds,
        suites=tuple(args.suite or SUITES),
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['tests']} tests per suite, {result['rounds']} rounds, medians per test")
    print(
        f"{'suite':8} {'wall ms':>8} {'cpu ms':>8} {'wall/floor':>11} {'cpu/floor':>10} {'gc ms (mean)':>13}"
    )
    for kind, row in result["rows"].items():
        print(
            f"{kind:8} {row['wall_ms']:8.3f} {row['cpu_ms']:8.3f} {row.get('wall_ratio', 0):11.2f} "
            f"{row.get('cpu_ratio', 0):10.2f} {row['gc_ms_mean']:13.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
