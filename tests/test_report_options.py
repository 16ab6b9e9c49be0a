"""Options of the report's sections: value parsers and the Options base class."""

from __future__ import annotations

import dataclasses

import pytest

from overdose_trends.report.options import (
    Options,
    as_area_code,
    as_area_codes,
    as_count,
    as_level,
    as_measure,
    as_names,
    as_optional_area_code,
    as_periods,
    as_year,
    measure_option,
    option,
    period_option,
    sex_option,
)
from overdose_trends.schema import as_period


@dataclasses.dataclass(frozen=True)
class _Section(Options):
    period: tuple[int, int] = period_option((2016, 2018), "registration period")
    periods: tuple[tuple[int, int], ...] = option(((2013, 2015),), as_periods, "periods")
    measure: str = measure_option()
    sex: str = sex_option("persons only")


def test_period_option_gives_what_schema_as_period_gives():
    # a pair of whole years is taken without importing schema (numpy); every other value
    # goes to schema.as_period, so results and errors are the package's own
    np = pytest.importorskip("numpy")
    for value in [(2013, 2015), [2013, 2015], (2016, 2016), (np.int64(2013), 2015), "2013-15"]:
        assert _Section(period=value).period == as_period(value)
        assert type(_Section(period=value).period[0]) is int
    for bad in [(2015, 2013), (True, 2015), (2013, 2015.0), (2013,), (2013, 2014, 2015)]:
        with pytest.raises(ValueError) as ours:
            _Section(period=bad)
        with pytest.raises(ValueError) as theirs:
            as_period(bad)
        assert str(ours.value) == f"period: {theirs.value}"


def test_periods_use_the_package_notation():
    # the report has no period parser of its own: schema.as_period reads every notation
    for notation in ("2013-15", "2013-2015", "2013 to 2015", "(2013, 2015)", [2013, 2015]):
        assert _Section(period=notation).period == (2013, 2015)
    assert _Section(period=2016).period == (2016, 2016)
    assert as_periods(["2013-15", (2016, 2018), 2019]) == ((2013, 2015), (2016, 2018), (2019, 2019))
    with pytest.raises(ValueError, match="period: .*ends before it starts"):
        _Section(period="2015-2013")
    with pytest.raises(ValueError, match="periods: expected a non-empty list"):
        _Section(periods="2013-15")


def test_options_are_parsed_on_construction_and_name_the_field():
    section = _Section()
    assert (section.measure, section.sex) == ("poisoning", "persons")
    assert dataclasses.fields(section)[3].metadata["help"] == "persons only"
    with pytest.raises(ValueError, match="^measure: expected one of 'poisoning', 'misuse'"):
        _Section(measure="deaths")
    with pytest.raises(ValueError, match="^sex: expected one of"):
        _Section(sex="all")


def test_value_parsers():
    assert as_area_codes(["E06000033", "E92000001"]) == ("E06000033", "E92000001")
    assert as_optional_area_code("") == "" and as_area_code("K04000001") == "K04000001"
    assert as_names(["cocaine"]) == ("cocaine",) and as_measure("misuse") == "misuse"
    assert (as_count(0), as_year(2019), as_level(0.95)) == (0, 2019, 0.95)
    with pytest.raises(ValueError, match="repeated"):
        as_area_codes(["E06000033", "E06000033"])
    with pytest.raises(ValueError, match="GSS area code"):
        as_area_code("Southend")
    with pytest.raises(ValueError, match="whole number"):
        as_count(True)
    with pytest.raises(ValueError, match="year"):
        as_year(19)
    with pytest.raises(ValueError, match="between 0 and 1"):
        as_level(95)
