"""Benchmarks in DfE Explore Education Statistics (EES) tidy CSV shape, for every authority.

Two publications, one file per academic year each, in ``inbox/benchmarks_ees/``:
``ees_exclusions_<time_period>_synthetic.csv`` (suspensions and permanent exclusions by
characteristic) and ``ees_ks4_<time_period>_synthetic.csv`` (Attainment 8 by ethnicity, FSM and
sex; the latest year uses the renamed columns pupil_count, attainment8_sum, attainment8_average).

Rows cover England (National), the nine regions and all 150 fictional authorities at any scale, so
statistical-neighbour and regional comparisons work even for a borough run. Authorities simulated
in this run contribute their realised counts (all generated pupils, as DfE's national data would
hold them, whatever dirty mode did to the files); the others contribute the model's expected
values on the same population, with the same planted mechanisms solved on weighted cells instead
of pupils (school effects averaged out), rounded as DfE rounds: counts to whole numbers, sums of
Attainment 8 to one decimal. Region and England rows are the sums of their authorities' rows.
Rates are computed from the rounded counts: rates per 100 pupils to 2 decimals, averages to 1.

GSS symbols as EES files use them: ``c`` for a count of 1 or 2 at local authority level (and any
rate or average built on it, or on fewer than 6 pupils), ``z`` where a rate has no pupils to be
computed over, ``low`` for a rate that rounds to 0.00 but is not zero, ``x`` for Attainment 8
averages of pupils of unknown ethnicity (not published).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES, REGIONS, Authority, all_authorities
from observatory.demo.education_config import EXTENDED_KS4, EducationConfig
from observatory.demo.education_files import text_cells, write_csv_fast
from observatory.demo.education_model import (
    KS4_CLASSES,
    clipped_normal_mean,
    em5_probability,
    expected_exclusions,
    ks4_latent_mean,
    one_plus_probability,
)
from observatory.demo.education_outcomes import academic_year
from observatory.demo.education_roster import (
    fsm_probability,
    la_number,
    sen_probabilities,
    year_group_targets,
)
from observatory.demo.ethnicity import load_labels
from observatory.demo.population import dfe_codes, extended_mix

FOLDER = "benchmarks_ees"
REGION_CODES = {
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "London": "E12000007", "South East": "E12000008", "South West": "E12000009",
}  # fmt: skip
MAJOR_LABELS = {
    "White": "White", "Mixed": "Mixed / Multiple ethnic groups", "Asian": "Asian / Asian British",
    "Black": "Black / African / Caribbean / Black British", "Other ethnic group": "Any other ethnic group",
}  # fmt: skip
UNCLASSIFIED = "Unclassified"
GEO_COLUMNS = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
]  # fmt: skip


@cache
def main_codes_order() -> tuple[str, ...]:
    codes = dfe_codes()
    return tuple(codes.loc[codes["code_level"] == "main", "dfe_code"])


@cache
def minor_label() -> dict[str, str]:
    codes = dfe_codes()
    main = codes[codes["code_level"] == "main"]
    return {
        **dict(zip(main["dfe_code"], main["dfe_label"], strict=True)),
        "REFU": UNCLASSIFIED,
        "NOBT": UNCLASSIFIED,
    }


@cache
def major_label() -> dict[str, str]:
    codes = dfe_codes()
    main = codes[codes["code_level"] == "main"]
    major = load_labels().major_group
    out = {m: MAJOR_LABELS[major[c]] for m, c in zip(main["dfe_code"], main["census_code"], strict=True)}
    return {**out, "REFU": UNCLASSIFIED, "NOBT": UNCLASSIFIED}


# --- breakdown rows: fixed lists, summed with bincount ---------------------------------------

MAJORS = (*MAJOR_LABELS.values(), UNCLASSIFIED)


@cache
def _main_major() -> np.ndarray:
    """Major-group row (index into MAJORS) of each main code, the last entry for unknown."""
    return np.array([MAJORS.index(major_label()[m]) for m in main_codes_order()] + [len(MAJORS) - 1])


@cache
def exclusion_rows() -> tuple[tuple[str, str], ...]:
    """(characteristic_group, characteristic) in file order."""
    minors = [minor_label()[m] for m in main_codes_order()] + [UNCLASSIFIED]
    return (
        ("Total", "Total"),
        ("Sex", "Female"), ("Sex", "Male"),
        ("FSM", "FSM not eligible"), ("FSM", "FSM eligible"),
        ("SEN provision", "No SEN"), ("SEN provision", "SEN support"), ("SEN provision", "EHC plan"),
        *(("Ethnicity major", m) for m in MAJORS),
        *(("Ethnicity minor", m) for m in minors),
    )  # fmt: skip


@cache
def ks4_rows() -> tuple[tuple[str, str, str, str], ...]:
    """(ethnicity_major, ethnicity_minor, sex, free_school_meals) in file order."""
    t = "Total"
    minors = [(MAJORS[_main_major()[i]], minor_label()[m]) for i, m in enumerate(main_codes_order())]
    return (
        (t, t, t, t), (t, t, "Girls", t), (t, t, "Boys", t),
        (t, t, t, "FSM not eligible"), (t, t, t, "FSM eligible"),
        *((m, t, t, t) for m in MAJORS),
        *((maj, mino, t, t) for maj, mino in minors),
        (UNCLASSIFIED, UNCLASSIFIED, t, t),
    )  # fmt: skip


def _rows(total, sex, meals, sen, minor, ks4: bool) -> np.ndarray:
    """Stack the breakdowns (each (categories, measures)) in file order, adding the major groups."""
    major = np.zeros((len(MAJORS), minor.shape[1]))
    np.add.at(major, _main_major(), minor)
    if ks4:
        return np.concatenate([total, sex, meals, major, minor])
    return np.concatenate([total, sex, meals, sen, major, minor])


def _by(code: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sums of each measure (column of values) per code: (size, measures)."""
    m = values.shape[1]
    flat = (np.asarray(code, dtype=np.int64)[:, None] * m + np.arange(m)).ravel()
    return np.bincount(flat, values.ravel(), minlength=size * m).reshape(size, m)


