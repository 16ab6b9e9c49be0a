"""Tests for the kit loaders' fast paths (issue #15, Performance).

Each fast path is checked against the slow way of doing the same thing:
coding a numeric column (``_kit_table.as_column``), counting a CSV line's
cells (``_kit_table._short_record`` against :mod:`csv`), keying rows across
columns whose product of distinct values overflows an int64
(``_kit_validation.row_keys``), the header read as a header rather than
skipped, and building the output text columns (``kit_log._as_str`` against
``pandas.array(..., dtype="str")``). Every fixture is written in the test.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overdose_trends.errors import DataFormatError
from overdose_trends.io._kit_table import Column, _short_record, as_column
from overdose_trends.io._kit_validation import row_keys
from overdose_trends.io.kit_log import _as_str, read_kit_log

AS_OF = "2020-01-01"


# --- as_column: numbers hashed as numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("values", "uniques", "codes"),
    [
        ([5, 1, 5, 2], ["5", "1", "2"], [0, 1, 0, 2]),
        # -0.0 and 0.0 are one number; NaN is a blank cell; 2.5 keeps its decimals
        ([1.0, np.nan, -0.0, 0.0, 2.5], ["1", "0", "2.5", ""], [0, 3, 1, 1, 2]),
        ([True, False, True], ["True", "False"], [0, 1, 0]),
        (np.array([7, 7], dtype=np.uint8), ["7"], [0, 0]),
    ],
)
def test_numeric_columns_code_like_their_texts(values, uniques, codes):
    col = as_column(pd.Series(values), "doses", 0)
    assert col.uniques.tolist() == uniques
    assert col.codes.tolist() == codes
    # the same as coding the cells one by one as Python objects
    slow = as_column(pd.Series(values, dtype=object), "doses", 0)
    assert slow.uniques[slow.codes].tolist() == col.uniques[col.codes].tolist()


# --- _short_record: cells per line counted by binary search ----------------------------------


def reference_short(data: bytes, header_row: int, width: int) -> int | None:
    """The first short data record, by the csv module.

    A record with fewer cells than the header is short unless it is a single blank cell
    (an empty or all-space line): a line of delimiters only (``,``) is short.
    """
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    for n, record in enumerate(reader, start=1):
        if n > header_row and len(record) < width and (len(record) > 1 or "".join(record).strip()):
            return n
    return None


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n4,5,6\n",
        "a,b,c\n1,2,3\n4,5\n",  # short last row
        "a,b,c\n1,2,3\n4,5",  # short last row, no final newline
        "a,b,c\n1,2,3\n\n   \n7,8,9\n",  # blank lines are not short
        "a,b,c\r\n1,2,3\r\n\r\n4\r\n",  # CRLF; one-cell row
        "a,b,c\n,,\n,\n",  # blank cells, then a row one cell short
        "a,b,c\n1,2,3,4\n1\n",  # a long row is not short; the next is
        "a,b,c\n",  # header only
    ],
)
def test_short_record_counts_cells_as_the_csv_module(text):
    data = text.encode()
    assert _short_record(data, "utf-8", 1, 3) == reference_short(data, 1, 3)


def test_short_record_same_with_quotes():
    # a quoted file is read with the csv module: the same rule applies
    for text in ('a,b,c\n"1",2,3\n,\n', 'a,b,c\n"1",2,3\n\n   \n"4",5,6\n'):
        data = text.encode()
        assert _short_record(data, "utf-8", 1, 3) == reference_short(data, 1, 3)


def test_short_record_random_lines():
    rng = np.random.default_rng(3)
    lines = ["a,b,c,d"]
    for _ in range(2000):
        k = rng.choice([1, 2, 3, 4, 4, 4, 4, 4])
        lines.append(",".join(rng.choice(["", "x", " ", "12"], size=k)))
    for end in ("\n", "\r\n"):
        data = (end.join(lines) + end).encode()
        assert _short_record(data, "utf-8", 1, 4) == reference_short(data, 1, 4)


# --- row_keys: distinct combinations beyond an int64 -----------------------------------------


def test_row_keys_survive_an_overflowing_product_of_cardinalities():
    rng = np.random.default_rng(11)
    n = 5000
    cols = []
    for i in range(6):
        # six columns of 2,000 distinct texts: 2000**6 > 2**62 distinct combinations
        codes = rng.integers(0, 2000 if i else 3, size=n)
        cols.append(Column(f"c{i}", "A", codes.astype(np.intp), np.arange(2000).astype(str)))
    repeat = rng.integers(0, n, size=500)
    for c in cols:
        c.codes[-500:] = c.codes[repeat]  # the last rows copy earlier ones
    key = row_keys(cols, n)
    frame = pd.DataFrame({c.header: c.codes for c in cols})
    assert (pd.Index(key).duplicated() == frame.duplicated().to_numpy()).all()
    assert len(np.unique(key)) == len(frame.drop_duplicates())


# --- _as_str: output columns taken in Arrow ----------------------------------------------------


def test_as_str_matches_pandas_str_arrays():
    values = np.array(["K1", "K2", None, "K3"], dtype=object)
    codes = np.array([0, -1, 2, 1, 3, 0])
    got = _as_str(values, codes)
    expected = pd.array(np.array(["K1", None, None, "K2", "K3", "K1"], dtype=object), dtype="str")
    assert got.dtype == expected.dtype
    pd.testing.assert_extension_array_equal(got, expected)
    # without codes: the values factorised first; all missing stays missing
    pd.testing.assert_extension_array_equal(
        _as_str(np.array([None, None], dtype=object)), pd.array([None, None], dtype="str")
    )
    assert len(_as_str(np.empty(0, dtype=object), np.empty(0, dtype=np.int64))) == 0


# --- the header record is read, renamed, and rows keep their numbers -----------------------


def test_header_row_and_rows_above_it(tmp_path):
    rows = [
        "Kit log exported 2020-01-01,,,,,",
        "",
        "event_date,event_type,kit_id,service,area_code,doses",
        "2016-03-14,issued,K1,STARS,E06000033,2",
        "2016-03-15,bogus,K2,STARS,E06000033,2",
    ]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    log = read_kit_log(path, as_of=AS_OF, header_row=3)
    assert log.events["source_row"].tolist() == [4]
    assert log.report.issues["row"].tolist() == [5]
    path.write_text("\n".join(rows[2:]) + "\n", encoding="utf-8")
    log = read_kit_log(path, as_of=AS_OF)
    assert log.events["source_row"].tolist() == [2]
    assert log.report.issues["row"].tolist() == [3]


def test_as_str_with_python_string_storage():
    # pandas' "str" without pyarrow storage: the same texts through pandas' own take
    with pd.option_context("mode.string_storage", "python"):
        got = _as_str(np.array(["K1", None], dtype=object), np.array([1, 0, -1, 0]))
        expected = pd.array(np.array([None, "K1", None, "K1"], dtype=object), dtype="str")
    assert got.dtype == expected.dtype
    assert got.dtype.storage == "python"
    pd.testing.assert_extension_array_equal(got, expected)


def test_as_str_all_missing_from_no_values():
    # a log without an event_id column: every row's event_id is missing
    got = _as_str(np.empty(0, dtype=object), np.full(3, -1))
    pd.testing.assert_extension_array_equal(got, pd.array([None] * 3, dtype="str"))


def test_short_row_found_when_the_last_column_reads_as_numbers(tmp_path):
    # every doses cell is a number, so pandas reads the column as numbers: the short row's
    # missing cell is a missing number, not an empty text, and must still be found
    rows = [
        "event_date,event_type,kit_id,service,area_code,doses",
        "2016-03-14,issued,K1,STARS,E06000033,2",
        "2016-03-15,issued,K2,STARS,E06000033",
        "2016-03-16,issued,K3,STARS,E06000033,5",
    ]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"row 3.*fewer cells"):
        read_kit_log(path, as_of=AS_OF)


# --- Arrow texts kept from the read and reused only while they are the stripped texts --------


def test_arrow_texts_reused_only_while_unchanged():
    pa = pytest.importorskip("pyarrow")
    col = as_column(pd.Series(["K1", "K2", "K1"], dtype="str"), "kit_id", 0)
    if pd.Series(["x"], dtype="str").dtype.storage != "pyarrow":
        pytest.skip("pandas' str is not stored in Arrow here")
    assert col.stripped_arrow().to_pylist() == list(col.uniques) == ["K1", "K2"]
    taken = col.take(np.array([1]))
    assert taken.stripped_arrow() is col.arrow
    # stripping changes a text: the Arrow texts are not the stripped texts
    spaced = as_column(pd.Series([" K1", "K2"], dtype="str"), "kit_id", 0)
    assert spaced.stripped_arrow() is None and spaced.arrow is None
    # blanking a text (personal data) drops them too
    col.set_blank(np.array([True, False]))
    assert col.stripped_arrow() is None
    # missing cells become "" appended to the texts: not the Arrow texts
    assert as_column(pd.Series(["K1", None], dtype="str"), "k", 0).arrow is None
    # object and number columns have none
    assert as_column(pd.Series(["K1"], dtype=object), "k", 0).arrow is None
    assert isinstance(as_column(pd.Series(["K1"], dtype="str"), "k", 0).arrow, pa.Array)


def test_as_str_with_arrow_texts_matches_without(tmp_path):
    pa = pytest.importorskip("pyarrow")
    values = np.array(["K1", "K2", "K3"], dtype=object)
    codes = np.array([2, -1, 0, 0])
    arrow = pa.array(values, type=pa.large_string())
    pd.testing.assert_extension_array_equal(_as_str(values, codes, arrow), _as_str(values, codes))
    # kit ids read as Arrow texts, reused for the screen: the postcode is still blanked
    path = tmp_path / "log.csv"
    path.write_text(
        "event_date,event_type,kit_id,service,area_code\n"
        "2017-01-05,issued,K1,A,E06000033\n"
        "2017-01-06,issued,K2,A,E06000033\n"
        "2017-01-07,issued,SW1A 1AA,A,E06000033\n"
        "2017-01-08,issued,,A,E06000033\n",
        encoding="utf-8",
    )
    events = read_kit_log(path, as_of=AS_OF).events
    assert events["kit_id"].tolist()[:2] == ["K1", "K2"]
    assert events["kit_id"].isna().sum() == 2  # the postcode blanked, the blank kept blank


def test_strip_from_arrow_texts_matches_python_strip():
    pa = pytest.importorskip("pyarrow")
    from overdose_trends.io._kit_table import _text_edges, strip_texts

    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]  # all that str.strip removes
    texts = ["", "K1", "é", "Kü", "a b", "\x00K", "K\x7f", *spaces]
    texts += [f"{s}K1" for s in spaces] + [f"K1{s}" for s in spaces] + [f"{s}ü{s}" for s in spaces]
    uniques = np.array(texts, dtype=object)
    expected = [t.strip() for t in texts]
    assert strip_texts(uniques).tolist() == expected
    arrow = pa.array(texts, type=pa.large_string())
    for lo in (0, 3):  # an Arrow array at an offset too
        empty, at = _text_edges(arrow.slice(lo))
        assert strip_texts(uniques[lo:], at=at).tolist() == expected[lo:]
        assert empty.tolist() == [t == "" for t in texts[lo:]]
    # through a column: stripped, blank, and the Arrow texts only while nothing changed
    col = as_column(pd.Series(texts, dtype="str"), "kit_id", 0)
    if col.arrow is not None:
        assert col.stripped_arrow() is None
    assert col.stripped.tolist() == [t.strip() for t in col.uniques]
    assert col.blank.tolist() == [not t.strip() for t in col.uniques]
    assert _text_edges(pa.array(["", ""], type=pa.large_string()))[1].tolist() == []
    assert _text_edges(pa.array(["a"], type=pa.string())) is None


# --- plain CSV files read by Arrow give what the general (pandas) reader gives ---------------

_PLAIN_CELLS = {
    "event_date": ["2016-03-14", "14/03/2016", "31/02/2016", "2099-01-01", " 2017-05-01", "", "85"],
    "event_type": ["issued", "Supply", "used", "returned_unused", "lost", "", "issued to A Person"],
    "kit_id": ["K1", "K2", "007", "7", "5.0", " K1 ", "", "9434765919", "SW1A 1AA"],
    "service": ["STARS", "Drug service A", "", "  ", "07700 900123", "Café"],
    "area_code": ["E06000033", "e06000033", "W06000015", "", "X1", "E06000033 "],
    "doses": ["2", "05", "1.0", "-1", "", "x", "99999999", "1e3", "2.5"],
    "client_name": ["Jacob Marley", "", "1"],  # an identifier column: dropped, counted
    "notes": ["", "ok", "12", "a, b", 'say "hi"', "two\nlines", "x\r\n\r\ny"],  # left out
}


def _csv_cell(text: str, quote: bool) -> str:
    """A CSV cell: quoted (inner quotes doubled) when asked or when it must be."""
    if quote or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _read_both(path):
    from overdose_trends.io import _kit_table

    fast = read_kit_log(path, as_of=AS_OF)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(_kit_table, "_arrow_columns", lambda *a, **k: None)
        slow = read_kit_log(path, as_of=AS_OF)
    return fast, slow


def _assert_same_log(fast, slow):
    pd.testing.assert_frame_equal(fast.events, slow.events, check_exact=True)
    pd.testing.assert_frame_equal(fast.report.issues, slow.report.issues, check_exact=True)
    pd.testing.assert_frame_equal(fast.report.mapped_values, slow.report.mapped_values)
    for attr in ("n_input", "n_loaded", "n_rejected", "dropped_columns", "unknown_columns"):
        assert getattr(fast.report, attr) == getattr(slow.report, attr), attr


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_arrow_reader_matches_the_general_reader(data, tmp_path_factory):
    columns = data.draw(
        st.lists(st.sampled_from(list(_PLAIN_CELLS)), min_size=4, max_size=8, unique=True)
    )
    n = data.draw(st.integers(0, 12))
    rows = [[data.draw(st.sampled_from(_PLAIN_CELLS[c])) for c in columns] for _ in range(n)]
    if rows and data.draw(st.booleans()):  # a row of empty cells
        rows.insert(data.draw(st.integers(0, len(rows))), [""] * len(columns))
    quote = data.draw(st.sampled_from([0.0, 0.3]))  # share of cells quoted though plain
    lines = [",".join(_csv_cell(c, data.draw(st.floats(0, 1)) < quote) for c in r) for r in rows]
    for _ in range(data.draw(st.integers(0, 2))):  # blank lines: rows of empty cells too
        lines.insert(data.draw(st.integers(0, len(lines))), "")
    # a quote inside an unquoted cell (literal to both readers, but not a plain file)
    odd = bool(lines) and data.draw(st.booleans()) and quote > 0
    if odd:
        lines[-1] += 'x"y"z'
    end = data.draw(st.sampled_from(["\n", "\r\n"]))
    last = data.draw(st.sampled_from(["", end]))
    header = ",".join(_csv_cell(c, data.draw(st.floats(0, 1)) < quote) for c in columns)
    text = end.join([header, *lines]) + last
    cut = data.draw(st.booleans()) and len(lines) > 0  # a file cut short, perhaps in a quote
    if cut:
        text = text[: data.draw(st.integers(len(columns[0]) + 1, len(text)))]
    path = tmp_path_factory.mktemp("plain") / "log.csv"
    path.write_bytes(text.encode(data.draw(st.sampled_from(["utf-8", "utf-8-sig"]))))
    from overdose_trends.io._kit_table import _arrow_columns

    # a file with data rows is read by Arrow, unless its last record holds a line break
    filled = [line for line in lines if line] or [""]
    if rows and not odd and not cut and not any(c in filled[-1] for c in "\r\n"):
        assert _arrow_columns(path.read_bytes(), columns, 1, "utf-8-sig") is not None
    try:
        fast, slow = _read_both(path)
    except DataFormatError as exc:  # a missing column or a bad row: the same error both ways
        from overdose_trends.io import _kit_table

        with pytest.MonkeyPatch.context() as m, pytest.raises(DataFormatError) as again:
            m.setattr(_kit_table, "_arrow_columns", lambda *a, **k: None)
            read_kit_log(path, as_of=AS_OF)
        assert str(again.value) == str(exc)
        return
    _assert_same_log(fast, slow)


@pytest.mark.parametrize(
    "body",
    [
        '2016-03-14,issued,"K1,STARS,E06000033\n',  # an unclosed quote: the general reader
        "2016-03-14,issued,K1,STARS\n",  # short: the general reader names the row
        "2016-03-14,issued,K1,STARS,E06000033,x\n",  # long
        "2016-03-14,issued,K\xe9,STARS,E06000033\n",  # not UTF-8 (written as Latin-1)
    ],
)
def test_files_arrow_does_not_read_plainly_go_to_the_general_reader(body, tmp_path):
    from overdose_trends.io._kit_table import _arrow_columns

    head = "event_date,event_type,kit_id,service,area_code\n"
    data = (head + body).encode("latin-1")
    assert _arrow_columns(data, head.strip().split(","), 1, "utf-8-sig") is None
    plain = (head + "2016-03-14,issued,K1,STARS,E06000033\n").encode()
    assert _arrow_columns(plain, head.strip().split(","), 1, "utf-8-sig") is not None
    assert _arrow_columns(plain, head.strip().split(","), 2, "utf-8-sig") is None
    assert _arrow_columns(plain, head.strip().split(","), 1, "cp1252") is None
    row = "2016-03-14,issued,K1,STARS,E06000033\n"
    quoted_head = ('"event_date",' + head[11:] + row).encode()  # on one line: Arrow
    assert _arrow_columns(quoted_head, head.strip().split(","), 1, "utf-8") is not None
    two_lines = ('"event\ndate",' + head[11:] + row).encode()  # over two lines: pandas
    assert _arrow_columns(two_lines, head.strip().split(","), 1, "utf-8") is None


_COUNT_ROWS = [
    "E06000033,STARS,2016-01-01,2016-01-31,kits_issued,14,exact",
    "E06000033,STARS,2016-02-01,2016-02-29,kits_issued,05,exact",
    "E06000033,STARS,2016-03-01,2016-03-31,kits_issued,12.0,exact",
    "E06000033,STARS,2016-04-01,2016-04-30,kits_issued,1e3,exact",
    "E06000033,STARS,2016-05-01,2016-05-31,kits_issued,,suppressed",
    "E06000033, STARS ,2016-06-01,2016-06-30,kits used,3,exact",
    "E06000033,STARS,2016-07-01,2016-07-31,kits_issued,-2,exact",
    "E06000033,07700 900123,2016-08-01,2016-08-31,kits_issued,4,exact",
    ",,,,,,",
    "",
]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("start", range(0, len(_COUNT_ROWS), 3))
def test_arrow_reader_matches_the_general_reader_for_counts(start, end, tmp_path):
    from overdose_trends.io import _kit_table
    from overdose_trends.io.kit_counts import read_kit_counts

    head = "area_code,service,period_start,period_end,measure,value,status"
    rows = _COUNT_ROWS[start:] + _COUNT_ROWS[:start]  # each row first in turn
    path = tmp_path / "counts.csv"
    path.write_text(end.join([head, *rows]) + end, encoding="utf-8", newline="")
    assert _kit_table._arrow_columns(path.read_bytes(), head.split(","), 1, "utf-8") is not None
    fast = read_kit_counts(path)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(_kit_table, "_arrow_columns", lambda *a, **k: None)
        slow = read_kit_counts(path)
    pd.testing.assert_frame_equal(fast.counts, slow.counts, check_exact=True)
    pd.testing.assert_frame_equal(fast.report.issues, slow.report.issues, check_exact=True)
    for attr in ("n_input", "n_loaded", "notes"):
        assert getattr(fast.report, attr) == getattr(slow.report, attr), attr
    assert fast.report.n_loaded >= 4 and not fast.report.issues.empty  # the test has teeth


@pytest.mark.parametrize(
    ("body", "by_arrow"),
    [
        ('"x,y",1\n', True),
        ('"x""y",1\n"",2\n', True),  # doubled quotes; an empty quoted cell
        ('"two\nlines",1\r\n3,4\n', True),
        ('ab"c,1\n', True),  # a quote inside an unquoted cell is a character (both readers)
        ('"x",1\n\n', True),  # a blank last line
        ('"open,1\n', False),  # never closed
        ('1,"cut sho', False),  # a file cut inside a quoted cell
        ('"a",1\n,"', False),  # an empty cell opened at the very end
        ('"x" ,1\n', False),  # text after a closing quote: left to pandas
        ('1,"two\nlines"\n', False),  # a last record over two lines: not checked
    ],
)
def test_quoted_files_arrow_reads(body, by_arrow):
    from overdose_trends.io._kit_table import _arrow_columns

    for head in ("a,b\n", '\ufeff"a","b"\r\n'):  # plain; quoted after a byte-order mark
        data = (head + body).encode("utf-8")
        assert (_arrow_columns(data, ["a", "b"], 1, "utf-8-sig") is not None) is by_arrow
