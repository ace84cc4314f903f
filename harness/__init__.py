"""The sik-llms harness: makes LLM telemetry testable offline. One folder per role:

- ``spans/``: capture a block's spans and metrics in memory; span trees (query, render,
  partial-tree patterns, syrupy snapshots).
- ``cassettes/``: vcrpy-format recordings: load / save, SSE splitting, request matching,
  the replay and recording transports, scrubbing and scanning for secrets, ``use_cassette``,
  the replay report (``sik-llms replay``) and the project's recorded suite (``sik-llms record``).
- ``simulator/``: a loopback HTTP server speaking the providers' wire protocols, driven by
  scenarios or by cassettes (served through ``cassettes``).
- ``clock`` (the virtual clock), ``collector`` (a loopback OTLP receiver), ``pytest_plugin``
  (the ``pytest11`` entry point), and the product commands (demo, bench, load, CLI).

Imports flow down: the harness imports ``sik_llms``, never the reverse, and nothing here
imports ``loadtests`` (``tests/test_import_graph.py`` holds this).
"""
