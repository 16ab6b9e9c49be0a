"""Exceptions raised by overdose_trends."""

from __future__ import annotations


class DataFormatError(ValueError):
    """An input file does not have the layout or content the loader expects.

    The message names the file and, where they apply, the sheet, the 1-based
    spreadsheet row and the column letter or name, so that an analyst can open
    the file and see the offending cell.

    Attributes
    ----------
    file, sheet, row, column : str, str, int, str or None
        Location of the problem; ``None`` where not applicable. ``row`` is the
        1-based row number as shown by a spreadsheet program.
    reason : str
        The message without the location.

    Examples
    --------
    >>> err = ot.DataFormatError(
    ...     "text where a count belongs", file="la.xls", sheet="Table 1", row=12, column="D"
    ... )
    >>> str(err)
    "file 'la.xls', sheet 'Table 1', row 12, column D: text where a count belongs"
    >>> err.row, err.reason
    (12, 'text where a count belongs')
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.reason = message
        where = []
        if file is not None:
            where.append(f"file {file!r}")
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
