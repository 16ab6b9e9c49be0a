"""Options of the report's sections: the base class, field declarations and value parsers.

Each section of ``report.toml`` (``[summary]`` and one per figure) is a frozen
dataclass deriving from :class:`Options`, whose fields are declared with
:func:`option` (default, parser, help text)::

    @dataclass(frozen=True)
    class FunnelOptions(Options):
        period: tuple[int, int] = period_option((2016, 2018), "registration period")
        measure: str = measure_option()

The parser checks and normalises a value (e.g. ``"2013 to 2015"`` ->
``(2013, 2015)``) both when a TOML file is loaded and when the class is built in
Python; a bad value raises ``ValueError`` naming the field. Every number has
bounds (:func:`count_between`) and every text a length cap
(:data:`MAX_TEXT_LENGTH`), so a hostile or mistyped configuration (``n_draws =
1e12``, a megabyte-long label) is refused with a message instead of exhausting
memory or time. Periods are parsed
by the package's one notation, :func:`overdose_trends.schema.as_period`
(``"2013-15"``, ``"2013-2015"``, ``"2013 to 2015"``, ``[2013, 2015]``, ``2016``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import field
from typing import Any

from overdose_trends.constants import AREA_LEVELS, GSS_CODE
from overdose_trends.schema import as_period

__all__ = [
    "Options",
    "as_area_code",
    "as_area_codes",
    "MAX_ITEMS",
    "MAX_TEXT_LENGTH",
    "as_area_level",
    "as_comparators",
    "as_count",
    "as_level",
    "as_measure",
    "as_names",
    "as_optional_area_code",
    "as_periods",
    "as_sex",
    "as_text",
    "as_year",
    "count_between",
    "measure_option",
    "one_of",
    "option",
    "period_option",
    "sex_option",
]

#: Longest text option accepted (labels, titles, source lines, names), in characters.
MAX_TEXT_LENGTH = 300
#: Most items accepted in a list option (areas, periods, substances).
MAX_ITEMS = 500

_MEASURES = ("poisoning", "misuse")
_SEXES = ("persons", "males", "females")


def option(default: Any, parse: Callable[[Any], Any], help: str = "") -> Any:
    """A field of an :class:`Options` dataclass: default, parser and help text.

    ``parse(value)`` returns the normalised value or raises ``ValueError`` /
    ``TypeError`` with a message (the key is added by the caller). The help
    text is the comment above the key in ``report.toml``.
    """
    return field(default=default, metadata={"parse": parse, "help": help})


class Options:
    """Base of the section options dataclasses: every field is parsed on construction."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            parse = f.metadata.get("parse")
            if parse is None:
                continue
            try:
                value = parse(getattr(self, f.name))
            except (TypeError, ValueError) as err:
                raise ValueError(f"{f.name}: {err}") from None
            object.__setattr__(self, f.name, value)


def _shown(value: Any) -> str:
    """``repr(value)`` cut to 60 characters (a huge value is never echoed whole)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_text(value: Any) -> str:
    """A string of at most :data:`MAX_TEXT_LENGTH` characters, without control characters."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_shown(value)}")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(
            f"text of {len(value):,} characters is too long; at most {MAX_TEXT_LENGTH}"
        )
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ValueError("text must be one line without control characters")
    return value


def _items(value: Any, what: str) -> list[Any]:
    """A non-empty list or tuple of at most :data:`MAX_ITEMS` items."""
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise TypeError(f"expected a non-empty list of {what}, got {_shown(value)}")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"{len(value):,} {what} is too many; at most {MAX_ITEMS}")
    return list(value)


def as_area_code(value: Any) -> str:
    """A GSS code such as ``"E06000033"``."""
    if not isinstance(value, str) or len(value) != 9 or not GSS_CODE.match(value):
        raise ValueError(f"expected a GSS area code such as 'E06000033', got {_shown(value)}")
    return value


def as_area_codes(value: Any) -> tuple[str, ...]:
    """A non-empty list of distinct GSS codes."""
    codes = tuple(as_area_code(v) for v in _items(value, "GSS area codes"))
    if len(set(codes)) != len(codes):
        raise ValueError(f"area codes repeated in {list(codes)}")
    return codes


def as_optional_area_code(value: Any) -> str:
    """A GSS code, or ``""`` for none."""
    return value if value == "" else as_area_code(value)


def as_periods(value: Any) -> tuple[tuple[int, int], ...]:
    """A non-empty list of periods, each as :func:`overdose_trends.schema.as_period` reads it."""
    return tuple(as_period(v) for v in _items(value, "periods"))


def period_option(default: tuple[int, int], help: str) -> Any:
    """A period field of an options class, parsed by :func:`overdose_trends.schema.as_period`.

    ``"2013-15"``, ``"2013-2015"``, ``"2013 to 2015"``, ``[2013, 2015]`` or ``2016``
    become ``(first, last)``; a period that ends before it starts is refused.
    """
    return option(default, as_period, help)


def one_of(*allowed: str) -> Callable[[Any], str]:
    """A parser accepting one of ``allowed``."""

    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError(
                f"expected one of {', '.join(map(repr, allowed))}, got {_shown(value)}"
            )
        return value

    parse.__doc__ = f"One of {', '.join(allowed)}."
    return parse


def as_names(value: Any) -> tuple[str, ...]:
    """A non-empty list of strings."""
    return tuple(as_text(v) for v in _items(value, "names"))


def as_count(value: Any) -> int:
    """A whole number >= 0 (at most 10**12; see :func:`count_between` for tighter bounds)."""
    return _whole(value, 0, 10**12)


def _whole(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"expected a whole number from {low:,} to {high:,}, got {_shown(value)}")
    return int(value)


def count_between(low: int, high: int) -> Callable[[Any], int]:
    """A parser accepting whole numbers from ``low`` to ``high`` (inclusive)."""

    def parse(value: Any) -> int:
        return _whole(value, low, high)

    parse.__doc__ = f"A whole number from {low:,} to {high:,}."
    return parse


def as_year(value: Any) -> int:
    """A calendar year (1900-2100)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise ValueError(f"expected a year from 1900 to 2100 such as 2019, got {_shown(value)}")
    return int(value)


def as_level(value: Any) -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(
            f"expected a confidence level between 0 and 1 such as 0.95, got {_shown(value)}"
        )
    return float(value)


as_area_level = one_of(*sorted(set(AREA_LEVELS.values())))
#: A comparator set of :func:`overdose_trends.io.geography.comparators`, or ``""`` for none.
as_comparators = one_of("", "lower-tier", "upper-tier", "region", "neighbours")
as_measure = one_of(*_MEASURES)
as_sex = one_of(*_SEXES)


def measure_option() -> Any:
    """The ``measure`` field of an options class (default ``"poisoning"``)."""
    return option("poisoning", as_measure, "poisoning or misuse")


def sex_option(help: str = "persons, males or females") -> Any:
    """The ``sex`` field of an options class (default ``"persons"``)."""
    return option("persons", as_sex, help)
