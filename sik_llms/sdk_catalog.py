"""What the installed provider SDKs know about models: names and end-of-life dates.

The registry in ``sik_llms.models`` holds prices and limits we can vouch for; the SDKs ship the
current list of model names (their ``Model`` / ``ChatModel`` / ``ResponsesModel`` literal
types) and their deprecations:

- Anthropic: a table (model -> end-of-life date) that the SDK's own ``messages.create`` warns
  from. We call the SDK's raw ``post``, which skips that warning, so we read the same table and
  warn once per model ourselves (``ModelDeprecationWarning``, a ``DeprecationWarning`` like the
  SDK's).
- OpenAI: no runtime table; the generated model types document "Deprecated values" with an
  announced shutdown date. We parse that text and carry the dates (``ModelInfo.deprecation_date``,
  ``deprecated_models()``) without warning, as the OpenAI SDK does not warn either.

Read lazily and once (the SDK modules are imported on first use, never at ``import
sik_llms``); an SDK that is missing or has moved its tables contributes nothing rather than
failing the call. Sources: ``anthropic.types.model.Model``, ``anthropic._data.DEPRECATED_MODELS``,
``openai.types.shared.ChatModel``, ``openai.types.shared.ResponsesModel`` and the
"Deprecated values" docstrings of ``openai.types.shared.chat_model`` and
``openai.types.responses.response_compact_params``.
"""

from __future__ import annotations

import re
import threading
import typing
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

__all__ = [
    "Deprecation",
    "ModelDeprecationWarning",
    "deprecated_models",
    "deprecation",
    "deprecation_date",
    "sdk_model_provider",
    "sdk_models",
    "warn_if_deprecated",
]


class ModelDeprecationWarning(DeprecationWarning):
    """The model reaches end-of-life on a date the provider's SDK publishes."""


def _literal_names(annotation: Any) -> set[str]:
    """Every string of the ``Literal`` types inside ``annotation`` (unions nest them)."""
    names: set[str] = set()
    for arg in typing.get_args(annotation):
        if isinstance(arg, str):
            names.add(arg)
        else:
            names |= _literal_names(arg)
    return names


@lru_cache(maxsize=1)
def sdk_models() -> dict[str, str]:
    """Model name -> provider (``"openai"`` / ``"anthropic"``) for every name the SDKs list."""
    known: dict[str, str] = {}
    try:
        from openai.types.shared import ChatModel, ResponsesModel

        for name in _literal_names(ChatModel) | _literal_names(ResponsesModel):
            known[name] = "openai"
    except Exception:  # an SDK without these types lists nothing
        pass
    try:
        from anthropic.types.model import Model

        for name in _literal_names(Model):
            known[name] = "anthropic"
    except Exception:
        pass
    return known


def sdk_model_provider(name: str) -> str | None:
    """The provider whose SDK lists ``name`` (None when neither does)."""
    return sdk_models().get(name)


_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b")


