"""Every failure message of span-tree patterns and queries says what is really wrong: no "out of
order" unless two siblings are swapped, no "line 0", line numbers as written in the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.spans import Capture, capture

pytest_plugins = ["pytester"]


@pytest.fixture
def cap():
    with capture() as c:
        yield c


def _spans(cap: Capture, shape: dict) -> None:
    tracer = cap.tracer()

    def make(tree: dict) -> None:
        for name, children in tree.items():
            with tracer.start_as_current_span(name):
                make(children)

    make(shape)


def _message(cap: Capture, pattern: str, **options) -> str:
    with pytest.raises(AssertionError) as info:
        cap.assert_tree(pattern, **options)
    return str(info.value)


def _line_of(text: str) -> int:
    source = Path(__file__).read_text().splitlines()
    return 1 + next(i for i, line in enumerate(source) if line.strip() == text)


def test_a_line_asking_for_a_second_span_of_a_single_child_says_it_is_already_taken(cap) -> None:
    _spans(cap, {"root": {"only": {}}})
    message = _message(cap, "root\n  only\n  only")
    assert "pattern line 3: `only`" in message
    assert "matches, but pattern line 2 already matched it" in message
    assert "out of order" not in message


def test_a_grandchild_written_as_a_child_says_it_sits_deeper(cap) -> None:
    _spans(cap, {"root": {"middle": {"leaf": {}}}})
    message = _message(cap, "root\n  leaf")
    assert (
        "leaf (under middle): matches, but sits deeper, under `middle`, not directly under "
        "`root`; put a `...` line above it to match at any depth"
    ) in message
    assert "out of order" not in message


def test_a_nested_span_written_at_the_top_says_it_is_not_a_root(cap) -> None:
    _spans(cap, {"root": {"child": {}}})
    message = _message(cap, "child")
    assert "child (under root): matches, but is not a root span" in message
    assert "out of order" not in message


def test_only_two_swapped_siblings_are_out_of_order(cap) -> None:
    _spans(cap, {"root": {"a": {}, "b": {}}})
    message = _message(cap, "root\n  b\n  a")
    assert "pattern line 3: `a`" in message
    assert "matches, but comes before `b` (matched by line 2): out of order" in message


def test_exact_children_of_a_leaf_line_point_at_that_line_never_line_0(cap) -> None:
    _spans(cap, {"root": {"child": {}}})
    message = _message(cap, "root", exact=True)
    assert "pattern line 1: `root`" in message
    assert "exactly 0 span(s) under it, found 1: child" in message
    assert "line 0" not in message
    assert "    1 | root  <-- children differ" in message
    top = _message(cap, "root\nother", exact=True)
    assert "pattern line 1: `root`\n  exactly 2 span(s) at the top, found 1: root" in top


def test_line_numbers_count_as_written_and_name_the_test_file_line(cap) -> None:
    _spans(cap, {"root": {"child": {}}})
    with pytest.raises(AssertionError) as info:
        cap.assert_tree("""
            root
              child_that_is_not_there
        """)
    written = _line_of("child_that_is_not_there")
    here = "tests/harness/spans/test_diagnostics.py"
    assert f"pattern line 3 ({here}:{written}): `child_that_is_not_there`" in str(info.value)
    assert "    3 |               child_that_is_not_there  <-- not found" in str(info.value)


def test_a_pattern_built_at_run_time_gets_no_file_location(cap) -> None:
    _spans(cap, {"root": {}})
    pattern = "\n".join(["root", "  " + "gone"])
    message = _message(cap, pattern)
    assert "pattern line 2: `gone`" in message


def test_an_unreadable_pattern_line_names_its_line(cap) -> None:
    with pytest.raises(ValueError) as info:
        cap.assert_tree("""
            root
              child stray
        """)
    written = _line_of("child stray")
    assert str(info.value).startswith(
        f"pattern line 3 (tests/harness/spans/test_diagnostics.py:{written}): cannot read 'stray'"
    )
    with pytest.raises(ValueError, match="empty span-tree pattern: write one span name"):
        cap.assert_tree("\n  # only a comment\n")


def test_find_says_what_is_there_when_nothing_matches(cap) -> None:
    _spans(cap, {"root": {"child": {}}})
    with pytest.raises(LookupError) as info:
        cap.find("chid")
    assert str(info.value) == (
        "expected exactly one span matching `chid` in the tree, found 0; spans there: child, root"
    )
    with pytest.raises(LookupError) as info:
        cap.find("child", llm_model="gpt-4o")
    assert "found 0; spans so named have llm_model=<missing>" in str(info.value)
    _spans(cap, {"child": {}})
    with pytest.raises(LookupError, match="found 2 \\(add attributes to tell them apart"):
        cap.find("child")


def test_pytest_shows_the_users_line_not_harness_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        def test_tree(llm_spans):
            with llm_spans.tracer().start_as_current_span("root"):
                pass
            llm_spans.assert_tree('''
                root
                  missing
            ''')

        def test_metrics(llm_spans):
            llm_spans.assert_metrics("app.requests value=1")

        def test_find(llm_spans):
            llm_spans.find("nothing")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert "harness/spans/" not in text, text
    result.stdout.fnmatch_lines(["E       pattern line 3 (test_user.py:6): `missing`"])
