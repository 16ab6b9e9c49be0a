"""The validation figure of a kit table (overdose_trends.plots.validation).

The drawn artists are read back: one bar per row of ``report.summary()``, as
long as its ``rows``, labelled ``rule (column)``, errors and warnings told apart
by colour, hatching and text; the house-style title, units, source and notes; a
clean report drawn as "no issues"; and never a cell value of the input.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from overdose_trends.io import datasets
from overdose_trends.io.kit_log import read_kit_log
from overdose_trends.plots import style
from overdose_trends.plots.validation import SEVERITY_STYLE, UNITS_VALIDATION, plot_validation
from tests.plotting_helpers import by_gid, figure_texts, flat, one
from tests.test_kits_log import AS_OF, GOOD, HEADER, PII_VALUES, known_problems


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def report(tmp_path):
    # 8 rows, 3 rejected: two invalid dates, a duplicate row; warnings: 99 doses, a return of
    # a kit never issued, the dropped "Client Name" column and the unused "Referral <source>"
    return known_problems(tmp_path).report


def _bars(ax):
    return [p for p in ax.patches if str(p.get_gid()).startswith("bars-")]


def test_bars_are_the_rows_affected_per_rule_and_column(report):
    ax = plot_validation(report)
    table = report.summary()
    bars = sorted(_bars(ax), key=lambda b: b.get_y())  # top to bottom
    assert [b.get_width() for b in bars] == table["rows"].tolist() == [2, 1, 1, 1, 0, 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "invalid_date (event_date)",
        "duplicate_row",
        "implausible_doses (doses)",
        "orphan_return (kit_id)",
        "identifier_column (Client Name)",
        "unknown_column (Referral <source>)",
    ]
    # each label sits on its bar
    ticks = ax.get_yticks()
    assert [b.get_y() + b.get_height() / 2 for b in bars] == pytest.approx(list(ticks))
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row at the top
    assert ax.get_xlim()[0] == 0 and ax.get_xlabel() == "Input rows affected"


def test_errors_and_warnings_differ_without_colour(report):
    ax = plot_validation(report)
    errors, warnings = by_gid(ax, "bars-error"), by_gid(ax, "bars-warning")
    assert len(errors) == 2 and len(warnings) == 4
    assert {to_hex(b.get_facecolor()) for b in errors} == {style.PALETTE["vermillion"].lower()}
    assert {to_hex(b.get_facecolor()) for b in warnings} == {style.PALETTE["orange"].lower()}
    assert not any(b.get_hatch() for b in errors)  # solid
    assert {b.get_hatch() for b in warnings} == {SEVERITY_STYLE["warning"][1]}
    values = [t.get_text() for t in by_gid(ax, "value")]
    assert values == [
        "2 rows (error)",
        "1 row (error)",
        "1 row (warning)",
        "1 row (warning)",
        "whole column (warning)",
        "whole column (warning)",
    ]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Error: row rejected", "Warning: row kept and flagged"]


def test_house_style_title_units_source_and_notes(report):
    ax = plot_validation(report, notes=["Checked by the data team."])
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Validation of the kit log: 3 of 8 rows rejected"
    assert texts["units"] == UNITS_VALIDATION
    footer = flat(texts["footer"])
    assert footer.startswith("Source: kit log log.csv ")  # the file's name, not its folders
    assert str(report.file) not in footer
    assert "8 rows read, 5 loaded, 3 rejected." in footer
    assert "Personal-identifier columns dropped on load, values not kept" in footer
    assert "'Client Name' (8)" in footer
    assert "Whole column: a notice on a column" in footer
    assert footer.endswith("Checked by the data team.")


def test_title_source_and_annotate_can_be_given(report):
    fig, ax = plt.subplots()
    out = plot_validation(report, ax=ax, title="Kit log checks")
    assert out is ax and ax.get_title() == "Kit log checks"
    assert figure_texts(fig) == {}  # a caller's Axes: the figure is left to the caller
    ax = plot_validation(report, source="Service export, March 2020", annotate=True)
    assert flat(figure_texts(ax.figure)["footer"]).startswith("Source: Service export, March 2020")


def test_a_clean_report_says_so():
    report = datasets.synthetic_kit_log().report
    assert report.summary().empty
    ax = plot_validation(report)
    assert one(ax, "no-issues").get_text() == "No issues: every row passed every check"
    assert _bars(ax) == [] and by_gid(ax, "value") == []
    assert ax.get_legend() is None and list(ax.get_yticks()) == []
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Validation of the kit log: 0 of 5,961 rows rejected"
    footer = flat(texts["footer"])
    assert footer.startswith(flat("Source: " + style.SOURCE_SYNTHETIC_KITS))
    assert style.NOTE_SYNTHETIC_KITS in footer and "A row can break" not in footer


def test_a_dataframe_input_is_named_as_such():
    raw = pd.DataFrame([r[:5] for r in GOOD], columns=HEADER[:5])
    report = read_kit_log(raw, as_of=AS_OF).report
    ax = plot_validation(report)
    assert flat(figure_texts(ax.figure)["footer"]).startswith(
        "Source: kit log given as a DataFrame"
    )


def test_no_cell_value_is_drawn(tmp_path):
    header = [*HEADER, "Client Name", "DOB", "NHS number", "Postcode", "E-mail", "Notes"]
    rows = [[*r, *PII_VALUES[:3], PII_VALUES[4], PII_VALUES[6], PII_VALUES[7]] for r in GOOD]
    rows.append(["2016-13-01", "issued", "jane.doe@example.org", "STARS", "E06000033"] + [""] * 10)
    report = read_kit_log(_write(tmp_path, header, rows), as_of=AS_OF).report
    ax = plot_validation(report)
    drawn = [t.get_text() for t in ax.figure.findobj(plt.Text)]
    blob = "\n".join(drawn)
    assert "identifier_column (Client Name)" in blob and "personal_data (kit_id)" in blob
    for value in (*PII_VALUES, "2016-13-01"):
        assert value not in blob, value


def _write(tmp_path, header, rows):
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def test_refuses_what_is_not_a_report(report):
    with pytest.raises(TypeError, match="expected the .report of read_kit_log"):
        plot_validation(report.summary())  # type: ignore[arg-type]


def test_report_plot_is_this_figure(report):
    ax = report.plot(annotate=False)
    assert ax.get_title(loc="left") == "Validation of the kit log: 3 of 8 rows rejected"
    assert [b.get_width() for b in sorted(_bars(ax), key=lambda b: b.get_y())] == (
        report.summary()["rows"].tolist()
    )
