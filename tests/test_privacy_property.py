"""Property test: identifiers planted anywhere in a kit log or counts table never come out.

Hypothesis plants generated identifiers (NHS numbers in many forms, UK phone
numbers, postcodes, e-mail addresses, names in free text and dates of birth)
in every column of a kit log and of a counts table, read from CSV and from a
DataFrame, and checks that none appears in any returned frame, the report
(text, HTML, summary, issues, mapped values, notes), a warning, an exception
message, or the output of ``overdose-trends kits-check --out --issues`` run in
process. A bare name in a free-text field (a service called "Jacob Marley")
cannot be told from a real service name and is not planted there; a bare
date in a date field is planted only as a date of birth before 1998, which is
rejected as implausible.

The example numbers are not real: 943 476 5919 is NHS Digital's documentation
example; 07700 900000-900999 and 01632 960000-960999 are Ofcom's drama ranges.
"""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overdose_trends.errors import DataFormatError
from overdose_trends.io.kit_counts import read_kit_counts
from overdose_trends.io.kit_log import read_kit_log

AS_OF = "2020-01-01"
LOG_HEADER = [
    "event_id",
    "event_date",
    "event_type",
    "kit_id",
    "service",
    "area_code",
    "recipient_type",
    "supply_type",
    "product",
    "doses",
    "Referral source",  # not a field: left out
    "Client Name",  # an identifier column: dropped
]
LOG_ROWS = [
    ["E1", "2016-03-14", "issued", "K1", "STARS", "E06000033", "family", "first", "nasal", "2"],
    ["E2", "2016-09-02", "returned_used", "K1", "STARS", "E06000033", "", "", "nasal", "2"],
    ["E3", "2016-09-02", "issued", "K2", "STARS", "E06000033", "family", "repeat", "nasal", "2"],
    ["E4", "2017-01-10", "issued", "K3", "CGL", "E10000020", "family", "first", "injectable", "5"],
    ["E5", "2017-02-11", "lost", "K3", "CGL", "E10000020", "", "", "injectable", ""],
]
LOG_ROWS = [[*r, "self", "Ann Example"] for r in LOG_ROWS]
COUNTS_HEADER = ["area_code", "service", "period", "measure", "value", "Referral source"]
COUNTS_ROWS = [
    ["E06000033", "STARS", "2016 Q1", "kits_issued", "12", "x"],
    ["E06000033", "STARS", "2016 Q2", "kits_issued", "[c]", "x"],
    ["E10000020", "CGL", "2016 Q1", "kits_returned_used", "3", "x"],
    ["E10000020", "CGL", "2016 Q2", "kits_lost", "1", "x"],
]
#: Columns holding free text (a service, a kit or event id, a column left out): a bare name
#: there cannot be told from a real value, so only names with words about a person go there.
FREE_TEXT = {"event_id", "kit_id", "service", "Referral source", "Client Name"}

FIRST = ["Ebenezer", "Jacob", "Estella", "Abel"]
LAST = ["Marley", "Scrooge", "Havisham", "Magwitch", "Wemmick"]
MONTHS = ["January", "March", "July", "October", "Nov"]


@st.composite
def nhs_number(draw) -> tuple[str, list[str]]:
    digits = "".join(str(draw(st.integers(0, 9))) for _ in range(10))
    a, b, c = digits[:3], digits[3:6], digits[6:]
    form = draw(
        st.sampled_from(
            [
                digits,
                f"{a} {b} {c}",
                f"{a}-{b}-{c}",
                f"{a}.{b}.{c}",
                f"NHS{digits}",
                f"kit_{digits}",
                f"{digits}-01",
                f"NHS no: {a} {b} {c}",
            ]
        )
    )
    return form, [digits, f"{a} {b} {c}"]


@st.composite
def phone(draw) -> tuple[str, list[str]]:
    tail = "".join(str(draw(st.integers(0, 9))) for _ in range(3))
    form = draw(
        st.sampled_from(
            [
                f"07700 900{tail}",
                f"07700900{tail}",
                f"+44 7700 900{tail}",
                f"+44 (0)7700 900{tail}",
                f"(01632) 960{tail}",
                f"01632 960{tail}",
                f"Tel: 07700 900{tail}",
            ]
        )
    )
    return form, [f"900{tail}", f"960{tail}"]


@st.composite
def postcode(draw) -> tuple[str, list[str]]:
    area = draw(st.sampled_from(["SS", "M", "NR", "EC1A", "CR"]))
    district = "" if area == "EC1A" else str(draw(st.integers(1, 9)))
    inward = f"{draw(st.integers(0, 9))}{draw(st.sampled_from(['AB', 'XZ', 'HQ']))}"
    sep = draw(st.sampled_from([" ", "", "-"]))
    code = f"{area}{district}{sep}{inward}"
    return code, [code, f"{area}{district} {inward}"]