def _aggregate(main: np.ndarray, male, fsm, sen, values: np.ndarray, ks4: bool) -> np.ndarray:
    """Units (main code index 0..17, 18 = unknown; values (n, measures)) -> breakdown rows."""
    total = values.sum(axis=0, keepdims=True)
    minor = _by(main, values, len(main_codes_order()) + 1)
    return _rows(total, _by(male, values, 2), _by(fsm, values, 2), _by(sen, values, 3), minor, ks4)


def _main_index(codes: np.ndarray) -> np.ndarray:
    lookup = {m: i for i, m in enumerate(main_codes_order())}
    return pd.Series(codes, dtype=object).map(lookup).fillna(len(lookup)).to_numpy(dtype=np.int64)


def realised_rows(
    pupils: pd.DataFrame, events: pd.DataFrame, ks4: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Breakdown rows from every generated pupil (weight 1) with realised counts."""
    n = len(pupils)
    pos = pupils.index.get_indexer(events["pupil"].to_numpy())
    category = events["category"].to_numpy()
    susp = np.bincount(pos[category == 0], minlength=n).astype(float)
    perm = np.bincount(pos[category == 1], minlength=n).astype(float)
    main = _main_index(pupils["recorded_main"].to_numpy(dtype=object))
    male, fsm, sen = pupils["male"].to_numpy(), pupils["fsm"].to_numpy(), pupils["sen"].to_numpy()
    values = np.stack([np.ones(n), perm, susp, (susp > 0) * 1.0], axis=1)
    excl = _aggregate(main, male, fsm, sen, values, False)
    at = pupils.index.get_indexer(ks4["pupil"].to_numpy())
    k_values = np.stack(
        [np.ones(at.size), ks4["attainment8"].to_numpy(), ks4["em_grade5"].to_numpy(dtype=float)], axis=1
    )
    return excl, _aggregate(main[at], male[at], fsm[at], sen[at], k_values, True)


@cache
def _main_shares(authority: Authority) -> np.ndarray:
    """(KS4 classes, main codes): share of each class's pupils recorded under each main code."""
    main_of = dict(zip(dfe_codes()["dfe_code"], dfe_codes()["main_code"], strict=True))
    order = main_codes_order()
    mix = extended_mix(authority)
    out = np.zeros((len(KS4_CLASSES), len(order)))
    for i, census in enumerate(CENSUS_CODES):
        for code, share in mix[census].items():
            if census == "BAFR" and code in EXTENDED_KS4:
                continue
            out[i, order.index(main_of[code])] += share
    for i, _ in enumerate(EXTENDED_KS4):
        out[len(CENSUS_CODES) + i, order.index("BAFR")] = 1.0
    return out / np.where(out.sum(axis=1, keepdims=True) > 0, out.sum(axis=1, keepdims=True), 1.0)


@cache
def _class_split(authority: Authority) -> np.ndarray:
    """(census groups, KS4 classes): how each group's pupils divide into KS4 classes."""
    out = np.zeros((len(CENSUS_CODES), len(KS4_CLASSES)))
    out[np.arange(len(CENSUS_CODES)), np.arange(len(CENSUS_CODES))] = 1.0
    bafr = CENSUS_CODES.index("BAFR")
    mix = extended_mix(authority)["BAFR"]
    total = sum(mix.values())
    for i, code in enumerate(EXTENDED_KS4):
        share = mix.get(code, 0.0) / total
        out[bafr, len(CENSUS_CODES) + i] = share
        out[bafr, bafr] -= share
    return out


def _spread(total, sex, meals, sen, class_sums, shares, unknown: float, ks4: bool) -> np.ndarray:
    """Breakdowns with a leading authority axis -> rows (authorities, rows, measures). Each class is
    spread over the main codes it is recorded under (known share) and Unclassified (the rest)."""
    known = (1 - unknown) * np.einsum("akj,akm->ajm", shares, class_sums)
    minor = np.concatenate([known, unknown * total], axis=1)
    major = np.zeros((minor.shape[0], len(MAJORS), minor.shape[2]))
    np.add.at(major, (slice(None), _main_major()), minor)
    parts = [total, sex, meals] + ([] if ks4 else [sen]) + [major, minor]
    return np.concatenate(parts, axis=1)


def _expected_exclusion_rows(values: np.ndarray, shares: np.ndarray, unknown: float) -> np.ndarray:
    """values (authorities, cells, measures) on the full cell grid -> breakdown rows."""
    a, m = values.shape[0], values.shape[2]
    v = values.reshape(a, 19, 2, 12, 2, 3, 2, m).sum(axis=(3, 6))  # (a, group, sex, fsm, sen, m)
    return _spread(
        v.sum(axis=(1, 2, 3, 4))[:, None, :], v.sum(axis=(1, 3, 4)), v.sum(axis=(1, 2, 4)),
        v.sum(axis=(1, 2, 3)), v.sum(axis=(2, 3, 4)), shares, unknown, False,
    )  # fmt: skip


def _expected_ks4_rows(block, n_auth, cls, male, fsm, values, shares, unknown: float) -> np.ndarray:
    """Sparse cells (one row per authority, cell and KS4 class) -> breakdown rows."""
    m = values.shape[1]

    def by(code: np.ndarray, size: int) -> np.ndarray:
        flat = block * size + np.asarray(code, dtype=np.int64)
        return _by(flat, values, n_auth * size).reshape(n_auth, size, m)

    total = by(np.zeros(block.size, dtype=np.int64), 1)
    return _spread(total, by(male, 2), by(fsm, 2), None, by(cls, shares.shape[1]), shares, unknown, True)


@cache
def _cell_grid() -> tuple[np.ndarray, ...]:
    """Every (group, sex, grade, FSM, SEN, EAL) combination, flattened."""
    grid = np.meshgrid(
        np.arange(19), np.arange(2), np.arange(12), np.arange(2), np.arange(3), np.arange(2), indexing="ij"
    )
    return tuple(a.ravel() for a in grid)


def _cell_weights(authorities: list[Authority], year: int, cfg: EducationConfig) -> np.ndarray:
    """Expected pupils in each cell (authorities, cells): year-group headcount x P(FSM) x P(SEN) x
    P(EAL)."""
    pop = cfg.population
    g, s, k, f, e, eal = _cell_grid()
    male = s == 1
    support, ehc = sen_probabilities(k, male, year, pop)
    p_sen = np.select([e == 0, e == 1], [1 - support - ehc, support], ehc)
    p_eal = np.array([pop.eal_share[c] for c in CENSUS_CODES])[g]
    p_fsm = np.stack([fsm_probability(g, a, year, pop) for a in authorities])
    targets = np.stack([year_group_targets(a, year, pop) for a in authorities]).astype(float)
    shared = p_sen * np.where(eal == 1, p_eal, 1 - p_eal)
    return targets[:, g, s, k] * np.where(f == 1, p_fsm, 1 - p_fsm) * shared


def expected_rows(
    authorities: list[Authority], year: int, cfg: EducationConfig
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The model's expected breakdown rows for authorities that were not simulated, solved for all
    of them at once (one calibration block per authority)."""
    g, s, k, f, e, eal = _cell_grid()
    male, fsm_b, eal_b = s == 1, f == 1, eal == 1
    weights = _cell_weights(authorities, year, cfg)  # (authorities, cells)
    n_auth, n_cells = weights.shape
    w = weights.ravel()
    block = np.repeat(np.arange(n_auth), n_cells)
    lam, perm = expected_exclusions(cfg.exclusions, year, k, male, fsm_b, e, g, w, block=block, repeat=n_auth)
    one_plus = one_plus_probability(lam, cfg.exclusions.frailty_shape)
    excl_values = np.stack([w, w * perm, w * lam, w * one_plus], axis=1)
    shares = np.stack([_main_shares(a) for a in authorities])  # (authorities, classes, mains)
    unknown = cfg.population.refused_share + cfg.population.not_obtained_share
    excl = _expected_exclusion_rows(
        excl_values.reshape(n_auth, n_cells, 4), shares[:, : len(CENSUS_CODES)], unknown
    )

    y11 = np.flatnonzero(k == 11)
    split = np.stack([_class_split(a) for a in authorities])  # (authorities, groups, classes)
    cell_split = weights[:, y11, None] * split[:, g[y11], :]  # (authorities, y11 cells, classes)
    kb, at, classes = np.nonzero(cell_split > 0)
    idx = y11[at]
    wk = cell_split[kb, at, classes]
    latent = ks4_latent_mean(cfg.ks4, year, male[idx], fsm_b[idx], e[idx], eal_b[idx], classes, wk, block=kb)
    a8 = clipped_normal_mean(latent, cfg.ks4.noise_sd)
    k_values = np.stack([wk, wk * a8, wk * em5_probability(cfg.ks4, latent)], axis=1)
    k4 = _expected_ks4_rows(kb, n_auth, classes, male[idx], fsm_b[idx], k_values, shares, unknown)
    return {a.code: (excl[i], k4[i]) for i, a in enumerate(authorities)}


_DEFAULT = EducationConfig()


@lru_cache(maxsize=16)
def _default_expected(authorities: tuple[Authority, ...], year: int) -> dict:
    return expected_rows(list(authorities), year, _DEFAULT)


def _expected_cached(authorities: tuple[Authority, ...], year: int, cfg: EducationConfig) -> dict:
    """The expected rows depend only on the authorities, the year and the configuration (not the
    seed), so with the default configuration they are computed once per process."""
    if cfg == _DEFAULT:
        return _default_expected(authorities, year)
    return expected_rows(list(authorities), year, cfg)


class Benchmarks:
    """Collects each authority-year's breakdown rows, then writes the EES files."""

    def __init__(self, cfg: EducationConfig):
        self.cfg = cfg
        self.rows: dict[str, dict[tuple[str, int], np.ndarray]] = {"exclusions": {}, "ks4": {}}

    def add(
        self, authority: Authority, year: int, excl: np.ndarray, k4: np.ndarray, *, realised: bool
    ) -> None:
        if not realised:  # DfE publishes whole counts and one-decimal sums
            excl = np.floor(excl + 0.5)
            k4 = np.column_stack([np.floor(k4[:, 0] + 0.5), k4[:, 1], np.floor(k4[:, 2] + 0.5)])
        k4 = k4.copy()
        k4[:, 1] = np.round(k4[:, 1], 1)
        self.rows["exclusions"][(authority.code, year)] = excl
        self.rows["ks4"][(authority.code, year)] = k4

    def write(self, folder: Path, years: tuple[int, ...]) -> dict:
        folder.mkdir(parents=True, exist_ok=True)
        for pattern in ("ees_exclusions_*_synthetic.csv", "ees_ks4_*_synthetic.csv"):
            for old in folder.glob(pattern):
                old.unlink()  # only this domain's own benchmark files
        for year in years:
            missing = [a for a in all_authorities() if (a.code, year) not in self.rows["exclusions"]]
            expected = _expected_cached(tuple(missing), year, self.cfg) if missing else {}
            for authority in missing:
                self.add(authority, year, *expected[authority.code], realised=False)
        files = []
        for year in years:
            files.append(self._write_one(folder, "exclusions", year))
            files.append(self._write_one(folder, "ks4", year, latest=year == max(years)))
        return {"files": files}

    def _write_one(self, folder: Path, publication: str, year: int, latest: bool = False) -> dict:
        period = f"{year - 1}{year % 100:02d}"
        store = self.rows[publication]
        authorities = all_authorities()
        local = np.stack([store[(a.code, year)] for a in authorities])  # (150, rows, measures)
        geos: list[tuple[str, str, Authority | None, np.ndarray]] = [
            ("National", "England", None, local.sum(axis=0))
        ]
        for region in ("London", *REGIONS):
            members = [i for i, a in enumerate(authorities) if a.region == region]
            geos.append(("Regional", region, None, local[members].sum(axis=0)))
        geos += [("Local authority", a.code, a, local[i]) for i, a in enumerate(authorities)]
        labels = exclusion_rows() if publication == "exclusions" else ks4_rows()
        n_rows = len(labels)
        table = {c: [] for c in GEO_COLUMNS}
        for level, name, authority, _ in geos:
            for column, value in _geography(level, name, authority, period).items():
                table[column].extend([value] * n_rows)
        values = np.concatenate([v for *_, v in geos])
        la = np.repeat(np.array([g[0] == "Local authority" for g in geos]), n_rows)
        keys = list(zip(*labels, strict=True))
        label_names = (
            ["characteristic_group", "characteristic"]
            if publication == "exclusions"
            else ["ethnicity_major", "ethnicity_minor", "sex", "free_school_meals"]
        )
        for name, column in zip(label_names, keys, strict=True):
            table[name] = list(column) * len(geos)
        if publication == "exclusions":
            table["school_type"] = ["Total"] * len(values)
            columns = _exclusion_columns(values, la)
            order = [*GEO_COLUMNS, "school_type", *label_names, *columns]
        else:
            columns = _ks4_columns(values, la, np.array(table["ethnicity_major"]) == UNCLASSIFIED, latest)
            order = [*GEO_COLUMNS, *label_names, *columns]
        table.update(columns)
        table["data_status"] = ["SYNTHETIC"] * len(values)
        header = [*order, "data_status"]
        cells = [text_cells(np.asarray(table[c], dtype=object)) for c in header]
        name = f"ees_{publication}_{period}_synthetic.csv"
        write_csv_fast(folder / name, header, cells, "utf-8")
        return {
            "file": f"{FOLDER}/{name}",
            "source": FOLDER,
            "domain": "education",
            "publication": publication,
            "time_period": period,
            "academic_year": academic_year(year),
            "format": "csv",
            "encoding": "utf-8",
            "header_row": 1,
            "first_data_row": 2,
            "data_rows": len(values),
            "header": header,
        }


def _geography(level: str, name: str, authority: Authority | None, period: str) -> dict:
    region = authority.region if authority else (name if level == "Regional" else "")
    return {
        "time_period": period,
        "time_identifier": "Academic year",
        "geographic_level": level,
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": REGION_CODES.get(region, ""),
        "region_name": region,
        "old_la_code": str(la_number(authority)) if authority else "",
        "new_la_code": authority.code if authority else "",
        "la_name": authority.name if authority else "",
    }


def _fixed(values: np.ndarray, places: int) -> np.ndarray:
    """Numbers -> text with exactly ``places`` decimals (a table lookup would not fit sums)."""
    return np.char.mod(f"%.{places}f", np.round(values, places) + 0.0).astype(object)


def _count(values: np.ndarray, la: np.ndarray) -> np.ndarray:
    v = np.floor(values + 0.5).astype(np.int64)
    return np.where(la & (v >= 1) & (v <= 2), "c", v.astype(str)).astype(object)


def _rate(num: np.ndarray, den: np.ndarray, la: np.ndarray, places: int, scale: float = 100.0) -> np.ndarray:
    value = np.divide(num * scale, den, out=np.zeros(num.size), where=den > 0)
    text = _fixed(value, places)
    text = np.where((num > 0) & (np.round(value, places) == 0), "low", text)
    text = np.where(den > 0, text, "z")
    small = la & (((num >= 1) & (num <= 2)) | ((den >= 1) & (den < 6)))
    return np.where(small, "c", text).astype(object)


def _exclusion_columns(values: np.ndarray, la: np.ndarray) -> dict[str, np.ndarray]:
    head, perm, susp, one = (values[:, i] for i in range(4))
    return {
        "headcount": np.floor(head + 0.5).astype(np.int64).astype(str).astype(object),
        "perm_excl": _count(perm, la),
        "perm_excl_rate": _rate(perm, head, la, 2),
        "suspension": _count(susp, la),
        "susp_rate": _rate(susp, head, la, 2),
        "one_plus_susp": _count(one, la),
        "one_plus_susp_rate": _rate(one, head, la, 2),
    }


def _ks4_columns(
    values: np.ndarray, la: np.ndarray, unknown: np.ndarray, latest: bool
) -> dict[str, np.ndarray]:
    pupils, att8, em5 = (values[:, i] for i in range(3))
    small = la & (pupils >= 1) & (pupils < 6)
    names = (
        ("pupil_count", "attainment8_sum", "attainment8_average")
        if latest
        else ("t_pupils", "t_att8", "avg_att8")
    )
    average = np.where(unknown, "x", _rate(att8, pupils, small, 1, scale=1.0))
    return {
        names[0]: np.floor(pupils + 0.5).astype(np.int64).astype(str).astype(object),
        names[1]: np.where(small, "c", _fixed(att8, 1)).astype(object),
        names[2]: average.astype(object),
        "t_l2basics_95": _count(em5, la),
        "pt_l2basics_95": _rate(em5, pupils, la, 1),
    }
