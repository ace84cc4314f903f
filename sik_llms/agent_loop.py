"""The ReasoningAgent's loop, as a generator of steps: no I/O, no context attached.

``AgentRun.steps`` yields events for the consumer and effects for a driver to perform
(``Infer``: one inner client call; ``RunTool``: one tool execution); the driver sends each
effect's result back (or throws its exception in). Both of the agent's faces (blocking and
asyncio, in ``sik_llms.agent``) drive this one loop, so every decision is made once.

The loop owns the agent's spans: it starts them (with the attributes samplers need), names
the span each effect must run under, and ends them in ``finally`` however the run ends. It
never makes a span current itself; drivers do that only while they perform an effect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from sik_llms import clock as _clock
from sik_llms import telemetry
from sik_llms.agent_spans import AgentSpan, owned_span, start_agent_span
from sik_llms.telemetry import names as n
from sik_llms.types import (
    ErrorEvent,
    StructuredOutputResponse,
    TextResponse,
    ThinkingEvent,
    TokenSummary,
    ToolPredictionEvent,
    ToolPredictionResponse,
    ToolResultEvent,
)

if TYPE_CHECKING:  # pragma: no cover
    from sik_llms.agent import ReasoningAgent
    from sik_llms.client import Client

logger = logging.getLogger("sik_llms")

DEFAULT_AGENT_NAME = "ReasoningAgent"

REASONING_PROMPT = """\
You are a careful assistant that reasons step by step before answering.

At each step, write your next thought, then choose exactly one next action:
- "continue_thinking": you need another reasoning step before you can act or answer;
- "use_tool": one of the tools below would give you information you need. Set tool_name to
  the tool's name only; its arguments are chosen in a separate step;
- "finished": you have what you need to answer. If the user must supply missing information,
  finish and say in your thought what is missing.

Available tools:
{tools}
"""

NO_TOOLS = "(none: never choose use_tool)"

TOOL_ARGUMENTS_PROMPT = """\
You are carrying out one step of a reasoning process by calling the tool `{tool}`.
Choose its arguments from the question and the reasoning so far."""

FINAL_ANSWER_PROMPT = """\
Review the reasoning below, then answer the user's question directly and completely.
Explain your reasoning when that helps the user."""


class ReasoningAction(StrEnum):
    """What the agent does after a thought."""

    CONTINUE_THINKING = "continue_thinking"
    USE_TOOL = "use_tool"
    FINISHED = "finished"


class ReasoningStep(BaseModel):
    """One structured reasoning step, as the model returns it."""

    thought: str = Field(description="Your reasoning in this step.")
    next_action: ReasoningAction = Field(description="What to do next.")
    tool_name: str | None = Field(
        default=None, description="The tool's name when next_action is use_tool, otherwise null."
    )


class ReasoningStepError(Exception):
    """The model's reasoning step could not be parsed, even after retries."""

    error_type = "reasoning_step_unparseable"


class ToolArgumentsError(Exception):
    """The tools call returned no call for the tool the agent chose."""

    error_type = "tool_arguments_missing"


# --------------------------------------------------------------------------- effects


@dataclass(slots=True)
class Infer:
    """Effect: one inner client call made with ``span`` current; its response is sent back.

    With ``stream``, the call's events are forwarded to the consumer as they arrive."""

    client: Client
    messages: list[dict[str, Any]]
    span: AgentSpan
    stream: bool = False


@dataclass(slots=True)
class RunTool:
    """Effect: run a tool's function with ``span`` current; its return value is sent back."""

    func: Callable[..., Any]
    arguments: dict[str, Any]
    span: AgentSpan


# --------------------------------------------------------------------------- one run


_Steps = Generator[Any, Any, Any]


