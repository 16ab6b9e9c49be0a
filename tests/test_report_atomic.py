"""The report never keeps a corrupt output: atomic files, honest manifest, one run per folder.

* A run of ``overdose-trends report --force`` is killed (SIGKILL, in a
  subprocess) at many points: before each rename of a finished file and in the
  middle of writing each figure file. The next run must repair everything: every
  output file complete and identical to an uninterrupted build, nothing
  truncated reported as up to date.
* Runs with different configurations into one folder, at the same time or one
  after another, never mark each other's figures current.
* A file changed after it was written (cut short, replaced) is rebuilt.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from overdose_trends.report._manifest import folder_lock
from overdose_trends.report.build import build_report, code_fingerprint
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.options import Options, as_count, option
from overdose_trends.report.registry import FigureSpec, Registry

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fcntl: POSIX")


@dataclasses.dataclass(frozen=True)
class PointsOptions(Options):
    n: int = option(3, as_count, "points drawn")
    pause: int = option(0, as_count, "milliseconds to wait while building (widens races)")


def _points(name: str):
    def build(data: ReportData, config: ReportConfig) -> Figure:
        opts = config.section(name)
        time.sleep(opts.pause / 1000)
        fig = Figure(figsize=(2, 1.5))
        fig.add_subplot().plot(range(opts.n), [i * i for i in range(opts.n)])
        return fig

    return build


def small_registry() -> Registry:
    """Three cheap figures, each with its own option ``n`` (imported by the subprocesses)."""
    reg = Registry()
    for name in ("p", "q", "r"):
        reg.add(FigureSpec(name, _points(name), (), f"Figure {name}", "Caption", PointsOptions))
    return reg


def small_config(n: int, pause: int = 0) -> ReportConfig:
    reg = small_registry()
    opts = PointsOptions(n=n, pause=pause)
    return ReportConfig(figures={name: opts for name in reg.names()}, excel=False)


# --- checks of complete files ------------------------------------------------------------------


def _complete(path: Path) -> bool:
    """True when ``path`` is a whole file of its type (not cut short)."""
    data = path.read_bytes()
    suffix = path.suffix
    if suffix == ".png":
        return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
    if suffix == ".pdf":
        return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    if suffix == ".svg":
        return data.rstrip().endswith(b"</svg>")
    if suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    if suffix == ".json":
        json.loads(data)
        return True
    if suffix == ".xlsx":
        return data.startswith(b"PK") and b"PK\x05\x06" in data[-4096:]
    return len(data) > 0


def _outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
    }


# --- killed runs --------------------------------------------------------------------------------

_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    mode, point, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    calls = {"n": 0}
    if mode == "rename":
        real = os.replace
        def replace(src, dst, *a, **k):
            calls["n"] += 1
            if calls["n"] == point:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst, *a, **k)
        os.replace = replace
    else:
        from matplotlib.figure import Figure
        real = Figure.savefig
        def savefig(self, fname, *a, **k):
            calls["n"] += 1
            if calls["n"] == point:  # half a file, then die
                real(self, fname, *a, **k)
                with open(fname, "r+b") as fh:
                    fh.truncate(os.path.getsize(fname) // 2)
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, fname, *a, **k)
        Figure.savefig = savefig
    from overdose_trends.cli import main
    main(["report", "--out", out, "--force", "--quiet", "--only", "deaths_averted"])
    """
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted build of one cheap figure with the pages: (folder, file bytes)."""
    out = tmp_path_factory.mktemp("reference") / "rep"
    build_report(out, only="deaths_averted", progress=False)
    return out, _outputs(out)


# rename points: 1 drops the figure's entry, 2-4 its files, 5 its entry, 6-10 tables and
# pages, 11 the final manifest; savefig points: in the middle of the PNG and of the PDF
_KILLS = [("rename", n) for n in (1, 2, 4, 5, 7, 11)] + [("savefig", n) for n in (1, 3)]


@pytest.mark.parametrize(("mode", "point"), _KILLS)
def test_killed_report_is_repaired_by_the_next_run(reference, tmp_path, mode, point):
    ref_out, ref_files = reference
    out = tmp_path / "rep"
    # an earlier complete build is in place (the usual case: --force over a report)
    code_fingerprint.cache_clear()
    build_report(out, only="deaths_averted", progress=False)
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, mode, str(point), str(out)],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    # whatever the kill point, every file under its final name is complete
    for path in out.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            assert _complete(path), f"{path.name} is cut short after a kill at {mode} {point}"
    # the next run repairs: identical files to the uninterrupted build ...
    again = build_report(out, only="deaths_averted", progress=False)
    assert again.ok and set(again.built) | set(again.skipped) == {"deaths_averted"}
    assert _outputs(out) == ref_files
    # ... and only then is everything up to date
    third = build_report(out, only="deaths_averted", progress=False)
    assert third.skipped == ["deaths_averted"] and not third.pages_written
    # leftover temporary files of the killed run are the only extra files
    leftovers = [p.name for p in out.rglob(".*.tmp")]
    assert all(name.endswith(".tmp") for name in leftovers)


def test_a_file_changed_after_writing_is_rebuilt(tmp_path):
    out = tmp_path / "rep"
    reg, config = small_registry(), small_config(3)
    build_report(out, config, progress=False, registry=reg)
    png = out / "figures" / "q.png"
    png.write_bytes(png.read_bytes()[:100])  # cut short behind the report's back
    (out / "figures" / "r.svg").write_text("<svg></svg>", encoding="utf-8")
    result = build_report(out, config, progress=False, registry=reg)
    assert result.built == ["q", "r"] and result.skipped == ["p"]
    assert _complete(png)


def test_the_entry_is_dropped_before_a_rebuild(tmp_path):
    out = tmp_path / "rep"
    build_report(out, small_config(3), progress=False, registry=small_registry())
    seen = {}

    def interrupted(data, config):
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        seen["entries"] = sorted(manifest["figures"])
        raise KeyboardInterrupt  # as if killed while drawing

    reg = Registry()
    for spec in small_registry():
        reg.add(dataclasses.replace(spec, builder=interrupted) if spec.name == "q" else spec)
    with pytest.raises(KeyboardInterrupt):
        build_report(out, small_config(4), progress=False, registry=reg)
    # while q was being rebuilt the manifest made no claim for it (p: rebuilt, r: old)
    assert seen["entries"] == ["p", "r"]
    result = build_report(out, small_config(4), progress=False, registry=small_registry())
    assert result.built == ["q", "r"] and result.skipped == ["p"]


# --- different configurations into one folder ---------------------------------------------------

_RUN_SCRIPT = textwrap.dedent(
    """
    import sys
    from tests.test_report_atomic import small_config, small_registry
    from overdose_trends.report.build import build_report, code_fingerprint
    n, pause, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    build_report(out, small_config(n, pause), progress=False, registry=small_registry())
    """
)


def _start(n: int, pause: int, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _RUN_SCRIPT, str(n), str(pause), str(out)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def by_config(tmp_path_factory):
    """Figure bytes of configurations n=3 and n=5, each built alone."""
    files = {}
    for n in (3, 5):
        out = tmp_path_factory.mktemp(f"n{n}") / "rep"
        build_report(out, small_config(n), progress=False, registry=small_registry())
        files[n] = {k: v for k, v in _outputs(out).items() if k.startswith("figures/")}
    assert files[3] != files[5]
    return files


def _check_current_figures_match(out: Path, n: int, by_config) -> list[str]:
    """Run config ``n``: every figure it skips must hold config ``n``'s bytes."""
    code_fingerprint.cache_clear()  # the subprocesses hashed the source as it is now
    result = build_report(out, small_config(n), progress=False, registry=small_registry())
    files = _outputs(out)
    for name in result.skipped:
        for ext in ("png", "svg", "pdf"):
            key = f"figures/{name}.{ext}"
            assert files[key] == by_config[n][key], f"{key} marked current for n={n} but is not"
    return result.skipped


