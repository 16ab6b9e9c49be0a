"""The registry of the report's figures: each one named, with its inputs, options and builder.

Each figure of ``overdose-trends report`` is one :class:`FigureSpec` in a
:class:`Registry` (the report's own is
``overdose_trends.report.figures.REGISTRY``): a ``name`` (also the file
stem and the TOML section of its options), a ``builder``
``(data, config) -> matplotlib.figure.Figure``, the ``inputs`` it depends on
(data inputs from :data:`~overdose_trends.report.data.DATA_INPUTS` and config
sections) and an ``options`` dataclass, the ``[name]`` section of
``report.toml``. The report hashes exactly these inputs to decide whether a
figure is up to date, so a builder must read only the data and sections it
lists (its own section is always included).

Adding a figure is one decorated private function (and, if it has settings,
its options class, see :mod:`overdose_trends.report.options`)::

    @dataclass(frozen=True)
    class JoinpointOptions(Options):
        area_code: str = option("K04000001", as_area_code, "series to fit")
        measure: str = measure_option()
        sex: str = sex_option()

    @REGISTRY.figure(
        "joinpoint_national",
        inputs=("national_deaths",),
        options=JoinpointOptions,
        title="Joinpoint regression, England and Wales",
        caption="...",
    )
    def _joinpoint_national(data: ReportData, config: ReportConfig) -> Figure:
        opts = config.section("joinpoint_national")
        ...

A builder raises ``ValueError`` (naming ``[section] key``) when the figure
cannot be drawn from the configured data, e.g. no kit data for the area: the
report then lists the figure with that reason and builds the rest. A caption may
be a function ``(data, config) -> str`` when its wording depends on the data
(the kits caption says SYNTHETIC only for the shipped simulated log).

Registration order is page order. Once registered, the figure is built,
hashed, listed by ``--list``, accepted by ``--only`` and ``[name]`` in TOML,
linked from the index pages, and written to ``report.toml`` by
:func:`overdose_trends.report.config.default_toml`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from overdose_trends.report.data import DATA_INPUTS, ReportData
from overdose_trends.report.options import Options

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from overdose_trends.report.config import ReportConfig

__all__ = ["Builder", "Caption", "FigureSpec", "FigureState", "Registry"]

#: A figure builder: ``builder(data, config) -> matplotlib.figure.Figure``.
Builder = Callable[[ReportData, "ReportConfig"], "Figure"]
#: A caption: fixed text, or ``caption(data, config) -> str`` for wording that depends on
#: the data (e.g. whether the kit log is the shipped SYNTHETIC one). It must not load data.
Caption = str | Callable[[ReportData, "ReportConfig"], str]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report.

    Attributes
    ----------
    name : str
        Identifier: file stem (``figures/<name>.png``), TOML section of the
        options and the value of ``--only``.
    builder : callable
        ``builder(data, config) -> matplotlib.figure.Figure``; called inside
        the house style.
    inputs : tuple of str
        Data inputs (keys of :data:`~overdose_trends.report.data.DATA_INPUTS`)
        and config sections (other figures' names or ``"summary"``) the figure
        depends on, besides its own section.
    title : str
        Heading on the report page.
    caption : str or callable
        What the figure shows and how to read it (report page); a callable
        ``caption(data, config) -> str`` words it from the data inputs' origin
        (see :meth:`caption_text`).
    options : type, optional
        Dataclass (subclass of :class:`~overdose_trends.report.options.Options`)
        of the ``[name]`` section.
    """

    name: str
    builder: Builder
    inputs: tuple[str, ...]
    title: str
    caption: Caption
    options: type[Options] | None = None

    def caption_text(self, data: ReportData, config: ReportConfig) -> str:
        """The caption as shown for this configuration."""
        return self.caption if isinstance(self.caption, str) else self.caption(data, config)

    @property
    def sections(self) -> tuple[str, ...]:
        """Config sections hashed for this figure (its own first)."""
        own = (self.name,) if self.options is not None else ()
        return own + tuple(i for i in self.inputs if i not in DATA_INPUTS and i != self.name)

    @property
    def data_inputs(self) -> tuple[str, ...]:
        """Data inputs hashed for this figure."""
        return tuple(i for i in self.inputs if i in DATA_INPUTS)


@dataclass(frozen=True)
class FigureState:
    """Where a figure stands after a run, as the pages show it.

    Attributes
    ----------
    spec : FigureSpec
    status : {"current", "failed", "disabled", "missing"}
        ``current``: its files are up to date; ``failed``: it cannot be built
        from this data and configuration (``reason`` says why);
        ``disabled``: ``enabled = false``; ``missing``: not built yet or out
        of date (run with ``--only <name>``).
    files : list of Path
        Its files (PNG first).
    reason : str
        Why it failed (empty otherwise).
    """

    spec: FigureSpec
    status: str
    files: list[Path]
    reason: str = ""


class Registry:
    """An ordered collection of :class:`FigureSpec`, looked up by name."""

    def __init__(self) -> None:
        self._specs: dict[str, FigureSpec] = {}

    def add(self, spec: FigureSpec) -> FigureSpec:
        """Register ``spec``.

        Raises
        ------
        ValueError
            For a name already registered or not usable as a file stem, an input
            that is neither a data input nor the section of a registered figure
            (or ``"summary"``), or options that are not an ``Options`` dataclass.
        """
        if not spec.name.isidentifier():
            raise ValueError(f"figure name {spec.name!r} must be a Python identifier")
        if spec.name in self._specs or spec.name in ("summary", "report"):
            raise ValueError(f"figure name {spec.name!r} is already used")
        sections = ("summary", *self._specs)
        unknown = [i for i in spec.inputs if i not in DATA_INPUTS and i not in sections]
        if unknown:
            raise ValueError(
                f"figure {spec.name!r}: unknown input {unknown[0]!r}; expected data inputs "
                f"{', '.join(DATA_INPUTS)} or config sections {', '.join(sections)}"
            )
        if spec.options is not None and not (
            dataclasses.is_dataclass(spec.options) and issubclass(spec.options, Options)
        ):
            raise ValueError(f"figure {spec.name!r}: options must be an Options dataclass")
        self._specs[spec.name] = spec
        return spec

    def figure(
        self,
        name: str,
        *,
        inputs: tuple[str, ...],
        title: str,
        caption: Caption,
        options: type[Options] | None = None,
    ) -> Callable[[Builder], Builder]:
        """Decorator registering a builder under ``name`` (see :class:`FigureSpec`)."""

        def register(builder: Builder) -> Builder:
            self.add(FigureSpec(name, builder, tuple(inputs), title, caption, options))
            return builder

        return register

    def __getitem__(self, name: str) -> FigureSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(
                f"no figure named {name!r}; the figures are {', '.join(self._specs)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[FigureSpec]:
        return iter(list(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        """Figure names in registration order."""
        return list(self._specs)

    def options(self) -> dict[str, type[Options]]:
        """Options class of each figure that has one."""
        return {s.name: s.options for s in self._specs.values() if s.options is not None}
