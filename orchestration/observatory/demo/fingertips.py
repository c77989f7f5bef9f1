"""Fingertips indicator exports (future contract: sources/fingertips.yml) for the Health and Wellbeing Board.

One CSV per indicator, ``fingertips_<indicator id>_<key>_synthetic.csv``, in the shape of the
Fingertips data export (the 27 columns of methods.md §8, in that order, UTF-8): rows for England
(E92000001), London region (E12000007) and all 150 fictional authorities whatever the scale, for
each period from two years before the first snapshot year to the last (Fingertips publishes
history, so the 5-point recent trend can be calculated for the latest periods).

Indicators (``INDICATORS``): Year 6 healthy weight and Year 6 overweight (including obesity), both
with "Ethnic groups" category rows; life expectancy at birth by sex (3-year pooled periods such as
"2020 - 22"); school readiness; smoking prevalence in adults; hospital admissions for mental health
conditions in under-18s. Values are computed from planted counts exactly as Fingertips does:
proportions with Wilson score limits, rates with Byar's limits (exact Poisson below 10), 95% and
99.8% (``fingertips_stats``). England and London are the sums of the fictional authorities
("Aggregated from all known lower geography values"). Fingertips' quirks are kept: suppressed
small counts are blank with a Value note, "Cannot be calculated" trends, "2022/23" periods.

Denominators come from ``population.residents`` (Year 6 = age 10 at mid-year, Reception = age 4,
under-18s = 0-17), so they describe the same children as the other domains.

Planted truths (``FingertipsPlanted``, all configurable, written to ground_truth.json):

* Year 6 healthy weight by ethnic group. For authority a, group g, residents year Y, the chance of
  a healthy weight is ``reference_a + gap[g] + (trend + group_trend[g]) * (Y - trend_base_year)``
  percentage points; underweight is a fixed 1.5%, the rest overweight (including obesity).
  Black African (-12 pp) and Bangladeshi (-10 pp) children have markedly lower healthy-weight
  prevalence than White British; Indian children (``null_effect_groups``) have none. Healthy weight
  falls 0.8 pp a year for everyone, but rises 1.5 pp a year faster for Bangladeshi children (a
  closing gap). Counts are drawn (binomial/multinomial) per authority, year and group.
* Life expectancy gaps between authorities: each authority's offset from the base (by sex) is
  planted (Eastmarsh -2.5 years, Fernley Downs +2.5, a 5-year gap; others spread over +-2.5),
  rising 0.15 years a year; the published value adds sampling noise with a standard error that
  shrinks with population size.
* School readiness rising, adult smoking falling, mental health admissions flat; each authority
  has a fixed planted level (no ethnic breakdown: Fingertips publishes none for these).

The exact planted probabilities and the counts, values and limits as written are in the ground
truth for the authorities generated, England and London.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import fingertips_stats as S
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, all_authorities
from observatory.demo.context import DemoContext
from observatory.demo.fingertips_model import (
    INDICATORS,
    Blocks,
    FingertipsPlanted,
    Indicator,
    aggregate,
    period_of,
    planted_truth,
    simulate,
)
from observatory.demo.population_files import display_labels
from observatory.demo.truth import rounded

DOMAIN = "fingertips"
SOURCE = "fingertips"
SOURCES = (SOURCE,)
CONTRACT = "sources/fingertips.yml"

HEADER = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
    "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
    "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
    "Count", "Denominator", "Value note", "Recent Trend", "Compared to England value or percentiles",
    "Compared to percentiles", "Time period Sortable", "New data", "Compared to goal",
    "Time period range",
)  # fmt: skip
HISTORY_YEARS = 2  # periods published before the first snapshot year
ENGLAND = ("E92000001", "England (synthetic)")
LONDON = ("E12000007", "London region (synthetic)")
REGION_CODES = {  # ONS region codes (public), parents of the fictional authorities
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "London": "E12000007", "South East": "E12000008", "South West": "E12000009",
}  # fmt: skip
LA_AREA_TYPE = "Districts & UAs (from Apr 2023)"
CATEGORY_TYPE = "Ethnic groups"
SUPPRESSED_NOTE = "Value suppressed for disclosure control due to small count"
AGGREGATED_NOTE = "Aggregated from all known lower geography values"
# Area codes of the right shape that name no authority; distinct per fault so that two faulty rows
# never become duplicates of each other under the contract's unique key.
UNKNOWN_AREA_CODES = tuple(f"X09000{n}" for n in range(900, 1000))
DECIMALS = 6
MISSING_COLUMN_FILE = ("smoking_prevalence", "Area Code")  # dirty mode: this file lacks this column


# --- from counts to the published rows ------------------------------------------------------


def _values(indicator: Indicator, rows: pd.DataFrame) -> pd.DataFrame:
    """Value and 95% / 99.8% limits, rounded as written; suppressed rows blanked."""
    count, den = rows["count"].to_numpy(), rows["denominator"].to_numpy()
    if indicator.kind == "life_expectancy":
        value, se = rows["le_value"].to_numpy(), rows["le_se"].to_numpy()
        limits = [value - S.Z95 * se, value + S.Z95 * se, value - S.Z998 * se, value + S.Z998 * se]
        suppressed = np.zeros(len(rows), dtype=bool)
    elif indicator.kind == "proportion":
        value = count / den * indicator.multiplier
        limits = [x * indicator.multiplier for z in (S.Z95, S.Z998) for x in S.wilson(count, den, z)]
        suppressed = (count >= 1) & (count < indicator.suppress_below)
    else:
        value = count / den * indicator.multiplier
        limits = [
            *S.rate_limits(count, den, indicator.multiplier, S.Z95, 0.95),
            *S.rate_limits(count, den, indicator.multiplier, S.Z998, 0.998),
        ]
        suppressed = (count >= 1) & (count < indicator.suppress_below)
    out = rows.copy()
    for name, x in zip(
        ("value", "lower_95", "upper_95", "lower_998", "upper_998"), [value, *limits], strict=True
    ):
        out[name] = np.where(suppressed, np.nan, np.round(x, DECIMALS))
    out["published_count"] = np.where(suppressed, np.nan, count)
    out["suppressed"] = suppressed
    return out


def _trends(indicator: Indicator, rows: pd.DataFrame) -> np.ndarray:
    """Fingertips recent trend per row: chi-square for linear trend over the 5 most recent points
    up to the row's period, for proportions; "Cannot be calculated" otherwise."""
    out = np.full(len(rows), S.CANNOT, dtype=object)
    if indicator.kind != "proportion":
        return out
    keys = ["area_code", "sex", "census_code"]
    years = sorted(rows["residents_year"].unique())
    usable = rows.assign(c=rows["published_count"], d=rows["denominator"].where(~rows["suppressed"]))
    counts = usable.pivot_table(index=keys, columns="residents_year", values="c", aggfunc="first")
    dens = usable.pivot_table(index=keys, columns="residents_year", values="d", aggfunc="first")
    counts, dens = counts.reindex(columns=years), dens.reindex(columns=years)
    labels = pd.DataFrame(S.CANNOT, index=counts.index, columns=years, dtype=object)
    for i in range(S.TREND_POINTS - 1, len(years)):
        window = years[i - S.TREND_POINTS + 1 : i + 1]
        chi2, slope = S.trend_chi2(counts[window].to_numpy(), dens[window].to_numpy())
        labels[years[i]] = S.trend_labels(chi2, slope, indicator.polarity)
    index = pd.MultiIndex.from_frame(rows[keys])
    for year in years:
        mask = (rows["residents_year"] == year).to_numpy()
        out[mask] = labels[year].reindex(index[mask]).fillna(S.CANNOT).to_numpy()  # all-suppressed series
    return out


