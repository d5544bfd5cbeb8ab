"""Tests of the central ledger: they talk to a real PostgreSQL the suite starts and throws away."""
