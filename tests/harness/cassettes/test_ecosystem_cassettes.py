"""Our cassettes are vcrpy cassettes for the ecosystem: plain vcrpy and pytest-recording's
``vcr`` marker load them, and cassettes pytest-recording wrote replay through ours."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import httpx2
import pytest
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from harness.cassettes import load_cassette, use_cassette
from harness.cassettes.format import METADATA_KEY, dump_cassette

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
OURS = ROOT / "cassettes" / "openai" / "text.yaml"


def test_our_cassette_deserializes_in_plain_vcrpy_as_requests_and_responses() -> None:
    text = dump_cassette(load_cassette(OURS))
    assert f"\n{METADATA_KEY}:" in text and "\nmetadata:" not in text
    loaded = deserialize(text, yamlserializer)
    assert (
        len(loaded) == 2
    )  # vcrpy returns a third value for its own 'metadata', which breaks readers
    requests, responses = loaded
    assert requests[0].uri == "http://simulator.invalid/v1/chat/completions"
    assert responses[0]["status"]["code"] == 200


def test_our_cassette_replays_under_pytest_recordings_vcr_marker(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "cassettes" / "test_vcr"
    folder.mkdir(parents=True)
    shutil.copy(OURS, folder / "test_ours.yaml")
    pytester.makepyfile(
        test_vcr=textwrap.dedent("""
        import httpx2
        import pytest

        @pytest.mark.vcr
        def test_ours():
            response = httpx2.post("http://simulator.invalid/v1/chat/completions", json={})
            assert response.status_code == 200
            assert response.json()["object"] == "chat.completion"
    """)
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--record-mode=none")
    result.assert_outcomes(passed=1)


def test_a_pytest_recording_cassette_replays_through_ours(tmp_path: Path) -> None:
    from vcr.request import Request
    from vcr.serialize import serialize

    # written by vcrpy's own serializer, as pytest-recording saves it
    request = Request("POST", "https://api.example.com/v1/things", b'{"q": 1}', {})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": '{"answer": 42}'},
    }
    path = tmp_path / "vcrpy.yaml"
    path.write_text(serialize({"requests": [request], "responses": [response]}, yamlserializer))
    # any httpx2 client, any base URL: matched by method, path and JSON body
    with use_cassette(path), httpx2.Client(base_url="http://127.0.0.1:9") as client:
        assert client.post("/v1/things", json={"q": 1}).json() == {"answer": 42}
