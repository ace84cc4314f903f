"""The one place that maps request paths to (provider, API, endpoint flavour).

Every form users point SDKs at is served:

========================================================  ===========  ==========
path                                                      flavour      provider
========================================================  ===========  ==========
``/v1/chat/completions``, ``/v1/responses``, ``/v1/models``  official     OpenAI
``/v1/messages``, ``/v1/messages/count_tokens``              official     Anthropic
``/openai/deployments/<d>/chat/completions?api-version=``    azure        OpenAI (deployment ``d``)
``/openai/v1/...``, ``/openai/responses?api-version=``       azure        OpenAI
any other prefix: ``/api/v1/chat/completions``,              compatible   OpenAI / Anthropic
``/chat/completions``, ``/v1beta/openai/responses``
========================================================  ===========  ==========

Model-name validation applies to the official flavour only: an Azure deployment or an
OpenAI-compatible server serves whatever names its owner configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["API_PATHS", "Route", "describe_routes", "route"]

#: path suffix -> (provider, api); longest suffix first
API_PATHS: tuple[tuple[str, str, str], ...] = (
    ("/messages/count_tokens", "anthropic", "count_tokens"),
    ("/chat/completions", "openai", "chat.completions"),
    ("/responses", "openai", "responses"),
    ("/messages", "anthropic", "messages"),
    ("/models", "", "models"),
)
_HEALTH = ("", "/health", "/healthz")


@dataclass(frozen=True)
class Route:
    """Where a request goes. ``api`` is chat.completions | responses | messages | count_tokens |
    models | health | unknown; ``flavor`` is official | azure | compatible."""

    provider: str
    api: str
    flavor: str = "official"
    deployment: str | None = None
    #: the id in ``GET <prefix>/models/<id>``
    model_id: str | None = None

    @property
    def validates_models(self) -> bool:
        return self.flavor == "official"


def _flavor(prefix: str) -> tuple[str, str | None]:
    if prefix == "/v1":
        return "official", None
    if prefix.startswith("/openai/deployments/"):
        deployment = prefix.removeprefix("/openai/deployments/")
        return "azure", deployment if deployment and "/" not in deployment else None
    if prefix in ("/openai", "/openai/v1"):
        return "azure", None
    return "compatible", None


def route(method: str, path: str, headers: dict[str, str]) -> Route:
    """The route of a request (pure: no I/O). Unknown paths get ``api="unknown"``."""
    return _route(method, path, "anthropic-version" in headers or "x-api-key" in headers)


@lru_cache(maxsize=1024)  # a server sees few distinct paths; routing is on the hot path
def _route(method: str, path: str, anthropic: bool) -> Route:
    path = path.rstrip("/")
    guess = "anthropic" if anthropic else "openai"
    if path in _HEALTH:
        return Route(guess, "health" if method == "GET" else "unknown")
    for suffix, provider, api in API_PATHS:
        if path.endswith(suffix):
            prefix = path[: -len(suffix)]
            flavor, deployment = _flavor(prefix)
            if (
                flavor == "azure"
                and prefix.startswith("/openai/deployments/")
                and deployment is None
            ):
                break
            return Route(provider or guess, api, flavor, deployment)
        if suffix == "/models" and "/models/" in path:
            prefix, _, model_id = path.rpartition("/models/")
            if model_id and "/" not in model_id:
                flavor, deployment = _flavor(prefix)
                return Route(guess, "models", flavor, deployment, model_id)
    return Route(guess, "unknown")


def describe_routes() -> str:
    """One line for error messages and the health page."""
    return (
        "POST /v1/chat/completions, POST /v1/responses (both also under /openai/v1, "
        "/openai/deployments/<deployment> and any OpenAI-compatible prefix such as /api/v1), "
        "POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models"
    )
