"""Build the report: figures, summary tables and index pages, skipping what is up to date.

:func:`build_report` writes to an output folder

* ``figures/<name>.png`` (300 dpi), ``.svg`` and ``.pdf`` for every figure of
  the registry (by default :data:`overdose_trends.report.figures.REGISTRY`);
* ``summary.csv`` and ``consistency.csv``
  (:func:`overdose_trends.report.tables.report_summary`,
  :func:`overdose_trends.io.ons_local.check_consistency`) and the pages
  ``index.md`` and ``index.html`` (:func:`overdose_trends.report.pages.write_pages`);
* ``manifest.json`` -- per figure, a SHA-256 hash over its input files (bytes,
  name, shipped or not), its config sections, the package version and code,
  and the versions of the libraries that draw and fit it
  (:func:`figure_inputs`). A figure whose hash is unchanged and whose files
  all exist is skipped.

What the report covers is a :class:`~overdose_trends.report.config.ReportConfig`,
read from TOML by :func:`~overdose_trends.report.config.load_config`; this
module hands the figure registry to the configuration.

References
----------
FIPS 180-4 (SHA-256, the manifest hashes).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from overdose_trends.report._common import did_you_mean
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.figures import REGISTRY
from overdose_trends.report.pages import write_pages
from overdose_trends.report.registry import FigureSpec, Registry

__all__ = [
    "FIGURE_FORMATS",
    "LIBRARIES",
    "ReportResult",
    "build_report",
    "code_fingerprint",
    "figure_hash",
    "figure_inputs",
    "library_versions",
]

#: File formats written for every figure (PNG at 300 dpi).
FIGURE_FORMATS = ("png", "svg", "pdf")
#: Libraries whose versions a figure's hash covers (drawing and model fitting).
LIBRARIES = ("matplotlib", "numpy", "pandas", "scipy", "statsmodels")
_MANIFEST = "manifest.json"
#: Version of the manifest layout; a different one rebuilds everything.
_MANIFEST_FORMAT = 2


@dataclass
class ReportResult:
    """What :func:`build_report` did.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    built, skipped : list of str
        Figures built, and figures skipped because they were up to date.
    paths : list of Path
        Every output file: the figures' files, then ``summary.csv``,
        ``consistency.csv``, ``index.md``, ``index.html`` and ``manifest.json``.
    """

    out_dir: Path
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One line: ``built N, skipped M (up to date) -> <out_dir>/index.html``."""
        return (
            f"built {len(self.built)}, skipped {len(self.skipped)} (up to date) -> "
            f"{self.out_dir / 'index.html'}"
        )


def build_report(
    out_dir: str | os.PathLike[str],
    config: ReportConfig | None = None,
    *,
    force: bool = False,
    only: str | Sequence[str] | None = None,
    progress: bool = True,
    registry: Registry = REGISTRY,
) -> ReportResult:
    """Build the figures that are out of date, the summary tables and the index pages.

    Parameters
    ----------
    out_dir : path-like
        Output folder (created). Figures go to ``out_dir/figures``.
    config : ReportConfig, optional
        What the report covers (:func:`overdose_trends.report.config.load_config`
        reads one from ``report.toml``). Default: the built-in defaults (the
        Southend and Norfolk/Norwich stories). Figures without a section get
        their default options.
    force : bool, default False
        Rebuild the selected figures even when up to date.
    only : str or sequence of str, optional
        Consider only these figures (others are neither built nor removed).
    progress : bool, default True
        Show a tqdm progress bar.
    registry : Registry, default :data:`overdose_trends.report.figures.REGISTRY`
        The figures, in page order.

    Returns
    -------
    ReportResult
        Figures built and skipped, and the paths of every output file.

    Raises
    ------
    ValueError
        For an unknown ``only`` name, or when a figure cannot be built from
        the data and configuration (the message names the figure).

    Notes
    -----
    A figure is up to date when ``manifest.json`` records the same
    :func:`figure_hash` for it and all of its files exist. The hash covers
    the data files it lists (bytes, name and whether shipped), its config
    sections, the package version, a fingerprint of the package's source
    and the library versions (:func:`figure_inputs`), so editing the code or
    upgrading matplotlib rebuilds too. Tables and pages are always rewritten
    (they take well under a second).

    Examples
    --------
    One figure that needs no data (the naive deaths-averted claim against
    estimates), with the tables and pages, into a throw-away folder:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = ot.build_report(folder, only="deaths_averted", progress=False)
    ...     summary = pd.read_csv(f"{folder}/summary.csv")
    >>> result.built, result.skipped
    (['deaths_averted'], [])
    >>> [path.name for path in result.paths]
    ['deaths_averted.png', 'deaths_averted.svg', 'deaths_averted.pdf', 'summary.csv',
     'consistency.csv', 'index.md', 'index.html', 'manifest.json']

    ``summary.csv`` holds the published ONS rates per 100,000 of the
    ``[summary]`` areas and periods, with the verdict of the comparison:

    >>> summary.loc[:1, ["area_name", "period", "deaths", "rate", "lcl", "ucl"]]
             area_name   period  deaths  rate  lcl   ucl
    0  Southend-on-Sea  2013-15      47   8.8  6.5  11.7
    1  Southend-on-Sea  2016-18      32   5.8  4.0   8.3
    >>> summary.loc[0, "verdict"]
    'no significant change (p = 0.081)'
    """
    out = Path(out_dir)
    config = (config or ReportConfig()).with_defaults(registry)
    selected = _selected(registry, only)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    data = ReportData(config)
    manifest = out / _MANIFEST
    entries = {k: v for k, v in _read_manifest(manifest).items() if k in registry}
    cache: dict[Path, str] = {}
    result = ReportResult(out)
    bar = tqdm(total=len(selected) + 1, desc="report", unit="step", disable=not progress)
    try:
        for spec in selected:
            bar.set_postfix_str(spec.name, refresh=False)
            entry = _build_if_stale(spec, config, data, out, entries.get(spec.name), cache, force)
            if entry is None:
                result.skipped.append(spec.name)
            else:
                entries[spec.name] = entry
                _write_manifest(manifest, entries)
                result.built.append(spec.name)
            result.paths.extend(_figure_files(out, spec.name))
            bar.update()
        bar.set_postfix_str("tables and pages", refresh=False)
        figures = [(spec, _figure_files(out, spec.name)) for spec in registry]
        result.paths.extend(write_pages(out, config, data, figures))
        _write_manifest(manifest, entries)
        result.paths.append(manifest)
        bar.update()
    finally:
        bar.close()
    return result


