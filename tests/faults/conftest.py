"""Fixtures of the fault tests."""

from tests.faults.private_postgres import private_postgres

__all__ = ["private_postgres"]
