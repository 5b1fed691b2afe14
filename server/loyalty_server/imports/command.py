"""`loyalty import members|points FILE`: the command's work once the engine is open.

Exit status: 0 when every row was imported or skipped as a replay, 2 when some rows were refused
(see the report), 1 on a fatal error (unreadable file, bad header, lost database): then a
checkpoint is left and the same command continues where it stopped.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import SystemClock
from loyalty_server.config import Settings
from loyalty_server.errors import ConfigError
from loyalty_server.imports import checkpoint, report
from loyalty_server.imports.members import MemberImporter
from loyalty_server.imports.points import PointsImporter
from loyalty_server.imports.reader import ReadError, format_for
from loyalty_server.imports.run import Importer, ImportJob, run_import
from loyalty_server.ledger.operations import Ledger
from loyalty_server.program import load_program_file
from loyalty_server.tenancy import Tenant, ensure_default_tenant, get_tenant, tenant_program

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_REFUSED = 2


async def import_file(engine: AsyncEngine, settings: Settings, args: argparse.Namespace) -> int:
    try:
        tenant = await _tenant(engine, args.tenant)
        importer = _importer(engine, settings, tenant, args.kind)
        job = _job(args, tenant)
        result = await run_import(job, importer)
    except (ReadError, ConfigError, OSError) as error:
        return fatal(str(error))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return fatal(f"database: {reason}; run the same command again to resume")
    counts = result.counts
    summary = {
        "kind": args.kind,
        "file": str(job.source),
        "tenant": tenant.code,
        "read": counts.read,
        "imported": counts.imported,
        "skipped": counts.skipped,
        "refused": counts.refused,
        "report": str(job.report),
        "resumed_after_line": result.resumed_at_line,
        "rows_per_s": round(result.rows_per_s, 1),
    }
    print(json.dumps(summary))
    return EXIT_REFUSED if counts.refused else EXIT_OK


def fatal(message: str) -> int:
    print(f"loyalty: error: {message}", file=sys.stderr)
    return EXIT_FATAL


async def _tenant(engine: AsyncEngine, code: str | None) -> Tenant:
    default = await ensure_default_tenant(engine, SystemClock())
    tenant = default if code is None else await get_tenant(engine, code)
    if tenant is None:
        raise ConfigError(f"tenant {code}: not found")
    return tenant


def _importer(engine: AsyncEngine, settings: Settings, tenant: Tenant, kind: str) -> Importer:
    program = tenant_program(tenant, load_program_file(settings.resolved_program))
    ledger = Ledger(engine, SystemClock(), lambda _tenant_id: program)
    if kind == "members":
        return MemberImporter(ledger, tenant.id)
    return PointsImporter(ledger, tenant.id, actor=f"import-cli:{getpass.getuser()}")


def _job(args: argparse.Namespace, tenant: Tenant) -> ImportJob:
    source = Path(args.file)
    report_path = Path(args.report) if args.report else report.default_path(source)
    return ImportJob(
        source=source,
        file_format=format_for(source, args.format),
        tenant=tenant.code,
        report=report_path,
        state=checkpoint.state_path(source, report_path),
        resume=args.resume,
    )
