"""Personal identifiers in kit data: identifier columns and personal data in cells.

Kit logs are exported from case-management systems and often carry columns
that identify people. The kit loaders (:mod:`overdose_trends.io.kit_log`,
:mod:`overdose_trends.io.kit_counts`) use this
module to keep them out of every output:

* :func:`is_identifier_header` says whether a column header names a personal
  identifier (name, client, patient, date of birth, NHS/CHI number, address,
  postcode, phone, contact, e-mail, next of kin, key worker, initials, notes,
  remarks, comments, free text); such columns are dropped unread. The words
  and phrases are :data:`~overdose_trends.schema.IDENTIFIER_WORDS` and
  :data:`~overdose_trends.schema.IDENTIFIER_PHRASES` with :data:`MORE_IDENTIFIER_WORDS`
  and :data:`MORE_IDENTIFIER_PHRASES`; ``*_name`` headers that name a place or an
  organisation (:data:`~overdose_trends.schema.NON_PERSONAL_NAMES`) are not identifiers.
* :func:`personal_data_kinds` finds cell texts that contain something that
  looks like an e-mail address, an NHS or CHI number (ten digits not joined to
  other digits, optionally grouped 3-3-4 with spaces, hyphens or dots, so
  ``NHS9434765919``, ``kit_9434765919`` and ``4010232137-01`` count), a UK
  phone number (``0`` or ``+44`` followed by 9 or 10 digits, the first not ``0``, not
  joined to a letter or digit before it, as in kit numbers like ``S0100-000002``, or a bracketed
  area code such as ``(01702) 215000``) or a full UK postcode (``SS1 2AB``,
  ``SS12AB``, ``SS1-2AB``), and says which; the loaders blank those cells. In
  free-text fields (``service``, ``kit_id``, ``event_id``) a full date (a date of
  birth?) and words about a person (``mother of ...``, ``Mrs ...``,
  ``issued to ...``, ``DOB``) count too (``free_text=True``).
* Cells longer than :data:`MAX_CELL_CHARS` are not searched: they are
  reported as too long to check and blanked, so no cell can make the search slow.

Method
------
The patterns are regular expressions (:data:`PERSONAL_DATA_PATTERNS`) with
bounded repetitions, and the e-mail pattern's local part must start where a
run of e-mail characters starts, so each search takes time linear in the
length of the text (a 1 MB cell takes milliseconds). Running them on every
distinct cell text of a million-row log with Python's :mod:`re` would dominate
loading time, so with :mod:`pyarrow` installed (the storage of pandas' ``str``
columns) the texts are first screened all at once by Arrow's RE2 engine
(:func:`pyarrow.compute.match_substring_regex`, linear time by construction).
RE2 has no look-arounds; every look-around in the patterns tests one character,
so :func:`_re2_pattern` rewrites ``(?<!X)`` as ``(?:^|[^X])`` and ``(?!X)`` as
``(?:$|[^X])``, which match in the same texts. Texts that are not ASCII (where
Python's digit class and case folding reach further than RE2's) and texts too long
to search are always passed on. Only the texts RE2 flags are searched with
Python's :mod:`re`, which alone decides (a test checks on generated texts that
the screen never drops a text Python's patterns match). Without pyarrow, or for
the texts passed on, :func:`could_be_personal` first reduces each text to its *shape* (each
character replaced by its class: digit, letter, space, ``-``, ``@``, ``.``,
``+``, ``(``, ``)``, other) and runs the patterns once per distinct shape. A
shape match is necessary for a real match (the shape patterns are the real
ones with literal digits widened to any digit), so the filter never misses;
only texts that pass it are searched with the real patterns. The word
patterns of free text need a space, so only texts with a space are searched
for them.

The patterns favour recall: a ten-digit kit number is reported as a possible
NHS number (and blanked) rather than risk keeping one. No checksum is applied
(the NHS number modulus-11 check would let a mistyped number through).

References
----------
NHS Digital, *NHS Number* (format: ten digits, usually shown 3-3-4). Public
Health Scotland, *CHI Number* (ten digits, the first six the date of birth).
Ofcom, *National Telephone Numbering Plan* (UK numbers: ``0`` and 9 or 10
digits; ``+44`` internationally; geographic numbers are written with the area
code in brackets). Royal Mail, *Postcode Address File Programmers' Guide*
(postcode formats ``A9 9AA`` ... ``AA9A 9AA``). RFC 5321, section 4.5.3.1
(an e-mail local part is at most 64 octets, a domain label 63). Information
Commissioner's Office, *Guide to the UK GDPR: What is personal data?*
(identifiers to remove before sharing).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.schema import IDENTIFIER_PHRASES, IDENTIFIER_WORDS, NON_PERSONAL_NAMES

__all__ = [
    "MAX_CELL_CHARS",
    "MORE_IDENTIFIER_PHRASES",
    "MORE_IDENTIFIER_WORDS",
    "PERSONAL_DATA",
    "PERSONAL_DATA_PATTERNS",
    "TOO_LONG",
    "could_be_personal",
    "is_identifier_header",
    "personal_data_kinds",
]

#: Longest cell text searched for personal data: Excel's limit on the characters in a cell
#: (Microsoft, *Excel specifications and limits*: 32,767). Longer cells are blanked unsearched.
MAX_CELL_CHARS = 32_767
#: The kind given to a cell longer than :data:`MAX_CELL_CHARS`.
TOO_LONG = f"text longer than {MAX_CELL_CHARS:,} characters (not searched)"

#: Header words that mark an identifier column, besides
#: :data:`~overdose_trends.schema.IDENTIFIER_WORDS` (headers are normalised first, so
#: ``ClientName`` is ``client_name`` and ``D.O.B.`` is ``d_o_b``).
MORE_IDENTIFIER_WORDS = frozenset(
    {
        "client",
        "clientname",
        "patient",
        "patientname",
        "contact",
        "mob",
        "birthdate",
        "birthday",
        "initials",
        "remarks",
        "remark",
        "keyworker",
        "nhsnumber",
        "nhsno",
        "chinumber",
        "postal",
        "addr",
        "kin",
        "nok",
        "email",
        "forenames",
        "given",
        "familyname",
        "maiden",
        "ni",
        "nino",
    }
)
#: Normalised header phrases that mark an identifier column, besides
#: :data:`~overdose_trends.schema.IDENTIFIER_PHRASES`.
MORE_IDENTIFIER_PHRASES = (
    "d_o_b",
    "next_of_kin",
    "key_worker",
    "postal_code",
    "zip_code",
    "given_name",
    "family_name",
    "national_insurance",
)

_SEP = r"[ .\-]"
#: (description, regular expression) of each kind of personal data searched for in cells.
#: The description completes "held what looks like ...".
PERSONAL_DATA_PATTERNS = (
    (
        "an e-mail address",
        r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}"
        r"(?:\.[A-Za-z0-9\-]{1,63}){1,8}",
    ),
    ("an NHS or CHI number", rf"(?<!\d)\d{{3}}{_SEP}?\d{{3}}{_SEP}?\d{{4}}(?!\d)"),
    (
        "a UK phone number",
        r"(?<![A-Za-z\d+])(?:\+44[ \-]?(?:\(0\)[ \-]?)?\d(?:[ \-]?\d){8,9}|0[1-9](?:[ \-]?\d){8,9}"
        r"|\(0\d{2,4}\)[ \-]?\d(?:[ \-]?\d){5,7})(?!\d)",
    ),
    (
        "a UK postcode",
        r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?[ \-]{0,2}\d[A-Za-z]{2}(?![A-Za-z0-9])",
    ),
)
#: One regular expression matching any of :data:`PERSONAL_DATA_PATTERNS`.
PERSONAL_DATA = "|".join(f"(?:{p})" for _, p in PERSONAL_DATA_PATTERNS)

_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april"
    r"|june|july|august|september|october|november|december)"
)
#: Patterns searched only in free-text fields (``free_text=True``): a full date, which in an
#: identifier or a service name is most likely a date of birth, and words about a person.
FREE_TEXT_PATTERNS = (
    (
        "a date (a date of birth?)",
        r"(?<!\d)(?:\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})(?!\d)",
    ),
    (
        "a date (a date of birth?)",
        rf"(?i:(?<![a-z0-9])\d{{1,2}}(?:st|nd|rd|th)?[ \-]{{1,3}}{_MONTH}\.?[ \-,]{{1,3}}\d{{2,4}}"
        r"(?!\d))",
    ),
    (
        "words about a person (a name?)",
        r"(?i:(?<![a-z])(?:mother|father|mum|mom|dad|son|daughter|partner|wife|husband|brother"
        r"|sister|aunt|uncle|gran|grandmother|grandfather|nan|girlfriend|boyfriend|carer|friend"
        r"|neighbour|cousin|nephew|niece|fianc[ée]e?|spouse|widow|widower|child|guardian|relative)"
        r"(?: of| to| for)? +[a-z])"
        r"|(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.? +[A-Z]"
        r"|(?i:(?<![a-z])(?:issued|given|supplied|handed|sent) to +[a-z])"
        r"|(?i:(?<![a-z])(?:d\.?o\.?b|born|n\.?o\.?k|next of kin)(?![a-z]))",
    ),
)
#: The free-text patterns that need no letters (shape-filtered like the personal data ones).
_FREE_DIGITS = FREE_TEXT_PATTERNS[0][1]
_FREE_WORDS = "|".join(f"(?:{p})" for _, p in FREE_TEXT_PATTERNS[1:])

#: Character classes of :func:`_shape_codes` and the character standing for each class in a
#: shape string. ``_`` and ``%`` share ``.``'s class: all three may appear in an e-mail address
#: and none is a letter or digit, which is all the patterns distinguish.
_SHAPE_CHARS = ("", "0", "a", " ", "-", "@", ".", "+", "(", ")", "#", "/")


def _on_shapes(pattern: str) -> str:
    """The pattern on shapes: digits are all ``0`` there, so literal digits become ``\\d``."""
    return pattern.replace(r"\+44", r"\+\d\d").replace(r"\(0\)", r"\(\d\)").replace("[1-9]", r"\d")


_PERSONAL_SHAPE = _on_shapes(PERSONAL_DATA)
_FREE_SHAPE = _on_shapes(f"{PERSONAL_DATA}|(?:{_FREE_DIGITS})")


def is_identifier_header(norm: str) -> bool:
    """Does a normalised column header name a personal identifier?

    Parameters
    ----------
    norm : str
        Header lower-cased with camelCase split and runs of spaces, hyphens and
        dots turned into ``_`` (``"Date of Birth"`` -> ``"date_of_birth"``,
        ``"ClientName"`` -> ``"client_name"``, ``"D.O.B."`` -> ``"d_o_b"``).

    Returns
    -------
    bool
        True when one of the ``_``-separated words is in
        :data:`~overdose_trends.schema.IDENTIFIER_WORDS` or :data:`MORE_IDENTIFIER_WORDS`
        (``name``/``names`` only when the words before it are not a place or organisation of
        :data:`~overdose_trends.schema.NON_PERSONAL_NAMES`), or the header contains one of
        :data:`~overdose_trends.schema.IDENTIFIER_PHRASES` or :data:`MORE_IDENTIFIER_PHRASES`.

    References
    ----------
    Information Commissioner's Office, *Guide to the UK GDPR: What is
    personal data?* (names, identification numbers, addresses, contact
    details and free-text notes as identifiers). NHS Digital, *NHS Number*;
    Public Health Scotland, *CHI Number* (the health-service identifiers
    named in the word list).
    """
    if any(p in norm for p in (*IDENTIFIER_PHRASES, *MORE_IDENTIFIER_PHRASES)):
        return True
    words = norm.split("_")
    for i, w in enumerate(words):
        if w in IDENTIFIER_WORDS or w in MORE_IDENTIFIER_WORDS:
            if w in ("name", "names") and "_".join(words[:i]) in NON_PERSONAL_NAMES:
                continue
            return True
    return False


def personal_data_kinds(
    text: pd.Series, *, free_text: bool = False, arrow: Any = None
) -> np.ndarray:
    """Which kind of personal data, if any, each text looks like it holds.

    Parameters
    ----------
    text : pandas.Series of str
        Cell texts (typically the distinct texts of one column).
    free_text : bool, default False
        The texts are a free-text field (a service name, a kit or event id):
        also look for a full date and for words about a person
        (:data:`FREE_TEXT_PATTERNS`), which in a date or category field are
        the field's own business.

    Returns
    -------
    numpy.ndarray of object
        Per text, the description of the first pattern of
        :data:`PERSONAL_DATA_PATTERNS` (then :data:`FREE_TEXT_PATTERNS`) it
        matches (``"an e-mail address"``, ``"an NHS or CHI number"``, ``"a UK
        phone number"``, ``"a UK postcode"``, ...), :data:`TOO_LONG` for texts
        longer than :data:`MAX_CELL_CHARS`, or ``None``. With :mod:`pyarrow`
        installed, only texts that its RE2 engine finds a candidate in (see the
        module notes) are searched with Python's :mod:`re`; of those, only texts
        that pass :func:`could_be_personal` are searched with the digit patterns.
    arrow : pyarrow.Array, optional
        The same texts as an Arrow text array, when at hand (saves converting them).

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
    candidates = _prefilter(text.to_numpy(dtype=object), free_text=free_text, arrow=arrow)
    if candidates is None:
        return _kinds(text, free_text=free_text)
    kinds = np.full(len(text), None, dtype=object)
    at = np.flatnonzero(candidates)
    if len(at):
        kinds[at] = _kinds(text.iloc[at].reset_index(drop=True), free_text=free_text)
    return kinds


def _kinds(text: pd.Series, *, free_text: bool) -> np.ndarray:
    """:func:`personal_data_kinds` with Python's :mod:`re` (``text`` indexed from 0)."""
    kinds = np.full(len(text), None, dtype=object)
    values = text.to_numpy(dtype=object)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    too_long = lengths > MAX_CELL_CHARS
    patterns = list(PERSONAL_DATA_PATTERNS)
    combined = PERSONAL_DATA
    if free_text:
        patterns += list(FREE_TEXT_PATTERNS)
        combined = f"{PERSONAL_DATA}|(?:{_FREE_DIGITS})"
    at = np.flatnonzero(could_be_personal(values, free_text=free_text) & ~too_long)
    if len(at):
        at = at[text.iloc[at].str.contains(combined, regex=True).to_numpy(dtype=bool)]
    if free_text:
        spaced = np.flatnonzero(
            ~too_long & (lengths >= 3) & text.str.contains(" ", regex=False).to_numpy(dtype=bool)
        )
        if len(spaced):
            words = spaced[text.iloc[spaced].str.contains(_FREE_WORDS, regex=True).to_numpy()]
            at = np.union1d(at, words)
    if len(at):
        # only the texts that match one of the patterns are searched for each pattern
        sub = text.iloc[at]
        for kind, pattern in reversed(patterns):
            kinds[at[sub.str.contains(pattern, regex=True).to_numpy(dtype=bool)]] = kind
    kinds[too_long] = TOO_LONG
    return kinds


def _re2_pattern(pattern: str) -> str:
    """The pattern for RE2 (no look-arounds), matching wherever the pattern matches.

    RE2, the engine of :func:`pyarrow.compute.match_substring_regex`, has no
    look-arounds. Each one in the patterns tests a single character, so ``(?<!X)``
    becomes ``(?:^|[^X])`` and ``(?!X)`` becomes ``(?:$|[^X])``: the same texts
    contain a match (the pattern is only ever used to ask whether one exists).
    """

    def negated(body: str) -> str:
        return r"\D" if body == r"\d" else "[^" + body[1:-1] + "]"

    out = re.sub(_LOOK_BEHIND, lambda m: "(?:^|" + negated(m.group(1)) + ")", pattern)
    out = re.sub(_LOOK_AHEAD, lambda m: "(?:$|" + negated(m.group(1)) + ")", out)
    if "(?<" in out or "(?=" in out or "(?!" in out:
        raise AssertionError("a look-around RE2 cannot run is left in an identifier pattern")
    return out


_ONE_CHAR = r"(\[(?:\\.|[^\]\\])+\]|\\d)"
_LOOK_BEHIND = r"\(\?<!" + _ONE_CHAR + r"\)"
_LOOK_AHEAD = r"\(\?!" + _ONE_CHAR + r"\)"
#: The patterns of :func:`personal_data_kinds` for RE2: personal data, and with free text.
_RE2 = {
    False: _re2_pattern(PERSONAL_DATA),
    True: _re2_pattern(
        "|".join(f"(?:{p})" for _, p in (*PERSONAL_DATA_PATTERNS, *FREE_TEXT_PATTERNS))
    ),
}


def _prefilter(values: np.ndarray, *, free_text: bool, arrow: Any = None) -> np.ndarray | None:
    """Per text: must it be searched with Python's re? None without pyarrow.

    A text is a candidate when the RE2 form of the patterns (:func:`_re2_pattern`)
    matches it, when it is not ASCII (Python's ``\\d`` and case folding reach beyond
    ASCII, RE2's do not), or when it is longer than :data:`MAX_CELL_CHARS` (reported
    as too long). Every text in which a pattern matches is a candidate; RE2 runs in
    time linear in the text and on all texts at once, in C++. ``arrow``: the same
    texts as an Arrow array, if at hand.
    """
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - pyarrow is a dependency of the fast path only
        return None
    if not len(values):
        return np.zeros(0, dtype=bool)
    pool = pa.system_memory_pool()  # malloc: Arrow's default pool keeps freed memory
    if arrow is not None and len(arrow) == len(values):
        arr = arrow
    else:
        arr = pa.array(values, type=pa.large_string(), memory_pool=pool)
    hit = pc.match_substring_regex(arr, _RE2[free_text], memory_pool=pool)
    hit = pc.or_(hit, pc.invert(pc.string_is_ascii(arr, memory_pool=pool)))
    hit = pc.or_(hit, pc.greater(pc.utf8_length(arr, memory_pool=pool), MAX_CELL_CHARS))
    return np.asarray(hit.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def _shape_table() -> np.ndarray:
    """Class (see _SHAPE_CHARS) of each code point 0-127; 128 stands for any other."""
    table = np.full(129, 10, dtype=np.uint64)
    table[0] = 0
    table[48:58] = 1
    table[65:91] = 2
    table[97:123] = 2
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
        ("/", 11),
    ):
        table[ord(ch)] = c
    return table


_SHAPE_TABLE = _shape_table()


def _shape_codes(chars: np.ndarray) -> np.ndarray:
    """4-bit class of each code point (rows of ASCII strings, 0-padded): see _SHAPE_CHARS."""
    return _SHAPE_TABLE[np.minimum(chars, 128)]


def could_be_personal(
    text: np.ndarray, chunk: int = 250_000, max_len: int = 48, *, free_text: bool = False
) -> np.ndarray:
    """Per string: could it contain personal data (a necessary condition, vectorised)?

    Parameters
    ----------
    text : numpy.ndarray of str
        Strings to screen.
    chunk : int, default 250000
        Strings handled at once (bounds the memory of the code-point array).
    max_len : int, default 48
        Longer strings skip the shape filter and are reported as possible.
    free_text : bool, default False
        Also screen for the digit dates of :data:`FREE_TEXT_PATTERNS`.

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
    shape_re = re.compile(_FREE_SHAPE if free_text else _PERSONAL_SHAPE)
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
