"""``sik-llms bench``: what telemetry costs per call, next to the bare SDKs and the peers.

- ``model``: providers, workloads, setups and the run's configuration (data);
- ``wire`` and ``calls``: answers from memory, and one call per setup;
- ``worker``: one setup per subprocess (``python -m harness.bench.worker``), the protocol's
  worker side; ``runner``: the parent side, interleaved rounds;
- ``analysis``: medians, overheads and targets (pure); ``report``: Markdown and rich tables;
- ``profiling``: cProfile of sik_llms with telemetry on.
"""

from harness.bench.model import PROVIDERS, SETUPS, WORKLOADS, BenchConfig, Setup
from harness.bench.profiling import profile_ours
from harness.bench.report import markdown, markdown_document, print_rich
from harness.bench.runner import run_bench

__all__ = [
    "PROVIDERS",
    "SETUPS",
    "WORKLOADS",
    "BenchConfig",
    "Setup",
    "markdown",
    "markdown_document",
    "print_rich",
    "profile_ours",
    "run_bench",
]
