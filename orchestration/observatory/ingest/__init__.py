"""Ingest: read an extract as it comes, validate it against its contract, quarantine bad rows, load."""
