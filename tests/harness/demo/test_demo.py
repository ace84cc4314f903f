"""``sik-llms demo``: deterministic, readable, complete, self-contained, exportable, offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.collector import Collector

ROOT = Path(__file__).resolve().parents[3]
SIK = [sys.executable, "-m", "harness.cli"]


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["demo", *args]) == 0
    return capsys.readouterr().out


def test_two_runs_print_the_same_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_demo(capsys)
    second = run_demo(capsys)
    assert first == second
    assert "\x1b[" not in first  # not a terminal: no colour codes


def test_two_runs_print_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_demo(capsys, "--json")
    second = run_demo(capsys, "--json")
    assert first == second
    report = json.loads(first)
    assert report["mode"] == "replay"
    assert {s["id"] for s in report["scenarios"]} == {"error_401", "retry_429", "cost_sampler"}


def test_plain_lines_fit_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_demo(capsys)
    too_long = [line for line in out.splitlines() if len(line) > 80]
    assert not too_long, too_long


def test_trees_are_the_harness_xray_view_with_agent_spans_tools_and_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run_demo(capsys)
    for needle in (
        "trip_planning.request (12.15s)",
        "llm.reasoning_agent.stream",
        "reasoning.thinking.iteration_1",
        "reasoning.tool.search_flights",
        "reasoning.tool.search_hotels",
        "reasoning.final_answer",
        "◀ slowest",
        "llm.request (",
        "→",
        "tokens $",
        "http.request (",
        "ERROR 429",
        "ERROR 401",
    ):
        assert needle in out, needle
    assert re.search(
        r'llm_tokens_input_total.*\n\s+\{llm_model="gpt-5.4-mini",llm_provider="openai"\}\s+\d+',
        out,
    )
    assert re.search(r'llm_reasoning_iterations_total.*\n.*reasoning_effort="medium"\}\s+3\n', out)


def test_trees_come_from_the_harness_renderer(capsys: pytest.CaptureFixture[str]) -> None:
    """One tree renderer: the demo prints what ``str(capture.tree(style="xray"))`` prints."""
    report = json.loads(run_demo(capsys, "--json"))
    out = run_demo(capsys)
    for section in [report["trip"], *report["scenarios"][:2]]:
        assert section["xray"].startswith("trace ")
        for line in section["xray"].splitlines():
            assert line[:79] in out, line


def test_report_numbers_come_from_the_spans(capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(run_demo(capsys, "--json"))
    trip = report["trip"]
    tree = trip["tree"]

    def walk(node: dict) -> list[dict]:
        return [node, *[d for c in node["children"] for d in walk(c)]]

    requests = [n for n in walk(tree) if n["name"] == "llm.request"]
    assert len(requests) == trip["summary"]["llm_calls"] == 6
    assert trip["summary"]["tokens_in"] == sum(
        r["attributes"]["llm.tokens.input"] for r in requests
    )
    assert trip["summary"]["iterations"] == 3 and trip["summary"]["tool_calls"] == 2
    # realistic recorded timing: each LLM call takes between 0.3 s and 10 s
    assert all(0.3 < r["duration_s"] < 10 for r in requests)
    assert sum(1 for n in walk(tree) if n["slowest"]) == 1
    error, retry, sampler = report["scenarios"]
    assert error["facts"]["error=true"] is True and error["tree"]["status"] == "error"
    assert retry["facts"]["statuses"] == [429, 200]
    decisions = {(r["sampler"], r["model"]): r["decision"] for r in sampler["rows"]}
    assert decisions[("CostBasedSampler", "gpt-5.5")] == "kept"
    assert decisions[("CostBasedSampler", "gpt-5.4-mini")] == "dropped"


def test_html_is_self_contained_with_waterfall_bars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "trace.html"
    run_demo(capsys, "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(https?:)?//|@import""", text, re.I)
    bars = re.findall(r'class="bar[^"]*" style="left:([\d.]+)%;width:([\d.]+)%"', text)
    assert len(bars) >= 25 and all(float(w) > 0 for _, w in bars)
    assert 'class="row error"' in text  # the 401 is red


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")
def test_html_renders_in_headless_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "trace.html"
    run_demo(capsys, "--html", str(page))
    base = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'p'}",
    ]
    png = tmp_path / "shot.png"
    subprocess.run(
        [*base, f"--screenshot={png}", "--window-size=1200,900", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000  # a blank page compresses to far less
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    widths = re.findall(r'class="bar[^"]*" style="left:[\d.]+%;width:([\d.]+)%"', dom)
    assert widths and all(float(w) > 0 for w in widths)


def test_otlp_export_delivers_the_spans(capsys: pytest.CaptureFixture[str]) -> None:
    with Collector() as collector:
        report = json.loads(run_demo(capsys, "--json", "--otlp", collector.endpoint))
        expected = report["otlp"]["spans"]
        spans = collector.wait_for_spans(expected, timeout=10)
    assert expected >= 30 and len(spans) == expected
    names = {s.name for s in spans}
    assert {"llm.reasoning_agent.stream", "reasoning.tool.search_flights", "http.request"} <= names


@pytest.mark.skipif(
    not shutil.which("unshare")
    or subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0,
    reason="unshare -rn (user namespaces) is unavailable",
)
def test_demo_works_without_a_network(capsys: pytest.CaptureFixture[str]) -> None:
    normal = subprocess.run([*SIK, "demo"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    offline = subprocess.run(
        ["unshare", "-rn", *SIK, "demo"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == normal.stdout
