"""The `loyalty` command. User mistakes give one clear line on stderr and exit status 2, no traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import grpc

from loyalty_server import __version__, logs
from loyalty_server.clock import SystemClock
from loyalty_server.config import Settings, load_settings, setting_names
from loyalty_server.errors import ConfigError
from loyalty_server.imports.fields import MEMBER_COLUMNS, POINT_COLUMNS
from loyalty_server.program import load_program_file
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import current_revision, migrate

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

_HELP = {
    "data_dir": "directory for the SQLite file and keys (default: ./data)",
    "database_url": "sqlite:///path or postgresql://user@host/db (default: SQLite in the data dir)",
    "program": "the default tenant's program file (default: the bundled demo program)",
    "grpc_address": "gRPC listen address (default: 127.0.0.1:50051; port 0 picks a free port)",
    "http_address": "HTTP gateway listen address (default: 127.0.0.1:8080)",
    "gateway": "run the HTTP gateway beside the gRPC server",
    "allow_plaintext": "allow plaintext on a non-loopback address",
    "tls_cert_file": "PEM certificate chain: turns TLS on",
    "tls_key_file": "PEM private key of the certificate",
    "tls_client_ca_file": "PEM CA bundle: requires client certificates signed by it (mutual TLS)",
    "shutdown_grace_s": "seconds in-flight calls get to finish on SIGTERM/SIGINT",
    "metrics_address": "serve the server's Prometheus metrics on HOST:PORT too (default: off)",
    "tracing": "an OpenTelemetry span per call (needs the opentelemetry package)",
    "gateway_cors_origins": "comma-separated origins CORS allows ('*' for any; default: none)",
    "gateway_https_proxy": "the gateway is reached over https through a proxy (cookies get Secure)",
    "gateway_forwarded_allow_ips": "proxy addresses whose X-Forwarded-For/-Proto headers are trusted",
    "gateway_client_id": "`loyalty gateway`: client id of an internal service account",
    "gateway_client_secret": "`loyalty gateway`: its secret (prefer the environment variable)",
}


# What `loyalty gateway` (alone) can be told.
GATEWAY_SETTINGS = (
    "http_address",
    "allow_plaintext",
    "tls_cert_file",
    "tls_key_file",
    "shutdown_grace_s",
    "max_message_bytes",
    "log_level",
    *(name for name in setting_names() if name.startswith("gateway_")),
)


def _add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    parser.add_argument("--config", metavar="FILE", help="a TOML file of settings (or LOYALTY_CONFIG)")
    defaults = Settings()
    for field in fields(Settings):
        if names is not None and field.name not in names:
            continue
        flag = "--" + field.name.replace("_", "-")
        default = getattr(defaults, field.name)
        help_text = _HELP.get(field.name, f"default: {default}") + f"; env LOYALTY_{field.name.upper()}"
        if isinstance(default, bool):
            parser.add_argument(
                flag, dest=field.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(
                flag, dest=field.name, default=None, metavar=field.name.upper(), help=help_text
            )


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {field.name: getattr(args, field.name, None) for field in fields(Settings)}
    return load_settings(config_file=args.config, overrides=overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty", description="The loyalty engine.")
    parser.add_argument("--version", action="version", version=f"loyalty {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gRPC server (and the HTTP gateway)")
    _add_setting_flags(serve)
    serve.set_defaults(run=_cmd_serve)

    gateway = commands.add_parser(
        "gateway",
        help="run the HTTP gateway alone, in front of remote gRPC servers",
        description="Run the HTTP gateway alone. The login pages call internal-only methods: give it "
        "the client id and secret of a service account with role internal (gateway_client_id, "
        "LOYALTY_GATEWAY_CLIENT_SECRET).",
    )
    gateway.add_argument("--target", required=True, metavar="HOST:PORT", help="the gRPC server(s) behind")
    gateway.add_argument(
        "--target-tls", action="store_true", help="connect to the target with TLS (the system's roots)"
    )
    gateway.add_argument("--target-ca-file", metavar="FILE", help="connect with TLS, trusting this CA bundle")
    _add_setting_flags(gateway, [*GATEWAY_SETTINGS])
    gateway.set_defaults(run=_cmd_gateway)

    migrate_cmd = commands.add_parser("migrate", help="apply database migrations and exit")
    _add_setting_flags(migrate_cmd, ["data_dir", "database_url", "log_level"])
    migrate_cmd.set_defaults(run=_cmd_migrate)

    program = commands.add_parser("program", help="work with program files")
    program_commands = program.add_subparsers(dest="program_command", required=True, metavar="COMMAND")
    check = program_commands.add_parser("check", help="validate a program file")
    check.add_argument("file", help="the program file (TOML)")
    check.set_defaults(run=_cmd_program_check)

    tenants = commands.add_parser("tenants", help="manage tenants (programs served by this engine)")
    tenant_commands = tenants.add_subparsers(dest="tenants_command", required=True, metavar="COMMAND")
    create = tenant_commands.add_parser("create", help="create a tenant with its own program file")
    create.add_argument("code", help="the tenant code, e.g. Germany (shown as storeCode in events)")
    create.add_argument(
        "--program", dest="program_file", required=True, metavar="FILE", help="its program file"
    )
    create.add_argument("--name", help="a display name (default: the code)")
    _add_setting_flags(create, ["data_dir", "database_url"])
    create.set_defaults(run=_cmd_tenants_create)
    list_cmd = tenant_commands.add_parser("list", help="list tenants as JSON lines")
    _add_setting_flags(list_cmd, ["data_dir", "database_url"])
    list_cmd.set_defaults(run=_cmd_tenants_list)
    _add_auth_commands(commands)
    _add_import_commands(commands)
    return parser


def _add_import_commands(commands: Any) -> None:
    imports = commands.add_parser("import", help="import members or points from CSV or JSON Lines")
    kinds = imports.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, what, columns in (
        ("members", "enroll members", MEMBER_COLUMNS),
        ("points", "credit points", POINT_COLUMNS),
    ):
        command = kinds.add_parser(
            kind,
            help=f"{what}, one per row (exit 2: rows refused; 1: fatal)",
            description=f"{what.capitalize()}, one per row. Columns: {columns.describe()}.",
        )
        command.add_argument("file", help="the CSV (with a header line) or JSON Lines file")
        command.add_argument("--tenant", help="the tenant code (default: the default tenant)")
        command.add_argument("--format", choices=["csv", "jsonl"], help="default: by file extension")
        command.add_argument("--report", metavar="PATH", help="refused rows (default: FILE.refused.csv)")
        resume = command.add_mutually_exclusive_group()
        resume.add_argument(
            "--resume",
            dest="resume",
            action="store_true",
            default=True,
            help="continue after the checkpoint, if any (default)",
        )
        resume.add_argument("--restart", dest="resume", action="store_false", help="ignore the checkpoint")
        _add_setting_flags(command, ["data_dir", "database_url", "program"])
        command.set_defaults(run=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    from loyalty_server.imports.command import fatal, import_file

    status = [0]

    async def work(engine: Any) -> None:
        status[0] = await import_file(engine, _settings_from(args), args)

    try:
        _with_migrated_engine(args, work)
    except ConfigError as exc:  # here even a setting is fatal (1): 2 means rows were refused
        return fatal(str(exc))
    except KeyboardInterrupt:  # the import saved its checkpoint on the way out
        fatal("interrupted; run the same command again to continue where it stopped")
        return EXIT_INTERRUPTED
    return status[0]


def _add_auth_commands(commands: Any) -> None:
    partners = commands.add_parser("partners", help="manage partner clients (OAuth apps)")
    partner_commands = partners.add_subparsers(dest="partners_command", required=True, metavar="COMMAND")
    create = partner_commands.add_parser("create", help="register a partner client; prints its id and secret")
    create.add_argument("--name", required=True, help="shown on the consent page")
    create.add_argument("--description", help="free text for operators")
    create.add_argument(
        "--redirect-uri",
        action="append",
        required=True,
        metavar="URI",
        help="exact redirect URI (repeatable)",
    )
    create.add_argument("--scopes", required=True, help="comma-separated, e.g. steps,points:read")
    create.add_argument("--public", action="store_true", help="a public client (no secret; PKCE required)")
    list_cmd = partner_commands.add_parser("list", help="list partner clients as JSON lines")
    rotate = partner_commands.add_parser("rotate-secret", help="issue a new client secret")
    rotate.add_argument("client_id")
    rotate.add_argument(
        "--previous-secret-ttl-s",
        type=int,
        default=0,
        help="seconds the old secret keeps working (default 0)",
    )
    disable = partner_commands.add_parser("disable", help="disable a client and revoke its grants")
    disable.add_argument("client_id")
    disable.add_argument("--reason", required=True)
    disable.add_argument("--keep-grants", action="store_true", help="keep existing grants working")
    for command, run in (
        (create, "create_partner"),
        (list_cmd, "list_partners"),
        (rotate, "rotate_partner_secret"),
        (disable, "disable_partner"),
    ):
        _auth_command(command, run)

    accounts = commands.add_parser("service-accounts", help="manage service accounts (client credentials)")
    account_commands = accounts.add_subparsers(dest="accounts_command", required=True, metavar="COMMAND")
    create_account = account_commands.add_parser(
        "create", help="create a service account (e.g. the first admin); prints its client id and secret"
    )
    create_account.add_argument("--name", required=True)
    create_account.add_argument("--description")
    create_account.add_argument("--role", required=True, choices=["admin", "pos", "internal", "partner"])
    create_account.add_argument("--scopes", help="comma-separated; default: the role's scopes")
    create_account.add_argument(
        "--cross-tenant", action="store_true", help="admin only: may act in every tenant"
    )
    create_account.add_argument(
        "--token-ttl-s", type=int, default=0, help="access token lifetime (default 3600)"
    )
    create_account.add_argument(
        "--format",
        choices=["json", "env"],
        default="json",
        help="env: `export LOYALTY_CLIENT_ID=… LOYALTY_CLIENT_SECRET=…` lines, for eval in a shell",
    )
    _auth_command(create_account, "create_service_account")


def _auth_command(parser: argparse.ArgumentParser, function: str) -> None:
    parser.add_argument("--tenant", help="the tenant code (default: the default tenant)")
    _add_setting_flags(parser, ["data_dir", "database_url", "program"])
    parser.set_defaults(run=_cmd_auth, auth_function=function)


def _cmd_auth(args: argparse.Namespace) -> int:
    from loyalty_server.auth import cli_commands

    settings = _settings_from(args)

    async def work(engine: Any) -> None:
        await getattr(cli_commands, args.auth_function)(engine, settings, args)

    return _with_migrated_engine(args, work)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"loyalty: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(coroutine_fn: Callable[[], Awaitable[int]]) -> int:
    try:
        import uvloop

        return uvloop.run(coroutine_fn())
    except ImportError:
        return asyncio.run(coroutine_fn())


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    logs.configure(settings.log_level)

    async def serve() -> int:
        from loyalty_server.runtime.heap import freeze_startup_heap
        from loyalty_server.runtime.server import LoyaltyServer

        server = LoyaltyServer(settings)
        await server.start()
        gateway = await _start_gateway(settings, server) if settings.gateway else None
        freeze_startup_heap()
        await _until_signalled()
        if gateway is not None:
            await gateway.stop()
        await server.stop()
        return 0

    return _run(serve)


async def _start_gateway(settings: Settings, server: Any) -> Any:
    from loyalty_gateway.runner import GatewayRunner

    runner = GatewayRunner(
        settings,
        grpc_target=server.gateway_target,
        token_fetch=await server.gateway_token_fetch(),
        channel_credentials=server.gateway_channel_credentials(),
        metrics_registries=(server.metrics.registry,),  # one /metrics for both
    )
    await runner.start()
    return runner


def _cmd_gateway(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    logs.configure(settings.log_level)
    if not settings.gateway_client_id:
        raise ConfigError(
            "loyalty gateway needs gateway_client_id and gateway_client_secret: an internal service "
            "account for the login pages (loyalty service-accounts create --name gateway --role internal)"
        )
    credentials = None
    if args.target_ca_file:
        credentials = grpc.ssl_channel_credentials(_read_file(args.target_ca_file, "--target-ca-file"))
    elif args.target_tls:
        credentials = grpc.ssl_channel_credentials()

    async def run() -> int:
        from loyalty_gateway.runner import GatewayRunner

        runner = GatewayRunner(settings, args.target, channel_credentials=credentials)
        await runner.start()
        await _until_signalled()
        await runner.stop()
        return 0

    return _run(run)


def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it ({exc.strerror})") from None


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def _cmd_migrate(args: argparse.Namespace) -> int:
    async def work(engine: Any) -> None:
        print(json.dumps({"migrated_to": await current_revision(engine)}))

    return _with_migrated_engine(args, work)


def _cmd_program_check(args: argparse.Namespace) -> int:
    program = load_program_file(args.file)
    summary = {
        "ok": True,
        "program": program.name,
        "currencies": list(program.currencies),
        "tiers": [level.id for level in program.tiers.levels]
        + [custom.id for custom in program.tiers.custom],
        "rules": len(program.rules),
        "rewards": len(program.rewards),
    }
    print(json.dumps(summary))
    return 0


def _with_migrated_engine(args: argparse.Namespace, work: Callable[[Any], Awaitable[None]]) -> int:
    settings = _settings_from(args)

    async def run() -> int:
        from loyalty_server.runtime.server import check_database

        engine = create_engine(settings.resolved_database_url)
        try:
            await check_database(engine, settings.resolved_database_url)
            await migrate(engine)
            await work(engine)
        finally:
            await engine.dispose()
        return 0

    return _run(run)


def _cmd_tenants_create(args: argparse.Namespace) -> int:
    from loyalty_server.tenancy import create_tenant, ensure_default_tenant

    load_program_file(args.program_file)  # a bad file fails before touching the database
    program_toml = Path(args.program_file).read_text(encoding="utf-8")

    async def work(engine: Any) -> None:
        clock = SystemClock()
        await ensure_default_tenant(engine, clock)
        tenant = await create_tenant(engine, clock, args.code, args.name or args.code, program_toml)
        print(
            json.dumps(
                {"code": tenant.code, "name": tenant.name, "created_at": tenant.created_at.isoformat()}
            )
        )

    return _with_migrated_engine(args, work)


def _cmd_tenants_list(args: argparse.Namespace) -> int:
    from loyalty_server.tenancy import ensure_default_tenant, list_tenants

    async def work(engine: Any) -> None:
        await ensure_default_tenant(engine, SystemClock())
        for tenant in await list_tenants(engine):
            own_program = tenant.program_toml is not None
            print(json.dumps({"code": tenant.code, "name": tenant.name, "own_program": own_program}))

    return _with_migrated_engine(args, work)
