"""Command-line commands for comparisons and kit logs (``overdose-trends ...``)."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from overdose_trends.cli import _period, main
from overdose_trends.io.datasets import synthetic_kit_counts, synthetic_kit_log


def test_period_argument() -> None:
    assert _period("2013-2015") == (2013, 2015)
    assert _period("2013-15") == (2013, 2015)
    assert _period("1999-01") == (1999, 2001)
    assert _period("2016") == (2016, 2016)
    for bad in ("2015-2013", "recent", "2013-x"):
        with pytest.raises(argparse.ArgumentTypeError):
            _period(bad)


def test_period_argument_reads_ons_labels_and_explains_errors() -> None:
    # one notation everywhere: the CLI reads periods with overdose_trends.schema.as_period
    assert _period("2013\u201315") == (2013, 2015)  # en dash, as in ONS tables
    assert _period("2020 to 2022") == (2020, 2022)
    assert _period("(2013, 2015)") == (2013, 2015)
    with pytest.raises(argparse.ArgumentTypeError, match="'2015-2013' ends before it starts"):
        _period("2015-2013")
    with pytest.raises(
        argparse.ArgumentTypeError, match="expected a period such as '2013-15', '2013-2015'"
    ):
        _period("recent")


def test_cli_compare_gives_ons_verdicts(tmp_path, capsys) -> None:
    out = tmp_path / "compare.csv"
    areas = ["--area", "E06000033", "E07000148"]
    code = main(["compare", *areas, "--before", "2013-15", "--after", "2016-18", "--out", str(out)])
    assert code == 0
    df = pd.read_csv(out).set_index("area_code")
    # ONS LA 2019 edition, Table 3 (poisoning, persons): published deaths and rates
    assert df.loc["E06000033", ["deaths_before", "deaths_after"]].tolist() == [47, 32]
    assert df.loc["E07000148", ["rate_before", "rate_after"]].tolist() == [10.0, 21.0]
    assert df.loc["E06000033", "ons_verdict"] == "no significant change"
    assert df.loc["E07000148", "ons_verdict"] == "significant increase"


def test_cli_compare_reads_every_period_notation(tmp_path) -> None:
    out = tmp_path / "compare.csv"
    periods = ["--before", "2013 to 2015", "--after", "2016-2018"]
    assert main(["compare", "--area", "E06000033", *periods, "--out", str(out)]) == 0
    df = pd.read_csv(out)
    # ONS LA 2019 edition, Table 3: Southend-on-Sea 47 deaths in 2013-15, 32 in 2016-18
    assert df[["deaths_before", "deaths_after"]].iloc[0].tolist() == [47, 32]


def test_cli_compare_needs_both_periods(capsys) -> None:
    # no story defaults: the periods compared are always stated
    for argv in (["compare"], ["compare", "--before", "2013-15"], ["compare", "--after", "2016"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "required" in capsys.readouterr().err


def test_cli_compare_unknown_area(capsys) -> None:
    periods = ["--before", "2013-15", "--after", "2016-18"]
    assert main(["compare", "--area", "E99999999", *periods]) == 1  # a data error, not usage
    assert "E99999999" in capsys.readouterr().err


def test_cli_kits_check(tmp_path, capsys) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "Date,Type,Kit no,Service,LA,Product,Client name\n"
        "14/03/2016,issued,K1,STARS,E06000033,Prenoxad,Jane Doe\n"
        "02/09/2016,returned_used,K1,STARS,E06000033,Prenoxad,Jane Doe\n"
        "01/09/2016,returned_used,K2,STARS,E06000033,Prenoxad,John Roe\n"
        "31/13/2016,issued,K3,STARS,E06000033,Prenoxad,Ann Poe\n",
        encoding="utf-8",
    )
    issues = tmp_path / "issues.csv"
    events = tmp_path / "events.csv"
    mapping = ["Date=event_date", "Type=event_type", "Kit no=kit_id", "Service=service"]
    mapping += ["LA=area_code", "Product=product"]
    argv = ["kits-check", str(log), "--map", *mapping, "--issues", str(issues)]
    code = main([*argv, "--out", str(events), "--strict"])
    err = capsys.readouterr().err
    assert code == 1  # the impossible date (month 13) is rejected
    assert "4 rows read" in err
    # the report's text, as print(log.report) gives it
    assert err.startswith(f"Kit log {str(log)!r}: 4 rows read, 3 loaded, 1 rejected")
    assert "Issues by rule:\n  error   invalid_date" in err and "First 3 issues" in err
    written = events.read_text(encoding="utf-8") + issues.read_text(encoding="utf-8") + err
    for name in ("Jane Doe", "John Roe", "Ann Poe"):
        assert name not in written
    problems = pd.read_csv(issues)
    assert 5 in problems["row"].tolist()  # spreadsheet row of the month-13 date
    assert len(pd.read_csv(events)) == 3


def test_cli_kits_averted(tmp_path, capsys) -> None:
    out = tmp_path / "averted.csv"
    assert main(["kits-averted", "--used", "2600", "--issued", "4000", "--out", str(out)]) == 0
    df = pd.read_csv(out).set_index("estimator")
    assert df.loc["naive", "central"] == 2600
    # 2,600 x (0.10 - 0.008) and 4,000 / 227 (reference worked example)
    assert df.loc["use_based", "central"] == pytest.approx(239.2)
    assert df.loc["distribution_based", "central"] == pytest.approx(4000 / 227)
    assert "warning" in capsys.readouterr().err  # 65% use rate flagged


def test_shipped_synthetic_kit_data_agree() -> None:
    log = synthetic_kit_log()
    assert log.report.n_rejected == 0 and log.report.n_loaded == len(log.events)
    counts = synthetic_kit_counts()
    totals = counts[counts["service"] == "all"].groupby("measure")["value"].sum()
    events = log.events["event_type"].value_counts()
    assert totals["kits_issued"] == events["issued"]
    assert totals["kits_returned_used"] == events["returned_used"]
