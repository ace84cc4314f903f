"""``sik-llms demo``: the guide's X-ray view, from real replayed calls, the same on every run.

- ``tour``: runs the calls (cassettes on a virtual clock, or the simulator live) and captures
  their spans and metrics;
- ``sections``: what they left, as the report's plain data (pure);
- ``text`` and ``html``: the report rendered for a terminal and as one self-contained page.
"""

from harness.demo.html import render_html, write_html
from harness.demo.text import print_report, render_text, report_lines
from harness.demo.tour import run_tour

__all__ = ["print_report", "render_html", "render_text", "report_lines", "run_tour", "write_html"]
