"""Reproducible performance measurements; see RESULTS.md."""
