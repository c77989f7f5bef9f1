"""The analysts' explorer (Evidence project in bi/), checked without Node.

Evidence runs each ``bi/sources/observatory/*.sql`` against the snapshot copy written by
``observatory.bi_export`` and gives the result to pages as ``observatory.<file name>``; each page's
```sql blocks then run in the browser's DuckDB with ``${query}`` (another query, as a subquery) and
``${inputs.<dropdown>.value}`` filled in. These tests do the same with DuckDB in Python: the export
holds exactly the publish tables in storage Evidence's DuckDB 1.4 reads, and every query runs and
returns rows on the demo borough, with each dropdown at its default (its first option, as Evidence
selects it).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import duckdb
import pytest
from observatory import bi_export, config

BI = config.REPO_ROOT / "bi"
SOURCE_DIR = BI / "sources" / "observatory"
SOURCE_NAME = "observatory"
PAGES = sorted((BI / "pages").rglob("*.md"))

SQL_BLOCK = re.compile(r"```sql[ \t]+(\w+)[ \t]*\n(.*?)```", re.S)
TEMPLATE = re.compile(r"\$\{\s*([^}]*?)\s*\}")
INPUT_REF = re.compile(r"^inputs\.(\w+)\.(value|label)$")
DROPDOWN = re.compile(r"<Dropdown\b(.*?)/?>", re.S)
ATTRIBUTE = re.compile(r"""(\w+)=(?:"([^"]*)"|\{([^}]*)\}|([^\s"{}/>]+))""")
# Identifiers a page's Svelte markup uses as query results: data={q}, {q[0].x}, {q[0]?.x}, {q.length}.
MARKUP_DATA = re.compile(r"\bdata=\{\s*(\w+)\s*\}")
MARKUP_EXPR = re.compile(r"\{[#:]?(?:if|each)?\s*([A-Za-z_]\w*)\s*(?:\[|\?\.|\.length\b)")
PARTIAL = re.compile(r"""\{@partial\s+"([^"]+)"\s*\}""")
TABLE_REF = re.compile(rf"\b{SOURCE_NAME}\.(\w+)")

# DuckDB file header: magic at byte 8, storage version number at byte 12. DuckDB 1.4 reads 64 to 67
# ("can only read versions between 64 and 67"); Python DuckDB 2.0's own format is 999.
DUCKDB_1_4_READABLE = range(64, 68)


# ---------------------------------------------------------------------------------------------
# Reading the project the way Evidence does


def source_queries() -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted(SOURCE_DIR.glob("*.sql"))}


def page_text(page: Path) -> str:
    """The page with its partials inlined (Evidence injects ``{@partial "x.md"}`` from bi/partials)."""
    return PARTIAL.sub(lambda m: (BI / "partials" / m.group(1)).read_text(), page.read_text())


