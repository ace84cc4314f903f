"""Scenario files: loading, validation messages, matching, nth/times, auth, default answers."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx2
import openai
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.simulator import Scenario, ScenarioError, Simulator
from harness.simulator.model import RequestView
from harness.simulator.openai_wire import view_chat
from harness.simulator.scenario import SCENARIO_DIR
from harness.simulator.schemagen import generate
from harness.simulator.tokens import count_tokens, split_pieces


def _view(text: str, **kw: Any) -> RequestView:
    body = {
        "model": kw.pop("model", "gpt-4o-mini"),
        "messages": [{"role": "user", "content": text}],
        **kw,
    }
    return view_chat(body)


def test_bundled_scenarios_load() -> None:
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
    assert {"default", "travel_agent"} <= set(names)
    for name in names:
        assert Scenario.load(name).name == name


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rulez": []}, r"unknown key\(s\) \['rulez'\]; allowed:"),
        ({"rules": [{"match": {"user": "x"}}]}, r"rule 1: match: unknown key\(s\) \['user'\]"),
        (
            {"rules": [{"name": "r", "reply": {"txt": "x"}}]},
            r"rule 1 \(r\): reply: unknown key\(s\) \['txt'\]",
        ),
        (
            {"rules": [{"match": {"provider": "google"}}]},
            "match.provider must be openai, anthropic or any",
        ),
        ({"rules": [{"match": {"last_user_regex": "("}}]}, "not a valid regex"),
        (
            {"rules": [{"reply": {"error": {"status": 200}}}]},
            r"status must be an HTTP error status",
        ),
        (
            {"rules": [{"reply": {"tool_calls": [{"arguments": {}}]}}]},
            r"tool_calls\[0\] needs a 'name'",
        ),
        ({"rules": [{"fault": {"kind": "boom"}}]}, "unknown fault kind 'boom'"),
        ({"rules": [{"nth": 0}]}, "nth must be a positive integer"),
        ({"rules": "nope"}, "'rules' must be a list"),
    ],
)
def test_bad_scenarios_say_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(data, source="my.yaml")


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found; give a path or a bundled name"):
        Scenario.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        Scenario.load(bad)


def test_matching_conditions() -> None:
    scenario = Scenario.from_dict(
        {
            "rules": [
                {"name": "claude", "match": {"model": "claude-*"}},
                {"name": "regex", "match": {"last_user_regex": r"\bflights?\b", "stream": True}},
                {"name": "json", "match": {"response_format": True}},
                {"name": "second", "match": {"last_user": "count"}, "nth": 2},
                {"name": "twice", "match": {"last_user": "twice"}, "times": 2},
            ]
        }
    )

    def pick(view: RequestView) -> str | None:
        rule = scenario.select(view)
        return rule.name if rule else None

    assert pick(_view("hello", model="claude-x")) == "claude"  # model glob
    assert pick(_view("book a flight", stream=True)) == "regex"
    assert pick(_view("book a flight")) is None
    assert pick(_view("x", response_format={"type": "json_object"})) == "json"
    assert [pick(_view("count")) for _ in range(3)] == [None, "second", None]
    assert [pick(_view("twice")) for _ in range(3)] == ["twice", "twice", None]


def test_auth_checked_when_scenario_says_so() -> None:
    scenario = {"auth": {"check": True, "keys": ["sk-good"]}}
    with Simulator(scenario=scenario) as sim:
        bad = openai.OpenAI(
            base_url=sim.openai_base_url, api_key="sk-wrong-key-1234", max_retries=0
        )
        with pytest.raises(openai.AuthenticationError) as info:
            bad.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        assert info.value.body["code"] == "invalid_api_key"  # type: ignore[index]
        good = openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-good", max_retries=0)
        assert good.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        ).choices
        with httpx2.Client() as http:
            resp = http.post(
                f"{sim.base_url}/v1/messages",
                json={"model": "c", "max_tokens": 5, "messages": []},
                headers={"anthropic-version": "2023-06-01"},
            )
        assert resp.status_code == 401
        assert resp.json()["error"] == {
            "type": "authentication_error",
            "message": "x-api-key header is required",
        }


def test_unknown_model_when_models_are_listed() -> None:
    with Simulator(scenario={"models": ["gpt-4o-mini"]}) as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            client.chat.completions.create(
                model="gpt-9", messages=[{"role": "user", "content": "hi"}]
            )
        assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]


def test_validation_errors_use_real_envelopes() -> None:
    with Simulator() as sim, httpx2.Client() as http:
        missing = http.post(
            f"{sim.openai_base_url}/chat/completions", json={"model": "gpt-4o-mini"}
        )
        assert missing.status_code == 400
        assert missing.json() == {
            "error": {
                "message": "Missing required parameter: 'messages'.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "missing_required_parameter",
            }
        }
        no_model = http.post(f"{sim.openai_base_url}/chat/completions", json={"messages": []})
        assert no_model.json()["error"]["message"] == "you must provide a model parameter"
        an = http.post(
            f"{sim.base_url}/v1/messages",
            json={"model": "c", "messages": []},
            headers={"anthropic-version": "2023-06-01", "x-api-key": "k"},
        )
        assert an.status_code == 400 and an.json()["type"] == "error"
        assert an.json()["error"] == {
            "type": "invalid_request_error",
            "message": "max_tokens: Field required",
        }
        assert an.headers["request-id"].startswith("req_011C")
        garbage = http.post(f"{sim.openai_base_url}/chat/completions", content=b"{nope")
        assert (
            garbage.status_code == 400
            and "could not parse the JSON body" in garbage.json()["error"]["message"]
        )
        route = http.post(f"{sim.openai_base_url}/completions", json={})
        assert (
            route.status_code == 404
            and "The simulator serves POST /v1/chat/completions" in route.text
        )


def test_token_counts_are_stable_and_plausible() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    assert count_tokens(text) == count_tokens(text) == 10
    assert "".join(split_pieces(text)) == text
    assert count_tokens("") == 0
    assert count_tokens("internationalization") == 4
    assert _view("hello").prompt_tokens == _view("hello").prompt_tokens


class Address(pydantic.BaseModel):
    street: str
    zip_code: str = pydantic.Field(min_length=5, max_length=5)


class Person(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, le=120)
    score: float = pydantic.Field(gt=0, lt=1)
    active: bool
    role: str = pydantic.Field(json_schema_extra={"enum": ["admin", "user"]})
    tags: list[str] = pydantic.Field(min_length=1, max_length=3)
    address: Address
    previous: list[Address]
    nickname: str | None


@given(st.integers(min_value=0, max_value=10_000))
@settings(max_examples=60, deadline=None)
def test_generated_json_validates_against_schema(seed: int) -> None:
    value = generate(Person.model_json_schema(), random.Random(seed))
    Person.model_validate(value)
    assert json.loads(json.dumps(value)) == value


def test_default_answer_structured_output_over_http() -> None:
    with Simulator() as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        out = client.chat.completions.parse(
            model="gpt-4o",
            response_format=Person,
            messages=[{"role": "user", "content": "make a person"}],
        )
        assert isinstance(out.choices[0].message.parsed, Person)
