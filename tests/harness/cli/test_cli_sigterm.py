"""SIGTERM stops a command cleanly: what it started (bench workers, simulators) goes with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(x) for x in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


BENCH_ONE = ["--setups", "ours_on", "--providers", "openai", "--workloads", "answer"]
BENCH_ONE += ["--memory-calls", "0"]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_sigterm_during_bench_stops_its_workers_too() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "bench", "--json", "--rounds", "500", *BENCH_ONE],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:  # bare and ours_on
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the bench never started its workers"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.returncode == 128 + signal.SIGTERM
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "bench workers outlived the bench"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
