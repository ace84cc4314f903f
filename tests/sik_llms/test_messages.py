"""Message helpers, images, and normalisation (which must never mutate the caller's data)."""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sik_llms.messages import (
    ImageContent,
    ImageSourceType,
    assistant_message,
    normalize_messages,
    system_message,
    text_of,
    user_message,
)
from sik_llms.providers.anthropic import to_anthropic
from sik_llms.providers.openai import to_chat_messages, to_responses_input


def test_helpers_strip_and_set_roles() -> None:
    assert system_message("  be brief ") == {"role": "system", "content": "be brief"}
    assert user_message(" hi\n") == {"role": "user", "content": "hi"}
    assert assistant_message(" ok ", name="bot") == {
        "role": "assistant",
        "content": "ok",
        "name": "bot",
    }


def test_user_message_rejects_nested_lists_and_bad_types() -> None:
    with pytest.raises(TypeError, match="no nested lists"):
        user_message(["a", ["b"]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="takes a str"):
        system_message(123)  # type: ignore[arg-type]


def test_image_constructors(tmp_path: Path) -> None:
    url = ImageContent.from_url("https://example.com/cat.png")
    assert url.source_type == ImageSourceType.URL and url.url == "https://example.com/cat.png"
    raw = b"\x89PNG fake"
    from_bytes = ImageContent.from_bytes(raw, media_type="image/png")
    assert base64.b64decode(from_bytes.data) == raw
    assert from_bytes.url.startswith("data:image/png;base64,")
    file = tmp_path / "x.jpg"
    file.write_bytes(raw)
    from_path = ImageContent.from_path(file)
    assert from_path.media_type == "image/jpeg" and base64.b64decode(from_path.data) == raw
    with pytest.raises(ValueError, match="http"):
        ImageContent.from_url("ftp://nope")
    with pytest.raises(FileNotFoundError):
        ImageContent.from_path(tmp_path / "missing.png")


def test_normalize_never_mutates_and_accepts_plain_dicts() -> None:
    image = ImageContent.from_url("https://example.com/a.png")
    original = [{"role": "system", "content": "s"}, user_message(["look", image])]
    snapshot = copy.deepcopy(original)
    out = normalize_messages(original)
    assert original == snapshot
    assert out[1]["content"][1] == {
        "type": "image",
        "source_type": "url",
        "data": "https://example.com/a.png",
    }
    out[0]["content"] = "changed"
    out[1]["content"].append("x")
    assert original == snapshot


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ("hello", "list of messages"),
        ([{"content": "no role"}], "no 'role'"),
        ([{"role": "robot", "content": "x"}], "unknown role"),
        ([42], "must be a dict"),
        ([{"role": "user"}], "has no content"),
    ],
)
def test_normalize_explains_bad_input(messages: object, error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=error):
        normalize_messages(messages)  # type: ignore[arg-type]


def test_images_convert_per_provider() -> None:
    image = ImageContent.from_bytes(b"abc", media_type="image/gif")
    msgs = normalize_messages([system_message("sys"), user_message(["what", image])])
    chat = to_chat_messages(msgs)
    assert chat[1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/gif;base64,YWJj"},
    }
    system, anth = to_anthropic(msgs)
    assert system == [{"type": "text", "text": "sys"}]
    assert anth[0]["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/gif", "data": "YWJj"},
    }
    items = to_responses_input(msgs[1:])
    assert items[0]["content"][0] == {"type": "input_text", "text": "what"}
    assert items[0]["content"][1]["type"] == "input_image"


def test_text_of() -> None:
    assert (
        text_of([{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}])
        == "ab"
    )
    assert text_of(None) == ""


_part = st.one_of(
    st.text(max_size=20),
    st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=20)),
    st.builds(
        lambda u: ImageContent.from_url("https://x.test/" + u), st.text(alphabet="abc", max_size=5)
    ),
)
_message = st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(["system", "user", "assistant"]),
    st.one_of(st.text(max_size=30), st.lists(_part, max_size=4)),
)


@given(st.lists(_message, max_size=6))
def test_normalize_never_mutates_any_input(messages: list[dict]) -> None:
    before = copy.deepcopy(messages)
    out = normalize_messages(messages)
    assert messages == before
    assert len(out) == len(messages)
    for original, normalized in zip(messages, out, strict=True):
        assert normalized is not original
        assert text_of(normalized["content"]) == (
            original["content"]
            if isinstance(original["content"], str)
            else "".join(
                p if isinstance(p, str) else p.get("text", "")
                for p in original["content"]
                if not isinstance(p, ImageContent)
            )
        )
