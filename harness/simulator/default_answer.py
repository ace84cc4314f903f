"""The answer to an unscripted request: what a model does, deterministically.

Same request + seed -> same answer. The decisions follow what real models do in the recordings
(cassettes-real) and the providers' docs:

- **Tools.** A forced tool gets a call. With tools offered, ``tool_choice`` auto or absent and a
  conversation ending in a user turn, the model calls them: the two best-fitting tools in
  parallel when several are offered, one tool once per entity the question names ("Seattle and
  San Francisco": two calls); arguments validate against the tool's JSON schema and carry the
  entities the user named. Once tool results come back it answers in text, so a loop completes.
  Custom tools (OpenAI ``type: custom``) get a free-form input; built-in web search (Responses
  ``web_search_preview``, Anthropic ``web_search_20250305``) runs a search and answers with
  citations.
- **Reasoning.** OpenAI reasoning models (gpt-5*, o-series) reason at the requested effort or
  their default (``medium``): hidden reasoning tokens (a reasoning item with an empty summary in
  the Responses API), scaled by effort and by how much the prompt asks; none at ``minimal`` /
  ``none`` effort, nor at ``low`` for a short ask (as recorded);
  Anthropic with ``thinking`` writes a thinking block; OpenAI-compatible servers asked to reason
  send ``reasoning_content``.
- **Limits.** The answer fits ``max_tokens`` / ``max_output_tokens`` / ``max_completion_tokens``;
  only reasoning can exhaust a small limit (a real gpt-5 spends a 50-token limit on reasoning
  and ends ``incomplete`` with no text). Scenarios script truncation with ``stop_reason: length``.
"""

from __future__ import annotations

import hashlib
import random
import re

from harness.simulator.families import (
    default_openai_effort,
    is_openai_reasoning,
    open_model_reasons,
)
from harness.simulator.grounding import Grounding, pick_tools
from harness.simulator.model import Answer, Citation, RequestView, ServerToolUse, ToolCall, ToolSpec
from harness.simulator.schemagen import generate
from harness.simulator.tokens import count_tokens, truncate_to_tokens
from harness.simulator.wire_json import DUMPS

__all__ = ["default_answer", "fit_to_limit", "rng_for"]

_SENTENCES = (
    "Here is a concise answer based on what you asked.",
    "The short version is that it depends on the details, but the common case is straightforward.",
    "A good first step is to check the inputs and confirm the expected output.",
    "In practice this works well for most workloads.",
    "Let me know if you would like more detail on any part.",
    "This answer comes from the sik-llms provider simulator, so it is deterministic.",
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?\"])\s+")
_URL = re.compile(r"https?://[^\s\"'<>]+")
#: requests every provider's model refuses (weapons, malware): a refusal, not an answer
_HARMFUL = re.compile(
    r"\b(?:bombs?|explosives?|nerve agents?|bioweapons?|chemical weapons?|make meth|malware|"
    r"ransomware|kill (?:someone|a person|people))\b",
    re.IGNORECASE,
)
_REFUSAL = "I'm sorry, but I can't assist with that request."
#: Anthropic compaction edits trigger at this many input tokens unless the edit names a value
_COMPACT_DEFAULT = 150_000
#: reasoning tokens per effort level, in 64-token steps: (low, high) multiples
_EFFORT_STEPS = {"low": (1, 3), "medium": (2, 7), "high": (6, 24), "xhigh": (12, 40)}
_SUMMARY_ASKED = ("auto", "concise", "detailed")


