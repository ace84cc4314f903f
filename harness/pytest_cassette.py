"""The cassette half of the pytest plugin: settings read once per run, what each
``llm_cassette`` marker resolves to, and opening and closing a test's cassette session.

Per test, the plugin's autouse fixture calls ``open_cassette`` for a marked test (a marked test
costs no extra fixture); the ``llm_cassette`` fixture hands that session out, or opens one
for an unmarked test that asks for it. What does not change during a run is computed once:
the options and ini values (``Settings``), each distinct marker's ``use_cassette`` arguments
(a marker object is shared by every test it decorates, parametrized ones included) and each
test's cassette path. Nothing here imports the cassette engine until a test needs it.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest

#: Set (when unset) during replay, so SDKs that demand a key construct; not key-shaped.
PLACEHOLDER_API_KEY = "sik-llms-replay-placeholder"
PLACEHOLDER_KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
#: Each phase's report, kept on the item by the plugin (a failed test writes no recording).
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
#: The interception routes of the test's cassette (their misses fail the test).
ROUTES = pytest.StashKey[list[Any]]()
_SETTINGS_KEY = pytest.StashKey["Settings"]()


class Settings:
    """The run's options and ini values, read once per session, and what each distinct
    ``llm_cassette`` marker resolves to (a marker is shared by every test it decorates)."""

    def __init__(self, config: pytest.Config) -> None:
        configured = Path(str(config.getini("llm_cassette_dir")))
        self.cassette_dir = configured if configured.is_absolute() else config.rootpath / configured
        self.record_mode: str | None = config.getoption("--llm-record-mode")
        self.timing: str | None = config.getoption("--llm-timing")
        self.guard = bool(config.getini("llm_network_guard"))
        self.isolate_context = bool(config.getini("llm_isolate_context"))
        self.allow = [h for opt in config.getoption("--llm-allow-network") for h in opt.split(",")]
        # id(marker) -> (marker, its use_cassette options or the one-line problem with them);
        # the marker is kept, so its id is not reused while the entry lives
        self._options: dict[int, tuple[Any, dict[str, Any] | str]] = {}
        self._paths: dict[tuple[Any, ...], Path] = {}
        # (id(marker), test file, test name) -> (marker, cassette path, use_cassette keywords
        # with mode and timing resolved, or the one-line problem): what open_cassette needs
        self._plans: dict[tuple[Any, ...], tuple[Any, Path | None, dict[str, Any] | str]] = {}

    def options(self, marker: Any) -> dict[str, Any] | str:
        """``marker``'s keywords as ``use_cassette`` arguments (a fresh dict), or the one line
        saying what is wrong with them (``harness.cassettes.marker``)."""
        hit = self._options.get(id(marker))
        if hit is None or hit[0] is not marker:
            from harness.cassettes.marker import MarkerError, cassette_options

            try:
                resolved: dict[str, Any] | str = cassette_options(marker_kwargs(marker))
            except MarkerError as exc:
                resolved = str(exc)
            hit = (marker, resolved)
            self._options[id(marker)] = hit
        return hit[1] if isinstance(hit[1], str) else dict(hit[1])

    def path(self, node: Any, name: str | None) -> Path:
        """Where the test's cassette lives: ``<dir>/<name>.yaml``, name defaulting to module/test."""
        original = getattr(node, "originalname", node.name)
        key = (name, node.path, original)
        path = self._paths.get(key)
        if path is None:
            if name is None:
                name = f"{Path(str(node.path)).stem}/{original}"
            path = self.cassette_dir / name
            if path.suffix not in (".yaml", ".yml"):
                path = path.with_name(path.name + ".yaml")
            self._paths[key] = path
        return path

    def plan(self, node: Any, marker: Any) -> tuple[Path | None, dict[str, Any] | str]:
        """The test's cassette path and its ``use_cassette`` keywords (mode and timing
        resolved; shared, do not modify), or the one line saying what is wrong with the
        marker: the same for every test one marker decorates in one function."""
        key = (id(marker), node.path, getattr(node, "originalname", node.name))
        hit = self._plans.get(key)
        if hit is None or hit[0] is not marker:
            kwargs = self.options(marker)
            path = None
            if not isinstance(kwargs, str):
                path = self.path(node, kwargs.pop("name", None))
                kwargs["mode"] = _chosen(marker, self.record_mode, "mode", "none")
                kwargs["timing"] = _chosen(marker, self.timing, "timing", "virtual")
            hit = self._plans[key] = (marker, path, kwargs)
        return hit[1], hit[2]