def published(indicator: Indicator, frame: pd.DataFrame) -> pd.DataFrame:
    """The indicator's rows for every area and period, with everything the export prints."""
    rows = frame[frame["indicator"] == indicator.key]
    if indicator.kind != "life_expectancy":
        rows = rows[rows["denominator"] > 0]
    rows = _values(indicator, rows.reset_index(drop=True))
    keys = ["sex", "census_code", "residents_year"]
    england = rows[rows["area_code"] == ENGLAND[0]].set_index(keys)["value"]
    benchmark = england.reindex(pd.MultiIndex.from_frame(rows[keys])).to_numpy()
    compared = S.compare(rows["lower_95"], rows["upper_95"], rows["value"], benchmark, indicator.polarity)
    compared[(rows["area_code"] == ENGLAND[0]).to_numpy()] = "Not compared"
    rows["compared_to_england"] = compared
    rows["recent_trend"] = _trends(indicator, rows)
    aggregate_row = rows["area_code"].isin([ENGLAND[0], LONDON[0]]) & (indicator.kind != "life_expectancy")
    rows["value_note"] = np.where(
        rows["suppressed"], SUPPRESSED_NOTE, np.where(aggregate_row, AGGREGATED_NOTE, "")
    )
    order = {code: i for i, code in enumerate([ENGLAND[0], LONDON[0], *(a.code for a in all_authorities())])}
    category_order = {c: i for i, c in enumerate(["", *CENSUS_CODES])}
    rows["_area"] = rows["area_code"].map(order)
    rows["_category"] = rows["census_code"].map(category_order)
    rows = rows.sort_values(["_area", "sex", "_category", "residents_year"], kind="stable")
    return rows.drop(columns=["_area", "_category"]).reset_index(drop=True)


