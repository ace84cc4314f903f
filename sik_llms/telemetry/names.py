"""Every span name, attribute key and metric name sik_llms emits, spelled once.

Two vocabularies travel together: the seed guide's ``llm.*`` names (what users of the original
sik-llms query) and the OpenTelemetry GenAI conventions' ``gen_ai.*`` names (what backends
understand). Nothing else in the code base spells these strings.
"""

from __future__ import annotations

INSTRUMENTATION_NAME = "sik_llms"

# ----------------------------------------------------------------------------- span names
SPAN_REQUEST = "llm.request"
SPAN_HTTP = "http.request"
SPAN_AGENT = "llm.reasoning_agent.stream"
SPAN_FINAL_ANSWER = "reasoning.final_answer"


def span_inference(provider: str, mode: str) -> str:
    """Seed name of the inference span: ``llm.<provider>.<mode>``."""
    return f"llm.{provider}.{mode}"


def span_thinking_iteration(iteration: int) -> str:
    return f"reasoning.thinking.iteration_{iteration}"


def span_tool(tool_name: str) -> str:
    return f"reasoning.tool.{tool_name}"


# GenAI-convention names, used when OTEL_SEMCONV_STABILITY_OPT_IN has gen_ai_latest_experimental
def semconv_span_inference(operation: str, model: str | None) -> str:
    return f"{operation} {model}" if model else operation


def semconv_span_agent(agent_name: str) -> str:
    return f"{OP_INVOKE_AGENT} {agent_name}"


def semconv_span_tool(tool_name: str) -> str:
    return f"{OP_EXECUTE_TOOL} {tool_name}"


SEMCONV_OPT_IN_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN"
SEMCONV_OPT_IN_VALUE = "gen_ai_latest_experimental"
CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

# ----------------------------------------------------------------------------- seed attributes
LLM_MODEL = "llm.model"
LLM_PROVIDER = "llm.provider"
LLM_OPERATION = "llm.operation"
LLM_MESSAGES_COUNT = "llm.messages.count"
LLM_STREAMING = "llm.streaming"
LLM_API_VENDOR = "llm.api.vendor"
LLM_REQUEST_TEMPERATURE = "llm.request.temperature"
LLM_REQUEST_MAX_TOKENS = "llm.request.max_tokens"
LLM_TOKENS_INPUT = "llm.tokens.input"
LLM_TOKENS_OUTPUT = "llm.tokens.output"
LLM_TOKENS_TOTAL = "llm.tokens.total"
LLM_TOKENS_CACHE_READ = "llm.tokens.cache_read"
LLM_TOKENS_CACHE_WRITE = "llm.tokens.cache_write"
LLM_TOKENS_REASONING = "llm.tokens.reasoning"
LLM_COST_TOTAL = "llm.cost.total"
LLM_DURATION_SECONDS = "llm.duration_seconds"
LLM_TIME_TO_FIRST_CHUNK = "llm.time_to_first_chunk_seconds"
LLM_RESPONSE_FINISH_REASON = "llm.response.finish_reason"
LLM_TOOLS_COUNT = "llm.tools.count"
LLM_TOOL_CALLS = "llm.tool_calls.count"
# Tools the provider ran itself during the call (OpenAI web_search_call, Anthropic server_tool_use)
LLM_SERVER_TOOL_CALLS = "llm.server_tool_calls.count"
LLM_SERVER_TOOL_NAMES = "llm.server_tool_calls.names"
LLM_CANCELLED = "llm.cancelled"
LLM_ERROR = "llm.request.error"

