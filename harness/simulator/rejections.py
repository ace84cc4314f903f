"""The answers to requests turned away before a scenario is consulted, worded like the real APIs.

A URL the simulator does not serve, a missing or wrong API key, a model the scenario does not
list, a body that is not a JSON object. Pure: each returns the ``ErrorSpec`` (or raises the
``WireError``) that ``SimulatorApp`` renders; the key is read from the provider's own header.
"""

from __future__ import annotations

import json
from typing import Any

from harness.simulator.httpserver import HttpRequest
from harness.simulator.model import ErrorSpec, WireError


def unknown_route(provider: str, method: str, path: str, routes: str) -> ErrorSpec:
    """A URL the simulator does not serve (or the wrong method for it)."""
    message = (
        f"Invalid URL ({method} {path}). The simulator serves {routes}; check the "
        "SDK base_url (OpenAI: http://HOST:PORT/v1, Anthropic: http://HOST:PORT)."
    )
    return ErrorSpec(
        404,
        message,
        "invalid_request_error" if provider == "openai" else "not_found_error",
    )


def api_key(request: HttpRequest, provider: str) -> str | None:
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if provider == "anthropic":
        return request.headers.get("x-api-key") or bearer
    return bearer


def auth_error(provider: str, key: str | None) -> ErrorSpec:
    if provider == "anthropic":
        return ErrorSpec(
            401,
            "x-api-key header is required" if not key else "invalid x-api-key",
            "authentication_error",
        )
    if not key:
        return ErrorSpec(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            code="",
        )
    shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else key
    return ErrorSpec(
        401,
        f"Incorrect API key provided: {shown}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        code="invalid_api_key",
    )


def model_not_found(provider: str, model: str, api: str = "chat.completions") -> ErrorSpec:
    if provider == "anthropic":
        return ErrorSpec(404, f"model: {model}", "not_found_error")
    if api == "responses":  # the Responses API answers an unknown model with 400, naming the param
        return ErrorSpec(
            400,
            f"The requested model '{model}' does not exist.",
            "invalid_request_error",
            code="model_not_found",
            param="model",
        )
    return ErrorSpec(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        code="model_not_found",
    )


def json_body(request: HttpRequest, provider: str) -> dict[str, Any]:
    """The request body as a JSON object, or the 400 the provider answers when it is not one."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise WireError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The API expects a JSON payload, but what was "
            "sent was not valid JSON.)"
            if provider == "openai"
            else "There was an error parsing the body of your request: not valid JSON",
            type="invalid_request_error",
        ) from None
    if not isinstance(body, dict):
        raise WireError(
            400, "The request body must be a JSON object.", type="invalid_request_error"
        )
    return body
