"""Build the report: figures, summary tables and an index page, skipping what is up to date.

:func:`build_report` writes to an output folder

* ``figures/<name>.png`` (300 dpi), ``.svg`` and ``.pdf`` for every figure of
  :data:`overdose_trends.report.figures.REGISTRY`;
* ``summary.csv`` -- published rates of the configured areas and periods
  (:func:`summary_table`) with the verdict of the before/after comparison
  (:func:`overdose_trends.stats.compare.compare_periods`) joined on (:func:`report_summary`);
* ``consistency.csv`` -- :func:`overdose_trends.io.ons_local.check_consistency` findings;
* ``index.md`` and ``index.html`` -- a small self-contained page with the
  figures, captions and the summary table;
* ``manifest.json`` -- per figure, a SHA-256 hash over its input files (bytes,
  name, shipped or not), its config sections, the package version and code,
  and the versions of the libraries that draw and fit it. A figure whose hash
  is unchanged and whose files all exist is skipped.

What the report covers is a :class:`ReportConfig`, read from TOML by
:func:`load_config`; the defaults (also written out, with comments, in the
repository's ``report.toml``, see :func:`default_toml`) reproduce the
Southend and Norfolk/Norwich stories with England as the benchmark.

References
----------
Office for National Statistics, "Deaths related to drug poisoning by local
authority, England and Wales" (rates, limits and the overlapping-intervals
rule); TOML v1.0.0 specification, https://toml.io/en/v1.0.0 (configuration
format); FIPS 180-4 (SHA-256, the manifest hashes).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import html
import json
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from overdose_trends.report.figures import (
    ENGLAND,
    NORFOLK,
    NORWICH,
    REGISTRY,
    SOUTHEND,
    FigureSpec,
    Options,
    Registry,
    ReportData,
    as_area_codes,
    as_periods,
    default_options,
    display_name,
    measure_option,
    option,
    period_text,
    select_rows,
    sex_option,
)

__all__ = [
    "DEFAULT_AREAS",
    "DEFAULT_PERIODS",
    "FIGURE_FORMATS",
    "ConfigError",
    "ReportConfig",
    "ReportResult",
    "SummaryOptions",
    "build_report",
    "comparison_table",
    "default_toml",
    "figure_hash",
    "load_config",
    "report_summary",
    "summary_table",
]

#: Areas of the default summary: the Southend and Norfolk/Norwich stories, with England.
DEFAULT_AREAS = (SOUTHEND, NORWICH, NORFOLK, ENGLAND)
DEFAULT_PERIODS = ((2013, 2015), (2016, 2018))
#: File formats written for every figure (PNG at 300 dpi).
FIGURE_FORMATS = ("png", "svg", "pdf")
#: Top-level config keys holding file paths (relative paths are relative to the config file).
PATH_KEYS = ("workbook", "national_workbook", "kit_log")
MANIFEST = "manifest.json"
#: Version of the manifest layout; a different one rebuilds everything.
MANIFEST_FORMAT = 2
#: Libraries whose versions a figure's hash covers (drawing and model fitting).
LIBRARIES = ("matplotlib", "numpy", "pandas", "scipy", "statsmodels")

SOURCE_LA = (
    "Office for National Statistics, Deaths related to drug poisoning by local authority, "
    "England and Wales (Open Government Licence v3.0)."
)


class ConfigError(ValueError):
    """A report configuration problem, naming the file, section and key."""

    def __init__(
        self, message: str, *, file: Path | None = None, section: str = "", key: str = ""
    ) -> None:
        where = f"{file}: " if file is not None else ""
        where += f"[{section}] " if section else ""
        super().__init__(where + message)
        self.file = file
        self.section = section
        self.key = key


@dataclass(frozen=True)
class SummaryOptions(Options):
    """``[summary]``: the areas and periods tabulated in ``summary.csv`` and on the page.

    The first and last period are compared (:func:`overdose_trends.stats.compare.compare_periods`).
    """

    areas: tuple[str, ...] = option(
        DEFAULT_AREAS,
        as_area_codes,
        "GSS codes (E06000033 Southend-on-Sea, E07000148 Norwich, E10000020 Norfolk, "
        "E92000001 England)",
    )
    periods: tuple[tuple[int, int], ...] = option(
        DEFAULT_PERIODS, as_periods, "registration periods; the first and last are compared"
    )
    measure: str = measure_option()
    sex: str = sex_option()


@dataclass(frozen=True)
class ReportConfig:
    """What the report covers.

    Attributes
    ----------
    workbook : Path, optional
        A downloaded ONS local-authority workbook (any edition,
        :func:`overdose_trends.io.ons_local.read_local_authority`) to use instead of
        the shipped 2019 extract.
    national_workbook : Path, optional
        A downloaded ONS national reference-table workbook
        (:func:`overdose_trends.io.ons_national.read_national`) instead of the shipped 2021 extract.
    kit_log : Path, optional
        A take-home naloxone kit event log (:func:`overdose_trends.io.kit_log.read_kit_log`)
        instead of the shipped SYNTHETIC one.
    summary : SummaryOptions
        The ``[summary]`` section.
    figures : mapping of str to Options
        Options of each figure, by figure name (the ``[name]`` sections);
        see :mod:`overdose_trends.report.figures`.
    source : Path, optional
        The file the configuration was read from (for messages; not compared).
    """

    workbook: Path | None = None
    national_workbook: Path | None = None
    kit_log: Path | None = None
    summary: SummaryOptions = field(default_factory=SummaryOptions)
    figures: Mapping[str, Options] = field(default_factory=default_options)
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for key in PATH_KEYS:
            value = getattr(self, key)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, key, Path(value))
        object.__setattr__(self, "figures", dict(self.figures))

    def section(self, name: str) -> Any:
        """The options of section ``name`` (``"summary"`` or a figure name)."""
        if name == "summary":
            return self.summary
        try:
            return self.figures[name]
        except KeyError:
            raise KeyError(
                f"the configuration has no section [{name}]; it has "
                f"{', '.join(['summary', *self.figures])}"
            ) from None

    def with_defaults(self, registry: Registry = REGISTRY) -> ReportConfig:
        """A copy with default options for registered figures that have no section."""
        missing = {n: cls() for n, cls in registry.options().items() if n not in self.figures}
        if not missing:
            return self
        return dataclasses.replace(self, figures={**self.figures, **missing})


# --- reading and writing the configuration ------------------------------------------------------


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_config(path: str | os.PathLike[str], registry: Registry = REGISTRY) -> ReportConfig:
    """Read a report configuration from a TOML file.

    Parameters
    ----------
    path : path-like
        TOML file: optional top-level ``workbook``, ``national_workbook`` and
        ``kit_log`` paths (relative to the file's folder), a ``[summary]``
        section and one section per figure (``[rate_trend]``, ``[funnel]``
        ...). Sections and keys left out keep their defaults.
    registry : Registry
        The figures whose sections are allowed.

    Returns
    -------
    ReportConfig

    Raises
    ------
    FileNotFoundError
        If ``path`` or a data file it names does not exist.
    ConfigError
        (a ``ValueError``) for invalid TOML, an unknown section or key, or a
        bad value, naming the file, section and key, e.g.
        ``report.toml: [funnel] unknown key 'hilight' (did you mean 'highlight'?)``.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", file=path) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not a UTF-8 text file: {err}", file=path) from None
    sections: dict[str, type] = {"summary": SummaryOptions, **registry.options()}
    kwargs: dict[str, Any] = {}
    figures: dict[str, Options] = {}
    for key, value in raw.items():
        if key in PATH_KEYS:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{key}: expected a file path, got {value!r}", file=path, key=key)
            file = Path(value).expanduser()
            file = file if file.is_absolute() else path.parent / file
            if not file.is_file():
                raise FileNotFoundError(f"{path}: {key}: no such file {str(file)!r}")
            kwargs[key] = file
        elif key in sections:
            options = _section(path, key, value, sections[key])
            if key == "summary":
                kwargs["summary"] = options
            else:
                figures[key] = options
        else:
            known = [*PATH_KEYS, *sections]
            what = f"section [{key}]" if isinstance(value, dict) else f"key {key!r}"
            raise ConfigError(
                f"unknown {what}{_suggest(key, known)}; expected the keys "
                f"{', '.join(PATH_KEYS)} and the sections {', '.join(sections)}",
                file=path,
                key=key,
            )
    config = ReportConfig(**kwargs, source=path)
    return dataclasses.replace(config, figures={**config.figures, **figures})


