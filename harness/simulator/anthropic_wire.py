"""Anthropic Messages wire format: JSON and SSE out (requests: ``anthropic_request``).

Stream order as recorded from the real API: message_start, then per content block
content_block_start / content_block_delta... / content_block_stop (a ``ping`` right after the
first block starts), message_delta (stop_reason and usage, repeating input_tokens and the cache
counts like newer API versions), message_stop. Thinking blocks stream thinking_delta pieces and
end with a signature_delta; tool_use blocks start with ``input: {}`` and stream input_json_delta.
"""

from __future__ import annotations

import json
from typing import Any

from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, Usage
from harness.simulator.tokens import count_tokens, split_fixed, split_pieces
from harness.simulator.wire_json import DUMPS, Sse


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": u.cache_creation_input_tokens
            - u.cache_creation_1h_input_tokens,
            "ephemeral_1h_input_tokens": u.cache_creation_1h_input_tokens,
        },
        "output_tokens": u.output_tokens,
        **({"server_tool_use": dict(u.server_tool_use)} if u.server_tool_use else {}),
        "service_tier": "standard",
    }


def _iterations(view: RequestView, answer: Answer, usage: Usage) -> list[dict[str, Any]]:
    """usage.iterations after a compaction: the summarising pass, then the answer over the summary."""
    summary = count_tokens(answer.compaction or "")
    empty = {
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    }
    return [
        {
            "input_tokens": view.prompt_tokens,
            "output_tokens": summary,
            **empty,
            "type": "compaction",
        },
        {
            "input_tokens": summary + count_tokens(view.last_user_text) + 8,
            "output_tokens": max(usage.output_tokens - summary, 1),
            **empty,
            "type": "message",
        },
    ]


def _stop_reason(answer: Answer) -> str:
    mapping = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
    if answer.stop_reason:
        return mapping.get(answer.stop_reason, answer.stop_reason)
    if answer.truncated:
        return "max_tokens"
    if answer.refusal is not None:
        return "refusal"
    return "tool_use" if answer.tool_calls else "end_turn"


def _server_blocks(answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    """server_tool_use + its result block per server tool the model ran (web search / fetch)."""
    blocks: list[dict[str, Any]] = []
    for use in answer.server_tools:
        tid = "srvtoolu_01" + ids.toolu()[8:]
        if use.kind == "web_fetch":
            url = use.results[0].url if use.results else use.query
            blocks.append(
                {"type": "server_tool_use", "id": tid, "name": use.name, "input": {"url": url}}
            )
            blocks.append(
                {
                    "type": "web_fetch_tool_result",
                    "tool_use_id": tid,
                    "content": {
                        "type": "web_fetch_result",
                        "url": url,
                        "retrieved_at": "2025-01-01T00:00:00Z",
                        "content": {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": f"The page at {url}.",
                            },
                            "title": use.results[0].title if use.results else url,
                            "citations": {"enabled": True},
                        },
                    },
                }
            )
            continue
        blocks.append(
            {"type": "server_tool_use", "id": tid, "name": use.name, "input": {"query": use.query}}
        )
        blocks.append(
            {
                "type": "web_search_tool_result",
                "tool_use_id": tid,
                "content": [
                    {
                        "type": "web_search_result",
                        "title": c.title,
                        "url": c.url,
                        "encrypted_content": ids.signature(),
                        "page_age": None,
                    }
                    for c in use.results
                ],
            }
        )
    return blocks


