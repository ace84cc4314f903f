"""Request -> Reply: routing, auth, validation, scenario or cassette, faults, latency, headers.

This is the simulator's brain and it does no I/O: ``SimulatorApp.plan`` is handed a parsed HTTP
request and returns the ``Reply`` the server must send. Everything it decides is deterministic
given the seed and the order of requests. The rejections (unknown URL, bad key, unknown model,
body not JSON) are worded in ``rejections``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.simulator import anthropic_request, anthropic_wire, openai_wire, validation
from harness.simulator.cassette import CassetteError, CassetteMiss, CassetteServer
from harness.simulator.default_answer import default_answer
from harness.simulator.errors import anthropic_error, openai_error
from harness.simulator.families import third_party_model
from harness.simulator.faults import Fault, FaultInjector, FaultKind
from harness.simulator.httpserver import HttpRequest
from harness.simulator.ids import IdMaker
from harness.simulator.latency import Latency
from harness.simulator.model import Answer, ErrorSpec, RequestView, WireError
from harness.simulator.openai_wire import DUMPS, Sse
from harness.simulator.rejections import (
    api_key,
    auth_error,
    json_body,
    model_not_found,
    unknown_route,
)
from harness.simulator.reply import Reply
from harness.simulator.routes import Route, describe_routes, route
from harness.simulator.scenario import Rule, Scenario
from harness.simulator.usage import PromptCache

ROUTES = describe_routes()
_VIEWS = {
    "chat.completions": openai_wire.view_chat,
    "responses": openai_wire.view_responses,
    "messages": anthropic_request.view_messages,
}
_OPENAI_JSON = [("content-type", "application/json")]
_SSE_TYPE = "text/event-stream; charset=utf-8"


@dataclass
class ReceivedRequest:
    """A request the simulator received (``Simulator.requests``), for assertions in tests."""

    ordinal: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    provider: str
    api: str
    status: int = 0
    fault: str | None = None
    rule: str | None = None

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class _RateWindow:
    """Remaining-requests bookkeeping for the x-ratelimit / anthropic-ratelimit headers."""

    limit: int = 10000
    token_limit: int = 2_000_000
    start: float = field(default_factory=time.monotonic)
    used: int = 0
    tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, tokens: int) -> tuple[int, int, float]:
        with self.lock:
            now = time.monotonic()
            if now - self.start >= 60:
                self.start, self.used, self.tokens = now, 0, 0
            self.used += 1
            self.tokens += tokens
            return (
                max(self.limit - self.used, 0),
                max(self.token_limit - self.tokens, 0),
                60 - (now - self.start),
            )


def _stream_error(provider: str, request_id: str) -> bytes:
    """The error event a provider sends when it fails after the stream started (HTTP 200)."""
    if provider == "anthropic":
        payload = {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": request_id,
        }
        return b"event: error\ndata: " + DUMPS(payload).encode() + b"\n\n"
    payload = openai_error(500)
    return b"data: " + DUMPS(payload).encode() + b"\n\n"


def _malformed(provider: str) -> bytes:
    if provider == "anthropic":
        return b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n'
    return b'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"con\n\n'


class SimulatorApp:
    """Plans replies from a scenario (or a cassette), with faults and latency."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        cassette: CassetteServer | None = None,
        latency: Latency | None = None,
        faults: FaultInjector | None = None,
        seed: int = 0,
        keep_requests: int = 100_000,
    ) -> None:
        self.scenario = scenario or Scenario()
        self.cassette = cassette
        self.latency = latency
        self.faults = faults or FaultInjector(seed=seed)
        self.seed = seed
        #: the most recent requests (bounded, so a long load run cannot grow memory without end)
        self.requests: deque[ReceivedRequest] = deque(maxlen=keep_requests)
        self.cache = PromptCache()
        self._rate = _RateWindow()
        self._counter = 0
        self._lock = threading.Lock()

    # -- entry point ----------------------------------------------------------------------------
    def plan(self, request: HttpRequest) -> Reply:
        with self._lock:
            self._counter += 1
            ordinal = self._counter
        where = route(request.method, request.path, request.headers)
        provider, api = where.provider, where.api
        record = ReceivedRequest(
            ordinal,
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            provider,
            api,
        )
        self.requests.append(record)
        ids = IdMaker(self.seed, ordinal)
        try:
            reply = self._plan(request, record, ids, where)
        except WireError as err:
            reply = self.error_reply(
                provider, ErrorSpec(err.status, err.message, err.type, err.code, err.param), ids
            )
        except (CassetteError, CassetteMiss) as err:
            reply = self.error_reply(provider, ErrorSpec(404, str(err), "cassette_miss"), ids)
        except Exception as err:  # a bug must surface as an answer, not a dead connection
            reply = self.error_reply(
                provider, ErrorSpec(500, f"simulator bug: {type(err).__name__}: {err}"), ids
            )
        record.status = reply.status
        return reply

    def _plan(
        self, request: HttpRequest, record: ReceivedRequest, ids: IdMaker, where: Route
    ) -> Reply:
        provider, api = record.provider, record.api
        if api == "health":
            body = DUMPS({"status": "ok", "simulator": "sik-llms", "routes": ROUTES}).encode()
            return Reply(200, list(_OPENAI_JSON), body)
        if api == "unknown" or (api == "models") != (request.method == "GET"):
            return self.error_reply(
                provider, unknown_route(provider, request.method, request.path, ROUTES), ids
            )
        key = api_key(request, provider)
        if not self.scenario.key_ok(key):
            return self.error_reply(provider, auth_error(provider, key), ids)
        if api == "models":
            return self._models(where, provider, ids)
        if api == "count_tokens":
            view = anthropic_request.view_messages(
                {"max_tokens": 1, **json_body(request, provider)}
            )
            return Reply(
                200,
                self._headers(provider, ids, False, 0),
                DUMPS({"input_tokens": view.prompt_tokens}).encode(),
            )
        fault = self.faults.pick(provider) if self.faults.active else None
        if self.cassette is not None:
            reply = self._from_cassette(request, record, ids)
            return self._apply_fault(reply, fault, provider, ids, record) if fault else reply
        try:
            body = json_body(request, provider)
            if where.deployment and "model" not in body:  # Azure: the deployment names the model
                body["model"] = where.deployment
            view = _VIEWS[api](body)  # the required-field checks come first, as in the real APIs
            if where.flavor == "official" and third_party_model(view.model):
                where = replace(where, flavor="compatible")  # a vLLM / Ollama / Groq server on /v1
            self._validate(api, body, where)
        except (
            WireError
        ) as err:  # an overloaded or hanging server fails before it validates anything
            reply = self.error_reply(
                provider, ErrorSpec(err.status, err.message, err.type, err.code, err.param), ids
            )
            return self._apply_fault(reply, fault, provider, ids, record) if fault else reply
        view.flavor = where.flavor
        if self.scenario.models is not None and view.model not in self.scenario.models:
            return self.error_reply(provider, model_not_found(provider, view.model, api), ids)
        rule = self.scenario.select(view)
        record.rule = rule.name if rule else None
        if fault is None and rule is not None and rule.fault is not None:
            in_first = rule.fault.first is None or rule.seen <= rule.fault.first
            if in_first and self.faults.chance(rule.fault.probability):
                fault = rule.fault.fault
        if rule is not None and rule.error() is not None:
            reply = self.error_reply(provider, rule.error(), ids)  # type: ignore[arg-type]
        else:
            reply = self._answer(view, rule, ids, record.ordinal)
        return self._apply_fault(reply, fault, provider, ids, record) if fault else reply

    def _validate(self, api: str, body: dict[str, Any], where: Route) -> None:
        """The real APIs' request checks (``validation``), as far as the scenario keeps them on."""
        checks = self.scenario.validate
        if (
            where.flavor == "compatible"
        ):  # other servers, other model families: only the message shapes hold
            checks = validation.Validation(messages=checks.messages, parameters=False, models=False)
        model = body.get("model")
        if api == "messages" and all(k in body for k in ("model", "max_tokens", "messages")):
            validation.check_anthropic(body, checks)
        if not isinstance(model, str) or not model:
            return  # the view reports the missing model the way the API does
        if checks.models and where.validates_models and self.scenario.models is None:
            validation.check_model(where.provider, api, model)
        if api == "chat.completions":
            validation.check_openai_chat(body, model, checks)
        elif api == "responses":
            validation.check_openai_responses(body, model, checks)

    # -- answers -------------------------------------------------------------------------------
    def _latency_for(self, rule: Rule | None) -> Latency | None:
        if rule is not None and rule.latency is not None:
            return rule.latency
        return self.latency or self.scenario.latency

    def _answer(self, view: RequestView, rule: Rule | None, ids: IdMaker, ordinal: int) -> Reply:
        answer: Answer | None = rule.answer(view) if rule else None
        if answer is None:
            answer = default_answer(view, self.seed + self.scenario.seed)
            if rule is not None:
                answer = rule.overlay(answer)
        usage = self.cache.usage(view, answer)
        created = 1_735_689_600 + ordinal  # fixed epoch: reproducible bodies
        latency = self._latency_for(rule)
        headers = self._headers(
            view.provider, ids, view.stream, view.prompt_tokens + usage.output_tokens
        )
        if view.stream:
            sse: Sse
            if view.api == "chat.completions":
                sse = openai_wire.stream_chat(view, answer, usage, ids, created)
            elif view.api == "responses":
                sse = openai_wire.stream_responses(view, answer, usage, ids, created)
            else:
                sse = anthropic_wire.stream_messages(view, answer, usage, ids)
            delays = (
                latency.schedule(sse.tokens, ordinal) if latency and not latency.is_zero else None
            )
            return Reply(200, headers, events=sse.events, delays=delays)
        if view.api == "chat.completions":
            obj = openai_wire.render_chat(view, answer, usage, ids, created)
        elif view.api == "responses":
            obj = openai_wire.render_responses(view, answer, usage, ids, created)
        else:
            obj = anthropic_wire.render_messages(view, answer, usage, ids)
        delays = (
            [latency.total(usage.output_tokens, ordinal)]
            if latency and not latency.is_zero
            else None
        )
        return Reply(200, headers, DUMPS(obj).encode(), delays=delays)

    def _from_cassette(self, request: HttpRequest, record: ReceivedRequest, ids: IdMaker) -> Reply:
        assert self.cassette is not None
        found = self.cassette.find(request.method, request.path, request.query, request.body)
        record.rule = f"cassette:{found.interaction.index}"
        headers = list(found.headers)
        names = {k.lower() for k, _ in headers}
        if "x-request-id" not in names and "request-id" not in names:
            headers.append(
                (
                    "x-request-id" if record.provider == "openai" else "request-id",
                    ids.openai_request()
                    if record.provider == "openai"
                    else ids.anthropic_request(),
                )
            )
        latency = self.latency or self.scenario.latency
        if found.streamed and found.status < 400:
            events = found.events()
            delays = (
                latency.schedule([1] * len(events), record.ordinal)
                if latency and not latency.is_zero
                else None
            )
            return Reply(found.status, headers, events=events, delays=delays)
        delays = [latency.total(1, record.ordinal)] if latency and not latency.is_zero else None
        return Reply(found.status, headers, found.content, delays=delays)

    def _models(self, where: Route, provider: str, ids: IdMaker) -> Reply:
        wire = openai_wire if provider == "openai" else anthropic_wire
        models = self.scenario.models or list(wire.DEFAULT_MODELS)
        if where.model_id is not None:
            model = where.model_id
            if model not in models and self.scenario.models is not None:
                return self.error_reply(provider, model_not_found(provider, model), ids)
            obj = wire.model_object(model)
        else:
            obj = wire.models_list(models)
        return Reply(200, self._headers(provider, ids, False, 0), DUMPS(obj).encode())

    # -- errors, headers -------------------------------------------------------------------
    def error_reply(self, provider: str, spec: ErrorSpec, ids: IdMaker) -> Reply:
        status = spec.status
        if provider == "openai":
            if status == 529:  # OpenAI has no 529: its overload answer is a 503
                status = 503
            code = None if spec.code == "" else spec.code
            obj = openai_error(status, spec.message, spec.type, code, spec.param)
            if spec.code == "":
                obj["error"]["code"] = None
        else:
            obj = anthropic_error(status, ids.anthropic_request(), spec.message, spec.type)
        headers = self._headers(provider, ids, False, 0)
        if spec.retry_after is not None:
            headers.append(("retry-after", f"{spec.retry_after:g}"))
            if provider == "openai":
                headers.append(("retry-after-ms", str(int(spec.retry_after * 1000))))
        if provider == "anthropic":  # the API tells the SDK whether a retry can help
            headers.append(
                (
                    "x-should-retry",
                    "true" if status in (408, 409, 429) or status >= 500 else "false",
                )
            )
        return Reply(status, headers, DUMPS(obj).encode())

    def _headers(
        self, provider: str, ids: IdMaker, stream: bool, tokens: int
    ) -> list[tuple[str, str]]:
        remaining, remaining_tokens, reset = self._rate.take(tokens)
        ctype = _SSE_TYPE if stream else "application/json"
        if provider == "openai":
            return [
                ("content-type", ctype),
                ("x-request-id", ids.openai_request()),
                ("openai-processing-ms", "1"),
                ("openai-version", "2020-10-01"),
                ("openai-organization", "sik-llms-simulator"),
                ("x-ratelimit-limit-requests", str(self._rate.limit)),
                ("x-ratelimit-limit-tokens", str(self._rate.token_limit)),
                ("x-ratelimit-remaining-requests", str(remaining)),
                ("x-ratelimit-remaining-tokens", str(remaining_tokens)),
                ("x-ratelimit-reset-requests", f"{reset:.3f}s"),
                ("x-ratelimit-reset-tokens", "0s"),
            ]
        reset_at = (datetime.now(UTC) + timedelta(seconds=reset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            ("content-type", ctype),
            ("request-id", ids.anthropic_request()),
            ("anthropic-organization-id", "00000000-0000-4000-8000-000000000000"),
            ("anthropic-ratelimit-requests-limit", str(self._rate.limit)),
            ("anthropic-ratelimit-requests-remaining", str(remaining)),
            ("anthropic-ratelimit-requests-reset", reset_at),
            ("anthropic-ratelimit-tokens-limit", str(self._rate.token_limit)),
            ("anthropic-ratelimit-tokens-remaining", str(remaining_tokens)),
            ("anthropic-ratelimit-tokens-reset", reset_at),
            ("anthropic-ratelimit-input-tokens-limit", str(self._rate.token_limit)),
            ("anthropic-ratelimit-input-tokens-remaining", str(remaining_tokens)),
            ("anthropic-ratelimit-input-tokens-reset", reset_at),
            ("anthropic-ratelimit-output-tokens-limit", str(self._rate.token_limit // 5)),
            ("anthropic-ratelimit-output-tokens-remaining", str(self._rate.token_limit // 5)),
            ("anthropic-ratelimit-output-tokens-reset", reset_at),
        ]

    # -- faults -----------------------------------------------------------------------------------
    def _apply_fault(
        self, reply: Reply, fault: Fault, provider: str, ids: IdMaker, record: ReceivedRequest
    ) -> Reply:
        record.fault = fault.kind.value
        if fault.is_status:
            return self.error_reply(
                provider, ErrorSpec(fault.status, fault.message, retry_after=fault.retry_after), ids
            )
        if fault.kind is FaultKind.DISCONNECT:
            reply.disconnect_after = (
                fault.after_events if reply.events is not None else len(reply.body) // 2
            )
        elif fault.kind is FaultKind.MALFORMED:
            if reply.events is not None:
                at = min(fault.after_events, len(reply.events) - 1)
                reply.events = [*reply.events[:at], _malformed(provider), *reply.events[at + 1 :]]
            else:
                reply.body = reply.body[: max(len(reply.body) // 2, 1)]
        elif fault.kind is FaultKind.STREAM_ERROR:
            if reply.events is None:  # a JSON answer cannot fail half way: the API answers 500
                return self.error_reply(provider, ErrorSpec(500, fault.message), ids)
            at = min(fault.after_events, len(reply.events))
            reply.events = [*reply.events[:at], _stream_error(provider, ids.anthropic_request())]
        elif fault.kind is FaultKind.SLOW:
            reply.trickle_delay, reply.trickle_size = fault.chunk_delay, fault.chunk_size
        elif fault.kind is FaultKind.HANG:
            reply.hang = fault.hang_max
        return reply
