"""Disclosure control (methods reference §7): secondary suppression and the differencing audit.

Small hand-made tables with known attacks: a 2-way table with margins, ethnicity at two levels
linked to ethnicity x sex, an attack that needs equations solved together (beyond subtracting one
row), the unknown-ethnicity row an attacker can derive, and sums published beside counts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.disclosure import (
    CELL,
    FlatDimension,
    Hierarchy,
    Layout,
    System,
    _Gram,
    attack_equations,
    audit,
    equations,
    exact,
    protect,
    relations,
)
from observatory.disclosure_tables import outcome_layout

K = 5


def two_way(values: dict[tuple[str, str], int]) -> pd.DataFrame:
    """Ethnicity x sex with every margin and the grand total."""
    rows = [("p", e, s, v) for (e, s), v in values.items()]
    groups = sorted({e for e, _ in values})
    sexes = sorted({s for _, s in values})
    rows += [("p", e, "all", sum(values[e, s] for s in sexes)) for e in groups]
    rows += [("p", "all", s, sum(values[e, s] for e in groups)) for s in sexes]
    rows += [("p", "all", "all", sum(values.values()))]
    return pd.DataFrame(rows, columns=["part", "eth", "sex", "n"])


FLAT = Layout(("part",), (FlatDimension("eth", "all"), FlatDimension("sex", "all")), ("n",))
TABLE = two_way(
    {("A", "F"): 3, ("A", "M"): 20, ("B", "F"): 30, ("B", "M"): 25, ("C", "F"): 12, ("C", "M"): 40}
)


def published(protected: pd.DataFrame, columns=("n",)) -> pd.DataFrame:
    hide = protected["is_primary_suppressed"] | protected["is_secondary_suppressed"]
    out = protected.copy()
    for c in columns:
        out[c] = out[c].where(~hide)
    return out


def test_primary_suppression_alone_is_recovered_by_subtraction():
    primary_only = TABLE.assign(n=TABLE["n"].where(~TABLE["n"].between(1, K - 1)))
    leaks = audit(primary_only, TABLE, FLAT, K, "t")
    assert len(leaks) == 1
    leak = leaks[0]
    assert leak.key == {"part": "p", "eth": "A", "sex": "F"}
    assert leak.recovered_value == pytest.approx(3)
    assert "recoverable by differencing" in str(leak)


def test_secondary_suppression_leaves_nothing_to_recover():
    result = protect(TABLE, FLAT, K)
    assert result.cells["is_primary_suppressed"].sum() == 1
    assert result.secondary >= 3  # a 2-way table needs a rectangle of four hidden cells at least
    assert audit(published(result.cells), TABLE, FLAT, K, "t") == []
    # The grand total stays published.
    grand = result.cells[(result.cells["eth"] == "all") & (result.cells["sex"] == "all")]
    assert not grand["is_secondary_suppressed"].any()


def test_a_small_count_shown_is_a_leak():
    leaks = audit(TABLE, TABLE, FLAT, K, "t")
    assert [(leak.key["eth"], leak.key["sex"], leak.true_value) for leak in leaks] == [("A", "F", 3)]


def test_the_exact_attack_finds_what_subtracting_one_row_cannot():
    """x + y = 10, x + z = 7, y + z = 9: no equation has one unknown, yet x = 4."""
    eqs = pd.DataFrame(
        {"equation": [0, 0, 0, 1, 1, 1, 2, 2, 2], CELL: [0, 1, 3, 0, 2, 4, 1, 2, 5], "coef": [1, 1, -1] * 3}
    )
    system = System(eqs, 6)
    hidden = np.array([True, True, True, False, False, False])
    assert system.peel(hidden) == {}
    assert system.determined(hidden) == {0, 1, 2}
    values = np.array([np.nan, np.nan, np.nan, 10, 7, 9])
    assert system.recover(hidden, values, {0}) == pytest.approx({0: 4})


def members(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["level", "code", "atom"])


ETHNICITY = members(
    [("census", c, c) for c in ("BAFR", "BCRB", "BOTH", "WBRI", "WOTH")]
    + [("major", "Black", c) for c in ("BAFR", "BCRB", "BOTH")]
    + [("major", "White", c) for c in ("WBRI", "WOTH")]
    + [("custom", "black_caribbean", "BCRB")]
    + [("all", "All", c) for c in ("BAFR", "BCRB", "BOTH", "WBRI", "WOTH", "unknown")]
)
LINKED = Layout(("part",), (Hierarchy("level", "code", ETHNICITY), FlatDimension("sex", "All")), ("n",))


def linked_table() -> pd.DataFrame:
    """Ethnicity at census, major, custom and all levels, alone and by sex (linked tables)."""
    female = {"BAFR": 30, "BCRB": 3, "BOTH": 12, "WBRI": 60, "WOTH": 25}
    male = {"BAFR": 28, "BCRB": 9, "BOTH": 14, "WBRI": 55, "WOTH": 21}
    rows = []
    for sex, counts in (("Female", female), ("Male", male), ("All", None)):
        get = (lambda c: female[c] + male[c]) if counts is None else counts.get
        for code in female:
            rows.append(("census", code, sex, get(code)))
        rows.append(("major", "Black", sex, sum(get(c) for c in ("BAFR", "BCRB", "BOTH"))))
        rows.append(("major", "White", sex, sum(get(c) for c in ("WBRI", "WOTH"))))
        rows.append(("custom", "black_caribbean", sex, get("BCRB")))
        rows.append(("all", "All", sex, sum(get(c) for c in female)))
    return pd.DataFrame(rows, columns=["level", "code", "sex", "n"]).assign(part="p")


def test_linked_tables_and_levels_are_attacked_together():
    table = linked_table()
    # Primary only: BCRB female (3) and its custom twin are hidden, yet Black female - BAFR - BOTH
    # gives it back, and so does BCRB all - BCRB male.
    primary_only = table.assign(n=table["n"].where(~table["n"].between(1, K - 1)))
    leaks = audit(primary_only, table, LINKED, K, "linked")
    assert {(leak.key["level"], leak.key["code"], leak.key["sex"]) for leak in leaks} == {
        ("census", "BCRB", "Female"),
        ("custom", "black_caribbean", "Female"),
    }
    result = protect(table, LINKED, K)
    assert audit(published(result.cells), table, LINKED, K, "linked") == []


def test_an_equation_that_does_not_hold_is_not_used():
    """People of unknown ethnicity are in All but in no group: All = sum of groups does not hold,
    and an attacker who assumed it would get a wrong answer, so it is not an attack."""
    table = linked_table()
    table.loc[table["level"] == "all", "n"] += 2  # two people of unknown ethnicity per sex
    table.loc[(table["level"] == "all") & (table["sex"] == "All"), "n"] += 2
    eqs = equations(table.assign(**{CELL: range(len(table))}), LINKED, "n")
    all_cells = set(table.index[table["level"] == "all"])
    census_parts = eqs[eqs[CELL].isin(all_cells)]
    # The All rows keep only the sex relation (All = Female + Male), not All = sum of groups.
    assert census_parts.groupby("equation").size().max() == 3


def test_rows_an_attacker_derives_are_known_but_never_suppressed_or_reported():
    table = linked_table().assign(derived=False)
    unknown = pd.DataFrame(
        {"level": "unknown", "code": "Unknown", "sex": ["Female", "Male", "All"], "n": [2, 1, 3], "part": "p"}
    ).assign(derived=True)
    for sex, n in zip(["Female", "Male", "All"], [2, 1, 3], strict=True):
        table.loc[(table["level"] == "all") & (table["sex"] == sex), "n"] += n
    table = pd.concat([table, unknown], ignore_index=True)
    hierarchy = Hierarchy(
        "level",
        "code",
        pd.concat([ETHNICITY, members([("unknown", "Unknown", "unknown")])]),
        overlapping_levels=("custom", "unknown"),
    )
    layout = Layout(("part",), (hierarchy, FlatDimension("sex", "All")), ("n",), attacker_knows="derived")
    result = protect(table, layout, K)
    derived = result.cells[result.cells["derived"]]
    assert not (derived["is_primary_suppressed"] | derived["is_secondary_suppressed"]).any()
    shown = published(result.cells)
    shown.loc[shown["derived"], "n"] = table.loc[table["derived"], "n"]
    assert audit(shown, table, layout, K, "t") == []
    # With the unknown rows known, All - White - (Black but BCRB) gives BCRB back unless protected:
    primary_only = table.assign(n=table["n"].where(~table["n"].between(1, K - 1) | table["derived"]))
    assert audit(primary_only, table, layout, K, "t")


def test_a_sum_published_beside_a_count_is_protected_with_its_row():
    """Total Attainment 8 points of a suppressed group would give its mean back."""
    table = TABLE.assign(points=TABLE["n"] * 40.0)
    layout = Layout(FLAT.partition, FLAT.dimensions, ("n",), sums=("points",))
    result = protect(table, layout, K)
    assert audit(published(result.cells, ("n", "points")), table, layout, K, "t") == []
    counts_only = published(result.cells, ("n",))
    leaks = audit(counts_only, table, layout, K, "t")
    assert {(leak.column, leak.key["eth"], leak.key["sex"]) for leak in leaks} == {("points", "A", "F")}


def test_no_cell_is_hidden_that_the_published_ones_give_away():
    """Black (all) is the Black major group under another name. Hiding one twin while the other is
    published protects nothing, so a secondary cell the attacker can work out is published."""
    ethnicity = pd.concat(
        [ETHNICITY, members([("custom", "black_all", c) for c in ("BAFR", "BCRB", "BOTH")])]
    )
    table = linked_table()
    twins = table[(table["level"] == "major") & (table["code"] == "Black")]
    table = pd.concat([table, twins.assign(level="custom", code="black_all")], ignore_index=True)
    layout = Layout(("part",), (Hierarchy("level", "code", ethnicity), FlatDimension("sex", "All")), ("n",))
    # Cheapest first: custom rows cost least, so the twin is the natural breaker to pick.
    result = protect(table, layout, K).cells
    hidden = (result["is_primary_suppressed"] | result["is_secondary_suppressed"]).to_numpy()
    system = System(equations(table.assign(**{CELL: range(len(table))}), layout, "n"), len(table))
    secondary = set(np.flatnonzero(result["is_secondary_suppressed"]))
    assert secondary and not secondary & system.determined(hidden)
    assert audit(published(result), table, layout, K, "t") == []
    black = result[result["code"].isin(["Black", "black_all"])]
    hidden_black = black["is_primary_suppressed"] | black["is_secondary_suppressed"]
    assert hidden_black.groupby(black["sex"]).nunique().eq(1).all()  # twins hidden or shown together


def test_the_same_cells_in_any_order_get_the_same_suppression():
    """A query may return rows in any order; the suppression (ties broken by cell number) must not
    depend on it, or two nights with the same data would publish different cells."""
    table = linked_table()
    layout = Layout(("part",), (Hierarchy("level", "code", ETHNICITY), FlatDimension("sex", "All")), ("n",))
    flags = ["is_primary_suppressed", "is_secondary_suppressed"]
    expected = protect(table, layout, K).cells
    assert expected[flags[1]].any()
    for seed in range(5):
        shuffled = table.sample(frac=1, random_state=seed)
        result = protect(shuffled, layout, K).cells
        assert result[layout.key].equals(shuffled[layout.key].reset_index(drop=True))  # input order kept
        merged = result.merge(expected, on=layout.key, suffixes=("", "_expected"))
        for flag in flags:
            assert merged[flag].equals(merged[f"{flag}_expected"]), (seed, flag)


def random_linked_table(rng: np.random.Generator) -> pd.DataFrame:
    """The linked table's ethnicity by sex and FSM, with random small and large counts."""
    codes = ("BAFR", "BCRB", "BOTH", "WBRI", "WOTH")
    groups = [("census", c, (c,)) for c in codes] + [
        ("major", "Black", codes[:3]),
        ("major", "White", codes[3:]),
        ("custom", "black_caribbean", ("BCRB",)),
        ("all", "All", codes),
    ]
    counts = [0, 1, 2, 3, 6, 9, 14, 30]
    atoms = pd.DataFrame(
        [(c, s, f, int(rng.choice(counts))) for c in codes for s in "FM" for f in "YN"],
        columns=["code", "sex", "fsm", "n"],
    )
    rows = []
    for sex in ("F", "M", "All"):
        for fsm in ("Y", "N", "All"):
            within = atoms[atoms["sex"].isin([sex] if sex != "All" else ["F", "M"])]
            within = within[within["fsm"].isin([fsm] if fsm != "All" else ["Y", "N"])]
            total = {(lv, code): within.loc[within["code"].isin(g), "n"].sum() for lv, code, g in groups}
            rows += [(lv, code, sex, fsm, n) for (lv, code), n in total.items()]
    return pd.DataFrame(rows, columns=["level", "code", "sex", "fsm", "n"]).assign(part="p")


