"""An up-to-date report re-run is light: it imports no data or plotting library, writes nothing.

Issue #15 asks for an up-to-date ``overdose-trends report`` re-run under 0.5 s
(``benchmarks/bench_report.py`` times it). Timings are noisy on shared machines;
what makes the re-run fast is checked here instead: a fresh interpreter that
finds everything up to date imports none of the heavy libraries (pandas, numpy,
scipy, matplotlib, ...) and leaves the manifest alone. That the check still
rebuilds what changed is tested in test_report_build.py and test_report_atomic.py.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from overdose_trends.report._manifest import dist_versions
from overdose_trends.report.build import LIBRARIES, build_report, library_versions
from overdose_trends.report.config import default_toml
from overdose_trends.report.figures import REGISTRY

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "statsmodels", "jinja2", "duckdb", "requests")
#: Runs the command line in a fresh interpreter and lists the heavy modules it imported.
PROBE = (
    "import sys\n"
    "from overdose_trends.cli import main\n"
    "code = main(sys.argv[1:])\n"
    f"print('HEAVY', *sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    "sys.exit(code)\n"
)


def _rerun(cwd: Path, *args: str) -> tuple[str, list[str]]:
    """(the report's summary line, heavy modules imported) of ``overdose-trends report``."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "report", "--quiet", *args],
        cwd=cwd,  # no report.toml of the caller's folder
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    summary = next(line for line in lines if line.startswith("report:"))
    heavy = next(line for line in lines if line.startswith("HEAVY")).split()[1:]
    return summary, heavy


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A current report of the one figure that needs no data (built-in defaults)."""
    out = tmp_path_factory.mktemp("uptodate") / "out"
    result = build_report(out, only="deaths_averted", progress=False)
    assert result.built == ["deaths_averted"]
    return out


@pytest.fixture
def report(built: Path, tmp_path: Path) -> Path:
    """A copy of the built report, for a test to run in (and change)."""
    return Path(shutil.copytree(built, tmp_path / "out"))


def test_up_to_date_rerun_imports_nothing_heavy_and_writes_nothing(report, tmp_path):
    manifest = report / "manifest.json"
    before = manifest.stat().st_mtime_ns
    summary, heavy = _rerun(tmp_path, "--out", str(report), "--only", "deaths_averted")
    assert summary.startswith("report: built 0, skipped 1 (up to date)")
    assert heavy == []  # the built-in defaults: not even numpy
    assert manifest.stat().st_mtime_ns == before


def test_up_to_date_rerun_with_a_config_file(report, tmp_path):
    # the commented report.toml the package writes (the defaults, periods as "2013-2015"
    # text), found in the current folder as documented
    (tmp_path / "report.toml").write_text(default_toml(REGISTRY), encoding="utf-8")
    summary, heavy = _rerun(tmp_path, "--out", str(report), "--only", "deaths_averted")
    assert summary.startswith("report: built 0, skipped 1 (up to date)")
    # text periods are read by schema.as_period, which needs no numpy
    assert heavy == []


def test_a_changed_config_still_rebuilds_in_a_fresh_interpreter(report, tmp_path):
    (tmp_path / "changed.toml").write_text("[deaths_averted]\nseed = 7\n", encoding="utf-8")
    args = ("--out", str(report), "--only", "deaths_averted", "--config", "changed.toml")
    summary, _ = _rerun(tmp_path, *args)
    assert summary.startswith("report: built 1, skipped 0")
    summary, heavy = _rerun(tmp_path, *args)
    assert summary.startswith("report: built 0, skipped 1 (up to date)") and heavy == []


# --- library versions without importlib.metadata --------------------------------------------


def test_library_versions_are_those_of_importlib_metadata():
    expected = {}
    for name in LIBRARIES:
        try:
            expected[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected[name] = ""
    assert library_versions() == expected
    names = ("Jinja2", "python-calamine", "typing_extensions", "no-such-distribution")
    assert dist_versions(names)["no-such-distribution"] == ""
    for name in names[:3]:
        assert dist_versions(names)[name] == importlib.metadata.version(name)


def test_dist_versions_reads_the_first_on_the_path_and_falls_back_for_eggs(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, version in ((first, "2.0"), (second, "1.0")):
        info = folder / f"Demo_Pkg-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: demo-pkg\nVersion: {version}\n\nVersion: 9\n",
            encoding="utf-8",
        )
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert dist_versions(("demo.pkg", "other")) == {"demo.pkg": "2.0", "other": ""}
    assert dist_versions(("demo.pkg",)) == {"demo.pkg": importlib.metadata.version("demo.pkg")}
    # an .egg-info (or a zip on the path) is left to importlib.metadata
    egg = tmp_path / "c" / "legacy-3.1.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 3.1\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "c"), str(first)])
    assert dist_versions(("legacy", "demo-pkg")) == {"legacy": "3.1", "demo-pkg": "2.0"}
