"""What the harness adds per test: a generated suite run by pytest, three ways, side by side.

Each suite has ``tests`` tests (default 200) making the same small OpenAI chat call:

- ``ours``: ``@pytest.mark.llm_cassette`` replaying a project cassette, spans captured by the
  ``llm_spans`` fixture and asserted (the harness's promise, end to end);
- ``vcr``: pytest-recording's ``@pytest.mark.vcr`` replaying the same cassette for the raw
  ``openai`` SDK, with a hand-made ``InMemorySpanExporter`` fixture (what a user would write
  without us);
- ``floor``: the same sik_llms call on an in-process ``httpx2.MockTransport`` answering the
  recorded body, no cassette and no capture (the cost of the call and of pytest itself);
- ``floor_otel`` (not in the default set): the floor with sik_llms's telemetry on, into
  in-memory SDK providers made once for the module (what the telemetry itself costs, with no
  harness: ``ours`` minus this is the harness's cassette and capture);
- ``ours_metrics`` (not in the default set): ``ours`` whose tests also read a metric, so the
  SDK aggregation a capture defers until metrics are read (``harness.spans.deferred``) is
  paid in every test.

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

__all__ = [
    "ALL_SUITES",
    "CHECK_MAX_RATIO",
    "SUITES",
    "check",
    "harness_share",
    "markdown_section",
    "paired_range",
    "run",
    "write_suite",
]

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
    """Run the suites interleaved; ms/test (wall and CPU) per suite and each one's ratio to the
    floor. A suite whose packages are missing is left out and named in ``skipped``."""
    skipped = {kind: reason for kind in suites if (reason := _missing(kind))}
    suites = tuple(kind for kind in suites if kind not in skipped)
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
        for kind, row in rows.items():
            row["wall_ratio"] = round(row["wall_ms"] / rows["floor"]["wall_ms"], 2)
            row["cpu_ratio"] = round(row["cpu_ms"] / rows["floor"]["cpu_ms"], 2)
            row["cpu_ratio_range"] = paired_range(per[kind], per["floor"])
    return {"tests": tests, "rounds": rounds, "warmup": warmup, "rows": rows, "skipped": skipped}


def paired_range(
    suite: list[tuple[float, float, float]], floor: list[tuple[float, float, float]]
) -> list[float]:
    """The lowest and highest CPU ratio to the floor over the rounds, each round's suite over
    the same round's floor (run minutes apart at most, so a slow spell hits both): how far one
    round can stray from the median ratio. Per-process variance is about ±8% on a shared
    machine; the median of several rounds is the figure to quote."""
    ratios = [s[1] / f[1] for s, f in zip(suite, floor, strict=True)]
    return [round(min(ratios), 2), round(max(ratios), 2)]


def _missing(kind: str) -> str | None:
    """Why ``kind`` cannot run here (a package it needs is not installed), else None."""
    import importlib.util

    needs = ["pytest"] + (["pytest_recording", "vcr"] if kind == "vcr" else [])
    absent = [name for name in needs if importlib.util.find_spec(name) is None]
    return f"not installed: {', '.join(absent)}" if absent else None


#: ``--check`` (CI): ours within this CPU ratio of the floor, and cheaper than ``vcr``. Loose
#: for a noisy shared runner (ours measures 1.4 to 1.6x; 30 tests x 1 round reads high), tight
#: enough to catch a 10x regression.
CHECK_MAX_RATIO = 5.0


def check(result: dict[str, Any], max_ratio: float = CHECK_MAX_RATIO) -> list[str]:
    """What is wrong with ``result`` (a ``run`` result with ours, vcr and floor), one line each."""
    rows = result["rows"]
    missing = [k for k in SUITES if k not in rows]
    if missing:
        return [f"the check needs the suites {', '.join(missing)}"]
    problems = []
    ours = rows["ours"]
    if ours["cpu_ratio"] > max_ratio:
        problems.append(
            f"ours costs {ours['cpu_ms']:.2f} ms CPU per test, {ours['cpu_ratio']:.2f}x the "
            f"no-cassette floor ({rows['floor']['cpu_ms']:.2f} ms); the limit is {max_ratio:g}x"
        )
    if ours["cpu_ms"] >= rows["vcr"]["cpu_ms"]:
        problems.append(
            f"ours costs {ours['cpu_ms']:.2f} ms CPU per test, not less than pytest-recording's "
            f"vcr ({rows['vcr']['cpu_ms']:.2f} ms)"
        )
    return problems


_LABELS = {
    "ours": "sik-llms: `@pytest.mark.llm_cassette` + `llm_spans`",
    "vcr": "pytest-recording `vcr` on the raw SDK + hand-made in-memory exporter",
    "floor": "floor: the same call on a mock transport, no cassette, no capture",
    "floor_otel": "floor + sik_llms telemetry into hand-made in-memory providers",
    "ours_metrics": "sik-llms: marker + `llm_spans`, each test also reading a metric",
}


def markdown_section(result: dict[str, Any] | None) -> list[str]:
    """The per-test table (lines of Markdown), empty when the bench did not measure it."""
    if result and result.get("error"):
        return ["", f"Per test: not measured ({result['error']})."]
    if not result or not result.get("rows"):
        return []
    lines = [
        "",
        f"Per test, {result['tests']} generated tests replaying one small OpenAI call, "
        f"{result['rounds']} interleaved rounds (`python -m harness.bench.pertest`); CPU / "
        "floor is the ratio of the medians, the range the lowest and highest ratio of one "
        "round's suite to the same round's floor:",
        "",
        "| suite | wall ms/test | CPU ms/test | CPU / floor | rounds' range | GC ms/test |",
        "|---|---|---|---|---|---|",
    ]
    for kind, row in result["rows"].items():
        low, high = row.get("cpu_ratio_range") or (0.0, 0.0)
        lines.append(
            f"| {_LABELS.get(kind, kind)} | {row['wall_ms']:.2f} | {row['cpu_ms']:.2f} | "
            f"{row.get('cpu_ratio', 0):.2f} | {low:.2f}-{high:.2f} | {row['gc_ms_mean']:.2f} |"
        )
    for kind, reason in (result.get("skipped") or {}).items():
        lines.append(f"| {_LABELS.get(kind, kind)} | skipped: {reason} | | | | |")
    share = harness_share(result)
    if share:
        lines += ["", share]
    return lines


def harness_share(result: dict[str, Any]) -> str:
    """One sentence: what the harness itself adds per test (ours minus the floor with sik_llms
    telemetry on, CPU), and ours as a multiple of that floor; empty without both rows."""
    rows = result.get("rows") or {}
    if "ours" not in rows or "floor_otel" not in rows:
        return ""
    ours, otel = rows["ours"]["cpu_ms"], rows["floor_otel"]["cpu_ms"]
    if ours < otel:
        share = (
            f"Ours costs {otel - ours:.2f} ms CPU per test less than the floor with telemetry "
            f"({ours / otel:.2f}x): a capture aggregates sik_llms's metric points only when the "
            f"test reads metrics, which that floor's SDK reader does at every call"
        )
    else:
        share = (
            f"The harness's own cost per test (cassette, capture, plugin: ours minus the floor "
            f"with telemetry): {ours - otel:.2f} ms CPU; ours is {ours / otel:.2f}x that floor"
        )
    if "ours_metrics" in rows:
        extra = rows["ours_metrics"]["cpu_ms"] - ours
        share += f"; reading a metric in each test adds {extra:.2f} ms"
    return share + "."


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.pertest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--suite", action="append", choices=ALL_SUITES, help="run only these (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 unless ours is within {CHECK_MAX_RATIO:g}x the floor (CPU) and below vcr (CI)",
    )
    args = parser.parse_args(argv)
    result = run(
        args.tests,
        args.rounds,
        warmup=min(10, args.tests // 3),
        suites=tuple(args.suite or SUITES),
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    problems = check(result) if args.check else []
    for problem in problems:
        print(f"pertest check: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2))
        return 1 if problems else 0
    print(f"{result['tests']} tests per suite, {result['rounds']} rounds, medians per test")
    print(
        f"{'suite':12} {'wall ms':>8} {'cpu ms':>8} {'wall/floor':>11} {'cpu/floor':>10} "
        f"{'rounds':>10} {'gc ms (mean)':>13}"
    )
    for kind, row in result["rows"].items():
        low, high = row.get("cpu_ratio_range") or (0.0, 0.0)
        print(
            f"{kind:12} {row['wall_ms']:8.3f} {row['cpu_ms']:8.3f} {row.get('wall_ratio', 0):11.2f} "
            f"{row.get('cpu_ratio', 0):10.2f} {f'{low:.2f}-{high:.2f}':>10} {row['gc_ms_mean']:13.3f}"
        )
    share = harness_share(result)
    if share:
        print(share)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
