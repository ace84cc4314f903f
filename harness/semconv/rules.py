"""The versioned rules table: what the GenAI conventions require, written from the spec.

Names and enum members come from the ``opentelemetry-semantic-conventions`` package (its
``_incubating`` GenAI modules), so a typo here fails at import. What the package does not
carry (types, requirement levels per operation, span kinds, advisory buckets, message part
schemas, the names renamed after the package's last GenAI release) is written out below from:

- core ``semantic-conventions`` **v1.41.0** ``model/gen-ai/`` and ``docs/gen-ai/`` (the last core
  release that defines GenAI), and
- ``semantic-conventions-genai`` ``gen-ai-dev/1.42.0-dev`` at ``fe5608e`` plus the merged #440
  (``gen_ai.usage.cache_creation.input_tokens`` -> ``gen_ai.usage.cache_write.input_tokens``).

Where the two differ the newer registry wins (``gen_ai.request.top_k`` is an int). Open
proposals (#374 per-direction token metrics, #521 ``gen_ai.client.inference.*``) are not rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.semconv._incubating.attributes import error_attributes as _err
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as G
from opentelemetry.semconv._incubating.attributes import server_attributes as _srv
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as M

SPEC_VERSION = "semconv v1.41.0 + semantic-conventions-genai gen-ai-dev/1.42.0-dev (fe5608e, #440)"

# ----------------------------------------------------------------------------- attribute types
STRING, INT, DOUBLE, BOOL, STRING_ARRAY, ANY = (
    "string",
    "int",
    "double",
    "boolean",
    "string[]",
    "any",
)

CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"  # #440; no package constant yet
TOOL_DEFINITIONS = G.GEN_AI_TOOL_DEFINITIONS

ATTRIBUTE_TYPES: dict[str, str] = {
    G.GEN_AI_OPERATION_NAME: STRING,
    G.GEN_AI_PROVIDER_NAME: STRING,
    G.GEN_AI_REQUEST_MODEL: STRING,
    G.GEN_AI_CONVERSATION_ID: STRING,
    "gen_ai.conversation.compacted": BOOL,
    G.GEN_AI_OUTPUT_TYPE: STRING,
    G.GEN_AI_REQUEST_SEED: INT,
    G.GEN_AI_REQUEST_CHOICE_COUNT: INT,
    G.GEN_AI_REQUEST_STREAM: BOOL,
    G.GEN_AI_REQUEST_TOP_K: INT,
    G.GEN_AI_REQUEST_TEMPERATURE: DOUBLE,
    G.GEN_AI_REQUEST_TOP_P: DOUBLE,
    G.GEN_AI_REQUEST_FREQUENCY_PENALTY: DOUBLE,
    G.GEN_AI_REQUEST_PRESENCE_PENALTY: DOUBLE,
    G.GEN_AI_REQUEST_MAX_TOKENS: INT,
    G.GEN_AI_REQUEST_STOP_SEQUENCES: STRING_ARRAY,
    G.GEN_AI_REQUEST_ENCODING_FORMATS: STRING_ARRAY,
    "gen_ai.request.reasoning.level": STRING,
    "gen_ai.request.previous_response.id": STRING,
    G.GEN_AI_RESPONSE_ID: STRING,
    G.GEN_AI_RESPONSE_MODEL: STRING,
    G.GEN_AI_RESPONSE_FINISH_REASONS: STRING_ARRAY,
    G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: DOUBLE,
    G.GEN_AI_USAGE_INPUT_TOKENS: INT,
    G.GEN_AI_USAGE_OUTPUT_TOKENS: INT,
    G.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: INT,
    CACHE_WRITE: INT,
    G.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: INT,
    G.GEN_AI_INPUT_MESSAGES: ANY,
    G.GEN_AI_OUTPUT_MESSAGES: ANY,
    G.GEN_AI_SYSTEM_INSTRUCTIONS: ANY,
    TOOL_DEFINITIONS: ANY,
    G.GEN_AI_AGENT_ID: STRING,
    G.GEN_AI_AGENT_NAME: STRING,
    G.GEN_AI_AGENT_DESCRIPTION: STRING,
    G.GEN_AI_AGENT_VERSION: STRING,
    G.GEN_AI_DATA_SOURCE_ID: STRING,
    G.GEN_AI_TOOL_NAME: STRING,
    G.GEN_AI_TOOL_CALL_ID: STRING,
    G.GEN_AI_TOOL_DESCRIPTION: STRING,
    G.GEN_AI_TOOL_TYPE: STRING,
    G.GEN_AI_TOOL_CALL_ARGUMENTS: ANY,
    G.GEN_AI_TOOL_CALL_RESULT: ANY,
    G.GEN_AI_TOKEN_TYPE: STRING,
    G.GEN_AI_EMBEDDINGS_DIMENSION_COUNT: INT,
    G.GEN_AI_PROMPT_NAME: STRING,
    "gen_ai.prompt.version": STRING,
    G.GEN_AI_WORKFLOW_NAME: STRING,
    G.GEN_AI_RETRIEVAL_QUERY_TEXT: STRING,
    G.GEN_AI_RETRIEVAL_DOCUMENTS: ANY,
    G.GEN_AI_EVALUATION_NAME: STRING,
    G.GEN_AI_EVALUATION_SCORE_VALUE: DOUBLE,
    G.GEN_AI_EVALUATION_SCORE_LABEL: STRING,
    G.GEN_AI_EVALUATION_EXPLANATION: STRING,
    _err.ERROR_TYPE: STRING,
    _srv.SERVER_ADDRESS: STRING,
    _srv.SERVER_PORT: INT,
    "openai.request.service_tier": STRING,
    "openai.response.service_tier": STRING,
    "openai.response.system_fingerprint": STRING,
    "openai.api.type": STRING,
}
#: namespaces whose every attribute must be in ATTRIBUTE_TYPES (others are not ours to judge)
CHECKED_NAMESPACES = ("gen_ai.", "openai.")

#: deprecated name -> what replaced it (None: removed without a replacement)
DEPRECATED: dict[str, str | None] = {
    G.GEN_AI_SYSTEM: G.GEN_AI_PROVIDER_NAME,
    G.GEN_AI_USAGE_PROMPT_TOKENS: G.GEN_AI_USAGE_INPUT_TOKENS,
    G.GEN_AI_USAGE_COMPLETION_TOKENS: G.GEN_AI_USAGE_OUTPUT_TOKENS,
    G.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: CACHE_WRITE,
    G.GEN_AI_PROMPT: G.GEN_AI_INPUT_MESSAGES,
    G.GEN_AI_COMPLETION: G.GEN_AI_OUTPUT_MESSAGES,
    G.GEN_AI_OPENAI_REQUEST_SEED: G.GEN_AI_REQUEST_SEED,
    G.GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT: G.GEN_AI_OUTPUT_TYPE,
    G.GEN_AI_OPENAI_REQUEST_SERVICE_TIER: "openai.request.service_tier",
    G.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER: "openai.response.service_tier",
    G.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT: "openai.response.system_fingerprint",
}

# ----------------------------------------------------------------------------- enum values
FINISH_REASONS = frozenset({"stop", "length", "content_filter", "tool_call", "error"})
ENUMS: dict[str, frozenset[str]] = {
    G.GEN_AI_OPERATION_NAME: frozenset(v.value for v in G.GenAiOperationNameValues)
    | {"fetch_response", "plan"},
    G.GEN_AI_PROVIDER_NAME: frozenset(v.value for v in G.GenAiProviderNameValues) | {"moonshot_ai"},
    G.GEN_AI_OUTPUT_TYPE: frozenset(v.value for v in G.GenAiOutputTypeValues),
    G.GEN_AI_TOKEN_TYPE: frozenset(v.value for v in G.GenAiTokenTypeValues),
    G.GEN_AI_TOOL_TYPE: frozenset({"function", "extension", "datastore"}),
    G.GEN_AI_RESPONSE_FINISH_REASONS: FINISH_REASONS,
    "openai.api.type": frozenset({"chat_completions", "responses"}),
}

# ----------------------------------------------------------------------------- operations
INFERENCE_OPS = frozenset({"chat", "text_completion", "generate_content"})
CLIENT, INTERNAL = "CLIENT", "INTERNAL"


@dataclass(frozen=True)
class OperationRule:
    """What one ``gen_ai.operation.name`` requires of its span."""

    required: tuple[str, ...]
    kinds: tuple[str, ...]
    #: span name: ``{operation}`` followed by the value of this attribute when present
    name_from: str | None
    #: attributes that must not appear on this operation's spans (not defined for it)
    forbidden: tuple[str, ...] = ()
    #: attributes that may only appear when streaming (gen_ai.request.stream is true)
    streaming_only: tuple[str, ...] = ()


_INFERENCE = OperationRule(
    required=(G.GEN_AI_OPERATION_NAME, G.GEN_AI_PROVIDER_NAME),
    kinds=(CLIENT, INTERNAL),
    name_from=G.GEN_AI_REQUEST_MODEL,
    forbidden=(G.GEN_AI_TOOL_NAME, G.GEN_AI_TOOL_CALL_ID),
    streaming_only=(G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,),
)
OPERATIONS: dict[str, OperationRule] = {
    **dict.fromkeys(INFERENCE_OPS, _INFERENCE),
    "embeddings": OperationRule(
        required=(G.GEN_AI_OPERATION_NAME, G.GEN_AI_PROVIDER_NAME),
        kinds=(CLIENT,),
        name_from=G.GEN_AI_REQUEST_MODEL,
    ),
    "execute_tool": OperationRule(
        required=(G.GEN_AI_OPERATION_NAME, G.GEN_AI_TOOL_NAME),
        kinds=(INTERNAL,),
        name_from=G.GEN_AI_TOOL_NAME,
        forbidden=(
            G.GEN_AI_PROVIDER_NAME,
            G.GEN_AI_USAGE_INPUT_TOKENS,
            G.GEN_AI_USAGE_OUTPUT_TOKENS,
        ),
    ),
    "invoke_agent": OperationRule(
        required=(G.GEN_AI_OPERATION_NAME,),  # provider: Required on the CLIENT span only (below)
        kinds=(CLIENT, INTERNAL),
        name_from=G.GEN_AI_AGENT_NAME,
    ),
    "create_agent": OperationRule(
        required=(G.GEN_AI_OPERATION_NAME, G.GEN_AI_PROVIDER_NAME),
        kinds=(CLIENT,),
        name_from=G.GEN_AI_AGENT_NAME,
    ),
}
#: invoke_agent INTERNAL (in-process agent) must not carry these (#289, #242, #322)
AGENT_INTERNAL_FORBIDDEN = (
    G.GEN_AI_PROVIDER_NAME,
    G.GEN_AI_AGENT_ID,
    G.GEN_AI_AGENT_VERSION,
    _srv.SERVER_ADDRESS,
    _srv.SERVER_PORT,
)
USAGE_ATTRIBUTES = (
    G.GEN_AI_USAGE_INPUT_TOKENS,
    G.GEN_AI_USAGE_OUTPUT_TOKENS,
    G.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    CACHE_WRITE,
    G.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
)
#: Required only for this provider
PROVIDER_REQUIRED: dict[str, tuple[str, ...]] = {"openai": (G.GEN_AI_REQUEST_MODEL,)}

# ----------------------------------------------------------------------------- metrics
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
SERVER_TTFT_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1,
    2.5,
    5,
    7.5,
    10,
)
SERVER_TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5)


@dataclass(frozen=True)
class MetricRule:
    """One GenAI metric instrument: its kind, unit, advisory buckets and attribute rules."""

    kind: str
    unit: str
    buckets: tuple[float, ...]
    required: tuple[str, ...]
    forbidden: tuple[str, ...] = ()


_OP, _PROV, _TT = G.GEN_AI_OPERATION_NAME, G.GEN_AI_PROVIDER_NAME, G.GEN_AI_TOKEN_TYPE
METRICS: dict[str, MetricRule] = {
    M.GEN_AI_CLIENT_TOKEN_USAGE: MetricRule(
        "histogram", "{token}", TOKEN_BUCKETS, (_OP, _PROV, _TT), forbidden=(_err.ERROR_TYPE,)
    ),
    M.GEN_AI_CLIENT_OPERATION_DURATION: MetricRule("histogram", "s", DURATION_BUCKETS, (_OP,)),
    M.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: MetricRule(
        "histogram", "s", DURATION_BUCKETS, (_OP,)
    ),
    M.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK: MetricRule(
        "histogram", "s", DURATION_BUCKETS, (_OP,)
    ),
    M.GEN_AI_SERVER_REQUEST_DURATION: MetricRule("histogram", "s", DURATION_BUCKETS, (_OP, _PROV)),
    M.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN: MetricRule(
        "histogram", "s", SERVER_TTFT_BUCKETS, (_OP, _PROV)
    ),
    M.GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN: MetricRule(
        "histogram", "s", SERVER_TPOT_BUCKETS, (_OP, _PROV)
    ),
    # newer registry histograms (buckets not fixed by the spec: only kind and unit are checked)
    "gen_ai.invoke_agent.duration": MetricRule("histogram", "s", (), (_OP,)),
    "gen_ai.execute_tool.duration": MetricRule("histogram", "s", (), (_OP,)),
    "gen_ai.workflow.duration": MetricRule("histogram", "s", (), ()),
}
#: streaming-only metrics: a point here means the call streamed
STREAMING_METRICS = (
    M.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    M.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
)

# ----------------------------------------------------------------------------- events
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"
EVENT_EXCEPTION = "gen_ai.client.operation.exception"
#: events removed in v1.37 (content moved to the opt-in attributes / the details event)
DEPRECATED_EVENTS = frozenset(
    {
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.choice",
        "gen_ai.content.prompt",
        "gen_ai.content.completion",
    }
)
EVENT_REQUIRED: dict[str, tuple[str, ...]] = {
    EVENT_INFERENCE_DETAILS: (G.GEN_AI_OPERATION_NAME,),
    EVENT_EXCEPTION: (),
}
#: severity number of gen_ai.client.operation.exception (WARN)
EXCEPTION_SEVERITY = 13

# ----------------------------------------------------------------------------- message parts
ROLES = frozenset({"system", "user", "assistant", "tool"})
#: part type -> (required fields, field -> expected python type name)
PART_SCHEMAS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "text": (("content",), {"content": "str"}),
    "reasoning": (("content",), {"content": "str"}),
    "tool_call": (("name",), {"name": "str", "id": "str?"}),
    "tool_call_response": (("response",), {"id": "str?"}),
    "server_tool_call": (("name", "server_tool_call"), {"name": "str", "id": "str?"}),
    "server_tool_call_response": (("server_tool_call_response",), {"id": "str?"}),
    "blob": (("modality", "content"), {"modality": "str", "mime_type": "str?", "content": "str"}),
    "file": (("modality", "file_id"), {"modality": "str", "mime_type": "str?", "file_id": "str"}),
    "uri": (("modality", "uri"), {"modality": "str", "mime_type": "str?", "uri": "str"}),
    "compaction": ((), {"id": "str?", "content": "str?"}),
}
MESSAGE_ATTRIBUTES = (
    G.GEN_AI_INPUT_MESSAGES,
    G.GEN_AI_OUTPUT_MESSAGES,
    G.GEN_AI_SYSTEM_INSTRUCTIONS,
)
