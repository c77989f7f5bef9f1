"""Disclosure control for published tables (methods reference §7): primary and secondary suppression,
and the differencing attack that proves them.

A published table is a set of cells, each with counts (numerator, denominator, headcount...). Its
additive structure gives linear relations between cells: the total of a dimension is the sum of its
values (sex all = female + male), and an ethnic group is the sum of the groups within it at any finer
level (Black = African + Caribbean + Other Black; Black African = Somali + Nigerian + ...). An
attacker who knows those relations can solve for a suppressed cell from published ones: by
subtracting one row from a total, one table from a linked table, or any longer chain.

`equations` writes every such relation down, keeping only those that hold exactly in the true counts
(an ethnicity total includes people of unknown ethnicity, so "total = sum of groups" holds only where
there are none: an attacker who assumes it elsewhere recovers a wrong value). `recoverable` finds
every suppressed cell whose value is a linear function of the published ones: for the suppressed
cells S of a connected block of equations A, cell j is determined iff the null space of A[:, S] is
zero in coordinate j. That covers every differencing attack at once, however long the chain.
`protect` suppresses small counts (primary), then, while any small count is recoverable, the
smallest published cell of a relation it sits in (secondary), until none is. The audit attacks the
published table with the same algebra and reports what it recovers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dpstrf
from scipy.sparse import bmat, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import lsqr
from threadpoolctl import threadpool_limits

from observatory import config
from observatory.parallel import map_in_processes

CELL = "_cell"
TOL = 1e-6
TIER = 1e12  # one tier of cost in _cost: above any count
# Blocks with more hidden cells than this use sparse iterative algebra instead of a dense factor.
DENSE_LIMIT = 400
# Random vectors of a null space drawn to tell determined cells from free ones, and their cut-off.
SAMPLES = 3
ZERO = 1e-7
# A pivot of the Gram matrix's Cholesky below this share of its largest diagonal is a zero one (_Gram).
RANK_TOL = 1e-9
# The dense algebra is of a few hundred columns at most: one BLAS thread does it fastest, and BLAS
# threads spinning beside DuckDB's and dbt's made each SVD (the algebra then) 3-10x slower (docs/scaling.md).
ONE_BLAS_THREAD = threadpool_limits.wrap(limits=1, user_api="blas")
# Tables with more cells than this are protected in chunks of whole partitions, in parallel
# processes: no relation crosses a partition, so the flags are the same, and every core has work.
CHUNK_CELLS = 20_000


class _Gram:
    """A's Gram matrix A'A factored by pivoted Cholesky (LAPACK's pstrf): P'(A'A)P = R'R, R = [R11 R12]
    of rank r. It reveals the rank like an SVD and is an order of magnitude faster on these blocks
    (a few hundred columns of +-1): it works on the n x n Gram matrix, which is exact (integer
    entries), and stops at the rank. The gap it relies on is wide: the blocks' smallest non-zero
    singular value is about 0.1, their zero ones below 1e-14 (measured on London's blocks), so a
    pivot below RANK_TOL of the largest diagonal is a zero one.

    A and A'A have the same null space, and A'A x = A'b has a solution x for every b: `solve` gives
    one, and A x is then b's projection on A's columns, whichever solution it is."""

    def __init__(self, a):
        gram = (a.T @ a).toarray()  # a: sparse, at least one column
        c, piv, rank, info = dpstrf(gram, tol=RANK_TOL * gram.diagonal().max(), lower=0)
        if info < 0:
            raise ValueError(f"pstrf: illegal argument {-info}")
        self.n, self.rank, self.order = gram.shape[0], int(rank), piv - 1
        self.r11 = np.triu(c[:rank, :rank])
        self.r12 = c[:rank, rank:]

    def null_samples(self, rng: np.random.Generator) -> np.ndarray:
        """SAMPLES random vectors of the null space (one row per column of A): N z with N the basis
        P[-R11^-1 R12; I] and z random. A row of N is zero exactly when that unknown is determined."""
        free = rng.standard_normal((self.n - self.rank, SAMPLES))
        out = np.empty((self.n, SAMPLES))
        out[self.order[self.rank :]] = free
        out[self.order[: self.rank]] = -solve_triangular(self.r11, self.r12 @ free, check_finite=False)
        return out

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """x with A'A x = rhs, for each column of rhs in the range of A'A (rows A' b, or unit vectors
        of determined unknowns): P [R11^-1 R11^-T rhs_P; 0]."""
        lead = rhs[self.order[: self.rank]]
        lead = solve_triangular(self.r11, lead, trans="T", check_finite=False)
        out = np.zeros((self.n, rhs.shape[1]))
        out[self.order[: self.rank]] = solve_triangular(self.r11, lead, check_finite=False)
        return out


def _null_samples(a, rng: np.random.Generator) -> np.ndarray:
    """SAMPLES random vectors of the null space of A (columns, one row per unknown of A x = b). An
    unknown is determined iff the null space is zero in its coordinate, which a random vector of it
    shows (with probability one): and any linear combination of unknowns is determined iff it is
    zero on the samples, which is what `System._determined` needs for the cells `core` pruned. The
    draws of different blocks must be independent (one generator), or a difference of two cells in
    two blocks alike would look determined."""
    n = a.shape[1]
    if n <= DENSE_LIMIT:
        return _Gram(a).null_samples(rng)
    probes = rng.standard_normal((n, SAMPLES))
    samples = np.empty_like(probes)
    for j in range(SAMPLES):  # the part of each probe outside A's row space
        w = lsqr(a.T, probes[:, j], atol=1e-14, btol=1e-14, iter_lim=20 * n)[0]
        samples[:, j] = probes[:, j] - a.T @ w
    return samples


def _isolate(a, units: np.ndarray) -> np.ndarray:
    """y with A'y = each unit vector (a column of `units`), least squares (large sparse blocks)."""
    return np.column_stack(
        [
            lsqr(a.T, units[:, j], atol=1e-14, btol=1e-14, iter_lim=20 * a.shape[1])[0]
            for j in range(units.shape[1])
        ]
    )


@dataclass(frozen=True)
class FlatDimension:
    """A dimension whose total row is the sum of every other value (sex: all = F + M)."""

    column: str
    total: str


@dataclass(frozen=True)
class Hierarchy:
    """Ethnicity at several levels: a group is the sum of the groups of another level within it.

    `members` has one row per (level, code, atom): the finest codes a group stands for. Any group
    whose atoms all belong to a group at another level is counted in it.
    """

    level_column: str
    code_column: str
    members: pd.DataFrame = field(compare=False)  # level, code, atom
    overlapping_levels: tuple[str, ...] = ("custom",)


@dataclass(frozen=True)
class Layout:
    """How a published table adds up: partitions never summed over, dimensions, protected counts."""

    partition: tuple[str, ...]
    dimensions: tuple[FlatDimension | Hierarchy, ...]
    counts: tuple[str, ...]
    # Sums published beside the counts (total Attainment 8 points): not small in themselves, but a
    # suppressed row's sum is as confidential as its count.
    sums: tuple[str, ...] = ()
    # Rows the table does not publish but an attacker can work out (people of unknown ethnicity,
    # from the published unknown share), marked True in this column: known values in every
    # relation, never counted as a disclosure.
    attacker_knows: str | None = None
    # Whether the publication can withhold what gives those rows away (the unknown share), as a last
    # resort: when an attack on a small count runs through nothing else (the only woman in a cohort
    # is the one of unknown ethnicity), the row is hidden like any other cell.
    withhold_known: bool = False
    # Cells to hide only as a last resort (the headline rows a board reads): a function of the cells
    # giving each an extra tier of cost (0 for none).
    priority: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, compare=False)

    @property
    def dimension_columns(self) -> list[str]:
        cols: list[str] = []
        for d in self.dimensions:
            cols += [d.level_column, d.code_column] if isinstance(d, Hierarchy) else [d.column]
        return cols

    @property
    def key(self) -> list[str]:
        return list(self.partition) + self.dimension_columns


def primary(cells: pd.DataFrame, counts: Iterable[str], k: int) -> pd.Series:
    """A cell with any count from 1 to k-1 (fractional counts: above 0, below k)."""
    flags = pd.Series(False, index=cells.index)
    for column in counts:
        values = cells[column]
        flags |= (values > 0) & (values < k)
    return flags


# --- Relations ----------------------------------------------------------------------------------


def _where(cells: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per combination of the columns' values: the relations below join cells on the
    other dimensions' values, and one integer joins far faster than several text columns."""
    return cells.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()


def _flat_relations(cells: pd.DataFrame, layout: Layout, dim: FlatDimension) -> pd.DataFrame:
    others = [c for c in layout.key if c != dim.column]
    slim = pd.DataFrame({"where": _where(cells, others), CELL: cells[CELL].to_numpy()})
    is_total = (cells[dim.column] == dim.total).to_numpy()
    pairs = slim[is_total].merge(slim[~is_total], on="where", suffixes=("_parent", "_child"))
    return pairs.rename(columns={f"{CELL}_parent": "parent", f"{CELL}_child": "child"}).assign(
        relation=dim.column
    )[["parent", "child", "relation"]]


def _hierarchy_templates(hierarchy: Hierarchy) -> pd.DataFrame:
    """The relations between groups, by code: (template, parent level, parent code, child level, child
    code). At a partition level (every person in one group) a group is the sum of the groups of
    another level inside it. An overlapping level (custom groups such as Black (all), Ethnic
    minorities) adds: a group = an overlapping group inside it + the groups of a partition level that
    make up the rest (All = Ethnic minorities + White British)."""
    m = hierarchy.members
    groups = {key: frozenset(g["atom"]) for key, g in m.groupby(["level", "code"])}
    levels = sorted({lv for lv, _ in groups})
    partition_levels = [lv for lv in levels if lv not in hierarchy.overlapping_levels]
    rows = []
    for parent, atoms in groups.items():
        for level in partition_levels:
            if level == parent[0]:
                continue
            inside = [g for g in groups if g[0] == level and groups[g] <= atoms]
            rows += [(parent, level, child, "rest") for child in inside]
        for part in groups:
            if part[0] not in hierarchy.overlapping_levels or part == parent or not groups[part] <= atoms:
                continue
            for level in partition_levels:
                rest = [
                    g for g in groups if g[0] == level and groups[g] <= atoms and not groups[g] & groups[part]
                ]
                template = f"{part[0]}:{part[1]}+{level}"
                rows += [(parent, template, part, "part")] + [(parent, template, c, "rest") for c in rest]
    columns = ["lv_p", "cd_p", "template", "lv_c", "cd_c", "role"]
    return pd.DataFrame(
        [(p[0], p[1], t, c[0], c[1], r) for p, t, c, r in rows], columns=columns
    ).drop_duplicates()


def _hierarchy_relations(cells: pd.DataFrame, layout: Layout, dim: Hierarchy) -> pd.DataFrame:
    others = [c for c in layout.key if c not in (dim.level_column, dim.code_column)]
    lv, cd = dim.level_column, dim.code_column
    templates = _hierarchy_templates(dim)
    # Groups as integers too (-1: a code the hierarchy does not know, in no template).
    groups = pd.MultiIndex.from_frame(dim.members[["level", "code"]]).unique()
    templates["group_p"] = groups.get_indexer(pd.MultiIndex.from_frame(templates[["lv_p", "cd_p"]]))
    templates["group_c"] = groups.get_indexer(pd.MultiIndex.from_frame(templates[["lv_c", "cd_c"]]))
    slim = pd.DataFrame(
        {
            "where": _where(cells, others),
            "group": groups.get_indexer(pd.MultiIndex.from_frame(cells[[lv, cd]])),
            CELL: cells[CELL].to_numpy(),
        }
    )
    parents = slim.merge(
        templates[["group_p", "template", "group_c", "role"]], left_on="group", right_on="group_p"
    )
    children = slim.rename(columns={"group": "group_c", CELL: "child"})
    linked = parents.merge(children, on=["where", "group_c"])
    # A relation needs the level it sums over in the table: where a source has no rows at that level
    # (no Census codes in school data), "All = Black Caribbean heritage + nothing" is no relation.
    has_rest = linked["role"].eq("rest").groupby([linked[CELL], linked["template"]]).transform("any")
    linked = linked[has_rest]
    return linked.rename(columns={CELL: "parent", "template": "relation"})[["parent", "child", "relation"]]


def equations(cells: pd.DataFrame, layout: Layout, column: str) -> pd.DataFrame:
    """Long table (equation, cell, coefficient) of the relations that hold exactly for `column`.

    One equation per parent cell and child level (or flat dimension): parent - sum(children) = 0.
    `cells` must carry the true counts and a `_cell` id.
    """
    return exact(relations(cells, layout), cells, column)


def relations(cells: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Every relation of the layout between the cells, as `equations` has them, whether or not it
    holds: the same for every count column, so worked out once per table."""
    frames = []
    for dim in layout.dimensions:
        if isinstance(dim, Hierarchy):
            frames.append(_hierarchy_relations(cells, layout, dim))
        else:
            frames.append(_flat_relations(cells, layout, dim))
    rel = pd.concat(frames, ignore_index=True)
    # A relation needs a parent and at least one other cell (a template whose parts are all
    # missing from the table says nothing).
    rel = rel[rel["parent"] != rel["child"]]
    if rel.empty:
        return pd.DataFrame(columns=["equation", CELL, "coef"])
    rel["equation"] = rel.groupby(["parent", "relation"]).ngroup()
    return pd.concat(
        [
            rel[["equation", "parent"]].drop_duplicates().rename(columns={"parent": CELL}).assign(coef=1.0),
            rel[["equation", "child"]].rename(columns={"child": CELL}).assign(coef=-1.0),
        ],
        ignore_index=True,
    )


def exact(long: pd.DataFrame, cells: pd.DataFrame, column: str) -> pd.DataFrame:
    """The relations (from `relations`) that hold exactly in the true values of `column`."""
    if long.empty:
        return long
    values = long[CELL].map(cells.set_index(CELL)[column])
    by_equation = (long["coef"] * values).groupby(long["equation"])
    # An equation with a member of unknown true value (a cell the table does not hold) is not used.
    residual = by_equation.sum().where(values.isna().groupby(long["equation"]).sum() == 0)
    exact = residual.index[residual.abs() < TOL]
    return long[long["equation"].isin(exact)].reset_index(drop=True)


def attack_equations(long: pd.DataFrame, cells: pd.DataFrame, layout: Layout, column: str) -> pd.DataFrame:
    """The relations an attacker can use on `column`: those exact in its true values (`exact`) and,
    for a sum (layout.sums), exact in one of the counts too. A relation covers the same people for
    every column: where it misses some (a custom group's part not in the table, a level without a
    code for every atom: Gypsy/Roma/Traveller = the extended Roma codes, Irish Travellers left out),
    the counts show it, but a sum still adds up when the people missed score 0. That coincidence is
    the confidential value itself: an attacker cannot know it, and a relation kept for it determines
    the hidden sum with no published cell to hide (Attainment 8, England scale). `cells` holds the
    true values of `column` and of the layout's counts."""
    eqs = exact(long, cells, column)
    if column not in layout.sums or eqs.empty:
        return eqs
    held = set()
    for count in layout.counts:
        held |= set(exact(long, cells, count)["equation"].tolist())
    return eqs[eqs["equation"].isin(held)].reset_index(drop=True)


# --- The attack -----------------------------------------------------------------------------------


def _only(matrix: csr_matrix, columns: np.ndarray) -> csr_matrix:
    """The matrix (CSR) with only the entries in the given columns (a boolean mask over them), in
    their order. Built from the arrays: scipy's multiply-and-prune costs ten times more, thousands
    of times a round."""
    keep = columns[matrix.indices] & (matrix.data != 0)
    starts = np.concatenate(([0], np.cumsum(keep)))[matrix.indptr]
    return csr_matrix((matrix.data[keep], matrix.indices[keep], starts), shape=matrix.shape)


class System:
    """The exact relations of one count column as a sparse matrix: equations x cells, entries +-1.
    Hidden cells are a boolean vector over the cells."""

    def __init__(self, eqs: pd.DataFrame, n_cells: int, partition: np.ndarray | None = None):
        codes, self.n_eq = pd.factorize(eqs["equation"])[0], eqs["equation"].nunique()
        self.a = csr_matrix(
            (eqs["coef"].to_numpy(float), (codes, eqs[CELL].to_numpy())), shape=(self.n_eq, n_cells)
        )
        self.incidence = abs(self.a).astype(np.int32).tocsr()
        self.by_cell = self.incidence.T.tocsr()
        # The partition of each cell and equation (no equation crosses one): an attack is re-run
        # only on the partitions whose hidden cells changed, and exactly so (`determined`).
        self.partition = np.zeros(n_cells, np.int64) if partition is None else np.asarray(partition)
        self.eq_partition = self.partition[self.incidence.indices[self.incidence.indptr[:-1]]]
        self._last: dict = {}  # per attack: the hidden cells and the answer of its last call
        self._solved: dict = {}
        self._settled: set = set()  # equations of known cells and one hidden cell
        self._rng = np.random.default_rng(0)  # every draw of `_determined`, so no two are alike

    def lone_breakers(
        self, hidden: np.ndarray, known: np.ndarray, cost: np.ndarray, guard: np.ndarray
    ) -> set:
        """The classic rule, all equations at once: where an equation has exactly one hidden cell
        and it is a guarded (small) one, the cheapest published cell of it. Cells hidden to protect
        others are not protected in turn: chains through them are the next step's (`chain_breaker`).
        A hidden cell alone in an equation of cells the attacker knows cannot be protected: it
        counts as known, which may leave the next equation with one hidden cell."""
        hidden = hidden.copy()
        chosen: set = set()
        while True:
            lone = np.flatnonzero(
                (self.incidence @ hidden.astype(np.int32) == 1)
                & (self.incidence @ (hidden & guard).astype(np.int32) == 1)
            )
            lone = lone[~np.isin(lone, list(self._settled))] if self._settled else lone
            if not len(lone):
                return chosen
            candidates = _only(self.incidence[lone], ~hidden & ~known).tocoo()
            covered = np.zeros(len(lone), bool)
            covered[candidates.row] = True
            if candidates.nnz:
                order = np.lexsort((candidates.col, cost[candidates.col], candidates.row))
                rows, cols = candidates.row[order], candidates.col[order]
                first = np.r_[True, rows[1:] != rows[:-1]]
                chosen |= set(cols[first].tolist())
            if covered.all():
                return chosen
            # Equations of known cells and one hidden one: that one is given away whatever we hide.
            bare = lone[~covered]
            self._settled |= set(bare.tolist())
            given = _only(self.incidence[bare], hidden).tocoo().col
            hidden[given] = False

    def members_of_cell(self, cell: int) -> np.ndarray:
        """Every cell sharing an equation with `cell`."""
        by_cell = self.by_cell
        equations = by_cell.indices[by_cell.indptr[cell] : by_cell.indptr[cell + 1]]
        rows = [self.members(e) for e in equations.tolist()]
        return np.unique(np.concatenate(rows)) if rows else np.zeros(0, self.incidence.indices.dtype)

    def members(self, equation: int) -> np.ndarray:
        """The cells of an equation, in the matrix's order (a slice: scipy's row indexing costs more)."""
        incidence = self.incidence
        return incidence.indices[incidence.indptr[equation] : incidence.indptr[equation + 1]]

    def peel(self, hidden: np.ndarray, equations: np.ndarray | None = None) -> dict:
        """The simple attack, by rounds: an equation with one hidden cell gives that cell's value,
        which may leave another with one. Returns each cell found and the equation that gave it."""
        incidence = self.incidence if equations is None else self.incidence[equations]
        ids = np.arange(self.n_eq) if equations is None else equations
        unknown = hidden.copy()
        found: dict = {}
        while True:
            per_equation = incidence @ unknown.astype(np.int32)
            single = np.flatnonzero(per_equation == 1)
            if not len(single):
                return found
            rows = _only(incidence[single], unknown).tocoo()
            cells, first = np.unique(rows.col, return_index=True)
            found.update(zip(cells.tolist(), ids[single[rows.row[first]]].tolist(), strict=True))
            unknown[cells] = False

    def equations_of(self, cells: Iterable[int]) -> np.ndarray:
        """The equations of the partitions holding `cells`."""
        return self._equations_in(np.unique(self.partition[np.fromiter(cells, np.int64)]))

    def _equations_in(self, partitions: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.isin(self.eq_partition, partitions))

    def core(
        self, hidden: np.ndarray, equations: np.ndarray | None = None, keep: set | None = None
    ) -> tuple[set, np.ndarray, np.ndarray, np.ndarray]:
        """Shrink the attack before the algebra: cells the simple attack recovers, then prune hidden
        cells in a single remaining equation (free: they absorb it, so it says nothing about the
        others), until neither applies. A pruned cell may still be determined, by the rest of its
        equation: `_determined` goes back over the dropped equations for it; cells in `keep` are
        never pruned (`witnesses` keeps its targets). Returns the cells found, the equations left,
        the hidden cells left, and the equations dropped, in order. `equations` limits it to whole
        partitions."""
        found = set(self.peel(hidden, equations))
        unknown = hidden.copy()
        unknown[list(found)] = False
        scope = np.arange(self.n_eq) if equations is None else equations
        live = scope[self.incidence[scope] @ unknown.astype(np.int32) > 0]
        kept = np.fromiter(keep or (), np.int64)
        dropped = []
        while len(live):
            sub = _only(self.incidence[live], unknown).tocsc()
            per_cell = np.diff(sub.indptr)
            free = np.setdiff1d(np.flatnonzero(per_cell == 1), kept)
            if not len(free):
                break
            drop = np.unique(sub[:, free].tocoo().row)
            dropped.append(live[drop])
            live = np.delete(live, drop)
            more = self.peel(unknown, live)
            if more:
                found |= set(more)
                unknown[list(more)] = False
            live = live[self.incidence[live] @ unknown.astype(np.int32) > 0]
        return found, live, unknown, np.concatenate(dropped) if dropped else np.zeros(0, np.int64)

    def blocks(self, live: np.ndarray, unknown: np.ndarray):
        """Independent blocks of the core: equations linked through hidden cells they share."""
        sub = _only(self.incidence[live], unknown)
        cells = np.flatnonzero(unknown & (np.asarray(sub.sum(axis=0)).ravel() > 0))
        if not len(cells):
            return
        sub = sub[:, cells]
        n = len(live)
        graph = bmat([[None, sub], [sub.T, None]])
        _, label = connected_components(graph, directed=False)
        for lab in np.unique(label[:n]):
            yield live[label[:n] == lab], cells[label[n:] == lab]

    def _incremental(self, attack: Callable, hidden: np.ndarray) -> dict:
        """`attack(hidden, equations)`, a dict keyed by cell, run again only on the partitions
        holding a cell hidden or shown since its last call: the secondary rounds and `_release`
        change a few cells at a time, and an attack never crosses a partition, so the others keep
        their answer exactly."""
        last = self._last.get(attack.__name__)
        if last is None:
            result = attack(hidden, None)
        else:
            last_hidden, last_result = last
            parts = np.unique(self.partition[hidden != last_hidden])
            result = last_result
            if len(parts):
                cells = np.fromiter(last_result, np.int64, len(last_result))
                kept = ~np.isin(self.partition[cells], parts)
                result = dict(compress(last_result.items(), kept.tolist()))
                result.update(attack(hidden, self._equations_in(parts)))
        self._last[attack.__name__] = (hidden.copy(), result)
        return dict(result)

    def chains(self, hidden: np.ndarray) -> dict:
        """`peel` of every equation, incrementally."""
        return self._incremental(self.peel, hidden)

    def determined(self, hidden: np.ndarray) -> set:
        """Hidden cells whose value follows from the published ones: cell j of a block is
        determined iff the null space of the block's hidden columns is zero in coordinate j."""
        return set(self._incremental(self._determined, hidden))

    def _determined(self, hidden: np.ndarray, scope: np.ndarray | None = None) -> dict:
        found, live, unknown, dropped = self.core(hidden, scope)
        samples: dict = {}  # hidden cell -> its coordinates in random vectors of the null space
        for equations, cells in self.blocks(live, unknown):
            signature = (equations.tobytes(), cells.tobytes())
            if signature not in self._solved:  # most blocks are unchanged from the last round
                self._solved[signature] = _null_samples(self.a[equations][:, cells], self._rng)
            samples.update(zip(cells.tolist(), self._solved[signature], strict=True))
        # The dropped equations back, last first: each brings in cells no later equation holds (its
        # free cells, or cells whose equations were all dropped with it). All but one take any value
        # (random, as a null vector would), and the equation then fixes the last one's: so a pruned
        # cell is determined exactly when the rest of its equation is (Black = African + Caribbean
        # with African + Caribbean known from elsewhere though neither is).
        a, rng = self.a, self._rng
        for equation in dropped[::-1].tolist():
            span = slice(a.indptr[equation], a.indptr[equation + 1])
            cells, coefs = a.indices[span], a.data[span]
            variable = unknown[cells]  # never empty: the free cell that got the equation dropped
            total = np.zeros(SAMPLES)
            new = []
            for cell, coef in zip(cells[variable].tolist(), coefs[variable].tolist(), strict=True):
                if cell in samples:
                    total += coef * samples[cell]
                else:
                    new.append((cell, coef))
            *free, (last, coef) = new  # never empty: it holds the cell that made it free
            for cell, c in free:
                samples[cell] = rng.standard_normal(SAMPLES)
                total += c * samples[cell]
            samples[last] = -total / coef
        if samples:
            ids = np.fromiter(samples, np.int64, len(samples))
            zero = np.abs(np.array(list(samples.values()))).max(axis=1) < ZERO
            found |= set(ids[zero].tolist())
        return dict.fromkeys(found)

    def _blocks_with(self, hidden: np.ndarray, targets: set):
        live = np.flatnonzero(self.incidence @ hidden.astype(np.int32) > 0)
        for equations, cells in self.blocks(live, hidden):
            if targets & set(cells.tolist()):
                yield equations, cells

    def recover(self, hidden: np.ndarray, values: np.ndarray, targets: set) -> dict:
        """The attacker's solution for each target: least squares on the published values (exact
        for a determined cell)."""
        out = {}
        for equations, cells in self._blocks_with(hidden, targets):
            a = self.a[equations]
            shown = np.where(hidden, 0.0, np.nan_to_num(values))
            b = -(a @ shown)
            solution = lsqr(a[:, cells], b, atol=1e-14, btol=1e-14)[0]
            out.update({int(c): float(v) for c, v in zip(cells, solution, strict=True) if c in targets})
        return out

    def witnesses(self, hidden: np.ndarray, targets: set) -> dict:
        """For each recoverable target, the cells its attack uses, as (sure, used, through).

        A combination y of the core equations isolates the target (y'A_hidden = e_target); the
        published cells with a non-zero weight in y'A are `used`. Hiding cell p stops every such
        attack when p's column lies in the column space of A_hidden (no other y avoids it) and y'a_p
        is not zero: those are `sure`. (Large blocks get `used` only.) `through` are hidden cells
        with a weight that the simple attack recovers (so the core counts them as known): when the
        attack uses no published cell but these and known ones, the chain recovering one is what
        to break."""
        out: dict = {}
        if not targets:
            return out
        # The targets' partitions, with the targets never pruned: one determined only by the rest of
        # its equation (pruned by `_determined`'s core) needs that equation in its block.
        _, live, unknown, _ = self.core(hidden, self.equations_of(targets), keep=targets)
        for equations, cells in self.blocks(live, unknown):
            mine = [c for c in cells.tolist() if c in targets]
            if not mine:
                continue
            a = self.a[equations]
            present = np.asarray(abs(a).sum(axis=0)).ravel() > 0
            shown = np.flatnonzero(present & ~hidden)
            recovered = np.setdiff1d(np.flatnonzero(present & hidden), cells)
            a_shown = a[:, shown].toarray()
            units = (cells[:, None] == np.array(mine)[None, :]).astype(float)
            in_span = np.zeros(len(shown), bool)
            if len(cells) <= DENSE_LIMIT:
                # One factor of A_hidden'A_hidden gives both: the least-squares y = A_hidden x with
                # A_hidden'A_hidden x = e (y in A_hidden's columns: the shortest y'A_hidden = e'), and
                # whether a_p is in the column space (its projection on it is itself).
                a_hidden = a[:, cells]
                gram = _Gram(a_hidden)
                y = a_hidden @ gram.solve(units)
                projection = a_hidden @ gram.solve(a_hidden.T @ a_shown)
                in_span = np.abs(projection - a_shown).max(axis=0, initial=0) < 1e-9
            else:
                y = _isolate(a[:, cells], units)
            weights = a_shown.T @ y
            through = a[:, recovered].toarray().T @ y
            for j, target in enumerate(mine):
                used = np.abs(weights[:, j]) > 1e-9
                out[target] = (
                    shown[used & in_span].tolist(),
                    shown[used].tolist(),
                    recovered[np.abs(through[:, j]) > 1e-9].tolist(),
                )
        return out


# --- Protection -----------------------------------------------------------------------------------


@dataclass
class Protection:
    cells: pd.DataFrame  # the input with is_primary_suppressed, is_secondary_suppressed
    rounds: int
    secondary: int


def _cost(cells: pd.DataFrame, layout: Layout) -> np.ndarray:
    """Order of preference for secondary suppression, by tier then size. Tiers: the number of
    dimensions at their total (an inner cell before a margin, the grand total last), plus the extra
    tiers the layout gives headline rows; within a tier a non-zero cell before a zero (a hidden zero
    protects nothing an attacker cannot guess), then the smallest count."""
    tier = pd.Series(0, index=cells.index)
    for d in layout.dimensions:
        tier += (
            cells[d.level_column] == "all" if isinstance(d, Hierarchy) else cells[d.column] == d.total
        ).astype(int)
    if layout.priority is not None:
        tier += layout.priority(cells).astype(int)
    size = cells[list(layout.counts)].fillna(0).max(axis=1)
    return (tier * TIER + (size <= 0).astype(int) * (TIER / 1e3) + size).to_numpy(float)


def _chain_breaker(cell: int, found: dict, system: System, blocked: np.ndarray, cost: np.ndarray):
    """The cheapest published cell to hide so that the chain of subtractions that recovered `cell`
    breaks: in the equation that gave it, or else earlier in the chain."""
    queue, seen = [cell], {cell}
    while queue:
        current = queue.pop(0)
        others = system.members(found[current])
        shown = others[~blocked[others]]
        if len(shown):
            return int(shown[np.argmin(cost[shown])])
        for c in others.tolist():
            if c in found and c not in seen:
                seen.add(c)
                queue.append(c)
    return None


def _given_away(cells: pd.DataFrame, systems: dict, hidden: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Secondary cells the attacker can work out from the published ones in every count they carry
    (Black (all) beside Black, hidden to break a chain that runs through its twin anyway). Publishing
    them adds nothing to what is known, so they are published: hiding them only costs readers."""
    given = secondary.copy()
    for column, system in systems.items():
        held = cells[column].notna().to_numpy()
        found = np.zeros(len(cells), bool)
        found[list(system.determined(hidden))] = True
        given &= found | ~held
    return given


def _release(hidden: np.ndarray, candidates: np.ndarray, systems: dict, small: dict, cost: np.ndarray):
    """Publish again each candidate whose showing recovers no small count the table did not give
    away already, the dearest first. The rounds add cells greedily, and a cell hidden early (a
    headline row: Black Caribbean alone) can be left needless by those added after it."""
    exposed = {column: _small_exposed(system, hidden, small[column]) for column, system in systems.items()}
    for cell in sorted(np.flatnonzero(candidates).tolist(), key=lambda c: (-cost[c], c)):
        trial = hidden.copy()
        trial[cell] = False
        now = {}
        for column, system in systems.items():
            if system.by_cell[cell].nnz:  # in no exact relation of this count: nothing changes
                now[column] = _small_exposed(system, trial, small[column])
                if not now[column] <= exposed[column]:
                    break
        else:
            hidden = trial
            exposed.update(now)
    return hidden


def _small_exposed(system: System, hidden: np.ndarray, small: np.ndarray) -> set:
    return {c for c in system.determined(hidden) if small[c]}


@ONE_BLAS_THREAD
def protect(
    cells: pd.DataFrame,
    layout: Layout,
    k: int,
    max_rounds: int | None = None,
    *,
    chunk_cells: int = CHUNK_CELLS,
    workers: int | None = None,
) -> Protection:
    """Primary suppression, then secondary until no small count is recoverable from the rest.

    First the classic rule, by rounds, cheaply: no equation may keep exactly one hidden cell (the
    simple attack, peel, then finds nothing). Then the exact attack (null space) looks for small
    counts recoverable only by solving equations together, and its witnesses choose what else to
    hide. Both repeat until neither recovers a small count. Last, hidden cells the published ones
    give away are published, and headline rows no longer needed are published again (`_release`).

    Ties in cost go to the lowest-numbered cell, and cells are numbered in the order of the layout's
    key (then counts), not the order they came in: a query returns rows in any order, and the same
    cells must give the same suppression every night. The result is in the input's order.

    Partitions are independent, so a large table is protected in chunks of whole partitions
    (`chunk_cells`), in up to `workers` processes (default: one per core), with the same result.
    """
    cells = cells.reset_index(drop=True)
    by = [*layout.key, *layout.counts, *layout.sums]
    canonical = cells.sort_values(by, kind="mergesort", na_position="last").index.to_numpy()
    ordered = cells.iloc[canonical].reset_index(drop=True)
    workers = workers or config.cores()
    chunks = _partition_chunks(ordered, layout, chunk_cells, workers)
    parts = map_in_processes(_protect_chunk, chunks, (layout, k, max_rounds), workers)
    protected = pd.concat([p.cells for p in parts], ignore_index=True)
    back = np.empty_like(canonical)
    back[canonical] = np.arange(len(canonical))
    return Protection(
        protected.iloc[back].reset_index(drop=True),
        max(p.rounds for p in parts),
        sum(p.secondary for p in parts),
    )


def _partitions(cells: pd.DataFrame, layout: Layout) -> np.ndarray | None:
    """The number of each cell's partition (in order of first appearance), or None if no layout."""
    if not layout.partition:
        return None
    return cells.groupby(list(layout.partition), sort=False, dropna=False).ngroup().to_numpy()


def partition_digests(cells: pd.DataFrame, layout: Layout, k: int, context: bytes = b"") -> pd.Series:
    """A digest of each cell's partition, for reusing its protection from an earlier run.

    A partition's flags depend only on its own cells (no relation crosses a partition: `protect` in
    chunks gives the same flags), k, the layout and the code, so two partitions with the same digest
    get the same protection. The digest covers the partition's cells in the canonical order `protect`
    numbers them in (key, counts, sums and what the attacker knows), k and `context`: bytes standing
    for the layout's reference data and the code, which the caller supplies. Indexed like `cells`.
    """
    columns = [*layout.key, *layout.counts, *layout.sums]
    extra = [layout.attacker_knows] if layout.attacker_knows else []
    ordered = cells[columns + extra].sort_values(columns, kind="mergesort", na_position="last")
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    group = _partitions(ordered, layout)
    if group is None:
        group = np.zeros(len(ordered), np.int64)
    runs = np.argsort(group, kind="stable")  # each partition's rows together, still in canonical order
    starts = np.flatnonzero(np.r_[True, np.diff(group[runs]) != 0])
    salt = context + f"|k={k}".encode()
    digests = np.empty(len(ordered), object)
    for start, stop in zip(starts, [*starts[1:], len(runs)], strict=True):
        members = runs[start:stop]
        digests[members] = hashlib.blake2b(rows[members].tobytes() + salt, digest_size=16).hexdigest()
    return pd.Series(digests, index=ordered.index).reindex(cells.index)


def layout_digest(layout: Layout, *code: Path) -> bytes:
    """What a partition's protection (or attack) depends on beyond its cells and k: the layout (its
    hierarchies' members included), this engine's code, the caller's `code` files and the libraries
    doing the algebra. `partition_digests` takes it as its context."""
    parts = [
        repr((layout.partition, layout.counts, layout.sums, layout.attacker_knows, layout.withhold_known))
    ]
    for d in layout.dimensions:
        if isinstance(d, Hierarchy):
            members = d.members.sort_values(list(d.members.columns), kind="mergesort")
            hashed = pd.util.hash_pandas_object(members, index=False).to_numpy()
            parts.append(repr((d.level_column, d.code_column, d.overlapping_levels, hashed.tobytes())))
        else:
            parts.append(repr((d.column, d.total)))
    parts.append(f"{np.__version__}|{scipy.__version__}|{pd.__version__}")
    text = "\n".join(parts).encode()
    files = b"".join(Path(f).read_bytes() for f in (__file__, *code))
    return hashlib.blake2b(text + files, digest_size=16).digest()


def _partition_chunks(
    ordered: pd.DataFrame, layout: Layout, chunk_cells: int, workers: int
) -> list[pd.DataFrame]:
    """Cells ordered so that each partition is one run, in chunks of whole partitions: one chunk up
    to `chunk_cells`, and above it at least one a worker, so that every core has one."""
    size = min(chunk_cells, -(-len(ordered) // workers)) if len(ordered) > chunk_cells else chunk_cells
    return [ordered.iloc[start:stop] for start, stop in _chunks(ordered, layout, size)]


def _chunks(ordered: pd.DataFrame, layout: Layout, size: int) -> list[tuple[int, int]]:
    """(start, stop) of runs of whole partitions of about `size` cells, in cells sorted by the
    layout's key (which starts with the partition, so each partition is a run of its own)."""
    if len(ordered) <= size or not layout.partition:
        return [(0, len(ordered))]
    group = _partitions(ordered, layout)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]).tolist()
    chunks, start = [], 0
    for boundary in [*starts[1:], len(ordered)]:
        if boundary - start >= size or boundary == len(ordered):
            chunks.append((start, boundary))
            start = boundary
    return chunks


@ONE_BLAS_THREAD
def _protect_chunk(cells: pd.DataFrame, layout: Layout, k: int, max_rounds: int | None) -> Protection:
    return _protect(cells, layout, k, max_rounds)  # in a worker process: one BLAS thread there too


def _protect(cells: pd.DataFrame, layout: Layout, k: int, max_rounds: int | None) -> Protection:
    cells = cells.reset_index(drop=True).copy()
    n = len(cells)
    cells[CELL] = np.arange(n)
    known = (
        cells[layout.attacker_knows].fillna(False).astype(bool).to_numpy(copy=True)
        if layout.attacker_knows
        else np.zeros(n, bool)
    )
    is_primary = primary(cells, layout.counts, k).to_numpy() & ~known
    hidden = is_primary.copy()
    small = {c: ((cells[c] > 0) & (cells[c] < k)).to_numpy() for c in layout.counts}
    small |= {c: is_primary & cells[c].notna().to_numpy() for c in layout.sums}
    partition = _partitions(cells, layout)
    every = relations(cells, layout)
    systems = {
        c: System(attack_equations(every, cells, layout, c), n, partition)
        for c in [*layout.counts, *layout.sums]
    }
    cost = _cost(cells, layout)
    rounds = 0
    # Every round hides at least one more cell, so the rounds end by themselves. A cap on the rounds
    # of a chunk would stop one partition half-protected because others shared its rounds.
    while rounds < (max_rounds or n + 1):
        rounds += 1
        added: set = set()
        for column, system in systems.items():
            added |= system.lone_breakers(hidden, known, cost, small[column])
        if not added:
            # Chains: a small count given away once a cell hidden to protect another is recovered.
            for column, system in systems.items():
                found = system.chains(hidden)
                for cell in sorted(c for c in found if small[column][c]):
                    breaker = _chain_breaker(cell, found, system, hidden | known, cost)
                    if breaker is not None:
                        added.add(breaker)
        if not added:
            last_resort: set = set()
            for column, system in systems.items():
                exposed = _small_exposed(system, hidden, small[column])
                for target, (sure, used, through) in system.witnesses(hidden, exposed).items():
                    # A cell that stops every attack on the target if there is one; else one the
                    # attack uses, beside the target (far ones can often be routed around).
                    near = set(system.members_of_cell(target).tolist())
                    for pool in (sure, used):
                        fresh = [c for c in pool if c not in added and not known[c]]
                        if fresh:
                            added.add(min(fresh, key=lambda c: (cost[c], c not in near, c)))
                            break
                    else:
                        # The attack runs only through hidden cells the simple attack recovers
                        # (and cells the attacker knows): break the chain that recovers one.
                        chains = system.chains(hidden)
                        for cell in (c for c in through if c in chains):
                            breaker = _chain_breaker(cell, chains, system, hidden | known, cost)
                            if breaker is not None:
                                added.add(breaker)
                                break
                        else:
                            # Only cells the attacker knows: withhold one, if the publication can.
                            if layout.withhold_known:
                                last_resort |= {c for c in used if known[c]}
            if not added and last_resort:
                # Only when nothing else is left to try: the cells hidden for other counts this
                # round may change the attack, and the unknown share is worth showing.
                cell = min(last_resort, key=lambda c: (cost[c], c))
                known[cell] = False
                added.add(cell)
        if not added:
            break  # nothing recovers a small count (or nothing is left to hide: the audit says)
        hidden[list(added)] = True
    hidden &= ~_given_away(cells, systems, hidden, hidden & ~is_primary)
    if layout.priority is not None:
        headline = layout.priority(cells).to_numpy() > 0
        hidden = _release(hidden, hidden & ~is_primary & headline, systems, small, cost)
    cells["is_primary_suppressed"] = is_primary
    cells["is_secondary_suppressed"] = hidden & ~is_primary
    secondary = int(cells["is_secondary_suppressed"].sum())
    return Protection(cells.drop(columns=CELL), rounds, secondary)


# --- Audit ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    table: str
    key: dict
    column: str
    true_value: float
    recovered_value: float
    shown: bool = False  # published as it is, not recovered

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.key.items())
        if self.shown:
            return (
                f"{self.table}: {self.column} of ({where}) is shown although below the threshold: "
                f"{self.true_value:g}"
            )
        return (
            f"{self.table}: {self.column} of ({where}) is suppressed but recoverable by differencing "
            f"published cells: {self.recovered_value:g} (true value {self.true_value:g})"
        )


@ONE_BLAS_THREAD
def audit(
    published: pd.DataFrame,
    truth: pd.DataFrame,
    layout: Layout,
    k: int,
    table: str,
    *,
    chunk_cells: int = CHUNK_CELLS,
    workers: int | None = None,
) -> list[Leak]:
    """Attack a published table: every suppressed count from 1 to k-1 that differencing recovers.

    `published` holds the counts as published (null where suppressed), `truth` the true counts, both
    keyed by the layout's key. A count shown although it is below k is a leak too. No relation
    crosses a partition, so a large table is attacked in chunks of whole partitions (`chunk_cells`),
    in up to `workers` processes (default: one per core), as `protect` is protected: the same leaks,
    in memory bounded by a chunk a worker (the whole London table at once peaked at 15 GiB).
    """
    key = layout.key
    columns = [*layout.counts, *layout.sums]
    extra = [layout.attacker_knows] if layout.attacker_knows else []
    cells = published[key + columns + extra].merge(
        truth[key + columns], on=key, how="left", suffixes=("", "_true"), validate="1:1"
    )
    derived = (
        cells[layout.attacker_knows].fillna(False).astype(bool)
        if extra
        else pd.Series(False, index=cells.index)
    )
    for column in columns:  # what the attacker works out, the attacker knows exactly
        cells.loc[derived, column] = cells.loc[derived, f"{column}_true"]
    # A row whose count is suppressed as small: its sums are confidential too.
    row_small = primary(
        cells.rename(columns={f"{c}_true": f"_t_{c}" for c in layout.counts}),
        [f"_t_{c}" for c in layout.counts],
        k,
    )
    cells["_derived"], cells["_row_small"], cells["_row"] = derived, row_small, np.arange(len(cells))
    if layout.partition:
        cells = cells.sort_values(list(layout.partition), kind="mergesort").reset_index(drop=True)
    workers = workers or config.cores()
    chunks = _partition_chunks(cells, layout, chunk_cells, workers)
    found = [f for part in map_in_processes(_audit_chunk, chunks, (layout, k, table), workers) for f in part]
    return [leak for *_, leak in sorted(found, key=lambda f: f[:2])]  # by column, then row


@ONE_BLAS_THREAD
def _audit_chunk(cells: pd.DataFrame, layout: Layout, k: int, table: str) -> list[tuple[int, int, Leak]]:
    """The leaks of whole partitions, each with its column's place and its row in the table."""
    cells = cells.reset_index(drop=True)
    key = layout.key
    cells[CELL] = np.arange(len(cells))
    derived = cells["_derived"]
    found = []
    every = relations(cells[[*key, CELL]], layout)
    truths = cells[[CELL]].assign(**{c: cells[f"{c}_true"] for c in [*layout.counts, *layout.sums]})
    for place, column in enumerate([*layout.counts, *layout.sums]):
        true = cells[f"{column}_true"]
        shown = cells[column]
        row_small = cells["_row_small"] & true.notna()
        small = ((true > 0) & (true < k) if column in layout.counts else row_small) & ~derived
        for i in cells.index[small & shown.notna()]:
            leak = Leak(table, cells.loc[i, key].to_dict(), column, true[i], shown[i], shown=True)
            found.append((place, cells.at[i, "_row"], leak))
        # Relations are those true in the data; the attacker knows the published values only.
        system = System(attack_equations(every, truths, layout, column), len(cells))
        hidden = shown.isna().to_numpy()
        exposed = {c for c in system.determined(hidden) if small.iloc[c]}
        if exposed:
            recovered = system.recover(hidden, shown.to_numpy(float), exposed)
            for c in sorted(exposed):
                leak = Leak(table, cells.loc[c, key].to_dict(), column, true.iloc[c], recovered[c])
                found.append((place, cells.at[c, "_row"], leak))
    return found
