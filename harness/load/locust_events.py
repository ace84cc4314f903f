"""The locust side of a load run: event listeners that ship each process's measurements to the
master exactly once, write the run's result file, and the ``LLMUser`` class.

Importing this module registers the listeners on locust's global ``events`` (the locustfile
does, inside the locust process only; it gevent-patches the process).

- ``SIK_LOAD_RESULT``: where the master (or the local runner) writes its JSON results, in
  ``events.quitting``. A master has the workers' final reports by then because it asked each
  worker for them in ``test_stopping`` and waited (see ``_on_test_stopping``).
- ``SIK_LOAD_WORKER_DIR``: where each worker writes its own totals at exit, to check the
  master's aggregate against.

Each call fires one locust request event (``request_type`` = kind, latency in ms,
``response_length`` = output tokens); time to first chunk, tokens, span counts and process CPU
travel to the master in ``report_to_master``.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import gevent
from locust import User, events, task
from locust.env import Environment
from locust.runners import STATE_INIT, STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from harness.load.users import (
    AGENT_QUESTION,
    KINDS,
    METRICS,
    MODELS,
    QUESTION,
    WEIGHTS,
    build_client,
    cost_sampler_rate,
    merge_parts,
    process_snapshot,
    root_span,
    setup_telemetry,
    totals_of,
)

__all__ = ["LLMUser"]

# This worker's reports: a sequence number per report, and whether the users have stopped (after
# that a report carries everything that is left, and later ones are empty).
REPORTS: dict[str, Any] = {"seq": 0, "done": False}
# The master's view: parts received, the latest (cumulative) process snapshot per worker, the last
# sequence number per worker, reports refused as repeats, reports missing in the sequence, the
# workers whose final report arrived, and those the master gave up waiting for.
AGGREGATE: dict[str, Any] = {
    "parts": [],
    "workers": {},
    "seq": {},
    "duplicates": 0,
    "gaps": 0,
    "done": set(),
    "unfinished": [],
}
FINISH_MSG = "sik_load_finish"  # master -> worker: stop your users and send your final report now
FINISH_GRACE_S = 10.0  # beyond --stop-timeout, how long the master waits for the final reports


# Why the master asks for the final reports itself. With ``-t``, locust's MasterRunner.quit()
# sends "quit" to the workers, sleeps 0.5 s and kills the greenlet that receives their
# messages. A worker answers "quit" with stop() (which waits up to --stop-timeout for the calls
# in flight) and only then sends its final report. The calls in flight often need longer than
# 0.5 s (an agent run takes about 1 s), so that report (custom metrics and locust's own request
# stats alike) often reached a master that had stopped listening, and ``quitting`` came too late
# to wait for it (measured: master 16 calls, workers 24). So, in ``test_stopping``
# (fired by MasterRunner.stop() before the "quit" messages, while the master still listens), the
# master sends each worker FINISH_MSG and waits, bounded, until each has sent a report marked
# ``done``. Each report carries only what was measured since the previous one, numbered per
# worker, and the master refuses a number it has already counted: nothing travels twice.


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(FINISH_MSG, _on_finish)


def _on_finish(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: stop the users as locust's own "stop" does, then send the final report at once."""
    runner = environment.runner
    runner.stop()  # users finish the call in flight (up to --stop-timeout); nothing is measured after
    REPORTS["done"] = True
    data: dict[str, Any] = {}  # what WorkerRunner._send_stats does, with the public API
    environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
    runner.send_message("stats", data)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    t = os.times()
    METRICS.cpu_start = t.user + t.system
    if isinstance(environment.runner, MasterRunner):
        AGGREGATE.update(parts=[], workers={}, done=set(), unfinished=[])
        return
    METRICS.reset()
    METRICS.totals.clear()
    REPORTS["done"] = False
    setup_telemetry()


