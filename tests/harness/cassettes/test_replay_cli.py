"""`sik-llms replay --json` over every real recording matches what the manifest says it holds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.cassettes.report import replay_cassette
from harness.cli import main
from tests.conftest import REAL, needs_real, real_manifest

ENTRIES = real_manifest()


def _id(entry: dict) -> str:
    return entry["local_path"]


@needs_real
@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_replay_matches_the_manifest(entry):
    result = replay_cassette(REAL / entry["local_path"])
    by_index = {call.index: call.to_json() for call in result.interactions}
    got = by_index[entry["primary_interaction"]]

    assert got["provider"] == entry["provider"]
    assert got["status"] == entry["http_status"]
    prefix = entry["expected_text_prefix"].replace("\\n", "\n")
    if entry["http_status"] >= 400:
        assert got["error"] is not None and got["error"]["status"] == entry["http_status"]
        assert (
            got["error"]["message"].startswith(prefix[:40].rstrip("…"))
            or prefix[:30] in got["error"]["message"]
        )
        return
    assert got["error"] is None
    if prefix.startswith("tool:"):
        assert [c["name"] for c in got["tool_calls"]] == prefix[5:].split(",")
    elif prefix.startswith("REFUSAL: "):
        assert got["text"].startswith(prefix[len("REFUSAL: ") :][:30])
    else:
        assert got["text"].startswith(prefix), (got["text"][:60], prefix)
    if entry["tool_names"]:
        assert [c["name"] for c in got["tool_calls"]] == entry["tool_names"].split(",")
    if entry["input_tokens"] not in (None, ""):
        assert got["usage"]["input_tokens"] == int(entry["input_tokens"])
        assert got["usage"]["output_tokens"] == int(entry["output_tokens"])
    if entry.get("finish_reason"):
        assert got["finish_reason"] == entry["finish_reason"]
    assert got["response_model"] == entry["model"]
    names = [s["name"] for s in got["spans"]]
    assert names.count("llm.request") == 1 and names.count("http.request") == 1


@needs_real
def test_cli_json_shape_and_determinism(capsys):
    path = str(REAL / "otel-contrib" / "test_chat_completion_streaming.yaml")
    assert main(["replay", "--json", path]) == 0
    first = capsys.readouterr().out
    assert main(["replay", "--json", path]) == 0
    assert capsys.readouterr().out == first  # virtual clock + deterministic ids: byte-identical
    data = json.loads(first)
    (interaction,) = data["interactions"]
    assert set(interaction) >= {
        "index",
        "provider",
        "api",
        "request_model",
        "response_model",
        "stream",
        "status",
        "text",
        "tool_calls",
        "finish_reason",
        "usage",
        "cost_usd",
        "error",
        "spans",
    }
    assert set(interaction["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
    }
    assert {"name", "span_id", "parent_id", "kind", "status", "attributes"} <= set(
        interaction["spans"][0]
    )


def test_unsupported_input_is_one_line_and_non_zero(tmp_path):
    not_yaml = tmp_path / "notes.yaml"
    not_yaml.write_text("a: [unclosed\n")
    other_api = tmp_path / "embeddings.yaml"
    other_api.write_text(
        "interactions:\n- request: {method: POST, uri: 'https://api.openai.com/v1/embeddings', body: '{}', headers: {}}\n"
        "  response: {status: {code: 200, message: OK}, headers: {}, body: {string: '{}'}}\nversion: 1\n"
    )
    for path in (not_yaml, other_api, tmp_path / "missing.yaml"):
        result = subprocess.run(
            [sys.executable, "-m", "harness.cli", "replay", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
