"""Tests for overdose_trends.io.fingertips: Fingertips CSV exports and the Fingertips API.

The fixture ``fixtures/fingertips_92432_utla.csv`` is in the layout of a Fingertips
export of indicator 92432 (Deaths from drug misuse) for upper-tier local authorities
(all 27 columns, 3-year periods, England with its sex split and a deprivation decile,
a value too small to calculate and a suppressed value). Its numbers were written for
the tests (rates = count / denominator, Byar limits), not copied from Fingertips.
The API tests serve it from a local HTTP server on 127.0.0.1; nothing reaches the internet.
"""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import matplotlib
import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.fetch import ENV_ALLOW_HTTP, FetchError, cache_path
from overdose_trends.io.fingertips import (
    FINGERTIPS_COLUMNS,
    INDICATOR_MEASURES,
    fetch_fingertips,
    fingertips_url,
    read_fingertips,
)
from overdose_trends.schema import DEATHS_COLUMNS, RATE_STATUSES

matplotlib.use("Agg")

FIXTURE = Path(__file__).parent / "fixtures" / "fingertips_92432_utla.csv"
HEADER = FIXTURE.read_text(encoding="utf-8").splitlines()[0]


def _persons(ft: pd.DataFrame) -> pd.DataFrame:
    return ft[ft["sex"] == "persons"]


# --- read_fingertips ---------------------------------------------------------------------


def test_fixture_reads_into_the_house_schema():
    ft = read_fingertips(FIXTURE)
    assert list(ft.columns) == [*DEATHS_COLUMNS, *FINGERTIPS_COLUMNS]
    assert len(ft) == 2 * (11 + 2)  # breakdown row dropped by default
    assert ft["deaths"].dtype == "Int64"
    assert ft["period_start"].dtype == ft["period_end"].dtype == "int64"
    assert set(ft["measure"]) == {"misuse"}
    assert set(ft["rate_status"]) <= set(RATE_STATUSES)
    assert set(zip(ft["period_start"], ft["period_end"], strict=True)) == {
        (2016, 2018),
        (2019, 2021),
    }
    assert set(ft["sex"]) == {"persons", "males", "females"}
    assert (ft["rate_per"] == 100_000).all()
    assert (ft["edition"] == 2021).all()
    assert (ft["sheet"] == FIXTURE.name).all()
    row = ft.set_index(["area_code", "period_start"]).loc[("E06000009", 2016)]
    # fixture line 3: Blackpool 2016 - 18, 72 deaths, 17.2290 (13.4801-21.6974)
    assert row["deaths"] == 72 and row["rate"] == 17.2290
    assert (row["lcl"], row["ucl"]) == (13.4801, 21.6974)
    assert (row["lcl_998"], row["ucl_998"]) == (11.6238, 24.4786)
    assert row["denominator"] == 417_900
    assert row["area_level"] == "unitary" and row["area_name"] == "Blackpool"
    assert row["compared_to_england"] == "Worse"
    assert row["recent_trend"] == "No significant change"
    assert row["time_period"] == "2016 - 18" and row["age"] == "All ages"
    assert row["row"] == 3 and row["rate_status"] == "ok"
    assert ft.attrs["fingertips"]["indicators"] == {92432: "Deaths from drug misuse"}


def test_area_levels_from_codes():
    ft = read_fingertips(FIXTURE).drop_duplicates("area_code").set_index("area_code")
    assert ft.loc["E92000001", "area_level"] == "country"
    assert ft.loc["E10000020", "area_level"] == "county"
    assert ft.loc["E06000033", "area_level"] == "unitary"


def test_value_notes_become_statuses_never_zero():
    ft = _persons(read_fingertips(FIXTURE)).set_index(["area_code", "period_start"])
    rutland = ft.loc[("E06000017", 2016)]
    assert rutland["rate_status"] == "not_calculated"
    assert pd.isna(rutland["rate"]) and pd.isna(rutland["deaths"])
    assert "too small" in rutland["value_note"]
    scilly = ft.loc[("E06000053", 2019)]
    assert scilly["rate_status"] == "suppressed"
    assert pd.isna(scilly["rate"]) and pd.isna(scilly["deaths"])
    assert ft["value_note"].isna().sum() == len(ft) - 4


def test_small_number_rule_on_published_values():
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    southend = next(line for line in text if "Southend" in line and "2016 - 18" in line)
    cells = southend.split(",")
    cells[17] = "15"  # Count
    eleven = ",".join(cells).replace("E06000033", "E06000099")
    cells[17] = "7"
    seven = ",".join(cells).replace("E06000033", "E06000098")
    cells[17] = ""
    no_count = ",".join(cells).replace("E06000033", "E06000097")
    ft = read_fingertips(io.StringIO("\n".join([text[0], eleven, seven, no_count])))
    assert ft["rate_status"].tolist() == ["unreliable", "not_calculated", "ok"]
    assert ft["rate"].notna().all()  # the published value is kept


