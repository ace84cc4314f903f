"""A scripted provider for ReasoningAgent tests: real wire payloads, chosen by what is asked.

An agent run makes three kinds of inner call, and each request says which one it is: the
reasoning step asks for structured output, the argument prediction offers exactly one tool,
the final answer is plain chat. ``AgentWire`` answers each kind from a script, in the
provider's real JSON or SSE shape (whichever the request asked for), with fixed usage per kind,
so tests can check that token totals add up exactly. It imports no OpenTelemetry SDK (a test
runs it in a subprocess to prove the agent alone never loads it):
``from tests.sik_llms.agent.conftest import AgentWire, step``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2

from sik_llms.telemetry import names as n
from sik_llms.transport import use_transport

#: The agent span's children on the guide's trip (flights, then a hotel, then the answer).
TRIP_CHILDREN = [
    "reasoning.thinking.iteration_1",
    "reasoning.tool.search_flights",
    "reasoning.thinking.iteration_2",
    "reasoning.tool.search_hotels",
    "reasoning.thinking.iteration_3",
    n.SPAN_FINAL_ANSWER,
]

# (input, output) tokens per kind of call
USAGE = {"step": (100, 20), "tool": (60, 10), "final": (80, 30)}


def step(thought: str, action: str, tool: str | None = None) -> dict[str, Any]:
    """A ReasoningStep as the model would return it."""
    return {"thought": thought, "next_action": action, "tool_name": tool}


@dataclass
class AgentWire:
    """Answers an agent's inner calls. ``steps`` items are dicts (valid steps) or raw strings."""

    steps: list[Any]
    tool_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    final: str = "Here is your plan."
    provider: str = "openai"
    calls: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    # ------------------------------------------------------------------ transport

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.read() or b"{}")
        self.bodies.append(body)
        if self.provider == "anthropic":
            return self._anthropic(body)
        return self._openai(body)

    async def ahandle(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return self.handle(request)

    @contextmanager
    def installed(self) -> Iterator[AgentWire]:
        with use_transport(
            sync=httpx2.MockTransport(self.handle), async_=httpx2.MockTransport(self.ahandle)
        ):
            yield self

    # ------------------------------------------------------------------ script

    def _next_step(self) -> Any:
        self.calls.append("step")
        if not self.steps:
            raise AssertionError("the agent asked for more reasoning steps than scripted")
        item = self.steps.pop(0)
        return item if isinstance(item, str) else json.dumps(item)

    def _tool(self, name: str) -> dict[str, Any]:
        self.calls.append(f"tool:{name}")
        return self.tool_args.get(name, {})

    # ------------------------------------------------------------------ OpenAI chat completions

    def _openai(self, body: dict[str, Any]) -> httpx2.Response:
        stream = bool(body.get("stream"))
        if body.get("response_format"):
            usage = USAGE["step"]
            message: dict[str, Any] = {
                "role": "assistant",
                "content": self._next_step(),
                "refusal": None,
            }
            finish = "stop"
        elif body.get("tools"):
            usage = USAGE["tool"]
            name = body["tools"][0]["function"]["name"]
            call = {
                "id": f"call_{len(self.calls)}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(self._tool(name))},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}
            finish = "tool_calls"
        else:
            self.calls.append("final")
            usage = USAGE["final"]
            message = {"role": "assistant", "content": self.final, "refusal": None}
            finish = "stop"
        usage_json = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
        base = {
            "id": f"chatcmpl-{len(self.calls)}",
            "created": 1700000000,
            "model": "gpt-4o-mini-2024-07-18",
        }
        if not stream:
            payload = {
                **base,
                "object": "chat.completion",
                "usage": usage_json,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
            }
            return _unread(json.dumps(payload).encode(), "application/json")
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [
            {
                **chunk,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "finish_reason": None,
                    }
                ],
            }
        ]
        if message.get("tool_calls"):
            call = message["tool_calls"][0]
            events.append(
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": None,
                            "delta": {
                                "tool_calls": [
                                    {
                                        "index": 0,
                                        "id": call["id"],
                                        "type": "function",
                                        "function": {
                                            "name": call["function"]["name"],
                                            "arguments": "",
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                }
            )
            events.append(
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": None,
                            "delta": {
                                "tool_calls": [
                                    {
                                        "index": 0,
                                        "function": {"arguments": call["function"]["arguments"]},
                                    }
                                ]
                            },
                        }
                    ],
                }
            )
        else:
            text = message["content"]
            for piece in _pieces(text):
                events.append(
                    {
                        **chunk,
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                )
        events.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        events.append({**chunk, "choices": [], "usage": usage_json})
        sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return _unread(sse.encode(), "text/event-stream")

    # ------------------------------------------------------------------ Anthropic messages

    def _anthropic(self, body: dict[str, Any]) -> httpx2.Response:
        tools = body.get("tools") or []
        if _is_structured_anthropic(body):
            usage = USAGE["step"]
            raw = self._next_step()
            try:
                block: dict[str, Any] = {
                    "type": "tool_use",
                    "id": f"toolu_{len(self.calls)}",
                    "name": tools[0]["name"] if tools else "ReasoningStep",
                    "input": json.loads(raw),
                }
            except json.JSONDecodeError:
                block = {
                    "type": "tool_use",
                    "id": f"toolu_{len(self.calls)}",
                    "name": tools[0]["name"] if tools else "ReasoningStep",
                    "input": {"garbage": raw},
                }
            if not tools:  # native structured output: JSON text
                block = {"type": "text", "text": raw}
            stop = "tool_use" if block["type"] == "tool_use" else "end_turn"
        elif tools:
            usage = USAGE["tool"]
            name = tools[0]["name"]
            block = {
                "type": "tool_use",
                "id": f"toolu_{len(self.calls)}",
                "name": name,
                "input": self._tool(name),
            }
            stop = "tool_use"
        else:
            self.calls.append("final")
            usage = USAGE["final"]
            block = {"type": "text", "text": self.final}
            stop = "end_turn"
        model = body.get("model", "claude-sonnet-4-6")
        msg_usage = {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        }
        msg_id = f"msg_{len(self.calls)}"
        if not body.get("stream"):
            payload = {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [block],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": msg_usage,
            }
            return _unread(json.dumps(payload).encode(), "application/json")
        events: list[tuple[str, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": msg_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {**msg_usage, "output_tokens": 1},
                    },
                },
            ),
        ]
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for piece in _pieces(block["text"]):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                )
        else:
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {
                            "type": "tool_use",
                            "id": block["id"],
                            "name": block["name"],
                            "input": {},
                        },
                    },
                )
            )
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {
                            "type": "input_json_delta",
                            "partial_json": json.dumps(block["input"]),
                        },
                    },
                )
            )
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage[1]},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        sse = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
        return _unread(sse.encode(), "text/event-stream")


