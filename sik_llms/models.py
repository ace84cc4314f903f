"""The model registry: every known model as data, with prices and capabilities.

Prices are USD per million tokens, as published by the providers. A dated snapshot name
(``gpt-4o-mini-2024-07-18``, ``gpt-3.5-turbo-0125``, ``claude-sonnet-4-5-20250929``) resolves
to its family's entry when the snapshot itself is not listed, so costs work for the exact model
string a response reports. Models with ``None`` prices are known (the provider is known) but
unpriced: their costs are None, never guessed, and ``note_unpriced`` says so once per model.
Every price carries its source (``ModelInfo.price_source``).

A model the installed SDKs list (``sik_llms.sdk_catalog``: their model literal types) is never
"unknown": it resolves to an unpriced entry of the right provider. End-of-life dates come from
the SDKs (``ModelInfo.deprecation_date``: Anthropic's deprecation table, OpenAI's documented
shutdown dates); the Anthropic client warns once per model, as its SDK would.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ModelProvider(StrEnum):
    """Who serves a model (also the ``llm.provider`` telemetry value)."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"


@dataclass(frozen=True)
class ModelInfo:
    """What the client needs to know about a model: limits, prices, capabilities."""

    name: str
    provider: ModelProvider
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    supports_reasoning: bool = False
    supports_tools: bool = True
    supports_structured_output: bool = False
    supports_images: bool = True
    knowledge_cutoff: str | None = None
    max_output_extended_thinking: int | None = None
    aliases: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    price_source: str | None = None

    @property
    def is_priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None

    @property
    def deprecation_date(self) -> str | None:
        """End-of-life date (ISO) from the installed SDK's deprecation table, if it lists one."""
        from sik_llms.sdk_catalog import deprecation_date

        return deprecation_date(self.name, *self.aliases)

    def cost(self, tokens: int, price: float | None) -> float | None:
        """USD for ``tokens`` at ``price`` per million (None when the price is unknown)."""
        if price is None:
            return None
        return tokens * price / 1_000_000


_O = ModelProvider.OPENAI
_A = ModelProvider.ANTHROPIC
_PRICING_PAGE = {_O: "https://openai.com/api/pricing", _A: "https://www.anthropic.com/pricing"}
_ORIGINAL = "sik-llms original model table (reference/sik-llms-original.md, section 2)"
# OpenAI's pricing page, standard tier, context under 270K (as read 2026-06 and quoted by
# morphllm.com/openai-api-pricing and tokenmix.ai/blog/gpt-5-api-pricing).
_OPENAI_2026 = "https://developers.openai.com/api/docs/pricing (standard, <270K context)"


def _claude_page(slug: str) -> str:
    """Anthropic's model overview page, which lists the model's prices (checked 2026-11)."""
    return f"https://platform.claude.com/docs/en/models/{slug}/overview"


def _m(
    name: str,
    provider: ModelProvider,
    prices: tuple[float | None, float | None, float | None, float | None],
    context: int | None,
    max_out: int | None,
    *,
    aliases: tuple[str, ...] = (),
    reasoning: bool = False,
    tools: bool = True,
    structured: bool | None = None,
    images: bool = True,
    cutoff: str | None = None,
    thinking_out: int | None = None,
    source: str | None = None,
    **metadata: Any,
) -> ModelInfo:
    priced = prices[0] is not None and prices[1] is not None
    return ModelInfo(
        price_source=(source or _PRICING_PAGE[provider]) if priced else None,
        name=name,
        provider=provider,
        input_price=prices[0],
        output_price=prices[1],
        cache_read_price=prices[2],
        cache_write_price=prices[3],
        context_window=context,
        max_output_tokens=max_out,
        supports_reasoning=reasoning,
        supports_tools=tools,
        supports_structured_output=(provider == _O) if structured is None else structured,
        supports_images=images,
        knowledge_cutoff=cutoff,
        max_output_extended_thinking=thinking_out,
        aliases=aliases,
        metadata=metadata,
    )


