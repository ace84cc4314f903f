"""The metric instruments, created once per meter provider, and what one call records.

One call records: requests (+ failed requests), the request-duration histogram, input /
output / cache tokens and cost when known, and the two GenAI histograms. Agents record only
their own counters (``record_agent``); the calls they make record theirs, so nothing is counted
twice.

The per-call counters are observable counters over running totals (``CallTotals``): a
synchronous ``Counter.add`` costs about 7 µs in the SDK (a measurement object, hashing the
attributes, a lock), and a call would make five of them. Adding to our own totals costs well
under a microsecond; exporters and Prometheus see the same cumulative, monotonic sums.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Observation

from sik_llms.telemetry import names as n
from sik_llms.telemetry.errors import error_type

if TYPE_CHECKING:  # pragma: no cover
    from sik_llms.types import TokenSummary


class CallTotals:
    """Running sums per attribute set, one per call counter, read at collection time.

    A sum appears once something was added to it (as with a synchronous counter): failed
    requests after the first failure, cache tokens once non-zero, cost once a price was known.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, float]]] = {}

    def add(self, attrs: dict[str, Any], amounts: dict[str, float]) -> None:
        key = tuple(attrs.values())
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = (dict(attrs), {})
            sums = row[1]
            for name, amount in amounts.items():
                sums[name] = sums.get(name, 0) + amount

    def clear(self) -> None:
        """Forget every sum (the harness reuses one meter provider from test to test)."""
        with self._lock:
            self._rows = {}

    def callback(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(_options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                return [
                    Observation(sums[name], attrs)
                    for attrs, sums in self._rows.values()
                    if name in sums
                ]

        return observe


class Instruments:
    """All sik_llms instruments on one meter."""

    def __init__(self, meter: Any) -> None:
        tokens, requests = "{token}", "{request}"
        self.totals = totals = CallTotals()
        self._genai_cache: dict[tuple[Any, ...], tuple[dict[str, Any], ...]] = {}
        for name, unit, description in (
            (n.METRIC_TOKENS_INPUT, tokens, "Input tokens as the provider reported them"),
            (n.METRIC_TOKENS_OUTPUT, tokens, "Output tokens"),
            (n.METRIC_CACHE_READ_TOKENS, tokens, "Prompt tokens read from cache"),
            (n.METRIC_CACHE_WRITE_TOKENS, tokens, "Prompt tokens written to cache"),
            (n.METRIC_COST, "usd", "Cost of LLM calls in US dollars"),
            (n.METRIC_REQUESTS, requests, "LLM calls made"),
            (n.METRIC_REQUESTS_FAILED, requests, "LLM calls that failed"),
        ):
            meter.create_observable_counter(name, [totals.callback(name)], unit, description)
        self.duration = meter.create_histogram(
            n.METRIC_REQUEST_DURATION,
            "s",
            "Duration of LLM calls",
            explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
        )
        self.genai_tokens = meter.create_histogram(
            n.METRIC_GEN_AI_TOKEN_USAGE,
            "{token}",
            "Tokens used per GenAI operation",
            explicit_bucket_boundaries_advisory=list(n.TOKEN_BUCKETS),
        )
        self.genai_duration = meter.create_histogram(
            n.METRIC_GEN_AI_OPERATION_DURATION,
            "s",
            "GenAI operation duration",
            explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
        )
        # streamed calls only (GenAI conventions): time to the first chunk, and the gap before
        # each later chunk
        self.genai_first_chunk = meter.create_histogram(
            n.METRIC_GEN_AI_TIME_TO_FIRST_CHUNK,
            "s",
            "Time to receive the first chunk of a streamed GenAI response",
            explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
        )
        self.genai_per_chunk = meter.create_histogram(
            n.METRIC_GEN_AI_TIME_PER_OUTPUT_CHUNK,
            "s",
            "Time between consecutive chunks of a streamed GenAI response",
            explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
        )
        self._meter = meter
        self._agent: _AgentInstruments | None = None
        self._agent_lock = threading.Lock()

    def agent(self) -> _AgentInstruments:
        """The agent's instruments, created on the first agent run (most processes never
        run one, and a test capture makes a meter per test: five instruments saved each)."""
        if self._agent is None:
            with self._agent_lock:
                if self._agent is None:
                    self._agent = _AgentInstruments(self._meter)
        return self._agent

    def record_call(
        self,
        attrs: dict[str, Any],
        genai: dict[str, Any],
        duration: float,
        response: TokenSummary | None,
        exc: BaseException | None,
        cost: float | None = None,
    ) -> None:
        """One call's points: ``attrs`` label ours (model, provider), ``genai`` the GenAI
        histograms (operation, provider, request model); neither is modified. ``cost`` is the
        response's ``total_cost`` (passed in: the caller computed it already)."""
        self.duration.record(duration, attrs)
        if exc is not None:
            self.totals.add(attrs, {n.METRIC_REQUESTS: 1, n.METRIC_REQUESTS_FAILED: 1})
        elif response is None:  # cancelled by the consumer: no usage to report
            self.totals.add(attrs, {n.METRIC_REQUESTS: 1})
        else:
            # Unknown is not zero: a count the provider did not report adds nothing and
            # records no gen_ai.client.token.usage point (see TokenSummary).
            amounts: dict[str, float] = {n.METRIC_REQUESTS: 1}
            if response.input_tokens is not None:
                amounts[n.METRIC_TOKENS_INPUT] = response.input_tokens
            if response.output_tokens is not None:
                amounts[n.METRIC_TOKENS_OUTPUT] = response.output_tokens
            if response.cache_read_tokens:
                amounts[n.METRIC_CACHE_READ_TOKENS] = response.cache_read_tokens
            if response.cache_write_tokens:
                amounts[n.METRIC_CACHE_WRITE_TOKENS] = response.cache_write_tokens
            if cost is not None:
                amounts[n.METRIC_COST] = cost
            self.totals.add(attrs, amounts)
        self.record_genai(genai, duration, response, exc)

    def record_genai(
        self,
        genai: dict[str, Any],
        duration: float,
        response: TokenSummary | None,
        exc: BaseException | None,
        tokens: bool = True,
    ) -> None:
        """The GenAI conventions' client metrics of one call, on ``genai`` (not modified):
        ``gen_ai.client.operation.duration`` (with ``error.type`` on a failure) and, for a
        response and with ``tokens``, ``gen_ai.client.token.usage`` per reported token type.
        The lean profile records the duration only (the one metric the conventions require;
        token usage is "recommended when readily available")."""
        if exc is not None:
            self.genai_duration.record(duration, {**genai, n.ERROR_TYPE: error_type(exc)})
            return
        if response is None:  # cancelled by the consumer: no usage to report
            self.genai_duration.record(duration, genai)
            return
        on_duration, on_input, on_output = self._genai_sets(genai, response.model)
        self.genai_duration.record(duration, on_duration)
        if not tokens:
            return
        if response.input_tokens is not None:
            self.genai_tokens.record(response.input_tokens_total, on_input)
        if response.output_tokens is not None:
            self.genai_tokens.record(response.output_tokens, on_output)

    def record_chunks(self, genai: dict[str, Any], first: float, gaps: list[float]) -> None:
        """A streamed call's chunk timing: time to the first chunk, then one point per later
        chunk (the gap since the one before), on the call's GenAI attribute set."""
        self.genai_first_chunk.record(first, genai)
        for gap in gaps:
            self.genai_per_chunk.record(gap, genai)

    def _genai_sets(
        self, genai: dict[str, Any], response_model: str | None
    ) -> tuple[dict[str, Any], ...]:
        """The GenAI histograms' attribute sets for a response, built once per distinct set."""
        key = (*genai.values(), response_model)
        sets = self._genai_cache.get(key)
        if sets is None:
            base = (
                {**genai, n.GEN_AI_RESPONSE_MODEL: response_model}
                if response_model
                else dict(genai)
            )
            sets = (
                base,
                {**base, n.GEN_AI_TOKEN_TYPE: "input"},
                {**base, n.GEN_AI_TOKEN_TYPE: "output"},
            )
            if len(self._genai_cache) >= 1024:  # bounded, whatever models a process sees
                self._genai_cache.clear()
            self._genai_cache[key] = sets
        return sets

    def record_agent(
        self, attrs: dict[str, Any], iterations: int, tool_calls: int, success: bool
    ) -> None:
        """One agent run: its own counters only (inner calls were recorded by themselves)."""
        agent = self.agent()
        agent.reasoning_requests.add(1, attrs)
        agent.reasoning_iterations.add(iterations, attrs)
        agent.reasoning_tool_calls.add(tool_calls, attrs)
        agent.reasoning_iterations_per_request.record(iterations, attrs)
        if success:
            agent.reasoning_success.add(1, attrs)


class _AgentInstruments:
    """The ReasoningAgent's instruments on one meter."""

    def __init__(self, meter: Any) -> None:
        requests = "{request}"
        self.reasoning_iterations = meter.create_counter(
            n.METRIC_REASONING_ITERATIONS, "{iteration}", "Agent reasoning iterations"
        )
        self.reasoning_tool_calls = meter.create_counter(
            n.METRIC_REASONING_TOOL_CALLS, "{call}", "Agent tool calls"
        )
        self.reasoning_requests = meter.create_counter(
            n.METRIC_REASONING_REQUESTS, requests, "Agent runs"
        )
        self.reasoning_success = meter.create_counter(
            n.METRIC_REASONING_SUCCESS, requests, "Agent runs that finished"
        )
        self.reasoning_iterations_per_request = meter.create_histogram(
            n.METRIC_REASONING_ITERATIONS_PER_REQUEST,
            "{iteration}",
            "Reasoning iterations of each agent run",
            explicit_bucket_boundaries_advisory=list(n.ITERATION_BUCKETS),
        )
