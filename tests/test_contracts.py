"""The contracts are the one declaration: dbt sources and docs are generated from them."""

from observatory.codegen import sync
from observatory.contracts import folders_without_contract, get_contract, load_contracts
from observatory.ingest.validate import pandera_schema


def test_generated_dbt_sources_and_docs_match_the_contracts():
    stale = sync(check=True)
    assert stale == [], f"run `observatory contracts sync`: out of date {stale}"


def test_every_contract_names_its_period_and_identifiers():
    for contract in load_contracts().values():
        assert contract.period_column in {c.name for c in contract.columns}
        assert all(not c.direct_identifier or not c.required for c in contract.columns)


def test_pandera_schema_is_derived_from_the_contract():
    contract = get_contract("hr_payroll")
    schema = pandera_schema(contract)
    assert set(schema.columns) == {c.name for c in contract.columns}
    hours_checks = {c.name for c in schema.columns["weekly_hours"].checks}
    assert "range: must be at least 0.5" in hours_checks
    assert "type: must be a number (e.g. 1234.50 or £1,234.50)" in hours_checks


def test_headers_resolve_case_space_and_punctuation_insensitively():
    contract = get_contract("hr_payroll")
    assert contract.resolve_header("  EMPLOYEE   number ") == "employee_id"
    assert contract.resolve_header("Reduced-Pay (Due to Leave)") == "reduced_pay_due_to_leave"
    assert contract.resolve_header("Favourite colour") is None


def test_inbox_folders_no_contract_reads_are_listed_with_their_file_counts(tmp_path):
    (tmp_path / "hr_payroll").mkdir()
    (tmp_path / "hr_payroll" / "a.csv").write_text("x")
    (tmp_path / "a_new_source").mkdir()
    for name in ("a.csv", "b.csv", ".hidden"):
        (tmp_path / "a_new_source" / name).write_text("x")
    (tmp_path / "ground_truth.json").write_text("{}")
    assert folders_without_contract(tmp_path) == {"a_new_source": 2}
    assert folders_without_contract(tmp_path / "missing") == {}
