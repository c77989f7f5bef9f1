"""What changed between the previous published snapshot and the live one, for the overview page.

The publish step keeps the snapshot it replaced as ``observatory.previous.duckdb``
(``config.paths().previous_snapshot``); the site build opens both read-only and compares them:

- **rows per table**: tables added or removed, and row counts that changed (from each manifest);
- **new periods**: periods (years, quarters, snapshot dates) a table holds now and did not before;
- **movements**: for the rows boards read, a comparison word that changed (Worse → Similar),
  a significance that changed, or a figure newly suppressed (or newly published). Scorecard rows are
  matched by measure and group, so a new latest period that changes a word shows as a movement;
  outcome and pay-gap rows are matched within the same period, so there only revisions show.

Everything is sorted explicitly: the same two snapshots always give the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from observatory import config
from observatory.site import formatting as f
from observatory.site.snapshot import Snapshot, ident

# The column that says which period a row belongs to, first match wins.
PERIOD_COLUMNS = (
    "period",
    "reporting_year",
    "financial_quarter",
    "plan_as_at_date",
    "as_at_date",
    "snapshot_date",
)
MAX_LISTED = 30  # movements listed on the page; the rest are counted


@dataclass(frozen=True)
class TableCount:
    table: str
    before: int | None  # None: the table was not in that snapshot
    after: int | None

    @property
    def status(self) -> str:
        if self.before is None:
            return "New table"
        if self.after is None:
            return "No longer published"
        if self.before == self.after:
            return "Unchanged"
        return "More rows" if self.after > self.before else "Fewer rows"


@dataclass(frozen=True)
class NewPeriods:
    table: str
    periods: tuple[str, ...]


@dataclass(frozen=True)
class Movement:
    source: str  # which table, in words
    authority: str
    subject: str  # the measure or indicator
    group: str  # the ethnic group (and band or sex) the row is about
    what: str  # "compared with White British", "figure", ...
    before: str
    after: str


@dataclass(frozen=True)
class Tally:
    """How many rows of one table moved one way: 'Outcomes by ethnicity', 'newly suppressed', 173."""

    source: str
    kind: str
    count: int


@dataclass(frozen=True)
class Changes:
    previous_published_at: str | None
    counts: tuple[TableCount, ...]
    new_periods: tuple[NewPeriods, ...]
    movements: tuple[Movement, ...]  # the first MAX_LISTED
    movements_total: int
    tallies: tuple[Tally, ...] = ()

    @property
    def changed_counts(self) -> tuple[TableCount, ...]:
        return tuple(c for c in self.counts if c.status != "Unchanged")

    @property
    def unlisted(self) -> int:
        return self.movements_total - len(self.movements)

    @property
    def summary(self) -> str:
        """One sentence for the overview."""
        parts = []
        if self.new_periods:
            n = len(self.new_periods)
            parts.append(f"new periods in {n} table{'s' if n != 1 else ''}")
        if self.changed_counts:
            n = len(self.changed_counts)
            parts.append(f"{n} table{'s' if n != 1 else ''} with a different number of rows")
        if self.movements_total:
            n = self.movements_total
            parts.append(
                f"{f.count(n)} figure{'s' if n != 1 else ''} newly suppressed, newly published or compared"
                " differently"
            )
        when = f" ({self.previous_published_at} UTC)" if self.previous_published_at else ""
        if not parts:
            return f"Nothing changed in the published figures since the previous publication{when}."
        return f"Since the previous publication{when}: " + "; ".join(parts) + "."

    @property
    def nothing_changed(self) -> bool:
        return not (self.changed_counts or self.new_periods or self.movements_total)


@dataclass(frozen=True)
class Watch:
    """Rows of one table to compare: matched on ``key``, compared on ``fields``."""

    table: str
    source: str
    key: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (column, what it means in words)
    subject: Callable[[dict[str, Any]], str]
    group: Callable[[dict[str, Any]], str]
    period: str | None = None  # shown beside a word when the compared rows' periods differ


def _with_sex(row: dict[str, Any], text: str) -> str:
    sex = row.get("sex")
    return f"{text} ({sex.lower()})" if sex and sex not in ("All", "Persons") else text


def _lto_subject(row: dict[str, Any]) -> str:
    band = row.get("grade_band")
    return f"{row['measure']}: {band}" if band else row["measure"]


WATCHES: tuple[Watch, ...] = (
    Watch(
        table="scorecard_long_term_outcomes",
        source="Long-term outcomes scorecard",
        key=(
            "authority_code",
            "framework_order",
            "indicator_id",
            "grade_band",
            "sex",
            "ethnicity_level",
            "ethnicity_code",
            "ethnicity_group",
        ),
        fields=(
            ("value_symbol", "figure"),
            ("compared_with_reference", "compared with the reference group"),
            ("compared_with_overall", "compared with the authority overall"),
            ("compared_with_england", "compared with England"),
            ("compared_with_population", "compared with working-age residents"),
        ),
        subject=_lto_subject,
        group=lambda r: _with_sex(r, r["ethnicity_group"] or "All"),
        period="period",
    ),
    Watch(
        table="scorecard_hwb",
        source="Health and Wellbeing Board scorecard",
        key=("authority_code", "indicator_id", "sex"),
        fields=(
            ("value_symbol", "figure"),
            ("compared_with_england", "compared with England"),
            ("compared_with_london", "compared with London"),
            ("trend", "recent trend"),
            ("is_largest_gap_significant", "largest gap between ethnic groups"),
        ),
        subject=lambda r: r["indicator_name"],
        group=lambda r: _with_sex(r, "Everyone"),
        period="period",
    ),
    Watch(
        table="outcome_indicators",
        source="Outcomes by ethnicity",
        key=(
            "authority_code",
            "period",
            "indicator_id",
            "breakdown",
            "ethnicity_level",
            "ethnicity_code",
            "sex",
            "fsm",
            "sen",
        ),
        fields=(
            ("value_symbol", "figure"),
            ("compared_with_reference", "compared with the reference group"),
            ("is_rri_significant", "relative rate index"),
        ),
        subject=lambda r: f"{r['indicator_name']}, {r['period']}",
        group=lambda r: _outcome_group(r),
    ),
    Watch(
        table="pay_gap",
        source="Ethnicity pay gap",
        key=("authority_code", "snapshot_date", "ethnicity_level", "ethnicity_group"),
        fields=(("gap_symbol", "pay gap figure"),),
        subject=lambda r: f"Median hourly pay gap, {r['reporting_year']}",
        group=lambda r: r["ethnicity_group"],
    ),
)


def _outcome_group(row: dict[str, Any]) -> str:
    parts = [row.get("ethnicity_group") or "All"]
    for col in ("sex", "fsm", "sen"):
        value = row.get(col)
        if value and value not in ("All", "Persons"):
            parts.append(value.lower() if col == "sex" else value)
    return ", ".join(parts)


def _word(column: str, value: Any) -> str:
    """A compared value in words (symbols with their meaning; booleans as significance)."""
    if column.endswith("_symbol"):
        if value is None:
            return "published"
        return f"[{value}] {f.SYMBOL_WORDS.get(value, 'symbol')}"
    if isinstance(value, bool):
        return "significant" if value else "not significant"
    if value is None:
        return "not available"
    return str(value)


def _period_text(value: Any) -> str:
    return str(value) if value is not None else "no period"


def _columns(snapshot: Snapshot, table: str) -> list[str]:
    return [r["column_name"] for r in snapshot.rows(
        "select column_name from duckdb_columns() where schema_name = 'publish' and table_name = ?"
        " order by column_index",
        [table],
    )]  # fmt: skip


def _counts(current: Snapshot, previous: Snapshot) -> tuple[TableCount, ...]:
    def rows(s: Snapshot) -> dict[str, int]:
        out = {}
        for table in s.tables() - {"manifest"}:
            out[table] = s.rows(f'select count(*) as n from publish."{table}"')[0]["n"]
        return out

    now, before = rows(current), rows(previous)
    return tuple(TableCount(t, before.get(t), now.get(t)) for t in sorted(set(now) | set(before)))


def _periods(snapshot: Snapshot, table: str) -> tuple[str | None, set[str]]:
    columns = _columns(snapshot, table)
    column = next((c for c in PERIOD_COLUMNS if c in columns), None)
    if column is None:
        return None, set()
    rows = snapshot.rows(
        f'select distinct cast("{column}" as varchar) as p from publish."{table}"'
        f' where "{column}" is not null'
    )
    return column, {r["p"] for r in rows}


def _new_periods(current: Snapshot, previous: Snapshot) -> tuple[NewPeriods, ...]:
    out = []
    for table in sorted((current.tables() & previous.tables()) - {"manifest"}):
        column, now = _periods(current, table)
        before_column, before = _periods(previous, table)
        if column is None or column != before_column:
            continue
        added = tuple(sorted(now - before))
        if added:
            out.append(NewPeriods(table, added))
    return tuple(out)


def _changed_rows(
    current: Snapshot, previous: Snapshot, watch: Watch, columns: list[str], fields: list[str]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(now, before) for the rows of ``watch.table`` matched by key in both snapshots whose
    ``fields`` may differ. Matched and compared in DuckDB over the key and ``fields`` of both tables
    as Arrow, so the rows that did not change (nearly all of an outcome table's 800,000 at London
    scale) never become Python objects (``make bench``: the incremental site spent some 30 s on
    them), and only the changed rows are read whole (both outcome tables whole, as Arrow: 3.5 GiB
    at England scale; their key and compared columns: 0.9 GiB)."""
    if not fields:
        return []
    compared = ", ".join(map(ident, dict.fromkeys([*watch.key, *fields])))
    select = f'select rowid as __row, {compared} from publish."{watch.table}"'
    now, before = current.arrow(select), previous.arrow(select)
    with config.connect() as con:
        for name, table in (("now_rows", now), ("before_rows", before)):
            con.register(name, table)
        same_key = " and ".join(f"n.{ident(k)} is not distinct from b.{ident(k)}" for k in watch.key)
        # As text, so a column whose type changed between releases compares rather than fails;
        # the caller compares the values themselves.
        differs = " or ".join(f"n.{ident(c)}::varchar is distinct from b.{ident(c)}::varchar" for c in fields)
        pairs = con.execute(
            f"select n.__row, b.__row from now_rows n join before_rows b on {same_key} where {differs}"
        ).fetchall()
    if not pairs:
        return []
    now_rows = _rows_by_id(current, watch.table, columns, [n for n, _ in pairs])
    before_rows = _rows_by_id(previous, watch.table, columns, [b for _, b in pairs])
    return list(zip(now_rows, before_rows, strict=True))


