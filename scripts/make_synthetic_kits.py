"""Write SYNTHETIC take-home naloxone kit logs (no real person, kit or event).

The shipped sample, ``data/synthetic_naloxone_kits_southend_norfolk.csv``, is
shaped like two English services that started supplying kits without a
prescription when the law allowed it (1 October 2015):

* **Southend-on-Sea** (unitary authority E06000033): one service, about 250
  kits a year;
* **Norfolk** (county E10000020, the public-health commissioner of the
  two-tier area): three sites (Norwich, Great Yarmouth, King's Lynn) recorded
  as separate ``service`` values with the county's area code; about 4,000
  kits issued to the end of 2019.

Each kit is followed from issue to at most one terminal event. Per kit the
simulation draws: used on an overdose and reported (11%), lost or stolen
(8%), returned unused (3%), kept until it expires (10%; Prenoxad keeps for
three years, Nyxoid two), or no further record (68%). A used, lost or
expired kit is usually replaced the same day by a *repeat* supply to the
same kind of recipient; some people with no recorded return come back for
a repeat kit too. Events after the end of 2019 are not in the log, so the
use rate seen in the log is below 11% (9.4% in the shipped sample, in line
with the 7-13% seen in Wales and Scotland). Recipients: people at risk 76%, family or
friends 12%, service workers 4%, organisations 2%, prison leavers 6%. Kits
are injectable (Prenoxad, 5 doses) until nasal naloxone (Nyxoid, 2 doses)
was added to the supply rules in February 2019, after which its share rises
to about 60% by December 2019.

Usage::

    python scripts/make_synthetic_kits.py            # writes data/synthetic_naloxone_kits_*.csv
    python scripts/make_synthetic_kits.py --seed 7 --out /tmp

The same seed always gives byte-identical files. :func:`make_large` builds
logs of any size for ``benchmarks/bench_kits.py``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))  # runs from a checkout without installing

from overdose_trends.constants import ENGLAND_SUPPLY_START  # noqa: E402
from overdose_trends.schema import (  # noqa: E402
    DEFAULT_DOSES,
    EVENT_COLUMNS,
    RECIPIENT_TYPES,
)

DEFAULT_SEED = 20151001
LOG_FILE = "synthetic_naloxone_kits_southend_norfolk.csv"
MONTHLY_FILE = "synthetic_naloxone_kits_monthly.csv"
#: Columns written to the sample log: the tidy event columns without the generated ones.
LOG_COLUMNS = tuple(c for c in EVENT_COLUMNS if c not in ("event_id", "source_row"))

#: Recipient types drawn: all but "unknown", in the order of RECIPIENT_SHARES.
RECIPIENTS = tuple(r for r in RECIPIENT_TYPES if r != "unknown")
RECIPIENT_SHARES = (0.76, 0.12, 0.04, 0.02, 0.06)
#: Outcome of a kit: probability, and probability that a repeat kit follows it.
OUTCOMES = ("returned_used", "lost", "returned_unused", "expired", None)
OUTCOME_SHARES = (0.11, 0.08, 0.03, 0.10, 0.68)
REPEAT_AFTER = (0.80, 0.70, 0.05, 0.60, 0.15)
#: Mean days from issue to a used, lost or unused return; a repeat without a return.
MEAN_DELAY = {"returned_used": 150, "lost": 200, "returned_unused": 120, None: 300}
SHELF_LIFE_DAYS = {"injectable": 3 * 365, "nasal": 2 * 365}
NASAL_FROM = np.datetime64("2019-02-01")
NASAL_SHARE_END = 0.6


@dataclass(frozen=True)
class Service:
    """A synthetic service: name, area code, kit-id prefix and first supplies to simulate."""

    name: str
    area_code: str
    prefix: str
    first_supplies: int
    start: str = ENGLAND_SUPPLY_START
    end: str = "2019-12-31"


SAMPLE_SERVICES = (
    Service("Southend-on-Sea (synthetic)", "E06000033", "SOS", 780),
    Service("Norfolk: Norwich hub (synthetic)", "E10000020", "NWH", 1570),
    Service("Norfolk: Great Yarmouth (synthetic)", "E10000020", "GYA", 785),
    Service("Norfolk: King's Lynn (synthetic)", "E10000020", "KLY", 785),
)


def _nasal_share(days: np.ndarray) -> np.ndarray:
    """Share of kits that are nasal on each day (0 before Feb 2019, rising to 60% by Dec)."""
    months = (days - NASAL_FROM).astype("timedelta64[D]").astype(np.int64) / 30.4
    return np.where(days < NASAL_FROM, 0.0, np.clip((months + 1) / 11, 0, 1) * NASAL_SHARE_END)


def simulate_service(rng: np.random.Generator, service: Service) -> pd.DataFrame:
    """Events of one service (columns :data:`LOG_COLUMNS`), sorted by date and kit."""
    start, end = np.datetime64(service.start), np.datetime64(service.end)
    span = int((end - start).astype(np.int64)) + 1
    # first supplies: intensity rising linearly (density a + t on [0, 1], a = 0.5)
    a = 0.5
    u = rng.random(service.first_supplies)
    t = -a + np.sqrt(a * a + 2 * u * (a + 0.5))
    issue = start + np.floor(t * span).astype("timedelta64[D]")
    recipient = rng.choice(len(RECIPIENTS), size=service.first_supplies, p=RECIPIENT_SHARES)
    supply = np.zeros(service.first_supplies, dtype=np.int8)  # 0 first, 1 repeat
    kits = []  # per generation: (issue, recipient, supply, product, outcome, outcome_day)
    while len(issue):
        n = len(issue)
        product = np.where(rng.random(n) < _nasal_share(issue), 1, 0)  # 0 injectable, 1 nasal
        outcome = rng.choice(len(OUTCOMES), size=n, p=OUTCOME_SHARES)
        delay = np.empty(n, dtype=np.int64)
        for k, name in enumerate(OUTCOMES):
            mine = outcome == k
            if name == "expired":
                life = np.where(
                    product[mine] == 1, SHELF_LIFE_DAYS["nasal"], SHELF_LIFE_DAYS["injectable"]
                )
                delay[mine] = life + rng.integers(0, 60, mine.sum())
            else:
                delay[mine] = 1 + np.floor(rng.exponential(MEAN_DELAY[name], mine.sum()))
        when = issue + delay.astype("timedelta64[D]")
        inside = when <= end
        recorded = inside & (outcome != OUTCOMES.index(None))
        kits.append((issue, recipient, supply, product, np.where(recorded, outcome, -1), when))
        again = inside & (rng.random(n) < np.asarray(REPEAT_AFTER)[outcome])
        issue, recipient = when[again], recipient[again]
        supply = np.ones(len(issue), dtype=np.int8)
    issue, recipient, supply, product, outcome, when = (
        np.concatenate(x) for x in zip(*kits, strict=True)
    )
    order = np.lexsort((supply, issue))
    issue, recipient, supply, product, outcome, when = (
        x[order] for x in (issue, recipient, supply, product, outcome, when)
    )
    kit_id = np.array([f"{service.prefix}-{i:06d}" for i in range(1, len(issue) + 1)], dtype=object)
    products = np.array(["injectable", "nasal"], dtype=object)[product]
    doses = np.where(product == 1, DEFAULT_DOSES["nasal"], DEFAULT_DOSES["injectable"])
    issued = pd.DataFrame(
        {
            "event_date": issue,
            "event_type": "issued",
            "kit_id": kit_id,
            "recipient_type": np.asarray(RECIPIENTS, dtype=object)[recipient],
            "supply_type": np.where(supply == 1, "repeat", "first"),
            "product": products,
            "doses": doses,
            "_order": 0,
        }
    )
    ended = outcome >= 0
    names = np.asarray([o or "" for o in OUTCOMES], dtype=object)
    terminal = pd.DataFrame(
        {
            "event_date": when[ended],
            "event_type": names[outcome[ended]],
            "kit_id": kit_id[ended],
            "recipient_type": "",
            "supply_type": "",
            "product": products[ended],
            "doses": doses[ended],
            "_order": 1,
        }
    )
    events = pd.concat([issued, terminal], ignore_index=True)
    events["service"] = service.name
    events["area_code"] = service.area_code
    events = events.sort_values(["event_date", "kit_id", "_order"], kind="stable")
    return events.loc[:, list(LOG_COLUMNS)].reset_index(drop=True)


def make_sample(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The shipped two-area sample log (Southend-on-Sea and Norfolk)."""
    rng = np.random.default_rng(seed)
    events = pd.concat([simulate_service(rng, s) for s in SAMPLE_SERVICES], ignore_index=True)
    return _sorted(events)


