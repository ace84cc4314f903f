"""Bounded locust loads against the provider simulator, in phases, and their summary.

- ``phases``: the phases and the run's configuration (data);
- ``runner``: the simulator, collectors and locust processes, bounded and stopped by PID;
- ``analysis``: per-phase figures from locust's result and the collector's spans (pure);
- ``report``: the Markdown table, the SVG chart and the files a run writes;
- ``users`` and ``locust_events``: what runs inside locust (the locustfile imports them).

Only ``users``/``locust_events`` import locust and gevent, and only inside the locust process.
"""

from harness.load.analysis import summarise
from harness.load.phases import PHASES, QUICK, LoadConfig, Phase
from harness.load.report import chart_svg, summary_markdown, table, write_summary
from harness.load.runner import run_distributed, run_phase, run_phases
from harness.measure import percentile, wilson

__all__ = [
    "PHASES",
    "QUICK",
    "LoadConfig",
    "Phase",
    "chart_svg",
    "percentile",
    "run_distributed",
    "run_phase",
    "run_phases",
    "summarise",
    "summary_markdown",
    "table",
    "wilson",
    "write_summary",
]