def _rows_by_id(snapshot: Snapshot, table: str, columns: list[str], ids: list[int]) -> list[dict[str, Any]]:
    """The rows of publish.<table> with these row ids, in the ids' order, as dicts of ``columns``."""
    found = snapshot.rows(
        f"select rowid as __row, {', '.join(map(ident, columns))} from publish.{ident(table)} "
        "where rowid in (select unnest(?::bigint[]))",
        [ids],
    )
    by_id = {row.pop("__row"): row for row in found}
    return [by_id[i] for i in ids]


def _movements(current: Snapshot, previous: Snapshot) -> list[tuple[tuple, Movement]]:
    found: list[tuple[tuple, Movement]] = []
    for order, watch in enumerate(WATCHES):
        if watch.table not in current.tables() or watch.table not in previous.tables():
            continue
        now_cols, before_cols = set(_columns(current, watch.table)), set(_columns(previous, watch.table))
        shared = now_cols & before_cols
        if not set(watch.key) <= shared:
            continue
        fields = [(c, what) for c, what in watch.fields if c in shared]
        for new, old in _changed_rows(current, previous, watch, sorted(shared), [c for c, _ in fields]):
            key = tuple(new[k] for k in watch.key)
            changed = [(i, c, what) for i, (c, what) in enumerate(fields) if new[c] != old[c]]
            if any(c.endswith("_symbol") for _, c, _ in changed):
                # A figure newly suppressed (or published) explains its words changing: list it once.
                changed = [item for item in changed if item[1].endswith("_symbol")]
            for position, column, what in changed:
                before_text, after_text = _word(column, old[column]), _word(column, new[column])
                if watch.period and old.get(watch.period) != new.get(watch.period):
                    before_text += f" ({_period_text(old.get(watch.period))})"
                    after_text += f" ({_period_text(new.get(watch.period))})"
                movement = Movement(
                    source=watch.source,
                    authority=new.get("authority_name") or new.get("authority_code") or "",
                    subject=watch.subject(new),
                    group=watch.group(new),
                    what=what,
                    before=before_text,
                    after=after_text,
                )
                found.append(((order, movement.authority, *map(str, key), position), movement))
    found.sort(key=lambda item: item[0])
    return found


