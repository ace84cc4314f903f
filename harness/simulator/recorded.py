"""Turn a recorded provider answer into a scenario ``reply`` (text, tool calls, thinking, usage).

Lets a real recording be re-rendered by the simulator's own wire code (conformance tests), and
lets anyone derive a readable scenario from a cassette instead of replaying bytes.
"""

from __future__ import annotations

import json
from typing import Any

from harness.simulator.structure import parse_sse


def _error_reply(status: int, data: Any) -> dict[str, Any]:
    err = data.get("error", {}) if isinstance(data, dict) else {}
    return {
        "error": {
            "status": status,
            "message": err.get("message"),
            "type": err.get("type"),
            **({"code": err["code"]} if err.get("code") else {}),
        }
    }


def reply_from_recording(api: str, status: int, content: bytes, is_sse: bool) -> dict[str, Any]:
    """A scenario reply that makes the simulator say what the recording says."""
    if status >= 400:
        return _error_reply(status, json.loads(content or b"{}"))
    if api == "chat.completions":
        return _chat(content, is_sse)
    if api == "responses":
        return _responses(content, is_sse)
    return _messages(content, is_sse)


def _finish(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reply.items() if v not in (None, [], "")} or {"text": ""}


def _chat(content: bytes, is_sse: bool) -> dict[str, Any]:
    text: str | None = None
    refusal: str | None = None
    calls: dict[int, dict[str, Any]] = {}
    model = None
    if is_sse:
        for _, data in parse_sse(content):
            if not isinstance(data, dict) or not data.get("choices"):
                continue
            model = data.get("model", model)
            choice = data["choices"][0]
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("content") is not None:
                text = (text or "") + delta["content"]
            if delta.get("refusal") is not None:
                refusal = (refusal or "") + delta["refusal"]
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(
                    tc.get("index", 0), {"name": "", "arguments": "", "id": None}
                )
                fn = tc.get("function") or {}
                slot["id"] = tc.get("id") or slot["id"]
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
    else:
        data = json.loads(content)
        model = data.get("model")
        message = data["choices"][0]["message"]
        text, refusal = message.get("content"), message.get("refusal")
        for n, tc in enumerate(message.get("tool_calls") or []):
            calls[n] = {
                "name": tc["function"]["name"],
                "arguments": tc["function"]["arguments"],
                "id": tc["id"],
            }
    return _finish(
        {
            "text": text,
            "refusal": refusal,
            "model": model,
            "tool_calls": [calls[k] for k in sorted(calls)],
        }
    )


def _responses(content: bytes, is_sse: bool) -> dict[str, Any]:
    if is_sse:
        final = [
            d
            for _, d in parse_sse(content)
            if isinstance(d, dict) and d.get("type") == "response.completed"
        ]
        data = final[-1]["response"]
    else:
        data = json.loads(content)
    text: str | None = None
    thinking: str | None = None
    calls = []
    for item in data.get("output") or []:
        if item["type"] == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    text = (text or "") + part["text"]
        elif item["type"] == "function_call":
            calls.append(
                {"name": item["name"], "arguments": item["arguments"], "id": item["call_id"]}
            )
        elif item["type"] == "reasoning":
            thinking = " ".join(s.get("text", "") for s in item.get("summary") or []) or None
    return _finish(
        {"text": text, "thinking": thinking, "tool_calls": calls, "model": data.get("model")}
    )


def _messages(content: bytes, is_sse: bool) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    model = None
    if is_sse:
        for _, data in parse_sse(content):
            if not isinstance(data, dict):
                continue
            if data.get("type") == "message_start":
                model = data["message"].get("model")
            elif data.get("type") == "content_block_start":
                blocks.append({**data["content_block"], "_json": ""})
            elif data.get("type") == "content_block_delta":
                delta, block = data["delta"], blocks[-1]
                if delta["type"] == "text_delta":
                    block["text"] = block.get("text", "") + delta["text"]
                elif delta["type"] == "thinking_delta":
                    block["thinking"] = block.get("thinking", "") + delta["thinking"]
                elif delta["type"] == "input_json_delta":
                    block["_json"] += delta["partial_json"]
        for block in blocks:
            if block["type"] == "tool_use":
                block["input"] = json.loads(block["_json"] or "{}")
    else:
        data = json.loads(content)
        model = data.get("model")
        blocks = data.get("content") or []
    text = "".join(b.get("text", "") for b in blocks if b["type"] == "text") or None
    thinking = "".join(b.get("thinking", "") for b in blocks if b["type"] == "thinking") or None
    calls = [
        {"name": b["name"], "arguments": b["input"], "id": b["id"]}
        for b in blocks
        if b["type"] == "tool_use"
    ]
    return _finish({"text": text, "thinking": thinking, "tool_calls": calls, "model": model})
