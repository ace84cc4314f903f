"""The project's cassette suite: named calls through sik_llms, recorded into ``cassettes/``.

Each ``SuiteCall`` is one scenario (plain text, streamed text, tools, parallel tools,
structured output, thinking, caching, error classes, the guide's trip-planning
ReasoningAgent, an expensive-model call) that runs through the real client against a
*target*: the in-process provider simulator (default, with its seeded latency model so the
recorded event timings are realistic) or a real provider (``--base-url`` and a key).

Recording goes through ``harness.cassettes.record.RecordingTransport`` (scrubbed, scanned, with
provenance). Against the simulator, requests are addressed to the stable host
``simulator.invalid`` and redirected to the simulator's free port underneath, so cassettes do
not depend on which port a run happened to get. The same calls drive ``sik-llms demo`` (which
replays these cassettes) and ``sik-llms demo --live`` (which runs them against the simulator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from pydantic import BaseModel

from harness.bundled import cassette_dir
from harness.cassettes.format import Cassette
from harness.cassettes.record import RecordingTransport, refuse_recording_in_ci
from harness.trip_tools import TRIP_QUESTION, trip_tools, weather_tool
from sik_llms import ReasoningAgent
from sik_llms.client import Client
from sik_llms.providers import create_client
from sik_llms.redact import redact_url
from sik_llms.transport import use_transport

#: Where the project's cassettes live (``cassettes/<provider>/<scenario>.yaml``; in the wheel,
#: ``harness/bundled/cassettes``).
CASSETTE_ROOT = cassette_dir()
#: Host the simulator's cassettes are addressed to; ``.invalid`` never resolves (RFC 2606).
SIMULATOR_HOST = "simulator.invalid"
SIMULATOR_BASE_URLS = {
    "openai": f"http://{SIMULATOR_HOST}/v1",
    "anthropic": f"http://{SIMULATOR_HOST}",
}
#: The key the record-suite scenario accepts (it checks keys, so a 401 can be recorded).
SIMULATOR_KEY = "sim-demo-key"
WRONG_KEY = "sim-wrong-key"
SCENARIO = "record_suite"
#: Extra metadata key (next to ``provenance``) describing how a suite cassette was made.
SUITE_KEY = "sik_llms_suite"

#: Current models (listed by the installed SDKs, not marked deprecated, priced in
#: ``sik_llms.models``; ``tests/test_current_models.py`` checks all three). Anthropic's default is
#: Sonnet 4.6 because the thinking scenario sets ``budget_tokens``, which the 5.x models (adaptive
#: thinking only) do not take.
MODELS = {
    "openai": {"cheap": "gpt-5.4-mini", "expensive": "gpt-5.5"},
    "anthropic": {
        "cheap": "claude-haiku-4-5",
        "default": "claude-sonnet-4-6",
        "expensive": "claude-opus-4-6",
    },
}


class CityFacts(BaseModel):
    """The structured-output scenario's schema."""

    city: str
    country: str
    population: int
    landmarks: list[str]


@dataclass
class Target:
    """Where one suite call's requests go: base URL and key for one provider."""

    provider: str
    base_url: str
    api_key: str

    def client(self, model: str, **kwargs: Any) -> Client:
        kwargs.setdefault("api_key", self.api_key)
        return create_client(model, base_url=self.base_url, provider=self.provider, **kwargs)

    def model(self, kind: str) -> str:
        models = MODELS[self.provider]
        return models.get(kind) or models["cheap"]


@dataclass
class Outcome:
    """What one suite call did: a short summary (for the command's output) and the results."""

    summary: str
    responses: list[Any] = field(default_factory=list)
    error: BaseException | None = None


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _expect_error(fn: Callable[[], Any]) -> Outcome:
    try:
        response = fn()
    except Exception as exc:  # the scenario is the failure: record it, report it
        return Outcome(summary=f"{type(exc).__name__}: {str(exc)[:60]}", error=exc)
    return Outcome(summary="expected an error, got a response", responses=[response])


# --------------------------------------------------------------------------- the calls


def text(t: Target) -> Outcome:
    r = t.client(t.model("default"), stream=False)(_user("What's the capital of France?"))
    return Outcome(summary=r.response, responses=[r])


def text_stream(t: Target) -> Outcome:
    r = t.client(t.model("default"))(_user("Write a haiku about observability"))
    return Outcome(summary=r.response.splitlines()[0] + " ...", responses=[r])


def tools(t: Target) -> Outcome:
    r = t.client(t.model("default"), tools=[weather_tool()])(_user("What's the weather in Lisbon?"))
    return Outcome(
        summary=", ".join(f"{p.name}({p.arguments})" for p in r.tool_predictions), responses=[r]
    )