@events.test_stopping.add_listener
def _on_test_stopping(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    # Only connected workers. When locust stops because the last worker quit or went missing
    # (from the greenlet that receives messages, which this wait would block), there are none.
    awaited = [
        c.id for c in runner.clients.all if c.state in (STATE_INIT, STATE_SPAWNING, STATE_RUNNING)
    ]
    for client_id in awaited:
        runner.send_message(FINISH_MSG, client_id=client_id)
    deadline = time.monotonic() + (environment.stop_timeout or 0.0) + FINISH_GRACE_S
    while time.monotonic() < deadline:
        # a worker that quit or went missing meanwhile sends nothing more: stop waiting for it
        if all(cid in AGGREGATE["done"] or cid not in runner.clients for cid in awaited):
            break
        gevent.sleep(0.05)
    AGGREGATE["unfinished"] = [cid for cid in awaited if cid not in AGGREGATE["done"]]


@events.report_to_master.add_listener
def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    REPORTS["seq"] += 1
    data["sik_load"] = {
        "seq": REPORTS["seq"],
        "done": REPORTS["done"],
        "part": METRICS.take(),
        "process": process_snapshot(),
    }


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    payload = data.get("sik_load")
    if not payload:
        return
    last = AGGREGATE["seq"].get(client_id, 0)
    if payload["seq"] <= last:
        AGGREGATE["duplicates"] += 1  # already counted
        return
    AGGREGATE["gaps"] += payload["seq"] - last - 1
    AGGREGATE["seq"][client_id] = payload["seq"]
    AGGREGATE["parts"].append(payload["part"])
    AGGREGATE["workers"][client_id] = payload["process"]  # cumulative: keep the latest
    if payload["done"]:
        AGGREGATE["done"].add(client_id)


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        # the worker's own count, for checking the master's aggregate (all reports are sent by now)
        folder = os.environ.get("SIK_LOAD_WORKER_DIR")
        if folder:
            totals = {
                kind: {k: v for k, v in c.items() if v}
                for kind, c in sorted(METRICS.totals.items())
            }
            _write_json(
                os.path.join(folder, f"{runner.client_id}.json"),
                {
                    "client_id": runner.client_id,
                    "totals": totals,
                    "reports_sent": REPORTS["seq"],
                    "done": REPORTS["done"],
                },
            )
        return
    path = os.environ.get("SIK_LOAD_RESULT")
    if not path:
        return
    reports: dict[str, Any] | None = None
    if isinstance(runner, MasterRunner):
        parts, processes = AGGREGATE["parts"], list(AGGREGATE["workers"].values())
        reports = {
            "workers": sorted(AGGREGATE["workers"]),
            "done": sorted(AGGREGATE["done"]),
            "unfinished": AGGREGATE["unfinished"],
            "duplicates": AGGREGATE["duplicates"],
            "gaps": AGGREGATE["gaps"],
        }
    else:
        parts, processes = [METRICS.take()], [process_snapshot()]
    stats = environment.stats
    locust_stats = {
        name: {"num_requests": s.num_requests, "num_failures": s.num_failures}
        for (name, _method), s in stats.entries.items()
    }
    locust_stats["Aggregated"] = {
        "num_requests": stats.total.num_requests,
        "num_failures": stats.total.num_failures,
    }
    merged = merge_parts(parts)
    result = {
        "phase": os.environ.get("SIK_LOAD_PHASE", ""),
        "mode": type(runner).__name__,
        "workers": len(processes),
        "models": MODELS,
        "weights": WEIGHTS,
        "cost_rates": {kind: cost_sampler_rate(kind, MODELS[kind]) for kind in KINDS},
        "metrics": merged,
        "totals": totals_of(merged),
        "reports": reports,
        "processes": processes,
        "locust": locust_stats,
        "quit_time": time.time(),
    }
    _write_json(path, result)


# --------------------------------------------------------------------------- the user


class LLMUser(User):
    """One simulated application user calling sik_llms in a closed loop."""

    def wait_time(self) -> float:
        return 0.0

    def on_start(self) -> None:
        setup_telemetry()
        self.clients = {kind: build_client(kind) for kind in KINDS if WEIGHTS[kind] > 0}

    def call(self, kind: str) -> None:
        """One instrumented call, reported to locust and to the custom metrics."""
        client = self.clients[kind]
        messages = AGENT_QUESTION if kind == "agent" else QUESTION
        ttft: float | None = None
        tokens = 0
        error: BaseException | None = None
        start = time.perf_counter()
        wall_start = time.time()
        try:
            with root_span(kind):
                if kind in ("stream", "agent"):
                    last: Any = None
                    for item in client.stream_sync(messages):
                        if ttft is None and type(item).__name__ == "TextChunkEvent":
                            ttft = (time.perf_counter() - start) * 1000
                        last = item
                    response = last
                else:
                    response = client(messages)
                tokens = int(getattr(response, "output_tokens", 0) or 0)
        except Exception as exc:
            error = exc
        elapsed = (time.perf_counter() - start) * 1000
        METRICS.record(kind, wall_start, elapsed, ttft, tokens, failed=error is not None)
        self.environment.events.request.fire(
            request_type="llm",
            name=kind,
            response_time=elapsed,
            response_length=tokens,
            exception=error,
            context={"ttft_ms": ttft, "model": MODELS[kind]},
        )

    @task
    def one_call(self) -> None:
        kinds = [k for k in KINDS if WEIGHTS[k] > 0]
        self.call(random.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0])
