"""The sik-llms pytest plugin (entry point ``pytest11``): capture spans, replay cassettes.

Fixtures:
- ``llm_spans``: a ``harness.spans.capture.Capture`` for the test (its own providers, ids and
  clock) that also receives everything emitted through OpenTelemetry's global providers
  (module-level tracers, instrumentations): ``harness.spans.routing``.
  ``@pytest.mark.llm_spans(global_=False, clock=None)`` passes options to ``capture()``.
- ``llm_instrument``: ``llm_instrument(OpenAIInstrumentor(), capture_content=False)`` turns an
  OpenTelemetry instrumentor on for this test, with this test's providers; off at teardown.
- ``llm_cassette``: the ``CassetteSession`` replaying ``<llm_cassette_dir>/<name>.yaml``;
  active automatically for tests marked ``@pytest.mark.llm_cassette(name, mode=, timing=, ...)``
  (name defaults to ``<test module>/<test function>``). While active, every httpx2 / httpx
  client in the process is served from it (``harness.cassettes.intercept``), and in replay the
  SDKs get placeholder API keys when none is set. Marker keywords: ``name``, ``mode``,
  ``timing``, ``unused``, ``speed``, and the matching options ``ignore_fields`` (added to the
  defaults), ``match_headers``, ``ignore_query``, ``allow_repeats``, ``repeats``,
  ``ignore_host`` (default True: scheme, host and port are not matched); anything else
  fails the test with one line listing them.

Network guard (``harness.netguard``): every test may reach loopback only; anything else fails
the test with a message naming the host. Allow hosts with ``@pytest.mark.llm_allow_network(
"api.example.com")`` (no argument: any host) or ``--llm-allow-network=HOST[,HOST]`` (``*``:
any); ini ``llm_network_guard = false`` turns it off. Tests that record are not guarded.

Options: ``--llm-record-mode`` (none|once|new_episodes|all; ``all`` rewrites the cassette in
one run; given on the command line it wins over markers), ``--llm-timing``
(virtual|realtime), ini ``llm_cassette_dir`` (default ``cassettes`` under the rootdir) and
``llm_isolate_context`` (default true: every test starts with an empty OpenTelemetry context,
so a span leaked by an earlier test cannot adopt or silently drop this test's spans). A
failing test never writes a recording; a miss names the command that re-records.

No state lives in this module (per-run caches live on the pytest config: ``harness.pytest_cassette``),
so it runs under pytest-xdist, next to pytest-recording
(``vcr`` marker, ``--record-mode``) and syrupy (``snapshot``, ``--snapshot-update``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from harness.pytest_cassette import (
    REPORTS,
    ROUTES,
    cassette_dir,
    open_cassette,
    records,
    replay_timing,
    run_settings,
)

RECORD_MODES = ("none", "once", "new_episodes", "all")
TIMINGS = ("virtual", "realtime")
_GUARD = pytest.StashKey[Any]()
_REGISTERED = pytest.StashKey[tuple[int, frozenset[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sik-llms", "sik-llms cassettes and span capture")
    group.addoption(
        "--llm-record-mode",
        choices=RECORD_MODES,
        default=None,
        help="cassette mode for @pytest.mark.llm_cassette tests (default: the marker's, else none = "
        "replay only). once: record missing cassettes; new_episodes: record misses; all: re-record.",
    )
    group.addoption(
        "--llm-allow-network",
        action="append",
        default=[],
        metavar="HOST[,HOST]",
        help="hosts tests may reach besides loopback (the sik-llms network guard); '*' for any.",
    )
    group.addoption(
        "--llm-timing",
        choices=TIMINGS,
        default=None,
        help="how recorded streams are timed: virtual (instant, deterministic; default) or realtime.",
    )
    parser.addini(
        "llm_cassette_dir",
        "directory of sik-llms cassettes, relative to the rootdir",
        default="cassettes",
    )
    parser.addini(
        "llm_network_guard",
        "refuse connections and DNS lookups outside loopback in every test (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "llm_isolate_context",
        "start every test with an empty OpenTelemetry context (default true)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "llm_cassette(name=None, mode=None, timing=None, **options): replay the sik-llms cassette "
        "<llm_cassette_dir>/<name>.yaml around the test (replay-only unless a mode says otherwise)",
    )
    config.addinivalue_line(
        "markers",
        "llm_spans(**options): options for the llm_spans fixture (global_, clock, fresh_context)",
    )
    config.addinivalue_line(
        "markers",
        "llm_allow_network(*hosts): let the test reach these hosts (none given: any host)",
    )


MARKERS = ("llm_cassette", "llm_spans", "llm_allow_network")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A misspelled marker of ours fails the test with one line, before anything runs.

    pytest only warns about an unknown marker (``PytestUnknownMarkWarning``), so
    ``@pytest.mark.llm_casette`` would run the test unreplayed, against whatever answers.
    Markers the project registered itself are left alone."""
    registered = _registered_markers(item.config)
    for mark in item.iter_markers():
        if mark.name in registered:
            continue
        from difflib import get_close_matches

        close = get_close_matches(mark.name, MARKERS, n=1, cutoff=0.75)
        if close or mark.name.startswith("llm_"):
            hint = (
                f"did you mean @pytest.mark.{close[0]}?"
                if close
                else f"sik-llms has {', '.join(MARKERS)}"
            )
            pytest.fail(f"unknown marker @pytest.mark.{mark.name}: {hint}", pytrace=False)


