"""The education demo domain: pupil-level extracts in the formats councils hold, EES benchmarks,
and a ground truth whose planted disparities can be recomputed from the files alone."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.contracts import parse_contract
from observatory.demo import education
from observatory.demo.authorities import all_authorities, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.population import dfe_codes
from observatory.ingest.readers import ROW_COLUMN, read_extract

YEARS = (2024, 2025)
PUPIL_SOURCES = ("school_census", "eyfsp", "ks4", "exclusions")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _run(inbox: Path, *, seed=42, years=YEARS, dirty=False, authorities=None) -> dict:
    ctx = DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=tuple(date(y, 3, 31) for y in years),
        dirty=DirtyConfig() if dirty else None,
    )
    return education.write(inbox, ctx)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("edu_clean")
    return inbox, _run(inbox)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("edu_dirty")
    return inbox, _run(inbox, dirty=True)


@pytest.fixture(scope="module")
def other_systems(tmp_path_factory) -> tuple[Path, dict]:
    """Two small shire authorities using the MIS export (system 1) and the snake_case system (2)."""
    inbox = tmp_path_factory.mktemp("edu_systems")
    picked = (all_authorities()[88], all_authorities()[122])
    assert [(a.index - 1) % 3 for a in picked] == [1, 2]
    return inbox, _run(inbox, years=(2025,), authorities=picked)


# --- reading the files as a person (or ingest) would ----------------------------------------


def _xlsx_cells(path: Path) -> dict[int, dict[str, str]]:
    """Row number -> {column letter: text} straight from the sheet XML (fast, and exact text)."""
    rows: dict[int, dict[str, str]] = {}
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        for c in ET.parse(f).iter(f"{_NS}c"):
            ref = c.get("r")
            letters = ref.rstrip("0123456789")
            rows.setdefault(int(ref[len(letters) :]), {})[letters] = "".join(c.itertext())
    return rows


def _letter(i: int) -> str:
    return chr(65 + i) if i < 26 else "A" + chr(65 + i - 26)


_FRAMES: dict[Path, pd.DataFrame] = {}


def _frame(inbox: Path, record: dict) -> pd.DataFrame:
    """A file's data rows as text with canonical column names and the physical row number.
    XLSX dates stay Excel serials; CSV cells are exactly as written. Cached: files are read once."""
    path = inbox / record["file"]
    if path not in _FRAMES:
        _FRAMES[path] = _read_frame(path, record)
    return _FRAMES[path].copy()


def _read_frame(path: Path, record: dict) -> pd.DataFrame:
    if record["format"] == "csv":
        frame = pd.read_csv(path, encoding=record["encoding"], dtype=str, keep_default_na=False)
        assert list(frame.columns) == record["header"]
    else:
        cells = _xlsx_cells(path)
        header_row = record["header_row"]
        assert [cells[header_row][_letter(i)] for i in range(len(record["header"]))] == record["header"]
        rows = range(record["first_data_row"], record["last_data_row"] + 1)
        frame = pd.DataFrame(
            [[cells[r].get(_letter(i), "") for i in range(len(record["header"]))] for r in rows],
            columns=record["header"],
        )
    frame = frame.rename(columns=record["columns"])
    frame["_row"] = np.arange(len(frame)) + record["first_data_row"]
    return frame


def _files(truth: dict, source: str, year: int | None = None) -> list[dict]:
    return [r for r in truth[source]["files"] if year is None or r["year"] == year]


def _main_code(codes: pd.Series) -> pd.Series:
    """DfE main code of each code (REFU/NOBT map to nothing: callers keep them as written)."""
    return codes.map(dfe_codes().set_index("dfe_code")["main_code"])


def _truth_rows(truth: dict, source: str, key: str, year: int, level: str) -> dict[str, dict]:
    return {r["group"]: r for r in truth[source][key] if r["year"] == year and r["level"] == level}


# --- tests ----------------------------------------------------------------------------------


def test_same_seed_gives_identical_files_whatever_the_years_and_another_seed_does_not(clean, tmp_path):
    inbox, _ = clean
    again = tmp_path / "again"
    _run(again, years=(2025,))
    latest = [p for p in sorted(again.rglob("*")) if p.is_file()]
    assert len(latest) == 6  # 4 pupil-level files and 2 EES files for 2024/25
    for path in latest:  # a 2025 file does not depend on how many years were generated
        assert path.read_bytes() == (inbox / path.relative_to(again)).read_bytes(), path.name
    other = tmp_path / "other"
    _run(other, seed=7, years=(2025,))
    for path in latest:
        if "benchmarks_ees" not in str(path):
            assert (other / path.relative_to(again)).read_bytes() != path.read_bytes(), path.name


def test_every_file_says_it_is_synthetic(clean):
    inbox, truth = clean
    for source in PUPIL_SOURCES:
        for record in _files(truth, source):
            assert "synthetic" in record["file"] and record["file"].startswith(f"{source}/{source}_X09")
            frame = _frame(inbox, record)
            assert frame["school_name"].str.endswith("(synthetic)").all()
            if record["format"] == "csv":
                assert (frame["data_status"] == "SYNTHETIC").all()
            else:
                title = _xlsx_cells(inbox / record["file"])[1]["A"]
                assert title.startswith("SYNTHETIC DEMO DATA - Northbrook (synthetic)")
    for record in truth["benchmarks_ees"]["files"]:
        assert "synthetic" in record["file"]
        frame = pd.read_csv(inbox / record["file"], dtype=str, keep_default_na=False)
        assert (frame["data_status"] == "SYNTHETIC").all()


def _contract(record: dict):
    """A throwaway contract naming exactly this file's columns (the real ones are the next issue)."""
    columns = [
        {"name": c, "type": "string", "required": True, "aliases": [h]} for h, c in record["columns"].items()
    ]
    return parse_contract(
        {"name": "t", "domain": "education", "columns": columns, "period": {"column": columns[0]["name"]}}
    )


