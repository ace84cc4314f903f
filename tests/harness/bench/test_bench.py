"""``sik-llms bench --quick --json``: structure and sanity of the report, never speed."""

from __future__ import annotations

import json

import httpx2
import pytest

from harness import bench
from harness.bench.calls import bare_call, ours_call
from harness.bench.model import TELEMETRY_BASE, answer_text
from harness.bench.pairs import PEER_PAIR
from harness.bench.wire import memory_transport
from harness.cli import main


@pytest.fixture(scope="module")
def report() -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # the per-test suites have their own tests (test_pertest_bsp.py): 0 saves ~30 s here
        code = main(["bench", "--quick", "--json", "--rounds", "2", "--pertest-tests", "0"])
    assert code == 0
    return json.loads(out.getvalue())


def test_every_setup_is_measured_or_skipped_with_a_reason(report: dict) -> None:
    names = {s["name"] for s in report["setups"]}
    assert names == {s.name for s in bench.SETUPS}
    for setup in report["setups"]:
        assert setup["status"] in ("ok", "skipped")
        if setup["status"] == "skipped":
            assert setup["reason"], setup
    for name in ("bare", "ours_off", "ours_on", "ours_otlp"):  # ours never skips
        assert next(s for s in report["setups"] if s["name"] == name)["status"] == "ok"


def test_every_cell_has_positive_figures_or_a_reason(report: dict) -> None:
    cells = {(r["provider"], r["workload"], r["setup"]) for r in report["results"]}
    for setup in bench.SETUPS:
        for provider in setup.providers:
            for workload in bench.WORKLOADS:
                assert (provider, workload, setup.name) in cells
    for row in report["results"]:
        if row["status"] == "skipped":
            assert row["reason"]
            continue
        assert row["samples"] >= 2 and row["calls_per_sample"] >= 3
        for kind in ("wall_us", "cpu_us"):
            fig = row[kind]
            assert 0 < fig["min"] <= fig["q1"] <= fig["median"] <= fig["q3"] <= fig["max"]
            assert fig["iqr"] >= 0
        assert row["ratio"] > 0
        if row["setup"] == "bare":
            assert row["overhead_us"] == 0 and row["ratio"] == 1


def test_memory_per_chunk_checks_and_machine_are_reported(report: dict) -> None:
    assert report["memory"], "memory growth is measured"
    for m in report["memory"]:
        assert m["calls"] == 100 and isinstance(m["peak_rss_growth_kb"], int)
    assert {(c["provider"], c["setup"]) for c in report["per_chunk"]} >= {
        ("openai", "ours_on"),
        ("anthropic", "ours_on"),
    }
    assert report["checks"] and all(isinstance(c["passed"], bool) for c in report["checks"])
    assert report["machine"]["nproc"] >= 1 and report["machine"]["python"]
    assert report["otlp"]["calls"] > 0 and report["otlp"]["spans_per_call"] > 0
    assert report["otlp"]["collector_spans_received"] > 0


def test_markdown_has_one_line_per_result(report: dict) -> None:
    text = bench.markdown(report)
    assert text.count("\n| openai |") + text.startswith("| openai") >= 1
    assert len(
        [ln for ln in text.splitlines() if ln.startswith(("| openai | ", "| anthropic | "))]
    ) >= len(report["results"])


@pytest.mark.parametrize("provider", bench.PROVIDERS)
@pytest.mark.parametrize("workload", bench.WORKLOADS)
def test_the_same_recorded_answer_reaches_bare_and_ours(provider: str, workload: str) -> None:
    bare = bare_call(provider, workload)()
    ours = ours_call(provider, workload, None)()
    if workload == "tool":
        assert ours.tool_predictions[0].name == "get_weather"
        assert ours.tool_predictions[0].arguments == {"city": "Paris"}
    else:
        n = 100 if workload in ("answer", "stream100") else 10
        assert ours.response == answer_text(n)
        text = (
            bare
            if isinstance(bare, str)
            else (bare.choices[0].message.content if provider == "openai" else bare.content[0].text)
        )
        assert text == ours.response


