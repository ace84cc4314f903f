"""OpenAI wire format: requests in (chat completions, responses), JSON and SSE out.

Shapes follow the real recordings in cassettes-real: chat chunks carry ``usage: null`` when
``stream_options.include_usage`` is set and end with a ``choices: []`` usage chunk and
``data: [DONE]``; tool calls stream id+name first and the arguments in pieces; the Responses API
streams response.created, response.in_progress, output_item.added, content_part.added, deltas,
the done events and response.completed, each with a ``sequence_number``.
"""

from __future__ import annotations

from typing import Any

from harness.simulator.azure import (
    chunk_filter,
    completion_filter,
    prompt_filter_chunk,
    prompt_filter_results,
)
from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, ToolCall, Usage
from harness.simulator.openai_request import view_chat, view_responses
from harness.simulator.responses_wire import render_responses, stream_responses
from harness.simulator.tokens import count_tokens, split_fixed, split_pieces
from harness.simulator.wire_json import DUMPS, Sse
from harness.simulator.wire_json import json_str as _json_str

__all__ = [
    "DUMPS",
    "Sse",
    "render_chat",
    "render_responses",
    "stream_chat",
    "stream_responses",
    "view_chat",
    "view_responses",
]


# -- chat completions out -----------------------------------------------------------------------