def test_files_are_readable_by_the_ingest_readers_in_every_system(clean, other_systems):
    seen = set()
    for inbox, truth in (clean, other_systems):
        for source in PUPIL_SOURCES:
            for record in _files(truth, source, 2025):
                raw = read_extract(inbox / record["file"], _contract(record))
                assert raw.malformed_rows == [] and raw.unknown_columns == []
                assert raw.header_row == record["header_row"]
                assert len(raw.frame) == record["data_rows"]
                rows = raw.frame[ROW_COLUMN].tolist()
                assert rows == list(range(record["first_data_row"], record["last_data_row"] + 1))
                skipped = [r for r, _ in raw.skipped_rows]
                assert skipped == record["title_rows"] + record["footer_rows"]
                if record["format"] == "csv":
                    assert raw.encoding == ("utf-8" if record["encoding"] == "utf-8" else "cp1252") or (
                        raw.encoding == "utf-8" and (inbox / record["file"]).read_bytes().isascii()
                    )
                seen.add((source, record["format"], record["system"]))
    assert len({s for s, f, _ in seen if f == "xlsx"}) == 2  # EYFSP everywhere, KS4 from the MIS
    assert {s for _, _, s in seen} == {0, 1, 2}
    headers = {
        tuple(r["header"]) for inbox, t in (clean, other_systems) for r in _files(t, "school_census", 2025)
    }
    assert len(headers) == 3  # each system names its columns its own way