def _section(path: Path, name: str, value: Any, cls: type) -> Options:
    if not isinstance(value, dict):
        raise ConfigError(
            f"expected a table of settings (a [{name}] section), got {value!r}",
            file=path,
            section=name,
        )
    allowed = [f.name for f in dataclasses.fields(cls)]
    for key in value:
        if key not in allowed:
            raise ConfigError(
                f"unknown key {key!r}{_suggest(key, allowed)}; expected {', '.join(allowed)}",
                file=path,
                section=name,
                key=key,
            )
    try:
        return cls(**value)
    except ValueError as err:
        key = str(err).split(":", 1)[0]
        raise ConfigError(str(err), file=path, section=name, key=key) from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if not isinstance(value, int) else f"{value}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        if len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return json.dumps(f"{value[0]}-{value[1]}")  # a period
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _section_text(name: str, options: Options, doc: str) -> list[str]:
    lines = ["", f"# {doc}", f"[{name}]"]
    for f in dataclasses.fields(options):  # type: ignore[arg-type]
        if f.metadata.get("help"):
            lines.append(f"# {f.metadata['help']}")
        lines.append(f"{f.name} = {_toml_value(getattr(options, f.name))}")
    return lines


def default_toml(registry: Registry = REGISTRY) -> str:
    """The default configuration as commented TOML (the repository's ``report.toml``)."""
    lines = [
        "# Configuration of `overdose-trends report` (these values are the built-in defaults).",
        "#",
        "# Run `overdose-trends report --config report.toml --out reports/`; `--list` names the",
        "# figures, `--only NAME` builds one, `--force` rebuilds figures that are up to date.",
        "# Sections or keys left out keep their defaults; unknown keys are an error.",
        '# Periods are registration years, "2013-2015" (or [2013, 2015]); areas are GSS codes.',
        "",
        "# Data: the shipped extracts in data/ unless these name downloaded files (paths relative",
        "# to this file). `workbook` is an ONS local-authority edition, `national_workbook` the",
        "# national reference tables, `kit_log` a take-home naloxone event log (the shipped one",
        "# is SYNTHETIC).",
        '# workbook = "2019localauthorities1.xls"',
        '# national_workbook = "2021registrations.xlsx"',
        '# kit_log = "naloxone_kits.csv"',
    ]
    lines += _section_text(
        "summary", SummaryOptions(), "Summary table (summary.csv and the report page)."
    )
    for spec in registry:
        if spec.options is None:
            continue
        lines += _section_text(spec.name, spec.options(), f"Figure {spec.name}: {spec.title}.")
    return "\n".join(lines) + "\n"