# --- rendering, faults and the file -----------------------------------------------------------


def _areas() -> pd.DataFrame:
    """Area Name, Area Type, Parent Code and Parent Name per area code."""
    rows = [
        (ENGLAND[0], ENGLAND[1], "England", "", ""),
        (LONDON[0], LONDON[1], "Region", ENGLAND[0], ENGLAND[1]),
    ]
    for a in all_authorities():
        parent = LONDON[1] if a.region == "London" else f"{a.region} region"
        rows.append((a.code, a.name, LA_AREA_TYPE, REGION_CODES[a.region], parent))
    return pd.DataFrame(
        rows, columns=["area_code", "area_name", "area_type", "parent_code", "parent_name"]
    ).set_index("area_code")


def _text(values: np.ndarray) -> np.ndarray:
    """Numbers as Fingertips prints them (up to 6 decimals, trailing zeros dropped); blank for NaN."""
    values = np.asarray(values, dtype=np.float64)
    text = W.decimal(np.nan_to_num(values), DECIMALS).astype(object)
    return np.where(np.isnan(values), "", text)


def render(indicator: Indicator, rows: pd.DataFrame, latest_year: int) -> dict[str, W.Cells]:
    """The text of every cell, per column of the export."""
    areas = _areas().reindex(rows["area_code"])
    year = rows["residents_year"]
    periods = {y: period_of(indicator, y) for y in year.unique()}
    category = rows["census_code"]
    n = len(rows)
    count_kind = indicator.kind != "life_expectancy"
    columns = {
        "Indicator ID": np.full(n, str(indicator.indicator_id)),
        "Indicator Name": np.full(n, indicator.name),
        "Parent Code": areas["parent_code"].to_numpy(),
        "Parent Name": areas["parent_name"].to_numpy(),
        "Area Code": rows["area_code"].to_numpy(),
        "Area Name": areas["area_name"].to_numpy(),
        "Area Type": areas["area_type"].to_numpy(),
        "Sex": rows["sex"].to_numpy(),
        "Age": np.full(n, indicator.age),
        "Category Type": np.where(category == "", "", CATEGORY_TYPE),
        "Category": category.map({"": "", **dict(display_labels())}).to_numpy(),
        "Time period": year.map({y: p[0] for y, p in periods.items()}).to_numpy(),
        "Value": _text(rows["value"]),
        "Lower CI 95.0 limit": _text(rows["lower_95"]),
        "Upper CI 95.0 limit": _text(rows["upper_95"]),
        "Lower CI 99.8 limit": _text(rows["lower_998"]),
        "Upper CI 99.8 limit": _text(rows["upper_998"]),
        "Count": _text(rows["published_count"]) if count_kind else np.full(n, ""),
        "Denominator": _text(rows["denominator"]) if count_kind else np.full(n, ""),
        "Value note": rows["value_note"].to_numpy(),
        "Recent Trend": rows["recent_trend"].to_numpy(),
        "Compared to England value or percentiles": rows["compared_to_england"].to_numpy(),
        "Compared to percentiles": np.full(n, "Not compared"),
        "Time period Sortable": year.map({y: str(p[1]) for y, p in periods.items()}).to_numpy(),
        "New data": np.where(year.to_numpy() == latest_year, "New data", ""),
        "Compared to goal": np.full(n, ""),
        "Time period range": year.map({y: p[2] for y, p in periods.items()}).to_numpy(),
    }
    return {h: W.Cells.of_text(np.asarray(columns[h], dtype=object)) for h in HEADER}


