"""The data the report's figures and tables are built from, loaded on first use.

The report reads four data inputs (:data:`DATA_INPUTS`): the ONS
local-authority and national tables, a take-home naloxone kit log and the
population by age band. Each is the extract shipped in ``data/``
(:mod:`overdose_trends.io.datasets`) unless the configuration names a
downloaded file. A figure declares the inputs it reads; the report hashes their
files to decide whether the figure is up to date.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from overdose_trends.report.config import ReportConfig

if TYPE_CHECKING:
    import pandas as pd

    from overdose_trends.io.kit_log import KitLog

__all__ = ["DATA_INPUTS", "ReportData"]

#: Data inputs a figure may depend on: name -> what it is. Their files are hashed.
DATA_INPUTS = {
    "la_deaths": "ONS deaths by local authority (shipped extract, config `workbook` or "
    "`la_edition`)",
    "national_deaths": "ONS national tables (shipped extract, config `national_workbook` or "
    "`national_edition`)",
    "kit_log": "take-home naloxone kit event log (shipped synthetic log or config `kit_log`)",
    "population": "mid-year population by ESP age band (shipped extract)",
}


class ReportData:
    """The data the figures are built from, loaded on first use.

    Parameters
    ----------
    config : ReportConfig
        Its ``workbook``, ``national_workbook`` and ``kit_log`` paths replace
        the shipped extracts (:mod:`overdose_trends.io.datasets`) when set.
    """

    def __init__(self, config: ReportConfig) -> None:
        self.config = config

    @cached_property
    def _shipped_dir(self) -> Path:
        from overdose_trends.io._shipped import data_dir  # paths only: no pandas

        return data_dir()

    def _files(self, name: str) -> tuple[Path | None, Path]:
        """(configured file or None, shipped file) of data input ``name``."""
        from overdose_trends.io import _shipped as ds  # paths only: no pandas

        own = {
            "la_deaths": (self.config.workbook, ds.LA_DEATHS_FILE),
            "national_deaths": (self.config.national_workbook, ds.NATIONAL_DEATHS_FILE),
            "kit_log": (self.config.kit_log, ds.SYNTHETIC_KIT_LOG_FILE),
            "population": (None, ds.POPULATION_FILE),
        }
        if name not in own:
            raise KeyError(f"unknown data input {name!r}; expected one of {sorted(own)}")
        given, shipped = own[name]
        return (None if given is None else Path(given)), self._shipped_dir / shipped

    def path(self, name: str) -> Path:
        """The file behind data input ``name`` (a key of :data:`DATA_INPUTS`)."""
        given, shipped = self._files(name)
        return shipped if given is None else given

    def is_shipped(self, name: str) -> bool:
        """True when data input ``name`` is the extract shipped in ``data/`` (not a config path)."""
        return self._files(name)[0] is None

    @property
    def synthetic_kits(self) -> bool:
        """True when the kit log is the shipped SYNTHETIC one."""
        return self.is_shipped("kit_log")

    @cached_property
    def la(self) -> pd.DataFrame:
        """Deaths by local authority (:func:`overdose_trends.io.datasets.la_deaths` layout)."""
        from overdose_trends.io.datasets import la_deaths
        from overdose_trends.io.ons_local import read_local_authority

        if self.config.workbook is not None:
            return read_local_authority(self.config.workbook)
        return la_deaths()

    @cached_property
    def national(self) -> pd.DataFrame:
        """National tables (:func:`overdose_trends.io.datasets.national_deaths` layout)."""
        from overdose_trends.io.datasets import national_deaths
        from overdose_trends.io.ons_national import read_national

        if self.config.national_workbook is not None:
            return read_national(
                self.config.national_workbook, tables=("deaths_by_sex", "asmr", "region")
            )
        return national_deaths()

    @cached_property
    def kit_log(self) -> KitLog:
        """The kit log, read and validated by :func:`overdose_trends.io.kit_log.read_kit_log`."""
        from overdose_trends.io.kit_log import read_kit_log

        return read_kit_log(self.path("kit_log"))

    @cached_property
    def kit_counts(self) -> pd.DataFrame:
        """Monthly counts of the kit log per service and in total (``service == "all"``)."""
        from overdose_trends.io.kit_counts import aggregate_kits

        return aggregate_kits(self.kit_log.events, "month", total=True)

    @cached_property
    def population(self) -> pd.DataFrame:
        """Population by ESP age band (:func:`overdose_trends.io.datasets.population_bands`)."""
        from overdose_trends.io.datasets import population_bands

        return population_bands()
