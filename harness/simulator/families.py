"""What the simulator knows about model families: which names exist, which ones reason.

Real APIs answer an unknown model with an error (OpenAI chat 404 ``model_not_found``, the
Responses API 400, Anthropic 404 ``not_found_error``) and reasoning models reason without being
asked (OpenAI gpt-5 / o-series default ``reasoning.effort`` is ``medium``). The name grammars
below follow the providers' published model lists (platform.openai.com/docs/models,
docs.claude.com/en/docs/about-claude/models): a family, a version, optional size / variant words
and an optional snapshot date. They accept every real name and reject typos such as
``claude-sonet-4-5``; a name the installed SDKs list is known too (``sik_llms.sdk_catalog``), so
the simulator never 404s a model the SDK offers. A scenario's ``models:`` list or
``validate: {models: false}`` overrides them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sik_llms.sdk_catalog import sdk_model_provider

__all__ = [
    "anthropic_model_known",
    "anthropic_supports_effort",
    "default_openai_effort",
    "is_openai_reasoning",
    "open_model_reasons",
    "openai_model_known",
    "third_party_model",
]

_DATE = r"(?:-\d{4}-\d{2}-\d{2}|-\d{4}|-\d{8})"
_OPENAI_WORDS = (
    r"(?:mini|nano|turbo|pro|preview|instruct|chat|latest|search|audio|realtime|codex|max|vision|16k|32k|"
    r"deep-research|transcribe|tts|\d+b)"
)
_OPENAI = re.compile(
    rf"^(?:ft:.+"
    rf"|gpt-(?:3\.5-turbo|4|4o|4\.1|4\.5|5(?:\.\d)?|oss)(?:-{_OPENAI_WORDS})*{_DATE}?(?:-{_OPENAI_WORDS})*"
    rf"|o[1-9](?:-{_OPENAI_WORDS})*{_DATE}?"
    rf"|chatgpt-4o-latest|codex-mini(?:-latest)?|computer-use-preview{_DATE}?"
    rf"|text-embedding-(?:3-small|3-large|ada-002)|omni-moderation-latest|davinci-002|babbage-002)$"
)
_CLAUDE_FAMILY = r"(?:opus|sonnet|haiku)"
_ANTHROPIC = re.compile(
    rf"^claude-(?:{_CLAUDE_FAMILY}-\d+(?:-\d)?|\d(?:-\d)?-{_CLAUDE_FAMILY}|instant-1\.2|2\.[01])(?:-\d{{8}}|-latest)?$"
)
_OPENAI_REASONING = re.compile(r"^(?:o[1-9]|gpt-5|gpt-oss|codex-mini|computer-use)")


@lru_cache(maxsize=4096)
def openai_model_known(model: str) -> bool:
    """True for a name OpenAI serves (``gpt-4o-mini``, ``gpt-5.5``, ``o4-mini-2025-04-16``, ``ft:...``)
    or the installed OpenAI SDK lists (``gpt-6-sol``: newer than the grammar)."""
    return bool(_OPENAI.match(model)) or sdk_model_provider(model) == "openai"


@lru_cache(maxsize=4096)
def anthropic_model_known(model: str) -> bool:
    """True for a name Anthropic serves (``claude-sonnet-4-6``, ``claude-3-5-haiku-20241022``, ``-latest``)
    or the installed Anthropic SDK lists (``claude-fable-5``)."""
    return bool(_ANTHROPIC.match(model)) or sdk_model_provider(model) == "anthropic"


@lru_cache(maxsize=4096)
def is_openai_reasoning(model: str) -> bool:
    """gpt-5*, o-series, gpt-oss reason; ``gpt-5-chat-latest`` (the non-reasoning chat model) does not."""
    return bool(_OPENAI_REASONING.match(model)) and "-chat" not in model


def default_openai_effort(model: str) -> str | None:
    """``reasoning.effort`` the API applies when the request names none (None: not a reasoning model)."""
    return "medium" if is_openai_reasoning(model) else None


#: Anthropic ``output_config.effort`` levels (docs.claude.com "effort"); ``xhigh`` is refused
ANTHROPIC_EFFORTS = ("high", "low", "max", "medium")


def anthropic_supports_effort(level: str) -> bool:
    return level in ANTHROPIC_EFFORTS


#: families other servers serve behind OpenAI-compatible endpoints (vLLM, Ollama, Groq, Together,
#: DeepSeek, Mistral, OpenRouter...); a name like these on ``/v1`` means such a server, not OpenAI
_THIRD_PARTY = re.compile(
    r"^(?:llama|meta-llama|codellama|mistral|mixtral|codestral|magistral|ministral|pixtral|qwen|qwq|deepseek|gemma|"
    r"gemini|phi|command|grok|sonar|kimi|moonshot|glm|yi-|falcon|hermes|nous|olmo|granite|nemotron|dbrx|jamba|"
    r"openchat|vicuna|zephyr|starcoder|tinyllama|smollm|minimax|ernie|baichuan|internlm)",
    re.IGNORECASE,
)
_REASONS = re.compile(r"(?:reasoner|-r1\b|^r1|qwq|think|magistral|qwen3|gpt-oss)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def third_party_model(model: str) -> bool:
    """A model some other server serves (HF-style ``org/name``, Ollama ``name:tag``, open families)."""
    return "/" in model or ":" in model or bool(_THIRD_PARTY.match(model))


def open_model_reasons(model: str) -> bool:
    """Open reasoning models (DeepSeek-R1 / reasoner, QwQ, Qwen3, Magistral) think on every answer."""
    return bool(_REASONS.search(model))
