"""Which program each tenant runs, kept in memory so `program_for(tenant_id)` costs a dict lookup.

The database is the truth: a tenant row holds its program document (NULL: the server's configured
file). Every replica re-reads the tenants table on a short interval (`refresh`), so a program
installed by ReloadProgram or a tenant created by the CLI takes effect everywhere within one
interval, and a swap is atomic per tenant (one dict assignment of an already-validated Program).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.errors import ConfigError, DomainError, ErrorKind
from loyalty_server.logs import log_event
from loyalty_server.program.loader import parse_program
from loyalty_server.program.model import Program
from loyalty_server.storage.schema import tenants

logger = logging.getLogger("loyalty.programs")
PROGRAM_DOCUMENT_BYTES_MAX = 1 << 20  # 1 MiB
TENANT_PROGRAM_RETRY_AFTER_S = 5


def revision_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoadedProgram:
    tenant_id: int
    tenant_code: str
    program: Program
    revision: str
    document: str


class ProgramRegistry:
    def __init__(self, configured: Program, configured_document: str) -> None:
        self.configured = LoadedProgram(
            0, "", configured, revision_of(configured_document), configured_document
        )
        self._loaded: dict[int, LoadedProgram] = {}

    def program_for(self, tenant_id: int) -> Program:
        return self.loaded(tenant_id).program

    def loaded(self, tenant_id: int) -> LoadedProgram:
        loaded = self._loaded.get(tenant_id)
        if loaded is None:
            # A tenant created a moment ago on another process: the next refresh brings it.
            raise DomainError(
                ErrorKind.UNAVAILABLE,
                "PROGRAM_NOT_LOADED",
                "this tenant's program is not loaded yet; retry shortly",
                retry_after_s=TENANT_PROGRAM_RETRY_AFTER_S,
            )
        return loaded

    async def refresh(self, engine: AsyncEngine) -> list[str]:
        """Re-read every tenant's program; returns the codes whose revision changed. A stored document
        that no longer validates (e.g. written by a newer version) keeps the previous program in force."""
        async with engine.connect() as connection:
            query = select(tenants.c.id, tenants.c.code, tenants.c.program_toml)
            rows = (await connection.execute(query)).all()
        changed = []
        for tenant_id, code, document in rows:
            current = self._loaded.get(tenant_id)
            try:
                loaded = self._load(tenant_id, code, document, current)
            except ConfigError as error:
                # One tenant's unreadable document must not take the other tenants (or the server)
                # down; its calls answer PROGRAM_NOT_LOADED until an admin installs a valid one.
                log_event(logger, "program not loaded", logging.ERROR, tenant=code, error=str(error))
                continue
            if current is None or current.revision != loaded.revision:
                self._loaded[tenant_id] = loaded
                changed.append(code)
        return changed

    def _load(
        self, tenant_id: int, code: str, document: str | None, current: LoadedProgram | None
    ) -> LoadedProgram:
        if document is None:
            base = self.configured
            return LoadedProgram(tenant_id, code, base.program, base.revision, base.document)
        revision = revision_of(document)
        if current is not None and current.revision == revision:
            return current
        try:
            program = parse_program(document, origin=f"tenant {code}")
        except ConfigError:
            if current is not None:
                return current
            raise
        return LoadedProgram(tenant_id, code, program, revision, document)

    def install(self, loaded: LoadedProgram) -> None:
        """Put a program this process has just stored and validated in force at once."""
        self._loaded[loaded.tenant_id] = loaded
