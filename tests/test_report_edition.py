# ruff: noqa: F811 (the `server` and `registry` fixtures are imported from other test modules)
"""report.toml naming an ONS edition (`la_edition`, `national_edition`) instead of a file."""

from __future__ import annotations

import pytest

from overdose_trends.io.fetch import ENV_CACHE
from overdose_trends.report.config import ConfigError, load_config
from overdose_trends.report.data import ReportData
from overdose_trends.report.figures import REGISTRY
from tests.test_fetch import _isolated_env, server  # noqa: F401
from tests.test_fetch_editions import registry  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:.*do not cover the same areas:UserWarning")


def _config(tmp_path, text):
    path = tmp_path / "report.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_edition_key_downloads_and_feeds_the_report(registry, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    config = load_config(
        _config(tmp_path, 'la_edition = 2023\nnational_edition = "2023"\n'), REGISTRY
    )
    assert config.la_edition == 2023 and config.national_edition == 2023
    assert config.workbook.name.endswith("-2023localauthorities.xlsx")
    assert config.national_workbook.name.endswith("-2023registrations.xlsx")
    data = ReportData(config)
    assert data.path("la_deaths") == config.workbook and not data.is_shipped("la_deaths")
    southend = data.la.query(
        "area_code == 'E06000033' and measure == 'poisoning' and sex == 'persons'"
        " and period_start == 2013 and period_end == 2015"
    )
    assert southend["rate"].tolist() == [8.8]  # ONS LA19 Table 3


def test_edition_and_workbook_together_is_an_error(tmp_path):
    (tmp_path / "w.xlsx").write_bytes(b"x")
    with pytest.raises(ConfigError, match="la_edition and workbook both"):
        load_config(_config(tmp_path, 'workbook = "w.xlsx"\nla_edition = 2023\n'), REGISTRY)


@pytest.mark.parametrize("value", ["2015", '"newest"', "true", "[2023]"])
def test_bad_edition_values(tmp_path, value):
    with pytest.raises(ConfigError, match="la_edition"):
        load_config(_config(tmp_path, f"la_edition = {value}\n"), REGISTRY)


def test_unknown_key_suggests_the_edition_keys(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'la_edition'"):
        load_config(_config(tmp_path, "la_editon = 2023\n"), REGISTRY)