def _registered_markers(config: pytest.Config) -> frozenset[str]:
    """Names of the registered markers, parsed again only when a plugin registered more."""
    lines = config.getini("markers")
    known = config.stash.get(_REGISTERED, None)
    if known is None or known[0] != len(lines):
        names = frozenset(line.split("(")[0].split(":")[0].strip() for line in lines)
        known = (len(lines), names)
        config.stash[_REGISTERED] = known
    return known[1]


def pytest_report_header(config: pytest.Config) -> str:
    mode = config.getoption("--llm-record-mode") or "marker or none"
    timing = config.getoption("--llm-timing") or "marker or virtual"
    return f"sik-llms: cassettes in {cassette_dir(config)}, record mode: {mode}, timing: {timing}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[Any]:
    """Fail the test with what the harness saw go wrong, even when the code under test
    swallowed it (SDKs retry a refused connection and re-raise it as "Connection error.")."""
    try:
        result = yield
    except BaseException as exc:
        problems = _problems(item)
        if problems and not isinstance(exc, pytest.fail.Exception):
            # the harness's own words, once, without the SDK's retries and re-raises around them
            from sik_llms.redact import exception_text

            said = " ".join(exception_text(exc).split())
            text = "\n".join(dict.fromkeys(problems))
            if not any(p in said for p in problems):
                text += f"\n(the code under test then raised {type(exc).__name__}: {said})"
            raise pytest.fail.Exception(text, pytrace=False) from None
        raise
    problems = _problems(item)
    if problems:
        pytest.fail("\n".join(dict.fromkeys(problems)), pytrace=False)
    return result


def _problems(item: pytest.Item) -> list[str]:
    guard = item.stash.get(_GUARD, None)
    problems = list(guard.refusals) if guard is not None else []
    for active in item.stash.get(ROUTES, []):
        problems += [str(miss) for miss in active.misses]
    return problems


def marker_keywords() -> list[str]:
    """Every keyword ``@pytest.mark.llm_cassette`` accepts (see ``harness.cassettes.marker``)."""
    from harness.cassettes.marker import marker_keywords as keywords

    return keywords()


def _allowed_hosts(request: pytest.FixtureRequest, marker: Any = ...) -> list[str] | None:
    """Hosts the guard lets through, or None when the guard is off for this test."""
    settings = run_settings(request.config)
    if not settings.guard or records(request, marker):
        return None
    hosts = list(settings.allow)
    for marker in request.node.iter_markers("llm_allow_network"):
        hosts += [str(h) for h in marker.args] if marker.args else ["*"]
    return hosts


# ---------------------------------------------------------------------- fixtures