def test_sizes_and_upns_look_like_a_london_borough(clean):
    inbox, truth = clean
    census = {y: _frame(inbox, _files(truth, "school_census", y)[0]) for y in YEARS}
    latest = census[2025]
    assert 30_000 <= len(latest) <= 50_000
    assert latest["upn"].is_unique
    assert latest["nc_year"].value_counts().between(3000, 4000).all()
    assert latest["nc_year"].nunique() == 12
    assert latest["upn"].str.fullmatch(r"[A-Z]950\d{9}").all()
    digits = latest["upn"].str[1:].to_numpy()
    weights = np.arange(2, 14)
    check = [_CHECK[sum(int(d) * w for d, w in zip(u, weights, strict=True)) % 23] for u in digits[:500]]
    assert check == latest["upn"].str[0].tolist()[:500]
    # Pupils persist: most of 2025's Year 1-11 were on roll in 2024, one year group lower.
    prev = census[2024].set_index("upn")["nc_year"]
    order = ["R", *map(str, range(1, 12))]
    moved = latest[latest["upn"].isin(prev.index)]
    assert len(moved) / (latest["nc_year"] != "R").sum() > 0.9
    step = moved["nc_year"].map(order.index) - prev.loc[moved["upn"]].map(order.index).to_numpy()
    assert (step == 1).all()
    assert 0.2 < (latest["fsm_eligible"] == "Y").mean() < 0.35
    assert set(latest["sen_provision"]) == {"N", "K", "E"}
    extended = latest["ethnicity"].isin(["BSOM", "BNGN", "BGHA", "WTUR", "OKRD"])
    assert extended.sum() > 500 and latest["ethnicity"].isin(["REFU", "NOBT"]).mean() < 0.03
    reception = (latest["nc_year"] == "R").sum()
    assert _files(truth, "eyfsp", 2025)[0]["data_rows"] == reception
    assert _files(truth, "ks4", 2025)[0]["data_rows"] == (latest["nc_year"] == "11").sum()
    events = _frame(inbox, _files(truth, "exclusions", 2025)[0])
    rate = (events["category"] == "Suspension").sum() / len(latest) * 100
    assert 5 < rate < 20  # suspensions per 100 pupils, like England's 9-11
    assert 0 < (events["category"] == "Permanent exclusion").sum() < 0.004 * len(latest)


def test_suspension_ratios_recomputed_from_the_files(clean):
    """Rates per recorded main code from the census and exclusions files alone equal the truth's
    realised counts; expected ratios are exactly the planted ones (BCRB falling 2.4 -> 2.2)."""
    inbox, truth = clean
    pooled = {}
    for year in YEARS:
        census = _frame(inbox, _files(truth, "school_census", year)[0])
        events = _frame(inbox, _files(truth, "exclusions", year)[0])
        susp = events[events["category"] == "Suspension"].merge(census[["upn", "ethnicity"]], on="upn")
        assert len(susp) == (events["category"] == "Suspension").sum()  # every event joins
        pupils = _main_code(census["ethnicity"]).fillna(census["ethnicity"]).value_counts()
        counts = _main_code(susp["ethnicity"]).fillna(susp["ethnicity"]).value_counts()
        expected = _truth_rows(truth, "exclusions", "rates", year, "dfe_main")
        for group, row in expected.items():
            assert row["pupils"] == pupils[group]
            assert row["suspensions"] == counts.get(group, 0)
        planted = {"BCRB": 2.4 if year == 2024 else 2.2, "MWBC": 2.5, "AIND": 1.0, "WBRI": 1.0}
        for group, ratio in planted.items():
            assert expected[group]["expected_suspensions_rate_ratio"] == pytest.approx(ratio, abs=1e-6)
            a, n = pooled.get(group, (0, 0))
            pooled[group] = (a + counts.get(group, 0), n + pupils[group])
    # Pooled over the two years, each planted ratio lies inside the realised ratio's 99% CI
    # (Poisson log interval, as the marts will compute it for repeatable events).
    ref_events, ref_pupils = pooled["WBRI"]
    for group, planted_ratio in (("BCRB", 2.3), ("MWBC", 2.5), ("AIND", 1.0)):
        events_, pupils_ = pooled[group]
        rr = (events_ / pupils_) / (ref_events / ref_pupils)
        half = 2.576 * math.sqrt(1 / events_ + 1 / ref_events)
        assert rr * math.exp(-half) < planted_ratio < rr * math.exp(half), (group, rr)


def test_fsm_sen_and_intersection_effects_in_the_truth(clean):
    _, truth = clean
    for year in YEARS:
        fsm = _truth_rows(truth, "exclusions", "rates", year, "fsm")
        rate = {k: v["expected_suspensions"] / v["pupils"] for k, v in fsm.items()}
        assert 2.5 < rate["FSM"] / rate["Not FSM"] < 5
        sen = _truth_rows(truth, "exclusions", "rates", year, "sen")
        assert (
            sen["K"]["expected_suspensions"] / sen["K"]["pupils"]
            > 2 * sen["N"]["expected_suspensions"] / sen["N"]["pupils"]
        )
        cells = _truth_rows(truth, "exclusions", "rates", year, "intersection")
        r = {k: v["expected_suspensions"] / v["pupils"] for k, v in cells.items()}
        boys_fsm = r["BCRB|Male|FSM"] / r["WBRI|Male|FSM"]
        girls_fsm = r["BCRB|Female|FSM"] / r["WBRI|Female|FSM"]
        assert boys_fsm > 1.3 * girls_fsm  # the planted x1.5 for Black Caribbean boys with FSM
    assert truth["exclusions"]["planted"]["ratio_by_year"]["2024"]["BCRB"] == pytest.approx(2.4)