def compare(current: Snapshot, previous: Snapshot | None) -> Changes | None:
    """The changes from ``previous`` to ``current``; None when there is no previous snapshot."""
    if previous is None:
        return None
    published = previous.manifest().published_at
    movements = [m for _, m in _movements(current, previous)]
    return Changes(
        previous_published_at=f.long_datetime(published) if published else None,
        counts=_counts(current, previous),
        new_periods=_new_periods(current, previous),
        movements=tuple(movements[:MAX_LISTED]),
        movements_total=len(movements),
        tallies=_tallies(movements),
    )


def kind(movement: Movement) -> str:
    """What sort of change a movement is, for the tallies."""
    if movement.what.endswith("figure"):
        return "newly suppressed" if movement.after.startswith("[") else "newly published"
    if movement.what == "recent trend":
        return "trend changed"
    if movement.after in ("significant", "not significant") or movement.before in (
        "significant",
        "not significant",
    ):
        return "significance changed"
    return "comparison changed"


KIND_ORDER = (
    "newly suppressed",
    "newly published",
    "comparison changed",
    "significance changed",
    "trend changed",
)


def _tallies(movements: list[Movement]) -> tuple[Tally, ...]:
    sources = list(dict.fromkeys(w.source for w in WATCHES))
    counts: dict[tuple[str, str], int] = {}
    for m in movements:
        counts[(m.source, kind(m))] = counts.get((m.source, kind(m)), 0) + 1
    return tuple(
        Tally(source, k, counts[(source, k)])
        for source in sources
        for k in KIND_ORDER
        if (source, k) in counts
    )