def _iso(text: str) -> str | None:
    """'November 30th, 2026' -> '2026-11-30' (None for a format we do not know)."""
    cleaned = _ORDINAL.sub(r"\1", str(text)).strip()
    for fmt in ("%B %d, %Y", "%Y-%m-%d", "%b %d, %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Deprecation:
    """One model the installed SDK marks deprecated.

    ``date`` is the ISO end-of-life / shutdown date (None when the SDK gives none, e.g. OpenAI's
    "Not a supported model ID. Retained for SDK compatibility."); ``source`` names the SDK table.
    """

    model: str
    date: str | None
    source: str
    #: True when the SDK itself warns at call time (Anthropic's ``messages.create``); sik_llms
    #: calls the SDK's raw ``post``, which skips that warning, so it warns in the SDK's place.
    sdk_warns: bool = False


#: Where each SDK keeps its deprecation table. OpenAI has no runtime table: its generated model
#: types carry a "Deprecated values:" docstring (name list -> "Announced shutdown date: YYYY-MM-DD"),
#: the same text in every type; these two modules cover the Chat Completions and Responses names.
_OPENAI_DOC_MODULES = (
    "openai.types.shared.chat_model",
    "openai.types.responses.response_compact_params",
)
_BULLET = re.compile(r'^\s*-\s+((?:"[^"]+",?\s*)+):(.*?)(?=^\s*-\s+"|^\s*"""|\Z)', re.M | re.S)
_SHUTDOWN = re.compile(r"shutdown\s+date:\s*(\d{4}-\d{2}-\d{2})", re.I)


def _openai_doc_deprecations(text: str) -> dict[str, str | None]:
    """Parse every "Deprecated values:" list in ``text`` (a module's source) -> name -> date."""
    out: dict[str, str | None] = {}
    for block in text.split("Deprecated values:")[1:]:
        block = block.split('"""', 1)[0]
        for names, rest in _BULLET.findall(block):
            when = _SHUTDOWN.search(" ".join(rest.split()))
            for name in re.findall(r'"([^"]+)"', names):
                out.setdefault(name, when.group(1) if when else None)
    return out


def _openai_deprecations() -> dict[str, Deprecation]:
    import importlib.util
    from pathlib import Path

    out: dict[str, Deprecation] = {}
    for module in _OPENAI_DOC_MODULES:
        try:
            spec = importlib.util.find_spec(module)
            text = Path(spec.origin).read_text(encoding="utf-8")  # type: ignore[union-attr, arg-type]
        except Exception:  # an SDK without this module contributes nothing
            continue
        for name, when in _openai_doc_deprecations(text).items():
            out.setdefault(name, Deprecation(name, when, f'{module} ("Deprecated values")'))
    return out


@lru_cache(maxsize=1)
def _anthropic_deprecations() -> dict[str, Deprecation]:
    try:
        from anthropic._data import DEPRECATED_MODELS  # the table messages.create warns from
    except Exception:
        return {}
    source = "anthropic._data.DEPRECATED_MODELS"
    return {
        str(n): Deprecation(str(n), _iso(when), source, sdk_warns=True)
        for n, when in dict(DEPRECATED_MODELS).items()
    }


@lru_cache(maxsize=1)
def deprecated_models() -> dict[str, Deprecation]:
    """Every model name an installed SDK marks deprecated (Anthropic's table, OpenAI's type docs)."""
    known = sdk_models()
    out = {n: d for n, d in _openai_deprecations().items() if known.get(n) == "openai"}
    out.update(_anthropic_deprecations())
    return out


def deprecation(*names: str) -> Deprecation | None:
    """The SDK's deprecation entry for the first of ``names`` it lists (None: not deprecated)."""
    table = deprecated_models()
    for name in names:
        if name in table:
            return table[name]
    return None


def deprecation_date(*names: str) -> str | None:
    """The end-of-life date (ISO ``YYYY-MM-DD``) the SDK publishes for any of ``names``."""
    found = deprecation(*names)
    return found.date if found else None


_warned: set[str] = set()
_lock = threading.Lock()


def warn_if_deprecated(model: str, *aliases: str, today: date | None = None) -> Deprecation | None:
    """Warn once per model (per process) where the SDK itself would have warned: a model in
    Anthropic's table (the Anthropic client calls this when it is created).

    Returns that entry (None otherwise). The warning is a ``ModelDeprecationWarning`` (a
    ``DeprecationWarning``, as the Anthropic SDK's own). Only Anthropic's table is read here,
    never the OpenAI sources or model lists, so creating a client imports nothing new (when
    every OpenAI client read them, locust's gevent workers hung at exit). OpenAI's
    documented dates are carried as ``ModelInfo.deprecation_date`` without a warning, as the
    OpenAI SDK does not warn either.
    """
    table = _anthropic_deprecations()
    found = next((table[name] for name in (model, *aliases) if name in table), None)
    if found is None:
        return None
    with _lock:
        if model in _warned:
            return found
        _warned.add(model)
    if found.date is None:
        when = "is no longer a supported model ID"
    else:
        verb = "reached" if (today or date.today()).isoformat() >= found.date else "reaches"
        when = f"{verb} end-of-life on {found.date}"
    warnings.warn(
        f"The model {model!r} is deprecated and {when} (per the installed SDK: {found.source}); "
        f"move to a current model. See {_NOTICES[found.source.split('.')[0]]}",
        ModelDeprecationWarning,
        stacklevel=4,
    )
    return found


_NOTICES = {
    "anthropic": "https://docs.anthropic.com/en/docs/resources/model-deprecations",
    "openai": "https://developers.openai.com/api/docs/deprecations",
}
