"""A misspelled sik-llms marker fails its test in one line instead of running it unreplayed."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]


def test_a_misspelled_marker_fails_the_test_naming_the_marker_it_meant(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_typo=textwrap.dedent("""
        import pytest

        RAN = []

        @pytest.mark.llm_casette("openai/text")
        def test_typo():
            RAN.append(1)

        @pytest.mark.llm_spams(global_=True)
        def test_other_typo():
            RAN.append(1)

        @pytest.mark.llm_made_up
        def test_unknown_llm_marker():
            RAN.append(1)

        def test_nothing_ran():
            assert RAN == []
        """)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(errors=3, passed=1)  # failed in setup: the test never ran
    out = result.stdout.str()
    assert "unknown marker @pytest.mark.llm_casette: did you mean @pytest.mark.llm_cassette?" in out
    assert "unknown marker @pytest.mark.llm_spams: did you mean @pytest.mark.llm_spans?" in out
    assert "unknown marker @pytest.mark.llm_made_up: sik-llms has llm_cassette" in out
    assert "Traceback" not in out


def test_markers_the_project_registered_itself_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    llm_slow: the project's own marker\n")
    pytester.makepyfile(
        test_own=textwrap.dedent("""
        import pytest

        @pytest.mark.llm_slow
        @pytest.mark.slowish
        def test_own():
            pass
        """)
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
