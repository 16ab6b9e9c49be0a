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

import numpy as np
import pandas as pd
import pytest

from overdose_trends.io._identifiers import (
    PERSONAL_DATA,
    could_be_personal,
    is_identifier_header,
    personal_data_kinds,
)

EMAIL, NHS, PHONE, POSTCODE = (
    "an e-mail address",
    "an NHS or CHI number",
    "a UK phone number",
    "a UK postcode",
)


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
        ("K-943 476 5919", None),  # joined to a kit prefix by '-': part of an id
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


def test_prefilter_passes_long_and_non_ascii_texts():
    text = np.array(["x" * 49, "café 1", "abc"], dtype=object)
    # longer than max_len or not ASCII: searched directly; shorter than 5: never personal
    assert could_be_personal(text).tolist() == [True, True, False]