def test_concurrent_runs_with_different_configs(tmp_path, by_config):
    out = tmp_path / "rep"
    for _ in range(2):
        runs = [_start(3, 150, out), _start(5, 150, out)]
        for run in runs:
            _, err = run.communicate(timeout=600)
            assert run.returncode == 0, err.decode()[-2000:]
        _check_current_figures_match(out, 3, by_config)
        _check_current_figures_match(out, 5, by_config)


def test_sequential_runs_with_different_configs(tmp_path, by_config):
    out = tmp_path / "rep"
    reg = small_registry()
    assert build_report(out, small_config(3), progress=False, registry=reg).built == [
        "p",
        "q",
        "r",
    ]
    assert build_report(out, small_config(5), progress=False, registry=reg).built == [
        "p",
        "q",
        "r",
    ]
    assert _check_current_figures_match(out, 3, by_config) == []
    assert _check_current_figures_match(out, 3, by_config) == ["p", "q", "r"]


def test_a_second_run_waits_for_the_folder_lock(tmp_path, by_config):
    out = tmp_path / "rep"
    with folder_lock(out):
        run = _start(3, 0, out)
        time.sleep(3)
        assert run.poll() is None  # waiting
        assert not (out / "manifest.json").exists()
    _, err = run.communicate(timeout=600)
    assert run.returncode == 0, err.decode()[-2000:]
    assert _check_current_figures_match(out, 3, by_config) == ["p", "q", "r"]


def test_lock_file_is_left_harmless(tmp_path):
    out = tmp_path / "rep"
    build_report(out, small_config(3), progress=False, registry=small_registry())
    assert (out / ".report.lock").exists()
    assert os.path.getsize(out / ".report.lock") == 0
