"""The per-test harness bench and the batch-export search: structure and logic, never speed."""

from __future__ import annotations

from typing import Any

import pytest

from harness.bench import bsp, pertest


def _row(cpu_ms: float) -> dict[str, float]:
    return {"wall_ms": cpu_ms, "cpu_ms": cpu_ms, "gc_ms_mean": 0.0}


def _result(ours: float, vcr: float, floor: float) -> dict[str, Any]:
    rows = {"ours": _row(ours), "vcr": _row(vcr), "floor": _row(floor)}
    for row in rows.values():
        row["cpu_ratio"] = row["wall_ratio"] = row["cpu_ms"] / floor
    return {"tests": 20, "rounds": 1, "warmup": 5, "rows": rows}


def test_the_ci_check_passes_within_the_ratio_and_below_vcr() -> None:
    assert pertest.check(_result(ours=2.0, vcr=25.0, floor=1.0)) == []


def test_the_ci_check_names_a_tenfold_regression_and_losing_to_vcr() -> None:
    problems = pertest.check(_result(ours=30.0, vcr=25.0, floor=1.0))
    assert len(problems) == 2
    assert "30.00x the no-cassette floor" in problems[0]
    assert "not less than pytest-recording's vcr" in problems[1]


def test_the_per_test_section_has_one_row_per_suite() -> None:
    lines = pertest.markdown_section(_result(ours=2.0, vcr=25.0, floor=1.0))
    assert sum(line.startswith("| sik-llms") for line in lines) == 1
    assert any("| 2.00 |" in line for line in lines)
    assert pertest.markdown_section(None) == []


def test_the_section_names_the_harness_share_when_the_floor_with_telemetry_ran() -> None:
    result = _result(ours=2.0, vcr=25.0, floor=1.0)
    assert pertest.harness_share(result) == ""
    result["rows"]["floor_otel"] = _row(1.6)
    share = pertest.harness_share(result)
    assert "0.40 ms CPU" in share and "1.25x that floor" in share
    assert pertest.markdown_section(result)[-1] == share


def test_the_share_says_when_ours_is_below_the_floor_with_telemetry_and_what_reading_adds() -> None:
    result = _result(ours=1.5, vcr=25.0, floor=1.0)
    result["rows"]["floor_otel"] = _row(1.6)
    result["rows"]["ours_metrics"] = _row(1.65)
    share = pertest.harness_share(result)
    assert "0.10 ms CPU per test less than the floor with telemetry (0.94x)" in share
    assert share.endswith("reading a metric in each test adds 0.15 ms.")


def test_a_suite_that_cannot_run_is_named_with_its_reason() -> None:
    result = {**_result(ours=2.0, vcr=25.0, floor=1.0), "skipped": {"vcr": "not installed: vcr"}}
    assert any("skipped: not installed: vcr" in line for line in pertest.markdown_section(result))
    assert pertest.markdown_section({"error": "no cassettes"}) == [
        "",
        "Per test: not measured (no cassettes).",
    ]


def test_every_suite_writes_a_runnable_test_file(tmp_path) -> None:
    for kind in pertest.ALL_SUITES:
        path = pertest.write_suite(kind, tmp_path / kind, tests=3)
        compile(path.read_text(), str(path), "exec")
    with pytest.raises(ValueError, match="suite must be one of"):
        pertest.write_suite("nope", tmp_path / "nope")


def test_the_suites_pass_and_are_timed_per_test() -> None:
    result = pertest.run(tests=4, rounds=1, warmup=1, suites=("ours", "floor"))
    assert set(result["rows"]) == {"ours", "floor"}
    assert all(row["cpu_ms"] > 0 for row in result["rows"].values())
    assert result["rows"]["floor"]["cpu_ratio"] == 1.0


def _exporter_keeping_up_to(capacity: float) -> Any:
    """A stand-in for ``measure_rate``: drops whatever exceeds ``capacity`` calls/s."""
    seen: list[float] = []

    def measure(rate: float, seconds: float, collector: Any, producer: str) -> dict[str, Any]:
        made_rate = rate or 3 * capacity
        seen.append(rate)
        dropped = 0 if made_rate <= capacity else int((made_rate - capacity) * seconds * 3)
        return {
            "producer": producer,
            "target_calls_per_s": rate or None,
            "calls_per_s": made_rate,
            "received_calls_per_s": min(made_rate, capacity),
            "spans_dropped": dropped,
        }

    measure.seen = seen  # type: ignore[attr-defined]
    return measure