def headline(cells: pd.DataFrame) -> pd.Series:
    """Ethnicity alone: the rows a board reads (module level, so worker processes can load it)."""
    return 2 * ((cells["sex"] == "All") & (cells["fsm"] == "All"))


LINKED_BY_FSM = Layout(
    ("part",),
    (Hierarchy("level", "code", ETHNICITY), FlatDimension("sex", "All"), FlatDimension("fsm", "All")),
    ("n",),
    priority=headline,
)


def test_no_headline_row_is_hidden_that_could_be_shown():
    """The rounds hide cells greedily, so a headline row (ethnicity alone) hidden early can be left
    needless by cells hidden after it. Every headline row still hidden at the end must be needed:
    showing it alone would give a small count away. Random tables, so the greedy order varies."""
    layout = LINKED_BY_FSM
    rng = np.random.default_rng(2026)
    checked = 0
    for _ in range(20):
        table = random_linked_table(rng)
        result = protect(table, layout, K).cells
        assert audit(published(result), table, layout, K, "t") == []
        hidden = (result["is_primary_suppressed"] | result["is_secondary_suppressed"]).to_numpy()
        system = System(equations(table.assign(**{CELL: range(len(table))}), layout, "n"), len(table))
        small = table["n"].between(1, K - 1).to_numpy()
        before = {c for c in system.determined(hidden) if small[c]}
        needless = result["is_secondary_suppressed"].to_numpy() & (headline(result) > 0).to_numpy()
        for cell in np.flatnonzero(needless):
            shown = hidden.copy()
            shown[cell] = False
            assert {c for c in system.determined(shown) if small[c]} - before, result.loc[cell].to_dict()
            checked += 1
    assert checked  # some headline rows were hidden, and each was needed


