"""``sik-llms demo --html``: the demo's traces as one self-contained, Jaeger-like timeline page.

One HTML file, no network: inline CSS, a few lines of inline JavaScript (click a span to see
its attributes), bar positions computed here (so the page is a static picture even with
JavaScript off). Each trace is a waterfall: one row per span, indented by depth, a bar on the
trace's time axis, errors in red, tokens and cost on the row.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from harness.spans.values import format_cost

CSS = """
body{font:13px/1.4 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 20px}header h1{font-size:18px;margin:0}
header p{margin:4px 0 0;color:#b8c0cc}
section.trace{background:#fff;margin:16px 20px;border:1px solid #dde1e6;border-radius:6px}
section.trace h2{font-size:14px;margin:0;padding:10px 12px;border-bottom:1px solid #dde1e6;background:#fafbfc}
.summary{color:#5a6473;font-weight:normal;margin-left:8px}
.axis,.row{display:grid;grid-template-columns:360px 1fr 170px;align-items:center}
.axis{font-size:11px;color:#5a6473;border-bottom:1px solid #eef0f3;padding:2px 0}
.ticks{position:relative;height:16px}.tick{position:absolute;top:0;border-left:1px solid #dde1e6;padding-left:3px}
.row{border-bottom:1px solid #f1f3f5;cursor:pointer;min-height:24px}.row:hover{background:#f3f7ff}
.row.error .name{color:#c62828;font-weight:600}.name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:3px 8px}
.lane{position:relative;height:24px;margin-right:8px}
.bar{position:absolute;top:6px;height:12px;border-radius:2px;background:#3b82f6;min-width:2px}
.bar.llm{background:#8b5cf6}.bar.http{background:#14b8a6}.bar.tool{background:#f59e0b}.bar.agent{background:#2563eb}
.bar.error{background:#e53935}.bar.slowest{outline:2px solid #f59e0b}
.dur{position:absolute;top:4px;font-size:11px;color:#5a6473;white-space:nowrap}
.meta{font-size:11px;color:#5a6473;text-align:right;padding-right:10px;white-space:nowrap}
.attrs{display:none;grid-column:1/4;background:#fbfbfd;border-top:1px dashed #dde1e6;padding:6px 12px}
.row.open + .attrs{display:block}
.attrs table{border-collapse:collapse;font:12px ui-monospace,Menlo,Consolas,monospace}
.attrs td{padding:1px 10px 1px 0;vertical-align:top}.attrs td:first-child{color:#5a6473}
footer{margin:16px 20px;color:#5a6473;font-size:12px}
"""

JS = """
document.querySelectorAll('.row').forEach(function(r){r.addEventListener('click',function(){r.classList.toggle('open');});});
"""


def _kind_class(node: dict[str, Any]) -> str:
    name = node["name"]
    if node["status"] == "error":
        return "error"
    if name == "http.request":
        return "http"
    if name.startswith("reasoning.tool."):
        return "tool"
    if name.startswith("llm.reasoning_agent") or name.startswith("trip_planning"):
        return "agent"
    if name.startswith("llm."):
        return "llm"
    return ""


def _rows(node: dict[str, Any], total: float, depth: int = 0) -> list[str]:
    start = node["start_s"] / total * 100 if total else 0.0
    width = max(node["duration_s"] / total * 100 if total else 100.0, 0.3)
    width = min(width, 100.0 - start) if start < 100 else 0.3
    classes = " ".join(c for c in ("row", "error" if node["status"] == "error" else "") if c)
    bar = " ".join(c for c in ("bar", _kind_class(node), "slowest" if node["slowest"] else "") if c)
    meta = []
    if node["tokens_in"] or node["tokens_out"]:
        meta.append(f"{node['tokens_in']:,} &rarr; {node['tokens_out']:,} tok")
    if node["cost_usd"]:
        meta.append(f"${format_cost(node['cost_usd'])}")
    attrs = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(json.dumps(v) if not isinstance(v, str) else v)}</td></tr>"
        for k, v in node["attributes"].items()
    )
    label = html.escape(node["label"]) + (" &#9664; slowest" if node["slowest"] else "")
    dur_left = min(start + width, 88.0)
    out = [
        f'<div class="{classes}" title="{html.escape(node["name"])}">'
        f'<div class="name" style="padding-left:{8 + 16 * depth}px">{label}</div>'
        f'<div class="lane"><div class="{bar}" style="left:{start:.3f}%;width:{width:.3f}%"></div>'
        f'<span class="dur" style="left:calc({dur_left:.3f}% + 4px)">{node["duration_s"]:.2f}s</span></div>'
        f'<div class="meta">{" &middot; ".join(meta)}</div></div>'
        f'<div class="attrs"><table><tr><td>span</td><td>{html.escape(node["name"])} ({node["kind"]}, '
        f"{node['status']})</td></tr><tr><td>start</td><td>+{node['start_s']:.3f}s</td></tr>{attrs}</table></div>"
    ]
    for child in node["children"]:
        out += _rows(child, total, depth + 1)
    return out


def _axis(total: float) -> str:
    ticks = []
    for i in range(6):
        t = total * i / 5
        ticks.append(f'<span class="tick" style="left:{i * 20 if i < 5 else 95}%">{t:.2f}s</span>')
    return (
        f'<div class="axis"><div class="name">span</div><div class="ticks">{"".join(ticks)}</div>'
        f'<div class="meta">tokens &middot; cost</div></div>'
    )


def _trace(title: str, summary: str, tree: dict[str, Any]) -> str:
    total = tree["duration_s"] or 1e-9
    return (
        f'<section class="trace"><h2>{html.escape(title)}<span class="summary">{html.escape(summary)}</span></h2>'
        f"{_axis(total)}{''.join(_rows(tree, total))}</section>"
    )


def render_html(report: dict[str, Any]) -> str:
    """The page as a string."""
    trip = report["trip"]
    s = trip["summary"]
    sections = [
        _trace(
            f"Trip Planning Request: \u201c{trip['question']}\u201d",
            f"{s['duration_s']:.2f}s, ${format_cost(s['cost_usd'])}, {s['tokens_in']:,} + {s['tokens_out']:,} tokens, "
            f"{s['iterations']} iterations, {s['tool_calls']} tool calls",
            trip["tree"],
        )
    ]
    for sc in report["scenarios"]:
        if "tree" in sc:
            sections.append(_trace(sc["title"], "", sc["tree"]))
    mode = (
        "live against the simulator"
        if report["mode"] == "live"
        else "replayed from the project's cassettes"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(report['title'])}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(report['title'])}</h1><p>{mode}; click a span for its attributes</p></header>"
        + "".join(sections)
        + "<footer>Made by <code>sik-llms demo --html</code>. Errors are red; the slowest agent step is outlined."
        "</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


def write_html(report: dict[str, Any], path: str | Path) -> Path:
    """Write the page to ``path``."""
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path
