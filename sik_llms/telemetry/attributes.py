"""What a client's calls record that does not change from call to call, built once per client.

``CallRecorder`` starts its spans from these prepared dictionaries (no None in them, nothing
to clean twice) and labels its metrics with them; they are rebuilt when the client's model,
provider, mode or request attributes change, or the span-name convention or profile does.
Clients made alike (a client per request or per test) share one ``ClientAttributes``, found
by what it is built from and the secrets registry's generation (its values are redacted).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from weakref import WeakKeyDictionary

from sik_llms.redact import redact_value, secrets_generation
from sik_llms.telemetry import names as n

__all__ = ["ClientAttributes", "client_attributes"]

_REQUEST_ATTRS = {
    # request_attributes() key -> (seed attribute or None, GenAI attribute or None)
    "temperature": (n.LLM_REQUEST_TEMPERATURE, n.GEN_AI_REQUEST_TEMPERATURE),
    "max_tokens": (n.LLM_REQUEST_MAX_TOKENS, n.GEN_AI_REQUEST_MAX_TOKENS),
    "top_p": (None, n.GEN_AI_REQUEST_TOP_P),
    "top_k": (None, n.GEN_AI_REQUEST_TOP_K),
    "reasoning_effort": (None, n.GEN_AI_REQUEST_REASONING_LEVEL),
    "output_type": (None, n.GEN_AI_OUTPUT_TYPE),
    "tools_count": (n.LLM_TOOLS_COUNT, None),
    "server_address": (None, n.SERVER_ADDRESS),
    "server_port": (None, n.SERVER_PORT),
}


class ClientAttributes:
    """What a client's calls record that does not change from call to call, built once.

    Kept per client (weakly) and rebuilt when the client's model, provider, mode or request
    attributes change, or the span-name convention or the profile does. ``lean`` (the lean
    profile, ``lean.py``): the inference attributes are the GenAI ones only and the span name
    is the conventions' (``chat {model}``).
    """

    __slots__ = (
        "genai_metric",
        "inference",
        "inference_name",
        "key",
        "lean",
        "metric",
        "model",
        "provider",
        "request",
        "semconv",
        "streaming",
    )

    def __init__(self, client: Any, req: dict[str, Any], semconv: bool, lean: bool = False) -> None:
        model, provider, mode = client.model, client.provider, client.mode
        self.key = (model, provider, mode, semconv, lean, dict(req))
        self.model, self.provider, self.semconv, self.lean = model, provider, semconv, lean
        common = {n.LLM_MODEL: model, n.LLM_PROVIDER: provider}
        # the llm.request wrapper carries no gen_ai.operation.name / model: one chat operation
        # per call, the inference span's, or GenAI backends count every call twice
        self.request = {k: v for k, v in {**common, n.LLM_OPERATION: mode}.items() if v is not None}
        self.streaming = streaming = bool(req.get("stream", True))
        inference = {
            **common,
            n.GEN_AI_OPERATION_NAME: n.OP_CHAT,
            n.GEN_AI_PROVIDER_NAME: provider,
            n.GEN_AI_REQUEST_MODEL: model,
            n.LLM_STREAMING: streaming,
            n.LLM_API_VENDOR: provider,
            n.GEN_AI_REQUEST_STREAM: streaming or None,
        }
        if provider == "openai" and req.get("api"):
            inference[n.OPENAI_API_TYPE] = req["api"]
        for key, value in req.items():
            seed_key, genai_key = _REQUEST_ATTRS.get(key, (None, None))
            if seed_key:
                inference[seed_key] = value
            if genai_key:
                inference[genai_key] = value
        if lean:  # the lean profile's one span carries the GenAI conventions' attributes only
            inference = {k: v for k, v in inference.items() if not k.startswith("llm.")}
        # no key in any span (sik_llms.redact): values redacted once here, not on every call
        self.inference = {k: redact_value(v) for k, v in inference.items() if v is not None}
        self.request = {k: redact_value(v) for k, v in self.request.items()}
        self.inference_name = (
            n.semconv_span_inference(n.OP_CHAT, model)
            if semconv or lean
            else n.span_inference(provider, mode)
        )
        self.metric = {n.LABEL_MODEL: model, n.LABEL_PROVIDER: provider}
        genai_metric = {
            n.GEN_AI_OPERATION_NAME: n.OP_CHAT,
            n.GEN_AI_PROVIDER_NAME: provider,
            n.GEN_AI_REQUEST_MODEL: model,
            n.SERVER_ADDRESS: req.get("server_address"),  # Recommended / CR on GenAI metrics
            n.SERVER_PORT: req.get("server_port"),
        }
        self.genai_metric = {k: v for k, v in genai_metric.items() if v is not None}


_CLIENT_ATTRIBUTES: WeakKeyDictionary[Any, ClientAttributes] = WeakKeyDictionary()
#: (model, provider, mode, semconv, lean, request attributes, secrets generation) -> the
#: attributes built from them, for clients made alike; emptied when it reaches _SHARED_MAX
_SHARED: dict[tuple[Any, ...], ClientAttributes] = {}
_SHARED_MAX = 256


def client_attributes(client: Any, semconv: bool, lean: bool = False) -> ClientAttributes:
    """``client``'s constant attributes, from the per-client cache when still current."""
    req = client.request_attributes()
    try:
        cached = _CLIENT_ATTRIBUTES.get(client)
    except TypeError:  # an unhashable client: build every time
        cached = None
    if cached is not None:
        model, provider, mode, was_semconv, was_lean, was_req = cached.key
        if (
            was_semconv is semconv
            and was_lean is lean
            and model == client.model
            and provider == client.provider
            and mode == client.mode
            and was_req == req
        ):
            return cached
    try:  # request attributes holding a list (stop sequences) are not hashable: build
        shared_key: Any = (
            client.model,
            client.provider,
            client.mode,
            semconv,
            lean,
            tuple((k, type(v), v) for k, v in req.items()),  # 1 and 1.0 stay apart
            secrets_generation(),
        )
        built = _SHARED.get(shared_key)
    except TypeError:
        shared_key = built = None
    if built is None:
        built = ClientAttributes(client, req, semconv, lean)
        if shared_key is not None:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()
            _SHARED[shared_key] = built
    with suppress(TypeError):
        _CLIENT_ATTRIBUTES[client] = built
    return built