def test_a_table_protected_in_chunks_of_partitions_in_parallel_gets_the_same_flags():
    """Large tables are protected in chunks of whole partitions by worker processes: no relation
    crosses a partition, so the flags must be exactly those of the table protected at once."""
    rng = np.random.default_rng(7)
    table = pd.concat(
        [random_linked_table(rng).assign(part=f"p{i:02d}") for i in range(12)], ignore_index=True
    ).sample(frac=1, random_state=1)  # rows in any order, as a query returns them
    whole = protect(table, LINKED_BY_FSM, K)
    chunked = protect(table, LINKED_BY_FSM, K, chunk_cells=150, workers=2)
    assert chunked.cells.equals(whole.cells)
    assert (chunked.rounds, chunked.secondary) == (whole.rounds, whole.secondary)
    assert whole.secondary > 0


def test_an_attack_repeated_after_a_few_changes_equals_a_fresh_one():
    """The rounds re-attack only the partitions whose hidden cells changed since the last call
    (`System.determined` and `System.chains`): after any sequence of changes the answer must be
    exactly that of a fresh system attacking the whole table."""
    rng = np.random.default_rng(11)
    table = pd.concat(
        [random_linked_table(rng).assign(part=f"p{i}") for i in range(6)], ignore_index=True
    ).assign(**{CELL: lambda t: np.arange(len(t))})
    partition = table.groupby("part").ngroup().to_numpy()
    system = System(equations(table, LINKED_BY_FSM, "n"), len(table), partition)
    hidden = ((table["n"] > 0) & (table["n"] < K)).to_numpy()
    for _ in range(40):
        flip = rng.choice(len(table), size=int(rng.integers(1, 4)), replace=False)
        hidden[flip] = ~hidden[flip]
        fresh = System(equations(table, LINKED_BY_FSM, "n"), len(table))  # one partition: no shortcut
        assert system.determined(hidden) == fresh.determined(hidden)
        assert system.chains(hidden) == fresh.peel(hidden)
    assert len(np.unique(partition[flip])) < 6  # the last changes left some partitions alone


