"""Personal identifiers in kit data: identifier columns and personal data in cells.

Kit logs are exported from case-management systems and often carry columns
that identify people. The kit loaders (:mod:`overdose_trends.io.kit_log`,
:mod:`overdose_trends.io.kit_counts`) use this
module to keep them out of every output:

* :func:`is_identifier_header` says whether a column header names a personal
  identifier (name, date of birth, NHS/CHI number, address, postcode, phone,
  e-mail, notes, comments, free text); such columns are dropped unread. The
  words and phrases are :data:`~overdose_trends.schema.IDENTIFIER_WORDS`
  and :data:`~overdose_trends.schema.IDENTIFIER_PHRASES`; ``*_name``
  headers that name a place or an organisation
  (:data:`~overdose_trends.schema.NON_PERSONAL_NAMES`) are not identifiers.
* :func:`personal_data_kinds` finds cell texts that contain something that
  looks like an e-mail address, an NHS or CHI number (ten digits, optionally
  grouped 3-3-4), a UK phone number (``0`` or ``+44`` followed by 9 or 10 digits) or
  a full UK postcode, and says which; the loaders blank those cells.

Method
------
The patterns are regular expressions (:data:`PERSONAL_DATA_PATTERNS`). Running
them on every distinct cell text of a million-row log would dominate loading
time, so :func:`could_be_personal` first reduces each text to its *shape*
(each character replaced by its class: digit, letter, space, ``-``, ``@``,
``.``, ``+``, ``(``, ``)``, other) and runs the patterns once per distinct
shape. A shape match is necessary for a real match (the shape patterns are
the real ones with literal digits widened to any digit), so the filter never
misses; only texts that pass it are searched with the real patterns.

The patterns favour recall: a ten-digit kit number is reported as a possible
NHS number (and blanked) rather than risk keeping one. No checksum is applied
(the NHS number modulus-11 check would let a mistyped number through).

References
----------
NHS Digital, *NHS Number* (format: ten digits, usually shown 3-3-4). Public
Health Scotland, *CHI Number* (ten digits, the first six the date of birth).
Ofcom, *National Telephone Numbering Plan* (UK numbers: ``0`` and 9 or 10
digits; ``+44`` internationally). Royal Mail, *Postcode Address File
Programmers' Guide* (postcode formats ``A9 9AA`` ... ``AA9A 9AA``).
Information Commissioner's Office, *Guide to the UK GDPR: What is personal
data?* (identifiers to remove before sharing).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from overdose_trends.schema import IDENTIFIER_PHRASES, IDENTIFIER_WORDS, NON_PERSONAL_NAMES

__all__ = [
    "PERSONAL_DATA",
    "PERSONAL_DATA_PATTERNS",
    "could_be_personal",
    "is_identifier_header",
    "personal_data_kinds",
]

#: (description, regular expression) of each kind of personal data searched for in cells.
#: The description completes "held what looks like ...".
PERSONAL_DATA_PATTERNS = (
    ("an e-mail address", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    ("an NHS or CHI number", r"(?<![\w\-])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?![\w\-])"),
    (
        "a UK phone number",
        r"(?<![\w\-+])(?:\+44[ \-]?(?:\(0\)[ \-]?)?|0)\d(?:[ \-]?\d){8,9}(?![\w\-])",
    ),
    ("a UK postcode", r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]? *\d[A-Za-z]{2}(?![A-Za-z0-9])"),
)
#: One regular expression matching any of :data:`PERSONAL_DATA_PATTERNS`.
PERSONAL_DATA = "|".join(f"(?:{p})" for _, p in PERSONAL_DATA_PATTERNS)

#: Character classes of :func:`_shape_codes` and the character standing for each class in a
#: shape string. ``_`` and ``%`` share ``.``'s class: all three may appear in an e-mail address
#: and none is a letter or digit, which is all the patterns distinguish.
_SHAPE_CHARS = ("", "0", "a", " ", "-", "@", ".", "+", "(", ")", "#")
#: The personal-data pattern on shapes: digits are all ``0`` there, so literal digits become
#: ``\d`` (a shape match is necessary, not sufficient, for a match of the real text).
_PERSONAL_SHAPE = PERSONAL_DATA.replace(r"\+44", r"\+\d\d").replace(r"\(0\)", r"\(\d\)")


def is_identifier_header(norm: str) -> bool:
    """Does a normalised column header name a personal identifier?

    Parameters
    ----------
    norm : str
        Header lower-cased with runs of spaces, hyphens and dots turned into
        ``_`` (``"Date of Birth"`` -> ``"date_of_birth"``).

    Returns
    -------
    bool
        True when one of the ``_``-separated words is in
        :data:`~overdose_trends.schema.IDENTIFIER_WORDS` (``name``/``names``
        only when the words before it are not a place or organisation of
        :data:`~overdose_trends.schema.NON_PERSONAL_NAMES`), or the header
        contains one of :data:`~overdose_trends.schema.IDENTIFIER_PHRASES`.

    References
    ----------
    Information Commissioner's Office, *Guide to the UK GDPR: What is
    personal data?* (names, identification numbers, addresses, contact
    details and free-text notes as identifiers). NHS Digital, *NHS Number*;
    Public Health Scotland, *CHI Number* (the health-service identifiers
    named in the word list).
    """
    if any(p in norm for p in IDENTIFIER_PHRASES):
        return True
    words = norm.split("_")
    for i, w in enumerate(words):
        if w in IDENTIFIER_WORDS:
            if w in ("name", "names") and "_".join(words[:i]) in NON_PERSONAL_NAMES:
                continue
            return True
    return False


def personal_data_kinds(text: pd.Series) -> np.ndarray:
    """Which kind of personal data, if any, each text looks like it holds.

    Parameters
    ----------
    text : pandas.Series of str
        Cell texts (typically the distinct texts of one column).

    Returns
    -------
    numpy.ndarray of object
        Per text, the description of the first pattern of
        :data:`PERSONAL_DATA_PATTERNS` it matches (``"an e-mail address"``,
        ``"an NHS or CHI number"``, ``"a UK phone number"``, ``"a UK
        postcode"``), or ``None``. Only texts that pass :func:`could_be_personal`
        are searched.

    References
    ----------
    The patterns follow the published formats: NHS Digital, *NHS Number*
    (ten digits, shown 3-3-4) and Public Health Scotland, *CHI Number* (ten
    digits); Royal Mail, *Postcode Address File Programmers' Guide* (outward
    code ``A9``, ``A99``, ``AA9``, ``AA99``, ``A9A`` or ``AA9A``, inward code
    ``9AA``); Ofcom, *National Telephone Numbering Plan* (``0`` then 9 or 10
    digits; ``+44`` replaces the leading ``0``).
    """
    text = pd.Series(text, dtype=object).reset_index(drop=True)
    kinds = np.full(len(text), None, dtype=object)
    at = np.flatnonzero(could_be_personal(text.to_numpy(dtype=object)))
    if len(at):
        at = at[text.iloc[at].str.contains(PERSONAL_DATA, regex=True).to_numpy(dtype=bool)]
    if not len(at):
        return kinds
    # only the texts that match one of the patterns are searched for each pattern
    sub = text.iloc[at]
    for kind, pattern in reversed(PERSONAL_DATA_PATTERNS):
        kinds[at[sub.str.contains(pattern, regex=True).to_numpy(dtype=bool)]] = kind
    return kinds


def _shape_codes(chars: np.ndarray) -> np.ndarray:
    """4-bit class of each code point (rows of ASCII strings, 0-padded): see _SHAPE_CHARS."""
    code = np.full(chars.shape, 10, dtype=np.uint64)
    code[chars == 0] = 0
    code[(chars >= 48) & (chars <= 57)] = 1
    code[((chars >= 65) & (chars <= 90)) | ((chars >= 97) & (chars <= 122))] = 2
    for ch, c in (
        (" ", 3),
        ("-", 4),
        ("@", 5),
        (".", 6),
        ("_", 6),
        ("%", 6),
        ("+", 7),
        ("(", 8),
        (")", 9),
    ):
        code[chars == ord(ch)] = c
    return code


def could_be_personal(text: np.ndarray, chunk: int = 250_000, max_len: int = 48) -> np.ndarray:
    """Per string: could it contain personal data (a necessary condition, vectorised)?

    Parameters
    ----------
    text : numpy.ndarray of str
        Strings to screen.
    chunk : int, default 250000
        Strings handled at once (bounds the memory of the code-point array).
    max_len : int, default 48
        Longer strings skip the shape filter and are reported as possible.

    Returns
    -------
    numpy.ndarray of bool
        False only where no pattern of :data:`PERSONAL_DATA_PATTERNS` can
        match: strings shorter than 5 characters, and ASCII strings whose shape
        (see the module notes) does not match. Strings longer than ``max_len``
        or with non-ASCII characters are True (to be searched directly).

    References
    ----------
    The shapes are those of the formats behind :data:`PERSONAL_DATA_PATTERNS`:
    NHS Digital, *NHS Number*; Public Health Scotland, *CHI Number*; Royal
    Mail, *Postcode Address File Programmers' Guide*; Ofcom, *National
    Telephone Numbering Plan*.
    """
    n = len(text)
    out = np.zeros(n, dtype=bool)
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=n)
    small = np.flatnonzero((lengths >= 5) & (lengths <= max_len))
    out[lengths > max_len] = True
    shape_re = re.compile(_PERSONAL_SHAPE)
    for begin in range(0, len(small), chunk):
        idx = small[begin : begin + chunk]
        chars = text[idx].astype("U").view(np.uint32).reshape(len(idx), -1)
        ascii_ = (chars < 128).all(axis=1)
        out[idx[~ascii_]] = True
        idx, chars = idx[ascii_], chars[ascii_]
        code = _shape_codes(chars)
        words = [
            (
                code[:, w : w + 16]
                << (4 * np.arange(code[:, w : w + 16].shape[1], dtype=np.uint64))
            ).sum(axis=1)
            for w in range(0, code.shape[1], 16)
        ]
        key = np.zeros(len(idx), dtype=np.int64)
        for word in words:
            c, u = pd.factorize(word)
            key = key * (len(u) + 1) + c
        shape_of = pd.factorize(key)[0]
        reps = np.unique(shape_of, return_index=True)[1]  # first row of each shape
        hit = np.array(
            [
                shape_re.search("".join(_SHAPE_CHARS[int(c)] for c in code[r])) is not None
                for r in reps
            ],
            dtype=bool,
        )
        out[idx] = hit[shape_of]
    return out
