"""The demo council through the whole pipeline: the published pay gaps recover the planted truths."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
from observatory import config
from observatory.contracts import load_contracts
from observatory.demo.authorities import all_authorities, statistical_neighbours
from observatory.ingest.readers import read_extract


@pytest.fixture(scope="module")
def published_pay_gap(demo_run):
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        return con.execute("select * from publish.pay_gap").df()


def test_demo_refresh_succeeds_with_nothing_quarantined(demo_run):
    assert demo_run["result"].success
    assert demo_run["summary"].failed_checks == []


def test_published_gaps_match_the_planted_gaps_to_a_tenth_of_a_point(demo_run, published_pay_gap):
    census = {r["census_code"]: r["display_label"] for r in csv.DictReader(
        (config.DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_census2021.csv").open()
    )}  # fmt: skip
    published = published_pay_gap
    detailed = published[published["ethnicity_level"] == "detailed"].assign(
        snapshot=lambda d: d["snapshot_date"].astype(str)
    )
    detailed = detailed.set_index(["authority_code", "snapshot", "ethnicity_group"])
    compared = 0
    for row in demo_run["truth"]["sources"]["hr_payroll"]["pay_gaps"]:
        if row["level"] != "census_code" or row["group"] == "WBRI":
            continue
        got = detailed.loc[(row["authority_code"], row["snapshot_date"], census[row["group"]])]
        if got["gap_symbol"] == "c":
            assert row["n"] < 10
            continue
        assert abs(got["median_hourly_gap_pct"] - row["median_gap_pct"]) <= 0.05 + 1e-9
        assert abs(got["mean_hourly_gap_pct"] - row["mean_gap_pct"]) <= 0.05 + 1e-9
        compared += 1
    assert compared >= 50  # 5 years x most of 18 groups


def test_planted_black_african_gap_and_null_effect_for_indian_staff(published_pay_gap):
    latest = published_pay_gap
    latest = latest[(latest["ethnicity_level"] == "detailed")].sort_values("snapshot_date")
    black_african = latest[latest["ethnicity_group"] == "Black African"]["median_hourly_gap_pct"]
    indian = latest[latest["ethnicity_group"] == "Indian"]["median_hourly_gap_pct"]
    assert (black_african > 10).all()
    assert (indian.abs() < 5).all()


def test_every_demo_authority_is_in_the_authorities_seed():
    path = config.DBT_PROJECT_DIR / "seeds" / "reference" / "authorities.csv"
    seeded = {r["authority_code"]: r["authority_name"] for r in csv.DictReader(path.open())}
    assert {a.code: a.name for a in all_authorities()} == seeded


def test_statistical_neighbours_seed_is_the_derived_list():
    path = config.DBT_PROJECT_DIR / "seeds" / "reference" / "statistical_neighbours.csv"
    seeded = [
        (r["authority_code"], r["neighbour_code"], int(r["neighbour_rank"]), float(r["distance"]))
        for r in csv.DictReader(path.open())
    ]
    assert seeded == statistical_neighbours()
    # London authorities have London neighbours: the comparison a London council makes.
    london = {a.code for a in all_authorities() if a.region == "London"}
    assert all((a in london) == (n in london) for a, n, *_ in seeded)


def test_demo_site_is_labelled_synthetic(demo_run):
    for page in ("index.html", "pay-gap.html"):
        assert "Synthetic demo data" in (demo_run["paths"].site / page).read_text()
    truth = json.loads((demo_run["paths"].inbox / "ground_truth.json").read_text())
    assert truth["synthetic"] is True


def _identifiers_in_the_inbox(inbox) -> set[str]:
    """Every direct identifier (names, exact dates of birth as written, addresses) and every raw
    person identifier (UPN, employee number, case id) the demo extracts hold."""
    values: set[str] = set()
    for contract in load_contracts().values():
        wanted = [c.name for c in contract.columns if c.direct_identifier or c.identifier]
        folder = inbox / contract.name
        for file in sorted(folder.iterdir()) if folder.exists() and wanted else []:
            frame = read_extract(file, contract).frame
            for name in wanted:
                values.update(v.strip() for v in frame[name].astype(str) if len(v.strip()) >= 4)
    return values


def test_no_table_outside_raw_holds_a_person_identifier_or_a_direct_identifier(demo_run):
    identifiers = _identifiers_in_the_inbox(demo_run["paths"].inbox)
    assert len(identifiers) > 50_000  # names, UPNs, employee numbers... of the demo council
    with duckdb.connect(str(demo_run["paths"].warehouse), read_only=True) as con:
        # A reporting period (a quarter end such as 2020-06-30) can equal a date of birth in some
        # extract: as a period it identifies no one, so periods are not searched for.
        loaded = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for name, contract in load_contracts().items():
            if name in loaded:
                periods = con.execute(
                    f'select distinct cast("{contract.period_column}" as varchar) from raw.{name}'
                )
                identifiers -= {r[0] for r in periods.fetchall()}
        con.execute("create temp table identifiers as select unnest(?) as v", [sorted(identifiers)])
        columns = con.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema not in ('raw', 'temp', 'main') and data_type = 'VARCHAR'"""
        ).fetchall()
        assert len(columns) > 100
        found = []
        for schema, table, column in columns:
            (hits,) = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in (select v from identifiers)'
            ).fetchone()
            if hits:
                found.append(f"{schema}.{table}.{column}: {hits}")
        # Direct identifiers never reach the warehouse at all, not even the private raw schema.
        direct = {
            c.name
            for contract in load_contracts().values()
            for c in contract.columns
            if c.direct_identifier and not c.keep_month_as
        }
        raw_columns = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
        ).fetchall()}  # fmt: skip
    assert found == []
    assert direct and not (direct & raw_columns)


def _staged(demo_run, sql: str) -> dict:
    with duckdb.connect(str(demo_run["paths"].warehouse), read_only=True) as con:
        return {tuple(r[:-1]): r[-1] for r in con.execute(sql).fetchall()}


def test_staged_pupils_by_census_group_equal_the_planted_headcounts(demo_run):
    staged = _staged(
        demo_run,
        """select academic_year, coalesce(census_code, 'Unknown'), count(*)
           from staging.stg_school_census__pupils group by all""",
    )
    expected = {
        (h["academic_year"], code): n
        for h in demo_run["truth"]["sources"]["school_census"]["headcounts"]
        for code, n in h["census_code"].items()
    }
    assert staged == expected


def test_staged_first_time_entrants_by_group_equal_the_planted_counts(demo_run):
    staged = _staged(
        demo_run,
        """select year(year_ending), census_code, count(*) filter (where is_first_time_entrant)
           from staging.stg_youth_justice__outcomes where census_code is not null group by all""",
    )
    expected = {
        (e["year"], e["group"]): e["first_time_entrants"]
        for e in demo_run["truth"]["sources"]["youth_justice"]["expected"]
        if e["level"] == "census_code" and e["first_time_entrants"]
    }
    assert {k: v for k, v in staged.items() if v} == expected