def stuck_partition() -> tuple[pd.DataFrame, Layout]:
    """A partition of the London benchmark's outcome table (synthetic) and its layout."""
    here = Path(__file__).parent / "fixtures" / "disclosure"
    cells = pd.read_csv(here / "stuck_partition_synthetic.csv").assign(respondents=np.nan, score_total=np.nan)
    return cells, outcome_layout(pd.read_csv(here / "stuck_partition_members.csv"))


def test_an_attack_running_only_through_recovered_hidden_cells_is_broken():
    """A partition of the London benchmark (synthetic) where the exact attack on White British (2)
    used no published cell but the unknown-ethnicity row, which the attacker knows: it ran through
    White other than British, hidden but recovered by the simple attack, so there was nothing to
    hide and the rounds stopped with the count exposed (the audit refused the publication). The
    chain that recovers such a cell is broken instead."""
    cells, layout = stuck_partition()
    protected = protect(cells, layout, K).cells
    hidden = protected["is_primary_suppressed"] | protected["is_secondary_suppressed"]
    counts = [*layout.counts, *layout.sums]
    shown = protected.copy()
    shown.loc[hidden, counts] = np.nan
    assert audit(shown, protected[[*layout.key, *counts]], layout, K, "outcome_indicators") == []
    white_british = (protected["ethnicity_code"] == "WBRI") & (protected[["sex", "fsm", "sen"]] == "All").all(
        axis=1
    )
    assert hidden[white_british & (protected["ethnicity_level"] == "census2021")].all()


