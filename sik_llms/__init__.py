"""sik_llms: a small LLM client for OpenAI and Anthropic with honest OpenTelemetry."""

from sik_llms.client import Client, RegisteredClients
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
]
