"""The command line a data engineer uses: `observatory check` and `contracts sync`."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import hr_row, write_csv
from observatory.cli import main


def test_check_prints_a_report_a_person_can_act_on(data_dir, tmp_path):
    rows = [hr_row(f"E{i}", "White British", 20) for i in range(30)]
    rows[4][6] = "thirty-six"
    rows[9][8] = "-250"
    path = write_csv(tmp_path / "march_payroll.csv", rows)
    result = CliRunner().invoke(main, ["check", "--source", "hr_payroll", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "march_payroll.csv" in out
    assert "would quarantine: 2" in out
    assert "row 6, column 'weekly_hours': value 'thirty-six'" in out
    assert "row 11, column 'basic_pay_in_period': value '-250' — range: must be at least 0" in out
    assert not (data_dir.warehouse).exists()  # checking never loads


def test_check_of_a_file_missing_a_required_column_says_what_was_expected(data_dir, tmp_path):
    path = tmp_path / "payroll.csv"
    path.write_text("Employee Number,Gender\nE1,F\n")
    result = CliRunner().invoke(main, ["check", "--source", "hr_payroll", str(path)])
    assert result.exit_code == 2
    assert "required column(s) missing" in result.output
    assert "weekly_hours (or one of: contracted hours" in result.output
    assert "docs/sources/hr_payroll.md" in result.output


def test_check_of_a_clean_file_exits_zero(data_dir, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [hr_row("E1", "White British", 20)])
    result = CliRunner().invoke(main, ["check", "--source", "hr_payroll", str(path)])
    assert result.exit_code == 0, result.output
    assert "✓ ok.csv" in result.output


def test_contracts_sync_check_reports_nothing_out_of_date():
    result = CliRunner().invoke(main, ["contracts", "sync", "--check"])
    assert result.exit_code == 0, result.output
