"""Members' login accounts: registration (which enrolls the ledger member), login with throttling,
and an admin's care (read, reset password, lock, unlock)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth.clients import ACTIVE, find_client
from loyalty_server.auth.deps import AuthDeps, unauthorized_client
from loyalty_server.auth.passwords import DUMMY_HASH, check_password_policy, hash_password, verify_password
from loyalty_server.auth.sessions import end_sessions, open_session
from loyalty_server.auth.tables import login_failures, member_credentials
from loyalty_server.auth.throttle import FailureWindow, after_failure, retry_after_s
from loyalty_server.errors import DomainError, ErrorKind, not_found
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.members import Member, enroll_member, get_member, normalize_email
from loyalty_server.program import Program, parse_program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import tenants


@dataclass(frozen=True, slots=True)
class MemberAccount:
    tenant_id: int
    member_id: str
    email: str
    locked: bool
    lock_reason: str
    lock_expires_at: dt.datetime | None
    failed_login_count: int
    last_login_at: dt.datetime | None
    password_updated_at: dt.datetime

    def locked_at(self, now: dt.datetime) -> bool:
        return self.locked and (self.lock_expires_at is None or now < self.lock_expires_at)


@dataclass(frozen=True, slots=True)
class Registration:
    email: str
    password: str
    client_id: str
    given_name: str = ""
    family_name: str = ""
    phone: str = ""
    time_zone: str = ""
    remote_address: str = ""
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    member_id: str
    token: str
    expires_at: dt.datetime


def _to_account(row: RowMapping) -> MemberAccount:
    return MemberAccount(
        tenant_id=row["tenant_id"],
        member_id=row["member_id"],
        email=row["email"],
        locked=bool(row["locked"]),
        lock_reason=row["lock_reason"],
        lock_expires_at=row["lock_expires_at"],
        failed_login_count=row["failed_login_count"],
        last_login_at=row["last_login_at"],
        password_updated_at=row["password_updated_at"],
    )


async def _tenant_of_client(deps: AuthDeps, client_id: str) -> int:
    async with deps.engine.connect() as connection:
        client = await find_client(connection, client_id)
    if client is None or client.state != ACTIVE:
        raise unauthorized_client("unknown or disabled client_id")
    return client.tenant_id


async def _default_time_zone(connection: AsyncConnection, tenant_id: int, configured: Program) -> str:
    query = select(tenants.c.code, tenants.c.program_toml).where(tenants.c.id == tenant_id)
    row = (await connection.execute(query)).one()
    if row.program_toml is None:
        return configured.default_time_zone
    return parse_program(row.program_toml, origin=f"tenant {row.code}").default_time_zone


async def register(deps: AuthDeps, registration: Registration) -> tuple[Member, Session | None]:
    """The new member and a session; on a replay of the same request, the member and no session."""
    tenant_id = await _tenant_of_client(deps, registration.client_id)
    email = normalize_email(registration.email) or ""
    if not email:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_REQUEST", "email is required")
    check_password_policy(registration.password, email=email)
    password_hash = await asyncio.to_thread(hash_password, registration.password)
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        # The password stays out of the fingerprint: no fast hash of it is stored anywhere.
        content = {
            "client_id": registration.client_id,
            "email": email,
            "names": [registration.given_name, registration.family_name],
            "phone": registration.phone,
            "time_zone": registration.time_zone,
        }
        replay = await idempotency.claim(
            connection,
            deps.clock,
            tenant_id=tenant_id,
            scope="auth.register_member",
            key=registration.request_id,
            content=content,
        )
        if replay:
            return await get_member(connection, tenant_id, replay["member_id"]), None
        taken = await connection.execute(
            select(member_credentials.c.member_id).where(
                member_credentials.c.tenant_id == tenant_id, member_credentials.c.email == email
            )
        )
        if taken.first() is not None:
            raise DomainError(ErrorKind.ALREADY_EXISTS, "EMAIL_TAKEN", "this e-mail is already registered")
        member = await enroll_member(
            connection,
            tenant_id=tenant_id,
            clock=deps.clock,
            email=email,
            phone=registration.phone or None,
            given_name=registration.given_name,
            family_name=registration.family_name,
            time_zone=registration.time_zone or None,
            default_time_zone=await _default_time_zone(connection, tenant_id, deps.program),
            channel="web_registration",
            request_id=registration.request_id,
        )
        await connection.execute(
            insert(member_credentials).values(
                tenant_id=tenant_id,
                member_id=member.member_id,
                email=email,
                password_hash=password_hash,
                password_updated_at=now,
                failed_login_count=0,
                locked=False,
                created_at=now,
            )
        )
        token, expires_at = await open_session(
            connection,
            tenant_id=tenant_id,
            member_id=member.member_id,
            now=now,
            ttl_s=deps.settings.member_session_ttl_s,
        )
        await idempotency.record(
            connection,
            tenant_id=tenant_id,
            scope="auth.register_member",
            key=registration.request_id,
            result={"member_id": member.member_id},
        )
    return member, Session(member.member_id, token, expires_at)


# --- login ----------------------------------------------------------------------------------------


async def login(deps: AuthDeps, *, email: str, password: str, client_id: str, remote_address: str) -> Session:
    tenant_id = await _tenant_of_client(deps, client_id)
    settings = deps.settings
    email = (email or "").strip().lower()
    async with deps.engine.connect() as connection:
        row = (
            (
                await connection.execute(
                    select(member_credentials).where(
                        member_credentials.c.tenant_id == tenant_id, member_credentials.c.email == email
                    )
                )
            )
            .mappings()
            .first()
        )
        account = _to_account(row) if row else None
        stored_hash = row["password_hash"] if row else DUMMY_HASH
        limits = _limits(deps, account, remote_address)
        await _refuse_if_throttled(
            connection, tenant_id, limits, deps.clock.now(), settings.login_failure_window_s
        )
    # Verify even for an unknown e-mail, so the answer takes as long either way.
    password_ok = await asyncio.to_thread(verify_password, password, stored_hash)
    if account is None or not password_ok:
        await _record_failure(deps, tenant_id, account, limits)
        raise DomainError(ErrorKind.UNAUTHENTICATED, "INVALID_CREDENTIALS", "wrong e-mail or password")
    now = deps.clock.now()
    if account.locked_at(now):
        raise DomainError(ErrorKind.PERMISSION_DENIED, "ACCOUNT_LOCKED", "this account is locked")
    async with write_transaction(deps.engine) as connection:
        await connection.execute(
            update(member_credentials)
            .where(
                member_credentials.c.tenant_id == tenant_id,
                member_credentials.c.member_id == account.member_id,
            )
            .values(failed_login_count=0, last_login_at=now)
        )
        await _clear_failures(connection, tenant_id, f"account:{account.member_id}")
        token, expires_at = await open_session(
            connection,
            tenant_id=tenant_id,
            member_id=account.member_id,
            now=now,
            ttl_s=settings.member_session_ttl_s,
        )
    return Session(account.member_id, token, expires_at)


def _limits(deps: AuthDeps, account: MemberAccount | None, remote_address: str) -> list[tuple[str, int]]:
    limits = []
    if account is not None:
        limits.append((f"account:{account.member_id}", deps.settings.login_failures_per_account_max))
    if remote_address:
        limits.append((f"address:{remote_address[:200]}", deps.settings.login_failures_per_address_max))
    return limits


async def _load_window(connection: AsyncConnection, tenant_id: int, subject: str) -> FailureWindow | None:
    query = select(login_failures).where(
        login_failures.c.tenant_id == tenant_id, login_failures.c.subject == subject
    )
    row = (await connection.execute(query)).mappings().first()
    return FailureWindow(row["window_start"], row["failures"]) if row else None


async def _refuse_if_throttled(
    connection: AsyncConnection,
    tenant_id: int,
    limits: list[tuple[str, int]],
    now: dt.datetime,
    window_s: int,
) -> None:
    waits = []
    for subject, failures_max in limits:
        window = await _load_window(connection, tenant_id, subject)
        wait_s = retry_after_s(window, now=now, failures_max=failures_max, window_s=window_s)
        if wait_s is not None:
            waits.append(wait_s)
    if waits:
        raise DomainError(
            ErrorKind.RESOURCE_EXHAUSTED,
            "LOGIN_THROTTLED",
            "too many failed logins; try again later",
            metadata={"retry_after_s": str(max(waits))},
            retry_after_s=max(waits),
        )


async def _record_failure(
    deps: AuthDeps, tenant_id: int, account: MemberAccount | None, limits: list[tuple[str, int]]
) -> None:
    """Counted in a transaction of its own, committed before the refusal is raised."""
    window_s = deps.settings.login_failure_window_s
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        for subject, _failures_max in limits:
            window = await _load_window(connection, tenant_id, subject)
            await _count_failure(
                connection, tenant_id, subject, window, after_failure(window, now=now, window_s=window_s)
            )
        if account is not None:
            await connection.execute(
                update(member_credentials)
                .where(
                    member_credentials.c.tenant_id == tenant_id,
                    member_credentials.c.member_id == account.member_id,
                )
                .values(failed_login_count=member_credentials.c.failed_login_count + 1)
            )


async def _count_failure(
    connection: AsyncConnection,
    tenant_id: int,
    subject: str,
    window: FailureWindow | None,
    new: FailureWindow,
) -> None:
    """Increments in SQL, so concurrent failures on PostgreSQL are all counted."""
    row = (login_failures.c.tenant_id == tenant_id) & (login_failures.c.subject == subject)
    if window is not None:
        values = (
            {"failures": login_failures.c.failures + 1}
            if new.failures > 1
            else {"window_start": new.window_start, "failures": 1}
        )
        await connection.execute(update(login_failures).where(row).values(**values))
        return
    try:
        async with connection.begin_nested():
            await connection.execute(
                insert(login_failures).values(
                    tenant_id=tenant_id, subject=subject, window_start=new.window_start, failures=1
                )
            )
    except IntegrityError:  # a concurrent failure created the row first
        await connection.execute(
            update(login_failures).where(row).values(failures=login_failures.c.failures + 1)
        )


async def _clear_failures(connection: AsyncConnection, tenant_id: int, subject: str) -> None:
    await connection.execute(
        delete(login_failures).where(
            login_failures.c.tenant_id == tenant_id, login_failures.c.subject == subject
        )
    )


# --- admin care -----------------------------------------------------------------------------------


async def get_account(connection: AsyncConnection, *, tenant_id: int, member_id: str) -> MemberAccount:
    query = select(member_credentials).where(
        member_credentials.c.tenant_id == tenant_id, member_credentials.c.member_id == member_id
    )
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise not_found("MEMBER_NOT_FOUND", f"no login account for member {member_id}", member_id=member_id)
    return _to_account(row)


async def set_password(
    connection: AsyncConnection, account: MemberAccount, *, password_hash: str, now: dt.datetime
) -> MemberAccount:
    await _update(connection, account, password_hash=password_hash, password_updated_at=now)
    await end_sessions(connection, tenant_id=account.tenant_id, member_id=account.member_id)
    return await get_account(connection, tenant_id=account.tenant_id, member_id=account.member_id)


async def lock(
    connection: AsyncConnection, account: MemberAccount, *, reason: str, lock_expires_at: dt.datetime | None
) -> MemberAccount:
    await _update(connection, account, locked=True, lock_reason=reason, lock_expires_at=lock_expires_at)
    await end_sessions(connection, tenant_id=account.tenant_id, member_id=account.member_id)
    return await get_account(connection, tenant_id=account.tenant_id, member_id=account.member_id)


async def unlock(connection: AsyncConnection, account: MemberAccount) -> MemberAccount:
    await _update(
        connection, account, locked=False, lock_reason="", lock_expires_at=None, failed_login_count=0
    )
    await _clear_failures(connection, account.tenant_id, f"account:{account.member_id}")
    return await get_account(connection, tenant_id=account.tenant_id, member_id=account.member_id)


async def _update(connection: AsyncConnection, account: MemberAccount, **values: object) -> None:
    await connection.execute(
        update(member_credentials)
        .where(
            member_credentials.c.tenant_id == account.tenant_id,
            member_credentials.c.member_id == account.member_id,
        )
        .values(**values)
    )


async def account_is_locked(
    connection: AsyncConnection, *, tenant_id: int, member_id: str, now: dt.datetime
) -> bool:
    try:
        account = await get_account(connection, tenant_id=tenant_id, member_id=member_id)
    except DomainError:
        return False
    return account.locked_at(now)


__all__ = [
    "MemberAccount",
    "Registration",
    "Session",
    "get_account",
    "lock",
    "login",
    "register",
    "set_password",
    "unlock",
]
