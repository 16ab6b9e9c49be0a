"""Seeded fuzz suite: malformed workbooks, CSVs, kit logs and statistics inputs (issue #15)."""