@st.composite
def email(draw) -> tuple[str, list[str]]:
    local = draw(st.sampled_from(["jane.doe", "a_b", "marley+kits", "x1"]))
    domain = draw(st.sampled_from(["example.org", "mail.example.co.uk"]))
    return f"{local}@{domain}", [f"{local}@{domain}"]


@st.composite
def person_text(draw) -> tuple[str, list[str]]:
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    form = draw(
        st.sampled_from(
            [
                f"mother of {first} {last}",
                f"issued to {first} {last}",
                f"Mrs {last}",
                f"given to {first}",
                f"partner {first} {last}",
            ]
        )
    )
    return form, [first, last]


@st.composite
def bare_name(draw) -> tuple[str, list[str]]:
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    return f"{first} {last}", [first, last]


@st.composite
def date_of_birth(draw) -> tuple[str, list[str]]:
    year = draw(st.integers(1940, 1996))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    name = MONTHS[month % len(MONTHS)]
    form = draw(
        st.sampled_from(
            [
                f"{day:02d}/{month:02d}/{year}",
                f"{year}-{month:02d}-{day:02d}",
                f"{day} {name} {year}",
                f"DOB {day:02d}/{month:02d}/{year}",
                f"born {day} {name} {year}",
            ]
        )
    )
    return form, [str(year)]


IDENTIFIERS = st.one_of(nhs_number(), phone(), postcode(), email(), person_text(), date_of_birth())


@st.composite
def planted(draw, header: list[str], n_rows: int) -> list[tuple[int, int, str, list[str]]]:
    """1-4 plantings: (row, column, cell text, strings that must never come out)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        col = draw(st.integers(0, len(header) - 1))
        row = draw(st.integers(0, n_rows - 1))
        kinds = IDENTIFIERS if header[col] in FREE_TEXT else st.one_of(IDENTIFIERS, bare_name())
        text, secrets = draw(kinds)
        out.append((row, col, text, secrets))
    return out


def plant(rows: list[list[str]], plantings) -> tuple[list[list[str]], list[str]]:
    rows = [list(r) for r in rows]
    secrets: list[str] = []
    for row, col, text, found in plantings:
        rows[row][col] = text
        secrets += found
    return rows, secrets


def visible_text(result) -> str:
    """Every text a caller sees from a loaded table: frames, report, summary, issues."""
    r = result.report
    frame = result.events if hasattr(result, "events") else result.counts
    texts = [str(r), repr(r), repr(result), r._repr_html_(), r.summary().to_csv()]
    texts += [frame.to_csv(), r.issues.to_csv(), r.mapped_values.to_csv(), *r.notes]
    texts += list(map(str, r.dropped_columns))
    return "\n".join(texts)


def run(reader, source) -> str:
    """Read ``source``; everything visible, including warnings and an exception's text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            text = visible_text(reader(source))
        except (DataFormatError, ValueError) as exc:
            text = f"{exc}\n{exc!r}"
    return text + "\n".join(str(w.message) for w in caught)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def cli_text(path: Path, out_dir: Path) -> str:
    """Output of ``overdose-trends kits-check`` in process: stdout, stderr and both files."""
    from overdose_trends.cli import main

    out, issues = out_dir / "events.csv", out_dir / "issues.csv"
    for f in (out, issues):
        f.unlink(missing_ok=True)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        main(["kits-check", str(path), "--out", str(out), "--issues", str(issues)])
    files = [f.read_text(encoding="utf-8") for f in (out, issues) if f.exists()]
    return "\n".join([stdout.getvalue(), stderr.getvalue(), *files])


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, (secret, text[:2000])


SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(plantings=planted(LOG_HEADER, len(LOG_ROWS)))
def test_identifiers_planted_in_a_kit_log_never_come_out(tmp_path, plantings):
    rows, secrets = plant(LOG_ROWS, plantings)

    def read(source):
        return read_kit_log(source, as_of=AS_OF)

    assert_clean(run(read, pd.DataFrame(rows, columns=LOG_HEADER)), secrets)
    path = write_csv(tmp_path / "log.csv", LOG_HEADER, rows)
    assert_clean(run(read, path), secrets)
    assert_clean(cli_text(path, tmp_path), secrets)


@SETTINGS
@given(plantings=planted(COUNTS_HEADER, len(COUNTS_ROWS)))
def test_identifiers_planted_in_a_counts_table_never_come_out(tmp_path, plantings):
    rows, secrets = plant(COUNTS_ROWS, plantings)

    def read(source):
        return read_kit_counts(source, as_of=AS_OF)

    assert_clean(run(read, pd.DataFrame(rows, columns=COUNTS_HEADER)), secrets)
    assert_clean(run(read, write_csv(tmp_path / "counts.csv", COUNTS_HEADER, rows)), secrets)