_FAULT_NAMES = {
    F.UNKNOWN_LABEL: "unknown_area_code",
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_value",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "value_out_of_range",
}
MISSING_COLUMN = "missing_required_column"


def _plan(rng: np.random.Generator, rows: pd.DataFrame, config: F.DirtyConfig) -> F.FaultPlan:
    """Faults only on rows with a published value (a blank suppressed value has nothing to corrupt)."""
    eligible = np.flatnonzero(rows["value"].notna().to_numpy())
    inner = F.plan(rng, eligible.size, config)
    fault_rows = eligible[inner.rows]
    dup = np.sort(fault_rows[inner.kinds == F.DUPLICATE_ROW])
    order = np.insert(np.arange(len(rows)), dup + 1, dup)
    return F.FaultPlan(rows=fault_rows, kinds=inner.kinds, order=order)


def _inject(
    cells: dict[str, W.Cells], rows: pd.DataFrame, plan: F.FaultPlan, indicator: Indicator
) -> dict[int, tuple[str, str, str]]:
    """Overwrite the planned cells; returns clean row -> (column, text, fault)."""
    done: dict[int, tuple[str, str, str]] = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1
        if kind == F.UNKNOWN_LABEL:
            column, text = "Area Code", UNKNOWN_AREA_CODES[j % len(UNKNOWN_AREA_CODES)]
        elif kind == F.DUPLICATE_ROW:
            column, text = "Area Code", str(cells["Area Code"].text[row])
        elif kind == F.IMPOSSIBLE_DATE:
            column = "Time period Sortable"
            text = str(cells[column].text[row])[:4] + "1332"  # month 13, day 32
        elif kind == F.NEGATIVE_NUMBER:
            column, text = "Value", str(_text(np.array([-abs(rows.at[row, "value"]) or -1.0]))[0])
        elif kind == F.TEXT_IN_NUMERIC:
            column = "Value" if indicator.kind == "life_expectancy" or j % 2 == 0 else "Count"
            text = "n/a"
        elif kind == F.OUT_OF_RANGE:
            column, text = "Value", str(_text(np.array([indicator.value_max * 1.25]))[0])
        else:  # pragma: no cover - a kind this source does not plant
            raise ValueError(kind)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=False)
        done[row] = (column, text, _FAULT_NAMES[kind])
    return done


def file_name(indicator: Indicator) -> str:
    return f"{SOURCE}_{indicator.indicator_id}_{indicator.key}_synthetic.csv"


