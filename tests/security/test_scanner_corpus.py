"""Class 4: the scanner has no blind spots: a generated corpus of planted secrets is caught 100%,
and the project's cassettes and the real recordings give zero findings.

The corpus crosses every provider shape we know with every place a cassette can hide one:
headers (every auth scheme), JSON bodies (also right after an escape, and with the key itself
``\\u``-escaped), gzip ``!!binary`` bodies, base64 bodies (one line and wrapped), query
strings, YAML line continuations. The two figures are printed (run with ``-s``) for the note.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.cassettes.scan import scan_document, scan_file, scan_paths
from tests.conftest import REAL, ROOT

# every shape assembled at runtime: no file in the repository holds one
SHAPES: dict[str, str] = {
    "openai-project": "sk-" + "proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dFx2Lq4Rs6",
    "openai-service": "sk-" + "svcacct-" + "Qw8ErT5yUi2OpA7sDf4GhJ6kLz9Xc",
    "openai-legacy": "sk-" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF2gH4jK6mN8p",
    "openai-with-test-in-it": "sk-" + "proj-" + "test" + "Zq8Wn3Rt6Yp1Lk4Hg7Fd2Sa5",
    "anthropic": "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA-aB3cQQ",
    "anthropic-admin": "sk-" + "ant-admin01-" + "Mn4Bv7Cx1Zl8Kj5Hg2Fd9Sa6Qw3Er",
    "aws-access-key": "AKIA" + "Z7QW3RT5YU8IO2PL",
    "aws-session-key": "ASIA" + "Q4WE7RT1YU5IO9PA",
    "google-api-key": "AIza" + "SyB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF2g",
    "google-oauth": "ya29" + ".a0AfH6SMBxQw8ErT5yUi2OpA7sDf4GhJ6k",
    "google-client-secret": "GOCSPX" + "-Qw8ErT5yUi2OpA7sDf4GhJ6kLz",
    "jwt": "eyJ"
    + "hbGciOiJIUzI1NiJ9"
    + ".eyJ"
    + "zdWIiOiIxMjM0NTY3ODkwIn0"
    + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "github": "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF2gH4",
    "slack": "xoxb" + "-1234567890-0987654321-Qw8ErT5yUi2OpA7s",
    "stripe": "sk_" + "live_" + "Qw8ErT5yUi2OpA7sDf4GhJ6k",
    "huggingface": "hf_" + "Qw8ErT5yUi2OpA7sDf4GhJ6kLz9XcVbNmA",
}
# an opaque token has no shape of its own: it is a secret by where it stands (auth headers/fields)
GENERIC = "Qw8ErT5yUi2OpA7s" + "Df4GhJ6kLz9X"
BASIC = base64.b64encode(b"admin" + b":" + b"s3cr3t-Passw0rd").decode()
PEM = (
    "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
)


def _cassette(
    request_headers: dict | None = None,
    request_body: object = None,
    uri: str = "",
    response_body: object = "{}",
    response_headers: dict | None = None,
) -> str:
    return yaml.safe_dump(
        {
            "interactions": [
                {
                    "request": {
                        "method": "POST",
                        "uri": uri or "https://api.openai.com/v1/chat/completions",
                        "body": request_body if request_body is not None else '{"model":"m"}',
                        "headers": request_headers or {"content-type": ["application/json"]},
                    },
                    "response": {
                        "status": {"code": 200, "message": "OK"},
                        "headers": response_headers or {},
                        "body": {"string": response_body},
                    },
                }
            ],
            "version": 1,
        },
        width=100,
    )


def _continued(secret: str) -> str:
    """A double-quoted YAML scalar with the secret split by an escaped line break."""
    half = len(secret) // 2
    return (
        "interactions:\n- request:\n    method: POST\n    uri: https://h/v1/x\n"
        f'    body: "{{\\"note\\": \\"{secret[:half]}\\\n      {secret[half:]}\\"}}"\n'
        "  response:\n    status: {code: 200}\n    body: {string: ok}\nversion: 1\n"
    )


def _wrapped_b64(text: str) -> str:
    blob = base64.b64encode(text.encode()).decode()
    lines = "\n".join("      " + blob[i : i + 60] for i in range(0, len(blob), 60))
    return (
        "interactions:\n- request:\n    method: POST\n    uri: https://h/v1/x\n    body: |\n"
        f"{lines}\n  response:\n    status: {{code: 200}}\n    body: {{string: ok}}\nversion: 1\n"
    )


PLACES: dict[str, Callable[[str], str]] = {
    "authorization-bearer": lambda s: _cassette({"authorization": [f"Bearer {s}"]}),
    "x-api-key-header": lambda s: _cassette({"x-api-key": [s]}),
    "x-goog-api-key-header": lambda s: _cassette({"X-Goog-Api-Key": [s]}),
    "response-header": lambda s: _cassette(
        response_headers={"set-token": [s]}, response_body=f"t={s}"
    ),
    "json-body": lambda s: _cassette(
        request_body=json.dumps({"messages": [{"content": f"use {s}"}]})
    ),
    "json-after-newline-escape": lambda s: _cassette(
        request_body=json.dumps({"content": f"line one\n{s}"})
    ),
    "json-after-tab-escape": lambda s: _cassette(request_body=json.dumps({"content": f"x\t{s}"})),
    "json-unicode-escaped": lambda s: _cassette(
        request_body='{"content": "' + "".join(f"\\u{ord(c):04x}" for c in s) + '"}'
    ),
    "gzip-binary-body": lambda s: _cassette(
        response_body=gzip.compress(json.dumps({"leak": s}).encode())
    ),
    "base64-body": lambda s: _cassette(
        response_body=base64.b64encode(f"token follows {s} end of text".encode()).decode()
    ),
    "base64-wrapped": lambda s: _wrapped_b64(f"the credential is {s} -- keep it safe please"),
    "gzip-then-base64-text": lambda s: _cassette(
        response_body=base64.b64encode(gzip.compress(f"k={s}".encode())).decode()
    ),
    "query-string": lambda s: _cassette(uri=f"https://api.example.com/v1/x?foo={s}&beta=true"),
    "yaml-line-continuation": _continued,
    "sse-stream": lambda s: _cassette(
        response_body=f'data: {{"delta": "{s}"}}\n\ndata: [DONE]\n\n'
    ),
}

EXTRA_CASES: dict[str, str] = {
    "basic-auth-header": _cassette({"authorization": [f"Basic {BASIC}"]}),
    "basic-auth-inline": f"curl -H 'Authorization: Basic {BASIC}' https://h\n",
    "basic-auth-in-url": _cassette(uri="https://admin:s3cr3tPassw0rd@api.example.com/v1/x"),
    "aws-sigv4-header": _cassette(
        {
            "authorization": [
                "AWS4-HMAC-SHA256 Credential="
                + "AKIA"
                + "Z7QW3RT5YU8IO2PL/20250101/us-east-1/bedrock/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
            ]
        }
    ),
    "aws-secret-access-key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY"
    + "Z9QW3RT5YU\n",
    "digest-auth": _cassette(
        {
            "authorization": [
                'Digest username="u", realm="r", response="6629fae49393a05397450978507c4ef1"'
            ]
        }
    ),
    "token-scheme": _cassette(
        {"authorization": ["Token " + "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"]}
    ),
    "proxy-authorization": _cassette({"proxy-authorization": ["Bearer " + GENERIC]}),
    "azure-sas-url": _cassette(
        uri="https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sp=r&sig=k5Nq2b%2Bz%3D"
    ),
    "presigned-s3-url": _cassette(
        uri="https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123"
    ),
    "gcs-signed-url": _cassette(
        uri="https://storage.googleapis.com/b/o?GoogleAccessId=svc@p.iam.gserviceaccount.com&Signature=abc"
    ),
    "client-secret-param": _cassette(
        uri="https://login.example.com/token?client_secret=Xk3plainvalue"
    ),
    "password-json-field": _cassette(
        request_body=json.dumps({"username": "u", "password": "c0rrect-H0rse"})
    ),
    "private-key": _cassette(response_body=json.dumps({"key": PEM})),
    "yaml-key-then-list": "headers:\n  x-api-key:\n  - " + GENERIC + "\n",
    "opaque-bearer": _cassette({"authorization": [f"Bearer {GENERIC}"]}),
    "opaque-x-api-key": _cassette({"x-api-key": [GENERIC]}),
    "opaque-api-key-json-field": _cassette(request_body=json.dumps({"api_key": GENERIC})),
    "opaque-token-param": _cassette(uri=f"https://h/v1/x?access_token={GENERIC}"),
}


def _escaped(secret: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in secret)


#: files that are not YAML: (suffix, text) per case, one per shape
NON_YAML: dict[str, Callable[[str], tuple[str, str]]] = {
    "json-file-unicode-escaped": lambda s: (".json", '{"config": {"note": "' + _escaped(s) + '"}}'),
    "env-file-backslash-continued": lambda s: (
        ".env",
        f"export API_KEY={s[:12]}\\\n    {s[12:]}\n",
    ),
    "python-string-continued": lambda s: (".py", f'KEY = "{s[:10]}\\\n{s[10:]}"\n'),
}

PLACEHOLDERS = [
    _cassette({"authorization": ["Bearer REDACTED"], "x-api-key": ["REDACTED"]}),
    _cassette(
        {"authorization": ["Bearer <OPENAI_API_KEY>"], "x-api-key": ["${ANTHROPIC_API_KEY}"]}
    ),
    _cassette(
        {"authorization": ["Bearer sk-no-key-required"], "api-key": ["xxxxxxxxxxxxxxxxxxxx"]}
    ),
    _cassette(
        {"authorization": ["Basic REDACTED"]}, uri="https://h/v1/x?key=REDACTED&sig=REDACTED"
    ),
    "api_key: <your-key>\npassword: '***'\ntoken: test_openai_api_key\nOPENAI_API_KEY=sk-...\n",
    _cassette(
        request_body=json.dumps(
            {"content": "use a task-scheduler-for-distributed-workers; basic usage"}
        )
    ),
    _cassette(
        response_body=json.dumps(
            {"type": "thinking", "signature": "EqoBCkgIARABGAIiQLxyzABCDEF12345QwErTy"}
        )
    ),
]


def _corpus() -> dict[str, tuple[str, str]]:
    """name -> (file suffix, text)."""
    cases = {
        f"{shape}@{place}": (".yaml", build(secret))
        for shape, secret in SHAPES.items()
        for place, build in PLACES.items()
    }
    cases |= {name: (".yaml", text) for name, text in EXTRA_CASES.items()}
    cases |= {
        f"{shape}@{place}": build(secret)
        for shape, secret in SHAPES.items()
        for place, build in NON_YAML.items()
    }
    return cases


def _caught(tmp_path: Path) -> tuple[int, int, list[str]]:
    missed, total = [], 0
    for name, (suffix, text) in _corpus().items():
        total += 1
        path = tmp_path / f"{name.replace('@', '__')}{suffix}"
        path.write_text(text)
        findings = scan_file(path)
        if not findings:
            missed.append(name)
        for secret in SHAPES.values():
            assert all(secret not in str(f) for f in findings), (
                "a finding printed the secret it found"
            )
    return total - len(missed), total, missed


def test_every_planted_secret_is_caught(tmp_path: Path) -> None:
    caught, total, missed = _caught(tmp_path)
    print(f"\nplanted-secret corpus: {caught}/{total} caught ({100 * caught / total:.1f}%)")
    assert total >= 300 and missed == [], f"missed {len(missed)}: {missed}"


@pytest.mark.parametrize("text", PLACEHOLDERS, ids=range(len(PLACEHOLDERS)))
def test_placeholders_and_redactions_stay_clean(text: str) -> None:
    assert scan_document(text, "p.yaml") == []


def test_the_projects_cassettes_give_zero_findings() -> None:
    findings, count = scan_paths([ROOT / "cassettes"])
    print(f"\nproject cassettes: {len(findings)} finding(s) in {count} file(s)")
    assert count > 0 and findings == [], "\n".join(map(str, findings))


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real cassettes not available at {REAL}")
def test_the_real_recordings_give_zero_findings() -> None:
    findings, count = scan_paths([REAL])
    cassettes = sum(1 for p in REAL.rglob("*.yaml"))
    print(
        f"\nreal recordings: {len(findings)} finding(s) in {count} file(s) ({cassettes} cassettes)"
    )
    assert cassettes >= 50 and findings == [], "\n".join(map(str, findings))
