"""Anthropic requests, the wire's spelling: neutral messages -> system blocks and Anthropic
messages (images, tool results), and the name and schema of the forced tool that carries
structured output. Pure code; the client in ``sik_llms.providers.anthropic`` assembles the
request body from these pieces.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def _part(part: Any) -> Any:
    if isinstance(part, dict) and part.get("type") == "image" and "source_type" in part:
        if part["source_type"] == "url":
            return {"type": "image", "source": {"type": "url", "url": part["data"]}}
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": part.get("media_type") or "image/png",
                "data": part["data"],
            },
        }
    if isinstance(part, dict) and part.get("type") == "image_url":
        url = (
            part["image_url"]["url"]
            if isinstance(part.get("image_url"), dict)
            else part.get("image_url")
        )
        return {"type": "image", "source": {"type": "url", "url": url}}
    return part


def to_anthropic(
    messages: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Neutral messages -> (system blocks, Anthropic messages)."""
    system: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        content = m.get("content")
        if role in ("system", "developer"):
            if isinstance(content, list):
                system.extend(
                    dict(p) if isinstance(p, dict) else {"type": "text", "text": str(p)}
                    for p in content
                )
            elif content:
                system.append({"type": "text", "text": content})
            continue
        msg = {k: v for k, v in m.items() if k not in ("role", "content")}
        if role == "tool":  # an OpenAI-shaped tool result -> Anthropic tool_result block
            out.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": m.get("tool_call_id"),
                            "content": content,
                        }
                    ],
                }
            )
            continue
        if isinstance(content, list):
            content = [_part(p) for p in content]
        out.append(
            {
                "role": role,
                "content": content,
                **{k: v for k, v in msg.items() if k not in ("tool_calls", "name")},
            }
        )
    return system, out


def safe_tool_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64] or "structured_output"


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    from sik_llms.tools import json_schema

    return json_schema(model)
