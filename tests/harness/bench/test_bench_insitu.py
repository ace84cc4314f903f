"""The in-situ explanation's measurements run and report every figure (never their speed)."""

from __future__ import annotations

from harness.bench.insitu import call_counts, timings


def test_call_counts_compare_the_same_work_alone_and_inside_the_call() -> None:
    counts = call_counts("anthropic", "answer", calls=2)
    assert set(counts) == {"recorder", "floor", "on_minus_off"}
    assert counts["recorder"] > counts["floor"] > 100  # ours does more than the floor, both real


def test_timings_report_each_emitter_alone_after_the_call_and_after_eviction() -> None:
    out = timings("openai", "answer", rounds=1, calls=1)
    assert set(out) == {"gc on", "gc off"}
    for row in out.values():
        assert row["recorder alone"] > 0 and row["floor alone"] > 0
        assert {f"floor after evicting {mb} MiB" for mb in (1, 4, 16)} <= set(row)