def test_attainment_and_gld_recomputed_from_the_files(clean):
    """Somali pupils' Attainment 8 sits below the wider Black African average, Nigerian and
    Ghanaian above; realised sums match the truth; expected gaps are exactly as planted."""
    inbox, truth = clean
    means = {}
    for year in YEARS:
        census = _frame(inbox, _files(truth, "school_census", year)[0])
        ks4 = _frame(inbox, _files(truth, "ks4", year)[0]).merge(census[["upn", "ethnicity"]], on="upn")
        ks4["a8"] = ks4["attainment8"].astype(float)
        ks4["main"] = _main_code(ks4["ethnicity"]).fillna(ks4["ethnicity"])
        extended = _truth_rows(truth, "ks4", "attainment", year, "dfe_extended")
        main = _truth_rows(truth, "ks4", "attainment", year, "dfe_main")
        for code, gap in (("BSOM", -9.0), ("BNGN", 6.0), ("BGHA", 3.0)):
            rows = ks4[ks4["ethnicity"] == code]
            assert extended[code]["pupils"] == len(rows)
            assert extended[code]["attainment8_sum"] == pytest.approx(rows["a8"].sum(), abs=1e-6)
            assert extended[code]["expected_gap_to_wbri"] == pytest.approx(gap, abs=1e-6)
            means.setdefault(code, []).append(rows["a8"])
        for code in ("BAFR", "WBRI", "WOTH"):
            rows = ks4[ks4["main"] == code]
            assert main[code]["attainment8_sum"] == pytest.approx(rows["a8"].sum(), abs=1e-6)
            means.setdefault(code, []).append(rows["a8"])
        assert main["WOTH"]["expected_gap_to_wbri"] == pytest.approx(0.0, abs=1e-6)  # null effect

        eyfsp = _frame(inbox, _files(truth, "eyfsp", year)[0]).merge(census[["upn", "ethnicity"]], on="upn")
        gld = _truth_rows(truth, "eyfsp", "gld", year, "dfe_main")
        got = eyfsp.assign(main=_main_code(eyfsp["ethnicity"]).fillna(eyfsp["ethnicity"]))
        for code, row in gld.items():
            rows = got[got["main"] == code]
            assert (row["pupils"], row["gld"]) == (len(rows), (rows["gld"] == "Y").sum())
        census_level = _truth_rows(truth, "eyfsp", "gld", year, "census_code")
        assert census_level["WGYP"]["expected_gap_pp"] == pytest.approx(-30.0, abs=1e-4)
        assert census_level["AIND"]["expected_gap_pp"] == pytest.approx(0.0, abs=1e-4)
    pooled = {k: pd.concat(v).mean() for k, v in means.items()}
    assert pooled["BSOM"] + 4 < pooled["BAFR"] < pooled["BNGN"]
    assert pooled["BGHA"] > pooled["BSOM"]