def _unread(body: bytes, content_type: str) -> httpx2.Response:
    """A response whose body is still to be read, as from the network (``content=`` would be
    read eagerly, so the client could never be seen closing it)."""
    return httpx2.Response(
        200, stream=httpx2.ByteStream(body), headers={"content-type": content_type}
    )


def _is_structured_anthropic(body: dict[str, Any]) -> bool:
    """Structured output on Anthropic: a forced tool whose schema is the ReasoningStep's."""
    tools = body.get("tools") or []
    if body.get("output_format"):
        return True
    return len(tools) == 1 and "next_action" in json.dumps(tools[0].get("input_schema", {}))


def _pieces(text: str, n: int = 3) -> list[str]:
    size = max(1, len(text) // n)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def trip_wire(provider: str = "openai", hotel_args: dict[str, Any] | None = None) -> AgentWire:
    """The guide's trip, short: search flights to Lisbon, then a hotel, then answer."""
    return AgentWire(
        provider=provider,
        steps=[
            step("Flights first.", "use_tool", "search_flights"),
            step("Then a hotel.", "use_tool", "search_hotels"),
            step("Ready.", "finished"),
        ],
        tool_args={
            "search_flights": {"destination": "Lisbon", "date": "2025-06-06"},
            "search_hotels": hotel_args
            if hotel_args is not None
            else {"city": "Lisbon", "nights": 2},
        },
        final="Fly TP1350, stay at Casa Lisboa.",
    )