def make_large(n_events: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A log of exactly ``n_events`` events from many synthetic services (for benchmarks).

    Services of about 5,000 events each are spread over 60 unitary-style area
    codes (``E06000001`` ...); the log is cut at ``n_events`` in date order.
    """
    rng = np.random.default_rng(seed)
    parts, total, i = [], 0, 0
    while total < n_events:
        area = f"E06{i % 60 + 1:06d}"
        s = Service(f"Service {i + 1:04d} (synthetic)", area, f"S{i + 1:04d}", 3000)
        part = simulate_service(rng, s)
        parts.append(part)
        total += len(part)
        i += 1
    return _sorted(pd.concat(parts, ignore_index=True)).iloc[:n_events].reset_index(drop=True)


def _sorted(events: pd.DataFrame) -> pd.DataFrame:
    order = (events["event_type"] != "issued").astype(int)
    return (
        events.assign(_o=order)
        .sort_values(["event_date", "service", "kit_id", "_o"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def write_csv(events: pd.DataFrame, path: Path) -> Path:
    """Write a log as CSV: ISO dates, ``\\n`` line ends, UTF-8 (deterministic bytes)."""
    out = events.copy()
    out["event_date"] = pd.to_datetime(out["event_date"]).dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    args = parser.parse_args(argv)
    from overdose_trends.io.kit_counts import aggregate_kits
    from overdose_trends.io.kit_log import read_kit_log

    args.out.mkdir(parents=True, exist_ok=True)
    events = make_sample(args.seed)
    log_path = write_csv(events, args.out / LOG_FILE)
    log = read_kit_log(log_path)
    log.report.raise_if_errors()
    if len(log.report.issues):
        raise SystemExit(f"the sample should load without issues:\n{log.report}")
    monthly = aggregate_kits(log.events, "month", total=True)
    monthly["period_start"] = monthly["period_start"].dt.strftime("%Y-%m-%d")
    monthly["period_end"] = monthly["period_end"].dt.strftime("%Y-%m-%d")
    monthly.to_csv(args.out / MONTHLY_FILE, index=False, lineterminator="\n", encoding="utf-8")
    issued = events["event_type"] == "issued"
    print(f"wrote {log_path} ({len(events):,} events) and {args.out / MONTHLY_FILE}")
    for service, g in events.groupby("service", sort=True):
        n_issued = int((g["event_type"] == "issued").sum())
        used = int((g["event_type"] == "returned_used").sum())
        print(f"  {service}: {n_issued:,} issued, {used:,} returned used")
    print(f"  total: {int(issued.sum()):,} issued")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
