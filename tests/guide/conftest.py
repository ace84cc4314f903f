"""Every Python example of the guide (``shared/seed/otel_101.md``) runs, offline, and does what it says.

Each test names the guide section and lines it runs, keeps the guide's code as printed where it
works, and where it does not (OpenTelemetry 1.45 APIs, the guide's own slips) first shows the
printed form failing and then runs the corrected form. Assertions are on real captured spans and
metrics: names, parents, attributes, links, trace ids across services.

Where the calls go: the guide writes ``create_client("gpt-4o-mini")`` with no URL or key, so the
tests set ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (read by the OpenAI SDK) and the guide's line
runs unchanged. They point at the provider simulator on 127.0.0.1, scripted with the guide's
prompts (``GUIDE_SCENARIO``), or at ``http://simulator.invalid/v1`` while a project cassette
replays (the sampler examples). Telemetry goes to in-memory exporters (``harness.spans.capture``) or to
the loopback OTLP collector (``harness.collector``). Examples that configure OpenTelemetry
globally (zero-config, the manual setup, the detection snippets) run in a fresh interpreter,
because global providers can be set only once per process; in-process tests use
``capture(global_=True)``, which restores the globals afterwards.
"""

from __future__ import annotations

import pytest

from harness.cassettes import suite
from harness.simulator import Simulator, simulator_fixture
from tests.guide.guide_helpers import GUIDE_SCENARIO

guide_sim = simulator_fixture(scope="module", scenario=GUIDE_SCENARIO)


@pytest.fixture
def guide_env(guide_sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """The guide's bare ``create_client("gpt-4o-mini")`` talks to the simulator on loopback."""
    monkeypatch.setenv("OPENAI_BASE_URL", guide_sim.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-guide-test")
    for name in (
        "OTEL_SDK_DISABLED",
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    ):
        monkeypatch.delenv(name, raising=False)
    return guide_sim


@pytest.fixture
def cassette_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's bare ``create_client(...)`` addresses the host the project's cassettes recorded."""
    monkeypatch.setenv("OPENAI_BASE_URL", suite.SIMULATOR_BASE_URLS["openai"])
    monkeypatch.setenv("OPENAI_API_KEY", suite.SIMULATOR_KEY)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
