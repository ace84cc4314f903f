"""The command line's bad-input hygiene: a missing extra is named in one line, and long commands
refuse an output path they could not write before they start (nothing measured is lost)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.bundled import cassette_dir, checkout_root, default_record_dir, locustfile
from harness.cli import main
from harness.cli.commands import scan
from harness.cli.main import missing_modules
from harness.cli.output import check_output_dir, check_output_file

ROOT = Path(__file__).resolve().parents[3]


def test_missing_modules_names_absent_ones_and_absent_parents() -> None:
    assert missing_modules(["json", "no_such_module_xyz", "no_such_pkg_xyz.sub"]) == [
        "no_such_module_xyz",
        "no_such_pkg_xyz.sub",
    ]


def test_a_command_whose_extra_is_missing_says_which_to_install_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scan, "REQUIRES", ("no_such_module_xyz",))
    assert main(["scan", "."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "sik-llms scan: needs the 'harness' extra (missing no_such_module_xyz)" in err
    assert "pip install 'sik-llms[harness]'" in err


def test_every_command_names_its_extra_and_the_modules_it_needs() -> None:
    import importlib

    from harness.cli import COMMANDS

    for name in COMMANDS:
        module = importlib.import_module(f"harness.cli.commands.{name}")
        assert module.EXTRA in ("harness", "load"), name
        assert module.REQUIRES and not missing_modules(module.REQUIRES), (
            name
        )  # the dev install has all


def test_output_checks_accept_writable_paths_and_leave_nothing_behind(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "new" / "dir") is None
    assert (tmp_path / "new" / "dir").is_dir() and not any((tmp_path / "new" / "dir").iterdir())
    assert check_output_file(tmp_path / "sub" / "report.md") is None
    assert not (tmp_path / "sub" / "report.md").exists()


def test_output_checks_refuse_with_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert "is not a directory" in (check_output_dir(a_file) or "")
    assert "is a directory" in (check_output_file(tmp_path) or "")
    assert "cannot write" in (check_output_file(a_file / "below-a-file.md") or "")


def test_bench_refuses_an_unwritable_out_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = time.monotonic()
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 2
    assert time.monotonic() - t0 < 5  # no worker was started
    assert "is a directory" in capsys.readouterr().err
    assert (
        main(
            ["bench", "--quick", "--markdown", str(tmp_path / "f" / "x.md"), "--out", str(tmp_path)]
        )
        == 2
    )


def test_load_refuses_an_out_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["load", "--quick", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.startswith("sik-llms load: ")


def test_load_markdown_from_a_stored_summary_is_the_stored_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = ROOT / "loadtests" / "results"
    out = tmp_path / "load.md"
    assert (
        main(["load", "--from-summary", str(results / "summary.json"), "--markdown", str(out)]) == 0
    )
    assert out.read_text() == (results / "summary.md").read_text()
    assert main(["load", "--from-summary", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_in_a_checkout_the_bundled_files_are_the_repository_s_own() -> None:
    assert checkout_root() == ROOT
    assert (
        cassette_dir() == ROOT / "cassettes"
        and (cassette_dir() / "openai" / "agent_trip.yaml").is_file()
    )
    assert locustfile() == ROOT / "loadtests" / "locustfile.py" and locustfile().is_file()
    assert default_record_dir() == ROOT / "cassettes"
