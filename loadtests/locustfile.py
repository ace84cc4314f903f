"""The locustfile ``sik-llms load`` runs: locust users driving the instrumented sik_llms client
against the provider simulator (``locust -f loadtests/locustfile.py``).

A thin face: what a user does and what each process counts is in ``harness.load.users``; the
event listeners that ship those counts to the master exactly once and write the run's result
are in ``harness.load.locust_events`` (importing it registers them). The environment that
configures a run (``SIK_LOAD_*``, ``OTEL_*``) is described there; ``harness.load.runner`` sets
it. The wheel carries this file as ``harness/bundled/loadtests/locustfile.py``.
"""

from harness.load.locust_events import LLMUser

__all__ = ["LLMUser"]