def test_the_rounds_of_a_chunk_never_stop_a_partition_half_protected():
    """Partitions share the rounds of their chunk, and a partition can wait many rounds while
    others are worked on; a cap on the chunk's rounds (once 200) stopped five London partitions
    half-protected. The rounds end by themselves (each hides one more cell), so with no cap every
    partition in a chunk gets the flags it gets alone."""
    rng = np.random.default_rng(3)
    table = pd.concat(
        [random_linked_table(rng).assign(part=f"p{i:02d}") for i in range(8)], ignore_index=True
    )
    together = protect(table, LINKED_BY_FSM, K).cells
    for part, cells in table.groupby("part"):
        alone = protect(cells, LINKED_BY_FSM, K).cells
        assert alone.reset_index(drop=True).equals(together[together["part"] == part].reset_index(drop=True))
    assert protect(table, LINKED_BY_FSM, K, max_rounds=1).rounds == 1  # a cap is still honoured


def test_a_cell_pruned_as_free_is_still_found_when_the_rest_of_its_equation_is_known():
    """f + g + h = T and g + h + k = U: f is alone in its equation (free), and g and h are free once
    it is dropped, so nothing is left for the algebra; yet g + h = U - k, so f = T - U + k.
    London's benchmark published such a count (White British 3) and its audit refused it."""
    f, g, h, t, k, u = range(6)
    eqs = pd.DataFrame(
        {"equation": [0] * 4 + [1] * 4, CELL: [f, g, h, t, g, h, k, u], "coef": [1, 1, 1, -1] * 2}
    )
    system = System(eqs, 6)
    hidden = np.array([True, True, True, False, False, False])
    assert system.peel(hidden) == {}
    assert system.determined(hidden) == {f}
    values = np.array([np.nan, np.nan, np.nan, 20, 4, 21])
    assert system.recover(hidden, values, {f}) == pytest.approx({f: 3})
    # Its attack uses every published cell, and hiding k (which only it uses) stops it.
    sure, used, through = system.witnesses(hidden, {f})[f]
    assert sorted(used) == [t, k, u] and k in sure and through == []
    hidden[k] = True
    assert system.determined(hidden) == set()


