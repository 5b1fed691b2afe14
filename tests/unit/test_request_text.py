"""The checks every request's strings get before a servicer sees them (loyalty_server/request_text.py):
no NUL anywhere, found with its path, and no top-level id over ID_LENGTH_MAX."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.v1 import activity_pb2, common_pb2, ledger_pb2
from loyalty_server.errors import DomainError
from loyalty_server.request_text import ID_LENGTH_MAX, check_request_text, long_id_field, nul_field


def _batch(*ids: str) -> activity_pb2.PostActivitiesRequest:
    data = [activity_pb2.ActivityData(id=activity_id) for activity_id in ids]
    return activity_pb2.PostActivitiesRequest(creates=[activity_pb2.ActivityEntry(data=data)])


@pytest.mark.parametrize(
    ("message", "path"),
    [
        (_batch("a", "b\x00"), "creates[0].data[1].id"),
        (
            ledger_pb2.EnrollMemberRequest(member=common_pb2.Member(attributes={"k": "v\x00"})),
            "member.attributes['k']",
        ),
        (
            ledger_pb2.EnrollMemberRequest(member=common_pb2.Member(attributes={"k\x00": "v"})),
            "member.attributes['k\\x00']",
        ),
        (activity_pb2.RecordPurchaseRequest(coupon_codes=["ok", "\x00"]), "coupon_codes[1]"),
        (
            activity_pb2.RecordPurchaseRequest(member=common_pb2.MemberRef(loyalty_id="\x00")),
            "member.loyalty_id",
        ),
    ],
)
def test_a_nul_is_found_with_its_path(message: object, path: str) -> None:
    assert nul_field(message) == path  # type: ignore[arg-type]
    with pytest.raises(DomainError) as raised:
        check_request_text(message)  # type: ignore[arg-type]
    assert raised.value.reason == "INVALID_CHARACTER"
    assert [violation.field for violation in raised.value.field_violations] == [path]


def test_strings_without_nul_and_other_fields_pass() -> None:
    message = _batch("a", "é𝔘 ")
    message.creates[0].data[0].value.total_steps.steps = 0
    assert nul_field(message) is None
    check_request_text(message)


def test_a_top_level_id_is_at_most_id_length_max() -> None:
    at_maximum = ledger_pb2.GetHoldRequest(hold_id="h" * ID_LENGTH_MAX)
    assert long_id_field(at_maximum) is None
    over = ledger_pb2.GetHoldRequest(hold_id="h" * (ID_LENGTH_MAX + 1))
    assert long_id_field(over) == "hold_id"
    with pytest.raises(DomainError) as raised:
        check_request_text(over)
    assert raised.value.reason == "FIELD_TOO_LONG"


def test_nested_ids_and_request_ids_keep_their_own_checks() -> None:
    """Activity ids in a batch fail one activity (the seed's 1081), not the call; request_id has its
    own reason, REQUEST_ID_INVALID."""
    assert long_id_field(_batch("i" * (ID_LENGTH_MAX + 1))) is None
    assert long_id_field(activity_pb2.PostActivitiesRequest(request_id="r" * 1000)) is None


def test_zero_bytes_of_numbers_are_not_a_nul() -> None:
    message = _batch("a")
    message.creates[0].data[0].value.weight.weight_pounds = 1.0  # a double: 00 00 00 00 00 00 f0 3f
    assert b"\x00" in message.SerializeToString()
    check_request_text(message)


@given(st.lists(st.text(max_size=8), min_size=1, max_size=5), st.floats(allow_nan=False))
def test_refused_exactly_when_a_string_holds_a_nul(ids: list[str], weight: float) -> None:
    message = _batch(*ids)
    message.creates[0].data[0].value.weight.weight_pounds = weight
    if any("\x00" in activity_id for activity_id in ids):
        with pytest.raises(DomainError):
            check_request_text(message)
    else:
        check_request_text(message)
