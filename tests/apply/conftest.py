"""Fixtures of the apply tests: the state tests' throwaway PostgreSQL cluster (one per xdist worker)."""

from __future__ import annotations

from tests.state.conftest import pg_server, pg_url

__all__ = ["pg_server", "pg_url"]