# fmt: off
MODELS: tuple[ModelInfo, ...] = (
    # ---- OpenAI: the original sik-llms table (reference section 2)
    _m("gpt-4.1-2025-04-14", _O, (2, 8, 0.5, None), 1_047_576, 32_768, aliases=("gpt-4.1",), cutoff="2024-05-31", source=_ORIGINAL),
    _m("gpt-4.1-mini-2025-04-14", _O, (0.4, 1.6, 0.1, None), 1_047_576, 32_768, aliases=("gpt-4.1-mini",), cutoff="2024-05-31", source=_ORIGINAL),
    _m("gpt-4.1-nano-2025-04-14", _O, (0.1, 0.4, 0.025, None), 1_047_576, 32_768, aliases=("gpt-4.1-nano",), cutoff="2024-05-31", source=_ORIGINAL),
    _m("gpt-4o-mini-2024-07-18", _O, (0.15, 0.6, 0.075, None), 128_000, 16_384, aliases=("gpt-4o-mini",), cutoff="2023-09-30", source=_ORIGINAL),
    _m("gpt-4o-2024-08-06", _O, (2.5, 10, 1.25, None), 128_000, 16_384, cutoff="2023-09-30", source=_ORIGINAL),
    _m("gpt-4o-2024-11-20", _O, (2.5, 10, 1.25, None), 128_000, 16_384, aliases=("gpt-4o",), cutoff="2023-09-30", source=_ORIGINAL),
    _m("o3-mini-2025-01-31", _O, (1.1, 4.4, 0.55, None), 200_000, 100_000, aliases=("o3-mini",), reasoning=True, cutoff="2023-09-30", source=_ORIGINAL),
    _m("o1-2024-12-17", _O, (15, 60, 7.5, None), 200_000, 100_000, aliases=("o1",), reasoning=True, cutoff="2023-09-30", source=_ORIGINAL),
    # ---- OpenAI: older and newer models
    _m("gpt-4o-2024-05-13", _O, (5, 15, None, None), 128_000, 4_096, cutoff="2023-10-01"),
    _m("gpt-4-turbo-2024-04-09", _O, (10, 30, None, None), 128_000, 4_096, aliases=("gpt-4-turbo",), structured=False, cutoff="2023-12-01"),
    _m("gpt-4-0613", _O, (30, 60, None, None), 8_192, 8_192, aliases=("gpt-4",), structured=False, images=False, cutoff="2021-09-01"),
    _m("gpt-3.5-turbo-0125", _O, (0.5, 1.5, None, None), 16_385, 4_096, aliases=("gpt-3.5-turbo",), structured=False, images=False, cutoff="2021-09-01"),
    _m("o1-mini-2024-09-12", _O, (1.1, 4.4, 0.55, None), 128_000, 65_536, aliases=("o1-mini",), reasoning=True, tools=False, structured=False, images=False, cutoff="2023-10-01"),
    _m("o3-2025-04-16", _O, (2, 8, 0.5, None), 200_000, 100_000, aliases=("o3",), reasoning=True, cutoff="2024-06-01"),
    _m("o4-mini-2025-04-16", _O, (1.1, 4.4, 0.275, None), 200_000, 100_000, aliases=("o4-mini",), reasoning=True, cutoff="2024-06-01"),
    _m("gpt-5-2025-08-07", _O, (1.25, 10, 0.125, None), 400_000, 128_000, aliases=("gpt-5",), reasoning=True, cutoff="2024-09-30"),
    _m("gpt-5-mini-2025-08-07", _O, (0.25, 2, 0.025, None), 400_000, 128_000, aliases=("gpt-5-mini",), reasoning=True, cutoff="2024-05-31"),
    _m("gpt-5-nano-2025-08-07", _O, (0.05, 0.4, 0.005, None), 400_000, 128_000, aliases=("gpt-5-nano",), reasoning=True, cutoff="2024-05-31"),
    _m("gpt-5.1", _O, (1.25, 10, 0.125, None), 400_000, 128_000, reasoning=True, cutoff="2024-09-30"),
    _m("gpt-5.4-mini", _O, (0.75, 4.5, 0.075, None), None, None, reasoning=True, source=_OPENAI_2026),
    _m("gpt-5.4", _O, (2.5, 15, 0.25, None), None, None, reasoning=True, source=_OPENAI_2026),
    _m("gpt-5.5", _O, (5, 30, 0.5, None), None, None, reasoning=True, source=_OPENAI_2026),
    # ---- Anthropic: the original sik-llms table (reference section 2)
    _m("claude-3-5-haiku-20241022", _A, (0.8, 4, 0.08, 1), 200_000, 8_192, aliases=("claude-3-5-haiku-latest",), cutoff="2024-07-31", source=_ORIGINAL),
    _m("claude-3-5-sonnet-20241022", _A, (3, 15, 0.3, 3.75), 200_000, 8_192, aliases=("claude-3-5-sonnet-latest",), cutoff="2024-04-30", source=_ORIGINAL),
    _m("claude-3-7-sonnet-20250219", _A, (3, 15, 0.3, 3.75), 200_000, 64_000, aliases=("claude-3-7-sonnet-latest",), reasoning=True, cutoff="2024-11-30", thinking_out=64_000, source=_ORIGINAL),
    _m("claude-sonnet-4-20250514", _A, (3, 15, 0.3, 3.75), 200_000, 64_000, aliases=("claude-sonnet-4-0", "claude-sonnet-4"), reasoning=True, cutoff="2025-03-31", thinking_out=64_000, source=_ORIGINAL),
    _m("claude-opus-4-20250514", _A, (15, 75, 1.5, 18.75), 200_000, 32_000, aliases=("claude-opus-4-0", "claude-opus-4"), reasoning=True, cutoff="2025-03-31", thinking_out=64_000, source=_ORIGINAL),
    # ---- Anthropic: older and newer models
    _m("claude-3-opus-20240229", _A, (15, 75, 1.5, 18.75), 200_000, 4_096, aliases=("claude-3-opus-latest",), cutoff="2023-08-31"),
    _m("claude-3-haiku-20240307", _A, (0.25, 1.25, 0.03, 0.3), 200_000, 4_096, cutoff="2023-08-31"),
    _m("claude-3-5-sonnet-20240620", _A, (3, 15, 0.3, 3.75), 200_000, 8_192, cutoff="2024-04-30"),
    _m("claude-opus-4-1-20250805", _A, (15, 75, 1.5, 18.75), 200_000, 32_000, aliases=("claude-opus-4-1",), reasoning=True, cutoff="2025-03-31", thinking_out=32_000),
    _m("claude-sonnet-4-5-20250929", _A, (3, 15, 0.3, 3.75), 200_000, 64_000, aliases=("claude-sonnet-4-5",), reasoning=True, cutoff="2025-07-31", thinking_out=64_000),
    _m("claude-haiku-4-5-20251001", _A, (1, 5, 0.1, 1.25), 200_000, 64_000, aliases=("claude-haiku-4-5",), reasoning=True, cutoff="2025-02-28", thinking_out=64_000),
    _m("claude-opus-4-5-20251101", _A, (5, 25, 0.5, 6.25), 200_000, 64_000, aliases=("claude-opus-4-5",), reasoning=True, cutoff="2025-03-31", thinking_out=64_000),
    # Cache prices not on these pages: the parser applies Anthropic's published multipliers.
    _m("claude-opus-4-6", _A, (5, 25, None, None), 1_000_000, 128_000, reasoning=True, source=_claude_page("opus-4-6")),
    _m("claude-sonnet-4-6", _A, (3, 15, None, None), 1_000_000, 128_000, reasoning=True, source=_claude_page("sonnet-4-6")),
    _m("claude-sonnet-5-5", _A, (2, 10, 0.2, 2.5), 1_000_000, 128_000, reasoning=True, source=_claude_page("sonnet-5-5")),
)
# fmt: on

