"""KnownMembers: a member seen once is not read again; an unknown one is refused and not remembered."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger import known_members
from loyalty_server.ledger.known_members import KnownMembers


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the read connections KnownMembers opens."""
    opened: list[int] = []
    real = known_members.read_connection

    @contextlib.asynccontextmanager
    async def counted(engine) -> AsyncIterator:
        opened.append(1)
        async with real(engine) as connection:
            yield connection

    monkeypatch.setattr(known_members, "read_connection", counted)
    return opened


async def test_a_member_seen_once_is_not_read_again(ledger, engine, tenant_id, reads) -> None:
    ann = await ledger.enroll(tenant_id, request_id="ann")
    bob = await ledger.enroll(tenant_id, request_id="bob")
    known = KnownMembers(engine)
    await known.require(tenant_id, [ann.member_id, bob.member_id, ann.member_id])
    assert (len(reads), len(known)) == (1, 2)
    await known.require(tenant_id, [bob.member_id, ann.member_id])
    assert len(reads) == 1, "both were known: no read"
    with pytest.raises(DomainError) as refused:
        await known.require(tenant_id + 1, [ann.member_id])  # another tenant's member is not found
    assert refused.value.reason == "MEMBER_NOT_FOUND"


async def test_unknown_members_are_refused_and_not_remembered(ledger, engine, tenant_id, reads) -> None:
    ann = await ledger.enroll(tenant_id, request_id="ann")
    known = KnownMembers(engine)
    with pytest.raises(DomainError) as refused:  # "m_0" sorts before every issued id, "m_zz" after
        await known.require(tenant_id, ["m_zz", ann.member_id, "m_0"])
    assert (refused.value.kind, refused.value.reason) == (ErrorKind.NOT_FOUND, "MEMBER_NOT_FOUND")
    assert refused.value.metadata["member_id"] == "m_0", "the first unknown in id order"
    assert len(known) == 0
    await known.require(tenant_id, [ann.member_id])
    with pytest.raises(DomainError):
        await known.require(tenant_id, ["m_0"])  # still unknown: read again, refused again
    await known.require(tenant_id, [ann.member_id])
    assert len(reads) == 3


async def test_full_it_forgets_everything_and_starts_over(ledger, engine, tenant_id, reads) -> None:
    ids = [(await ledger.enroll(tenant_id, request_id=f"r{n}")).member_id for n in range(3)]
    known = KnownMembers(engine, size_max=2)
    await known.require(tenant_id, ids[:2])
    assert len(known) == 2
    await known.require(tenant_id, ids[2:])
    assert len(known) == 1
    await known.require(tenant_id, ids[:1])
    assert len(reads) == 3
