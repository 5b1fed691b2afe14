"""Points for events rather than activities: the seed's bonus for connecting a device or app
("250 points ... up to 2 per month"), earned when a partner grant is made.

Runs inside the transaction that makes the grant, so the bonus exists exactly when the connection
does. Event rules count their limits like any other rule, on the member's local day.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.activity import rules as engine_rules
from loyalty_server.activity.awards import load_usage, multiplier_of, post_rule_change, store_award
from loyalty_server.activity.intake import INACTIVE_REASONS, rule_currencies
from loyalty_server.auth.grants import Grant
from loyalty_server.errors import DomainError
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.operations import Ledger

PARTNER_CONNECTED = "partner.connected"


async def award_partner_connected(ledger: Ledger, connection: AsyncConnection, grant: Grant) -> int:
    """Apply the program's partner.connected rules for a new grant; returns the points earned."""
    program = ledger.program_for(grant.tenant_id)
    rules = engine_rules.event_rules(program, PARTNER_CONNECTED)
    if not rules:
        return 0
    try:
        member = await ledger.lock_member(
            connection, grant.tenant_id, grant.member_id, rule_currencies(program)
        )
    except DomainError as error:
        if error.reason in INACTIVE_REASONS:
            return 0  # no bonus for a closed account; the grant itself is auth's business
        raise
    day = ledger.clock.now().astimezone(member.zone).date()
    origin_key = f"grant:{grant.grant_id}"
    usage = await load_usage(
        connection, member.pk, engine_rules.usage_window([day]), exclude_origin=origin_key
    )
    entry = Entry(
        origin_type="partner_connection",
        origin_id=grant.grant_id,
        origin_client_id=grant.client_id,
        reason_code="",  # the rule's id, set by post_rule_change
        actor=f"client:{grant.client_id}",
    )
    earned = 0
    for rule in rules:
        result = engine_rules.evaluate_rule(
            program,
            rule,
            engine_rules.units_of(rule),
            multiplier=multiplier_of(program, member),
            day=day,
            usage=usage,
        )
        if result.points:
            posted = await post_rule_change(
                ledger, connection, program, member, rule.id, result.points, entry
            )
            earned += posted.points_delta
        await store_award(connection, member, origin_key, rule.id, day, result.points)
    return earned
