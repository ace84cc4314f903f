"""The answer to an unscripted request: sensible, deterministic, shaped by what was asked.

Same prompt + model + seed -> same answer. A forced tool gets a call with schema-valid
arguments, a json_schema request gets schema-valid JSON, a thinking request gets a thinking
block, anything else gets short text derived from the prompt.
"""

from __future__ import annotations

import hashlib
import random
import re

from harness.simulator.model import Answer, RequestView, ToolCall
from harness.simulator.openai_wire import DUMPS
from harness.simulator.schemagen import generate
from harness.simulator.tokens import truncate_to_tokens

_SENTENCES = (
    "Here is a concise answer based on what you asked.",
    "The short version is that it depends on the details, but the common case is straightforward.",
    "A good first step is to check the inputs and confirm the expected output.",
    "In practice this works well for most workloads.",
    "Let me know if you would like more detail on any part.",
    "This answer comes from the sik-llms provider simulator, so it is deterministic.",
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


def rng_for(view: RequestView, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{view.model}\x00{view.prompt_text}".encode()).hexdigest()
    return random.Random(digest)


def default_text(view: RequestView, rng: random.Random) -> str:
    asked = " ".join(view.last_user_text.split())
    opening = f"You asked: \"{asked[:60]}\"." if _WORD.search(asked) else "Hello! How can I help you today?"
    picks = rng.sample(_SENTENCES, k=rng.randint(1, 3))
    return " ".join([opening, *picks])


def default_answer(view: RequestView, seed: int) -> Answer:
    rng = rng_for(view, seed)
    answer = Answer()
    if view.thinking:
        answer.thinking = f"The user wants: {view.last_user_text[:80]}. I will answer briefly and precisely."
    if view.forced_tool:
        tool = next((t for t in view.tools if t.name == view.forced_tool), view.tools[0])
        answer.tool_calls = [ToolCall(tool.name, generate(tool.schema, rng, tool.name))]
        return answer
    if view.response_format == "json_schema" and view.response_schema is not None:
        answer.text = DUMPS(generate(view.response_schema, rng))
        return answer
    if view.response_format == "json_object":
        answer.text = DUMPS({"answer": default_text(view, rng)})
        return answer
    text = default_text(view, rng)
    if view.max_tokens:
        text, answer.truncated = truncate_to_tokens(text, max(1, int(view.max_tokens)))
    answer.text = text
    return answer