def test_the_attack_finds_exactly_what_the_whole_null_space_says_is_determined():
    """`determined` shrinks the system before the algebra (peel, prune free cells, solve pruned
    ones back); with random cells hidden it must agree with the textbook test on the whole system
    at once: cell j is determined iff e_j is in the row space of A's hidden columns (one dense SVD,
    no shortcut). On the London partition's layout, where solving pruned cells back matters."""
    cells, layout = stuck_partition()
    cells = cells.assign(**{CELL: np.arange(len(cells))})
    rng = np.random.default_rng(5)
    pruned_and_found, tried = 0, []
    for column in ("events", "population"):
        system = System(equations(cells, layout, column), len(cells))
        dense = system.a.toarray()
        for _ in range(60):
            hidden = rng.random(len(cells)) < rng.uniform(0.05, 0.6)
            columns = np.flatnonzero(hidden)
            _, sv, vt = np.linalg.svd(dense[:, columns])
            null = vt[int((sv > 1e-9).sum()) :]
            textbook = set(columns[np.abs(null).max(axis=0, initial=0) < 1e-9].tolist())
            assert system.determined(hidden) == textbook
            tried.append((system, hidden, textbook))
    # Some were found only by solving pruned cells back (neither peeled nor in a block's algebra).
    for system, hidden, textbook in tried:
        found, live, unknown, _ = system.core(hidden)
        in_blocks = {c for _, block in system.blocks(live, unknown) for c in block.tolist()}
        pruned_and_found += len(textbook - found - in_blocks)
    assert pruned_and_found


def test_the_gram_factor_answers_what_the_svd_answers():
    """The algebra factors A'A by pivoted Cholesky instead of taking A's SVD (10x faster on these
    blocks). On the London partition's relations with random cells hidden, it must give what the
    textbook SVD gives: the same determined unknowns (zero rows of the null space), the same
    projection of any vector on A's columns, and the same shortest y with y'A = e_j for a
    determined unknown j (the attack `witnesses` reads its cells from)."""
    cells, layout = stuck_partition()
    cells = cells.assign(**{CELL: np.arange(len(cells))})
    rng = np.random.default_rng(11)
    determined_seen = rank_deficient = 0
    for column in ("events", "population"):
        a = System(equations(cells, layout, column), len(cells)).a
        for _ in range(40):
            hidden = np.flatnonzero(rng.random(len(cells)) < rng.uniform(0.05, 0.6))
            block = a[:, hidden]
            block = block[np.flatnonzero(abs(block).sum(axis=1).A.ravel())]
            if not block.shape[0]:
                continue
            dense = block.toarray()
            u, sv, vt = np.linalg.svd(dense)
            rank = int((sv > 1e-9).sum())
            textbook = np.abs(vt[rank:]).max(axis=0, initial=0) < 1e-9
            gram = _Gram(block)
            assert gram.rank == rank
            rank_deficient += rank < len(hidden)
            assert ((np.abs(gram.null_samples(rng)).max(axis=1) < 1e-7) == textbook).all()
            b = rng.integers(-20, 20, (block.shape[0], 3)).astype(float)
            projection = u[:, :rank] @ (u[:, :rank].T @ b)
            assert np.allclose(block @ gram.solve(block.T @ b), projection, atol=1e-9)
            units = np.eye(len(hidden))[:, textbook]
            shortest = np.linalg.pinv(dense.T) @ units
            assert np.allclose(block @ gram.solve(units), shortest, atol=1e-9)
            determined_seen += int(textbook.sum())
    assert determined_seen and rank_deficient


def test_an_audit_in_chunks_of_partitions_in_worker_processes_finds_the_same_leaks_in_the_same_order():
    """The audit attacks a large table a chunk of whole partitions at a time (bounded memory), in a
    process per core: no relation crosses a partition, so the leaks must be exactly those of
    attacking it whole, in one process or several."""
    rng = np.random.default_rng(3)
    table = pd.concat(
        [random_linked_table(rng).assign(part=f"p{i:02d}") for i in range(8)], ignore_index=True
    ).sample(frac=1, random_state=2)
    primary_only = table.assign(n=table["n"].where(~table["n"].between(1, K - 1)))
    whole = audit(primary_only, table, LINKED_BY_FSM, K, "t")
    chunked = audit(primary_only, table, LINKED_BY_FSM, K, "t", chunk_cells=100, workers=1)
    in_workers = audit(primary_only, table, LINKED_BY_FSM, K, "t", chunk_cells=100, workers=2)
    assert len(whole) > 8 and chunked == whole and in_workers == whole
    assert len({leak.key["part"] for leak in whole}) > 4