def page_queries(text: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    for name, sql in SQL_BLOCK.findall(text):
        assert name not in queries, f"query {name} defined twice"
        queries[name] = sql
    return queries


def markup(text: str) -> str:
    """The page without its SQL blocks and HTML comments: what Svelte renders."""
    return re.sub(r"<!--.*?-->", "", SQL_BLOCK.sub("", text), flags=re.S)


def dropdowns(text: str) -> list[dict[str, str]]:
    found = []
    for match in DROPDOWN.finditer(markup(text)):
        attrs = {}
        for key, quoted, braced, bare in ATTRIBUTE.findall(match.group(1)):
            attrs[key] = quoted or braced or bare
        found.append(attrs)
    return found


def render(sql: str, queries: dict[str, str], inputs: dict[str, dict[str, str]], seen=()) -> str:
    """Evidence's templating: ``${query}`` becomes ``(its SQL)``, ``${inputs.x.value}`` the value."""

    def fill(match: re.Match) -> str:
        expr = match.group(1)
        if m := INPUT_REF.match(expr):
            name, part = m.groups()
            if name not in inputs:
                raise KeyError(f"input {name} used before it has a value")
            return inputs[name][part].replace("'", "''")
        if expr in queries:
            if expr in seen:
                raise ValueError(f"query {expr} refers to itself")
            return "(" + render(queries[expr], queries, inputs, (*seen, expr)) + ")"
        raise KeyError(f"${{{expr}}} is neither a query on the page nor an input")

    return TEMPLATE.sub(fill, sql)


def page_connection(export: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    """An in-memory DuckDB holding each source query's result as observatory.<name>, as Evidence's
    browser DuckDB does; also the rows each source query returned."""
    src = duckdb.connect(str(export), read_only=True)
    con = duckdb.connect()
    con.execute(f"create schema {SOURCE_NAME}")
    rows = {}
    try:
        for name, sql in source_queries().items():
            result = src.sql(sql).to_arrow_table()
            con.register("source_result", result)
            con.execute(f"create table {SOURCE_NAME}.{name} as select * from source_result")
            con.unregister("source_result")
            rows[name] = result.num_rows
    finally:
        src.close()
    return con, rows


def default_option(con, dropdown: dict[str, str], queries, inputs) -> dict[str, str]:
    """The option Evidence selects first: the query it builds (buildInputQuery in
    @evidence-dev/component-utilities) ordered by ``order``, or ``defaultValue``."""
    value = dropdown.get("value", "value")
    label = dropdown.get("label", value)
    order = dropdown.get("order")
    data = render(queries[dropdown["data"]], queries, inputs)
    sql = f"select distinct {value} as value, {label} as label"
    if order:
        sql += f", row_number() over (order by {order}) as ordinal"
    sql += f" from ({data})"
    if order:
        sql += f" order by {order}"
    options = con.execute(sql).fetchall()
    assert options, f"dropdown {dropdown['name']} has no options"
    if "defaultValue" in dropdown:
        chosen = [o for o in options if str(o[0]) == dropdown["defaultValue"]]
        assert chosen, f"dropdown {dropdown['name']}: default {dropdown['defaultValue']} is not an option"
        options = chosen
    return {"value": str(options[0][0]), "label": str(options[0][1])}


def run_page(con, page: Path) -> dict[str, list[tuple]]:
    """Every query on the page, run with each dropdown at its default; rows by query."""
    text = page_text(page)
    queries = page_queries(text)
    inputs: dict[str, dict[str, str]] = {}
    for dropdown in dropdowns(text):
        inputs[dropdown["name"]] = default_option(con, dropdown, queries, inputs)
    results = {}
    for name, sql in queries.items():
        try:
            cursor = con.execute(render(sql, queries, inputs))
        except duckdb.Error as exc:
            raise AssertionError(f"{page.name}: query {name} fails: {exc}") from exc
        columns = [d[0] for d in cursor.description]
        results[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return results


def tables_in(path: Path) -> dict[str, set[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for schema, table in rows:
        out.setdefault(schema, set()).add(table)
    return out


def storage_version_number(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK", f"{path} is not a DuckDB file"
    return struct.unpack("<Q", header[12:20])[0]


# ---------------------------------------------------------------------------------------------
# The export, on a hand-made snapshot


@pytest.fixture
def tiny_snapshot(tmp_path) -> Path:
    """A snapshot in DuckDB 2.0's own format with two publish tables and tables in other schemas."""
    path = tmp_path / "published" / "observatory.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute("create schema publish")
    con.execute("create schema raw")
    con.execute("create table publish.pay_gap as select range as id, 'Black' as grp from range(7)")
    con.execute("create table publish.manifest (table_name varchar, row_count bigint)")
    con.execute("insert into publish.manifest values ('pay_gap', 7)")
    con.execute("create table raw.hr_payroll as select 'person' as employee")
    con.execute("create table main.scratch as select 1 as x")
    con.execute("create view publish.a_view as select * from publish.pay_gap")
    con.close()
    assert storage_version_number(path) not in DUCKDB_1_4_READABLE  # the case the export is for
    return path


def test_export_holds_exactly_the_publish_tables_in_storage_duckdb_1_4_reads(tiny_snapshot, tmp_path):
    target = tmp_path / "bi" / "observatory.duckdb"
    counts = bi_export.export_snapshot(tiny_snapshot, target)

    assert counts == {"manifest": 1, "pay_gap": 7}
    assert tables_in(target) == {"publish": {"manifest", "pay_gap"}}
    assert storage_version_number(target) in DUCKDB_1_4_READABLE
    con = duckdb.connect(str(target), read_only=True)
    tags = con.execute("select tags from duckdb_databases() where database_name = current_database()")
    assert tags.fetchone()[0]["storage_version"].startswith("v1.4")
    assert con.execute("select count(*), sum(id) from publish.pay_gap").fetchone() == (7, 21)
    con.close()
    assert [p.name for p in target.parent.iterdir()] == ["observatory.duckdb"]  # no temporary left


def test_export_replaces_the_previous_copy_and_keeps_it_when_there_is_no_snapshot(tiny_snapshot, tmp_path):
    target = tmp_path / "observatory.duckdb"
    bi_export.export_snapshot(tiny_snapshot, target)
    con = duckdb.connect(str(tiny_snapshot))
    con.execute("insert into publish.pay_gap values (7, 'Asian')")
    con.close()
    assert bi_export.export_snapshot(tiny_snapshot, target)["pay_gap"] == 8

    before = target.read_bytes()
    with pytest.raises(FileNotFoundError, match="no published snapshot"):
        bi_export.export_snapshot(tmp_path / "missing.duckdb", target)
    assert target.read_bytes() == before


def test_export_refuses_a_file_without_publish_tables(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ValueError, match="no publish"):
        bi_export.export_snapshot(empty, tmp_path / "out.duckdb")
    assert not (tmp_path / "out.duckdb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.duckdb"]


def test_export_command_line(tiny_snapshot, tmp_path, capsys):
    target = tmp_path / "copy.duckdb"
    assert bi_export.main(["--snapshot", str(tiny_snapshot), "--out", str(target)]) == 0
    assert "2 publish tables, 8 rows" in capsys.readouterr().out
    assert tables_in(target) == {"publish": {"manifest", "pay_gap"}}
    with pytest.raises(SystemExit) as exc:
        bi_export.main(["--snapshot", str(tmp_path / "missing.duckdb"), "--out", str(target)])
    assert exc.value.code == 1


# ---------------------------------------------------------------------------------------------
# The project itself (no data)


def test_project_is_pinned_telemetry_free_and_reads_only_the_export():
    package = json.loads((BI / "package.json").read_text())
    for name, version in {**package["dependencies"], **package.get("devDependencies", {})}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    assert {"@evidence-dev/evidence", "@evidence-dev/core-components", "@evidence-dev/duckdb"} <= set(
        package["dependencies"]
    )
    lock = json.loads((BI / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert json.loads((BI / "evidence.settings.json").read_text())["send_anonymous_usage_stats"] == "no"

    connection = (SOURCE_DIR / "connection.yaml").read_text()
    assert re.search(r"^type: duckdb$", connection, re.M)
    assert re.search(rf"^name: {SOURCE_NAME}$", connection, re.M)
    assert re.search(rf"^\s+filename: {bi_export.DEFAULT_TARGET.name}$", connection, re.M)
    assert bi_export.DEFAULT_TARGET.parent == SOURCE_DIR
    assert {p.suffix for p in SOURCE_DIR.iterdir()} <= {".sql", ".yaml", ".duckdb", ".wal", ".tmp"}
    for name, sql in source_queries().items():
        read = re.findall(r"\b(?:from|join)\s+([\w.\"]+)", re.sub(r"--[^\n]*", "", sql), re.I)
        assert read and all(t.startswith("publish.") for t in read), f"{name} reads {read}, not publish.*"

    ignored = (BI / ".gitignore").read_text().split()
    assert {"node_modules/", ".evidence/", "build/", "sources/observatory/*.duckdb"} <= set(ignored)


def test_make_bi_evidence_is_off_the_path_of_demo_and_test():
    makefile = (config.REPO_ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([\w-]+):([^=\n]*)$", makefile, re.M))
    assert "bi-evidence" in targets
    recipe = makefile.split("\nbi-evidence:", 1)[1].split("\n\n", 1)[0]
    assert "observatory.bi_export" in recipe and "npm" in recipe

    def reaches(target, seen=()):
        deps = targets.get(target, "").split()
        return target == "bi-evidence" or any(reaches(d, (*seen, target)) for d in deps if d not in seen)

    for entry in ("demo", "test", "setup", "lint"):
        assert not reaches(entry), f"make {entry} would build the Evidence explorer"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_references_resolve(page):
    text = page_text(page)
    queries = page_queries(text)
    assert queries, f"{page.name} has no queries"
    body = markup(text)
    names = {d.get("name") for d in dropdowns(text)}
    sources = set(source_queries())

    used = set(MARKUP_DATA.findall(body)) | set(MARKUP_EXPR.findall(body))
    used -= {"inputs"}
    assert used, f"{page.name} shows no query"
    assert used <= set(queries), f"{page.name} uses undefined queries: {sorted(used - set(queries))}"
    for name, sql in queries.items():
        for expr in TEMPLATE.findall(sql):
            m = INPUT_REF.match(expr)
            assert m or expr in queries, f"{page.name}: {name} refers to ${{{expr}}}, not defined"
            if m:
                assert m.group(1) in names, f"{page.name}: {name} uses input {m.group(1)}, no such dropdown"
        tables = set(TABLE_REF.findall(sql))
        assert tables <= sources, f"{page.name}: {name} reads {sorted(tables - sources)}, not a source query"
    for expr in re.findall(r"\binputs\.(\w+)\.", body):
        assert expr in names, f"{page.name} shows input {expr}, no such dropdown"
    for dropdown in dropdowns(text):
        # Evidence selects the first option it receives: without an order that is arbitrary.
        assert dropdown.get("data") in queries and dropdown.get("order"), dropdown
        assert dropdown.get("title"), f"{page.name}: dropdown {dropdown['name']} has no visible label"
    assert len(names) == len(dropdowns(text)), f"{page.name}: two dropdowns share a name"
    # Evidence's markdown turns quotes in running text into curly ones, which breaks an expression
    # such as {x ?? ''} (the build fails): fallbacks belong in the SQL.
    text_only = re.sub(r"<[A-Z]\w*\b.*?>", "", body, flags=re.S)
    quoted = [e for e in re.findall(r"\{[^{}]*\}", text_only) if re.search("['\"]", e)]
    assert not quoted, f"{page.name}: quotes in text expressions {quoted}"


def test_every_page_is_linked_and_every_source_is_used():
    index = (BI / "pages" / "index.md").read_text()
    for page in PAGES:
        if page.stem != "index":
            assert f"](/{page.stem})" in index, f"index.md does not link {page.stem}"
    used = set().union(*(TABLE_REF.findall(page_text(p)) for p in PAGES))
    assert used == set(source_queries()), f"unused source queries: {sorted(set(source_queries()) - used)}"


# ---------------------------------------------------------------------------------------------
# Every query on the demo borough


def check_queries_on_snapshot(snapshot: Path, work: Path) -> dict[str, dict[str, list]]:
    export = work / "observatory.duckdb"
    counts = bi_export.export_snapshot(snapshot, export)
    snap = duckdb.connect(str(snapshot), read_only=True)
    try:
        published = {
            t: snap.execute(f'select count(*) from publish."{t}"').fetchone()[0]
            for (t,) in snap.execute(
                "select table_name from duckdb_tables() where schema_name = 'publish' order by 1"
            ).fetchall()
        }
    finally:
        snap.close()
    assert counts == published
    assert tables_in(export) == {"publish": set(published)}

    con, rows = page_connection(export)
    for name, n in rows.items():
        assert n > 0, f"source query {name} returns no rows"
    assert rows["outcome_indicators"] == published["outcome_indicators"]

    results = {}
    for page in PAGES:
        results[page.stem] = run_page(con, page)
        for name, result in results[page.stem].items():
            assert result, f"{page.name}: query {name} returns no rows at the default selection"
            if "sentence" in result[0]:
                assert all(r["sentence"] for r in result), f"{page.name}: {name} gives no summary"
    con.close()
    return results


def test_every_query_runs_and_returns_rows_on_the_demo_snapshot(demo_run, tmp_path):
    results = check_queries_on_snapshot(demo_run["paths"].snapshot, tmp_path)

    # Spot checks against the snapshot itself: the explorer shows the published numbers.
    con = duckdb.connect(str(demo_run["paths"].snapshot), read_only=True)
    latest = con.execute(
        "select max(period) from publish.outcome_indicators where indicator_id = ?",
        [sorted(results["outcomes"]["indicators"], key=lambda r: r["indicator_label"])[0]["indicator_id"]],
    ).fetchone()[0]
    assert results["outcomes"]["heading"][0]["period"] == latest  # the default period is the latest
    withheld = [r for r in results["outcomes"]["cells"] if r["value_symbol"]]
    assert all(r["value_shown"] == f"[{r['value_symbol']}]" for r in withheld)
    overdue = con.execute("select count(*) from publish.action_plan where is_overdue").fetchone()[0]
    assert len(results["action-plan"]["overdue"]) == overdue
    manifest = con.execute("select count(*) from publish.manifest").fetchone()[0]
    assert len(results["index"]["manifest"]) == manifest
    con.close()
    assert results["index"]["synthetic_check"][0]["synthetic_authorities"] >= 1
