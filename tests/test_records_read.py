"""read_death_records: every row loaded or reported, identifiers never loaded, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.records.read import DeathRecords, read_death_records

GOOD = {
    "registration_date": "2021-05-04",
    "occurrence_date": "2021-01-02",
    "age": "34",
    "sex": "M",
    "area_code": "E06000033",
    "underlying_cause": "X42.0",
    "cause_1": "T40.1",
    "substances": "heroin",
}
# (changes to GOOD, rule expected, column)
BAD = [
    ({"underlying_cause": "X4Z"}, "invalid_icd10", "underlying_cause"),
    ({"underlying_cause": "304.0"}, "icd9_code", "underlying_cause"),
    ({"cause_1": "E850.0"}, "icd9_code", "cause_1"),
    ({"registration_date": "2021-02-30"}, "invalid_date", "registration_date"),
    ({"occurrence_date": "2021-06-01"}, "occurrence_after_registration", "occurrence_date"),
    ({"area_code": "E06999999"}, "unknown_area_code", "area_code"),
    ({"area_code": "E6000033"}, "invalid_area_code", "area_code"),
    ({"sex": "X"}, "invalid_sex", "sex"),
    ({"age": "130"}, "invalid_age", "age"),
    ({"underlying_cause": ""}, "blank_required", "underlying_cause"),
    ({"registration_date": "2035-01-01"}, "date_out_of_range", "registration_date"),
]


def _raw() -> pd.DataFrame:
    rows = [dict(GOOD), dict(GOOD, underlying_cause="x42", registration_date="04/05/2021")]
    rows += [dict(GOOD, **change) for change, _, _ in BAD]
    frame = pd.DataFrame(rows)
    frame.insert(0, "Name", "Jane Doe")
    frame["Date of birth"] = "1987-01-01"
    frame["NHS number"] = "943 476 5919"
    frame["Address"] = "1 High Street"
    frame["hospital"] = "X"
    return frame


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("records") / "deaths.csv"
    _raw().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def records(csv_path: Path) -> DeathRecords:
    return read_death_records(csv_path, as_of="2025-01-01")


def test_every_row_loaded_or_reported(records: DeathRecords) -> None:
    report = records.report
    assert report is not None
    assert report.n_input == 2 + len(BAD)
    assert report.n_loaded == 2 and report.n_rejected == len(BAD)
    errors = report.errors.set_index("row")
    for i, (_, rule, column) in enumerate(BAD):
        row = i + 4  # header = row 1, two good rows first
        assert errors.loc[row, "rule"] == rule, (row, rule)
        assert errors.loc[row, "column"] == column
        assert str(row) in errors.loc[row, "message"]


def test_loaded_rows_are_canonical(records: DeathRecords) -> None:
    rows = records.to_pandas()
    assert rows["source_row"].tolist() == [2, 3]
    assert rows["underlying_cause"].tolist() == ["X420", "X42"]  # dot removed, upper case
    assert rows["cause_1"].tolist() == ["T401", "T401"]
    assert rows["sex"].tolist() == ["males", "males"]
    assert rows["age_band"].tolist() == ["30-34", "30-34"]
    assert str(rows.loc[1, "registration_date"])[:10] == "2021-05-04"  # UK day first
    assert rows["registration_year"].tolist() == [2021, 2021]
    assert len(records) == 2


def test_identifiers_never_loaded(records: DeathRecords) -> None:
    report = records.report
    assert report is not None
    assert set(report.dropped_columns) == {"Name", "Date of birth", "NHS number", "Address"}
    assert report.dropped_columns["Name"] == 2 + len(BAD)
    text = str(report) + report.issues.to_string() + records.to_pandas().to_string()
    for value in ("Jane", "1987", "943 476", "High Street"):
        assert value not in text
    # headers are shown only when every word reads as a column name (safe_header)
    assert report.unknown_columns == ("(column M, header not shown)",)
    # dates are never echoed into issues
    dated = report.issues[report.issues["column"] == "registration_date"]
    assert dated["value"].isna().all() or (dated["value"] == "nan").all()


def test_parquet_and_duckdb_table(tmp_path: Path) -> None:
    import duckdb

    raw = _raw().drop(columns=["Name", "Date of birth", "NHS number", "Address", "hospital"])
    path = tmp_path / "deaths.parquet"
    raw.to_parquet(path)
    from_parquet = read_death_records(path, as_of="2025-01-01")
    assert from_parquet.report is not None and from_parquet.report.n_loaded == 2
    assert from_parquet.to_pandas()["source_row"].tolist() == [1, 2]  # record numbers
    con = duckdb.connect()
    con.execute(f"CREATE TABLE deaths AS SELECT * FROM read_parquet('{path}')")
    from_table = read_death_records("deaths", con=con, as_of="2025-01-01")
    assert from_table.report is not None and from_table.report.n_rejected == len(BAD)


def test_mapping_delimited_causes_and_known_areas() -> None:
    raw = pd.DataFrame(
        {
            "Date registered": ["2020-01-10", "2020-02-11"],
            "age": [40, 50],
            "Sex": ["2", "1"],
            "LA": ["S12000036", "E06000033"],
            "ICD10U": ["X42", "F11"],
            "ICD10 contributory": ["I10,T40.1;R99", None],
        }
    )
    mapping = {
        "Date registered": "registration_date",
        "LA": "area_code",
        "ICD10U": "underlying_cause",
        "ICD10 contributory": "contributory_causes",
    }
    default = read_death_records(raw, mapping)
    assert default.report is not None and default.report.n_rejected == 1  # Scottish code
    mine = read_death_records(raw, mapping, known_areas=["S12000036", "E06000033"])
    rows = mine.to_pandas()
    assert rows["sex"].tolist() == ["females", "males"]
    assert rows[["cause_1", "cause_2", "cause_3"]].iloc[0].tolist() == ["I10", "T401", "R99"]
    shape_only = read_death_records(raw, mapping, known_areas=None)
    assert shape_only.report is not None and shape_only.report.ok
    assert any("occurrence" in n for n in shape_only.report.notes)


def test_not_a_death_record_table(tmp_path: Path) -> None:
    path = tmp_path / "kits.csv"
    pd.DataFrame({"event_date": ["2020-01-01"], "kit_id": ["K1"]}).to_csv(path, index=False)
    with pytest.raises(DataFormatError) as err:
        read_death_records(path)
    assert err.value.file == str(path) and err.value.row == 1
    assert "registration_date" in str(err.value.column)


def test_missing_one_required_column() -> None:
    raw = pd.DataFrame([GOOD]).drop(columns=["area_code"])
    with pytest.raises(DataFormatError, match="area_code"):
        read_death_records(raw)


def test_both_cause_layouts_is_an_error() -> None:
    raw = pd.DataFrame([dict(GOOD, contributory_causes="T40.1")])
    with pytest.raises(DataFormatError, match="not both"):
        read_death_records(raw)


def test_bad_mapping_and_known_areas() -> None:
    with pytest.raises(ValueError, match="unknown fields"):
        read_death_records(pd.DataFrame([GOOD]), {"age": "age_years"})
    with pytest.raises(ValueError, match="known_areas"):
        read_death_records(pd.DataFrame([GOOD]), known_areas="geography")


def test_raise_if_errors(records: DeathRecords) -> None:
    assert records.report is not None
    with pytest.raises(DataFormatError) as err:
        records.report.raise_if_errors()
    assert err.value.row == 4


# Issue #16 item 1: personal identifiers never loaded, never echoed.
PLANTED = [
    "9434765919",
    "943 476 5919",
    "943.476.5919",
    "(01702) 215000",
    "12 March 1985",
    "SS1 2AB",
    "jacob.marley@example.org",
]


def _everything(records: DeathRecords) -> str:
    report = records.report
    assert report is not None
    return "\n".join(
        [
            str(report),
            repr(records),
            report.issues.to_string(),
            report.summary().to_string(),
            records.to_pandas().to_string(),
        ]
    )


def test_identifiers_in_substances_are_blanked_and_counted(tmp_path: Path) -> None:
    rows = [dict(GOOD, substances=p) for p in PLANTED]
    rows += [dict(GOOD, substances=f"heroin {PLANTED[0]}"), dict(GOOD, substances="cocaine")]
    path = tmp_path / "deaths.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    records = read_death_records(path, as_of="2025-01-01")
    report = records.report
    assert report is not None
    assert report.n_loaded == len(rows)  # a warning, not a rejection
    loaded = records.to_pandas()
    assert loaded["substances"].isna().sum() == len(PLANTED) + 1
    assert loaded["substances"].iloc[-1] == "cocaine"
    found = report.issues[report.issues["rule"] == "personal_data"]
    assert sorted(found["row"]) == list(range(2, len(PLANTED) + 3))
    assert (found["column"] == "substances").all() and found["value"].isna().all()
    text = _everything(records)
    for planted in PLANTED:
        assert planted not in text


def test_rejected_values_echoed_only_with_their_fields_shape() -> None:
    raw = pd.DataFrame(
        [
            dict(GOOD, underlying_cause="X62 to Jacob Marley"),
            dict(GOOD, sex="M to SS1 2AB"),
            dict(GOOD, area_code="E06000033 to 12 March 1985"),
            dict(GOOD, cause_1="9434765919"),
            dict(GOOD, underlying_cause="X4Z"),  # code-shaped: shown
            dict(GOOD, sex="X"),
            dict(GOOD, area_code="E6000033"),
        ]
    )
    records = read_death_records(raw, as_of="2025-01-01")
    report = records.report
    assert report is not None and report.n_rejected == 7
    issues = report.issues.set_index("row")
    for row, column in ((2, "underlying_cause"), (3, "sex"), (4, "area_code"), (5, "cause_1")):
        assert issues.loc[row, "column"] == column
        assert pd.isna(issues.loc[row, "value"])
        assert f"{column} (value not shown)" in issues.loc[row, "message"]
    assert issues.loc[6, "value"] == "X4Z" and "'X4Z'" in issues.loc[6, "message"]
    assert issues.loc[7, "value"] == "X"
    assert issues.loc[8, "value"] == "E6000033"
    text = _everything(records)
    for planted in ("Jacob", "Marley", "SS1 2AB", "1985", "9434765919"):
        assert planted not in text


def test_unknown_and_identifier_headers_not_printed() -> None:
    raw = pd.DataFrame([GOOD, GOOD])
    raw["Jacob Marley"] = ""
    raw["D.O.B. 12 March 1985"] = ""
    raw["service"] = "x"
    records = read_death_records(raw, as_of="2025-01-01")
    report = records.report
    assert report is not None
    assert report.unknown_columns == ("(column I, header not shown)", "service")
    assert list(report.dropped_columns) == ["(column J, header not shown)"]
    text = _everything(records)
    for planted in ("Jacob", "Marley", "1985", "March"):
        assert planted not in text