def test_breakdowns_kept_on_request():
    ft = read_fingertips(FIXTURE, breakdowns=True)
    deciles = ft[ft["category_type"].notna()]
    assert len(deciles) == 1
    assert deciles["category"].item() == "Most deprived decile (IMD2019)"
    assert deciles["deaths"].item() == 1690
    assert read_fingertips(FIXTURE)["category_type"].isna().all()


def test_file_objects_and_encodings_agree():
    from_path = read_fingertips(FIXTURE)
    raw = FIXTURE.read_bytes()
    from_bytes = read_fingertips(io.BytesIO(b"\xef\xbb\xbf" + raw))
    from_text = read_fingertips(io.StringIO(raw.decode()))
    cols = [c for c in from_path.columns if c != "sheet"]
    pd.testing.assert_frame_equal(from_bytes[cols], from_path[cols])
    pd.testing.assert_frame_equal(from_text[cols], from_path[cols])


def test_minimal_columns_and_other_indicator_needs_a_measure():
    text = (
        "Indicator ID,Area Code,Area Name,Sex,Time period,Value,Lower CI 95.0 limit,"
        "Upper CI 95.0 limit,Count\n"
        "99999,E06000009,Blackpool,Male,2021,30.5,20.1,44.3,27\n"
    )
    with pytest.raises(DataFormatError, match="99999.*measure="):
        read_fingertips(io.StringIO(text))
    ft = read_fingertips(io.StringIO(text), measure="poisoning", rate_per=1_000_000)
    assert ft[["measure", "sex", "period_start", "period_end", "rate_per"]].iloc[0].tolist() == [
        "poisoning",
        "males",
        2021,
        2021,
        1_000_000,
    ]
    assert ft["compared_to_england"].isna().all() and ft["lcl_998"].isna().all()
    assert dict(INDICATOR_MEASURES) == {92432: "misuse"}


def test_repeated_rows_raise_naming_both_rows():
    # an exact repeat is reported, never silently dropped (found by the fuzz suite, issue #15)
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    with pytest.raises(DataFormatError, match="rows 3 and 29 repeat the same figure") as err:
        read_fingertips(io.StringIO("\n".join([*lines, lines[2]])))
    assert err.value.row == 29
    changed = lines[2].replace(",72,", ",73,")
    with pytest.raises(DataFormatError, match="rows 3 and 29.*E06000009") as err:
        read_fingertips(io.StringIO("\n".join([*lines, changed])))
    assert err.value.row == 29


# --- bad input ---------------------------------------------------------------------------


def test_missing_columns_name_the_file_and_every_column(tmp_path):
    cols = HEADER.split(",")
    keep = [c for c in cols if c not in ("Count", "Time period", "Upper CI 95.0 limit")]
    path = tmp_path / "export.csv"
    path.write_text(",".join(keep) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        read_fingertips(path)
    message = str(err.value)
    assert err.value.file == str(path) and "export.csv" in message
    for name in ("'Count'", "'Time period'", "'Upper CI 95.0 limit'"):
        assert name in message
    assert "'Value'" not in message


def test_html_page_is_refused(tmp_path):
    path = tmp_path / "download.csv"
    path.write_text("<!DOCTYPE html><html><body>Service unavailable</body></html>")
    with pytest.raises(DataFormatError, match="HTML page") as err:
        read_fingertips(path)
    assert err.value.file == str(path)


@pytest.mark.parametrize(
    ("column", "cell", "words"),
    [
        ("Time period", "2019/20", "not a year or a range"),
        ("Value", "n/a", "where a number belongs"),
        ("Count", "12.5", "not a whole number"),
        ("Sex", "Unknown", "Persons, Male or Female"),
    ],
)
def test_bad_cells_name_line_and_column(column, cell, words):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[4].split(",")
    j = header.index(column)
    cells[j] = cell
    lines[4] = ",".join(cells)
    with pytest.raises(DataFormatError, match=words) as err:
        read_fingertips(io.StringIO("\n".join(lines)))
    assert err.value.row == 5
    assert err.value.column.startswith(repr(column))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataFormatError, match="empty"):
        read_fingertips(path)


# --- malformed input found by the fuzz suite (issue #15) ----------------------------------


