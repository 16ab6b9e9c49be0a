"""Build the report: figures, summary tables and index pages, skipping what is up to date.

:func:`build_report` writes to an output folder

* ``figures/<name>.png`` (300 dpi), ``.svg`` and ``.pdf`` for every enabled
  figure of the registry (by default ``overdose_trends.report.figures.REGISTRY``);
* ``summary.csv``, ``consistency.csv``, ``summary.xlsx`` and the pages
  ``index.md`` and ``index.html`` (:func:`overdose_trends.report.pages.write_pages`);
* ``manifest.json`` -- per figure, a SHA-256 hash over its input files (bytes,
  name, shipped or not), its config sections, the package version and code,
  and the versions of the libraries that draw and fit it
  (:func:`figure_inputs`), with the SHA-256 of each file written; the same for
  the pages.

Reliability
-----------
* **Atomic files.** Every file is written under a temporary name in its folder
  and renamed over the final name when complete
  (``overdose_trends._output.atomic_path``), so a killed run leaves either
  the old file or the new one, never a truncated one.
* **Honest manifest.** A figure's manifest entry is removed (and the manifest
  saved) before the figure is rebuilt and written back only after all its
  files are; a figure counts as up to date only when its hash matches and
  every file has the checksum recorded. A run killed at any point is
  therefore repaired by the next one.
* **One run at a time per folder.** A run locks the output folder
  (``.report.lock``) while it reads and writes, so runs with different
  configurations into one folder take turns; each figure's hash covers its
  own configuration, so one run never marks another's figures current.
* **A figure that cannot be built** for the configured data (a
  ``ValueError``, e.g. no kit data for the area) is recorded with its reason,
  listed on the pages, and the rest of the report is built
  (``ReportResult.failed``; the command line exits with 1).
* **Fast when up to date.** Tables and pages are rewritten only when their
  inputs changed; an up-to-date run reads the configuration, hashes the input
  and output files (SHA-256) and the package's source, reads the library
  versions from their ``.dist-info`` folders, imports none of pandas, numpy,
  scipy, matplotlib or jinja2 (numpy only for periods written as text in a
  TOML file) and writes nothing (``benchmarks/bench_report.py``).

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

from overdose_trends.report._common import did_you_mean
from overdose_trends.report._manifest import (
    MANIFEST_NAME,
    checksums,
    dist_versions,
    file_sha256,
    folder_lock,
    outputs_intact,
    read_manifest,
    write_manifest,
)
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.figures import REGISTRY
from overdose_trends.report.registry import FigureSpec, FigureState, Registry

__all__ = [
    "FIGURE_FORMATS",
    "LIBRARIES",
    "ReportResult",
    "build_report",
    "code_fingerprint",
    "figure_hash",
    "figure_inputs",
    "library_versions",
    "pages_hash",
]

#: File formats written for every figure (PNG at 300 dpi).
FIGURE_FORMATS = ("png", "svg", "pdf")
#: Libraries whose versions a figure's hash covers (drawing and model fitting).
LIBRARIES = ("matplotlib", "numpy", "pandas", "scipy", "statsmodels")
#: Errors of a builder that mean "cannot be built from this data and configuration".
_BUILD_ERRORS = (ValueError, LookupError)


@dataclass
class ReportResult:
    """What :func:`build_report` did.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    built, skipped : list of str
        Figures built, and figures skipped because they were up to date.
    failed : dict of str to str
        Figures that cannot be built from the data and configuration, with
        the reason (also listed on the pages).
    disabled : list of str
        Figures turned off with ``enabled = false``.
    pages_written : bool
        False when the tables and pages were up to date and left alone.
    paths : list of Path
        Every output file: the figures' files, then ``summary.csv``,
        ``consistency.csv``, (``summary.xlsx``), ``index.md``,
        ``index.html`` and ``manifest.json``.
    """

    out_dir: Path
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    pages_written: bool = True
    paths: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no figure failed."""
        return not self.failed

    def summary(self) -> str:
        """One line: ``built N, skipped M (up to date) -> <out_dir>/index.html``.

        Failed and disabled figures are counted when there are any.
        """
        extra = f", {len(self.failed)} cannot be built" if self.failed else ""
        extra += f", {len(self.disabled)} turned off" if self.disabled else ""
        return (
            f"built {len(self.built)}, skipped {len(self.skipped)} (up to date){extra} -> "
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
        Rebuild the selected figures (and the pages) even when up to date.
    only : str or sequence of str, optional
        Consider only these figures (others are neither built nor removed).
    progress : bool, default True
        Show a tqdm progress bar.
    registry : Registry, default ``overdose_trends.report.figures.REGISTRY``
        The figures, in page order.

    Returns
    -------
    ReportResult
        Figures built, skipped, failed (with reasons) and turned off, and the
        paths of every output file.

    Raises
    ------
    ValueError
        For an unknown ``only`` name, or when the ``[summary]`` areas or
        periods are not in the data. A figure that cannot be built does not
        raise: it is listed in ``ReportResult.failed`` and on the pages.

    Notes
    -----
    A figure is up to date when ``manifest.json`` records the same
    :func:`figure_hash` for it and each of its files has the SHA-256 recorded
    when it was written. The hash covers the data files it lists (bytes, name
    and whether shipped), its config sections, the package version, a
    fingerprint of the package's source and the library versions
    (:func:`figure_inputs`), so editing the code or upgrading matplotlib
    rebuilds too. A figure that failed is recorded with its hash and reason,
    and is tried again when its inputs change (or with ``force``). Tables and
    pages are rewritten when the summary configuration, the data, the code or
    any figure's state changed. See the module notes for what a killed or
    concurrent run leaves behind.

    Examples
    --------
    One figure that needs no data (the naive deaths-averted claim against
    estimates), with the tables and pages, into a throw-away folder:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = ot.build_report(folder, only="deaths_averted", progress=False)
    ...     summary = pd.read_csv(f"{folder}/summary.csv")
    >>> result.built, result.skipped, result.failed
    (['deaths_averted'], [], {})
    >>> [path.name for path in result.paths]
    ['deaths_averted.png', 'deaths_averted.svg', 'deaths_averted.pdf', 'summary.csv',
     'consistency.csv', 'summary.xlsx', 'index.md', 'index.html', 'manifest.json']

    ``summary.csv`` holds the published ONS rates per 100,000 of the
    ``[summary]`` areas and periods (rates to 1 decimal place, ratios to 2,
    as ONS publishes them), with the verdict of the comparison:

    >>> summary.loc[:1, ["area_name", "period", "deaths", "rate", "lcl", "ucl"]]
             area_name   period  deaths  rate  lcl   ucl
    0  Southend-on-Sea  2013-15      47   8.8  6.5  11.7
    1  Southend-on-Sea  2016-18      32   5.8  4.0   8.3
    >>> summary.loc[0, ["rate_ratio", "ratio_lcl", "ratio_ucl"]].tolist()
    [0.66, 0.41, 1.05]
    >>> summary.loc[0, "verdict"]
    'no significant change (p = 0.081)'
    """
    out = Path(out_dir)
    config = (config or ReportConfig()).with_defaults(registry)
    selected = _selected(registry, only)
    data = ReportData(config)
    cache: dict[Path, str] = {}
    digests = _Digests(config, data, cache)
    result = ReportResult(out)
    with folder_lock(out):
        (out / "figures").mkdir(parents=True, exist_ok=True)
        manifest_path = out / MANIFEST_NAME
        manifest = read_manifest(manifest_path)
        entries = {k: v for k, v in manifest["figures"].items() if k in registry}
        book = _Book(manifest_path, entries, manifest["pages"])
        if manifest_path.is_file() and entries == manifest["figures"] and manifest["pages"]:
            book.saved = (dict(entries), dict(manifest["pages"]))
        bar = _progress(len(selected) + 1, progress)
        try:
            for spec in selected:
                if bar is not None:
                    bar.set_postfix_str(spec.name, refresh=False)
                _run_figure(spec, config, data, out, book, digests, force, result)
                if bar is not None:
                    bar.update()
            if bar is not None:
                bar.set_postfix_str("tables and pages", refresh=False)
            states = [_state(spec, config, out, book.figures, digests) for spec in registry]
            _run_pages(out, config, data, states, book, cache, force, result, registry)
            book.save_if_changed()
            result.paths.append(manifest_path)
            if bar is not None:
                bar.update()
        finally:
            if bar is not None:
                bar.close()
    return result


def _progress(total: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="report", unit="step")


@dataclass
class _Book:
    """The manifest being kept: figure entries, the pages' entry, saved on every change."""

    path: Path
    figures: dict[str, Any]
    pages: dict[str, Any]
    #: What the manifest file holds (None: not read, or not in this layout).
    saved: tuple[dict[str, Any], dict[str, Any]] | None = None

    def save(self) -> None:
        write_manifest(self.path, self.figures, self.pages)
        self.saved = (dict(self.figures), dict(self.pages))

    def save_if_changed(self) -> None:
        """Save unless the file already holds these entries (an up-to-date run writes nothing)."""
        if self.saved != (self.figures, self.pages):
            self.save()


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


@dataclass
class _Digests:
    """:func:`figure_hash` of each figure, computed once per run (inputs are read once).

    ``intact`` names the figures skipped as up to date after their files were
    checked, so that listing them for the pages does not hash the files again.
    """

    config: ReportConfig
    data: ReportData
    cache: dict[Path, str]
    known: dict[str, str] = field(default_factory=dict)
    intact: set[str] = field(default_factory=set)

    def __call__(self, spec: FigureSpec) -> str:
        if spec.name not in self.known:
            self.known[spec.name] = figure_hash(spec, self.config, self.data, self.cache)
        return self.known[spec.name]


def _run_figure(
    spec: FigureSpec,
    config: ReportConfig,
    data: ReportData,
    out: Path,
    book: _Book,
    digests: _Digests,
    force: bool,
    result: ReportResult,
) -> None:
    """Build ``spec`` unless it is current or turned off; record what happened."""
    files = _figure_files(out, spec.name)
    if not config.enabled(spec.name):
        result.disabled.append(spec.name)
        return
    digest = digests(spec)
    entry = book.figures.get(spec.name)
    if not force and entry is not None and entry.get("hash") == digest:
        if "failed" in entry:
            result.failed[spec.name] = str(entry["failed"])
            return
        if outputs_intact(out, entry):
            digests.intact.add(spec.name)
            result.skipped.append(spec.name)
            result.paths.extend(files)
            return
    # drop the entry first: a run killed while the files are replaced leaves no claim
    if book.figures.pop(spec.name, None) is not None:
        book.save()
    reason = _build_figure(spec, data, config, out)
    if reason is not None:
        for f in files:  # an older build for another configuration is not this figure
            f.unlink(missing_ok=True)
        book.figures[spec.name] = {"hash": digest, "failed": reason}
        result.failed[spec.name] = reason
    else:
        book.figures[spec.name] = {
            "hash": digest,
            "data": figure_inputs(spec, config, data, digests.cache)["data"],
            "config": list(spec.sections),
            "outputs": checksums(out, files),
        }
        result.built.append(spec.name)
        result.paths.extend(files)
    book.save()


def _build_figure(
    spec: FigureSpec, data: ReportData, config: ReportConfig, out: Path
) -> str | None:
    """Draw and save ``spec``; None when done, else why it cannot be built."""
    from overdose_trends.plots.style import house_style, save_figure

    try:
        with house_style():
            fig = spec.builder(data, config)
            save_figure(fig, out / "figures" / spec.name, formats=FIGURE_FORMATS, dpi=300)
    except _BUILD_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        return _one_line(str(message)) or type(err).__name__
    finally:
        if "matplotlib.pyplot" in sys.modules:  # a helper may have used pyplot
            sys.modules["matplotlib.pyplot"].close("all")
    return None


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _state(
    spec: FigureSpec,
    config: ReportConfig,
    out: Path,
    entries: Mapping[str, Any],
    digests: _Digests,
) -> FigureState:
    files = _figure_files(out, spec.name)
    if not config.enabled(spec.name):
        return FigureState(spec, "disabled", files)
    entry = entries.get(spec.name)
    if entry is None or entry.get("hash") != digests(spec):
        return FigureState(spec, "missing", files)
    if "failed" in entry:
        return FigureState(spec, "failed", files, str(entry["failed"]))
    intact = spec.name in digests.intact or outputs_intact(out, entry)
    return FigureState(spec, "current" if intact else "missing", files)


def _run_pages(
    out: Path,
    config: ReportConfig,
    data: ReportData,
    states: list[FigureState],
    book: _Book,
    cache: dict[Path, str],
    force: bool,
    result: ReportResult,
    registry: Registry,
) -> None:
    """Write the tables and pages unless their entry is current."""
    digest = pages_hash(config, data, states, cache)
    entry = book.pages
    if not force and entry.get("hash") == digest and outputs_intact(out, entry):
        result.pages_written = False
        result.paths.extend(out / rel for rel in entry["outputs"])
        return
    if book.pages:
        book.pages = {}
        book.save()
    from overdose_trends.report.pages import write_pages

    paths = write_pages(out, config, data, states)
    book.pages = {"hash": digest, "outputs": checksums(out, paths)}
    result.paths.extend(paths)


# --- up-to-date checks --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's source (``*.py``, ``*.mplstyle``, ``*.j2``), computed once."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # (relative path parts, path), found with os.walk: a third of Path.rglob's time
    files: list[tuple[list[str], str]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        rel = os.path.relpath(folder, root)
        parts = [] if rel == "." else rel.split(os.sep)
        files.extend(
            ([*parts, name], os.path.join(folder, name))
            for name in names
            if name.endswith((".py", ".mplstyle", ".j2"))
        )
    h = hashlib.sha256()
    for parts, path in sorted(files):
        h.update("/".join(parts).encode())
        h.update(b"\0")
        with open(path, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def _jsonable(options: Any) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(options), default=str))


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`LIBRARIES` (``""`` for one not installed).

    As :func:`importlib.metadata.version` gives them, read without importing the
    libraries (nor :mod:`importlib.metadata`, when they are installed as wheels).
    """
    return dist_versions(LIBRARIES)


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
                "sha256": file_sha256(path, cache),
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


# --- the pages ----------------------------------------------------------------------------------


def pages_hash(
    config: ReportConfig,
    data: ReportData,
    states: Sequence[FigureState],
    cache: dict[Path, str] | None = None,
) -> str:
    """SHA-256 (hex) of what the tables and pages are made from.

    The package version and code, the library versions, the local-authority
    data file, the ``[summary]`` section and the output settings (``safe_csv``,
    ``excel``, the templates folder's files), and each figure's title,
    caption and state (with a failed figure's reason).
    """
    from overdose_trends._version import __version__

    cache = {} if cache is None else cache
    templates = {}
    if config.templates is not None:
        for file in sorted(config.templates.glob("*.j2")):
            templates[file.name] = file_sha256(file, cache)
    la = data.path("la_deaths")
    payload = {
        "package_version": __version__,
        "code": code_fingerprint(),
        "libraries": library_versions(),
        "la_deaths": {"sha256": file_sha256(la, cache), "file": la.name},
        "summary": _jsonable(config.summary),
        "safe_csv": config.safe_csv,
        "excel": config.excel,
        "templates": templates,
        "kits_synthetic": data.synthetic_kits,
        "figures": [
            [s.spec.name, s.status, s.reason, s.spec.title, s.spec.caption_text(data, config)]
            for s in states
        ],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
