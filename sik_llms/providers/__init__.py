"""Provider clients and ``create_client``, which picks one by model name.

Importing this package registers the OpenAI and Anthropic client classes with ``Client``.
"""

from __future__ import annotations

from typing import Any

from sik_llms.client import Client, RegisteredClients
from sik_llms.models import ModelProvider, get_model_info, unknown_model_message
from sik_llms.providers.anthropic import Anthropic, AnthropicTools
from sik_llms.providers.openai import OpenAI, OpenAITools

__all__ = [
    "Anthropic",
    "AnthropicTools",
    "OpenAI",
    "OpenAITools",
    "create_client",
    "resolve_client_type",
]

_CHAT = {
    ModelProvider.OPENAI: RegisteredClients.OPENAI,
    ModelProvider.ANTHROPIC: RegisteredClients.ANTHROPIC,
}
_TOOLS = {
    ModelProvider.OPENAI: RegisteredClients.OPENAI_TOOLS,
    ModelProvider.ANTHROPIC: RegisteredClients.ANTHROPIC_TOOLS,
}


def resolve_client_type(model_name: str, **kwargs: Any) -> RegisteredClients:
    """Which registered client serves ``model_name`` with these options (raises for unknown models)."""
    provider = kwargs.get("provider")
    if provider is not None:
        try:
            chosen = ModelProvider(str(provider).lower())
        except ValueError:
            raise ValueError(
                f"provider must be 'openai' or 'anthropic', got {provider!r}"
            ) from None
    elif kwargs.get("azure_endpoint") or kwargs.get("azure_deployment"):
        chosen = ModelProvider.OPENAI  # Azure OpenAI: deployment names are the user's own
    elif (info := get_model_info(model_name)) is not None:
        chosen = (
            info.provider
        )  # a known model keeps its provider, base_url or not (a proxy, a simulator)
    elif kwargs.get("base_url") or kwargs.get("server_url"):
        chosen = ModelProvider.OPENAI  # OpenAI-compatible servers take any model name
    else:
        raise ValueError(unknown_model_message(model_name))
    return (_TOOLS if kwargs.get("tools") else _CHAT)[chosen]


def create_client(
    model_name: str, client_type: str | RegisteredClients | None = None, **kwargs: Any
) -> Client:
    """A client for ``model_name``: the provider comes from ``provider=``, else Azure options
    (``azure_endpoint`` / ``azure_deployment``: OpenAI's ``AzureOpenAI``), else the registry (a
    ``claude-*`` model with ``base_url=`` is Anthropic behind that URL), else ``base_url=`` (an
    OpenAI-compatible server). ``tools=[...]`` selects the tools client and
    ``response_format=Model`` the structured mode."""
    if client_type is None:
        client_type = resolve_client_type(model_name, **kwargs)
    elif client_type in (
        RegisteredClients.OPENAI,
        RegisteredClients.ANTHROPIC,
        "OpenAI",
        "Anthropic",
    ) and kwargs.get("tools"):
        client_type = RegisteredClients(f"{RegisteredClients(client_type).value}Tools")
    if "provider" in kwargs and kwargs["provider"] is not None:
        kwargs["provider"] = str(kwargs["provider"]).lower()
    return Client.instantiate(client_type, model_name, **kwargs)