def test_dirty_faults_are_recorded_at_their_physical_rows(dirty, clean):
    inbox, truth = dirty
    kinds = {"duplicate_row", "impossible_date", "text_in_numeric"}
    for source in PUPIL_SOURCES:
        faults = truth[source]["faults"]
        missing = [f for f in faults if f["fault"] == "missing_required_column"]
        assert len(missing) == 1 and truth[source]["rejected_files"][0] in {f["file"] for f in missing}
        record = next(r for r in truth[source]["files"] if r["file"] == missing[0]["file"])
        assert missing[0]["column"] not in record["header"] and record["missing_columns"] == [
            missing[0]["column"]
        ]
        for record in truth[source]["files"]:
            mine = [f for f in faults if f["file"] == record["file"] and f["row"] is not None]
            assert "duplicate_row" in {f["fault"] for f in mine}
            if not record["missing_columns"]:  # else faults in the dropped column are not there
                assert kinds <= {f["fault"] for f in mine}
                assert any(f["fault"].startswith("unknown_") for f in mine)
                assert any(f["fault"].startswith("negative_") for f in mine)
                assert any(f["fault"].endswith("_out_of_range") for f in mine)
                assert len(mine) == pytest.approx(0.01 * record["data_rows"], abs=8)
            frame = _frame(inbox, record).set_index("_row")
            for f in mine:
                value = frame.at[f["row"], f["canonical_column"]]
                assert value == f["value"] or float(value) == f["value"], f
                assert frame.at[f["row"], "upn"] == f["upn"]
                if f["fault"] == "duplicate_row":
                    assert frame.loc[f["duplicate_of_row"]].equals(frame.loc[f["row"]])
            if record["format"] == "csv" and not record["missing_columns"]:
                # Every other row is exactly the clean row: dirty = clean + the recorded faults.
                faulty = {f["upn"] for f in mine}
                cleaned = (clean[0] / record["file"]).read_bytes().decode(record["encoding"]).split("\r\n")
                lines = (inbox / record["file"]).read_bytes().decode(record["encoding"]).split("\r\n")
                dups = sum(f["fault"] == "duplicate_row" for f in mine)
                assert len(lines) == len(cleaned) + dups
                assert [x for x in lines if x.split(",")[0] not in faulty] == [
                    x for x in cleaned if x.split(",")[0] not in faulty
                ]
    # Expected statistics leave the faulty rows out: the rejected census year counts nobody.
    counts = {c["year"]: c for c in truth["school_census"]["headcounts"]}
    assert (
        counts[2024]["stats_pupils"] == 0
        and 0 < counts[2025]["pupils"] - counts[2025]["stats_pupils"] < 0.02 * counts[2025]["pupils"]
    )


def test_ees_benchmarks_cover_every_authority_with_symbols_and_renamed_columns(clean):
    inbox, truth = clean
    ees = truth["benchmarks_ees"]
    assert {f["publication"] for f in ees["files"]} == {"exclusions", "ks4"}
    assert ees["exclusions"]["realised_authorities"] == ["X09000001"]
    census = _frame(inbox, _files(truth, "school_census", 2025)[0])
    events = _frame(inbox, _files(truth, "exclusions", 2025)[0])
    for record in ees["files"]:
        frame = pd.read_csv(inbox / record["file"], dtype=str, keep_default_na=False)
        assert list(frame.columns) == record["header"] and len(frame) == record["data_rows"]
        levels = frame.drop_duplicates(["geographic_level", "region_name", "new_la_code"])
        assert (levels["geographic_level"] == "Local authority").sum() == 150
        assert (levels["geographic_level"] == "Regional").sum() == 9
        assert (levels["geographic_level"] == "National").sum() == 1
        assert frame["time_period"].eq(record["time_period"]).all()
        if record["publication"] == "ks4":
            latest = record["time_period"] == "202425"
            assert ("attainment8_average" in frame) == latest and ("avg_att8" in frame) != latest
            unknown = frame[frame["ethnicity_minor"] == "Unclassified"]
            assert set(unknown["attainment8_average" if latest else "avg_att8"]) == {"x"}
            continue
        total = frame[frame["characteristic_group"] == "Total"]
        national = total[total["geographic_level"] == "National"].iloc[0]
        total = total.set_index("new_la_code")
        local = total.loc[[a.code for a in all_authorities()]]
        assert local["headcount"].astype(int).sum() == int(national["headcount"])
        assert {"c"} <= set(frame["perm_excl"]) and "z" not in set(frame["headcount"])
        if record["time_period"] == "202425":
            mine = total.loc["X09000001"]
            assert int(mine["headcount"]) == len(census)
            assert int(mine["suspension"]) == (events["category"] == "Suspension").sum()
            assert int(mine["perm_excl"]) == (events["category"] == "Permanent exclusion").sum()
            assert 7_000_000 < int(national["headcount"]) < 9_000_000
            assert 5 < float(national["susp_rate"]) < 20
