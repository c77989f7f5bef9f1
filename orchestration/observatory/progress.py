"""A Dagster logger that prints one line per asset as a refresh runs, and collects a summary.

Dagster's console logger prints every event; a person running `observatory refresh` wants to see
each asset arrive, each check that failed, and, at the end, what failed and what to do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import click
import dagster as dg

from observatory.run_report import RunReport


@dataclass
class RunSummary:
    materialized: list[str] = field(default_factory=list)
    failed_steps: list[tuple[str, str]] = field(default_factory=list)
    failed_checks: list[tuple[str, str, str]] = field(default_factory=list)  # asset, check, severity
    started: float = field(default_factory=time.monotonic)
    # What failed, which file, what to do: composed from the event log after the run (run_report.py).
    report: RunReport | None = None


class ProgressHandler(logging.Handler):
    def __init__(self, summary: RunSummary):
        super().__init__(level=logging.DEBUG)
        self.summary = summary
        self.last = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        # Dagster passes its structured event to user loggers as the record's `dagster_event` extra.
        event = getattr(record, "dagster_event", None)
        if event is None:
            if record.levelno >= logging.ERROR:
                click.secho(f"  ! {record.getMessage().splitlines()[0]}", fg="red", err=True)
            return
        now = time.monotonic()
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            key = event.asset_key.to_user_string()
            self.summary.materialized.append(key)
            click.echo(f"  ✓ {key:<55} {now - self.last:6.1f} s")
            self.last = now
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                severity = data.severity.value if data.severity else "ERROR"
                key = data.asset_key.to_user_string()
                self.summary.failed_checks.append((key, data.check_name, severity))
                colour = "yellow" if severity == "WARN" else "red"
                click.secho(f"  ✗ check {key}:{data.check_name} ({severity})", fg=colour)
        elif kind == "STEP_START":
            click.echo(f"→ {event.step_key}")
            self.last = now
        elif kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip() if error else "unknown error"
            self.summary.failed_steps.append((event.step_key, message))
            click.secho(f"  ✗ {event.step_key} failed", fg="red")


def progress_logger(summary: RunSummary) -> dg.LoggerDefinition:
    @dg.logger(description="One line per asset, for the command line.")
    def _progress(_init_context):
        log = logging.Logger("observatory.progress", level=logging.DEBUG)
        log.addHandler(ProgressHandler(summary))
        return log

    return _progress
