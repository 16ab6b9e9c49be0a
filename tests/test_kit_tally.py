"""Tests for the counting behind aggregate_kits (io/_kit_tally.py, io/_kit_tally_codes.py).

Small logs with the expected rows written out by hand (order included), and a
property test against a plain pandas reference: explode each event into its
measures, ``groupby(..., dropna=False).size()``, zero-fill each group's
periods between its first and last event, sort by key, period and measure.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overdose_trends.io import _kit_tally_codes
from overdose_trends.io.kit_counts import aggregate_kits
from overdose_trends.schema import EVENT_MEASURES, EVENT_TYPES, MEASURES

SHORT = dict(zip(["iss", "first", "rep", "used", "unused", "lost", "exp"], MEASURES, strict=True))


def frame(rows: list[tuple], text: str = "str") -> pd.DataFrame:
    """Events from (date, type, service, area, supply) rows."""
    out = pd.DataFrame(
        rows, columns=["event_date", "event_type", "service", "area_code", "supply_type"]
    )
    out["event_date"] = pd.to_datetime(out["event_date"], format="ISO8601")
    for col in ("event_type", "service", "area_code", "supply_type"):
        out[col] = out[col].astype(text)
    return out


def table(counts: pd.DataFrame) -> list[tuple]:
    """Rows as (area, service, period start, measure, value), missing keys as None."""
    keys = (
        counts[["area_code", "service"]]
        .astype(object)
        .where(counts[["area_code", "service"]].notna(), None)
    )
    return [
        (a, s, str(p.date()), m, int(v))
        for a, s, p, m, v in zip(
            keys["area_code"],
            keys["service"],
            counts["period_start"],
            counts["measure"],
            counts["value"],
            strict=True,
        )
    ]


def rows(area, service, start, **n) -> list[tuple]:
    """The 7 measure rows of one group and period, from short measure names (0 default)."""
    return [(area, service, start, m, n.get(k, 0)) for k, m in SHORT.items()]


LOG = [
    ("2017-01-05", "issued", "S2", "E1", "first"),
    ("2017-03-20", "issued", "S2", "E1", "repeat"),
    ("2017-01-31", "returned_used", "S1", "E1", None),
    ("2017-02-10", "issued", None, "E1", "unknown"),  # service missing: its own group
    ("2017-02-11", "lost", "S3", None, None),  # area missing: its own group
]


def test_rows_in_key_period_measure_order_missing_last():
    counts = aggregate_kits(frame(LOG), "month", total=True)
    assert table(counts) == [
        *rows("E1", "S1", "2017-01-01", used=1),
        *rows("E1", "S2", "2017-01-01", iss=1, first=1),
        *rows("E1", "S2", "2017-02-01"),
        *rows("E1", "S2", "2017-03-01", iss=1, rep=1),
        *rows("E1", "all", "2017-01-01", iss=1, first=1, used=1),
        *rows("E1", "all", "2017-02-01", iss=1),
        *rows("E1", "all", "2017-03-01", iss=1, rep=1),
        *rows("E1", None, "2017-02-01", iss=1),
        *rows(None, "S3", "2017-02-01", lost=1),
        *rows(None, "all", "2017-02-01", lost=1),
    ]
    assert list(counts.index) == list(range(len(counts)))
    assert str(counts["value"].dtype) == "Int64" and (counts["status"] == "exact").all()
    assert counts["period_end"].iloc[0] == pd.Timestamp("2017-01-31")


def test_object_and_arrow_text_count_alike():
    arrow = aggregate_kits(frame(LOG), "quarter", total=True)
    plain = aggregate_kits(frame(LOG, text="object"), "quarter", total=True)
    assert table(arrow) == table(plain)
    assert plain["service"].dtype == object and arrow["service"].dtype == "str"


def test_service_called_all_sorts_beside_the_totals():
    log = [
        ("2017-01-05", "issued", "all", "E1", "first"),
        ("2017-02-05", "issued", "B", "E1", "first"),
    ]
    counts = aggregate_kits(frame(log), "month", total=True)
    # "B" < "all" (upper case first); the service "all" (January only) and the totals
    # share a key: per period and measure, the service's row comes before the total's
    jan = rows("E1", "all", "2017-01-01", iss=1, first=1)
    assert table(counts) == [
        *rows("E1", "B", "2017-02-01", iss=1, first=1),
        *[row for pair in zip(jan, jan, strict=True) for row in pair],
        *rows("E1", "all", "2017-02-01", iss=1, first=1),
    ]


def test_days_are_rounded_down_before_1970_and_with_times():
    log = [
        ("1969-12-31 23:00", "issued", "S", "E1", "first"),
        ("1970-01-01 00:00", "lost", "S", "E1", None),
        ("1970-03-31 23:59:59", "expired", "S", "E1", None),
    ]
    for unit in ("ns", "us", "s"):
        events = frame(log)
        events["event_date"] = events["event_date"].astype(f"datetime64[{unit}]")
        assert table(aggregate_kits(events, "quarter")) == [
            *rows("E1", "S", "1969-10-01", iss=1, first=1),
            *rows("E1", "S", "1970-01-01", lost=1, exp=1),
        ]


def test_supply_type_must_match_exactly():
    log = [("2017-01-05", "issued", "S", "E1", "First"), ("2017-01-06", "issued", "S", "E1", "")]
    assert table(aggregate_kits(frame(log), "year")) == rows("E1", "S", "2017-01-01", iss=2)


def test_arrow_text_in_several_chunks():
    events = frame(LOG)
    chunks = pa.chunked_array([["S2", "S2"], ["S1", None, "S3"]], type=pa.large_string())
    events["service"] = pd.Series(pd.array(chunks, dtype=pd.ArrowDtype(pa.large_string())))
    got = aggregate_kits(events, "month", total=True)
    assert table(got) == table(aggregate_kits(frame(LOG), "month", total=True))


def test_start_and_end_widen_every_group():
    counts = aggregate_kits(frame(LOG[:2]), "quarter", start="2016-11-30", end="2017-04-01")
    assert table(counts) == [
        *rows("E1", "S2", "2016-10-01"),
        *rows("E1", "S2", "2017-01-01", iss=2, first=1, rep=1),
        *rows("E1", "S2", "2017-04-01"),
    ]
    inside = aggregate_kits(frame(LOG[:2]), "quarter", start="2017-02-01", end="2016-01-01")
    assert table(inside) == rows("E1", "S2", "2017-01-01", iss=2, first=1, rep=1)


def test_groups_by_other_columns_and_none():
    events = frame(LOG)
    by_supply = aggregate_kits(events, "year", by=("supply_type",))
    issued = by_supply[by_supply["measure"] == "kits_issued"]
    assert issued["supply_type"].tolist()[:3] == ["first", "repeat", "unknown"]
    assert issued["supply_type"].isna().tolist() == [False, False, False, True]
    assert issued["value"].tolist() == [1, 1, 1, 0]
    overall = aggregate_kits(events, "financial_year", by=())
    assert table(overall) == rows("all", "all", "2016-04-01", iss=3, first=1, rep=1, used=1, lost=1)


def test_hashing_in_threads_gives_the_same_table(monkeypatch):
    events = frame(LOG)
    alone = aggregate_kits(events, "month", total=True)
    monkeypatch.setattr(_kit_tally_codes, "PARALLEL_MIN_EVENTS", 0)
    pd.testing.assert_frame_equal(aggregate_kits(events, "month", total=True), alone)
    events.loc[2, "event_type"] = "stolen"  # an error in a thread reaches the caller
    with pytest.raises(ValueError, match="position 2 has event_type 'stolen'"):
        aggregate_kits(events)


def test_errors_name_the_position():
    events = frame(LOG)
    events.loc[3, "event_type"] = "stolen"
    with pytest.raises(ValueError, match="position 3 has event_type 'stolen'"):
        aggregate_kits(events)
    events = frame(LOG)
    events.loc[4, "event_date"] = pd.NaT
    with pytest.raises(ValueError, match="position 4 has no event_date"):
        aggregate_kits(events)


def test_empty_events():
    counts = aggregate_kits(frame(LOG).iloc[:0], "month", total=True)
    assert counts.empty and str(counts["value"].dtype) == "Int64"
    assert list(counts.columns[:2]) == ["area_code", "service"]


# --- property: the same counts as a plain pandas groupby ------------------------------------

PERIOD_ALIAS = {"month": "M", "quarter": "Q", "year": "Y", "financial_year": "Y-MAR"}


def reference(events: pd.DataFrame, freq: str, by: tuple[str, ...], total: bool) -> list[tuple]:
    """Counts per group, period and measure from a groupby, zero-filled, sorted."""
    ev = events.assign(_p=events["event_date"].dt.to_period(PERIOD_ALIAS[freq]))
    measures = [
        [EVENT_MEASURES[t]]
        + (["kits_first_supply"] if t == "issued" and s == "first" else [])
        + (["kits_repeat_supply"] if t == "issued" and s == "repeat" else [])
        for t, s in zip(ev["event_type"], ev["supply_type"], strict=True)
    ]
    ev = ev.assign(_m=measures).explode("_m")
    out = reference_rows(ev, by, by)
    if total:
        out += reference_rows(ev, tuple(c for c in by if c != "service"), by)

    # sort by key columns (missing last), then period, then measure order
    def order(row):
        keys = row[:-3]
        return (*[(k is None, k or "") for k in keys], row[-3], MEASURES.index(row[-2]))

    return sorted(out, key=order)


def reference_rows(ev: pd.DataFrame, keys: tuple[str, ...], by: tuple[str, ...]) -> list[tuple]:
    """Rows of the groups of ``keys``: every period from the first to the last, every measure."""
    out = []
    for key, grp in ev.groupby(list(keys), dropna=False) if keys else [((), ev)]:
        key = key if isinstance(key, tuple) else (key,)
        named = dict(zip(keys, [None if pd.isna(k) else k for k in key], strict=True))
        shown = [named.get(c, "all") for c in ("area_code", "service")]
        shown += [named[c] for c in by if c not in ("area_code", "service")]
        counts = grp.groupby(["_p", "_m"]).size()
        for p in pd.period_range(grp["_p"].min(), grp["_p"].max()):
            for m in MEASURES:
                out.append((*shown, str(p.start_time.date()), m, int(counts.get((p, m), 0))))
    return out


def as_rows(counts: pd.DataFrame, by: tuple[str, ...]) -> list[tuple]:
    extra = [c for c in by if c not in ("area_code", "service")]
    cols = ["area_code", "service", *extra]
    keys = counts[cols].astype(object).where(counts[cols].notna(), None)
    return [
        (*k, str(p.date()), m, int(v))
        for k, p, m, v in zip(
            keys.itertuples(index=False, name=None),
            counts["period_start"],
            counts["measure"],
            counts["value"],
            strict=True,
        )
    ]


@st.composite
def event_logs(draw):
    n = draw(st.integers(1, 40))
    texts = st.sampled_from(["A", "B", "b", "Z1", None])
    day = st.integers(0, 1500).map(lambda d: pd.Timestamp("2015-02-27") + pd.Timedelta(days=d))
    return pd.DataFrame(
        {
            "event_date": pd.to_datetime([draw(day) for _ in range(n)]),
            "event_type": pd.Series(
                [draw(st.sampled_from(EVENT_TYPES)) for _ in range(n)], dtype="str"
            ),
            "service": pd.Series([draw(texts) for _ in range(n)], dtype="str"),
            "area_code": pd.Series([draw(texts) for _ in range(n)], dtype="str"),
            "supply_type": pd.Series(
                [draw(st.sampled_from(["first", "repeat", "unknown", None])) for _ in range(n)],
                dtype="str",
            ),
            "product": pd.Series(
                [draw(st.sampled_from(["nasal", "injectable"])) for _ in range(n)], dtype="str"
            ),
        }
    )


@settings(max_examples=50, deadline=None)
@given(
    events=event_logs(),
    freq=st.sampled_from(list(PERIOD_ALIAS)),
    by=st.sampled_from(
        [
            ("area_code", "service"),
            ("service",),
            ("area_code",),
            (),
            ("service", "supply_type"),
            ("product", "area_code", "service"),
        ]
    ),
    total=st.booleans(),
)
def test_counts_match_a_plain_groupby(events, freq, by, total):
    total = total and "service" in by
    got = aggregate_kits(events, freq, by=by, total=total)
    assert as_rows(got, by) == reference(events, freq, by, total)
    assert list(got.index) == list(range(len(got)))


def test_many_distinct_keys_are_renumbered_by_sorting():
    # 30 distinct texts in each of 5 grouping columns: 30**5 combinations, too many for a
    # table of all of them, so the groups that occur are found by sorting instead
    n = 30
    texts = [f"T{i:02d}" for i in range(n)]
    by = ("area_code", "service", "recipient_type", "supply_type", "product")
    events = pd.DataFrame(
        {
            "event_date": pd.date_range("2017-01-01", periods=n, freq="17D"),
            "event_type": pd.Series(["issued", "lost"] * (n // 2), dtype="str"),
            **{c: pd.Series(texts[i:] + texts[:i], dtype="str") for i, c in enumerate(by)},
        }
    )
    got = aggregate_kits(events, "quarter", by=by, total=True)
    assert as_rows(got, by) == reference(events, "quarter", by, True)
