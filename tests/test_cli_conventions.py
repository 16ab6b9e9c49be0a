"""Command-line conventions (issue #15 item 7): version, python -m, help, errors, exit codes.

Exit codes: 0 ok, 1 data/file/download errors or findings, 2 usage errors (argparse), 130
interrupted; expected errors are one line on standard error, never a traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends import cli
from overdose_trends._version import __version__
from overdose_trends.cli import build_parser, main
from overdose_trends.errors import DataFormatError

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (
    "report",
    "read-la",
    "read-national",
    "check",
    "fetch",
    "compare",
    "kits-check",
    "kits-averted",
)
#: reStructuredText markup that must not reach a terminal.
RAW_MARKUP = re.compile(r"``|:func:|:class:|:data:|:mod:|:meth:|:attr:")


def _run(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overdose_trends", *args],
        capture_output=True,
        text=True,
        cwd=kw.pop("cwd", ROOT),
        timeout=120,
        **kw,
    )


# --- version, python -m, help ------------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"overdose-trends {__version__}"


def test_python_dash_m_runs_the_cli():
    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"overdose-trends {__version__}"
    done = _run("kits-averted", "--used", "2600", "--issued", "4000")
    assert done.returncode == 0 and done.stdout.startswith("estimator,")


def _help(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_a_description_and_examples_without_markup(command, capsys):
    text = _help([command], capsys)
    usage, _, rest = text.partition("\n\n")
    assert usage.startswith(f"usage: overdose-trends {command}")
    assert not rest.startswith("positional arguments") and not rest.startswith("options")
    assert f"examples:\n  overdose-trends {command}" in text
    assert not RAW_MARKUP.search(text), RAW_MARKUP.search(text)
    assert all(len(line) <= 100 for line in text.splitlines())


def test_main_help_lists_every_command_and_the_exit_codes(capsys):
    text = _help([], capsys)
    assert all(command in text for command in COMMANDS)
    assert "exit codes: 0 ok, 1 data" in text and "2 usage error" in text
    assert not RAW_MARKUP.search(text)


def test_every_subcommand_is_documented_in_the_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)  # a new command needs a test row above


# --- exit codes and one-line errors -----------------------------------------------------------


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("overdose-trends: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_usage_errors_exit_2(capsys):
    for argv in (["nope"], ["compare", "--before", "2013-15"], ["read-la"], ["report", "--bad"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    capsys.readouterr()
    assert main(["fetch"]) == 2  # neither a URL nor --dataset
    assert "--dataset" in _one_line_error(capsys.readouterr().err)
    assert main(["report", "--only", "nope", "--quiet"]) == 2
    assert "no figure named 'nope'" in _one_line_error(capsys.readouterr().err)
    assert main(["kits-check", "log.csv", "--map", "Kit no"]) == 2
    assert "HEADER=FIELD" in _one_line_error(capsys.readouterr().err)


def test_data_and_file_errors_exit_1_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["read-la", str(bad)]) == 1
    assert "bad.xlsx" in _one_line_error(capsys.readouterr().err)
    assert main(["read-la", str(tmp_path / "missing.xlsx")]) == 1
    assert "missing.xlsx" in _one_line_error(capsys.readouterr().err)
    assert main(["check", str(tmp_path)]) == 1  # a folder
    _one_line_error(capsys.readouterr().err)


def test_kits_averted_used_above_issued_exits_1_with_the_message(capsys):
    assert main(["kits-averted", "--used", "5000", "--issued", "4000"]) == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "--used (5,000) exceeds --issued (4,000)" in line
    assert "kits_used" not in line and "deaths_averted(" not in line  # shell wording


def test_fetch_error_is_one_line(monkeypatch, capsys):
    from overdose_trends.io import fetch as fetch_module

    def fail(*args, **kwargs):
        raise fetch_module.FetchError("https://example.invalid/x.xlsx: timed out after 3 s")

    monkeypatch.setattr(fetch_module, "fetch", fail)
    assert main(["fetch", "https://example.invalid/x.xlsx"]) == 1
    assert "timed out" in _one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DataFormatError("la.xlsx, sheet 'Table 1', row 7, column C: not a number"), 1),
        (ValueError("conf must be a proportion\nbetween 0 and 1"), 1),
        (KeyError("area code(s) not in the data: E99999999"), 1),
        (PermissionError(13, "Permission denied", "out.csv"), 1),
    ],
)
def test_expected_errors_are_one_line(monkeypatch, capsys, error, code):
    def boom(args):
        raise error

    monkeypatch.setattr(cli, "_cmd_kits_averted", boom)
    assert main(["kits-averted", "--issued", "10"]) == code
    line = _one_line_error(capsys.readouterr().err)
    text = line.removeprefix("overdose-trends: error: ")
    assert text[0] not in "'\"[" and "Errno" not in text  # no repr quotes nor errno codes


def test_keyboard_interrupt_is_quiet(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_kits_averted", interrupted)
    assert main(["kits-averted", "--issued", "10"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "overdose-trends: interrupted"


def test_closed_pipe_ends_quietly():
    # `overdose-trends compare ... | head -1`: the reader closes the pipe after one line
    cmd = [sys.executable, "-m", "overdose_trends", "compare", "--before", "2013-15"]
    proc = subprocess.Popen(
        [*cmd, "--after", "2016-18"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert first.startswith(b"area_code,")
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert proc.returncode in (0, 1)


# --- warnings for a shell user ------------------------------------------------------------------


def test_warnings_are_phrased_for_a_shell_user(monkeypatch, capsys):
    def warns(args):
        warnings.warn(
            "3 rows without an area code were not loaded (see df.attrs['ignored_rows']); "
            "first: row 9",
            UserWarning,
            stacklevel=1,
        )
        return 0

    monkeypatch.setattr(cli, "_cmd_kits_averted", warns)
    assert main(["kits-averted", "--issued", "10"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("overdose-trends: warning: 3 rows without an area code were not")
    assert "attrs" not in err and "df." not in err


def test_compare_warning_gives_shell_advice(capsys):
    assert main(["compare", "--before", "2013-15", "--after", "2016-18"]) == 0
    err = capsys.readouterr().err
    assert "lack a row" in err and "--area" in err and "groupby" not in err and "data[" not in err


# --- CSV output: neutralised, atomic, --raw-csv --------------------------------------------------

HOSTILE = pd.DataFrame(
    {
        "area_code": ["E06000033", "E07000148"],
        "note": ['=HYPERLINK("http://x")', "@SUM(A1)"],
        "deaths": [-3, 5],
    }
)


@pytest.fixture
def hostile_reader(monkeypatch):
    from overdose_trends.io import ons_local

    monkeypatch.setattr(ons_local, "read_local_authority", lambda path: HOSTILE.copy())


def test_csv_files_neutralise_formulas_and_keep_numbers(hostile_reader, tmp_path, capsys):
    out = tmp_path / "la.csv"
    assert main(["read-la", "x.xlsx", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert pd.read_csv(out)["deaths"].tolist() == [-3, 5]  # numbers stay numbers
    assert [p.name for p in tmp_path.iterdir()] == ["la.csv"]  # no temporary file left
    assert main(["read-la", "x.xlsx"]) == 0  # standard output too
    assert "'=HYPERLINK" in capsys.readouterr().out


def test_raw_csv_turns_neutralising_off(hostile_reader, tmp_path, capsys):
    out = tmp_path / "la.csv"
    assert main(["read-la", "x.xlsx", "--out", str(out), "--raw-csv"]) == 0
    assert pd.read_csv(out)["note"].tolist() == HOSTILE["note"].tolist()


def test_kits_check_issues_and_events_are_neutralised(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text(
        "Date,Type,Kit no,Service,LA,Product\n"
        '14/03/2016,issued,K1,"=HYPERLINK(""http://x"")",E06000033,Prenoxad\n'
        "31/13/2016,issued,K2,+STARS,E06000033,Prenoxad\n",
        encoding="utf-8",
    )
    mapping = ["Date=event_date", "Type=event_type", "Kit no=kit_id", "Service=service"]
    mapping += ["LA=area_code", "Product=product"]
    events, issues = tmp_path / "events.csv", tmp_path / "issues.csv"
    argv = ["kits-check", str(log), "--map", *mapping, "--out", str(events)]
    assert main([*argv, "--issues", str(issues)]) == 0
    assert "'=HYPERLINK" in events.read_text(encoding="utf-8")
    assert pd.read_csv(issues)["row"].tolist() == [3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "issues.csv", "log.csv"]


def test_failed_write_leaves_no_file(hostile_reader, tmp_path, monkeypatch, capsys):
    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    out = tmp_path / "la.csv"
    assert main(["read-la", "x.xlsx", "--out", str(out)]) == 1
    assert "No space left" in _one_line_error(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# --- requested options --------------------------------------------------------------------------


def test_report_comparators_and_highlight_set_the_funnel_and_ranking_sections(
    monkeypatch, tmp_path, capsys
):
    from overdose_trends.report import build

    seen = {}

    class Result:
        def summary(self) -> str:
            return "built 0"

    def fake_build(out_dir, config, **kwargs):
        seen["config"] = config
        return Result()

    monkeypatch.setattr(build, "build_report", fake_build)
    monkeypatch.chdir(tmp_path)
    argv = ["report", "--comparators", "neighbours", "--highlight", "E06000033", "--quiet"]
    assert main(argv) == 0
    figures = seen["config"].figures
    for name in ("funnel", "ranking"):
        assert figures[name].comparators == "neighbours"
        assert figures[name].highlight == "E06000033"
    assert main(["report", "--highlight", "not-a-code", "--quiet"]) == 1
    assert "highlight" in _one_line_error(capsys.readouterr().err)
    with pytest.raises(SystemExit) as info:
        main(["report", "--comparators", "county"])
    assert info.value.code == 2


def test_report_exit_code_1_when_a_figure_could_not_be_built(monkeypatch, tmp_path, capsys):
    from overdose_trends.report import build

    class Result:
        failed = ["kits"]

        def summary(self) -> str:
            return "built 1, failed 1"

    monkeypatch.setattr(build, "build_report", lambda *a, **k: Result())
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--quiet"]) == 1


def test_read_national_tables(tmp_path, capsys):
    workbook = ROOT / "src/overdose_trends/data/ons_national_drug_deaths_2021_excerpt.xlsx"
    out = tmp_path / "national.csv"
    assert main(["read-national", str(workbook), "--tables", "asmr", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["table"]) == {"asmr"}
    assert main(["read-national", str(workbook), "--tables", "nope"]) == 1
    assert "nope" in _one_line_error(capsys.readouterr().err)