def test_a_count_given_away_by_the_unknown_share_alone_withholds_the_share():
    """London benchmark partition (synthetic): 14 men and one woman, the one of unknown ethnicity.
    Women = total - men = the unknown count, which the unknown share gives away: hiding every other
    cell cannot protect her, so the share is withheld (the derived row hidden) and the audit,
    attacking with the share withheld, recovers nothing."""
    here = Path(__file__).parent / "fixtures" / "disclosure"
    cells = pd.read_csv(here / "unknown_only_partition_synthetic.csv").assign(
        respondents=np.nan, score_total=np.nan
    )
    layout = outcome_layout(pd.read_csv(here / "unknown_only_partition_members.csv"))
    counts = [*layout.counts, *layout.sums]
    protected = protect(cells, layout, K).cells
    derived = protected["is_derived"]
    assert protected.loc[derived, "is_secondary_suppressed"].all()  # the share is withheld
    hidden = protected["is_primary_suppressed"] | protected["is_secondary_suppressed"]
    shown = protected.assign(is_derived=derived & ~hidden)
    shown.loc[hidden, counts] = np.nan
    assert audit(shown, protected[[*layout.key, *counts]], layout, K, "outcome_indicators") == []
    # With the share published, the woman is recovered whatever else is hidden.
    given = shown.assign(is_derived=derived)
    given.loc[derived, counts] = protected.loc[derived, counts]
    leaks = audit(given, protected[[*layout.key, *counts]], layout, K, "outcome_indicators")
    assert [(leak.key["sex"], leak.column, leak.recovered_value) for leak in leaks] == [
        ("Female", "population", pytest.approx(1))
    ]
    # A layout that cannot withhold it leaves her exposed (and the audit says so).
    fixed = protect(cells, replace(layout, withhold_known=False), K).cells
    assert not fixed.loc[fixed["is_derived"], "is_secondary_suppressed"].any()


# Irish Travellers (WIRT) have no code at the extended level, whose Roma code (WROG) covers WROM
# only: "Gypsy/Roma/Traveller = its extended codes" leaves WIRT out.
TRAVELLERS = members(
    [("census", c, c) for c in ("WIRT", "WROM", "WBRI")]
    + [("extended", "WROG", "WROM"), ("extended", "WBRI_ext", "WBRI")]
    + [("custom", "traveller", a) for a in ("WIRT", "WROM")]
    + [("all", "All", c) for c in ("WIRT", "WROM", "WBRI")]
)


def test_a_sum_that_adds_up_only_because_the_people_left_out_scored_nothing_is_no_attack():
    """One Irish Traveller pupil scoring 0: "traveller = WROG" then holds for the points (30 = 30 + 0)
    though not for the pupils (8 against 7). An attacker sees the counts disagree and cannot know the
    points agree: that they do is the pupil's score itself. Used as a relation, it fixed WIRT's points
    at 0 with no published cell to hide (England's Attainment 8, where the audit refused the
    snapshot); it is no relation for the points, as it is none for the counts."""
    n = {"WIRT": 1, "WROM": 7, "WBRI": 40}
    points = {"WIRT": 0.0, "WROM": 30.0, "WBRI": 900.0}
    groups = {
        ("census", "WIRT"): ["WIRT"], ("census", "WROM"): ["WROM"], ("census", "WBRI"): ["WBRI"],
        ("extended", "WROG"): ["WROM"], ("extended", "WBRI_ext"): ["WBRI"],
        ("custom", "traveller"): ["WIRT", "WROM"], ("all", "All"): ["WIRT", "WROM", "WBRI"],
    }  # fmt: skip
    rows = [
        (level, code, sum(n[a] for a in atoms), sum(points[a] for a in atoms))
        for (level, code), atoms in groups.items()
    ]
    table = pd.DataFrame(rows, columns=["level", "code", "n", "points"]).assign(part="p")
    layout = Layout(("part",), (Hierarchy("level", "code", TRAVELLERS),), ("n",), sums=("points",))
    cells = table.assign(**{CELL: range(len(table))})
    every = relations(cells, layout)
    assert len(attack_equations(every, cells, layout, "points")) < len(exact(every, cells, "points"))
    assert attack_equations(every, cells, layout, "n").equals(exact(every, cells, "n"))
    result = protect(table, layout, K)
    assert audit(published(result.cells, ("n", "points")), table, layout, K, "t") == []
    hidden = result.cells.loc[result.cells["is_primary_suppressed"], ["level", "code"]]
    assert ("census", "WIRT") in set(map(tuple, hidden.to_numpy()))