class AgentRun:
    """The state of one agent run and the loop over its steps (no I/O, no context attached)."""

    def __init__(self, agent: ReasoningAgent, messages: list[dict[str, Any]]) -> None:
        if not messages:
            raise ValueError("the agent needs at least one message (the question)")
        self.agent = agent
        self.question = _text_of(messages[-1].get("content"))
        self.context = messages[:-1]
        self.history: list[str] = []
        self.last_thought = ""
        self.iterations = 0
        self.tool_calls = 0
        self.success = False
        self.totals = TextResponse(model=agent.model)
        self.root = AgentSpan(None)
        self._start = 0.0

    # -------------------------------------------------------------- the loop

    def steps(self) -> _Steps:
        """Events and effects of the whole run; the final TextResponse comes after every span ended."""
        agent = self.agent
        self._start = _clock.perf_counter()
        name = n.semconv_span_agent(agent.name) if telemetry.semconv_names() else n.SPAN_AGENT
        self.root = start_agent_span(
            name,
            {
                n.GEN_AI_OPERATION_NAME: n.OP_INVOKE_AGENT,
                n.GEN_AI_AGENT_NAME: agent.name,
                n.GEN_AI_REQUEST_MODEL: agent.model,
                n.LLM_MODEL: agent.model,
                n.LLM_PROVIDER: agent.agent_provider,
                n.LLM_REASONING_EFFORT: agent.reasoning_effort,
                n.LLM_REASONING_MAX_ITERATIONS: agent.max_iterations,
            },
        )
        try:
            with owned_span(self.root):
                try:
                    answer = yield from self._run()
                finally:
                    self._summarise()
        finally:
            try:
                telemetry.add_agent_metrics(
                    agent.metric_attributes(), self.iterations, self.tool_calls, self.success
                )
            except Exception:  # metrics must never break the run
                logger.debug("recording the agent's metrics failed", exc_info=True)
        yield answer

    def _run(self) -> _Steps:
        agent = self.agent
        yield ThinkingEvent(iteration=0, content="")
        finished = False
        for iteration in range(1, agent.max_iterations + 1):
            self.iterations = iteration
            step = yield from self._reason(iteration)
            if step is None:
                message = (
                    f"The reasoning step could not be parsed after {agent.max_parse_retries + 1} "
                    "attempts; stopping without an answer."
                )
                yield ErrorEvent(content=message, metadata={"iteration": iteration})
                self.root.fail(ReasoningStepError(message))
                return self._response("", finish_reason="error")
            yield ThinkingEvent(iteration=iteration, content=step.thought)
            self.history.append(f"Thought {iteration}: {step.thought}")
            self.last_thought = step.thought
            if step.next_action == ReasoningAction.FINISHED:
                finished = True
                break
            if step.next_action == ReasoningAction.USE_TOOL:
                yield from self._use_tool(iteration, step.tool_name)
        if not finished:
            message = (
                f"Maximum iterations ({agent.max_iterations}) reached without finishing; "
                "answering with the reasoning so far."
            )
            yield ErrorEvent(content=message, metadata={"iteration": self.iterations})
        if not agent.generate_final_response:
            self.success = finished
            return self._response(self.last_thought, finish_reason="stop")
        text = yield from self._final_answer()
        self.success = finished
        return self._response(text.response, finish_reason=text.finish_reason)

    def _reason(self, iteration: int) -> _Steps:
        """One reasoning step (retrying unparseable output); None when it never parsed."""
        agent = self.agent
        span = self._child(
            n.span_thinking_iteration(iteration),
            {n.REASONING_ITERATION: iteration, n.LLM_MODEL: agent.model},
        )
        with owned_span(span):
            messages = [
                {"role": "system", "content": REASONING_PROMPT.format(tools=self._tool_list())},
                {"role": "user", "content": self._render()},
            ]
            attempts = agent.max_parse_retries + 1
            for attempt in range(1, attempts + 1):
                try:
                    response = yield Infer(agent.reasoning_client, messages, span)
                except _parse_errors() as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    self._add(response)
                    step, problem = _parse_step(response)
                    if step is not None:
                        span.set_attributes(
                            {
                                n.REASONING_THINKING_CONTENT_LENGTH: len(step.thought),
                                n.REASONING_NEXT_ACTION: str(step.next_action),
                                n.REASONING_PARSE_ATTEMPTS: attempt,
                                n.TOOL_NAME: step.tool_name
                                if step.next_action == ReasoningAction.USE_TOOL
                                else None,
                            }
                        )
                        if _captures_content():
                            span.set(n.REASONING_THINKING_CONTENT, step.thought)
                        return step
                yield ErrorEvent(
                    content=f"Could not parse reasoning step (attempt {attempt} of {attempts}): {problem}",
                    metadata={"iteration": iteration, "attempt": attempt},
                )
            span.set(n.REASONING_PARSE_ATTEMPTS, attempts)
            span.fail(ReasoningStepError(problem))
            return None

    def _use_tool(self, iteration: int, tool_name: str | None) -> _Steps:
        """Predict the chosen tool's arguments, run it, and put the outcome in the history."""
        agent = self.agent
        tool = agent.tools.get(tool_name or "")
        if tool is None:
            if not agent.tools:
                problem = "chose use_tool, but no tools are available"
            elif not tool_name:
                problem = "chose use_tool without naming a tool"
            else:
                problem = f"chose unknown tool {tool_name!r}"
            known = ", ".join(agent.tools) or "none"
            message = f"Iteration {iteration} {problem} (available tools: {known})."
            self.history.append(f"Error: {message}")
            yield ErrorEvent(
                content=message, metadata={"iteration": iteration, "tool_name": tool_name}
            )
            return
        name = tool.name
        span_name = n.semconv_span_tool(name) if telemetry.semconv_names() else n.span_tool(name)
        span = self._child(
            span_name,
            {
                n.GEN_AI_OPERATION_NAME: n.OP_EXECUTE_TOOL,
                n.GEN_AI_TOOL_NAME: name,
                n.GEN_AI_TOOL_TYPE: "function",
                n.GEN_AI_AGENT_NAME: agent.name,
                n.TOOL_NAME: name,
                n.REASONING_ITERATION: iteration,
            },
        )
        with owned_span(span):
            messages = [
                {"role": "system", "content": TOOL_ARGUMENTS_PROMPT.format(tool=name)},
                {
                    "role": "user",
                    "content": self._render(note=f"Now call `{name}` for the latest thought."),
                },
            ]
            try:
                response = yield Infer(agent.tool_client(tool), messages, span)
            except Exception as exc:
                span.fail(exc)
                yield self._tool_error(
                    iteration, name, None, f"predicting its arguments failed: {_describe(exc)}"
                )
                return
            self._add(response)
            prediction = (
                response.tool_prediction if isinstance(response, ToolPredictionResponse) else None
            )
            if prediction is None:
                span.fail(ToolArgumentsError(f"no call predicted for {name}"))
                yield self._tool_error(iteration, name, None, "the model predicted no call for it")
                return
            if prediction.name != name:
                yield ErrorEvent(
                    content=f"Asked for tool {name!r} but the model called {prediction.name!r}; running {name!r}.",
                    metadata={"iteration": iteration, "tool_name": name},
                )
            arguments = dict(prediction.arguments or {})
            span.set(n.TOOL_ARGUMENTS_COUNT, len(arguments))
            span.set(n.GEN_AI_TOOL_CALL_ID, prediction.call_id)
            yield ToolPredictionEvent(iteration=iteration, name=name, arguments=arguments)
            self.tool_calls += 1
            try:
                result = yield RunTool(tool.func, arguments, span)
            except Exception as exc:
                span.fail(exc)
                yield self._tool_error(iteration, name, arguments, f"it raised {_describe(exc)}")
                return
            self.history.append(f"Tool {name}({_json(arguments)}) returned: {_result_text(result)}")
            yield ToolResultEvent(
                iteration=iteration, name=name, arguments=arguments, result=result
            )

    def _final_answer(self) -> _Steps:
        agent = self.agent
        span = self._child(n.SPAN_FINAL_ANSWER, {n.LLM_MODEL: agent.model})
        with owned_span(span):
            messages = [
                {"role": "system", "content": FINAL_ANSWER_PROMPT},
                {"role": "user", "content": self._render()},
            ]
            response = yield Infer(agent.final_client, messages, span, stream=True)
            self._add(response)
            if not isinstance(response, TextResponse):
                raise TypeError(f"the final answer came back as {type(response).__name__}")
            return response

    # -------------------------------------------------------------- bookkeeping

    def _child(self, name: str, attributes: dict[str, Any]) -> AgentSpan:
        with self.root.active():
            return start_agent_span(name, attributes)

    def _add(self, response: TokenSummary) -> None:
        t = self.totals
        t.input_tokens = _add_count(t.input_tokens, response.input_tokens)
        t.output_tokens = _add_count(t.output_tokens, response.output_tokens)
        t.cache_read_tokens = _add_count(t.cache_read_tokens, response.cache_read_tokens)
        t.cache_write_tokens = _add_count(t.cache_write_tokens, response.cache_write_tokens)
        t.reasoning_tokens = _add_count(t.reasoning_tokens, response.reasoning_tokens)
        t.input_cost = _add_cost(t.input_cost, response.input_cost)
        t.output_cost = _add_cost(t.output_cost, response.output_cost)
        t.cache_read_cost = _add_cost(t.cache_read_cost, response.cache_read_cost)
        t.cache_write_cost = _add_cost(t.cache_write_cost, response.cache_write_cost)

    def _summarise(self) -> None:
        """Totals onto the root span; runs before the root span ends, however the run ends."""
        t = self.totals
        t.duration_seconds = _clock.perf_counter() - self._start
        self.root.set_attributes(
            {
                n.LLM_REASONING_ITERATIONS_TOTAL: self.iterations,
                n.LLM_REASONING_TOOL_CALLS_TOTAL: self.tool_calls,
                n.LLM_REASONING_SUCCESS: self.success,
                n.LLM_REASONING_TOKENS_INPUT: t.input_tokens,
                n.LLM_REASONING_TOKENS_OUTPUT: t.output_tokens,
                n.LLM_REASONING_TOKENS_TOTAL: t.total_tokens,
                n.LLM_REASONING_TOKENS_CACHE_READ: t.cache_read_tokens,
                n.LLM_REASONING_TOKENS_CACHE_WRITE: t.cache_write_tokens,
                n.LLM_REASONING_COST_TOTAL: t.total_cost,
                n.LLM_DURATION_SECONDS: t.duration_seconds,
                # no gen_ai.usage.*: the run's calls carry theirs, and summing usage over a
                # trace (what GenAI backends do) would count every agent token twice
            }
        )

    def _response(self, text: str, finish_reason: str | None) -> TextResponse:
        response = self.totals.model_copy()
        response.response = text
        response.finish_reason = finish_reason
        response.trace_context = self.root.trace_context()
        response.duration_seconds = _clock.perf_counter() - self._start
        return response

    def _tool_error(
        self, iteration: int, name: str, arguments: dict[str, Any] | None, problem: str
    ) -> ErrorEvent:
        message = f"Tool {name!r} failed: {problem}"
        self.history.append(f"Error: {message}")
        return ErrorEvent(
            content=message,
            metadata={"iteration": iteration, "tool_name": name, "arguments": arguments},
        )

    def _tool_list(self) -> str:
        if not self.agent.tools:
            return NO_TOOLS
        return "\n".join(
            f"- {tool.name}: {tool.description or 'no description'}"
            for tool in self.agent.tools.values()
        )

    def _render(self, note: str | None = None) -> str:
        """The user turn every inner call sees: context, question, reasoning so far (a copy)."""
        parts = []
        if self.context:
            parts.append("Earlier conversation (JSON):\n" + _json(self.context))
        parts.append("Question:\n" + self.question)
        if self.history:
            parts.append("Reasoning so far:\n" + "\n".join(self.history))
        if note:
            parts.append(note)
        return "\n\n".join(parts)


