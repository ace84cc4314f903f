"""sik_llms: a small LLM client for OpenAI and Anthropic with honest OpenTelemetry."""

__version__ = "0.5.0"

from sik_llms.agent import ReasoningAgent
from sik_llms.client import Client, RegisteredClients
from sik_llms.telemetry import create_span_link
from sik_llms.types import (
    AgentEvent,
    ErrorEvent,
    InfoEvent,
    ReasoningEffort,
    StructuredOutputResponse,
    TextChunkEvent,
    TextResponse,
    ThinkingChunkEvent,
    ThinkingEvent,
    TokenSummary,
    ToolPrediction,
    ToolPredictionEvent,
    ToolPredictionResponse,
    ToolResultEvent,
    TraceContext,
)

__all__ = [
    "AgentEvent",
    "Client",
    "ErrorEvent",
    "InfoEvent",
    "ReasoningAgent",
    "ReasoningEffort",
    "RegisteredClients",
    "StructuredOutputResponse",
    "TextChunkEvent",
    "TextResponse",
    "ThinkingChunkEvent",
    "ThinkingEvent",
    "TokenSummary",
    "ToolPrediction",
    "ToolPredictionEvent",
    "ToolPredictionResponse",
    "ToolResultEvent",
    "TraceContext",
    "__version__",
    "create_span_link",
]
