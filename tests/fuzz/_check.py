"""The fuzz suite's child-process runner, workbook writer and outcome checks."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Seconds one reader call may take before the case counts as a hang.
CASE_TIMEOUT = float(os.environ.get("FUZZ_CASE_TIMEOUT", "20"))
#: An error message longer than this echoes the input (e.g. the planted 1 MB string).
MAX_MESSAGE = 3000
#: Words that show a reader's message names a location in a file.
FILE_LOCATION = ("file", "sheet", "row", "column", "cell", "table", "line")


class Worker:
    """A child interpreter running :mod:`tests.fuzz._worker`, restarted when it dies."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = tempfile.TemporaryFile(mode="w+")

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
        return subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz._worker"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
        )

    def run(self, request: Mapping[str, Any], timeout: float = CASE_TIMEOUT) -> dict[str, Any]:
        """Send one request; the worker's answer, or ``crash``/``hang`` outcomes."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        # the first request also pays for the imports
        ready = sel.select(timeout + 30 if not getattr(self, "_warm", False) else timeout)
        sel.close()
        if not ready:
            self.close()
            return {"outcome": "hang", "timeout": timeout}
        line = proc.stdout.readline()
        if not line:
            rc = proc.wait()
            self.proc = None
            self.stderr.seek(0)
            tail = self.stderr.read()[-1500:]
            self.stderr.seek(0)
            self.stderr.truncate()
            return {"outcome": "crash", "returncode": rc, "stderr": tail}
        self._warm = True
        return dict(json.loads(line))

    def close(self) -> None:
        """Stop the child (it is restarted by the next request)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self._warm = False


def write_sheets(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    fmt: str,
    *,
    hidden: Sequence[str] = (),
    far: str | None = None,
    merged: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write ``sheets`` as ``fmt``.

    ``far`` names a sheet given one value at ``XFD1048576``; ``hidden``, ``far``
    and ``merged`` (sheet -> ranges) apply to ``.xlsx`` only.
    """
    from tests.workbooks import write_workbook

    if fmt == "xlsx":
        write_workbook(path, sheets, fmt, hidden=hidden, merged=merged)
    else:
        write_workbook(path, sheets, fmt)
    if far is not None and fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path)
        wb[far]["XFD1048576"] = 1
        wb.save(path)
    return path


def problems(
    result: Mapping[str, Any],
    control: Mapping[str, Any] | None,
    expect: str,
    *,
    location: Sequence[str] = FILE_LOCATION,
    n_input: int | None = None,
) -> list[str]:
    """What is wrong with ``result`` for a case expecting ``expect`` (empty: nothing)."""
    out: list[str] = []
    kind = result["outcome"]
    if kind == "crash":
        return [f"process died (exit code {result['returncode']}): {result['stderr'][-400:]}"]
    if kind == "hang":
        return [f"no answer within {result['timeout']} s"]
    if result.get("leaked"):
        out.append(f"planted identifiers reached the output: {sorted(set(result['leaked']))}")
    if kind == "error":
        message = result["message"]
        if not result["clean"]:
            out.append(f"escaped as {result['type']}: {message[:300]}\n{result['traceback']}")
        elif expect == "same":
            out.append(f"raised on a no-op mutation: {result['type']}: {message[:300]}")
        else:
            if result["message_len"] > MAX_MESSAGE:
                out.append(f"message of {result['message_len']:,} characters echoes the input")
            if not any(w.lower() in message.lower() for w in location):
                out.append(f"message names no location ({location}): {message[:300]}")
        return out
    assert control is not None and control["outcome"] == "ok", control
    info = result.get("info", {})
    same = result["digest"] == control["digest"]
    if result.get("negatives") or result.get("non_finite"):
        out.append(
            f"loaded {result['negatives']} negative and {result['non_finite']} non-finite numbers"
        )
    if "summary_error" in info:
        out.append(f"report.summary() failed: {info['summary_error']}")
    if expect == "raise":
        out.append(
            f"loaded without error ({result['rows']} rows, control {control['rows']}"
            f"{', identical' if same else ', different'})"
        )
    elif expect in ("same", "raise_or_same") and not same:
        out.append(f"result differs from the control ({result['rows']} vs {control['rows']} rows)")
    elif expect == "raise_or_complete" and result["rows"] < control["rows"]:
        out.append(f"silent loss: {result['rows']} rows loaded, control {control['rows']}")
    elif expect == "raise_or_empty" and result["rows"]:
        out.append(f"{result['rows']} rows loaded from a file without data")
    elif expect.startswith(("accounted", "flagged")):
        ctrl = control.get("info", {})
        if info.get("n_loaded", 0) + info.get("n_rejected", 0) != info.get("n_input"):
            out.append(f"row accounting broken: {info}")
        if n_input is None and expect in ("accounted", "flagged"):
            n_input = ctrl.get("n_input")
        elif expect == "accounted+1":
            n_input = ctrl.get("n_input", 0) + 1
        if n_input is not None and info.get("n_input") != n_input:
            out.append(f"n_input {info.get('n_input')} but the file has {n_input} data rows")
        if expect == "flagged" and not (
            info.get("n_rejected", 0) > ctrl.get("n_rejected", 0)
            or info.get("n_issues", 0) > ctrl.get("n_issues", 0)
        ):
            out.append(
                f"bad row loaded with no error or issue (rows {result['rows']}, "
                f"control {control['rows']}; {info})"
            )
    return out
