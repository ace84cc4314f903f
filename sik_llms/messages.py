"""Message helpers and the neutral message format every provider converts from.

A message is a plain dict ``{"role": ..., "content": ...}`` (OpenAI's chat shape). Content is a
string or a list of parts; the parts our helpers create are neutral
(``{"type": "text", "text": ...}`` and ``{"type": "image", "source_type": ..., ...}``) and
each provider module turns them into its own wire format. Provider-specific dicts (tool calls,
tool results, thinking blocks) pass through untouched, so multi-turn tool conversations work.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class ImageSourceType(StrEnum):
    """Where an image's bytes come from."""

    URL = "url"
    BASE64 = "base64"


class ImageContent(BaseModel):
    """An image in a user message, by URL or as base64 data."""

    source_type: ImageSourceType
    data: str
    media_type: str | None = None

    @classmethod
    def from_url(cls, url: str) -> ImageContent:
        if not url.startswith(("http://", "https://", "data:")):
            raise ValueError(
                f"ImageContent.from_url needs an http(s) or data: URL, got {url[:60]!r}"
            )
        return cls(source_type=ImageSourceType.URL, data=url)

    @classmethod
    def from_path(cls, path: str | Path, media_type: str | None = None) -> ImageContent:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"ImageContent.from_path: no such file {str(file)!r}")
        guessed = media_type or mimetypes.guess_type(file.name)[0]
        return cls.from_bytes(file.read_bytes(), media_type=guessed or "image/png")

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str = "image/png") -> ImageContent:
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"ImageContent.from_bytes needs bytes, got {type(data).__name__}")
        return cls(
            source_type=ImageSourceType.BASE64,
            data=base64.b64encode(bytes(data)).decode("ascii"),
            media_type=media_type,
        )

    def to_part(self) -> dict[str, Any]:
        """The neutral content part providers convert."""
        part: dict[str, Any] = {
            "type": "image",
            "source_type": self.source_type.value,
            "data": self.data,
        }
        if self.media_type:
            part["media_type"] = self.media_type
        return part

    @property
    def url(self) -> str:
        """A URL for the image (a ``data:`` URL for base64 content), as OpenAI wants it."""
        if self.source_type == ImageSourceType.URL:
            return self.data
        return f"data:{self.media_type or 'image/png'};base64,{self.data}"


def system_message(content: str, **extra: Any) -> dict[str, Any]:
    """A system message (instructions)."""
    return {"role": "system", "content": _text(content, "system_message"), **extra}


def assistant_message(content: str, **extra: Any) -> dict[str, Any]:
    """A previous answer of the model, for multi-turn conversations."""
    return {"role": "assistant", "content": _text(content, "assistant_message"), **extra}


def user_message(content: str | list[str | ImageContent], **extra: Any) -> dict[str, Any]:
    """A user turn: text, or a flat list of text and images."""
    if isinstance(content, str):
        return {"role": "user", "content": content.strip(), **extra}
    if not isinstance(content, list):
        raise TypeError(
            f"user_message takes a str or a list of str/ImageContent, got {type(content).__name__}"
        )
    parts: list[Any] = []
    for item in content:
        if isinstance(item, str):
            parts.append({"type": "text", "text": item.strip()})
        elif isinstance(item, ImageContent):
            parts.append(item)
        else:
            raise TypeError(
                "user_message list items must be str or ImageContent (no nested lists), "
                f"got {type(item).__name__}"
            )
    return {"role": "user", "content": parts, **extra}


def _text(content: Any, helper: str) -> str:
    if not isinstance(content, str):
        raise TypeError(f"{helper} takes a str, got {type(content).__name__}")
    return content.strip()


def normalize_messages(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """Copies of the caller's messages as plain dicts in the neutral format.

    Never mutates the input: the list, each message and each content list are copied. Strings in
    a content list become text parts and ``ImageContent`` becomes an image part.
    """
    if isinstance(messages, str | bytes | Mapping):
        raise TypeError(
            "messages must be a list of messages, e.g. [user_message('hi')]; "
            f"got a single {type(messages).__name__}"
        )
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if isinstance(message, BaseModel):
            message = message.model_dump(exclude_none=True)
        if not isinstance(message, Mapping):
            raise TypeError(
                f"message {index} must be a dict like {{'role': 'user', 'content': '...'}}, "
                f"got {type(message).__name__}"
            )
        copy = dict(message)
        role = copy.get("role")
        if role is None:
            if "type" in copy:  # a provider-specific item (e.g. a Responses API function_call)
                out.append(copy)
                continue
            raise ValueError(f"message {index} has no 'role'; use user_message()/system_message()")
        if role not in _ROLES:
            raise ValueError(
                f"message {index} has unknown role {role!r}; expected one of {sorted(_ROLES)}"
            )
        content = copy.get("content")
        if isinstance(content, list):
            copy["content"] = [_normalize_part(part, index) for part in content]
        elif content is not None and not isinstance(content, str):
            raise TypeError(
                f"message {index} content must be a str or a list of parts, got {type(content).__name__}"
            )
        elif content is None and role in ("user", "system"):
            raise ValueError(f"message {index} ({role}) has no content")
        out.append(copy)
    return out


def _normalize_part(part: Any, index: int) -> Any:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if isinstance(part, ImageContent):
        return part.to_part()
    if isinstance(part, Mapping):
        return dict(part)
    raise TypeError(
        f"message {index} has a content part of type {type(part).__name__}; use str or ImageContent"
    )


def text_of(content: Any) -> str:
    """The text of a message's content (text parts joined), ignoring images and tool blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    pieces = []
    for part in content:
        if isinstance(part, Mapping) and part.get("type") in ("text", "input_text", "output_text"):
            pieces.append(str(part.get("text", "")))
    return "".join(pieces)
