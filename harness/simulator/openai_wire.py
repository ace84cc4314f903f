"""OpenAI wire format: requests in (chat completions, responses), JSON and SSE out.

Shapes follow the real recordings in cassettes-real: chat chunks carry ``usage: null`` when
``stream_options.include_usage`` is set and end with a ``choices: []`` usage chunk and
``data: [DONE]``; tool calls stream id+name first and the arguments in pieces; the Responses API
streams response.created, response.in_progress, output_item.added, content_part.added, deltas,
the done events and response.completed, each with a ``sequence_number``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, ToolSpec, Usage, WireError
from harness.simulator.tokens import count_tokens, split_fixed, split_pieces

DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C-accelerated str -> JSON


class Sse:
    """Collects SSE events and the tokens each carries (for the latency schedule)."""

    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.tokens: list[int] = []

    def data(self, payload: Any, tokens: int = 0) -> None:
        self.events.append(b"data: " + DUMPS(payload).encode() + b"\n\n")
        self.tokens.append(tokens)

    def named(self, name: str, payload: Any, tokens: int = 0) -> None:
        self.events.append(f"event: {name}\ndata: ".encode() + DUMPS(payload).encode() + b"\n\n")
        self.tokens.append(tokens)

    def raw(self, chunk: bytes, tokens: int = 0) -> None:
        self.events.append(chunk)
        self.tokens.append(tokens)


# -- request side -------------------------------------------------------------------------------

def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not model:
        raise WireError(400, "you must provide a model parameter", type="invalid_request_error")
    if not isinstance(model, str):
        raise WireError(400, f"Invalid type for 'model': expected a string, but got {type(model).__name__} instead.",
                        type="invalid_request_error", param="model", code="invalid_type")
    return model


def _cache_key(model: str, prefix: Any) -> str:
    return hashlib.sha256(DUMPS([model, prefix]).encode()).hexdigest()


def view_chat(body: dict[str, Any]) -> RequestView:
    """Validate a chat.completions request the way the API does (cheap checks) and view it."""
    model = _require_model(body)
    messages = body.get("messages")
    if messages is None:
        raise WireError(400, "Missing required parameter: 'messages'.", type="invalid_request_error",
                        param="messages", code="missing_required_parameter")
    if not isinstance(messages, list) or not messages:
        raise WireError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                        "but got an empty array instead.", type="invalid_request_error",
                        param="messages", code="empty_array")
    stream = bool(body.get("stream"))
    if body.get("stream_options") is not None and not stream:
        raise WireError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                        type="invalid_request_error", param="stream_options", code=None)
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 128:
        raise WireError(400, f"Invalid 'n': integer must be between 1 and 128, got {n!r}.",
                        type="invalid_request_error", param="n", code="integer_out_of_range")
    texts = [f"{m.get('role')}: {_text_of(m.get('content'))}" for m in messages if isinstance(m, dict)]
    results = sum(1 for m in messages if isinstance(m, dict) and m.get("role") in ("tool", "function"))
    last_user = next((_text_of(m.get("content")) for m in reversed(messages)
                      if isinstance(m, dict) and m.get("role") == "user"), "")
    tools = [ToolSpec(t["function"]["name"], t["function"].get("parameters") or {"type": "object", "properties": {}})
             for t in body.get("tools") or [] if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    choice = body.get("tool_choice")
    forced = None
    if choice == "required":
        forced = "*"
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        forced = choice["function"].get("name")
    rf = body.get("response_format") or {}
    schema = None
    if rf.get("type") == "json_schema":
        schema = (rf.get("json_schema") or {}).get("schema") or {"type": "object", "properties": {}}
    prompt_text = "\n".join(texts)
    tool_text = DUMPS(body.get("tools")) if body.get("tools") else ""
    prompt_tokens = count_tokens(prompt_text) + count_tokens(tool_text) + 3 * len(messages) + 3
    prefix_tokens = count_tokens("\n".join(texts[:-1])) + count_tokens(tool_text) + 3 * (len(messages) - 1)
    return RequestView(
        provider="openai", api="chat.completions", model=model, stream=stream,
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        last_user_text=last_user, prompt_text=prompt_text, prompt_tokens=prompt_tokens,
        cache_prefix_tokens=prefix_tokens,
        cache_prefix_key=_cache_key(model, [messages[:-1], body.get("tools")]) if len(messages) > 1 else "",
        has_tool_results=results > 0, tool_result_count=results,
        tools=tools, forced_tool=forced if tools else None,
        response_format=rf.get("type") if rf.get("type") in ("json_schema", "json_object") else None,
        response_schema=schema, thinking=bool(body.get("reasoning_effort")), n=n,
        max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"), body=body,
    )


def view_responses(body: dict[str, Any]) -> RequestView:
    """Validate and view a Responses API request."""
    model = _require_model(body)
    raw_input = body.get("input")
    items: list[Any] = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else list(raw_input or [])
    if not items and not body.get("previous_response_id"):
        raise WireError(400, "Missing required parameter: 'input'.", type="invalid_request_error",
                        param="input", code="missing_required_parameter")
    texts = [f"system: {body['instructions']}"] if body.get("instructions") else []
    last_user = ""
    results = 0
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            results += 1
            texts.append(f"tool: {item.get('output', '')}")
        elif item.get("role"):
            text = _text_of(item.get("content"))
            texts.append(f"{item['role']}: {text}")
            if item["role"] == "user":
                last_user = text
    tools = [ToolSpec(t["name"], t.get("parameters") or {"type": "object", "properties": {}})
             for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice")
    forced = "*" if choice == "required" else choice.get("name") if isinstance(choice, dict) else None
    fmt = ((body.get("text") or {}).get("format") or {})
    schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
    prompt_text = "\n".join(texts)
    tool_text = DUMPS(body.get("tools")) if body.get("tools") else ""
    return RequestView(
        provider="openai", api="responses", model=model, stream=bool(body.get("stream")),
        include_usage=True, last_user_text=last_user, prompt_text=prompt_text,
        prompt_tokens=count_tokens(prompt_text) + count_tokens(tool_text) + 4 * len(texts) + 3,
        cache_prefix_tokens=count_tokens("\n".join(texts[:-1])) + count_tokens(tool_text),
        cache_prefix_key=_cache_key(model, [items[:-1], body.get("instructions"), body.get("tools")])
        if len(items) > 1 or body.get("instructions") else "",
        has_tool_results=results > 0, tool_result_count=results, tools=tools,
        forced_tool=forced if tools else None, response_format=fmt.get("type") if fmt.get("type") in ("json_schema", "json_object") else None,
        response_schema=schema, thinking=bool((body.get("reasoning") or {}).get("effort")),
        max_tokens=body.get("max_output_tokens"), body=body,
    )


# -- chat completions out -----------------------------------------------------------------------

def _usage_chat(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens, "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }


def _finish(answer: Answer) -> str:
    if answer.stop_reason in ("stop", "length", "tool_calls", "content_filter"):
        return answer.stop_reason
    if answer.truncated:
        return "length"
    return "tool_calls" if answer.tool_calls else "stop"


def _args(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else DUMPS(arguments)


def render_chat(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    call_ids = [c.id or ids.call() for c in answer.tool_calls]
    choices = []
    for index in range(view.n):
        message: dict[str, Any] = {"role": "assistant", "content": answer.text if answer.refusal is None else None,
                                   "refusal": answer.refusal, "annotations": []}
        if answer.tool_calls:
            message["tool_calls"] = [
                {"id": cid, "type": "function", "function": {"name": c.name, "arguments": _args(c.arguments)}}
                for cid, c in zip(call_ids, answer.tool_calls, strict=True)
            ]
        choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": _finish(answer)})
    return {
        "id": ids.chatcmpl(), "object": "chat.completion", "created": created,
        "model": answer.model or view.model, "choices": choices, "usage": _usage_chat(usage),
        "service_tier": "default", "system_fingerprint": ids.fingerprint(),
    }


def stream_chat(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int) -> Sse:
    """The SSE chunks of a streamed chat completion, as the API sends them."""
    sse = Sse()
    base = {"id": ids.chatcmpl(), "object": "chat.completion.chunk", "created": created,
            "model": answer.model or view.model, "service_tier": "default",
            "system_fingerprint": ids.fingerprint()}
    with_usage = view.include_usage
    # every chunk shares its head: encode it once, then only the choices per chunk
    head = b"data: " + DUMPS(base)[:-1].encode() + b',"choices":['
    tail = b'],"usage":null,"obfuscation":"' if with_usage else b'],"obfuscation":"'

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, tokens: int = 0) -> None:
        if finish is None and len(delta) == 1 and "content" in delta:  # the hot path: one text piece
            choice = b'{"index":%d,"delta":{"content":%s},"logprobs":null,"finish_reason":null}' % (
                index, _json_str(delta["content"]).encode())
        else:
            choice = DUMPS({"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}).encode()
        sse.raw(head + choice + tail + ids.obfuscation(4).encode() + b'"}\n\n', tokens)

    call_ids = [c.id or ids.call() for c in answer.tool_calls]
    per_choice: list[list[tuple[dict[str, Any], str | None, int]]] = []
    for _ in range(view.n):
        steps: list[tuple[dict[str, Any], str | None, int]] = []
        if answer.refusal is not None:
            steps.append(({"role": "assistant", "content": None, "refusal": ""}, None, 0))
            steps += [({"refusal": p}, None, count_tokens(p)) for p in split_pieces(answer.refusal)]
        else:
            first = "" if answer.text is not None or not answer.tool_calls else None
            steps.append(({"role": "assistant", "content": first, "refusal": None}, None, 0))
            steps += [({"content": p}, None, count_tokens(p)) for p in split_pieces(answer.text or "")]
        for n, (cid, call) in enumerate(zip(call_ids, answer.tool_calls, strict=True)):
            steps.append(({"tool_calls": [{"index": n, "id": cid, "type": "function",
                                           "function": {"name": call.name, "arguments": ""}}]}, None, 1))
            steps += [({"tool_calls": [{"index": n, "function": {"arguments": p}}]}, None, count_tokens(p))
                      for p in split_fixed(_args(call.arguments))]
        steps.append(({}, _finish(answer), 0))
        per_choice.append(steps)
    # the API interleaves the choices of n > 1 position by position
    for position in range(max(len(steps) for steps in per_choice)):
        for index, steps in enumerate(per_choice):
            if position < len(steps):
                delta, finish, tokens = steps[position]
                chunk(index, delta, finish, tokens)
    if with_usage:
        sse.data({**base, "choices": [], "usage": _usage_chat(usage), "obfuscation": ids.obfuscation(4)})
    sse.raw(b"data: [DONE]\n\n")
    return sse


# -- responses API out --------------------------------------------------------------------------

def _usage_responses(u: Usage) -> dict[str, Any]:
    return {"input_tokens": u.input_tokens, "input_tokens_details": {"cached_tokens": u.cached_tokens},
            "output_tokens": u.output_tokens, "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": u.input_tokens + u.output_tokens}


def _echo_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """Tools as the API echoes them: strict by default, strict schemas closed."""
    out = {**tool, "strict": tool.get("strict", True)}
    params = out.get("parameters")
    if out["strict"] and isinstance(params, dict) and params.get("type") == "object":
        out["parameters"] = {**params, "additionalProperties": params.get("additionalProperties", False)}
    return out


def _response_shell(view: RequestView, answer: Answer, rid: str, created: int) -> dict[str, Any]:
    body = view.body
    fmt = (body.get("text") or {}).get("format") or {"type": "text"}
    if fmt.get("type") == "json_schema":
        fmt = {"type": "json_schema", "description": fmt.get("description"), "name": fmt.get("name"),
               "schema": fmt.get("schema"), "strict": fmt.get("strict", False)}
    tools = [_echo_tool(t) for t in body.get("tools") or []]
    return {
        "id": rid, "object": "response", "created_at": created, "status": "in_progress",
        "background": False, "completed_at": None, "error": None, "frequency_penalty": 0.0,
        "incomplete_details": None, "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": None,
        "model": answer.model or view.model, "output": [], "parallel_tool_calls": True,
        "presence_penalty": 0.0, "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": None, "prompt_cache_retention": "in_memory",
        "reasoning": {"context": None, "effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
        "safety_identifier": None, "service_tier": "default", "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0), "text": {"format": fmt, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"), "tools": tools, "top_logprobs": 0,
        "top_p": body.get("top_p", 1.0), "truncation": "disabled", "usage": None, "user": None,
        "metadata": body.get("metadata") or {},
    }


def _output_items(answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.thinking:
        items.append({"id": ids.item("rs"), "type": "reasoning",
                      "summary": [{"type": "summary_text", "text": answer.thinking}]})
    if answer.refusal is not None:
        items.append({"id": ids.item("msg"), "type": "message", "status": "completed",
                      "content": [{"type": "refusal", "refusal": answer.refusal}], "role": "assistant"})
    elif answer.text is not None:
        items.append({"id": ids.item("msg"), "type": "message", "status": "completed",
                      "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": answer.text}],
                      "role": "assistant"})
    for call in answer.tool_calls:
        items.append({"id": ids.item("fc"), "type": "function_call", "status": "completed",
                      "arguments": _args(call.arguments), "call_id": call.id or ids.call(), "name": call.name})
    return items


def render_responses(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int) -> dict[str, Any]:
    """A completed ``response`` object."""
    out = _response_shell(view, answer, ids.response(), created)
    out.update(status="completed", completed_at=created + 1, output=_output_items(answer, ids),
               usage=_usage_responses(usage))
    if answer.truncated:
        out.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    return out


def stream_responses(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int) -> Sse:
    """The Responses API event sequence."""
    sse = Sse()
    seq = 0

    def emit(name: str, payload: dict[str, Any], tokens: int = 0) -> None:
        nonlocal seq
        sse.named(name, {"type": name, **payload, "sequence_number": seq}, tokens)
        seq += 1

    shell = _response_shell(view, answer, ids.response(), created)
    emit("response.created", {"response": shell})
    emit("response.in_progress", {"response": shell})
    items = _output_items(answer, ids)
    for oi, item in enumerate(items):
        iid = item["id"]
        if item["type"] == "reasoning":
            emit("response.output_item.added", {"item": {**item, "summary": []}, "output_index": oi})
            text = item["summary"][0]["text"]
            part = {"type": "summary_text", "text": ""}
            emit("response.reasoning_summary_part.added",
                 {"item_id": iid, "output_index": oi, "part": part, "summary_index": 0})
            for piece in split_pieces(text):
                emit("response.reasoning_summary_text.delta", {"delta": piece, "item_id": iid, "output_index": oi,
                                                               "summary_index": 0, "obfuscation": ids.obfuscation(4)},
                     count_tokens(piece))
            emit("response.reasoning_summary_text.done",
                 {"item_id": iid, "output_index": oi, "summary_index": 0, "text": text})
            emit("response.reasoning_summary_part.done", {"item_id": iid, "output_index": oi,
                                                          "part": {"type": "summary_text", "text": text},
                                                          "summary_index": 0})
        elif item["type"] == "message":
            part = item["content"][0]
            emit("response.output_item.added",
                 {"item": {**item, "status": "in_progress", "content": []}, "output_index": oi})
            kind = part["type"]
            empty = {**part, kind if kind == "refusal" else "text": ""}
            emit("response.content_part.added", {"content_index": 0, "item_id": iid, "output_index": oi, "part": empty})
            full = part["refusal"] if kind == "refusal" else part["text"]
            delta_name = "response.refusal.delta" if kind == "refusal" else "response.output_text.delta"
            for piece in split_pieces(full):
                extra = {} if kind == "refusal" else {"logprobs": [], "obfuscation": ids.obfuscation(4)}
                emit(delta_name, {"content_index": 0, "delta": piece, "item_id": iid, **extra, "output_index": oi},
                     count_tokens(piece))
            if kind == "refusal":
                emit("response.refusal.done", {"content_index": 0, "item_id": iid, "output_index": oi, "refusal": full})
            else:
                emit("response.output_text.done", {"content_index": 0, "item_id": iid, "logprobs": [],
                                                   "output_index": oi, "text": full})
            emit("response.content_part.done", {"content_index": 0, "item_id": iid, "output_index": oi, "part": part})
        else:
            emit("response.output_item.added",
                 {"item": {**item, "status": "in_progress", "arguments": ""}, "output_index": oi}, 1)
            for piece in split_fixed(item["arguments"]):
                emit("response.function_call_arguments.delta",
                     {"delta": piece, "item_id": iid, "obfuscation": ids.obfuscation(4), "output_index": oi},
                     count_tokens(piece))
            emit("response.function_call_arguments.done",
                 {"arguments": item["arguments"], "item_id": iid, "output_index": oi})
        emit("response.output_item.done", {"item": item, "output_index": oi})
    final = {**shell, "status": "completed", "completed_at": created + 1, "output": items,
             "usage": _usage_responses(usage)}
    if answer.truncated:
        final.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        emit("response.incomplete", {"response": final})
    else:
        emit("response.completed", {"response": final})
    return sse


# -- models -------------------------------------------------------------------------------------

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3-mini", "o4-mini",
                  "gpt-5", "gpt-5-mini")


def models_list(models: list[str]) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(m) for m in models]}


def model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1715367049, "owned_by": "system"}