def test_memory_transport_serves_sse_event_by_event() -> None:
    """The bodies are the simulator's (one home for the wire formats), served one event per read."""
    transport = memory_transport("anthropic", "stream10")
    with (
        httpx2.Client(transport=transport) as client,
        client.stream("POST", "https://x/v1/messages") as resp,
    ):
        chunks = list(resp.iter_raw())
    # message_start, content_block_start, ping, ten deltas, content_block_stop, message_delta, message_stop
    assert len(chunks) == 3 + 10 + 3
    assert all(c.startswith(b"event: ") and c.endswith(b"\n\n") for c in chunks)


def test_instrumentation_alone_is_measured_against_its_own_untraced_base(report: dict) -> None:
    rows = {
        (r["provider"], r["workload"], r["setup"]): r
        for r in report["results"]
        if r["status"] == "ok"
    }
    for (provider, workload, setup), row in rows.items():
        base = TELEMETRY_BASE.get(setup)
        if base is None:
            assert "telemetry_us" not in row
            continue
        expected = row["wall_us"]["median"] - rows[(provider, workload, base)]["wall_us"]["median"]
        assert row["telemetry_us"] == pytest.approx(expected)


def test_markdown_file_is_rendered_again_from_the_json_report(report: dict, tmp_path) -> None:
    """``--out`` keeps every figure; ``--from-json`` renders the same Markdown later, measuring nothing."""
    saved, out = tmp_path / "bench.json", tmp_path / "docs" / "bench.md"
    saved.write_text(json.dumps(report))
    assert main(["bench", "--from-json", str(saved), "--markdown", str(out)]) == 0
    text = out.read_text()
    assert text == bench.markdown_document(report)
    assert text.startswith("Measured by `sik-llms bench`") and "load average" in text
    assert bench.markdown(report) in text


def test_the_floor_and_the_lean_profile_are_measured_with_their_ratios_and_targets(
    report: dict,
) -> None:
    setups = {s["name"]: s for s in report["setups"]}
    assert setups["floor"]["status"] == setups["ours_lean"]["status"] == "ok"
    # the floor emits what ours_on emits; the lean profile one span per call
    assert setups["floor"]["spans_per_call"] == setups["ours_on"]["spans_per_call"] == 3
    assert setups["ours_lean"]["spans_per_call"] == 1
    cells = {(r["provider"], r["workload"]) for r in report["floor"]}
    assert cells == {(p, w) for p in bench.PROVIDERS for w in bench.WORKLOADS}
    for row in report["floor"]:
        # a ratio needs a positive floor: in a 2-round run noise can make floor - off negative
        for ours, floor, ratio in (
            ("ours_on_us", "floor_us", "ours_on_ratio"),
            ("ours_lean_cpu_us", "floor_cpu_us", "ours_lean_cpu_ratio"),
        ):
            expected = row[ours] / row[floor] if row[floor] > 0 else None
            assert row[ratio] == (None if expected is None else pytest.approx(expected))
    names = {c["check"] for c in report["checks"]}
    assert {
        "instrumentation alone within 1.2x its floor (one process)",
        "instrumentation alone within 1.2x its floor (separate processes)",
    } <= names
    for row in report["floor"]:  # the floor worker's paired rounds, one per bench round
        assert row["same_process"]["rounds"] == report["config"]["rounds"]
    ran = [s for s in report["setups"] if s["peer"] and s["status"] == "ok"]
    assert {
        f"lean profile's instrumentation alone cheaper than {s['name']} (separate processes)"
        for s in ran
    } <= names
    paired = [s for s in ran if s["pairs"]]
    for s in ran:  # each peer timed beside its base in its own process, or says why not
        assert s["pairs"] == list(PEER_PAIR) or s["pairs_skipped"], s
    for s in paired:
        assert (
            f"lean profile's instrumentation alone cheaper than {s['name']} (one process)" in names
        )
        assert (
            f"default profile's instrumentation alone cheaper than {s['name']} (one process)"
            in names
        )
        for row in report["floor"]:
            if row["provider"] in s["providers"]:
                same = row["peers_same_process"][s["name"]]
                assert same["rounds"] == report["config"]["rounds"]
    assert {c["check"] for c in report["checks"] if c["workload"] == "stream"} == {
        f"per-chunk cost of telemetry within 1.2x the floor's ({how})"
        for how in ("one process", "separate processes")
    }
    assert "ours_lean ÷ floor" in bench.markdown(report)
