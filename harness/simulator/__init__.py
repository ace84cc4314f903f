"""Provider simulator: OpenAI and Anthropic on loopback, wire-faithful, scripted, with latency and faults.

Use it from Python (tests, demos, loads)::

    with Simulator(scenario="travel_agent", latency=Latency(ttft=0.1, tps=50)) as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim")
        anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="sk-sim")
        sim.set_faults([fault_rule_from_dict({"kind": "429", "first": 1})])
        ...
        assert sim.requests[0].json["model"] == "gpt-5.4-mini"

or from the shell: ``sik-llms simulate --port 8900 --scenario travel_agent``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.simulator.app import ReceivedRequest, SimulatorApp
from harness.simulator.cassette import CassetteError, serve_cassette
from harness.simulator.faults import (
    Fault,
    FaultInjector,
    FaultKind,
    FaultRule,
    fault_rule_from_dict,
    parse_fault_spec,
)
from harness.simulator.httpserver import BackgroundServer
from harness.simulator.latency import Latency
from harness.simulator.scenario import Scenario, ScenarioError
from harness.simulator.validation import Validation

__all__ = [
    "CassetteError",
    "Fault",
    "FaultKind",
    "FaultRule",
    "Latency",
    "ReceivedRequest",
    "Scenario",
    "ScenarioError",
    "Simulator",
    "build_app",
    "fault_rule_from_dict",
    "parse_fault_spec",
    "simulator_fixture",
]

FaultsArg = list[FaultRule | Fault | str | dict[str, Any]] | FaultRule | Fault | str | None


def _rules(faults: FaultsArg) -> list[FaultRule]:
    if faults is None:
        return []
    items = faults if isinstance(faults, list) else [faults]
    out: list[FaultRule] = []
    for item in items:
        if isinstance(item, FaultRule):
            out.append(item)
        elif isinstance(item, Fault):
            out.append(FaultRule(item))
        elif isinstance(item, str):
            out.append(parse_fault_spec(item))
        else:
            out.append(fault_rule_from_dict(item))
    return out


def build_app(
    scenario: Scenario | str | Path | dict[str, Any] | None = None,
    cassette: str | Path | None = None,
    latency: Latency | None = None,
    faults: FaultsArg = None,
    seed: int = 0,
    cassette_repeat: bool = True,
    validate: bool | dict[str, bool] | None = None,
) -> SimulatorApp:
    """The request planner, configured (shared by ``Simulator``, the CLI and the benchmark).

    ``validate`` overrides the scenario's request validation: ``False`` accepts any model name
    and parameter, a mapping turns single groups off (``{"models": False}``); see ``validation``.
    """
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    elif isinstance(scenario, str | Path):
        scenario = Scenario.load(scenario)
    if validate is not None:
        scenario = scenario or Scenario()
        try:
            scenario.validate = Validation.from_setting(validate, "validate")
        except ValueError as exc:
            raise ScenarioError(str(exc)) from exc
    served = serve_cassette(cassette, repeat=cassette_repeat) if cassette is not None else None
    return SimulatorApp(
        scenario=scenario,
        cassette=served,
        latency=latency,
        faults=FaultInjector(_rules(faults), seed=seed),
        seed=seed,
    )


class Simulator:
    """Context manager: the simulator on a free loopback port in a background thread.

    ``scenario`` is a ``Scenario``, a YAML path, a bundled scenario name or a dict; ``cassette``
    serves a vcrpy cassette instead; ``faults`` are ``FaultRule``s, ``Fault``s, CLI-style strings
    (``"429:first=2"``) or dicts; ``validate`` (``False`` or ``{"models": False}``...) relaxes the
    real APIs' request checks. ``requests`` lists what the server received.

    Endpoints: ``openai_base_url`` (``/v1``), ``anthropic_base_url``, ``azure_endpoint`` (for
    ``openai.AzureOpenAI(azure_endpoint=..., azure_deployment=..., api_version=...)``) and
    ``compatible_base_url(prefix)`` for OpenAI-compatible clients (``/api/v1``...).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | dict[str, Any] | None = None,
        cassette: str | Path | None = None,
        latency: Latency | None = None,
        faults: FaultsArg = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        cassette_repeat: bool = True,
        validate: bool | dict[str, bool] | None = None,
    ) -> None:
        self.app = build_app(scenario, cassette, latency, faults, seed, cassette_repeat, validate)
        self._server = BackgroundServer(self.app.plan, host, port)
        self.host = host

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Simulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)`` (the SDK appends /chat/completions etc.)."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``anthropic.Anthropic(base_url=...)`` (the SDK appends /v1/messages)."""
        return self.base_url

    @property
    def azure_endpoint(self) -> str:
        """For ``openai.AzureOpenAI(azure_endpoint=...)`` (the SDK adds /openai/deployments/<d>/...)."""
        return self.base_url

    def compatible_base_url(self, prefix: str = "/api/v1") -> str:
        """For an OpenAI-compatible client whose server lives under ``prefix`` (any model name accepted)."""
        return f"{self.base_url}{prefix}"

    # -- runtime control and inspection ---------------------------------------------------------
    @property
    def requests(self) -> list[ReceivedRequest]:
        """Requests received so far (a snapshot, oldest first)."""
        return list(self.app.requests)

    def set_faults(self, faults: FaultsArg, seed: int | None = None) -> None:
        """Replace the active fault rules (takes effect for the next request)."""
        self.app.faults.set(_rules(faults), seed)

    def clear_faults(self) -> None:
        self.app.faults.set([])

    def set_latency(self, latency: Latency | None) -> None:
        self.app.latency = latency

    def reset(self) -> None:
        """Forget received requests and rule counters (between test phases)."""
        self.app.requests.clear()
        self.app.scenario.reset()


def simulator_fixture(scope: str = "function", **kwargs: Any) -> Callable[..., Iterator[Simulator]]:
    """A pytest fixture running a ``Simulator(**kwargs)`` for each test (or module, session...).

    In a conftest or test module: ``travel_sim = simulator_fixture(scenario="travel_agent")``;
    tests then take ``travel_sim`` as an argument. pytest is imported only when this is called.
    """
    import pytest

    @pytest.fixture(scope=scope)  # type: ignore[call-overload, untyped-decorator]
    def _fixture() -> Iterator[Simulator]:
        with Simulator(**kwargs) as sim:
            yield sim

    return _fixture  # type: ignore[no-any-return]
