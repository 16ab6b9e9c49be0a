"""Tests for overdose_trends.io._identifiers: identifier headers and personal data in cells.

Expected results are written out by hand from the published formats: NHS
numbers are ten digits shown 3-3-4 (943 476 5919 is an example number from
NHS developer documentation, not a patient's); UK phone numbers are 0 or +44
and nine or ten digits (Ofcom reserves 07700 900000-900999 and 01632
960000-960999 for drama, so the numbers below reach no-one); postcodes follow
the six Royal Mail formats A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA and
AA9A 9AA.
"""

from __future__ import annotations

import re
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overdose_trends.io._identifiers import (
    FREE_TEXT_PATTERNS,
    MAX_CELL_CHARS,
    PERSONAL_DATA,
    PERSONAL_DATA_PATTERNS,
    TOO_LONG,
    _kinds,
    _prefilter,
    _re2_pattern,
    could_be_personal,
    is_identifier_header,
    personal_data_kinds,
)
from overdose_trends.io._kit_cells import WITHHELD, shown_values
from overdose_trends.io._kit_table import norm_header, safe_header

EMAIL, NHS, PHONE, POSTCODE = (
    "an e-mail address",
    "an NHS or CHI number",
    "a UK phone number",
    "a UK postcode",
)
DATE, PERSON = "a date (a date of birth?)", "words about a person (a name?)"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("client_name", True),
        ("first_name", True),
        ("surname", True),
        ("dob", True),
        ("date_of_birth", True),
        ("nhs_number", True),
        ("chi", True),
        ("home_address", True),
        ("post_code", True),
        ("e_mail", True),
        ("mobile", True),
        ("notes", True),
        ("free_text", True),
        # a place, organisation or product named, not a person
        ("service_name", False),
        ("site_name", False),
        ("local_authority_name", False),
        ("product_name", False),
        # fields and other columns
        ("kit_id", False),
        ("event_date", False),
        ("area_code", False),
        ("doses", False),
    ],
)
def test_identifier_headers(header, expected):
    assert is_identifier_header(header) is expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("jane.doe@example.org", EMAIL),
        ("contact a_b%c+d@mail.example.co.uk", EMAIL),
        ("943 476 5919", NHS),
        ("9434765919", NHS),
        ("943-476-5919", NHS),
        ("07700 900123", PHONE),
        ("07700900123", PHONE),
        ("+44 7700 900123", PHONE),
        ("+44 (0)7700 900123", PHONE),
        ("01632 960123", PHONE),
        ("M1 1AA", POSTCODE),
        ("M60 1NW", POSTCODE),
        ("CR2 6XH", POSTCODE),
        ("DN55 1PT", POSTCODE),
        ("W1A 1HQ", POSTCODE),
        ("EC1A 1BB", POSTCODE),
        ("lives at ss1 2ab", POSTCODE),
        # not personal data
        ("S0001-000123", None),
        ("E06000033", None),
        ("2016-03-14", None),
        ("14/03/2016", None),
        ("STARS Southend", None),
        ("Prenoxad", None),
        ("123456789", None),  # nine digits: neither an NHS number nor a phone number
        ("SS1", None),  # an outward code alone is a district, not an address
        # bounded by non-digits only: prefixed, suffixed and dotted forms count
        ("K-943 476 5919", NHS),
        ("NHS9434765919", NHS),
        ("kit_9434765919", NHS),
        ("943.476.5919", NHS),
        ("450.557.7104", NHS),
        ("4010232137-01", NHS),
        ("94347659190", None),  # eleven digits run together: not an NHS number
        ("(01702) 215000", PHONE),
        ("(020) 7946 0000", PHONE),
        ("Tel:07700900123", PHONE),
        ("SS1-2AB", POSTCODE),
        ("SS12AB", POSTCODE),
        ("S0001-000123", None),  # a kit id: 00 never starts a UK number
        ("", None),
    ],
)
def test_personal_data_kinds(text, kind):
    assert personal_data_kinds(pd.Series([text]))[0] == kind


def test_personal_data_kinds_keeps_order_and_length():
    texts = pd.Series(["K1", "943 476 5919", "K2", "jane@example.org"], index=[10, 11, 12, 13])
    assert personal_data_kinds(texts).tolist() == [None, NHS, None, EMAIL]


