"""Reference constants used across the package, each with its source.

Everything that is a published convention rather than a computation lives
here: the 2013 European Standard Population, the meaning of ONS table
markers, GSS area-code prefixes, the ONS small-number rules, the PHE/ONS
confidence-interval and funnel-plot conventions, and the take-home naloxone
evidence used as defaults by :mod:`overdose_trends.stats.kit_metrics` and
:mod:`overdose_trends.stats.averted`.
"""

from __future__ import annotations

import re
from types import MappingProxyType

#: Rates in ONS local-authority tables are per 100,000 population.
PER_100K = 100_000
#: Rates in the ONS national reference tables are per 1,000,000 population.
PER_MILLION = 1_000_000

# --- ONS small-number rules ---------------------------------------------------------
#: ONS does not calculate a rate from fewer than this many deaths (footnote 3 of the
#: ONS drug-poisoning tables: "Rates are not calculated when the number of deaths are
#: fewer than ten").
MIN_DEATHS_FOR_RATE = 10
#: Rates from fewer than this many deaths (but at least MIN_DEATHS_FOR_RATE) are
#: flagged unreliable ("Rates when deaths are between 10 and 19 are considered
#: unreliable").
MIN_DEATHS_RELIABLE = 20

# --- PHE/ONS interval conventions -----------------------------------------------------
#: The PHE rule for Poisson limits on a count: exact limits below this many events, Byar's
#: approximation from here up (``overdose_trends.stats.intervals.poisson_limits(method="phe")``,
#: used for crude rates and the funnel significance test). Source: PHE (2018) Technical
#: Guide: Confidence Intervals / PHEindicatormethods ``phe_rate`` and
#: ``assign_funnel_significance`` ("exact method for counts < 10, Byar's method otherwise").
BYAR_MIN_COUNT = 10

#: ONS uses exact Poisson limits (via Dobson) for fewer than this many deaths and the
#: normal approximation at or above it. Source: ONS drug-poisoning statistical bulletins,
#: "Measuring the data" / reference-table notes on confidence intervals for ASMRs.
ONS_NORMAL_MIN_DEATHS = 100

#: Confidence level of the limits in ONS tables (95%). Source: ONS drug-poisoning
#: reference tables ("95% confidence intervals").
ONS_LIMITS_CONF = 0.95

# --- funnel plots ---------------------------------------------------------------------
#: Confidence levels of the funnel control limits: "2 s.d." and "3 s.d." (two-sided).
#: Source: PHE Fingertips technical guidance (funnel plots); PHEindicatormethods
#: ``calculate_funnel_limits`` (0.025 and 0.001 in each tail).
FUNNEL_LEVELS = (0.95, 0.998)

#: Below this many events PHEindicatormethods gives a DSR no funnel significance ("Not
#: applicable for events less than 10 for dsrs") and no plotted point. (The limits of the
#: significance test itself follow BYAR_MIN_COUNT.) Source: PHEindicatormethods
#: ``assign_funnel_significance`` and ``calculate_funnel_points``.
PHE_FUNNEL_MIN_EVENTS = 10

# --- ONS table markers ----------------------------------------------------------------
#: Marker text found in ONS cells -> rate_status. Older editions (to 2021) use ":" for
#: "not calculated" and "u"/"U" beside the rate for "unreliable". The accessible layout
#: (GSS guidance "Symbols, suppression and rounding", used by ONS from 2022) writes
#: shorthand in square brackets: [x] not available, [c] confidential (suppressed),
#: [z] not applicable, [u] low reliability, [low] rounds to zero.
#: Source: ONS drug-poisoning workbooks (footnotes) and the Government Analysis
#: Function guidance "Symbols in tables, definitions and shorthand" (2021).
MARKERS = MappingProxyType(
    {
        ":": "not_calculated",
        "..": "not_available",
        "-": "not_available",
        "u": "unreliable",
        "[u]": "unreliable",
        "[x]": "not_available",
        "[z]": "not_available",
        "[c]": "suppressed",
        "[low]": "not_available",  # rounds to zero: no value to show
        "*": "unreliable",
    }
)

# --- sex labels ------------------------------------------------------------------------
#: Labels used for sex in published tables -> the ``sex`` value of tidy outputs.
SEX_LABELS = MappingProxyType(
    {
        "persons": "persons",
        "people": "persons",
        "all persons": "persons",
        "males": "males",
        "male": "males",
        "men": "males",
        "females": "females",
        "female": "females",
        "women": "females",
    }
)

# --- GSS area codes ----------------------------------------------------------------
#: A GSS statistical geography code: a country letter and eight digits (e.g. E06000033).
GSS_CODE = re.compile(r"^[EWKSN]\d{8}$")

#: GSS code entity prefix -> area level. Source: ONS "Code history database" /
#: "Register of geographic codes" (entity codes).
AREA_LEVELS = MappingProxyType(
    {
        "K04": "country",  # England and Wales
        "K02": "country",  # United Kingdom
        "K03": "country",  # Great Britain
        "E92": "country",
        "W92": "country",
        "S92": "country",
        "N92": "country",
        "E12": "region",
        "E13": "inner_outer_london",
        "E10": "county",
        "E11": "metropolitan_county",
        "E06": "unitary",
        "W06": "unitary",
        "E07": "district",
        "E08": "metropolitan_district",
        "E09": "london_borough",
        "S12": "council_area",
        "N09": "district",
    }
)

