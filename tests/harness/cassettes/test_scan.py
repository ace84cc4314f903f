"""The secret scanner and ``sik-llms scan``: planted keys are found (even gzip-hidden ones)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
import yaml

from harness.cassettes.scan import entropy, looks_like_token, scan_file, scan_paths, scan_text
from harness.cli import main
from tests.conftest import REAL, ROOT

# assembled at runtime so this file never contains a key-shaped literal
OPENAI = "sk-" + "proj-" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
ANTHROPIC = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA"
AWS = "AKIA" + "IOSFODNN7EXAMPLQ"
TOKEN = "Qw8ErT5yUi2OpA7sDf4GhJ6k"


def _cassette(body: object, headers: dict[str, list[str]] | None = None) -> str:
    return yaml.safe_dump(
        {
            "interactions": [
                {
                    "request": {
                        "method": "POST",
                        "uri": "https://api.openai.com/v1/chat/completions",
                        "body": '{"model":"m"}',
                        "headers": headers or {"content-type": ["application/json"]},
                    },
                    "response": {
                        "status": {"code": 200, "message": "OK"},
                        "headers": {"Content-Encoding": ["gzip"]},
                        "body": {"string": body},
                    },
                }
            ],
            "version": 1,
        }
    )


def test_planted_openai_key_is_found_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(_cassette(json.dumps({"note": f"use {OPENAI}"})))
    findings = scan_file(path)
    assert len(findings) == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "sk-proj" in text)
    assert str(findings[0]) == f"{path}:{line}: openai-key: sk-proj-...(44 chars)"
    assert OPENAI not in str(findings[0])


def test_key_inside_gzip_binary_body_is_found(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(_cassette(gzip.compress(json.dumps({"leak": ANTHROPIC}).encode())))
    text = path.read_text()
    assert "!!binary" in text and "sk-ant" not in text
    [finding] = scan_file(path)
    binary_line = next(i for i, t in enumerate(text.splitlines(), 1) if "!!binary" in t)
    assert (finding.line, finding.kind) == (binary_line, "anthropic-key (in !!binary body)")


def test_base64_blob_in_any_text_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "x\nblob "
        + base64.b64encode(gzip.compress(f"key={OPENAI} and more padding".encode())).decode()
        + "\n"
    )
    [finding] = scan_file(path)
    assert (finding.line, finding.kind) == (2, "openai-key (in base64)")


def test_credential_headers_bearer_tokens_and_aws_keys(tmp_path: Path) -> None:
    headers = {"authorization": [f"Bearer {TOKEN}"], "x-api-key": [TOKEN[::-1]]}
    path = tmp_path / "c.yaml"
    path.write_text(_cassette("{}", headers=headers) + f"# {AWS}\n")
    kinds = sorted(f.kind for f in scan_file(path))
    assert kinds == ["aws-access-key", "bearer-token", "credential in x-api-key"]


def test_placeholders_and_redactions_are_not_findings() -> None:
    text = "authorization:\n- Bearer test_openai_api_key\nx-api-key:\n- REDACTED\napi_key: <your-key>\n"
    assert scan_text(text) == []
    assert not looks_like_token("aaaaaaaaaaaaaaaaaaaaaaaa") and entropy("abcd") == 2.0


def test_clean_cassette_passes(tmp_path: Path) -> None:
    path = tmp_path / "clean.yaml"
    path.write_text(_cassette(gzip.compress(b'{"id": "chatcmpl-1", "content": "hello"}')))
    assert scan_paths([tmp_path]) == ([], 1)


def test_cli_exits_nonzero_listing_every_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(f"key: {OPENAI}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text(_cassette(gzip.compress(ANTHROPIC.encode())))
    (tmp_path / "clean.yaml").write_text("fine: true\n")
    assert main(["scan", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert f"{tmp_path / 'a.yaml'}:1: openai-key" in out
    assert f"{tmp_path / 'sub' / 'b.yaml'}:" in out and "anthropic-key" in out
    assert "2 possible secret(s) in 3 file(s)" in err
    assert main(["scan", str(tmp_path / "clean.yaml")]) == 0
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_the_projects_own_cassettes_are_clean() -> None:
    findings, _count = scan_paths([ROOT / "cassettes"])
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real cassettes not available at {REAL}")
def test_the_real_corpus_is_clean() -> None:
    findings, count = scan_paths([REAL])
    assert count >= 50 and findings == []
