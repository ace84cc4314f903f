"""The providers' real error envelopes and default types/messages per status.

OpenAI: ``{"error": {"message", "type", "param", "code"}}``.
Anthropic: ``{"type": "error", "error": {"type", "message"}, "request_id"}``.
Shapes and wording follow the recordings in cassettes-real and the providers' docs.
"""

from __future__ import annotations

from typing import Any

OPENAI_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests (simulated). Please try again in 1s.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}

ANTHROPIC_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit (simulated).",
    ),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def openai_error(
    status: int,
    message: str | None = None,
    type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    d_type, d_code, d_message = OPENAI_DEFAULTS.get(status, ("server_error", None, "Error."))
    if status == 529:
        d_type, d_code, d_message = OPENAI_DEFAULTS[503]
    return {
        "error": {
            "message": message or d_message,
            "type": type or d_type,
            "param": param,
            "code": code if code is not None else d_code,
        }
    }


def anthropic_error(
    status: int, request_id: str, message: str | None = None, type: str | None = None
) -> dict[str, Any]:
    d_type, d_message = ANTHROPIC_DEFAULTS.get(status, ("api_error", "Error."))
    return {
        "type": "error",
        "error": {"type": type or d_type, "message": message or d_message},
        "request_id": request_id,
    }
