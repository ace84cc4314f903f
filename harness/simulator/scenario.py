"""Deterministic scenarios: readable YAML rules that match requests and script answers.

A scenario file looks like::

    name: travel-agent
    auth: {check: true, keys: [sk-test]}      # optional: 401 for missing / wrong keys
    latency: {ttft: 0.2, tps: 40, jitter: 0.1, seed: 1}   # optional default latency
    rules:
      - name: plan flights first
        match: {provider: openai, last_user: flight, tool_results: 0, tools_offered: [search_flights]}
        reply:
          tool_calls: [{name: search_flights, arguments: {origin: NYC, destination: SFO}}]
      - match: {has_tool_results: true}
        reply: {text: "Booked!", usage: {cached_tokens: 128}}
      - match: {model: "claude-*"}
        times: 2                     # only the first two matching requests
        reply: {error: {status: 529}}

Rules are tried in order; the first whose ``match`` holds (and whose ``nth`` / ``times`` allow
it) answers. A reply with no text, tool calls, json, refusal or web_search gets the default
answer (``default_answer``: what a model does: calls offered tools, reasons, fits the limit),
with the reply's other fields (usage, thinking, model, stop_reason, effort) laid over it;
``stop_reason: length`` forces a truncated answer. More reply keys: ``tool_calls[].type: custom``
(an OpenAI custom-tool call whose ``arguments`` is the input string), ``web_search: "query"``
(a built-in search with a cited answer), ``effort`` (the reported reasoning effort).

``validate: false`` (or ``{messages: false, parameters: false, models: false}``) turns off the
real APIs' request checks (``validation``); a ``models:`` list replaces the name check.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.simulator.faults import FaultRule, fault_rule_from_dict
from harness.simulator.latency import Latency
from harness.simulator.model import (
    Answer,
    Citation,
    ErrorSpec,
    RequestView,
    ServerToolUse,
    ToolCall,
)
from harness.simulator.validation import Validation

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

_TOP_KEYS = {"name", "description", "auth", "latency", "models", "seed", "rules", "validate"}
_RULE_KEYS = {"name", "match", "reply", "nth", "times", "fault", "latency"}
_MATCH_KEYS = {
    "provider",
    "api",
    "model",
    "last_user",
    "last_user_regex",
    "has_tool_results",
    "tool_results",
    "tools_offered",
    "response_format",
    "stream",
    "thinking",
}
_REPLY_KEYS = {
    "text",
    "thinking",
    "tool_calls",
    "json",
    "refusal",
    "usage",
    "stop_reason",
    "model",
    "error",
    "web_search",
    "effort",
}
_USAGE_KEYS = {
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cache_creation_1h_input_tokens",
}
_ERROR_KEYS = {"status", "message", "type", "code", "param", "retry_after"}


class ScenarioError(ValueError):
    """A scenario file is malformed: the message names the file, the rule and the fix."""


def _check_keys(data: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - allowed
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return data


@dataclass
class Match:
    """Conditions on a request; unset conditions always hold."""

    provider: str | None = None
    api: str | None = None
    model: str | None = None
    last_user: str | None = None
    last_user_regex: re.Pattern[str] | None = None
    has_tool_results: bool | None = None
    tool_results: int | None = None
    tools_offered: list[str] | None = None
    response_format: bool | None = None
    stream: bool | None = None
    thinking: bool | None = None

    def holds(self, view: RequestView) -> bool:
        checks = (
            self.provider is None or self.provider in ("any", view.provider),
            self.api is None or self.api == view.api,
            self.model is None or fnmatch.fnmatchcase(view.model, self.model),
            self.last_user is None or self.last_user.lower() in view.last_user_text.lower(),
            self.last_user_regex is None or bool(self.last_user_regex.search(view.last_user_text)),
            self.has_tool_results is None or self.has_tool_results == view.has_tool_results,
            self.tool_results is None or self.tool_results == view.tool_result_count,
            self.tools_offered is None or all(t in view.tool_names for t in self.tools_offered),
            self.response_format is None
            or self.response_format == (view.response_format is not None),
            self.stream is None or self.stream == view.stream,
            self.thinking is None or self.thinking == view.thinking,
        )
        return all(checks)


@dataclass
class Rule:
    name: str
    match: Match
    reply: dict[str, Any]
    nth: int | None = None
    times: int | None = None
    fault: FaultRule | None = None
    latency: Latency | None = None
    seen: int = 0

    def answer(self, view: RequestView) -> Answer | None:
        """The scripted answer, or None when the default answer should be generated."""
        r = self.reply
        if not any(k in r for k in ("text", "tool_calls", "json", "refusal", "web_search")):
            return None
        text = r.get("text")
        if isinstance(text, str):
            text = text.replace("{last_user}", view.last_user_text).replace("{model}", view.model)
        if "json" in r:
            text = json.dumps(r["json"], separators=(",", ":"), ensure_ascii=False)
        answer = Answer(
            text=text,
            thinking=r.get("thinking"),
            refusal=r.get("refusal"),
            tool_calls=[
                ToolCall(
                    c["name"],
                    c.get("arguments", "" if c.get("type") == "custom" else {}),
                    c.get("id"),
                    c.get("type", "function"),
                )
                for c in r.get("tool_calls") or []
            ],
            usage=dict(r.get("usage") or {}),
            stop_reason=r.get("stop_reason"),
            model=r.get("model"),
            truncated=r.get("stop_reason") == "length",
            effort=r.get("effort"),
        )
        if r.get("web_search"):
            query = str(r["web_search"])
            results = [Citation("https://www.example.com/search-result", f"About {query}")]
            answer.server_tools = [ServerToolUse("web_search", query, results)]
            answer.text = answer.text or f"According to {results[0].title}, here is the answer."
            answer.citations = [Citation(results[0].url, results[0].title, 0, len(answer.text))]
        return answer

    def overlay(self, answer: Answer) -> Answer:
        """Lay the reply's side fields over a generated answer."""
        r = self.reply
        if "thinking" in r:
            answer.thinking = r["thinking"]
        answer.usage.update(r.get("usage") or {})
        answer.stop_reason = r.get("stop_reason", answer.stop_reason)
        answer.model = r.get("model", answer.model)
        answer.effort = r.get("effort", answer.effort)
        if answer.stop_reason == "length":
            answer.truncated = True
        return answer

    def error(self) -> ErrorSpec | None:
        err = self.reply.get("error")
        return ErrorSpec(**err) if err else None


