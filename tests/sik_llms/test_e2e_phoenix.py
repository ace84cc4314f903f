"""End to end: zero-config export over real OTLP/HTTP to Arize Phoenix on loopback.

Phoenix is large (about 850 MB), so it lives in its own environment (``.venv-phoenix``, made
by ``.ci/run``); set ``SIK_LLMS_PHOENIX`` to another ``phoenix`` executable if you have one.
Without it this test skips, which keeps ``./dev test`` quick on a laptop.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

PHOENIX = os.environ.get("SIK_LLMS_PHOENIX") or str(ROOT / ".venv-phoenix" / "bin" / "phoenix")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (Path(PHOENIX).exists() or shutil.which(PHOENIX)),
        reason="Arize Phoenix is not installed (.ci/run installs it into .venv-phoenix)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None
    try:
        return response.status, json.loads(raw or b"null")
    except ValueError:  # /healthz answers plain text
        return response.status, raw.decode(errors="replace")


@pytest.fixture
def phoenix(tmp_path):
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(tmp_path),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
    }
    proc = subprocess.Popen(
        [
            PHOENIX,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--grpc-port",
            str(grpc_port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while get_json(f"{base}/healthz")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"phoenix did not become ready on {base} (exit code {proc.poll()})")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_zero_config_spans_arrive_in_phoenix(phoenix):
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from sik_llms import create_client
from tests.conftest import Script, ok, openai_sse, scripted
with scripted(Script(ok(openai_sse("Paris.", prompt_tokens=12, completion_tokens=3)))):
    r = create_client("gpt-4o-mini", api_key="sk-test")([{{"role": "user", "content": "Capital of France?"}}])
print(r.trace_id)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        {
            "OTEL_SDK_DISABLED": "false",
            "OTEL_SERVICE_NAME": "sik-e2e",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{phoenix}/v1/traces",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-project-name=sik-e2e",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:9/v1/metrics",  # phoenix has no metrics
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    trace_id = result.stdout.strip()

    deadline = time.monotonic() + 60
    spans: list[dict] = []
    while time.monotonic() < deadline:
        status, body = get_json(f"{phoenix}/v1/projects/sik-e2e/spans?limit=100")
        if status == 200 and isinstance(body, dict):
            spans = [
                s for s in body.get("data", []) if s.get("context", {}).get("trace_id") == trace_id
            ]
            if len(spans) >= 3:
                break
        time.sleep(0.5)
    names = sorted(s["name"] for s in spans)
    assert names == ["http.request", "llm.openai.stream", "llm.request"], spans
    request = next(s for s in spans if s["name"] == "llm.request")
    attributes = json.dumps(request.get("attributes"))
    assert "gpt-4o-mini" in attributes and "sk-test" not in json.dumps(spans)
