"""GenAI span names have spaces (``chat gpt-4o-mini``): the tree quotes them, patterns take them."""

from __future__ import annotations

import pytest

from harness.spans.capture import capture


def test_a_name_with_spaces_renders_quoted_and_matches_quoted_in_a_pattern() -> None:
    with capture() as cap:
        with cap.tracer().start_as_current_span("feature.summarize"):
            cap.tracer().start_span(
                "chat gpt-4o-mini", attributes={"gen_ai.request.model": "gpt-4o-mini"}
            ).end()
    tree = cap.tree(metrics=False)
    assert '"chat gpt-4o-mini"' in tree.render()
    tree.assert_tree("""
        feature.summarize
          "chat gpt-4o-mini" gen_ai.request.model=gpt-4o-mini
    """)
    tree.assert_tree('feature.summarize\n  "chat *"')
    with pytest.raises(AssertionError):
        tree.assert_tree('feature.summarize\n  "chat gpt-4o"')
