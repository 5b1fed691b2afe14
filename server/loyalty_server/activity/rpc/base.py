"""What every ActivityService handler shares: the ledger helpers of LedgerRpcBase (tenant from the
credentials, member access checks, the actor's name) plus the activity domain's objects."""

from __future__ import annotations

from loyalty_server.activity.intake import ActivityIntake
from loyalty_server.auth.setup import token_issuer
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.runtime.context import AppContext


class ActivityRpcBase(LedgerRpcBase):
    def __init__(self, app: AppContext, ledger: Ledger) -> None:
        super().__init__(app, ledger)
        self.intake = ActivityIntake(ledger)
        self.token_issuer = token_issuer(app.settings, app.keys)  # verifies entries' member tokens