SUPPORTED_MODELS: dict[str, ModelInfo] = {}
for _info in MODELS:
    for _key in (_info.name, *_info.aliases):
        if _key in SUPPORTED_MODELS:  # pragma: no cover - guards the table itself
            raise RuntimeError(f"duplicate model name in the registry: {_key}")
        SUPPORTED_MODELS[_key] = _info

# A trailing snapshot stamp: -2024-07-18, -20240229, -0125 / -0613 (OpenAI 4-digit), -latest.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$")


def get_model_info(model_name: str) -> ModelInfo | None:
    """The registry entry for a model name, alias or dated snapshot; else an unpriced entry for
    a name the installed SDKs list; None if unknown."""
    if not isinstance(model_name, str):
        return None
    info = SUPPORTED_MODELS.get(model_name)
    if info is not None:
        return info
    family = _SNAPSHOT.sub("", model_name)
    if family != model_name and family in SUPPORTED_MODELS:
        return SUPPORTED_MODELS[family]
    return _from_sdk(model_name)


def _from_sdk(model_name: str) -> ModelInfo | None:
    from sik_llms.sdk_catalog import sdk_model_provider

    provider = sdk_model_provider(model_name)
    if provider is None:
        return None
    # Every Claude the SDK lists (4.5 and later) supports extended thinking; limits are unknown.
    return _sdk_entry(model_name, ModelProvider(provider))


_sdk_entries: dict[str, ModelInfo] = {}


def _sdk_entry(name: str, provider: ModelProvider) -> ModelInfo:
    info = _sdk_entries.get(name)
    if info is None:
        info = ModelInfo(
            name=name,
            provider=provider,
            supports_reasoning=provider == _A
            or name.startswith(("o1", "o3", "o4", "gpt-5", "gpt-6")),
            supports_structured_output=provider == _O,
            metadata={
                "known_from": f"the installed {provider.value} SDK's model list",
                "price_note": "unpublished",
            },
        )
        _sdk_entries[name] = info
    return info


_logger = logging.getLogger("sik_llms")
_noted: set[str] = set()
_noted_lock = threading.Lock()


def note_unpriced(model_name: str, info: ModelInfo | None) -> bool:
    """Log once per model (INFO on ``sik_llms``) that it has no published price, so its costs
    are None. Returns True when the model is unpriced."""
    if info is not None and info.is_priced:
        return False
    with _noted_lock:
        if model_name in _noted:
            return True
        _noted.add(model_name)
    _logger.info(
        "no published price for %s in the sik_llms registry: its costs are None (never guessed)",
        model_name,
    )
    return True


def provider_of(model_name: str) -> ModelProvider | None:
    """Which provider serves a registered model (None when unknown)."""
    info = get_model_info(model_name)
    return info.provider if info else None


def close_matches(model_name: str, n: int = 5) -> list[str]:
    """Registered names that look like ``model_name`` (for 'did you mean' messages)."""
    return difflib.get_close_matches(model_name, list(SUPPORTED_MODELS), n=n, cutoff=0.5)


def unknown_model_message(model_name: str) -> str:
    """A clear error text for an unknown model: what is wrong and how to proceed."""
    matches = close_matches(model_name)
    hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
    return (
        f"Unknown model {model_name!r}.{hint} For a model the registry does not know, pass "
        "provider='openai' or provider='anthropic' (costs will be None), or base_url=... for an "
        "OpenAI-compatible server."
    )