def write_indicator(
    inbox_dir: Path, indicator: Indicator, rows: pd.DataFrame, ctx: DemoContext
) -> tuple[dict, list[dict], np.ndarray]:
    """Write one indicator's export; returns (file record, fault records, rows in the statistics)."""
    cells = render(indicator, rows, max(ctx.years))
    n = len(rows)
    drop = MISSING_COLUMN_FILE[1] if ctx.dirty is not None and indicator.key == MISSING_COLUMN_FILE[0] else ""
    plan = F.FaultPlan(rows=np.empty(0, np.int64), kinds=np.empty(0, object), order=np.arange(n))
    injected: dict[int, tuple[str, str, str]] = {}
    if ctx.dirty is not None and not drop:
        plan = _plan(ctx.rng(SOURCE, 0, indicator.indicator_id, 1), rows, ctx.dirty)
        injected = _inject(cells, rows, plan, indicator)
    header = [h for h in HEADER if h != drop]
    order = plan.order
    columns = [cells[h] if order.size == n else cells[h].take(order) for h in header]
    name = file_name(indicator)
    W.write_csv(inbox_dir / name, header, columns, encoding="utf-8")
    rel = f"{SOURCE}/{name}"

    first, copy = F.physical_rows(order, 2)
    include = np.ones(n, dtype=bool)
    faults = []
    for row, (column, text, fault) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        include[row] = fault == "duplicate_row"  # the original of a duplicate stays valid
        physical = int(copy[row]) if fault == "duplicate_row" else int(first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - 1,
            "column": column,
            "value": text,
            "fault": fault,
            **_row_key(indicator, rows, row),
        }
        if fault == "duplicate_row":
            record["duplicate_of_row"] = int(first[row])
        faults.append(record)
    if drop:
        include[:] = False
        missing = {"file": rel, "row": None, "data_row": None, "column": drop, "value": None}
        faults.append(
            {**missing, "fault": MISSING_COLUMN, "level": "file", "indicator_id": indicator.indicator_id}
        )
    record = {
        "file": rel,
        "source": SOURCE,
        "indicator_id": indicator.indicator_id,
        "indicator": indicator.key,
        "format": "csv",
        "encoding": "utf-8",
        "sheet": None,
        "title_rows": [],
        "header_row": 1,
        "first_data_row": 2,
        "last_data_row": 1 + int(order.size),
        "footer_rows": [],
        "data_rows": int(order.size),
        "header": header,
        "periods": [period_of(indicator, y)[0] for y in sorted(rows["residents_year"].unique())],
    }
    return record, faults, include


def _row_key(indicator: Indicator, rows: pd.DataFrame, row: int) -> dict:
    return {
        "indicator_id": indicator.indicator_id,
        "area_code": rows.at[row, "area_code"],
        "sex": rows.at[row, "sex"],
        "census_code": rows.at[row, "census_code"] or None,
        "period": period_of(indicator, int(rows.at[row, "residents_year"]))[0],
    }


# --- ground truth and the entry point ---------------------------------------------------------

DEFINITIONS = {
    "value": (
        "proportion: Count / Denominator * 100 with Wilson score limits; rate: Count / Denominator "
        "* 100,000 with Byar's limits (exact Poisson when Count < 10); life expectancy: planted "
        "value + noise, limits value -/+ z * SE; z = 1.959963985 (95%) and 3.090232306 (99.8%); "
        "values and limits rounded to 6 decimals as written"
    ),
    "suppression": "Count 1..suppress_below-1: Value, limits and Count blank, Value note says so",
    "recent_trend": (
        "proportions only: chi-square test for linear trend over the 5 most recent periods up to "
        "the row's (methods.md §4), significant above 9.5495; fewer than 5 unsuppressed points or "
        "another kind of indicator: Cannot be calculated"
    ),
    "compared_to_england": (
        "Similar when the England value (same sex, category, period) lies in the row's 95% CI, "
        "else Better/Worse by polarity or Higher/Lower without one; England rows and rows "
        "without a value: Not compared"
    ),
    "england_and_london": (
        "sums of the counts of the 150 (33) fictional authorities; life expectancy population-weighted"
    ),
    "residents_year": (
        "Y of population.residents(authority, Y); period_of(Y) gives the Time period (2022/23 for 2023)"
    ),
    "scope": "values and ethnic_groups cover the generated authorities, England and London",
}


def _num(x: float) -> float | None:
    return None if pd.isna(x) else rounded(x)


def _values_truth(indicator: Indicator, rows: pd.DataFrame) -> list[dict]:
    out = []
    for r in rows[rows["census_code"] == ""].itertuples(index=False):
        out.append(
            {
                "indicator_id": indicator.indicator_id,
                "area_code": r.area_code,
                "sex": r.sex,
                "period": period_of(indicator, r.residents_year)[0],
                "residents_year": int(r.residents_year),
                "value": _num(r.value),
                "lower_95": _num(r.lower_95),
                "upper_95": _num(r.upper_95),
                "lower_998": _num(r.lower_998),
                "upper_998": _num(r.upper_998),
                "count": None if pd.isna(r.published_count) else int(r.published_count),
                "denominator": None if indicator.kind == "life_expectancy" else int(r.denominator),
                "suppressed": bool(r.suppressed),
                "recent_trend": r.recent_trend,
                "compared_to_england": r.compared_to_england,
                "planted": _num(r.planted),
            }
        )
    return out