# --- summary tables -----------------------------------------------------------------------------


def _summary_options(config: ReportConfig | SummaryOptions) -> SummaryOptions:
    return config.summary if isinstance(config, ReportConfig) else config


def summary_table(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """Published deaths and age-standardised rates for the configured areas and periods.

    Parameters
    ----------
    la : pandas.DataFrame
        ONS local-authority table (:func:`overdose_trends.io.datasets.la_deaths`).
    config : ReportConfig or SummaryOptions
        The ``[summary]`` areas, periods, measure and sex.

    Returns
    -------
    pandas.DataFrame
        One row per area and period: ``area_code``, ``area_name``, ``period``
        (label such as ``"2013-15"``), ``deaths``, ``rate``, ``lcl``, ``ucl``
        (per 100,000, 2013 ESP, 95% CI) and ``rate_status``, in the order of
        the configured areas.

    Raises
    ------
    KeyError
        If an area or period is not in the data.

    References
    ----------
    ONS, "Deaths related to drug poisoning by local authority, England and
    Wales", Tables 3-8 (three-year rates).
    """
    opts = _summary_options(config)
    frames = []
    for start, end in opts.periods:
        sel = select_rows(
            la, areas=opts.areas, measure=opts.measure, sex=opts.sex, periods=[(start, end)]
        ).copy()
        missing = set(opts.areas) - set(sel["area_code"])
        if missing:
            raise KeyError(f"no {opts.measure} rows for {sorted(missing)} in {start}-{end}")
        sel["period"] = period_text((start, end))
        frames.append(sel)
    out = pd.concat(frames)
    out["_order"] = out["area_code"].map({c: i for i, c in enumerate(opts.areas)})
    out = out.sort_values(["_order", "period_start"], kind="stable")
    cols = ["area_code", "area_name", "period", "deaths", "rate", "lcl", "ucl", "rate_status"]
    return out.loc[:, cols].reset_index(drop=True)


#: Columns :func:`report_summary` joins from the comparison.
COMPARISON_COLUMNS = (
    "comparison",
    "rate_ratio",
    "ratio_lcl",
    "ratio_ucl",
    "p_value",
    "ons_verdict",
    "verdict",
)


def comparison_table(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """The first and last ``[summary]`` periods compared for each area.

    Returns
    -------
    pandas.DataFrame
        :func:`overdose_trends.stats.compare.compare_periods` output for the configured
        areas (in their order) plus ``comparison`` (e.g. ``"2016-18 vs
        2013-15"``); empty when fewer than two periods are configured.

    References
    ----------
    See :func:`overdose_trends.stats.compare.compare_periods` (z-test on the log rate ratio;
    ONS overlapping-intervals rule).
    """
    from overdose_trends.stats.compare import compare_periods

    opts = _summary_options(config)
    if len(opts.periods) < 2:
        return pd.DataFrame(columns=["area_code", *COMPARISON_COLUMNS])
    before, after = opts.periods[0], opts.periods[-1]
    sel = select_rows(
        la, areas=opts.areas, measure=opts.measure, sex=opts.sex, periods=[before, after]
    )
    out = compare_periods(sel, before=before, after=after)
    out.insert(0, "comparison", f"{period_text(after)} vs {period_text(before)}")
    order = {c: i for i, c in enumerate(opts.areas)}
    out = out.sort_values("area_code", key=lambda s: s.map(order), kind="stable")
    return out.reset_index(drop=True)


def report_summary(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """:func:`summary_table` with the comparison verdicts joined on by area (``summary.csv``).

    Returns
    -------
    pandas.DataFrame
        The :func:`summary_table` columns, then ``comparison``, ``rate_ratio``,
        ``ratio_lcl``, ``ratio_ucl`` (after / before, 95% CI), ``p_value``,
        ``ons_verdict`` (overlapping-intervals rule) and ``verdict`` (test),
        repeated on each period row of an area.

    References
    ----------
    See :func:`summary_table` and :func:`comparison_table`.
    """
    table = summary_table(la, config)
    comparison = comparison_table(la, config)
    verdicts = comparison.loc[:, ["area_code", *COMPARISON_COLUMNS]]
    return table.merge(verdicts, on="area_code", how="left", validate="many_to_one")


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


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return {}
    figures = manifest.get("figures")
    return figures if isinstance(figures, dict) else {}


def _write_manifest(path: Path, figures: Mapping[str, Any]) -> None:
    from overdose_trends._version import __version__

    body = {"format": MANIFEST_FORMAT, "package_version": __version__, "figures": figures}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- building -----------------------------------------------------------------------------------


@dataclass
class ReportResult:
    """What :func:`build_report` did.

    Attributes
    ----------
    out_dir : Path
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


def _outputs(out_dir: Path, name: str) -> list[Path]:
    return [out_dir / "figures" / f"{name}.{ext}" for ext in FIGURE_FORMATS]


def _selected(registry: Registry, only: str | Sequence[str] | None) -> list[FigureSpec]:
    if not only:
        return list(registry)
    wanted = [only] if isinstance(only, str) else list(only)
    unknown = [n for n in wanted if n not in registry]
    if unknown:
        hint = _suggest(unknown[0], registry.names())
        raise ValueError(
            f"no figure named {', '.join(map(repr, unknown))}{hint}; "
            f"the figures are {', '.join(registry.names())}"
        )
    return [s for s in registry if s.name in wanted]


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
        Default: :class:`ReportConfig` defaults (the Southend and
        Norfolk/Norwich stories).
    force : bool, default False
        Rebuild the selected figures even when up to date.
    only : str or sequence of str, optional
        Consider only these figures (others are neither built nor removed).
    progress : bool, default True
        Show a tqdm progress bar.
    registry : Registry
        The figures (default :data:`overdose_trends.report.figures.REGISTRY`).

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
    upgrading matplotlib rebuilds too. Tables and pages are always rewritten (they take well under
    a second).

    References
    ----------
    See the module docstring.
    """
    from overdose_trends.plots.style import house_style, save_figure

    out = Path(out_dir)
    config = (config or ReportConfig()).with_defaults(registry)
    selected = _selected(registry, only)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    data = ReportData(config)
    manifest_path = out / MANIFEST
    entries = {k: v for k, v in _read_manifest(manifest_path).items() if k in registry}
    cache: dict[Path, str] = {}
    result = ReportResult(out)
    bar = tqdm(total=len(selected) + 1, desc="report", unit="step", disable=not progress)
    try:
        for spec in selected:
            bar.set_postfix_str(spec.name, refresh=False)
            digest = figure_hash(spec, config, data, cache)
            files = _outputs(out, spec.name)
            entry = entries.get(spec.name, {})
            if not force and entry.get("hash") == digest and all(f.is_file() for f in files):
                result.skipped.append(spec.name)
            else:
                _build_figure(spec, data, config, out, house_style, save_figure)
                inputs = figure_inputs(spec, config, data, cache)
                entries[spec.name] = {
                    "hash": digest,
                    "data": inputs["data"],
                    "config": list(inputs["config"]),
                    "outputs": [f.relative_to(out).as_posix() for f in files],
                }
                _write_manifest(manifest_path, entries)
                result.built.append(spec.name)
            result.paths.extend(files)
            bar.update()
        bar.set_postfix_str("tables and pages", refresh=False)
        result.paths.extend(_write_pages(out, config, data, registry))
        _write_manifest(manifest_path, entries)
        result.paths.append(manifest_path)
        bar.update()
    finally:
        bar.close()
    return result


def _build_figure(spec, data, config, out, house_style, save_figure) -> None:
    try:
        with house_style():
            fig = spec.builder(data, config)
            save_figure(fig, out / "figures" / spec.name, formats=FIGURE_FORMATS, dpi=300)
    except (KeyError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        raise ValueError(f"figure {spec.name!r}: {message}") from err
    finally:
        _close_all()


def _close_all() -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:  # a helper may have used pyplot
        sys.modules["matplotlib.pyplot"].close("all")


# --- pages --------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interval(rate: Any, lcl: Any, ucl: Any, digits: int = 1) -> str:
    if pd.isna(rate):
        return "not calculated"
    if pd.isna(lcl) or pd.isna(ucl):
        return _fmt(rate, digits)
    return f"{_fmt(rate, digits)} ({_fmt(lcl, digits)}-{_fmt(ucl, digits)})"


def _page_tables(summary: pd.DataFrame, comparison: pd.DataFrame):
    """(header, rows) of the rates table and of the comparison table, as display text."""
    rates_head = ["Area", "Code", "Period", "Deaths", "Rate (95% CI)", "Status"]
    rates = [
        [
            display_name(str(r.area_name)),
            str(r.area_code),
            str(r.period),
            _fmt(r.deaths),
            _interval(r.rate, r.lcl, r.ucl),
            str(r.rate_status).replace("_", " "),
        ]
        for r in summary.itertuples(index=False)
    ]
    comp_head = ["Area", "Comparison", "Rate ratio (95% CI)", "ONS rule (intervals)", "Test"]
    comp = [
        [
            display_name(str(r.area_name)),
            str(r.comparison),
            _interval(r.rate_ratio, r.ratio_lcl, r.ratio_ucl, 2),
            str(r.ons_verdict),
            str(r.verdict),
        ]
        for r in comparison.itertuples(index=False)
    ]
    return (rates_head, rates), (comp_head, comp)


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*[]<>|" else c for c in text)


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |"]
    lines.append("|" + "|".join("---" for _ in head) + "|")
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return lines


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def _data_note(config: ReportConfig, data: ReportData) -> str:
    if config.workbook is not None:
        return f"ONS local-authority workbook {config.workbook.name}"
    edition = int(data.la["edition"].max())
    return f"the shipped ONS local-authority extract ({edition} edition, data/)"


def _write_pages(out: Path, config: ReportConfig, data: ReportData, registry: Registry):
    from overdose_trends._version import __version__
    from overdose_trends.io.ons_local import check_consistency

    la = data.la
    opts = config.summary
    try:
        summary = report_summary(la, opts)
    except KeyError as err:
        raise ValueError(f"[summary] {err.args[0] if err.args else err}") from err
    summary.to_csv(out / "summary.csv", index=False)
    checks = check_consistency(la)
    checks.to_csv(out / "consistency.csv", index=False)
    comparison = comparison_table(la, opts)
    (rates_head, rates), (comp_head, comp) = _page_tables(summary, comparison)

    title = "Deaths related to drug poisoning and take-home naloxone: report"
    intro = (
        f"Built by overdose_trends {__version__} from {_data_note(config, data)}. "
        f"Summary: drug {opts.measure}, {opts.sex}; age-standardised rates per 100,000 "
        "(2013 European Standard Population) with 95% confidence limits, as published by ONS. "
        "ONS does not calculate rates from fewer than 10 deaths and marks those from 10-19 "
        "deaths unreliable."
    )
    compare_note = (
        "The test is a z-test on the log rate ratio; the ONS rule calls a change significant "
        "only when the two 95% intervals do not overlap, which is more conservative."
    )
    checks_note = f"Consistency checks on the data: {len(checks)} finding(s), see consistency.csv."
    figures = [(s, _outputs(out, s.name)) for s in registry]

    md = [f"# {_md_escape(title)}", "", _md_escape(intro), "", "## Summary", ""]
    md += _md_table(rates_head, rates)
    if comp:
        md += ["", "### Change between periods", "", _md_escape(compare_note), ""]
        md += _md_table(comp_head, comp)
    md += ["", "Table: summary.csv.", "", "## Figures", ""]
    for number, (spec, files) in enumerate(figures, 1):
        md.append(f"### {number}. {_md_escape(spec.title)}")
        md.append("")
        if all(f.is_file() for f in files):
            png, *others = (f.relative_to(out).as_posix() for f in files)
            md.append(f"![{_md_escape(spec.title)}]({png})")
            md.append("")
            md.append(_md_escape(spec.caption))
            md.append("")
            links = " · ".join(f"[{p.rsplit('.', 1)[1].upper()}]({p})" for p in (png, *others))
            md.append(f"Files: {links}")
        else:
            md.append(f"Not built yet: run `overdose-trends report --only {spec.name}`.")
        md.append("")
    md += ["## Data checks", "", _md_escape(checks_note), "", "## Sources", ""]
    md += [
        _md_escape(SOURCE_LA),
        "",
        "Naloxone kit figures from the shipped log are SYNTHETIC (simulated); they illustrate "
        "the methods and are not any service's figures.",
        "",
    ]
    (out / "index.md").write_text("\n".join(md), encoding="utf-8")

    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        "<style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45;color:#222}",
        "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}",
        "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}",
        "th{background:#f2f2f2}figure{margin:2rem 0}img{max-width:100%;height:auto}",
        "figcaption{font-size:.9rem;color:#444}",
        "</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{e(intro)}</p>",
        "<h2>Summary</h2>",
        _html_table(rates_head, rates),
    ]
    if comp:
        parts += ["<h3>Change between periods</h3>", f"<p>{e(compare_note)}</p>"]
        parts.append(_html_table(comp_head, comp))
    parts += ['<p>Table: <a href="summary.csv">summary.csv</a>.</p>', "<h2>Figures</h2>"]
    for number, (spec, files) in enumerate(figures, 1):
        parts.append(f'<figure id="{e(spec.name)}">')
        parts.append(f"<h3>{number}. {e(spec.title)}</h3>")
        if all(f.is_file() for f in files):
            rel = [f.relative_to(out).as_posix() for f in files]
            parts.append(f'<img src="{e(rel[0])}" alt="{e(spec.title)}" loading="lazy">')
            links = " · ".join(
                f'<a href="{e(p)}">{e(p.rsplit(".", 1)[1].upper())}</a>' for p in rel
            )
            parts.append(f"<figcaption>{e(spec.caption)}<br>Files: {links}</figcaption>")
        else:
            parts.append(
                f"<figcaption>Not built yet: run <code>overdose-trends report --only "
                f"{e(spec.name)}</code>.</figcaption>"
            )
        parts.append("</figure>")
    parts += [
        "<h2>Data checks</h2>",
        f"<p>Consistency checks on the data: {len(checks)} finding(s), see "
        '<a href="consistency.csv">consistency.csv</a>.</p>',
        "<h2>Sources</h2>",
        f"<p>{e(SOURCE_LA)}</p>",
        "<p>Naloxone kit figures from the shipped log are SYNTHETIC (simulated); they "
        "illustrate the methods and are not any service's figures.</p>",
        "</body>",
        "</html>",
    ]
    (out / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return [out / "summary.csv", out / "consistency.csv", out / "index.md", out / "index.html"]