def rng_for(view: RequestView, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{view.model}\x00{view.prompt_text}".encode()).hexdigest()
    return random.Random(digest)


def _last_tool_result(view: RequestView) -> str | None:
    """The text of the tool result that ends the conversation (what the model answers from)."""
    if view.last_is_user or not view.has_tool_results:
        return None
    lines = [
        line for line in view.prompt_text.splitlines() if line.startswith(("tool: ", "user: "))
    ]
    # Anthropic tool results travel inside a user turn
    ends_with_result = bool(lines) and (
        lines[-1].startswith("tool: ") or view.provider == "anthropic"
    )
    return lines[-1].split(": ", 1)[1].strip() if ends_with_result else None


def default_text(view: RequestView, rng: random.Random) -> str:
    asked = " ".join(view.last_user_text.split())
    result = _last_tool_result(view)
    if result is not None:  # after tool results, models answer from them
        opening = (
            f"Based on the tool results ({' '.join(result.split())[:80]}), here is the answer."
        )
    elif _WORD.search(asked):
        opening = f'You asked: "{asked[:60]}".'
    else:
        opening = "Hello! How can I help you today?"
    picks = rng.sample(_SENTENCES, k=rng.randint(1, 3))
    return " ".join([opening, *picks])


def _trivial(view: RequestView) -> bool:
    """A short question with nothing to plan: reasoning models spend few reasoning tokens on it."""
    return (
        count_tokens(view.last_user_text) <= 10 and not view.tools and view.response_format is None
    )


def _reasoning_tokens(view: RequestView, effort: str, rng: random.Random) -> int:
    steps = _EFFORT_STEPS.get(effort)
    if steps is None:  # none / minimal
        return 0
    if effort == "low" and count_tokens(view.last_user_text) <= 24:
        return 0  # recorded: gpt-5.5 at low effort answers short asks (even with a tool) without reasoning
    if effort == "medium" and _trivial(view):
        return 64 * rng.randint(
            1, 2
        )  # a little: a 50-token limit still goes to reasoning, as recorded
    return 64 * rng.randint(*steps)


def _asks_compatible_reasoning(view: RequestView) -> bool:
    body = view.body
    return bool(
        body.get("reasoning_effort")
        or isinstance(body.get("reasoning"), dict)
        or body.get("include_reasoning")
        or body.get("thinking")
    )


_THINKING = (
    "First I should pin down exactly what is being asked and what a good answer needs.",
    "The key facts are in the question itself; nothing suggests a trick.",
    "If tools are available, their results would make the answer concrete, so I should use them.",
    "I will keep the answer short and check it against the question before replying.",
    "There may be edge cases, but the common case matters most here.",
)


def _thinking(view: RequestView, rng: random.Random) -> str:
    """Extended thinking: a few steps, longer for a bigger budget (at most ~1/8 of it)."""
    thinking = view.body.get("thinking") if isinstance(view.body.get("thinking"), dict) else {}
    budget = (
        thinking.get("budget_tokens") if isinstance(thinking.get("budget_tokens"), int) else 2048
    )
    steps = [f"The user wants: {' '.join(view.last_user_text.split())[:80]}."]
    for sentence in rng.sample(_THINKING, k=len(_THINKING)):
        if count_tokens(" ".join([*steps, sentence])) > max(budget // 8, 24):
            break
        steps.append(sentence)
    return " ".join(steps)


def _reason(view: RequestView, answer: Answer, rng: random.Random) -> None:
    thought = f"The user wants: {view.last_user_text[:80]}. I will answer briefly and precisely."
    if view.provider == "anthropic":
        if view.thinking:
            answer.thinking = _thinking(view, rng)
        return
    if view.flavor == "compatible" and not is_openai_reasoning(view.model):
        if _asks_compatible_reasoning(view) or open_model_reasons(view.model):
            answer.thinking = thought  # rendered as reasoning_content, counted as reasoning tokens
        return
    if not is_openai_reasoning(view.model):
        return
    effort = str(view.effort or default_openai_effort(view.model))
    answer.effort = effort
    answer.reasoning_tokens = _reasoning_tokens(view, effort, rng)
    summary = (view.body.get("reasoning") or {}).get("summary") if view.api == "responses" else None
    if summary in _SUMMARY_ASKED and answer.reasoning_tokens:
        answer.thinking = thought
        answer.reasoning_tokens = max(answer.reasoning_tokens - count_tokens(thought), 0)
    if (
        view.flavor == "compatible"
        and view.api == "chat.completions"
        and _asks_compatible_reasoning(view)
    ):
        answer.thinking = thought


def _call(
    tool: ToolSpec,
    view: RequestView,
    grounding: Grounding,
    rng: random.Random,
    index: int,
    calls: int,
) -> ToolCall:
    if tool.kind == "custom":
        asked = " ".join(view.last_user_text.split()) or tool.name
        return ToolCall(tool.name, asked[:200], kind="custom")
    return ToolCall(
        tool.name, generate(tool.schema, rng, tool.name, fill=grounding.fill(calls, index))
    )


def _search(view: RequestView, grounding: Grounding, tool: ToolSpec, answer: Answer) -> None:
    """Run the built-in search (or fetch) and answer with citations of what it found."""
    topic = (
        grounding.entities[0]
        if grounding.entities
        else " ".join(view.last_user_text.split()[:6]) or "topic"
    )
    slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-") or "result"
    results = [
        Citation(f"https://www.example.com/{slug}", f"{topic} - Example Encyclopedia"),
        Citation(f"https://news.example.org/{slug}", f"Latest on {topic} - Example News"),
    ]
    url = _URL.search(view.last_user_text)
    if tool.kind == "web_fetch" and url:
        answer.server_tools = [
            ServerToolUse("web_fetch", url.group(0), [Citation(url.group(0), topic)], tool.name)
        ]
        results = answer.server_tools[0].results
    else:
        query = " ".join(view.last_user_text.split())[:100] or topic
        answer.server_tools = [ServerToolUse("web_search", query, results, tool.name)]
    cited = f"According to {results[0].title}, here is what I found about {topic}."
    answer.text = f"{cited} Sources are linked."
    answer.citations = [Citation(r.url, r.title, 0, len(cited)) for r in results[:1]]


def _compaction(view: RequestView) -> str | None:
    """Anthropic ``context_management`` compaction: a summary once the prompt passes the trigger."""
    management = view.body.get("context_management") if view.provider == "anthropic" else None
    for edit in (management or {}).get("edits") or [] if isinstance(management, dict) else []:
        if isinstance(edit, dict) and str(edit.get("type", "")).startswith("compact"):
            trigger = (edit.get("trigger") or {}).get("value") or _COMPACT_DEFAULT
            if view.prompt_tokens >= int(trigger):
                asked = " ".join(view.last_user_text.split())[-120:]
                return f'The earlier conversation was long; the latest request is: "{asked}".'
    return None


def default_answer(view: RequestView, seed: int) -> Answer:
    rng = rng_for(view, seed)
    answer = Answer()
    _reason(view, answer, rng)
    answer.compaction = _compaction(view)
    if _HARMFUL.search(view.last_user_text) and view.last_is_user:
        if view.provider == "openai" and view.response_format == "json_schema":
            answer.refusal = _REFUSAL  # structured outputs carry the refusal in its own field
        else:
            answer.text = _REFUSAL
        return answer
    grounding = Grounding(view)
    usable = [] if view.tools_disabled else view.tools
    if view.forced_tool and usable:
        if view.forced_tool == "*":
            calls = pick_tools(view, grounding) or [(usable[0], 0)]
        else:
            calls = [(next((t for t in usable if t.name == view.forced_tool), usable[0]), 0)]
        tool = calls[0][0]
        if tool.builtin:
            _search(view, grounding, tool, answer)
        else:
            answer.tool_calls = [_call(t, view, grounding, rng, i, len(calls)) for t, i in calls]
        return fit_to_limit(view, answer)
    if usable and view.last_is_user:
        calls = pick_tools(view, grounding)
        if calls:
            answer.tool_calls = [_call(t, view, grounding, rng, i, len(calls)) for t, i in calls]
            if view.provider == "anthropic":  # Claude says what it is about to do before the calls
                answer.text = f"I'll use {' and '.join(dict.fromkeys(c.name for c in answer.tool_calls))} to answer."
            return fit_to_limit(view, answer)
        search = next((t for t in usable if t.kind.startswith("web_")), None)
        if search is not None:
            _search(view, grounding, search, answer)
            return fit_to_limit(view, answer)
    if view.response_format == "json_schema" and view.response_schema is not None:
        answer.text = DUMPS(generate(view.response_schema, rng, fill=grounding.fill()))
        return fit_to_limit(view, answer, shorten=False)
    if view.response_format == "json_object":
        answer.text = DUMPS({"answer": default_text(view, rng)})
        return fit_to_limit(view, answer, shorten=False)
    answer.text = default_text(view, rng)
    return fit_to_limit(view, answer)


def _shorten(text: str, budget: int) -> str:
    """Whole sentences that fit ``budget`` tokens (or the words that fit, if none does)."""
    if count_tokens(text) <= budget:
        return text
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if count_tokens(" ".join([*kept, sentence])) > budget:
            break
        kept.append(sentence)
    return " ".join(kept) if kept else truncate_to_tokens(text, max(budget, 1))[0]


def fit_to_limit(view: RequestView, answer: Answer, shorten: bool = True) -> Answer:
    """Make the answer fit the request's output-token limit, the way models do.

    Text is shortened to whole sentences (the answer is complete, not cut). Hidden reasoning
    comes first and is not shortened: when it reaches the limit, the limit is all spent on it
    and the answer is incomplete with no text and no calls (as real reasoning models end).
    """
    limit = view.max_tokens
    if not isinstance(limit, int) or limit < 1:
        return answer
    if answer.reasoning_tokens and answer.reasoning_tokens + 16 > limit:
        answer.reasoning_tokens = limit
        answer.text = "" if view.api == "chat.completions" else None
        answer.tool_calls, answer.server_tools, answer.citations, answer.thinking = [], [], [], None
        answer.truncated = True
        return answer
    budget = limit - answer.reasoning_tokens - count_tokens(answer.thinking or "")
    if answer.text and shorten and not answer.citations:
        answer.text = _shorten(answer.text, max(budget, 1))
    return answer
