"""The sik-llms pytest plugin (entry point ``pytest11``): capture spans, replay cassettes.

Fixtures:
- ``llm_spans``: a ``harness.spans.capture.Capture`` for the test (its own providers, ids and
  clock). ``@pytest.mark.llm_spans(global_=True, clock=None)`` passes options to ``capture()``.
- ``llm_cassette``: the ``CassetteSession`` replaying ``<llm_cassette_dir>/<name>.yaml``;
  active automatically for tests marked ``@pytest.mark.llm_cassette(name, mode=, timing=)``
  (name defaults to ``<test module>/<test function>``; extra keywords go to ``use_cassette``).

Options: ``--llm-record-mode`` (none|once|new_episodes|all; given on the command line it wins
over markers), ``--llm-timing`` (virtual|realtime), ini ``llm_cassette_dir`` (default
``cassettes`` under the rootdir) and ``llm_isolate_context`` (default true: every test starts
with an empty OpenTelemetry context, so a span leaked by an earlier test cannot adopt or
silently drop this test's spans). A failing test never writes a recording.

No state lives in this module, so it runs under pytest-xdist, next to pytest-recording
(``vcr`` marker, ``--record-mode``) and syrupy (``snapshot``, ``--snapshot-update``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

RECORD_MODES = ("none", "once", "new_episodes", "all")
TIMINGS = ("virtual", "realtime")
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


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
        "--llm-timing",
        choices=TIMINGS,
        default=None,
        help="how recorded streams are timed: virtual (instant, deterministic; default) or realtime.",
    )
    parser.addini("llm_cassette_dir", "directory of sik-llms cassettes, relative to the rootdir", default="cassettes")
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
        "markers", "llm_spans(**options): options for the llm_spans fixture (global_, clock, fresh_context)"
    )


def pytest_report_header(config: pytest.Config) -> str:
    mode = config.getoption("--llm-record-mode") or "marker or none"
    timing = config.getoption("--llm-timing") or "marker or virtual"
    return f"sik-llms: cassettes in {_cassette_dir(config)}, record mode: {mode}, timing: {timing}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# ---------------------------------------------------------------------- settings


def _cassette_dir(config: pytest.Config) -> Path:
    configured = Path(str(config.getini("llm_cassette_dir")))
    return configured if configured.is_absolute() else config.rootpath / configured


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("llm_cassette")
    if marker is None:
        return {}
    kwargs = dict(marker.kwargs)
    if marker.args:
        kwargs.setdefault("name", marker.args[0])
    return kwargs


def _timing(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--llm-timing") or _marker_kwargs(request).get("timing") or "virtual"


def cassette_path(request: pytest.FixtureRequest, name: str | None = None) -> Path:
    """Where the test's cassette lives: ``<dir>/<name>.yaml``, name defaulting to module/test."""
    if name is None:
        module = Path(str(request.node.path)).stem
        name = f"{module}/{getattr(request.node, 'originalname', request.node.name)}"
    path = _cassette_dir(request.config) / name
    return path if path.suffix in (".yaml", ".yml") else path.with_name(path.name + ".yaml")


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _sik_llms_test_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fresh OpenTelemetry context per test; activate the cassette of marked tests."""
    token = None
    if request.config.getini("llm_isolate_context"):
        from opentelemetry import context as otel_context

        token = otel_context.attach(otel_context.Context())
    try:
        if request.node.get_closest_marker("llm_cassette") is not None:
            request.getfixturevalue("llm_cassette")
        yield
    finally:
        if token is not None:
            from opentelemetry import context as otel_context

            otel_context.detach(token)


@pytest.fixture
def llm_spans(request: pytest.FixtureRequest) -> Iterator[Any]:
    """This test's spans and metrics, captured in memory (see ``harness.spans.capture``)."""
    from harness.spans.capture import capture

    marker = request.node.get_closest_marker("llm_spans")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if _timing(request) == "realtime":
        options.setdefault("clock", None)
    with capture(**options) as cap:
        yield cap


@pytest.fixture
def llm_cassette(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test's cassette session (replay-only by default), active for the whole test."""
    try:
        from harness.cassettes import use_cassette
    except ImportError as exc:
        if exc.name not in ("harness.cassettes", "yaml", "vcr"):
            raise
        pytest.skip(f"sik-llms cassettes are unavailable ({exc}); install sik-llms[harness]")
    kwargs = _marker_kwargs(request)
    path = cassette_path(request, kwargs.pop("name", None))
    kwargs["mode"] = request.config.getoption("--llm-record-mode") or kwargs.get("mode") or "none"
    kwargs["timing"] = _timing(request)
    manager: AbstractContextManager[Any] = use_cassette(path, **kwargs)
    session = manager.__enter__()
    try:
        yield session
    finally:
        reports = request.node.stash.get(_REPORTS, {})
        failed = any(report.failed for report in reports.values())
        if failed:
            # the test failed: let use_cassette see an error so it writes no recording
            error = _TestFailed(f"{request.node.nodeid} failed; cassette not written")
            manager.__exit__(_TestFailed, error, None)
        else:
            manager.__exit__(None, None, None)


class _TestFailed(Exception):
    """Thrown into use_cassette when the test failed, so nothing gets recorded."""