def test_personal_data_prefilter_never_misses():
    # the fast per-shape filter must pass every string the full patterns match
    rng = np.random.default_rng(5)
    alphabet = np.array(list("0123456789 -@._%+()aZé#"), dtype=object)
    samples = ["".join(rng.choice(alphabet, size=rng.integers(1, 20))) for _ in range(20000)]
    samples += ["07700 900123", "+44 (0)7700 900123", "943-476-5919", "ss1 2ab", "a_b@x.io"]
    text = np.array(samples, dtype=object)
    full = np.array([re.search(PERSONAL_DATA, s) is not None for s in samples])
    assert full.sum() > 50  # the sample does exercise the patterns
    assert not (full & ~could_be_personal(text)).any()


#: Every pattern searched in free text, as one regular expression (Python's re).
FREE_ALL = "|".join(f"(?:{p})" for _, p in (*PERSONAL_DATA_PATTERNS, *FREE_TEXT_PATTERNS))
#: Pieces that build texts near the patterns' edges: digits, separators, letters (both cases,
#: non-ASCII ones and digits included), line breaks and words of the free-text patterns.
PIECES = [
    *"0123456789",
    *" -.@_%+()/,\t\n\r#",
    *"aAsSzZkK",
    "é",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit to Python's re, not to RE2
    "\uff19",  # FULLWIDTH DIGIT NINE
    "\u212a",  # KELVIN SIGN: K under Python's case folding
    "07700 900",
    "07700 900123",
    "943",
    "9434765919",
    "12/03/1985",
    "+44",
    "(0",
    "SS1",
    " 2AB",
    "mother of ",
    "Mrs ",
    "Mr. J",
    "issued to ",
    "DOB",
    "nok",
    " March ",
    "12th",
    "1985",
    "x@y.io",
]


def screened(texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(Python's matches, RE2 candidates) per pattern set; asserts none is missed."""
    values = np.array(texts, dtype=object)
    out = []
    for free_text, pattern in ((False, PERSONAL_DATA), (True, FREE_ALL)):
        candidates = _prefilter(values, free_text=free_text)
        if candidates is None:
            pytest.skip("pyarrow is not installed")
        full = np.array([re.search(pattern, t) is not None for t in texts], dtype=bool)
        missed = [t for t, f, c in zip(texts, full, candidates, strict=True) if f and not c]
        assert not missed
        # and the kinds found through the prefilter are those of Python's re alone
        fast = personal_data_kinds(pd.Series(values, dtype=object), free_text=free_text)
        assert (
            fast.tolist() == _kinds(pd.Series(values, dtype=object), free_text=free_text).tolist()
        )
        out.append((full, candidates))
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), max_size=40))
def test_arrow_prefilter_never_misses(texts):
    # the RE2 candidates include every text a Python pattern matches, free text or not
    screened(texts)


def test_arrow_prefilter_on_random_texts():
    rng = np.random.default_rng(7)
    pieces = np.array(PIECES, dtype=object)
    texts = ["".join(rng.choice(pieces, size=rng.integers(1, 10))) for _ in range(20000)]
    for full, candidates in screened(texts):
        assert full.sum() > 1000  # the sample does exercise the patterns
        assert candidates[~full].mean() < 0.5  # and it does filter


def test_re2_pattern_rewrites_one_character_look_arounds():
    assert _re2_pattern(r"(?<![a-z])x(?!\d)") == r"(?:^|[^a-z])x(?:$|\D)"
    assert _re2_pattern(r"(?<!\d)1(?![A-Za-z\-])") == r"(?:^|\D)1(?:$|[^A-Za-z\-])"
    with pytest.raises(AssertionError, match="look-around"):
        _re2_pattern(r"x(?=y)")


def test_long_and_non_ascii_texts_are_always_candidates():
    values = np.array(["x" * (MAX_CELL_CHARS + 1), "caf\u00e9", "abc", ""], dtype=object)
    candidates = _prefilter(values, free_text=False)
    if candidates is None:
        pytest.skip("pyarrow is not installed")
    assert candidates.tolist() == [True, True, False, False]


def test_prefilter_passes_long_and_non_ascii_texts():
    text = np.array(["x" * 49, "café 1", "abc"], dtype=object)
    # longer than max_len or not ASCII: searched directly; shorter than 5: never personal
    assert could_be_personal(text).tolist() == [True, True, False]