# agent (seed)
LLM_REASONING_EFFORT = "llm.reasoning.effort"
LLM_REASONING_ITERATIONS_TOTAL = "llm.reasoning.iterations.total"
LLM_REASONING_TOOL_CALLS_TOTAL = "llm.reasoning.tool_calls.total"
REASONING_ITERATION = "reasoning.iteration"
REASONING_THINKING_CONTENT_LENGTH = "reasoning.thinking.content_length"
REASONING_NEXT_ACTION = "reasoning.next_action"
LLM_REASONING_MAX_ITERATIONS = "llm.reasoning.max_iterations"
LLM_REASONING_SUCCESS = "llm.reasoning.success"
# The run's totals over its calls. Not llm.tokens.* / llm.cost.total: those live on llm.request
# only, so the guide's SUM(llm.cost.total) queries never count an agent run's calls twice.
LLM_REASONING_TOKENS_INPUT = "llm.reasoning.tokens.input"
LLM_REASONING_TOKENS_OUTPUT = "llm.reasoning.tokens.output"
LLM_REASONING_TOKENS_TOTAL = "llm.reasoning.tokens.total"
LLM_REASONING_TOKENS_CACHE_READ = "llm.reasoning.tokens.cache_read"
LLM_REASONING_TOKENS_CACHE_WRITE = "llm.reasoning.tokens.cache_write"
LLM_REASONING_COST_TOTAL = "llm.reasoning.cost.total"
REASONING_THINKING_CONTENT = "reasoning.thinking.content"  # only when content capture opts in
REASONING_PARSE_ATTEMPTS = "reasoning.parse_attempts"
TOOL_NAME = "tool.name"
TOOL_ARGUMENTS_COUNT = "tool.arguments_count"

# ----------------------------------------------------------------------------- GenAI attributes
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
OPENAI_API_TYPE = "openai.api.type"
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"

OP_CHAT = "chat"
OP_INVOKE_AGENT = "invoke_agent"
OP_EXECUTE_TOOL = "execute_tool"

# general conventions
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
HTTP_RESEND_COUNT = "http.request.resend_count"
URL_FULL = "url.full"
EXCEPTION_MESSAGE = "exception.message"  # on the "exception" span event
EXCEPTION_STACKTRACE = "exception.stacktrace"

# ----------------------------------------------------------------------------- metrics
# Prometheus exposes each as written in the comment (dots become underscores, counters get
# ``_total``, a unit of ``s`` becomes ``_seconds``); tests/test_prometheus_names.py proves it.
METRIC_TOKENS_INPUT = "llm.tokens.input"  # llm_tokens_input_total
METRIC_TOKENS_OUTPUT = "llm.tokens.output"  # llm_tokens_output_total
METRIC_CACHE_READ_TOKENS = "llm.cache_read_tokens"  # llm_cache_read_tokens_total
METRIC_CACHE_WRITE_TOKENS = "llm.cache_write_tokens"  # llm_cache_write_tokens_total
METRIC_COST = "llm.cost"  # llm_cost_usd_total (unit "usd")
METRIC_REQUESTS = "llm.requests"  # llm_requests_total
METRIC_REQUESTS_FAILED = "llm.requests.failed"  # llm_requests_failed_total
METRIC_REQUEST_DURATION = "llm.request.duration"  # llm_request_duration_seconds
METRIC_REASONING_ITERATIONS = "llm.reasoning.iterations"  # llm_reasoning_iterations_total
METRIC_REASONING_TOOL_CALLS = "llm.reasoning.tool_calls"  # llm_reasoning_tool_calls_total
METRIC_REASONING_REQUESTS = "llm.reasoning.requests"  # llm_reasoning_requests_total
METRIC_REASONING_SUCCESS = "llm.reasoning.success"  # llm_reasoning_success_total
# one point per agent run: lets ReasoningTooManyIterations alert on a single run
METRIC_REASONING_ITERATIONS_PER_REQUEST = "llm.reasoning.iterations_per_request"
METRIC_GEN_AI_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_GEN_AI_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_GEN_AI_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_GEN_AI_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"

# metric labels (Prometheus: llm_model, llm_provider, reasoning_effort)
LABEL_MODEL = LLM_MODEL
LABEL_PROVIDER = LLM_PROVIDER
LABEL_REASONING_EFFORT = "reasoning.effort"

DURATION_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)
ITERATION_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50)