def pay_gap_workforce() -> pd.DataFrame:
    """A small workforce as workforce_pay_gap gives it: 3 Asian staff (all Indian), 12 Black (all
    Black African), 20 White British; by sex within each, and women and men of all staff."""
    staff = {
        ("Indian", "Asian"): (2, 1),
        ("Black African", "Black"): (6, 6),
        ("White British", None): (11, 9),
    }
    rows = []
    for (detailed, major), (women, men) in staff.items():
        binary = "White British" if major is None else "Ethnic minorities"
        for level, group in (
            ("detailed", detailed),
            ("major", major or detailed),
            ("minority_binary", binary),
        ):
            rows += [
                (level, group, "All", women + men),
                (level, group, "Female", women),
                (level, group, "Male", men),
            ]
    rows += [("all", "All", "Female", 19), ("all", "All", "Male", 16)]
    cells = pd.DataFrame(rows, columns=["ethnicity_level", "ethnicity_group", "sex", "relevant_headcount"])
    cells = cells.groupby(["ethnicity_level", "ethnicity_group", "sex"], as_index=False).sum()
    return cells.assign(
        authority_code="E09000001",
        snapshot_date=pd.Timestamp("2025-03-31").date(),
        full_pay_relevant_headcount=cells["relevant_headcount"],
    )


WORKFORCE_MEMBERS = members(
    [
        ("detailed", g, c)
        for g, c in (("Indian", "AIND"), ("Black African", "BAFR"), ("White British", "WBRI"))
    ]
    + [("major", "Asian", "AIND"), ("major", "Black", "BAFR"), ("major", "White British", "WBRI")]
    + [("minority_binary", "Ethnic minorities", c) for c in ("AIND", "BAFR")]
    + [("minority_binary", "White British", "WBRI")]
    + [("all", "All", c) for c in ("AIND", "BAFR", "WBRI", "unknown")]
)


def test_the_pay_gap_pair_is_protected_across_levels_and_sexes():
    """The one-pass rule used before (a parent's next smallest child; the other sex of a hidden
    group) hid Asian (3), its sexes and Black beside it, yet Black African (12) is Black, and
    ethnic minorities (15) less Black gives Asian back. The engine leaves nothing to recover."""
    from observatory.disclosure_tables import PAY_GAP_COUNTS, PAY_GAP_KEY, pay_gap_layout, protect_pay_gaps

    truth = pay_gap_workforce()
    layout = pay_gap_layout(WORKFORCE_MEMBERS)
    counts = list(PAY_GAP_COUNTS)
    one_pass = truth["ethnicity_group"].isin(["Indian", "Asian"]) | (
        (truth["ethnicity_group"] == "Black") & (truth["ethnicity_level"] == "major")
    )
    leaks = audit(truth.assign(**{c: truth[c].where(~one_pass) for c in counts}), truth, layout, K, "pay_gap")
    assert ("major", "Asian", "All", 3) in {
        (leak.key["ethnicity_level"], leak.key["ethnicity_group"], leak.key["sex"], leak.true_value)
        for leak in leaks
    }

    flags = protect_pay_gaps(truth, WORKFORCE_MEMBERS, K)
    assert list(flags.columns) == [*PAY_GAP_KEY, "is_primary_suppressed", "is_secondary_suppressed"]
    shown = truth.merge(flags, on=PAY_GAP_KEY, validate="1:1")
    assert audit(published(shown, counts), truth, layout, K, "pay_gap") == []
    hidden = shown[shown["is_primary_suppressed"] | shown["is_secondary_suppressed"]]
    assert {("major", "Asian", "All"), ("detailed", "Indian", "Female")} <= set(
        hidden[["ethnicity_level", "ethnicity_group", "sex"]].itertuples(index=False, name=None)
    )
    # All staff by sex, the gender pay gap's rows, stay published.
    assert not hidden["ethnicity_level"].eq("all").any()