def parallel_tools(t: Target) -> Outcome:
    r = t.client(t.model("default"), tools=[weather_tool()])(
        _user("What's the weather in Lisbon and Porto?")
    )
    return Outcome(
        summary=", ".join(f"{p.name}({p.arguments})" for p in r.tool_predictions), responses=[r]
    )


def structured(t: Target) -> Outcome:
    r = t.client(t.model("default"), response_format=CityFacts)(
        _user(
            "Extract the city facts: Lisbon, Portugal, about 545,000 people; Belem Tower, Sao Jorge Castle."
        )
    )
    return Outcome(summary=repr(r.parsed)[:70], responses=[r])


def thinking(t: Target) -> Outcome:
    r = t.client(t.model("default"), thinking_budget_tokens=1024)(_user("Solve: 15 * 23 + 7"))
    return Outcome(summary=f"{r.response} (thinking: {len(r.thinking or '')} chars)", responses=[r])


def caching(t: Target) -> Outcome:
    r = t.client(t.model("default"))(
        _user("Following the cached style guide, how should I write headings?")
    )
    return Outcome(
        summary=f"cache read {r.cache_read_tokens}, write {r.cache_write_tokens} tokens",
        responses=[r],
    )


def expensive(t: Target) -> Outcome:
    r = t.client(t.model("expensive"))(
        _user("Summarise the quarterly board report in two sentences.")
    )
    return Outcome(summary=f"{r.model}: ${r.total_cost:.5f}", responses=[r])


def error_401(t: Target) -> Outcome:
    return _expect_error(
        lambda: t.client(t.model("default"), api_key=WRONG_KEY, max_retries=0)(
            _user("What's the capital of France?")
        )
    )


def retry_429(t: Target) -> Outcome:
    r = t.client(t.model("default"), max_retries=2)(_user("Say something even when rate limited."))
    return Outcome(summary=r.response, responses=[r])


def error_500(t: Target) -> Outcome:
    return _expect_error(
        lambda: t.client(t.model("default"), max_retries=0)(_user("Trigger a server error please."))
    )


def error_529(t: Target) -> Outcome:
    return _expect_error(
        lambda: t.client(t.model("default"), max_retries=0)(
            _user("Pretend you are overloaded please.")
        )
    )


def trip_agent(t: Target) -> Outcome:
    """The guide's trip-planning ReasoningAgent run (the demo's main trace)."""
    agent = make_trip_agent(t)
    r = agent(_user(TRIP_QUESTION))
    first = r.response.strip().splitlines()[0] if r.response.strip() else "(no answer)"
    return Outcome(summary=first[:70], responses=[r])


def make_trip_agent(t: Target) -> ReasoningAgent:
    return ReasoningAgent(
        t.model("cheap"),
        tools=trip_tools(),
        api_key=t.api_key,
        base_url=t.base_url,
        provider=t.provider,
        reasoning_effort="medium",
        max_iterations=5,
    )


@dataclass(frozen=True)
class SuiteCall:
    """One named scenario of the suite, for the providers it applies to."""

    name: str
    run: Callable[[Target], Outcome]
    providers: tuple[str, ...] = ("openai", "anthropic")
    description: str = ""


SUITE: tuple[SuiteCall, ...] = (
    SuiteCall("text", text, description="plain text, not streamed"),
    SuiteCall("text_stream", text_stream, description="plain text, streamed"),
    SuiteCall("tools", tools, description="one tool call"),
    SuiteCall("parallel_tools", parallel_tools, description="two tool calls in one answer"),
    SuiteCall("structured", structured, description="structured output into a pydantic model"),
    SuiteCall("thinking", thinking, ("anthropic",), "extended thinking"),
    SuiteCall("caching", caching, description="prompt-cache usage (read / write tokens)"),
    SuiteCall(
        "expensive", expensive, description="an expensive model (kept by the CostBasedSampler)"
    ),
    SuiteCall("error_401", error_401, description="wrong API key: AuthenticationError"),
    SuiteCall("retry_429", retry_429, description="429 with retry-after, then 200 on the retry"),
    SuiteCall("error_500", error_500, description="server error, no retries"),
    SuiteCall("error_529", error_529, ("anthropic",), "Anthropic overloaded, no retries"),
    SuiteCall("agent_trip", trip_agent, description="the guide's trip-planning ReasoningAgent run"),
)