def _parse_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the model's step was not valid" (retried), not "the call failed"."""
    from sik_llms.errors import StructuredOutputError

    return (StructuredOutputError, ValidationError, json.JSONDecodeError)


def _parse_step(response: Any) -> tuple[ReasoningStep | None, str]:
    """The step in a structured response, or None and what was wrong with it."""
    if not isinstance(response, StructuredOutputResponse):
        return None, f"expected a structured response, got {type(response).__name__}"
    if response.parsed is None:
        return None, f"no parsed step (refusal: {response.refusal!r})"
    parsed = response.parsed
    if isinstance(parsed, ReasoningStep):
        return parsed, ""
    try:
        raw = parsed.model_dump() if isinstance(parsed, BaseModel) else parsed
        return ReasoningStep.model_validate(raw), ""
    except ValidationError as exc:
        return None, f"invalid step: {exc.error_count()} validation error(s)"


def _captures_content() -> bool:
    """Whether content may go on spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)."""
    from sik_llms.telemetry import config

    return config.capture_mode() in ("SPAN_ONLY", "SPAN_AND_EVENT")


def _add_count(total: int | None, count: int | None) -> int | None:
    """Token totals over inner calls: unreported counts add nothing (None + None stays None)."""
    if count is None:
        return total
    return (total or 0) + count


def _add_cost(total: float | None, cost: float | None) -> float | None:
    if cost is None:
        return total
    return (total or 0.0) + cost


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _result_text(result: Any) -> str:
    return result if isinstance(result, str) else _json(result)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)