# --- take-home naloxone evidence ------------------------------------------------------
#: First day on which drug services in England could supply naloxone without a prescription:
#: the Human Medicines (Amendment) (No. 3) Regulations 2015 (SI 2015/1503), in force
#: 1 October 2015 (Schedule 17 exemption for drug treatment services). Earlier events in an
#: English kit log are possible (prescribed kits, pilots) but unusual, so they draw a warning.
ENGLAND_SUPPLY_START = "2015-10-01"
#: Kits to issue per year per annual opiate-related death. Source: Bird SM, Parmar MKB,
#: Strang J (2015), Take-home naloxone to prevent fatalities from opiate-overdose,
#: *Drugs: Education, Prevention and Policy* 22(1):66-76.
BIRD_BENCHMARK = 20
#: The lower figure of the same paper ("at least 9 times").
BIRD_MINIMUM = 9
#: A take-home naloxone use rate (kits returned used / kits issued) above this within one
#: scope is implausible: same-scope rates observed in UK programmes are 3-13% (Scotland
#: about 13% in 2018/19, Wales 7-10%, a Norfolk programme 3%; see
#: :func:`overdose_trends.stats.kit_metrics.use_rate`).
IMPLAUSIBLE_USE_RATE = 0.5

#: (low, central, high) of P(fatal) at a witnessed overdose without naloxone, a range set
#: from: 6% (9/153, 95% CI 2-11%) of overdoses witnessed by trained bystanders in Bird,
#: Parmar & Strang (2015); about 1 death averted per 10 kits used in British Columbia
#: (Irvine et al. 2018, *Lancet Public Health* 3(5):e218-e225); roughly 1 fatal to 15
#: non-fatal overdoses (Casillas et al. 2024, *Injury Prevention* 30:114-120). See
#: :mod:`overdose_trends.stats.averted`.
P_FATAL_WITHOUT = (0.05, 0.10, 0.15)
#: (low, central, high) of P(fatal) after take-home naloxone: 1 death in 123 treated
#: overdoses, McDonald R, Strang J (2016), *Addiction* 111(7):1177-1187.
P_FATAL_WITH = (0.004, 0.008, 0.012)
#: (low, central, high) kits distributed per death averted: 227 (95% CI 71-716), Coffin PO,
#: Sullivan SD (2013), *Annals of Internal Medicine* 158(1):1-9 (US heroin users).
COFFIN_SULLIVAN_KITS_PER_DEATH_AVERTED = (71.0, 227.0, 716.0)
#: Kits distributed per death averted in British Columbia 2012-16: 19,074 kits / 298 deaths
#: averted (95% CrI 91-474), Irvine MA et al. (2018), *Lancet Public Health* 3(5):e218-e225.
IRVINE_BC_KITS_PER_DEATH_AVERTED = (19_074 / 474, 19_074 / 298, 19_074 / 91)

# --- 2013 European Standard Population ------------------------------------------------
#: Age bands of the 2013 ESP, 19-band form (0-4 ... 85-89, 90+), as used by ONS and
#: PHE/OHID (PHEindicatormethods ``esp2013``). Lower age of each band.
ESP2013_BAND_STARTS = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)
#: Band labels matching ESP2013_BAND_STARTS.
ESP2013_BANDS = tuple(f"{a}-{a + 4}" if a < 90 else "90+" for a in ESP2013_BAND_STARTS)
#: Weights (per 100,000 standard population) for the 19 bands. Source: Eurostat (2013)
#: "Revision of the European Standard Population: report of Eurostat's task force",
#: Luxembourg, table 3.4; the same values as PHEindicatormethods::esp2013.
ESP2013_WEIGHTS = (
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
)
#: 20-band form: the first band split into under 1 (1,000) and 1-4 (4,000). Lower age
#: of each band.
ESP2013_BAND_STARTS_20 = (0, 1, *ESP2013_BAND_STARTS[1:])
#: Band labels of the 20-band form (``"0"``, ``"1-4"``, ``"5-9"`` ... ``"90+"``).
ESP2013_BANDS_20 = ("0", "1-4", *ESP2013_BANDS[1:])
#: Weights of the 20-band form (per 100,000 standard population).
ESP2013_WEIGHTS_20 = (1000, 4000, *ESP2013_WEIGHTS[1:])

assert sum(ESP2013_WEIGHTS) == 100_000
assert sum(ESP2013_WEIGHTS_20) == 100_000


# --- Trend models --------------------------------------------------------------------------

#: NCI Joinpoint default: at least 2 observations before the first and after the
#: last joinpoint. Source for the NCI defaults here: Joinpoint help, "Grid Search
#: Method - Details", and the session options printed by Joinpoint 4.9.
NCI_MIN_OBS_END = 2
#: NCI Joinpoint default: at least 2 observations between joinpoints (joinpoints
#: not counted).
NCI_MIN_OBS_BETWEEN = 2
#: NCI Joinpoint default: 4,499 permutations per permutation test.
NCI_PERMUTATIONS = 4499
#: NCI Joinpoint default: overall significance level of the permutation tests.
NCI_ALPHA = 0.05
#: Joinpoint adds 0.5 to zero counts when analysing counts or crude rates
#: (Joinpoint help FAQ "Zeros in the Dependent Variable").
NCI_ZERO_COUNT = 0.5
#: Significance level of the one-sided Pearson chi-square test of a Poisson fit
#: (``X^2`` on ``df_resid`` degrees of freedom) below which the trend models treat
#: the counts as overdispersed. McCullagh & Nelder (1989), Generalized Linear
#: Models, 2nd ed., section 4.4.3; Cameron & Trivedi (2013), Regression Analysis
#: of Count Data, 2nd ed., section 5.
OVERDISPERSION_LEVEL = 0.05
