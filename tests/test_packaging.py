"""The wheel carries everything a user needs: built from the checkout, installed into a
folder of its own and run there, ``overdose-trends report`` builds the report offline."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: the build backend comes from the dev extra, so no network.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        cwd=out,
    )
    (found,) = out.glob("overdose_trends-*.whl")
    return found


def test_wheel_contains_the_shipped_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT / "src").as_posix()
        for p in (ROOT / "src" / "overdose_trends" / "data").rglob("*")
        if p.is_file()
    }
    assert shipped, "no shipped data found in the checkout"
    assert shipped <= names, sorted(shipped - names)
    assert "overdose_trends/py.typed" in names
    assert any(n.endswith(".mplstyle") for n in names)


def test_installed_wheel_builds_the_report_without_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        cwd=tmp_path,
    )
    work = tmp_path / "elsewhere"  # not the checkout: nothing to find by relative path
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "OVERDOSE_TRENDS_DATA"}
    env["PYTHONPATH"] = str(target)
    env["MPLBACKEND"] = "Agg"
    where = _run(
        [
            sys.executable,
            "-c",
            "import overdose_trends as ot; print(ot.__file__); print(len(ot.datasets.la_deaths()))",
        ],
        cwd=work,
        env=env,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(target), where
    assert where[1] == "59334"
    script = target / "bin" / "overdose-trends"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "overdose_trends.cli"]
    _run([*command, "report", "--out", "reports"], cwd=work, env=env)
    assert (work / "reports" / "index.html").is_file()
    figures = list((work / "reports" / "figures").glob("*.png"))
    assert len(figures) >= 5, figures
