"""Benchmarks and chaos runs for the till: one command each, figures against a same-run baseline."""