def suite_calls(
    providers: list[str] | None = None, names: list[str] | None = None
) -> list[tuple[str, SuiteCall]]:
    """(provider, call) pairs selected by provider and scenario name; unknown names raise."""
    known = {c.name for c in SUITE}
    unknown = sorted(set(names or ()) - known)
    if unknown:
        raise ValueError(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}"
        )
    out = []
    for provider in providers or list(MODELS):
        if provider not in MODELS:
            raise ValueError(f"unknown provider {provider!r}; choose from {', '.join(MODELS)}")
        out += [
            (provider, c)
            for c in SUITE
            if provider in c.providers and (not names or c.name in names)
        ]
    return out


def cassette_path(root: Path, provider: str, name: str) -> Path:
    return Path(root) / provider / f"{name}.yaml"


# --------------------------------------------------------------------------- recording


class RedirectTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Sends requests addressed to ``simulator.invalid`` to the simulator's real port."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._sync = httpx2.HTTPTransport()
        self._async = httpx2.AsyncHTTPTransport()

    def _moved(self, request: httpx2.Request) -> httpx2.Request:
        if request.url.host != SIMULATOR_HOST:
            return request
        request.url = request.url.copy_with(host=self._host, port=self._port)
        return request

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        try:
            return self._sync.handle_request(self._moved(request))
        finally:
            request.url = url

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        try:
            return await self._async.handle_async_request(self._moved(request))
        finally:
            request.url = url

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


@dataclass
class Recorded:
    """Result of recording one scenario."""

    provider: str
    name: str
    path: Path | None
    outcome: Outcome | None
    interactions: int = 0
    problem: str | None = None


@contextmanager
def simulator_targets(seed: int = 7) -> Iterator[tuple[dict[str, Target], Any]]:
    """Start the simulator (record-suite scenario, seeded latency) on a free loopback port."""
    from harness.simulator import Simulator

    with Simulator(scenario=SCENARIO, seed=seed) as sim:
        targets = {p: Target(p, url, SIMULATOR_KEY) for p, url in SIMULATOR_BASE_URLS.items()}
        yield targets, sim


def record_one(
    call: SuiteCall, target: Target, path: Path, real: Any, source: dict[str, Any]
) -> Recorded:
    """Run ``call`` through a recording transport and write its scrubbed cassette to ``path``."""
    refuse_recording_in_ci(path)
    recorder = RecordingTransport(real, real)
    try:
        with use_transport(sync=recorder, async_=recorder):
            outcome = call.run(target)
    except Exception as exc:  # a broken scenario must not stop the rest of the suite
        return Recorded(
            target.provider,
            call.name,
            None,
            None,
            problem=f"not written: {type(exc).__name__}: {exc}"[:300],
        )
    if not recorder.interactions:
        return Recorded(
            target.provider, call.name, None, outcome, problem="no HTTP requests were made"
        )
    base = Cassette(
        interactions=[],
        path=path,
        name=call.name,
        metadata={
            SUITE_KEY: {
                "scenario": call.name,
                "provider": target.provider,
                "description": call.description,
                "base_url": target.base_url,
                **source,
            }
        },
    )
    written = recorder.write(base, path)
    return Recorded(
        target.provider, call.name, written, outcome, interactions=len(recorder.interactions)
    )


def record_suite(
    root: Path = CASSETTE_ROOT,
    providers: list[str] | None = None,
    names: list[str] | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    seed: int = 7,
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[Recorded]:
    """Record the selected scenarios; against the simulator unless ``base_url`` is given."""
    selected = suite_calls(providers, names)
    results: list[Recorded] = []
    if base_url:
        if not providers or len(providers) != 1:
            raise ValueError(
                "recording against --base-url needs exactly one --provider (openai or anthropic)"
            )
        target = Target(providers[0], base_url, api_key or "")
        real = httpx2.HTTPTransport()
        source = {"target": "real provider", "recorded_against": base_url}
        for provider, call in selected:
            progress(f"recording {provider}/{call.name} against {redact_url(base_url)}")
            results.append(
                record_one(call, target, cassette_path(root, provider, call.name), real, source)
            )
        return results
    with simulator_targets(seed) as (targets, sim):
        real = RedirectTransport(sim.host, sim.port)
        source = {
            "target": "sik-llms provider simulator",
            "simulator_scenario": f"harness/simulator/scenarios/{SCENARIO}.yaml",
            "simulator_seed": seed,
        }
        try:
            for provider, call in selected:
                progress(f"recording {provider}/{call.name} against the simulator")
                sim.reset()
                results.append(
                    record_one(
                        call,
                        targets[provider],
                        cassette_path(root, provider, call.name),
                        real,
                        source,
                    )
                )
        finally:
            real.close()
    return results