def _ethnic_truth(indicator: Indicator, rows: pd.DataFrame) -> list[dict]:
    """Per area and period: [count as written (None if suppressed), denominator] and the planted %
    of each ethnic group."""
    out: dict[tuple[str, int], dict] = {}
    columns = ["area_code", "residents_year", "census_code", "published_count", "denominator", "planted"]
    for area, year, code, count, den, planted in rows.loc[rows["census_code"] != "", columns].itertuples(
        index=False, name=None
    ):
        entry = out.setdefault(
            (area, year),
            {
                "indicator_id": indicator.indicator_id,
                "area_code": area,
                "period": period_of(indicator, int(year))[0],
                "residents_year": int(year),
                "counts": {},
                "planted_pct": {},
            },
        )
        entry["counts"][code] = [None if pd.isna(count) else int(count), int(den)]
        entry["planted_pct"][code] = _num(planted)
    return list(out.values())


def write(inbox: Path, ctx: DemoContext, planted: FingertipsPlanted | None = None) -> dict[str, dict]:
    """The domain entry point: one Fingertips export per indicator into ``inbox/fingertips/``."""
    planted = planted or FingertipsPlanted()
    inbox_dir = inbox / SOURCE
    inbox_dir.mkdir(parents=True, exist_ok=True)
    for old in inbox_dir.glob(f"{SOURCE}_*_synthetic.csv"):
        old.unlink()  # only this generator's own files

    years = list(range(min(ctx.years) - HISTORY_YEARS, max(ctx.years) + 1))
    in_scope = {a.code for a in ctx.authorities}
    blocks = Blocks()
    for authority in all_authorities():  # every authority: the file is a national benchmark
        for year in years:
            simulate(ctx, authority, year, planted, blocks)
        if authority.code in in_scope:
            ctx.advance(DOMAIN)
    frame = blocks.frame()
    london = {a.code for a in all_authorities() if a.region == "London"}
    frame = pd.concat(
        [aggregate(frame, ENGLAND[0]), aggregate(frame[frame["area_code"].isin(london)], LONDON[0]), frame],
        ignore_index=True,
    )

    files, faults, values, ethnic = [], [], [], []
    scope = in_scope | {ENGLAND[0], LONDON[0]}
    for indicator in INDICATORS:
        rows = published(indicator, frame)
        record, fault_records, include = write_indicator(inbox_dir, indicator, rows, ctx)
        files.append(record)
        faults.extend(fault_records)
        kept = rows[include & rows["area_code"].isin(scope).to_numpy()]
        values.extend(_values_truth(indicator, kept))
        if indicator.by_ethnicity:
            ethnic.extend(_ethnic_truth(indicator, kept))

    return {
        SOURCE: {
            "contract": CONTRACT,
            "folder": SOURCE,
            "definitions": DEFINITIONS,
            "planted": planted_truth(planted, years),
            "indicators": [_indicator_truth(i) for i in INDICATORS],
            "files": files,
            "values": values,
            "ethnic_groups": ethnic,
            "faults": faults,
        }
    }


def _indicator_truth(indicator: Indicator) -> dict:
    return {
        "indicator_id": indicator.indicator_id,
        "key": indicator.key,
        "name": indicator.name,
        "kind": indicator.kind,
        "polarity": indicator.polarity,
        "age": indicator.age,
        "sexes": list(indicator.sexes),
        "period_type": indicator.period_type,
        "multiplier": indicator.multiplier,
        "suppress_below": indicator.suppress_below,
        "category_type": CATEGORY_TYPE if indicator.by_ethnicity else None,
        "file": f"{SOURCE}/{file_name(indicator)}",
    }