@dataclass
class Scenario:
    """A named list of rules plus scenario-wide settings (auth, latency, models, seed)."""

    name: str = "default"
    description: str = ""
    rules: list[Rule] = field(default_factory=list)
    check_keys: bool = False
    keys: list[str] = field(default_factory=list)
    latency: Latency | None = None
    models: list[str] | None = None
    seed: int = 0
    source: str = "<python>"
    #: the real APIs' request checks (``validation``): all on unless the scenario turns them off
    validate: Validation = field(default_factory=Validation)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def select(self, view: RequestView) -> Rule | None:
        """The first rule that matches and whose nth/times allow it (counts are per rule)."""
        with self._lock:
            for rule in self.rules:
                if not rule.match.holds(view):
                    continue
                rule.seen += 1
                if rule.nth is not None and rule.seen != rule.nth:
                    continue
                if rule.times is not None and rule.seen > rule.times:
                    continue
                return rule
            return None

    def reset(self) -> None:
        with self._lock:
            for rule in self.rules:
                rule.seen = 0

    def key_ok(self, key: str | None) -> bool:
        if not self.check_keys:
            return True
        return bool(key) and (not self.keys or key in self.keys)

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Load a scenario file; a bare name (``travel_agent``) means a bundled scenario."""
        p = Path(path)
        if not p.exists() and not p.suffix and (SCENARIO_DIR / f"{p.name}.yaml").exists():
            p = SCENARIO_DIR / f"{p.name}.yaml"
        if not p.exists():
            bundled = ", ".join(sorted(f.stem for f in SCENARIO_DIR.glob("*.yaml")))
            raise ScenarioError(
                f"scenario file {str(path)!r} not found; give a path or a bundled name ({bundled})"
            )
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{p}: not valid YAML: {exc}") from exc
        return cls.from_dict(data or {}, source=str(p))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Scenario:
        _check_keys(data, _TOP_KEYS, source)
        auth = _check_keys(data.get("auth") or {}, {"check", "keys"}, f"{source}: auth")
        try:
            latency = (
                Latency.from_dict(data["latency"], f"{source}: latency")
                if data.get("latency")
                else None
            )
        except (TypeError, ValueError) as exc:
            raise ScenarioError(str(exc)) from exc
        raw_rules = data.get("rules") or []
        if not isinstance(raw_rules, list):
            raise ScenarioError(
                f"{source}: 'rules' must be a list of rules (each with match / reply)"
            )
        rules = [_rule(raw, f"{source}: rule {i + 1}") for i, raw in enumerate(raw_rules)]
        models = data.get("models")
        if models is not None and not (
            isinstance(models, list) and all(isinstance(m, str) for m in models)
        ):
            raise ScenarioError(f"{source}: 'models' must be a list of model names")
        try:
            checks = Validation.from_setting(data.get("validate"), source)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from exc
        return cls(
            name=str(data.get("name", Path(source).stem)),
            description=str(data.get("description", "")),
            validate=checks,
            rules=rules,
            check_keys=bool(auth.get("check", False)),
            keys=[str(k) for k in auth.get("keys") or []],
            latency=latency,
            models=models,
            seed=int(data.get("seed", 0)),
            source=source,
        )


def _rule(raw: Any, where: str) -> Rule:
    raw = _check_keys(raw, _RULE_KEYS, where)
    name = str(raw.get("name", where.rsplit(": ", 1)[-1]))
    where = f"{where} ({name})" if "name" in raw else where
    m = _check_keys(raw.get("match") or {}, _MATCH_KEYS, f"{where}: match")
    if m.get("provider") not in (None, "any", "openai", "anthropic"):
        raise ScenarioError(
            f"{where}: match.provider must be openai, anthropic or any, got {m['provider']!r}"
        )
    if m.get("api") not in (None, "chat.completions", "responses", "messages"):
        raise ScenarioError(
            f"{where}: match.api must be chat.completions, responses or messages, got {m['api']!r}"
        )
    try:
        regex = re.compile(m["last_user_regex"]) if m.get("last_user_regex") else None
    except re.error as exc:
        raise ScenarioError(f"{where}: match.last_user_regex is not a valid regex: {exc}") from exc
    offered = m.get("tools_offered")
    if isinstance(offered, str):
        offered = [offered]
    match = Match(
        provider=m.get("provider"),
        api=m.get("api"),
        model=m.get("model"),
        last_user=m.get("last_user"),
        last_user_regex=regex,
        has_tool_results=m.get("has_tool_results"),
        tool_results=m.get("tool_results"),
        tools_offered=offered,
        response_format=m.get("response_format"),
        stream=m.get("stream"),
        thinking=m.get("thinking"),
    )
    reply = _check_keys(raw.get("reply") or {}, _REPLY_KEYS, f"{where}: reply")
    _check_keys(reply.get("usage") or {}, _USAGE_KEYS, f"{where}: reply.usage")
    for i, call in enumerate(reply.get("tool_calls") or []):
        _check_keys(call, {"name", "arguments", "id", "type"}, f"{where}: reply.tool_calls[{i}]")
        if call.get("type", "function") not in ("function", "custom"):
            raise ScenarioError(f"{where}: reply.tool_calls[{i}].type must be function or custom")
        if "name" not in call:
            raise ScenarioError(f"{where}: reply.tool_calls[{i}] needs a 'name'")
        if not isinstance(call.get("arguments", {}), dict | str):
            raise ScenarioError(
                f"{where}: reply.tool_calls[{i}].arguments must be a mapping or a JSON string"
            )
    if reply.get("error") is not None:
        err = _check_keys(reply["error"], _ERROR_KEYS, f"{where}: reply.error")
        if not isinstance(err.get("status"), int) or not 400 <= err["status"] <= 599:
            raise ScenarioError(
                f"{where}: reply.error.status must be an HTTP error status (400-599)"
            )
    for key in ("nth", "times"):
        if raw.get(key) is not None and (not isinstance(raw[key], int) or raw[key] < 1):
            raise ScenarioError(f"{where}: {key} must be a positive integer")
    try:
        fault = fault_rule_from_dict(raw["fault"], f"{where}: fault") if raw.get("fault") else None
        latency = (
            Latency.from_dict(raw["latency"], f"{where}: latency") if raw.get("latency") else None
        )
    except (TypeError, ValueError) as exc:
        raise ScenarioError(str(exc)) from exc
    return Rule(
        name=name,
        match=match,
        reply=reply,
        nth=raw.get("nth"),
        times=raw.get("times"),
        fault=fault,
        latency=latency,
    )