def run_settings(config: pytest.Config) -> Settings:
    """The run's ``Settings``, read on first use."""
    settings = config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        settings = config.stash[_SETTINGS_KEY] = Settings(config)
    return settings


def cassette_dir(config: pytest.Config) -> Path:
    return run_settings(config).cassette_dir


def marker_kwargs(marker: Any) -> dict[str, Any]:
    if marker is None:
        return {}
    kwargs = dict(marker.kwargs)
    if marker.args:
        kwargs.setdefault("name", marker.args[0])
    return kwargs


def _marker(request: pytest.FixtureRequest, marker: Any) -> Any:
    """The test's ``llm_cassette`` marker: ``marker`` when the caller looked it up already."""
    return request.node.get_closest_marker("llm_cassette") if marker is ... else marker


def _chosen(marker: Any, given: str | None, keyword: str, default: str) -> str:
    """The command line's value, else the marker's ``keyword``, else ``default``."""
    return given or (marker.kwargs.get(keyword) if marker is not None else None) or default


def replay_timing(request: pytest.FixtureRequest, marker: Any = ...) -> str:
    """The test's stream timing: the command line's, else the marker's, else virtual."""
    timing = run_settings(request.config).timing
    return _chosen(_marker(request, marker), timing, "timing", "virtual")


def record_mode(request: pytest.FixtureRequest, marker: Any = ...) -> str:
    """The test's record mode: the command line's, else the marker's, else none."""
    mode = run_settings(request.config).record_mode
    return _chosen(_marker(request, marker), mode, "mode", "none")


def cassette_path(request: pytest.FixtureRequest, name: str | None = None) -> Path:
    """Where the test's cassette lives: ``<dir>/<name>.yaml``, name defaulting to module/test."""
    return run_settings(request.config).path(request.node, name)


def records(request: pytest.FixtureRequest, marker: Any = ...) -> bool:
    """Whether this test's cassette will talk to the real network (so the guard stands aside)."""
    marker = _marker(request, marker)
    if marker is None:
        return False
    mode = record_mode(request, marker)
    if mode in ("all", "new_episodes"):
        return True
    return (
        mode == "once" and not cassette_path(request, marker_kwargs(marker).get("name")).is_file()
    )


def rerecord_hint(request: pytest.FixtureRequest) -> str:
    """The exact command that re-records the test's cassette, for the miss message.

    ``--snapshot-update`` is part of it when the test uses syrupy's ``snapshot``: a new answer
    changes the snapshot, and a failing test keeps no new recording."""
    update = " --snapshot-update" if "snapshot" in request.fixturenames else ""
    return (
        f"To re-record this cassette: pytest '{request.node.nodeid}' --llm-record-mode=all{update} "
        "with the provider's API key set, or the client's base URL on `sik-llms simulate` "
        "(the new recording is kept only if the test passes)."
    )


