"""The LedgerService servicer: the area mixins over the generated base class.

An RPC no mixin defines falls through to the generated base, which answers UNIMPLEMENTED.
"""

from __future__ import annotations

from loyalty.v1 import ledger_pb2, ledger_pb2_grpc
from loyalty_server.ledger.rpc.balances import BalanceRpcs
from loyalty_server.ledger.rpc.bulk import BulkRpcs
from loyalty_server.ledger.rpc.corrections import CorrectionRpcs
from loyalty_server.ledger.rpc.holds import HoldRpcs
from loyalty_server.ledger.rpc.members import MemberRpcs
from loyalty_server.ledger.rpc.program import ProgramRpcs
from loyalty_server.ledger.rpc.rewards import RewardRpcs
from loyalty_server.ledger.rpc.tiers import TierRpcs
from loyalty_server.request_text import check_request_strings


@check_request_strings(ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"])
class LedgerServicer(
    MemberRpcs,
    BalanceRpcs,
    HoldRpcs,
    RewardRpcs,
    TierRpcs,
    CorrectionRpcs,
    BulkRpcs,
    ProgramRpcs,
    ledger_pb2_grpc.LedgerServiceServicer,
):
    pass
