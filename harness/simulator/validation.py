"""Request validation like the real APIs: message lists, family-specific parameters, model names.

Each check raises ``WireError`` with the provider's status, message, ``param`` and ``code`` as
the real API answers (wording from the providers' error answers, e.g. OpenAI
``Unsupported parameter: 'stop' is not supported with this model.``). Checks are grouped so a
scenario can turn them off: ``validate: {messages: false, parameters: false, models: false}``
(or ``validate: false`` for all). Model names are checked only on the official endpoints
(``Route.validates_models``) and only when the scenario lists no ``models`` of its own; a name
from another server's family (``org/name``, ``name:tag``, llama / qwen / mistral...) on ``/v1``
marks the request as OpenAI-compatible (vLLM, Ollama, Groq...), where neither names nor
OpenAI's family parameters are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.simulator.families import (
    ANTHROPIC_EFFORTS,
    anthropic_model_known,
    anthropic_supports_effort,
    is_openai_reasoning,
    openai_model_known,
)
from harness.simulator.model import WireError

__all__ = [
    "Validation",
    "check_anthropic",
    "check_model",
    "check_openai_chat",
    "check_openai_responses",
]

_CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
#: chat parameters reasoning models refuse (platform.openai.com/docs/guides/reasoning)
_REASONING_UNSUPPORTED = (
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
)


@dataclass(frozen=True)
class Validation:
    """Which validations run (all on by default)."""

    messages: bool = True
    parameters: bool = True
    models: bool = True

    @classmethod
    def from_setting(cls, value: Any, where: str) -> Validation:
        if value is None or value is True:
            return cls()
        if value is False:
            return cls(False, False, False)
        if isinstance(value, dict) and set(value) <= {"messages", "parameters", "models"}:
            return cls(**{k: bool(v) for k, v in value.items()})
        raise ValueError(
            f"{where}: validate must be true, false or a mapping of messages / parameters / models "
            f"to true/false, got {value!r}"
        )


def _bad(message: str, param: str | None = None, code: str | None = None) -> WireError:
    return WireError(400, message, type="invalid_request_error", param=param, code=code)


def check_model(provider: str, api: str, model: str) -> None:
    """Unknown model names: chat 404, Responses 400 (param model), Anthropic 404 not_found_error."""
    if provider == "anthropic":
        if not anthropic_model_known(model):
            raise WireError(404, f"model: {model}", type="not_found_error")
        return
    if openai_model_known(model):
        return
    if api == "responses":
        raise WireError(
            400,
            f"The requested model '{model}' does not exist.",
            type="invalid_request_error",
            param="model",
            code="model_not_found",
        )
    raise WireError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        type="invalid_request_error",
        code="model_not_found",
    )


def _check_chat_messages(messages: list[Any]) -> None:
    pending: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad(
                f"Invalid type for 'messages[{i}]': expected an object, but got "
                f"{type(message).__name__} instead.",
                f"messages[{i}]",
                "invalid_type",
            )
        role = message.get("role")
        if role is None:
            raise _bad(
                f"Missing required parameter: 'messages[{i}].role'.",
                f"messages[{i}].role",
                "missing_required_parameter",
            )
        if role not in _CHAT_ROLES:
            raise _bad(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', "
                "'tool', and 'developer'.",
                f"messages[{i}].role",
                "invalid_value",
            )
        if role in ("user", "system", "developer", "tool") and "content" not in message:
            raise _bad(
                f"Missing required parameter: 'messages[{i}].content'.",
                f"messages[{i}].content",
                "missing_required_parameter",
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _bad(
                f"Invalid type for 'messages[{i}].content': expected one of a string or array of objects, "
                f"but got {_json_type(content)} instead.",
                f"messages[{i}].content",
                "invalid_type",
            )
        if role == "tool":
            if message.get("tool_call_id") not in pending:
                raise _bad(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    "message with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            pending.discard(message["tool_call_id"])
            continue
        if pending:
            raise _bad(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: "
                f"{', '.join(sorted(pending))}",
                f"messages.[{i}].role",
            )
        if role == "assistant":
            pending = {
                str(c.get("id")) for c in message.get("tool_calls") or [] if isinstance(c, dict)
            }


def _json_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a decimal",
        dict: "an object",
        list: "an array",
        str: "a string",
    }
    return names.get(type(value), "null")


def _check_chat_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _bad(
            f"Invalid type for 'tools': expected an array, but got {_json_type(tools)} instead.",
            "tools",
            "invalid_type",
        )
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "function" and not (tool.get("function") or {}).get("name"):
            raise _bad(
                f"Missing required parameter: 'tools[{i}].function.name'.",
                f"tools[{i}].function.name",
                "missing_required_parameter",
            )
        if kind not in ("function", "custom"):
            raise _bad(
                f"Invalid value: '{kind}'. Supported values are: 'function' and 'custom'.",
                f"tools[{i}].type",
                "invalid_value",
            )


def check_openai_chat(body: dict[str, Any], model: str, v: Validation) -> None:
    messages = body.get("messages")
    if v.messages and isinstance(messages, list):
        _check_chat_messages(messages)
        _check_chat_tools(body.get("tools"))
    if not v.parameters:
        return
    if is_openai_reasoning(model):
        if "max_tokens" in body and body["max_tokens"] is not None:
            raise _bad(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        for name in _REASONING_UNSUPPORTED:
            if body.get(name) is not None and body.get(name) is not False:
                raise _bad(
                    f"Unsupported parameter: '{name}' is not supported with this model.",
                    name,
                    "unsupported_parameter",
                )
        for name in ("temperature", "top_p"):
            if body.get(name) is not None and body[name] != 1:
                raise _bad(
                    f"Unsupported value: '{name}' does not support {body[name]} with this model. Only the "
                    "default (1) value is supported.",
                    name,
                    "unsupported_value",
                )
    elif body.get("reasoning_effort") is not None:
        raise _bad(
            "Unrecognized request argument supplied: reasoning_effort",
            "reasoning_effort",
            "unsupported_parameter",
        )


def check_openai_responses(body: dict[str, Any], model: str, v: Validation) -> None:
    raw = body.get("input")
    if v.messages and raw is not None and not isinstance(raw, str | list):
        raise _bad(
            f"Invalid type for 'input': expected one of a string or array of input items, but got "
            f"{_json_type(raw)} instead.",
            "input",
            "invalid_type",
        )
    for i, item in enumerate(raw if v.messages and isinstance(raw, list) else []):
        role = item.get("role") if isinstance(item, dict) else None
        if role is not None and role not in ("user", "assistant", "system", "developer"):
            raise _bad(
                f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and "
                "'user'.",
                f"input[{i}].role",
                "invalid_value",
            )
    if not v.parameters:
        return
    if is_openai_reasoning(model):
        for name in ("temperature", "top_p"):
            if body.get(name) is not None and body[name] != 1:
                raise _bad(
                    f"Unsupported parameter: '{name}' is not supported with this model.",
                    name,
                    "unsupported_parameter",
                )
    elif isinstance(body.get("reasoning"), dict) and body["reasoning"].get("effort") is not None:
        raise _bad(
            "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
            "reasoning.effort",
            "unsupported_parameter",
        )


_CLAUDE_NO_BOTH_SAMPLERS = re.compile(r"^claude-(?:opus|sonnet|haiku)-(?:4-[5-9]|[5-9])")


def _check_tool_pairs(messages: list[Any]) -> None:
    """Every tool_result answers a tool_use of the message just before; every tool_use is answered next."""

    def blocks(message: Any, kind: str) -> list[dict[str, Any]]:
        content = message.get("content") if isinstance(message, dict) else None
        return (
            [b for b in content if isinstance(b, dict) and b.get("type") == kind]
            if isinstance(content, list)
            else []
        )

    for i, message in enumerate(messages):
        asked = {str(b.get("id")) for b in blocks(messages[i - 1], "tool_use")} if i else set()
        for j, result in enumerate(blocks(message, "tool_result")):
            if str(result.get("tool_use_id")) not in asked:
                raise _bad(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{result.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
        uses = [str(b.get("id")) for b in blocks(message, "tool_use")]
        if uses and i + 1 < len(messages):
            answered = {str(b.get("tool_use_id")) for b in blocks(messages[i + 1], "tool_result")}
            missing = [u for u in uses if u not in answered]
            if missing:
                raise _bad(
                    f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                    f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding "
                    "`tool_result` block in the next message."
                )


def check_anthropic(body: dict[str, Any], v: Validation) -> None:
    messages = body.get("messages")
    if v.messages and isinstance(messages, list):
        if not messages:
            raise _bad("messages: at least one message is required")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                role = message.get("role") if isinstance(message, dict) else message
                raise _bad(
                    f"messages.{i}.role: Input should be 'user' or 'assistant'"
                    if isinstance(message, dict)
                    else f"messages.{i}: Input should be a valid dictionary, got {role!r}"
                )
            content = message.get("content")
            if content is None:
                raise _bad(f"messages.{i}.content: Field required")
            if content == "" or content == []:
                raise _bad(
                    f"messages.{i}: all messages must have non-empty content except for the optional "
                    "final assistant message"
                )
        _check_tool_pairs(messages)
    if not v.parameters:
        return
    model = str(body.get("model", ""))
    if (
        _CLAUDE_NO_BOTH_SAMPLERS.match(model)
        and body.get("temperature") is not None
        and body.get("top_p") is not None
    ):
        raise _bad(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        )
    thinking = body.get("thinking") if isinstance(body.get("thinking"), dict) else {}
    if thinking.get("type") == "enabled":
        if not isinstance(thinking.get("budget_tokens"), int) or thinking["budget_tokens"] < 1024:
            raise _bad(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if body.get("temperature") is not None and body["temperature"] != 1:
            raise _bad(
                "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
                "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                "#important-considerations-when-using-extended-thinking"
            )
    effort = (
        (body.get("output_config") or {}).get("effort")
        if isinstance(body.get("output_config"), dict)
        else None
    )
    if effort is not None and not anthropic_supports_effort(str(effort)):
        raise _bad(
            f"This model does not support effort level '{effort}'. Supported levels: "
            f"{', '.join(sorted(ANTHROPIC_EFFORTS))}."
        )