class _TestState:
    """What the autouse fixture yields: the test's request and, when the test is marked, its
    cassette session (opened there, so a marked test costs no extra fixture)."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.marker = request.node.get_closest_marker("llm_cassette")
        self.cassette: Any = None


@pytest.fixture(autouse=True)
def _sik_llms_test_isolation(request: pytest.FixtureRequest) -> Iterator[_TestState]:
    """Fresh OpenTelemetry context and the network guard per test; activate marked cassettes."""
    from contextlib import ExitStack

    settings = run_settings(request.config)
    state = _TestState(request)
    with ExitStack() as stack:
        if settings.isolate_context:
            from opentelemetry import context as otel_context

            token = otel_context.attach(otel_context.Context())
            stack.callback(otel_context.detach, token)
        allowed = _allowed_hosts(request, state.marker)
        if allowed is not None:
            from harness.netguard import guard

            active = stack.enter_context(guard(allowed))
            request.node.stash[_GUARD] = active
        if state.marker is not None:
            state.cassette = open_cassette(request, stack, state.marker)
        yield state


@functools.cache
def _capture_keywords() -> tuple[str, ...]:
    from inspect import signature

    from harness.spans.capture import capture

    return tuple(signature(capture).parameters)


@pytest.fixture
def llm_spans(_sik_llms_test_isolation: _TestState) -> Iterator[Any]:
    """This test's spans, metrics and logs, captured in memory (see ``harness.spans.capture``),
    including those emitted through OpenTelemetry's global providers."""
    from harness.spans.capture import capture

    state = _sik_llms_test_isolation
    request = state.request
    marker = request.node.get_closest_marker("llm_spans")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    accepted = _capture_keywords()
    unknown = sorted(set(options) - set(accepted))
    if unknown or (marker is not None and marker.args):
        pytest.fail(
            f"@pytest.mark.llm_spans takes keywords only, among {', '.join(accepted)}; "
            f"got {', '.join([*map(repr, marker.args if marker else ()), *unknown])}",
            pytrace=False,
        )
    options.setdefault("global_", True)
    if replay_timing(request, state.marker) == "realtime":
        options.setdefault("clock", None)
    with capture(**options) as cap:
        yield cap


@pytest.fixture
def llm_instrument(
    request: pytest.FixtureRequest, llm_spans: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """``llm_instrument(instrumentor, capture_content=False, **kwargs)``: instrument for this test.

    Calls ``instrumentor.instrument(tracer_provider=, meter_provider=, logger_provider=,
    **kwargs)`` with the test's capture providers and ``uninstrument()`` at teardown.
    ``capture_content=True`` sets the GenAI content-capture environment variables for the
    test: ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT`` (the values
    opentelemetry-util-genai accepts, and so openai-v2 and sik_llms; it rejects "true") and
    OpenLLMetry's ``TRACELOOP_TRACE_CONTENT=true``; False sets ``NO_CONTENT`` / ``false``. A
    string (``"SPAN_ONLY"``, ``"EVENT_ONLY"``...) is used as the util-genai mode. Returns the
    instrumentor.
    """
    active: list[Any] = []

    def instrument(instrumentor: Any, *, capture_content: bool | str = False, **kwargs: Any) -> Any:
        if isinstance(capture_content, str):
            # the modes of opentelemetry-util-genai (openai-v2), which sik_llms reads too
            from sik_llms.telemetry.config import CAPTURE_MODES

            mode = capture_content.upper()
            if mode not in CAPTURE_MODES:
                raise ValueError(
                    f"llm_instrument: capture_content={capture_content!r} is not True, False or "
                    f"one of {', '.join(CAPTURE_MODES)}"
                )
        else:
            mode = "SPAN_AND_EVENT" if capture_content else "NO_CONTENT"
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", mode)
        monkeypatch.setenv("TRACELOOP_TRACE_CONTENT", str(mode != "NO_CONTENT").lower())
        if getattr(instrumentor, "is_instrumented_by_opentelemetry", False):
            instrumentor.uninstrument()
        llm_spans.retire_providers()  # its wrappers may outlive uninstrument()
        instrumentor.instrument(
            tracer_provider=llm_spans.tracer_provider,
            meter_provider=llm_spans.meter_provider,
            logger_provider=llm_spans.logger_provider,
            **kwargs,
        )
        active.append(instrumentor)
        return instrumentor

    yield instrument
    for instrumentor in reversed(active):
        instrumentor.uninstrument()


@pytest.fixture
def llm_cassette(_sik_llms_test_isolation: _TestState) -> Iterator[Any]:
    """The test's cassette session (replay-only by default), active for the whole test."""
    state = _sik_llms_test_isolation
    if state.cassette is not None:  # a marked test: opened by the autouse fixture
        yield state.cassette
        return
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield open_cassette(state.request, stack, state.marker)
