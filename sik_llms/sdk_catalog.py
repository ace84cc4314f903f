"""What the installed provider SDKs know about models: names and end-of-life dates.

The registry in ``sik_llms.models`` holds prices and limits we can vouch for; the SDKs ship the
current list of model names (their ``Model`` / ``ChatModel`` / ``ResponsesModel`` literal
types) and, for Anthropic, a deprecation table (model -> end-of-life date) that the SDK's own
``messages.create`` warns from. We call the SDKs' raw ``post``, which skips that warning, so
we read the same table here and warn once per model ourselves
(``ModelDeprecationWarning``, a ``DeprecationWarning`` like the SDK's).

Read lazily and once (the SDK modules are imported on first use, never at ``import
sik_llms``); an SDK that is missing or has moved its tables contributes nothing rather than
failing the call. Sources: ``anthropic.types.model.Model``, ``anthropic._data.DEPRECATED_MODELS``,
``openai.types.shared.ChatModel`` and ``openai.types.shared.ResponsesModel``.
"""

from __future__ import annotations

import re
import threading
import typing
import warnings
from datetime import date, datetime
from functools import lru_cache
from typing import Any

__all__ = [
    "ModelDeprecationWarning",
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


@lru_cache(maxsize=1)
def _deprecations() -> dict[str, str]:
    try:
        from anthropic._data import DEPRECATED_MODELS  # the table messages.create warns from
    except Exception:
        return {}
    out = {}
    for name, when in dict(DEPRECATED_MODELS).items():
        iso = _iso(when)
        if iso:
            out[str(name)] = iso
    return out


def deprecation_date(*names: str) -> str | None:
    """The end-of-life date (ISO ``YYYY-MM-DD``) the SDK publishes for any of ``names``."""
    table = _deprecations()
    for name in names:
        if name in table:
            return table[name]
    return None


_warned: set[str] = set()
_lock = threading.Lock()


def warn_if_deprecated(model: str, *aliases: str, today: date | None = None) -> str | None:
    """Warn once per model (per process) that it is deprecated; returns its end-of-life date."""
    when = deprecation_date(model, *aliases)
    if when is None:
        return None
    with _lock:
        if model in _warned:
            return when
        _warned.add(model)
    passed = (today or date.today()).isoformat() >= when
    verb = "reached" if passed else "reaches"
    warnings.warn(
        f"The model {model!r} is deprecated and {verb} end-of-life on {when} (per the installed SDK's "
        "deprecation table); move to a current model. "
        "See https://docs.anthropic.com/en/docs/resources/model-deprecations",
        ModelDeprecationWarning,
        stacklevel=4,
    )
    return when