def open_cassette(request: pytest.FixtureRequest, stack: Any, marker: Any = ...) -> Any:
    """Open the test's cassette session; ``stack`` closes it (after the test: a failed test
    writes no recording, unused interactions fail the test in its teardown)."""
    engine = _engine()
    settings = run_settings(request.config)
    marker = _marker(request, marker)
    path, kwargs = settings.plan(request.node, marker)
    if isinstance(kwargs, str):
        pytest.fail(kwargs, pytrace=False)
    assert path is not None
    mode = kwargs["mode"]
    if mode == "none" or (mode == "once" and path.is_file()):
        for variable in PLACEHOLDER_KEY_VARIABLES:
            value = engine.env_value(variable)  # an unset variable costs no KeyError
            if not value:
                stack.callback(_restore_env, variable, value)
                os.environ[variable] = PLACEHOLDER_API_KEY
    # the hint is made only if a miss or an unused interaction needs it
    hint = functools.partial(rerecord_hint, request)
    manager: AbstractContextManager[Any] = engine.session.use_cassette(path, **kwargs, hint=hint)
    problem = None
    try:
        session = manager.__enter__()
    except (ValueError, RuntimeError, FileNotFoundError) as exc:  # a cassette that cannot be used
        problem = unusable(request, path, exc)
    if problem is not None:  # outside the except block: one line, no chained traceback
        pytest.fail(problem, pytrace=False)
    stack.callback(_close_cassette, request, manager)
    shared = stack.enter_context(engine.intercept.route(session.transport, scope="process"))
    request.node.stash[ROUTES] = [r for r in (session.route, shared) if r is not None]
    return session


class _Engine(NamedTuple):
    session: ModuleType
    intercept: ModuleType
    env_value: Callable[[str], str | None]


_ENGINE: list[_Engine] = []


def _engine() -> _Engine:
    """The cassette engine's modules, imported on the first cassette test (the test is skipped
    when they are not installed) and looked up again only if ``sys.modules`` no longer holds
    them (pytester's in-process runs unload what they imported)."""
    if _ENGINE:
        engine = _ENGINE[0]
        modules = sys.modules
        if (
            modules.get("harness.cassettes.session") is engine.session
            and modules.get("harness.cassettes.intercept") is engine.intercept
        ):
            return engine
    try:
        import harness.cassettes  # noqa: F401  (the package: its absence is the skip below)
        from harness.cassettes import intercept, session
    except ImportError as exc:
        if exc.name not in ("harness.cassettes", "yaml", "vcr"):
            raise
        pytest.skip(f"sik-llms cassettes are unavailable ({exc}); install sik-llms[harness]")
    from sik_llms.telemetry.state import env_value

    _ENGINE[:] = [_Engine(session, intercept, env_value)]
    return _ENGINE[0]


def _restore_env(variable: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value


def _close_cassette(request: pytest.FixtureRequest, manager: AbstractContextManager[Any]) -> None:
    reports = request.node.stash.get(REPORTS, {})
    if any(report.failed for report in reports.values()):
        # the test failed: let use_cassette see an error so it writes no recording
        error = _TestFailed(f"{request.node.nodeid} failed; cassette not written")
        manager.__exit__(_TestFailed, error, None)
        return
    unused = None
    try:
        manager.__exit__(None, None, None)
    except _engine().session.UnusedInteractionsError as exc:
        unused = str(exc)
    if unused is not None:  # the report says it all: no traceback through the harness
        pytest.fail(unused, pytrace=False)


def unusable(request: pytest.FixtureRequest, path: Path, exc: BaseException) -> str:
    """One line saying why the test's cassette cannot be used and the command that fixes it."""
    from harness.cassettes.marker import unusable_message

    root = request.config.rootpath
    known = list(cassette_dir(request.config).rglob("*.y*ml"))
    update = " --snapshot-update" if "snapshot" in request.fixturenames else ""
    return unusable_message(
        path, exc, root=root, nodeid=request.node.nodeid, known=known, update=update
    )


class _TestFailed(Exception):
    """Thrown into use_cassette when the test failed, so nothing gets recorded."""


__all__ = [
    "PLACEHOLDER_API_KEY",
    "PLACEHOLDER_KEY_VARIABLES",
    "REPORTS",
    "ROUTES",
    "Settings",
    "cassette_dir",
    "cassette_path",
    "marker_kwargs",
    "open_cassette",
    "record_mode",
    "records",
    "replay_timing",
    "rerecord_hint",
    "run_settings",
    "unusable",
]