def _usage_chat(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": u.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _finish(answer: Answer) -> str:
    if answer.stop_reason in ("stop", "length", "tool_calls", "content_filter"):
        return answer.stop_reason
    if answer.truncated:
        return "length"
    return "tool_calls" if answer.tool_calls else "stop"


def _args(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else DUMPS(arguments)


def _call_json(cid: str, call: ToolCall) -> dict[str, Any]:
    if call.kind == "custom":
        return {
            "id": cid,
            "type": "custom",
            "custom": {"name": call.name, "input": _args(call.arguments)},
        }
    return {
        "id": cid,
        "type": "function",
        "function": {"name": call.name, "arguments": _args(call.arguments)},
    }


def _shows_reasoning(view: RequestView, answer: Answer) -> bool:
    """OpenAI-compatible servers (vLLM, DeepSeek, OpenRouter...) send ``reasoning_content``; OpenAI never does."""
    return bool(answer.thinking) and view.flavor == "compatible"


def render_chat(
    view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int
) -> dict[str, Any]:
    """A ``chat.completion`` object (Azure: with its content-filter results)."""
    call_ids = [c.id or ids.call() for c in answer.tool_calls]
    azure = view.flavor == "azure"
    choices = []
    for index in range(view.n):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": answer.text if answer.refusal is None else None,
            "refusal": answer.refusal,
            "annotations": [],
        }
        if _shows_reasoning(view, answer):
            message["reasoning_content"] = answer.thinking
        if answer.tool_calls:
            message["tool_calls"] = [
                _call_json(cid, c) for cid, c in zip(call_ids, answer.tool_calls, strict=True)
            ]
        choice = {
            "index": index,
            "message": message,
            "logprobs": None,
            "finish_reason": _finish(answer),
        }
        if azure:
            choice["content_filter_results"] = completion_filter()
        choices.append(choice)
    out = {
        "id": ids.chatcmpl(),
        "object": "chat.completion",
        "created": created,
        "model": answer.model or view.model,
        "choices": choices,
        "usage": _usage_chat(usage),
        "service_tier": "default",
        "system_fingerprint": ids.fingerprint(),
    }
    if azure:
        out["prompt_filter_results"] = prompt_filter_results()
    return out


Step = tuple[dict[str, Any], str | None, int]


def _choice_steps(view: RequestView, answer: Answer, call_ids: list[str]) -> list[Step]:
    steps: list[Step] = []
    if answer.refusal is not None:
        steps.append(({"role": "assistant", "content": None, "refusal": ""}, None, 0))
        steps += [({"refusal": p}, None, count_tokens(p)) for p in split_pieces(answer.refusal)]
    elif len(answer.tool_calls) == 1 and not answer.text and not _shows_reasoning(view, answer):
        # a lone call starts in the role chunk (recorded 2023-2026); parallel calls get their own chunks
        call = answer.tool_calls[0]
        kind = "custom" if call.kind == "custom" else "function"
        body = (
            {"name": call.name, "input": ""}
            if kind == "custom"
            else {"name": call.name, "arguments": ""}
        )
        steps.append(
            (
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"index": 0, "id": call_ids[0], "type": kind, kind: body}],
                    "refusal": None,
                },
                None,
                1,
            )
        )
    else:
        first = "" if answer.text is not None or not answer.tool_calls else None
        steps.append(({"role": "assistant", "content": first, "refusal": None}, None, 0))
        if _shows_reasoning(view, answer):
            steps += [
                ({"reasoning_content": p}, None, count_tokens(p))
                for p in split_pieces(answer.thinking or "")
            ]
        steps += [({"content": p}, None, count_tokens(p)) for p in split_pieces(answer.text or "")]
    started_in_role = "tool_calls" in steps[0][0]
    for n, (cid, call) in enumerate(zip(call_ids, answer.tool_calls, strict=True)):
        if started_in_role:
            field, key = ("custom", "input") if call.kind == "custom" else ("function", "arguments")
            steps += [
                ({"tool_calls": [{"index": n, field: {key: p}}]}, None, count_tokens(p))
                for p in split_fixed(_args(call.arguments))
            ]
            continue
        if call.kind == "custom":
            steps.append(
                (
                    {
                        "tool_calls": [
                            {
                                "index": n,
                                "id": cid,
                                "type": "custom",
                                "custom": {"name": call.name, "input": ""},
                            }
                        ]
                    },
                    None,
                    1,
                )
            )
            steps += [
                ({"tool_calls": [{"index": n, "custom": {"input": p}}]}, None, count_tokens(p))
                for p in split_fixed(_args(call.arguments))
            ]
            continue
        steps.append(
            (
                {
                    "tool_calls": [
                        {
                            "index": n,
                            "id": cid,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                },
                None,
                1,
            )
        )
        steps += [
            ({"tool_calls": [{"index": n, "function": {"arguments": p}}]}, None, count_tokens(p))
            for p in split_fixed(_args(call.arguments))
        ]
    steps.append(({}, _finish(answer), 0))
    return steps


def stream_chat(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int) -> Sse:
    """The SSE chunks of a streamed chat completion, as the API sends them.

    Azure adds a first chunk with empty id/model/choices carrying ``prompt_filter_results``, and
    ``content_filter_results`` on every choice (empty on the role chunk)."""
    sse = Sse()
    azure = view.flavor == "azure"
    base = {
        "id": ids.chatcmpl(),
        "object": "chat.completion.chunk",
        "created": created,
        "model": answer.model or view.model,
        "service_tier": "default",
        "system_fingerprint": ids.fingerprint(),
    }
    with_usage = view.include_usage
    # every chunk shares its head: encode it once, then only the choices per chunk
    head = b"data: " + DUMPS(base)[:-1].encode() + b',"choices":['
    tail = b'],"usage":null,"obfuscation":"' if with_usage else b'],"obfuscation":"'

    def chunk(
        index: int, delta: dict[str, Any], finish: str | None = None, tokens: int = 0
    ) -> None:
        if azure:
            choice = DUMPS(
                {
                    "index": index,
                    "delta": delta,
                    "logprobs": None,
                    "finish_reason": finish,
                    "content_filter_results": chunk_filter(delta),
                }
            ).encode()
        elif (
            finish is None and len(delta) == 1 and "content" in delta
        ):  # the hot path: one text piece
            choice = b'{"index":%d,"delta":{"content":%s},"logprobs":null,"finish_reason":null}' % (
                index,
                _json_str(delta["content"]).encode(),
            )
        else:
            choice = DUMPS(
                {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            ).encode()
        sse.raw(head + choice + tail + ids.obfuscation(4).encode() + b'"}\n\n', tokens)

    if azure:
        sse.data(prompt_filter_chunk())
    call_ids = [c.id or ids.call() for c in answer.tool_calls]
    per_choice = [_choice_steps(view, answer, call_ids) for _ in range(view.n)]
    # n > 1: each choice opens with its role and first piece, then the choices alternate piece by piece
    order = [
        (index, position)
        for index, steps in enumerate(per_choice)
        for position in range(min(2, len(steps)))
    ]
    order += [
        (index, position)
        for position in range(2, max(len(steps) for steps in per_choice))
        for index, steps in enumerate(per_choice)
        if position < len(steps)
    ]
    for index, position in order:
        delta, finish, tokens = per_choice[index][position]
        chunk(index, delta, finish, tokens)
    if with_usage:
        sse.data(
            {**base, "choices": [], "usage": _usage_chat(usage), "obfuscation": ids.obfuscation(4)}
        )
    sse.raw(b"data: [DONE]\n\n")
    return sse


# -- models -------------------------------------------------------------------------------------

#: What ``GET /v1/models`` lists without a scenario ``models:`` list: current models (the
#: installed SDK lists them and does not mark them deprecated; tests/test_current_models.py).
DEFAULT_MODELS = (
    "gpt-5.5",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.2",
)


def models_list(models: list[str]) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(m) for m in models]}


def model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1715367049, "owned_by": "system"}