@pytest.mark.parametrize(
    "header",
    [
        "Client",
        "ClientName",
        "D.O.B.",
        "NHSNumber",
        "Patient",
        "Contact",
        "Postal code",
        "Mob",
        "Birthdate",
        "Initials",
        "Next of kin",
        "Remarks",
        "Keyworker",
        "Key worker",
        "clientName",
        "patient.name",
        "DateOfBirth",
    ],
)
def test_more_identifier_headers_after_normalisation(header):
    assert is_identifier_header(norm_header(header)), norm_header(header)


@pytest.mark.parametrize(
    ("header", "norm"),
    [
        ("eventDate", "event_date"),
        ("kitID", "kit_id"),
        ("NHSNumber", "nhs_number"),
        ("D.O.B.", "d_o_b"),
        (" Event  Date\ufeff", "event_date"),
        ("area__code", "area_code"),
    ],
)
def test_norm_header_splits_camel_case_and_dots(header, norm):
    assert norm_header(header) == norm


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mother of Jacob Marley", PERSON),
        ("issued to Jacob Marley", PERSON),
        ("Mrs Smith", PERSON),
        ("DOB 1985", PERSON),
        ("12 March 1985", DATE),
        ("12/03/1985", DATE),
        ("1985-03-12", DATE),
        # service names and kit ids are not personal
        ("STARS Southend", None),
        ("Change Grow Live Norfolk", None),
        ("Service 0001 (synthetic)", None),
        ("S0001-000123", None),
        ("K-2016-1", None),
    ],
)
def test_free_text_fields_also_look_for_dates_and_people(text, kind):
    assert personal_data_kinds(pd.Series([text]), free_text=True)[0] == kind
    # in a date or category field a date is the field's business, not personal data
    if kind == DATE:
        assert personal_data_kinds(pd.Series([text]))[0] is None


def test_long_cells_are_fast_and_blanked_unsearched():
    # the e-mail pattern once backtracked quadratically (100,000 characters took 16 s)
    start = time.perf_counter()
    for text in ("a" * 1_000_000, "a@" * 500_000, "0 " * 500_000, "._" * 500_000 + "@x"):
        assert personal_data_kinds(pd.Series([text[:MAX_CELL_CHARS]]), free_text=True)[0] in (
            None,
            EMAIL,
        )
        assert personal_data_kinds(pd.Series([text]))[0] == TOO_LONG
    huge = "x" * 5_000_000
    assert personal_data_kinds(pd.Series([huge, "K1"]), free_text=True).tolist() == [TOO_LONG, None]
    assert time.perf_counter() - start < 2.0


def test_shown_values_only_for_the_fields_own_shape():
    texts = np.array(
        ["confiscated", "Jacob Marley", "issued to Jacob Marley", "mother of Ann", "x" * 50],
        dtype=object,
    )
    shown, ok = shown_values(texts, "category")
    assert ok.tolist() == [True, False, False, False, False]
    assert shown[0] == "'confiscated'" and shown[1] == WITHHELD
    dates = np.array(["31/02/2016", "2016-13-01", "DOB 12/03/1985", "Jacob"], dtype=object)
    assert shown_values(dates, "date")[1].tolist() == [True, True, False, False]
    codes = np.array(["E0600003", "Southend", "SS1 2AB"], dtype=object)
    assert shown_values(codes, "code")[1].tolist() == [True, False, False]
    numbers = np.array(["-2", "1e20", "99", "9434765919", "two"], dtype=object)
    assert shown_values(numbers, "number")[1].tolist() == [True, True, True, False, False]


def test_headers_holding_data_are_not_shown():
    assert safe_header("Event Date", "A") == "Event Date"
    assert safe_header("Referral <source>", "B") == "Referral <source>"
    for cell in ("Jacob Marley", "2016-03-14", "943 476 5919", "12 March 1985"):
        assert safe_header(cell, "C") == "(column C, header not shown)"


def test_kinds_without_pyarrow(monkeypatch):
    # without pyarrow every text goes through Python's re (with the shape filter)
    texts = pd.Series(["K1", "943 476 5919", "mother of Jane", "x@y.io", "SS1 2AB"])
    with_arrow = personal_data_kinds(texts, free_text=True)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.compute", None)
    assert _prefilter(texts.to_numpy(dtype=object), free_text=True) is None
    without = personal_data_kinds(texts, free_text=True)
    assert without.tolist() == with_arrow.tolist() == [None, NHS, PERSON, EMAIL, POSTCODE]
