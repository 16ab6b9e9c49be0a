"""The report's configuration: what it covers, read from and written to ``report.toml``.

A :class:`ReportConfig` holds the data files (the shipped extracts unless
set), the ``[summary]`` section (:class:`SummaryOptions`) and one options
section per figure. Which figure sections exist is not known here: the figure
registry is handed in (:func:`load_config`, :func:`default_toml`,
:meth:`ReportConfig.with_defaults`), so the configuration never imports the
figures. The defaults (written out, with comments, in the repository's
``report.toml`` by :func:`default_toml`) tell the Southend and Norfolk/Norwich
stories with England as the benchmark.

References
----------
TOML v1.0.0 specification, https://toml.io/en/v1.0.0 (configuration format).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from overdose_trends.report._common import did_you_mean
from overdose_trends.report.options import (
    Options,
    as_area_codes,
    as_periods,
    measure_option,
    option,
    sex_option,
)

__all__ = [
    "DEFAULT_AREAS",
    "DEFAULT_PERIODS",
    "EDITION_KEYS",
    "ENGLAND",
    "ENGLAND_AND_WALES",
    "FLAG_KEYS",
    "NORFOLK",
    "NORWICH",
    "PATH_KEYS",
    "SOUTHEND",
    "ConfigError",
    "FigureSections",
    "ReportConfig",
    "SummaryOptions",
    "default_toml",
    "load_config",
]

ENGLAND = "E92000001"
ENGLAND_AND_WALES = "K04000001"
SOUTHEND = "E06000033"
NORWICH = "E07000148"
NORFOLK = "E10000020"

#: Areas of the default summary: the Southend and Norfolk/Norwich stories, with England.
DEFAULT_AREAS = (SOUTHEND, NORWICH, NORFOLK, ENGLAND)
#: Periods of the default summary (the first and last are compared).
DEFAULT_PERIODS = ((2013, 2015), (2016, 2018))
#: Top-level config keys holding file paths (relative paths are relative to the config file).
PATH_KEYS = ("workbook", "national_workbook", "kit_log")
#: Top-level true/false keys: ``safe_csv`` (neutralise formula-like text in the report's
#: CSV files, see ``overdose_trends._output.write_csv``) and ``excel`` (also write
#: the summary tables as ``summary.xlsx``).
FLAG_KEYS = ("safe_csv", "excel")
#: Top-level key naming a folder of page templates that replace the built-in ones.
TEMPLATES_KEY = "templates"
#: Key of every figure section: ``enabled = false`` leaves the figure out of the report.
ENABLED_KEY = "enabled"
#: Top-level keys naming a published ONS edition instead of a file: key -> (dataset, path key).
#: The edition (a registration year or "latest") is downloaded into the download cache
#: (:func:`overdose_trends.io.editions.download_edition`) and used as that path key's file.
EDITION_KEYS = {
    "la_edition": ("la", "workbook"),
    "national_edition": ("national", "national_workbook"),
}


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


class _Section(Protocol):
    """A registered figure as the configuration sees it (a ``FigureSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def options(self) -> type[Options] | None: ...


class FigureSections(Protocol):
    """What the configuration needs of a figure registry.

    :class:`overdose_trends.report.registry.Registry` is one: its figures in
    page order, and the options class of each figure that has settings.
    """

    def __iter__(self) -> Iterator[_Section]: ...

    def options(self) -> dict[str, type[Options]]: ...


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
        Options of each figure, by figure name (the ``[name]`` sections); empty
        by default: :meth:`with_defaults` adds the defaults of a registry's
        figures (:func:`load_config` and
        :func:`~overdose_trends.report.build.build_report` do so).
    source : Path, optional
        The file the configuration was read from (for messages; not compared).
    la_edition, national_edition : int, optional
        The ONS edition (registration year) named by ``la_edition`` /
        ``national_edition`` in the file; its downloaded copy is then
        ``workbook`` / ``national_workbook``.
    disabled : tuple of str
        Figures left out of the report (``enabled = false`` in their section).
    templates : Path, optional
        Folder of page templates (``index.html.j2``, ``index.md.j2``) used
        instead of the built-in ones of the same name.
    safe_csv : bool, default True
        Neutralise text cells of the CSV files that a spreadsheet would run as
        a formula (a leading apostrophe before ``=``, ``+``, ``-``, ``@``, tab
        or carriage return). Set false for files read only by programs.
    excel : bool, default True
        Also write the summary tables as ``summary.xlsx`` (government
        good-practice layout).
    """

    workbook: Path | None = None
    national_workbook: Path | None = None
    kit_log: Path | None = None
    summary: SummaryOptions = field(default_factory=SummaryOptions)
    figures: Mapping[str, Options] = field(default_factory=dict)
    source: Path | None = field(default=None, compare=False)
    la_edition: int | None = None
    national_edition: int | None = None
    disabled: tuple[str, ...] = ()
    templates: Path | None = None
    safe_csv: bool = True
    excel: bool = True

    def __post_init__(self) -> None:
        for key in (*PATH_KEYS, TEMPLATES_KEY):
            value = getattr(self, key)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, key, Path(value))
        object.__setattr__(self, "figures", dict(self.figures))
        object.__setattr__(self, "disabled", tuple(sorted(set(self.disabled))))

    def enabled(self, name: str) -> bool:
        """False for a figure turned off with ``enabled = false``."""
        return name not in self.disabled

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

    def with_defaults(self, registry: FigureSections) -> ReportConfig:
        """A copy with default options for the registry's figures that have no section."""
        missing = {n: cls() for n, cls in registry.options().items() if n not in self.figures}
        if not missing:
            return self
        return dataclasses.replace(self, figures={**self.figures, **missing})


# --- reading ------------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str], registry: FigureSections) -> ReportConfig:
    """Read a report configuration from a TOML file.

    Parameters
    ----------
    path : path-like
        TOML file: optional top-level ``workbook``, ``national_workbook`` and
        ``kit_log`` paths (relative to the file's folder) or, instead of a
        workbook, ``la_edition`` / ``national_edition`` (an ONS registration
        year such as ``2023``, or ``"latest"``: downloaded and verified by
        :func:`overdose_trends.io.editions.download_edition`), a ``[summary]``
        section and one section per figure (``[rate_trend]``, ``[funnel]``
        ...). Sections and keys left out keep their defaults. Periods may be
        written in any notation of :func:`overdose_trends.schema.as_period`.
    registry : FigureSections
        The figures whose sections are allowed, e.g.
        ``overdose_trends.report.figures.REGISTRY``.

    Returns
    -------
    ReportConfig
        With the default options of every figure of ``registry`` not in the file.

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
    raw = _read_toml(path)
    options = registry.options()
    sections = ["summary", *(spec.name for spec in registry)]
    top = [*PATH_KEYS, *EDITION_KEYS, *FLAG_KEYS, TEMPLATES_KEY]
    kwargs: dict[str, Any] = {}
    figures: dict[str, Options] = {}
    disabled: list[str] = []
    for key, value in raw.items():
        if key in PATH_KEYS:
            kwargs[key] = _data_file(path, key, value)
        elif key in EDITION_KEYS:
            kwargs[key] = value
        elif key in FLAG_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false, got {value!r}", file=path)
            kwargs[key] = value
        elif key == TEMPLATES_KEY:
            kwargs[key] = _template_folder(path, value)
        elif key == "summary":
            kwargs["summary"] = _section(path, key, value, SummaryOptions)
        elif key in sections:
            value = _enabled(path, key, value, disabled)
            if key in options:
                figures[key] = _section(path, key, value, options[key])
            elif value:
                raise ConfigError(
                    f"figure {key} has no settings besides {ENABLED_KEY}", file=path, section=key
                )
        else:
            known = [*top, *sections]
            what = f"section [{key}]" if isinstance(value, dict) else f"key {key!r}"
            raise ConfigError(
                f"unknown {what}{did_you_mean(key, known)}; expected the keys "
                f"{', '.join(top)} and the sections {', '.join(sections)}",
                file=path,
                key=key,
            )
    for key in EDITION_KEYS:
        if key in kwargs:
            _edition(path, key, kwargs)
    config = ReportConfig(**kwargs, figures=figures, source=path, disabled=tuple(disabled))
    return config.with_defaults(registry)


def _enabled(path: Path, name: str, value: Any, disabled: list[str]) -> Any:
    """``value`` without its ``enabled`` key (noting ``enabled = false`` in ``disabled``)."""
    if not isinstance(value, dict) or ENABLED_KEY not in value:
        return value
    flag = value[ENABLED_KEY]
    if not isinstance(flag, bool):
        raise ConfigError(
            f"{ENABLED_KEY}: expected true or false, got {flag!r}",
            file=path,
            section=name,
            key=ENABLED_KEY,
        )
    if not flag:
        disabled.append(name)
    return {k: v for k, v in value.items() if k != ENABLED_KEY}


def _template_folder(path: Path, value: Any) -> Path:
    """The templates folder named in the file (relative to the file's folder)."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{TEMPLATES_KEY}: expected a folder path, got {value!r}", file=path)
    folder = Path(value).expanduser()
    folder = folder if folder.is_absolute() else path.parent / folder
    if not folder.is_dir():
        raise FileNotFoundError(f"{path}: {TEMPLATES_KEY}: no such folder {str(folder)!r}")
    return folder


def _edition(path: Path, key: str, kwargs: dict[str, Any]) -> None:
    """Resolve ``la_edition``/``national_edition`` to a downloaded file (in ``kwargs``).

    Downloads the edition unless it is cached (offline mode and the cache
    folder are those of :func:`overdose_trends.io.fetch.fetch`).
    """
    from overdose_trends.io.editions import download_edition, edition_info

    dataset, path_key = EDITION_KEYS[key]
    value = kwargs[key]
    if path_key in kwargs:
        raise ConfigError(f"{key} and {path_key} both name the data: keep one", file=path, key=key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(
            f'{key}: expected a registration year (e.g. 2023) or "latest", got {value!r}',
            file=path,
            key=key,
        )
    try:
        info = edition_info(dataset, value)
    except ValueError as err:
        raise ConfigError(f"{key}: {err}", file=path, key=key) from None
    kwargs[key] = info.year
    kwargs[path_key] = download_edition(dataset, info.year)


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when a file is read (the built-in defaults need none)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", file=path) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not a UTF-8 text file: {err}", file=path) from None


def _data_file(path: Path, key: str, value: Any) -> Path:
    """The data file named by top-level ``key`` (relative to the config file's folder)."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a file path, got {value!r}", file=path, key=key)
    file = Path(value).expanduser()
    file = file if file.is_absolute() else path.parent / file
    if not file.is_file():
        raise FileNotFoundError(f"{path}: {key}: no such file {str(file)!r}")
    return file


def _section(path: Path, name: str, value: Any, cls: type[Options]) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(
            f"expected a table of settings (a [{name}] section), got {value!r}",
            file=path,
            section=name,
        )
    allowed = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key in value:
        if key not in allowed:
            allowed = allowed if name == "summary" else [ENABLED_KEY, *allowed]
            raise ConfigError(
                f"unknown key {key!r}{did_you_mean(key, allowed)}; expected {', '.join(allowed)}",
                file=path,
                section=name,
                key=key,
            )
    try:
        return cls(**value)
    except ValueError as err:
        key = str(err).split(":", 1)[0]
        raise ConfigError(str(err), file=path, section=name, key=key) from None


# --- writing ------------------------------------------------------------------------------------


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


def _section_text(name: str, options: Options | None, doc: str, figure: bool) -> list[str]:
    lines = ["", f"# {doc}", f"[{name}]"]
    if figure:
        lines += ["# false leaves this figure out of the report", f"{ENABLED_KEY} = true"]
    if options is None:
        return lines
    for f in dataclasses.fields(options):  # type: ignore[arg-type]
        if f.metadata.get("help"):
            lines.append(f"# {f.metadata['help']}")
        lines.append(f"{f.name} = {_toml_value(getattr(options, f.name))}")
    return lines


_HEADER = (
    "# Configuration of `overdose-trends report` (these values are the built-in defaults).",
    "#",
    "# Run `overdose-trends report --config report.toml --out reports/`; `--list` names the",
    "# figures, `--only NAME` builds one, `--force` rebuilds figures that are up to date.",
    "# Sections or keys left out keep their defaults; unknown keys are an error.",
    '# Periods are registration years: "2013-2015", "2013-15", "2013 to 2015", [2013, 2015]',
    "# or a single year 2016; areas are GSS codes.",
    "",
    "# Data: the shipped extracts in data/ unless these name downloaded files (paths relative",
    "# to this file). `workbook` is an ONS local-authority edition, `national_workbook` the",
    "# national reference tables, `kit_log` a take-home naloxone event log (the shipped one",
    "# is SYNTHETIC).",
    '# workbook = "2019localauthorities1.xls"',
    '# national_workbook = "2021registrations.xlsx"',
    '# kit_log = "naloxone_kits.csv"',
    "# Or name a published ONS edition instead of a workbook (downloaded once, then cached):",
    '# la_edition = "latest"',
    "# national_edition = 2021",
    "",
    "# Outputs: CSV text cells that a spreadsheet would run as a formula (starting =, +, -, @)",
    "# get a leading apostrophe unless safe_csv = false; excel = false skips summary.xlsx;",
    "# templates names a folder of page templates (index.html.j2, index.md.j2) replacing the",
    "# built-in ones.",
    "safe_csv = true",
    "excel = true",
    '# templates = "my_templates"',
)


def default_toml(registry: FigureSections) -> str:
    """The default configuration as commented TOML (the repository's ``report.toml``).

    Parameters
    ----------
    registry : FigureSections
        The figures whose sections are written, in page order, e.g.
        ``overdose_trends.report.figures.REGISTRY``.

    Returns
    -------
    str
        The header comments, the ``[summary]`` section and one section per
        figure (``enabled = true`` and its options), every key with its help
        text as a comment.
    """
    lines = list(_HEADER)
    lines += _section_text(
        "summary", SummaryOptions(), "Summary table (summary.csv and the report page).", False
    )
    for spec in registry:
        options = spec.options() if spec.options is not None else None
        lines += _section_text(spec.name, options, f"Figure {spec.name}: {spec.title}.", True)
    return "\n".join(lines) + "\n"