def _blocks(answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.compaction:
        blocks.append({"type": "compaction", "content": answer.compaction})
    if answer.thinking:
        blocks.append(
            {"type": "thinking", "thinking": answer.thinking, "signature": ids.signature()}
        )
    text = answer.refusal if answer.refusal is not None else answer.text
    if answer.server_tools:
        blocks.append({"type": "text", "text": "Let me look that up."})
        blocks += _server_blocks(answer, ids)
        if text and answer.citations:
            cite = answer.citations[0]
            cited = text[cite.start : cite.end] or text
            fetched = (
                answer.server_tools[0].kind == "web_fetch"
            )  # a fetched page is cited as a document
            blocks.append(
                {
                    "type": "text",
                    "text": cited,
                    "citations": [
                        {
                            "type": "char_location",
                            "cited_text": cited,
                            "document_index": 0,
                            "document_title": c.title,
                            "start_char_index": 0,
                            "end_char_index": len(cited),
                        }
                        if fetched
                        else {
                            "type": "web_search_result_location",
                            "cited_text": cited,
                            "url": c.url,
                            "title": c.title,
                            "encrypted_index": ids.signature()[:40],
                        }
                        for c in answer.citations
                    ],
                }
            )
            text = text[cite.end :] or None
    if text is not None and (text or not (answer.tool_calls or answer.server_tools)):
        blocks.append({"type": "text", "text": text})
    for call in answer.tool_calls:
        args = json.loads(call.arguments) if isinstance(call.arguments, str) else call.arguments
        blocks.append(
            {"type": "tool_use", "id": call.id or ids.toolu(), "name": call.name, "input": args}
        )
    return blocks


def render_messages(
    view: RequestView, answer: Answer, usage: Usage, ids: IdMaker
) -> dict[str, Any]:
    """A ``message`` object."""
    return {
        "model": answer.model or view.model,
        "id": ids.message(),
        "type": "message",
        "role": "assistant",
        "content": _blocks(answer, ids),
        "stop_reason": _stop_reason(answer),
        "stop_sequence": None,
        "usage": {
            **_usage(usage),
            **({"iterations": _iterations(view, answer, usage)} if answer.compaction else {}),
        },
    }


def stream_messages(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker) -> Sse:
    """The Messages SSE sequence."""
    sse = Sse()
    start_usage = {**_usage(usage), "output_tokens": 1}
    sse.named(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "model": answer.model or view.model,
                "id": ids.message(),
                "type": "message",
                "role": "assistant",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
    )
    for index, block in enumerate(_blocks(answer, ids)):
        kind = block["type"]
        if kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "text":
            start = {
                "type": "text",
                "text": "",
                **({"citations": []} if "citations" in block else {}),
            }
        elif kind in ("tool_use", "server_tool_use"):
            start = {"type": kind, "id": block["id"], "name": block["name"], "input": {}}
        elif kind == "compaction":
            start = {"type": "compaction", "content": None}
        else:  # server tool results arrive whole
            start = block
        sse.named(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
            1 if kind in ("tool_use", "server_tool_use") else 0,
        )
        if index == 0:
            sse.named("ping", {"type": "ping"})
        if kind == "thinking":
            for piece in split_pieces(block["thinking"]):
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "thinking_delta", "thinking": piece},
                    },
                    count_tokens(piece),
                )
            sse.named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "signature_delta", "signature": block["signature"]},
                },
            )
        elif kind == "text":
            for citation in block.get("citations") or []:
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "citations_delta", "citation": citation},
                    },
                )
            for piece in split_pieces(block["text"]):
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                    count_tokens(piece),
                )
        elif kind == "compaction":
            sse.named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "compaction_delta", "content": block["content"]},
                },
                count_tokens(block["content"]),
            )
        elif kind in ("tool_use", "server_tool_use"):
            arguments = DUMPS(block["input"])
            for piece in ["", *split_fixed(arguments)]:
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                    count_tokens(piece),
                )
        sse.named("content_block_stop", {"type": "content_block_stop", "index": index})
    final = _usage(usage)
    final.pop("cache_creation")
    final.pop("service_tier")
    if answer.compaction:
        final["iterations"] = _iterations(view, answer, usage)
    sse.named(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": _stop_reason(answer), "stop_sequence": None},
            "usage": final,
        },
    )
    sse.named("message_stop", {"type": "message_stop"})
    return sse


#: What ``GET /v1/models`` lists without a scenario ``models:`` list: current models (the
#: installed SDK lists them and does not mark them deprecated; tests/test_current_models.py).
DEFAULT_MODELS = (
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
    "claude-haiku-4-5",
)


def models_list(models: list[str]) -> dict[str, Any]:
    data = [model_object(m) for m in models]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def model_object(model: str) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model,
        "display_name": model.replace("-", " ").title(),
        "created_at": "2025-02-24T00:00:00Z",
    }
