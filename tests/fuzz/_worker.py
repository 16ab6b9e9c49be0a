"""Child process for the fuzz suite: reads one malformed input per request, reports the outcome.

Readers that go through the Rust spreadsheet layer (calamine) can abort the whole
interpreter (SIGABRT) or raise ``BaseException`` subclasses, so every reader call of the
fuzz suite runs here, in a separate interpreter that the test process restarts when it
dies. Protocol: one JSON object per line on stdin (``{"reader": ..., "path": ...,
"kwargs": {...}, "planted": [...]}``), one JSON object per line on stdout (see
:func:`run_one`). Run as ``python -m tests.fuzz._worker``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import traceback
import warnings
from typing import Any

import pandas as pd

CLEAN_ERRORS = ("DataFormatError", "ValueError", "FetchError")


def _digest(frame: pd.DataFrame) -> str:
    """A content hash of ``frame`` (values, column names, dtypes, order)."""
    h = hashlib.sha256()
    h.update(repr(list(frame.columns)).encode())
    h.update(repr([str(t) for t in frame.dtypes]).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _read(
    reader: str, path: str, kwargs: dict[str, Any], every_output: bool = True
) -> tuple[list[pd.DataFrame], dict]:
    """Call ``reader`` on ``path``; the frames to check and the row accounting.

    With ``every_output`` the report's text, issues and summary are rendered too
    (to search them for planted identifiers).
    """
    info: dict[str, Any] = {}
    if reader == "_abort":  # self-tests of the harness: a crash and a hang must be seen
        os.abort()
    if reader == "_sleep":
        import time

        time.sleep(float(kwargs.get("seconds", 60)))
    if reader == "local":
        from overdose_trends.io.ons_local import read_local_authority

        return [read_local_authority(path)], info
    if reader == "national":
        from overdose_trends.io.ons_national import read_national

        return [read_national(path, **kwargs)], info
    if reader == "population":
        from overdose_trends.io.population import read_population

        return [read_population(path, **kwargs)], info
    if reader == "mye":
        from overdose_trends.io.population import read_mid_year_estimates

        return [read_mid_year_estimates(path)], info
    if reader == "fingertips":
        from overdose_trends.io.fingertips import read_fingertips

        return [read_fingertips(path, **kwargs)], info
    if reader in ("kit_log", "kit_counts", "records"):
        if reader == "kit_log":
            from overdose_trends.io.kit_log import read_kit_log

            result: Any = read_kit_log(path, **kwargs)
            frames = [result.events]
        elif reader == "kit_counts":
            from overdose_trends.io.kit_counts import read_kit_counts

            result = read_kit_counts(path, **kwargs)
            frames = [result.counts]
        else:
            from overdose_trends.io.records.read import read_death_records

            result = read_death_records(path, **kwargs)
            frames = [result.to_pandas()]
        report = result.report
        info.update(n_input=report.n_input, n_loaded=report.n_loaded)
        info["n_rejected"] = report.n_rejected
        info["n_issues"] = len(report.issues)
        if every_output:  # the text an analyst sees: searched for planted identifiers
            info["report_text"] = str(report)
            frames.append(report.issues.astype(str))
            try:
                frames.append(report.summary().astype(str))
            except Exception as exc:  # noqa: BLE001 - reported as a finding, not a crash
                info["summary_error"] = f"{type(exc).__name__}: {exc}"
        return frames, info
    raise ValueError(f"unknown reader {reader!r}")


def run_one(request: dict[str, Any]) -> dict[str, Any]:
    """Outcome of one request.

    ``{"outcome": "ok", "rows": n, "digest": ..., "info": {...}, "leaked": [...]}`` or
    ``{"outcome": "error", "type": name, "clean": bool, "message": str, "leaked": [...]}``;
    ``leaked`` lists the planted strings found in any output, warning or message.
    """
    planted = request.get("planted", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frames, info = _read(
                request["reader"], request["path"], request.get("kwargs", {}), bool(planted)
            )
        except BaseException as exc:  # noqa: BLE001 - the point is to see every escape
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            names = [c.__name__ for c in type(exc).__mro__]
            message = str(exc)
            return {
                "outcome": "error",
                "type": type(exc).__name__,
                "clean": any(n in CLEAN_ERRORS for n in names) and isinstance(exc, Exception),
                "message": message[:20000],
                "message_len": len(message),
                "traceback": traceback.format_exc(limit=6)[-3000:],
                "leaked": [p for p in planted if p in message]
                + [p for p in planted for w in caught if p in str(w.message)],
            }
    blob = ""
    if planted:  # every output as text, to look for the planted values
        text = io.StringIO()
        for frame in frames:
            frame.to_csv(text)
        text.write(json.dumps(info, default=str))
        for w in caught:
            text.write(str(w.message))
        blob = text.getvalue()
    # provenance columns name the file itself: the control and the mutant differ there
    base = os.path.basename(request["path"])
    for col in ("sheet", "file"):
        if col in frames[0] and (frames[0][col].astype(str) == base).all():
            frames[0] = frames[0].drop(columns=col)
    numbers = frames[0].select_dtypes("number")
    return {
        "outcome": "ok",
        "rows": len(frames[0]),
        "negatives": int((numbers < 0).sum().sum()),
        "non_finite": int(numbers.isin([float("inf"), float("-inf")]).sum().sum()),
        "digest": _digest(frames[0]),
        "info": {k: v for k, v in info.items() if k != "report_text"},
        "warnings": [str(w.message)[:500] for w in caught],
        "leaked": [p for p in planted if p in blob],
    }


def main() -> None:
    """Serve requests from stdin until it closes."""
    for line in sys.stdin:
        if not line.strip():
            continue
        result = run_one(json.loads(line))
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
