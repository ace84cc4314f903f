"""Conformance of the *default* behaviour: every shared real recording, nothing scripted.

Each recorded request (every interaction of every cassette in cassettes-real) is sent unchanged
to a simulator running its default scenario, and the answer is compared with what the real API
answered: status, JSON vs SSE, the feature level (a tool was called when the real model called
one, with the same tools; reasoning present when it was; text, refusal, truncation, error type),
the field names at every level of the JSON (or of each SSE event kind), the SSE event order (runs
of deltas collapsed), and the provider headers the real answer carried.

Only one kind of recording cannot follow from the body alone: an authentication error depends
on the key, which recordings scrub. Those are sent with a wrong key to the default scenario
with key checking on (``auth: {check: true}``), which is how a test reproduces them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from harness.cassettes import load_cassette
from harness.simulator import Simulator
from harness.simulator.structure import (
    event_kind,
    event_sequence,
    feature_diff,
    features,
    parse_sse,
    structure_diff,
)
from tests.conftest import REAL, real_manifest

pytestmark = pytest.mark.real_cassettes
#: headers whose presence in a real answer the simulator must match
_PROVIDER_HEADERS = (
    "content-type",
    "x-request-id",
    "request-id",
    "openai-version",
    "openai-processing-ms",
    "retry-after",
    "x-should-retry",
)


def _interactions() -> list[tuple[dict[str, Any], int]]:
    return [(row, index) for row in real_manifest() for index in range(int(row["n_interactions"]))]


CASES = _interactions()


@pytest.fixture(scope="module")
def default_sim() -> Any:
    with Simulator() as sim:
        yield sim


def _headers(provider: str, key: str) -> dict[str, str]:
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    if provider == "anthropic":
        headers |= {"anthropic-version": "2023-06-01", "x-api-key": key}
    return headers


def _send(sim: Simulator, recorded: Any, provider: str, key: str = "sk-sim") -> httpx2.Response:
    uri = urlsplit(recorded.request.uri)
    url = f"{sim.base_url}{uri.path}" + (f"?{uri.query}" if uri.query else "")
    with httpx2.Client(timeout=10) as http:
        return http.post(url, content=recorded.request.body, headers=_headers(provider, key))


def _differences(api: str, recorded: Any, resp: httpx2.Response) -> list[str]:
    real = recorded.response
    real_sse = recorded.streamed and real.status < 400
    ours_sse = resp.headers["content-type"].startswith("text/event-stream")
    problems = feature_diff(
        features(api, real.status, real.body, real_sse),
        features(api, resp.status_code, resp.content, ours_sse),
    )
    if problems:
        return problems
    if not ours_sse:
        problems += structure_diff(json.loads(real.body), resp.json())
    else:
        real_events, our_events = parse_sse(real.body), parse_sse(resp.content)
        if event_sequence(real_events) != event_sequence(our_events):
            problems.append(
                f"event order: real {event_sequence(real_events)}, ours {event_sequence(our_events)}"
            )
        ours_by_kind: dict[str, list[Any]] = defaultdict(list)
        for name, data in our_events:
            ours_by_kind[event_kind(name, data)].append(data)
        seen: set[str] = set()
        for name, data in real_events:
            kind = event_kind(name, data)
            if kind in seen or kind == "ping" or kind not in ours_by_kind:
                continue
            seen.add(kind)
            problems += structure_diff(data, ours_by_kind[kind][0], kind)
    real_headers = {k.lower() for k in real.headers}
    wanted = {
        h
        for h in real_headers
        if h in _PROVIDER_HEADERS or h.startswith(("x-ratelimit", "anthropic-ratelimit"))
    }
    missing = wanted - {k.lower() for k in resp.headers}
    if missing:
        problems.append(f"headers missing: {sorted(missing)}")
    return problems


@pytest.mark.skipif(
    not CASES, reason=f"real recordings not found at {REAL} (only present in the workspace)"
)
@pytest.mark.parametrize(("row", "index"), CASES, ids=[f"{r['local_path']}#{i}" for r, i in CASES])
def test_default_answer_has_the_structure_and_features_of_the_real_one(
    default_sim: Simulator, row: dict[str, Any], index: int
) -> None:
    recorded = load_cassette(REAL / row["local_path"]).interactions[index]
    if recorded.response.status == 401:
        with Simulator(scenario={"auth": {"check": True, "keys": ["sk-right"]}}) as sim:
            resp = _send(sim, recorded, row["provider"], key="sk-wrong-key")
    else:
        resp = _send(default_sim, recorded, row["provider"])
    assert _differences(row["api"], recorded, resp) == []


def test_every_shared_recording_is_covered() -> None:
    if not CASES:
        pytest.skip("real recordings not present")
    files = {row["local_path"] for row, _ in CASES}
    assert len(files) == len(real_manifest()) == 50
