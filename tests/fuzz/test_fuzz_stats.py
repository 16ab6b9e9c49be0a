"""Fuzz the statistics: impossible, missing and extreme inputs to every public estimator.

For each function a small valid control input is built; one value of one row is
replaced by a negative, NaN, infinite, huge or text value, limits are swapped,
counts exceed populations. The call must raise a clean ``ValueError`` whose
message names the column or the group, or (for huge but possible values) return
finite numbers; it must never crash with another exception type or hang.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest

from overdose_trends.constants import ESP2013_BANDS

TIMEOUT = 20


@contextmanager
def deadline(seconds: int = TIMEOUT) -> Iterator[None]:
    """Fail the case (rather than hang the suite) after ``seconds``."""

    if not hasattr(signal, "SIGALRM"):  # Windows: no alarm, run without a deadline
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _periods() -> pd.DataFrame:
    rows = []
    for code, name, base in (("E06000033", "Southend-on-Sea", 40), ("E07000148", "Norwich", 30)):
        for start, k in ((2013, 0), (2016, 1)):
            n = base + 10 * k
            rate = round(n / 5.4, 1)
            rows.append([code, name, start, start + 2, n, rate, rate * 0.7, rate * 1.4])
    cols = ["area_code", "area_name", "period_start", "period_end", "deaths", "rate", "lcl", "ucl"]
    return pd.DataFrame(rows, columns=cols)


def _bands() -> pd.DataFrame:
    deaths = [12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4]
    pop = [
        636,
        558,
        609,
        543,
        384,
        594,
        669,
        843,
        660,
        576,
        606,
        522,
        426,
        273,
        300,
        288,
        153,
        123,
        207,
    ]
    return pd.DataFrame({"age_band": ESP2013_BANDS, "deaths": deaths, "population": pop})


def _crude() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["E06000033", "E07000148"],
            "deaths": [47, 30],
            "population": [533_837, 140_000],
        }
    )


def _trend() -> pd.DataFrame:
    years = list(range(2008, 2020))
    return pd.DataFrame(
        {
            "year": years,
            "deaths": [20 + 2 * i + (i % 3) for i in range(len(years))],
            "population": [180_000 + 500 * i for i in range(len(years))],
        }
    )


def _isr() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age_band": ["15-24", "25-44", "45-64"],
            "deaths": [3, 14, 9],
            "population": [2000, 5000, 3000],
            "ref_deaths": [120, 900, 600],
            "ref_population": [1.2e6, 3.0e6, 2.0e6],
        }
    )


def _sii() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quantile": [1, 2, 3, 4, 5],
            "population": [1.0] * 5,
            "rate": [252.9, 135.0, 84.8, 59.1, 36.8],
            "lcl": [239.2, 125.3, 77.1, 52.6, 31.4],
            "ucl": [266.7, 144.8, 92.5, 65.7, 42.2],
        }
    )


def _funnel() -> pd.DataFrame:
    return pd.DataFrame({"deaths": [10, 40, 25], "population": [50_000, 120_000, 90_000]})


def _call(name: str) -> Callable[[pd.DataFrame], Any]:
    from overdose_trends.stats.averted import deaths_averted
    from overdose_trends.stats.compare import compare_periods
    from overdose_trends.stats.funnel import funnel_limits
    from overdose_trends.stats.inequality import sii
    from overdose_trends.stats.rates import crude_rate, dsr
    from overdose_trends.stats.standardise import isr
    from overdose_trends.stats.trends.loglinear import fit_trend

    calls: dict[str, Callable[[pd.DataFrame], Any]] = {
        "compare_periods": lambda d: compare_periods(
            d, before="2013-15", after="2016-18", kind="rates"
        ),
        "dsr": lambda d: dsr(d),
        "crude_rate": lambda d: crude_rate(d, by="area_code"),
        "funnel_limits": lambda d: funnel_limits(benchmark=6.7, population=d["population"]),
        "fit_trend": lambda d: fit_trend(d, population="population").summary(),
        "deaths_averted": lambda d: deaths_averted(
            d["used"].iloc[0], d["issued"].iloc[0], seed=1, n_draws=500
        ),
        "isr": lambda d: isr(d),
        "sii": lambda d: sii(d, repetitions=1000, seed=1),
    }
    return calls[name]


#: function -> (control builder, columns to spoil, words one of which the message must hold)
SUBJECTS: dict[str, tuple[Callable[[], pd.DataFrame], list[str]]] = {
    "compare_periods": (_periods, ["deaths", "rate", "lcl", "ucl"]),
    "dsr": (_bands, ["deaths", "population"]),
    "crude_rate": (_crude, ["deaths", "population"]),
    "funnel_limits": (_funnel, ["population"]),
    "fit_trend": (_trend, ["deaths", "population"]),
    "deaths_averted": (
        lambda: pd.DataFrame({"used": [2600], "issued": [4000]}),
        ["used", "issued"],
    ),
    "isr": (_isr, ["deaths", "population", "ref_deaths", "ref_population"]),
    "sii": (_sii, ["rate", "population", "lcl", "ucl"]),
}
SPOILERS: dict[str, Any] = {
    "negative": -5,
    "nan": float("nan"),
    "inf": float("inf"),
    "text": "n/a",
}


def _params() -> list[Any]:
    out = []
    for name, (_, cols) in SUBJECTS.items():
        for col in cols:
            for label in SPOILERS:
                out.append(pytest.param(name, col, label, id=f"{name}-{col}-{label}"))
            out.append(pytest.param(name, col, "huge", id=f"{name}-{col}-huge"))
    return out


def _finite(result: Any) -> bool:
    frame = result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)
    nums = frame.select_dtypes("number").to_numpy(dtype=float)
    return bool(np.isfinite(nums[~np.isnan(nums)]).all())


def _clean(exc: BaseException, words: list[str]) -> list[str]:
    out = []
    if not isinstance(exc, ValueError):
        out.append(f"escaped as {type(exc).__name__}: {str(exc)[:300]}")
    elif not any(w.lower() in str(exc).lower() for w in words):
        out.append(f"message names neither the column nor the group ({words}): {str(exc)[:300]}")
    return out


def _attempt(name: str, data: pd.DataFrame, words: list[str]) -> tuple[bool, Any]:
    """Call ``name`` on ``data``: (True, None) after a clean error, else (False, result).

    A hang, a memory error or an error that is not a ``ValueError`` naming one of
    ``words`` fails the test.
    """
    with deadline():
        try:
            return False, _call(name)(data)
        except (TimeoutError, MemoryError, RecursionError) as exc:
            pytest.fail(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the type is what is checked
            found = _clean(exc, words)
            assert not found, found
            return True, None


@pytest.mark.parametrize(("name", "col", "label"), _params())
def test_spoiled_value(name: str, col: str, label: str) -> None:
    build, _ = SUBJECTS[name]
    data = build()
    row = len(data) - 1
    groups = [str(v) for v in data.iloc[row].tolist() if isinstance(v, str)]
    words = [col, *groups, "row", "group"]
    if label == "huge":
        data[col] = data[col].astype(float)
        data.loc[row, col] = 1e20
    elif label == "text":
        data[col] = data[col].astype(object)
        data.loc[row, col] = "n/a"
    else:
        data[col] = data[col].astype(float)
        data.loc[row, col] = SPOILERS[label]
    raised, result = _attempt(name, data, words)
    if raised:
        return
    # NaN may stand for a missing count: it may propagate as "not available"
    assert label in ("huge", "nan"), f"{label} value in {col!r} accepted without error"
    # a huge but possible value: numbers must stay finite, or the call must refuse it
    if col not in ("deaths", "used", "ref_deaths"):
        assert _finite(result), "non-finite numbers in the result"


IMPOSSIBLE: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "compare-swapped-limits": (
        "compare_periods",
        lambda d: d.assign(lcl=d["ucl"], ucl=d["lcl"]),
    ),
    "compare-lcl-above-rate": ("compare_periods", lambda d: d.assign(lcl=d["rate"] + 1)),
    "compare-reversed-period": (
        "compare_periods",
        lambda d: d.assign(period_start=d["period_end"], period_end=d["period_start"]),
    ),
    "crude-deaths-above-population": ("crude_rate", lambda d: d.assign(deaths=d["population"] + 1)),
    "fit-trend-deaths-above-population": (
        "fit_trend",
        lambda d: d.assign(deaths=d["population"] * 2),
    ),
    "averted-used-above-issued": ("deaths_averted", lambda d: d.assign(used=d["issued"] + 1)),
    "sii-swapped-limits": ("sii", lambda d: d.assign(lcl=d["ucl"], ucl=d["lcl"])),
    "isr-deaths-above-population": ("isr", lambda d: d.assign(deaths=d["population"] + 1)),
    "dsr-deaths-above-population": ("dsr", lambda d: d.assign(deaths=d["population"] + 1)),
    "dsr-missing-band": ("dsr", lambda d: d.iloc[1:]),
    "dsr-duplicated-band": ("dsr", lambda d: pd.concat([d, d.iloc[:1]])),
    "fit-trend-duplicated-year": ("fit_trend", lambda d: pd.concat([d, d.iloc[:1]])),
    "sii-one-quantile": ("sii", lambda d: d.iloc[:1]),
    "empty-compare": ("compare_periods", lambda d: d.iloc[:0]),
}


@pytest.mark.parametrize("case", sorted(IMPOSSIBLE))
def test_impossible_input(case: str) -> None:
    name, spoil = IMPOSSIBLE[case]
    data = spoil(SUBJECTS[name][0]())
    words = [*SUBJECTS[name][1], "row", "group", "period", "band", "quantile", "year"]
    words += sorted({str(v) for v in data.select_dtypes("object").to_numpy().ravel()})
    raised, _ = _attempt(name, data, words)
    assert raised, f"{case}: accepted without error"


def test_controls_run() -> None:
    for name, (build, _) in SUBJECTS.items():
        with deadline():
            result = _call(name)(build())
        frame = result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)
        assert len(frame), name