def _figure_files(out_dir: Path, name: str) -> list[Path]:
    return [out_dir / "figures" / f"{name}.{ext}" for ext in FIGURE_FORMATS]


def _selected(registry: Registry, only: str | Sequence[str] | None) -> list[FigureSpec]:
    if not only:
        return list(registry)
    wanted = [only] if isinstance(only, str) else list(only)
    unknown = [n for n in wanted if n not in registry]
    if unknown:
        hint = did_you_mean(unknown[0], registry.names())
        raise ValueError(
            f"no figure named {', '.join(map(repr, unknown))}{hint}; "
            f"the figures are {', '.join(registry.names())}"
        )
    return [s for s in registry if s.name in wanted]


def _build_if_stale(
    spec: FigureSpec,
    config: ReportConfig,
    data: ReportData,
    out: Path,
    entry: Mapping[str, Any] | None,
    cache: dict[Path, str],
    force: bool,
) -> dict[str, Any] | None:
    """Build ``spec`` unless its manifest ``entry`` is current: its new entry, or None (skipped)."""
    digest = figure_hash(spec, config, data, cache)
    files = _figure_files(out, spec.name)
    current = entry is not None and entry.get("hash") == digest
    if not force and current and all(f.is_file() for f in files):
        return None
    _build_figure(spec, data, config, out)
    inputs = figure_inputs(spec, config, data, cache)
    return {
        "hash": digest,
        "data": inputs["data"],
        "config": list(inputs["config"]),
        "outputs": [f.relative_to(out).as_posix() for f in files],
    }


def _build_figure(spec: FigureSpec, data: ReportData, config: ReportConfig, out: Path) -> None:
    from overdose_trends.plots.style import house_style, save_figure

    try:
        with house_style():
            fig = spec.builder(data, config)
            save_figure(fig, out / "figures" / spec.name, formats=FIGURE_FORMATS, dpi=300)
    except (KeyError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        raise ValueError(f"figure {spec.name!r}: {message}") from err
    finally:
        if "matplotlib.pyplot" in sys.modules:  # a helper may have used pyplot
            sys.modules["matplotlib.pyplot"].close("all")


# --- up-to-date checks --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's source files (``*.py``, ``*.mplstyle``), computed once."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for file in sorted([*root.rglob("*.py"), *root.rglob("*.mplstyle")]):
        h.update(file.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(file.read_bytes())
    return h.hexdigest()


def _file_sha256(path: Path, cache: dict[Path, str]) -> str:
    path = path.resolve()
    if path not in cache:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        cache[path] = h.hexdigest()
    return cache[path]


def _jsonable(options: Any) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(options), default=str))


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`LIBRARIES` (``""`` for one not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


def figure_inputs(
    spec: FigureSpec, config: ReportConfig, data: ReportData, cache: dict[Path, str] | None = None
) -> dict[str, Any]:
    """What a figure's hash covers.

    The package version and a fingerprint of its code, the versions of the
    drawing and modelling libraries (:data:`LIBRARIES`), per data input its
    file's SHA-256, file name and whether it is the shipped file (figures name
    a downloaded file in their source line and label the shipped kit log as
    synthetic), and the figure's config sections.
    """
    from overdose_trends._version import __version__

    cache = {} if cache is None else cache
    files = {name: data.path(name) for name in spec.data_inputs}
    return {
        "figure": spec.name,
        "package_version": __version__,
        "code": code_fingerprint(),
        "libraries": library_versions(),
        "data": {
            name: {
                "sha256": _file_sha256(path, cache),
                "file": path.name,
                "shipped": data.is_shipped(name),
            }
            for name, path in files.items()
        },
        "config": {name: _jsonable(config.section(name)) for name in spec.sections},
    }


def figure_hash(
    spec: FigureSpec, config: ReportConfig, data: ReportData, cache: dict[Path, str] | None = None
) -> str:
    """SHA-256 (hex) of :func:`figure_inputs` as canonical JSON."""
    payload = json.dumps(figure_inputs(spec, config, data, cache), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- the manifest -------------------------------------------------------------------------------


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("format") != _MANIFEST_FORMAT:
        return {}
    figures = manifest.get("figures")
    return figures if isinstance(figures, dict) else {}


def _write_manifest(path: Path, figures: Mapping[str, Any]) -> None:
    from overdose_trends._version import __version__

    body = {"format": _MANIFEST_FORMAT, "package_version": __version__, "figures": figures}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