def _with_cell(line: int, column: str, cell: str) -> str:
    """The fixture with one cell replaced (``line`` 1-based, header = 1)."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = f'"{cell}"' if "," in cell else cell
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("column", "cell", "words"),
    [
        ("Lower CI 95.0 limit", "", "empty 95% limit while the other is given"),
        ("Upper CI 99.8 limit", "", "empty 99.8% limit while the other is given"),
        ("Lower CI 95.0 limit", "inf", "text 'inf' where a number belongs"),
        ("Upper CI 95.0 limit", "nan", "text 'nan' where a number belongs"),
        ("Value", "NaN", "text 'NaN' where a number belongs"),
        ("Value", "1e+20", "text '1e\\+20' where a number belongs"),
        ("Upper CI 95.0 limit", "5.000,0", "text '5.000,0' where a number belongs"),
        ("Value", "-4.5", "value '-4.5' is negative"),
        ("Count", "1e+308", "text '1e\\+308' in a number cell"),
        ("Count", "99999999999999999999", "too large to be a count"),
        ("Count", "1_000", "text '1_000' in a number cell"),
        # limits must surround the value: Blackpool 2016-18 is 17.2290 (13.4801 to 21.6974)
        ("Lower CI 95.0 limit", "17.3", "95% limit 17.3 is above the Value 17.2290"),
        ("Upper CI 99.8 limit", "17.0", "99.8% limit 17.0 is below the Value 17.2290"),
        ("Value", "", "Value is empty but its 95% limits are given"),
    ],
)
def test_impossible_values_and_limits_are_refused(column, cell, words):
    text = _with_cell(3, column, cell)  # Blackpool, persons, 2016 - 18
    with pytest.raises(DataFormatError, match=words) as err:
        read_fingertips(io.StringIO(text))
    assert err.value.row == 3
    assert err.value.column.split(" (")[0] in {repr(column), "'Value'"}


def test_a_huge_indicator_id_is_refused_not_wrapped():
    text = _with_cell(3, "Indicator ID", "99999999999999999999")
    with pytest.raises(DataFormatError, match="Indicator ID must be a whole number") as err:
        read_fingertips(io.StringIO(text), measure="misuse")
    assert err.value.row == 3


def test_limits_may_equal_the_value():
    text = _with_cell(3, "Lower CI 95.0 limit", "17.2290")
    assert read_fingertips(io.StringIO(text))["lcl"].iloc[1] == 17.229


def test_short_or_cut_rows_name_the_line():
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    short = [*lines[:5], lines[5].rsplit(",", 2)[0], *lines[6:]]
    with pytest.raises(DataFormatError, match="25 fields but the header has 27") as err:
        read_fingertips(io.StringIO("\n".join(short)))
    assert err.value.row == 6
    cut = "\n".join(lines[:12]) + "\n" + lines[12][:100]  # a download cut in line 13
    with pytest.raises(DataFormatError, match="short row, or a file cut") as err:
        read_fingertips(io.StringIO(cut))
    assert err.value.row == 13
    with pytest.raises(DataFormatError, match="header has 27") as err:
        read_fingertips(io.BytesIO(FIXTURE.read_bytes()[:513]))
    assert err.value.row == 2


def test_long_cells_are_not_echoed():
    text = _with_cell(4, "Time period", "x" * 100_000)
    with pytest.raises(DataFormatError, match="100,000 characters") as err:
        read_fingertips(io.StringIO(text))
    assert len(str(err.value)) < 500 and err.value.row == 4
    with pytest.raises(DataFormatError, match="longer than 131,072 characters"):
        read_fingertips(io.StringIO(_with_cell(4, "Area Code", "x" * 1_000_000)))


def test_a_folder_is_a_data_format_error(tmp_path):
    (tmp_path / "export.csv").write_bytes(FIXTURE.read_bytes())
    with pytest.raises(DataFormatError, match="folder") as err:
        read_fingertips(tmp_path)
    assert err.value.file == str(tmp_path)


def test_a_column_named_twice_is_an_error():
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines = [f"{line},{line.split(',')[0]}" for line in lines]
    lines[0] = lines[0].rsplit(",", 1)[0] + ",Indicator ID"
    with pytest.raises(DataFormatError, match="two columns named 'Indicator ID'"):
        read_fingertips(io.StringIO("\n".join(lines)))


# --- the flow into the statistics and the funnel plot --------------------------------------


def test_flows_into_compare_periods_and_plot_funnel():
    import overdose_trends as ot

    ft = _persons(read_fingertips(FIXTURE))
    compared = ot.compare_periods(ft, before="2016-18", after="2019-21")
    assert len(compared) == 11
    blackpool = compared.set_index("area_code").loc["E06000009"]
    assert (blackpool["deaths_before"], blackpool["deaths_after"]) == (72, 80)
    assert blackpool["rate_before"] == pytest.approx(17.2290)
    not_assessed = compared.set_index("area_code").loc[["E06000017", "E06000053"], "ons_verdict"]
    assert (not_assessed == "not assessed").all()

    latest = ft[ft["period_end"] == 2021]
    vs = ot.vs_benchmark(latest, "E92000001", years=3)
    assert vs.set_index("area_code").loc["E06000009", "compared"] == "higher"
    ax = ot.plot_funnel(vs, benchmark_name="England", highlight="Blackpool")
    labels = [line.get_label() for line in ax.lines if line.get_gid() == "benchmark"]
    assert labels and labels[0].startswith("England")
    points = sum(
        len(c.get_offsets()) for c in ax.collections if str(c.get_gid()).startswith("points-")
    )
    assert points == 8  # the 8 authorities with a value (not England, Rutland, Scilly)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


# --- fetch_fingertips against a local server -----------------------------------------------


@pytest.fixture
def api(monkeypatch, tmp_path):
    """A local stand-in for the Fingertips API serving recorded responses."""
    monkeypatch.setenv(ENV_ALLOW_HTTP, "1")
    state: dict = {"hits": [], "body": FIXTURE.read_bytes(), "type": "text/csv", "status": 200}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server API)
            state["hits"].append(self.path)
            body = state["body"]
            self.send_response(state["status"])
            self.send_header("Content-Type", state["type"])
            if state.get("chunked"):  # as a server streaming a large CSV sends it
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for k in range(0, len(body), 1000):
                    piece = body[k : k + 1000]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state["base"] = f"http://127.0.0.1:{httpd.server_address[1]}/api/"
    state["cache"] = tmp_path / "cache"
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_fetch_builds_the_api_query_and_caches(api):
    ft = fetch_fingertips(92432, 502, base_url=api["base"], cache_dir=api["cache"])
    local = read_fingertips(FIXTURE)
    cols = [c for c in local.columns if c != "sheet"]
    pd.testing.assert_frame_equal(ft[cols], local[cols])
    assert ft["sheet"].iloc[0].endswith("-by_indicator_id")
    assert ft.attrs["fingertips"]["url"].startswith(api["base"])
    (hit,) = api["hits"]
    parts = urlsplit(hit)
    assert parts.path == "/api/all_data/csv/by_indicator_id"
    assert parse_qs(parts.query) == {
        "indicator_ids": ["92432"],
        "child_area_type_id": ["502"],
        "parent_area_type_id": ["15"],
        "include_sortable_time_periods": ["yes"],
    }
    again = fetch_fingertips(92432, 502, base_url=api["base"], cache_dir=api["cache"])
    assert len(api["hits"]) == 1  # served from the cache
    pd.testing.assert_frame_equal(again, ft)
    offline = fetch_fingertips(92432, base_url=api["base"], cache_dir=api["cache"], offline=True)
    assert len(offline) == len(ft)
    fetch_fingertips(92432, base_url=api["base"], cache_dir=api["cache"], refresh=True)
    assert len(api["hits"]) == 2


def test_fetch_passes_area_types_and_profile():
    url = fingertips_url(92432, 501, parent_area_type=6, profile_id=143)
    assert url.startswith("https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?")
    query = parse_qs(urlsplit(url).query)
    assert query["child_area_type_id"] == ["501"] and query["parent_area_type_id"] == ["6"]
    assert query["profile_id"] == ["143"]
    named = fingertips_url(92432, "lower_tier", parent_area_type="region", profile_id=143)
    assert named == url
    with pytest.raises(ValueError, match="upper_tier"):
        fingertips_url(92432, "districts")


def test_fetch_html_page_is_a_fetch_error_and_not_cached(api):
    api["body"] = b"<!DOCTYPE html><html><body>Sorry, the service is down</body></html>"
    api["type"] = "text/html"
    with pytest.raises(FetchError, match="HTML"):
        fetch_fingertips(92432, base_url=api["base"], cache_dir=api["cache"])
    assert not cache_path(
        fingertips_url(92432, base_url=api["base"]), cache_dir=api["cache"]
    ).exists()


def test_fetch_non_fingertips_body_is_a_data_error_and_leaves_the_cache(api):
    api["body"] = b'{"error": "indicator not found"}'
    api["type"] = "application/json"
    with pytest.raises(DataFormatError, match="missing column"):
        fetch_fingertips(92432, base_url=api["base"], cache_dir=api["cache"])
    path = cache_path(fingertips_url(92432, base_url=api["base"]), cache_dir=api["cache"])
    assert not path.exists() and not path.with_name(path.name + ".meta.json").exists()
    api["body"] = FIXTURE.read_bytes()
    assert len(fetch_fingertips(92432, base_url=api["base"], cache_dir=api["cache"])) == 26


def test_fetch_http_error_is_a_fetch_error(api):
    api["status"] = 404
    api["body"] = b"not found"
    with pytest.raises(FetchError):
        fetch_fingertips(1, base_url=api["base"], cache_dir=api["cache"])


def test_fetch_chunked_response(api):
    api["chunked"] = True
    ft = fetch_fingertips(92432, "upper_tier", base_url=api["base"], cache_dir=api["cache"])
    assert len(ft) == 26 and ft["deaths"].sum() > 0
