"""sik_llms: a small LLM client for OpenAI and Anthropic with honest OpenTelemetry."""

__version__ = "0.5.0"

from sik_llms.agent import ReasoningAgent
from sik_llms.client import Client, RegisteredClients
from sik_llms.errors import (
    AuthenticationError,
    BadRequestError,
    LLMError,
    MalformedStreamError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    ServerError,
    StructuredOutputError,
    error_type_name,
)
from sik_llms.messages import (
    ImageContent,
    ImageSourceType,
    assistant_message,
    system_message,
    user_message,
)
from sik_llms.models import SUPPORTED_MODELS, ModelInfo, ModelProvider, get_model_info
from sik_llms.providers import Anthropic, AnthropicTools, OpenAI, OpenAITools, create_client
from sik_llms.telemetry import create_span_link
from sik_llms.tools import Parameter, Tool, ToolChoice
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
    "SUPPORTED_MODELS",
    "AgentEvent",
    "Anthropic",
    "AnthropicTools",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ErrorEvent",
    "ImageContent",
    "ImageSourceType",
    "InfoEvent",
    "LLMError",
    "MalformedStreamError",
    "ModelInfo",
    "ModelProvider",
    "NotFoundError",
    "OpenAI",
    "OpenAITools",
    "OverloadedError",
    "Parameter",
    "RateLimitError",
    "ReasoningAgent",
    "ReasoningEffort",
    "RegisteredClients",
    "ServerError",
    "StructuredOutputError",
    "StructuredOutputResponse",
    "TextChunkEvent",
    "TextResponse",
    "ThinkingChunkEvent",
    "ThinkingEvent",
    "TokenSummary",
    "Tool",
    "ToolChoice",
    "ToolPrediction",
    "ToolPredictionEvent",
    "ToolPredictionResponse",
    "ToolResultEvent",
    "TraceContext",
    "__version__",
    "assistant_message",
    "create_client",
    "create_span_link",
    "error_type_name",
    "get_model_info",
    "system_message",
    "user_message",
]
