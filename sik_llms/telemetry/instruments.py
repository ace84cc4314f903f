"""The metric instruments, created once per meter provider, and what one call records.

One call records: requests (+ failed requests), the request-duration histogram, input /
output / cache tokens and cost when known, and the two GenAI histograms. Agents record only
their own counters (``record_agent``); the calls they make record theirs, so nothing is counted
twice.
"""

from __future__ import annotations

from typing import Any

from sik_llms.telemetry import names as n
from sik_llms.telemetry.errors import error_type
from sik_llms.types import TokenSummary


class Instruments:
    """All sik_llms instruments on one meter."""

    def __init__(self, meter: Any) -> None:
        tokens, requests = "{token}", "{request}"
        self.tokens_input = meter.create_counter(n.METRIC_TOKENS_INPUT, tokens, "Input tokens as the provider reported them")
        self.tokens_output = meter.create_counter(n.METRIC_TOKENS_OUTPUT, tokens, "Output tokens")
        self.cache_read = meter.create_counter(n.METRIC_CACHE_READ_TOKENS, tokens, "Prompt tokens read from cache")
        self.cache_write = meter.create_counter(n.METRIC_CACHE_WRITE_TOKENS, tokens, "Prompt tokens written to cache")
        self.cost = meter.create_counter(n.METRIC_COST, "usd", "Cost of LLM calls in US dollars")
        self.requests = meter.create_counter(n.METRIC_REQUESTS, requests, "LLM calls made")
        self.requests_failed = meter.create_counter(n.METRIC_REQUESTS_FAILED, requests, "LLM calls that failed")
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
        self.reasoning_iterations = meter.create_counter(n.METRIC_REASONING_ITERATIONS, "{iteration}", "Agent reasoning iterations")
        self.reasoning_tool_calls = meter.create_counter(n.METRIC_REASONING_TOOL_CALLS, "{call}", "Agent tool calls")
        self.reasoning_requests = meter.create_counter(n.METRIC_REASONING_REQUESTS, requests, "Agent runs")
        self.reasoning_success = meter.create_counter(n.METRIC_REASONING_SUCCESS, requests, "Agent runs that finished")
        self.reasoning_iterations_per_request = meter.create_histogram(
            n.METRIC_REASONING_ITERATIONS_PER_REQUEST,
            "{iteration}",
            "Reasoning iterations of each agent run",
            explicit_bucket_boundaries_advisory=list(n.ITERATION_BUCKETS),
        )

    def record_call(
        self,
        attrs: dict[str, Any],
        provider: str,
        model: str,
        duration: float,
        response: TokenSummary | None,
        exc: BaseException | None,
    ) -> None:
        self.requests.add(1, attrs)
        self.duration.record(duration, attrs)
        genai = {
            n.GEN_AI_OPERATION_NAME: n.OP_CHAT,
            n.GEN_AI_PROVIDER_NAME: provider,
            n.GEN_AI_REQUEST_MODEL: model,
        }
        if exc is not None:
            self.requests_failed.add(1, attrs)
            self.genai_duration.record(duration, {**genai, n.ERROR_TYPE: error_type(exc)})
            return
        if response is None:  # cancelled by the consumer: no usage to report
            self.genai_duration.record(duration, genai)
            return
        if response.model:
            genai[n.GEN_AI_RESPONSE_MODEL] = response.model
        self.genai_duration.record(duration, genai)
        self.tokens_input.add(response.input_tokens, attrs)
        self.tokens_output.add(response.output_tokens, attrs)
        if response.cache_read_tokens:
            self.cache_read.add(response.cache_read_tokens, attrs)
        if response.cache_write_tokens:
            self.cache_write.add(response.cache_write_tokens, attrs)
        cost = response.total_cost
        if cost is not None:
            self.cost.add(cost, attrs)
        self.genai_tokens.record(response.input_tokens_total, {**genai, n.GEN_AI_TOKEN_TYPE: "input"})
        self.genai_tokens.record(response.output_tokens, {**genai, n.GEN_AI_TOKEN_TYPE: "output"})

    def record_agent(
        self, attrs: dict[str, Any], iterations: int, tool_calls: int, success: bool
    ) -> None:
        """One agent run: its own counters only (inner calls were recorded by themselves)."""
        self.reasoning_requests.add(1, attrs)
        self.reasoning_iterations.add(iterations, attrs)
        self.reasoning_tool_calls.add(tool_calls, attrs)
        self.reasoning_iterations_per_request.record(iterations, attrs)
        if success:
            self.reasoning_success.add(1, attrs)