def test_the_search_brackets_the_rate_the_exporter_keeps_up_with() -> None:
    measure = _exporter_keeping_up_to(1000)
    found = bsp.find_sustained(None, seconds=1, probes=10, measure=measure)  # type: ignore[arg-type]
    assert found["calls_per_s"] <= 1000 < found["drops_from_calls_per_s"]
    assert found["drops_from_calls_per_s"] - found["calls_per_s"] <= 40
    assert len(measure.seen) <= 11


def test_the_search_stops_when_the_producer_cannot_outrun_the_exporter() -> None:
    def measure(rate: float, seconds: float, collector: Any, producer: str) -> dict[str, Any]:
        return {"calls_per_s": 300.0, "received_calls_per_s": 300.0, "spans_dropped": 0}

    found = bsp.find_sustained(None, measure=measure)  # type: ignore[arg-type]
    assert (found["calls_per_s"], found["drops_from_calls_per_s"]) == (300, None)
    assert len(found["rows"]) == 1


def test_drops_are_reported_against_the_sustained_rate() -> None:
    limit = bsp.SUSTAINED["calls_per_s"]
    note = bsp.sustained_note([("fast", limit * 2, 1234), ("down", 50.0, 99), ("on", 40.0, 0)])
    assert f"sustains about {limit} calls/s" in note
    assert f"fast 1234 spans at {limit * 2} calls/s (above it: calls outran the export)" in note
    assert "down 99 spans at 50 calls/s (below it: exports failed)" in note
    assert "on " not in note.split("dropped:")[1]
    assert "no run dropped spans (the fastest made 40 calls/s)" in bsp.sustained_note(
        [("on", 40.0, 0)]
    )
    report = {
        "results": [{"setup": "ours_otlp", "status": "ok", "wall_us": {"median": 500.0}}],
        "otlp": {"calls": 1000, "spans_expected": 3000, "collector_spans_received": 2000},
    }
    found = {
        "bsp_settings": {},
        "calls_per_s": 900,
        "drops_from_calls_per_s": 950,
        "seconds": 5,
    }
    text = "\n".join(bsp.markdown_section(found, report))
    assert "up to 900 calls/s (2700 spans/s) with zero drops" in text
    assert "at 2000 to 2000 calls/s (2.2x the sustained rate at most): 1000 of about 3000" in text
    assert "documented figure" in "\n".join(bsp.markdown_section(None, report))


def test_a_measured_rate_accounts_for_every_span_made() -> None:
    collector = bsp._RemoteCollector()
    try:
        row = bsp.measure_rate(100, 0.3, collector, producer="floor")
    finally:
        collector.close()
    assert row["spans_made"] > 0 and row["spans_made"] % 3 == 0
    assert row["spans_received"] + row["spans_dropped"] == row["spans_made"]


def test_the_load_summary_puts_each_phase_drops_next_to_the_sustained_rate() -> None:
    from harness.load.report import _drops_against_sustained

    summary = {
        "phases": [
            {"phase": {"name": "otel_on"}, "throughput_rps": 42.0, "spans": {"dropped": 0}},
            {"phase": {"name": "otel_off"}, "throughput_rps": 50.0, "spans": None},
        ]
    }
    text = _drops_against_sustained(summary)
    assert "no run dropped spans (the fastest made 42 calls/s)" in text
    assert "otel_off" not in text


def test_the_rounds_range_pairs_each_round_with_its_own_floor() -> None:
    suite = [(0.0, 1.3, 0.0), (0.0, 1.5, 0.0), (0.0, 1.2, 0.0)]
    floor = [(0.0, 1.0, 0.0), (0.0, 1.5, 0.0), (0.0, 1.0, 0.0)]
    assert pertest.paired_range(suite, floor) == [1.0, 1.3]
    result = _result(ours=2.0, vcr=25.0, floor=1.0)
    result["rows"]["ours"]["cpu_ratio_range"] = [1.9, 2.2]
    assert any("| 2.00 | 1.90-2.20 |" in line for line in pertest.markdown_section(result))


def test_drops_below_the_sustained_rate_are_explained_not_left_as_a_contradiction() -> None:
    report = {
        "results": [{"setup": "ours_otlp", "status": "ok", "wall_us": {"median": 1000.0}}],
        "otlp": {"calls": 1000, "spans_expected": 3000, "collector_spans_received": 2000},
    }
    found = {"bsp_settings": {}, "calls_per_s": 2000, "drops_from_calls_per_s": 2200, "seconds": 5}
    text = "\n".join(bsp.markdown_section(found, report))
    assert "(0.5x the sustained rate at most): 1000 of about 3000" in text
    assert "faster stretches within a round" in text
    report["otlp"]["collector_spans_received"] = 3000
    assert "faster stretches" not in "\n".join(bsp.markdown_section(found, report))
