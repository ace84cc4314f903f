"""Replay never crashes on a recording, every endpoint users call is recognised, and HTTP edges
(redirects, HTML pages where JSON or SSE belongs) are clear typed errors; through the client's
four entry points and ``sik-llms replay``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from harness.cassettes.report import replay_cassette
from harness.cli import main
from harness.spans.capture import capture
from sik_llms import create_client, user_message
from sik_llms.errors import (
    BadRequestError,
    MalformedStreamError,
    RedirectError,
    UnexpectedContentError,
)
from sik_llms.providers import Anthropic, OpenAI
from tests.sik_llms.wire_cases import ENTRIES, JSON, chat_choice, chat_sse, chat_usage, run, serve

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "cassettes-real"
ASK = [user_message("hi")]


def _interaction(uri: str, request: dict | list, status: int, body: str, ctype: str) -> dict:
    return {
        "request": {
            "method": "POST",
            "uri": uri,
            "body": json.dumps(request),
            "headers": {"content-type": ["application/json"]},
        },
        "response": {
            "status": {"code": status, "message": "x"},
            "headers": {"content-type": [ctype]},
            "body": {"string": body},
        },
    }


def _cassette(tmp_path: Path, *interactions: dict) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "interactions": list(interactions)}))
    return path


INVALID_ANTHROPIC = _interaction(
    "https://api.anthropic.com/v1/messages",
    {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": ["Invalid content"]},
    400,
    json.dumps(
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "messages.0: Input should be a valid dictionary",
            },
        }
    ),
    "application/json",
)
GOOD_OPENAI = _interaction(
    "https://api.openai.com/v1/chat/completions",
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    200,
    json.dumps(
        {
            "id": "c",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1},
        }
    ),
    "application/json",
)


def test_a_deliberately_invalid_recorded_request_replays_as_its_typed_400_and_the_rest_survives(
    tmp_path: Path, capsys
) -> None:
    invalid_openai = _interaction(
        "https://api.openai.com/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": "not a list"},
        400,
        json.dumps(
            {"error": {"message": "'messages' must be an array", "type": "invalid_request_error"}}
        ),
        "application/json",
    )
    path = _cassette(
        tmp_path,
        INVALID_ANTHROPIC,
        invalid_openai,
        GOOD_OPENAI,
        _interaction(
            "https://api.openai.com/v1/chat/completions", [1, 2], 200, "{}", "application/json"
        ),
    )
    assert main(["replay", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)  # the JSON output stays whole
    by_index = {i["index"]: i for i in data["interactions"]}
    for index in (0, 1):
        assert (
            by_index[index]["error"]["status"] == 400
            and by_index[index]["error"]["type"] == "invalid_request_error"
        )
        request_span = next(s for s in by_index[index]["spans"] if s["name"] == "llm.request")
        assert request_span["status"] == "ERROR"
    assert by_index[2]["text"] == "Hello" and by_index[2]["error"] is None
    assert [s["index"] for s in data["skipped"]] == [3] and "not an object" in data["skipped"][0][
        "reason"
    ]


def test_malformed_recorded_answers_replay_as_typed_errors_not_tracebacks(
    tmp_path: Path, capsys
) -> None:
    stream = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    path = _cassette(
        tmp_path,
        _interaction(
            "https://api.openai.com/v1/chat/completions",
            stream,
            200,
            'data: {"choices": [1]}\n\n',
            "text/event-stream",
        ),
        _interaction(
            "https://api.openai.com/v1/chat/completions",
            stream,
            200,
            "<html><body>Sign in</body></html>",
            "text/html",
        ),
        _interaction("https://api.openai.com/v1/chat/completions", stream, 302, "", "text/html"),
    )
    assert main(["replay", "--json", str(path)]) == 0
    errors = [i["error"]["type"] for i in json.loads(capsys.readouterr().out)["interactions"]]
    assert errors == ["malformed_stream_error", "unexpected_content_type", "redirect"]


AZURE_URI = "https://contoso.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"


@pytest.mark.parametrize(
    "uri",
    [
        AZURE_URI,
        "https://contoso.openai.azure.com/openai/v1/chat/completions",
        "https://api.openai.com/v1/chat/completions?foo=bar",
    ],
)
def test_azure_and_query_string_urls_replay(tmp_path: Path, uri: str) -> None:
    request = (
        {"messages": [{"role": "user", "content": "hi"}]}
        if "deployments" in uri
        else {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    )
    result = replay_cassette(
        _cassette(
            tmp_path,
            {
                **GOOD_OPENAI,
                "request": {**GOOD_OPENAI["request"], "uri": uri, "body": json.dumps(request)},
            },
        )
    ).to_json()
    [got] = result["interactions"]
    assert got["text"] == "Hello" and got["error"] is None
    http = next(s for s in got["spans"] if s["name"] == "http.request")
    assert http["attributes"]["server.address"] == (
        "contoso.openai.azure.com" if "azure" in uri else "api.openai.com"
    )


@pytest.mark.parametrize("entry", ENTRIES)
def test_create_client_speaks_azure_openai_with_deployment_and_api_version(entry: str) -> None:
    client = create_client(
        "gpt-4o",
        azure_endpoint="https://contoso.openai.azure.com",
        azure_deployment="my-gpt4o",
        api_version="2024-10-21",
        api_key="azure-test-key",
    )
    assert isinstance(client, OpenAI)
    body = chat_sse(chat_choice({"content": "Hi"}, "stop"), chat_usage(3, 1))
    with capture() as cap, serve(200, body) as served:
        response, _ = run(client, ASK, entry)
    assert response.response == "Hi"
    sent = served.requests[-1]
    assert sent.url.path == "/openai/deployments/my-gpt4o/chat/completions"
    assert sent.url.params["api-version"] == "2024-10-21"
    assert sent.headers["api-key"] == "azure-test-key"
    inference = next(s for s in cap.spans() if s.name.startswith("llm.openai"))
    assert inference.attributes["server.address"] == "contoso.openai.azure.com"


def test_azure_without_an_api_version_is_one_clear_configuration_error(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_VERSION", raising=False)
    with pytest.raises(ValueError, match="api_version"):
        create_client("gpt-4o", azure_endpoint="https://contoso.openai.azure.com", api_key="k")


def test_a_claude_model_behind_a_base_url_is_anthropic() -> None:
    client = create_client("claude-haiku-4-5", base_url="http://127.0.0.1:9", api_key="k")
    assert isinstance(client, Anthropic)
    assert isinstance(create_client("my-local-model", base_url="http://127.0.0.1:9"), OpenAI)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
def test_a_redirect_is_a_redirect_error_not_a_server_error(model: str, entry: str) -> None:
    client = create_client(model, api_key="sk-test", max_retries=0)
    with (
        capture() as cap,
        serve(302, b"", "text/html", {"location": "https://login.example.com/sso?token=abc"}),
        pytest.raises(RedirectError) as caught,
    ):
        run(client, ASK, entry)
    assert caught.value.status == 302 and caught.value.location == "https://login.example.com/sso"
    assert "token=abc" not in str(caught.value)
    request = next(s for s in cap.spans() if s.name == "llm.request")
    assert request.attributes["error.type"] == "redirect"


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    ("model", "stream"),
    [
        ("gpt-4o-mini", True),
        ("gpt-4o-mini", False),
        ("claude-haiku-4-5", True),
        ("claude-haiku-4-5", False),
    ],
)
def test_an_html_page_with_status_200_is_an_unexpected_content_error_not_an_empty_answer(
    model: str, stream: bool, entry: str
) -> None:
    client = create_client(model, api_key="sk-test", stream=stream)
    with (
        capture() as cap,
        serve(200, b"<!doctype html><title>Proxy login</title>", "text/html; charset=utf-8"),
        pytest.raises(UnexpectedContentError) as caught,
    ):
        run(client, ASK, entry)
    assert caught.value.content_type == "text/html"
    assert cap.metric_value("llm.requests.failed", llm_model=model) == 1


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
def test_an_error_envelope_with_status_200_on_a_streamed_call_is_the_typed_error(
    model: str,
) -> None:
    body = (
        b'{"error": {"message": "bad", "type": "invalid_request_error"}}'
        if model.startswith("gpt")
        else b'{"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}'
    )
    client = create_client(model, api_key="sk-test")
    with serve(200, body, JSON), pytest.raises(BadRequestError):
        client(ASK)


def _every_interaction() -> list:
    table = REAL / "MANIFEST_interactions.tsv"
    if not table.is_file():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"real recordings not present at {REAL}")
            )
        ]
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        by_file.setdefault(row["local_path"], []).append(row)
    return [pytest.param(path, group, id=path) for path, group in by_file.items()]


@pytest.mark.real_cassettes
@pytest.mark.parametrize(("local_path", "rows"), _every_interaction())
def test_every_interaction_of_every_real_recording_matches_its_manifest_row(
    local_path: str, rows: list[dict]
) -> None:
    result = replay_cassette(REAL / local_path).to_json()
    assert result["skipped"] == []
    by_index = {i["index"]: i for i in result["interactions"]}
    for row in rows:
        got = by_index[int(row["interaction"])]
        status = int(row["http_status"])
        assert got["status"] == status
        if status >= 400:
            assert got["error"]["status"] == status
            continue
        assert got["error"] is None, got["error"]
        prefix = row["expected_text_prefix"].replace("\\n", "\n")
        if prefix.startswith("tool:"):
            assert [c["name"] for c in got["tool_calls"]] == prefix[5:].split(",")
        elif prefix.startswith("REFUSAL: "):
            assert got["text"].startswith(prefix[len("REFUSAL: ") :][:30])
        else:
            assert got["text"].startswith(prefix)
        if row["tool_names"]:
            assert [c["name"] for c in got["tool_calls"]] == row["tool_names"].split(",")
        usage = got["usage"]
        if row["input_tokens"]:
            assert (usage["input_tokens"], usage["output_tokens"]) == (
                int(row["input_tokens"]),
                int(row["output_tokens"]),
            )
        else:  # the recording has no usage: unknown, never 0
            assert (usage["input_tokens"], usage["output_tokens"]) == (None, None)
        if row["finish"]:
            assert got["finish_reason"] == row["finish"]
        assert got["response_model"] == row["model"]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Sign in</body></html>"], ids=["empty", "html-without-content-type"]
)
def test_a_streamed_answer_without_a_single_event_is_malformed_not_an_empty_success(
    model: str, body: bytes, entry: str
) -> None:
    client = create_client(model, api_key="sk-test")
    with (
        capture() as cap,
        serve(200, body, None),
        pytest.raises(MalformedStreamError, match="without a single server-sent event"),
    ):
        run(client, ASK, entry)
    request = next(s for s in cap.spans() if s.name == "llm.request")
    assert request.status.status_code.name == "ERROR"


@pytest.mark.parametrize(
    ("uri", "request_body"),
    [
        (
            "https://api.anthropic.com/v1/messages",
            {
                "model": "claude-haiku-4-5",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": "hi"}],
                "tools": "search",
            },
        ),
        (
            "https://api.anthropic.com/v1/messages",
            {
                "model": "claude-haiku-4-5",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": "hi"}],
                "system": 42,
            },
        ),
        (
            "https://api.openai.com/v1/chat/completions",
            {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [1, 2],
            },
        ),
        ("https://api.openai.com/v1/responses", {"model": "gpt-4o-mini", "input": 7}),
    ],
    ids=[
        "anthropic-tools-string",
        "anthropic-system-number",
        "openai-tools-numbers",
        "responses-input-number",
    ],
)
def test_other_invalid_recorded_fields_are_sent_as_recorded_and_get_their_recorded_400(
    tmp_path: Path, uri: str, request_body: dict
) -> None:
    answer = (
        json.dumps(
            {"type": "error", "error": {"type": "invalid_request_error", "message": "bad field"}}
        )
        if "anthropic" in uri
        else json.dumps({"error": {"message": "bad field", "type": "invalid_request_error"}})
    )
    result = replay_cassette(
        _cassette(tmp_path, _interaction(uri, request_body, 400, answer, "application/json"))
    ).to_json()
    assert result["skipped"] == []
    [got] = result["interactions"]
    assert got["error"] == {"status": 400, "type": "invalid_request_error", "message": "bad field"}
