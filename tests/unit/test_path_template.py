"""google.api.http path templates (gateway rest/path_template.py): parsing, matching on the raw path,
variables decoded after matching, verbs, and the order the bindings are tried in."""

from __future__ import annotations

import pytest

from loyalty_gateway.rest.http_rules import http_bindings
from loyalty_gateway.rest.path_template import TEMPLATE_LENGTH_MAX, TemplateError, parse


def test_a_plain_variable_matches_one_segment() -> None:
    template = parse("/v1/members/{member_id}")
    assert template.variables == ("member_id",)
    assert template.verb == ""
    assert template.match("/v1/members/m_1") == {"member_id": "m_1"}
    for path in (
        "/v1/members/",
        "/v1/members",
        "/v1/members/m_1/balance",
        "/v2/members/m_1",
        "v1/members/m_1",
    ):
        assert template.match(path) is None, path


def test_literals_only() -> None:
    template = parse("/v1/members")
    assert template.variables == ()
    assert template.match("/v1/members") == {}
    assert template.match("/v1/members/") is None
    assert template.match("/v1/membersX") is None
    well_known = parse("/.well-known/jwks.json")
    assert well_known.match("/.well-known/jwks.json") == {}
    assert well_known.match("/.well-known/jwksXjson") is None  # the dot is literal, not a regex


def test_several_and_nested_variables() -> None:
    template = parse("/v1/webhookEndpoints/{endpoint_id}/deliveries/{delivery_id}")
    assert template.variables == ("endpoint_id", "delivery_id")
    assert template.match("/v1/webhookEndpoints/we_1/deliveries/d_2") == {
        "endpoint_id": "we_1",
        "delivery_id": "d_2",
    }
    nested = parse("/v1/members/{member.member_id}/holds")
    assert nested.variables == ("member.member_id",)
    assert nested.match("/v1/members/m_1/holds") == {"member.member_id": "m_1"}


def test_a_custom_verb() -> None:
    template = parse("/v1/members/{member_id}:deactivate")
    assert template.verb == "deactivate"
    assert template.variables == ("member_id",)
    assert template.match("/v1/members/m_1:deactivate") == {"member_id": "m_1"}
    assert template.match("/v1/members/m_1") is None
    assert template.match("/v1/members/m_1:deactivateX") is None
    assert template.match("/v1/members/m_1:watch") is None
    literal_verb = parse("/v1/members:lookup")
    assert (literal_verb.verb, literal_verb.variables) == ("lookup", ())
    assert literal_verb.match("/v1/members:lookup") == {}
    assert literal_verb.match("/v1/members") is None


def test_a_variable_alone_also_takes_a_verb_so_verb_routes_go_first() -> None:
    """`{member_id}` is any one segment, colon included: only the order keeps :watch its own route."""
    assert parse("/v1/members/{member_id}").match("/v1/members/m_1:watch") == {"member_id": "m_1:watch"}
    order = [binding.template.text for binding in http_bindings()]
    assert order.index("/v1/members/{member_id}:watch") < order.index("/v1/members/{member_id}")
    assert order.index("/v1/members/{member_id}:deactivate") < order.index("/v1/members/{member_id}")
    assert order.index("/v1/members:lookup") < order.index("/v1/members")
    verbs = [bool(binding.template.verb) for binding in http_bindings()]
    assert verbs == sorted(verbs, reverse=True)  # every verb template before every plain one


def test_captured_values_are_percent_decoded_after_matching() -> None:
    template = parse("/v1/members/{member_id}")
    assert template.match("/v1/members/m%5F1") == {"member_id": "m_1"}
    assert template.match("/v1/members/a%2Fb") == {"member_id": "a/b"}  # one segment, then decoded
    assert template.match("/v1/members/a%20b") == {"member_id": "a b"}
    assert template.match("/v1/members/a+b") == {"member_id": "a+b"}  # a path is no form: + stays
    assert template.match("/v1/members/%E2%82%AC") == {"member_id": "\u20ac"}
    assert template.match("/v1/members/a/b") is None
    verb = parse("/v1/members/{member_id}:watch")
    assert verb.match("/v1/members/a%3Awatch") is None  # an encoded ":" is not the verb separator
    assert verb.match("/v1/members/a%3Ab:watch") == {"member_id": "a:b"}


def test_wildcards_and_variable_patterns() -> None:
    one = parse("/v1/{name=shelves/*}")
    assert one.variables == ("name",)
    assert one.match("/v1/shelves/s1") == {"name": "shelves/s1"}
    assert one.match("/v1/shelves/s1/books") is None
    assert one.match("/v1/racks/s1") is None
    many = parse("/v1/{name=shelves/**}:list")
    assert many.match("/v1/shelves/s1/books/b2:list") == {"name": "shelves/s1/books/b2"}
    assert many.match("/v1/shelves/s1/books/b2") is None
    anonymous = parse("/v1/*/books/{book}")
    assert anonymous.variables == ("book",)
    assert anonymous.match("/v1/s1/books/b1") == {"book": "b1"}
    assert anonymous.match("/v1/books/b1") is None
    rest = parse("/files/**")
    assert rest.match("/files/a/b/c") == {}
    assert rest.match("/files/") is None


def test_literal_length_orders_the_more_specific_first() -> None:
    assert parse("/v1/members").literal_length == len("v1") + len("members")
    assert parse("/v1/*/x").literal_length == len("v1") + len("x")  # wildcards count nothing
    assert parse("/v1/members:lookup").literal_length == len("v1members") + len("lookup")
    assert (
        parse("/v1/members/{member_id}/tier").literal_length > parse("/v1/members/{member_id}").literal_length
    )


def test_the_openapi_form_keeps_only_the_variable_names() -> None:
    assert parse("/v1/members/{member_id}:watch").openapi_path == "/v1/members/{member_id}:watch"
    assert parse("/v1/{name=shelves/*}/books").openapi_path == "/v1/{name}/books"
    assert parse("/v1/members/{member.member_id}").openapi_path == "/v1/members/{member.member_id}"


@pytest.mark.parametrize(
    "text",
    [
        "v1/members",  # no leading /
        "",
        "/" + "a" * TEMPLATE_LENGTH_MAX,  # too long
        "/v1//members",  # empty segment
        "/v1/members/",  # empty last segment
        "/v1/{member_id",  # unbalanced
        "/v1/member_id}",
        "/v1/{a/{b}}",  # nested braces
        "/v1/{Member}",  # not a field path
        "/v1/{member-id}",
        "/v1/{member..id}",
        "/v1/{}",
        "/v1/mem bers",  # not a literal
        "/v1/members?x=1",
        "/v1/members:do it",  # a bad verb
        "/v1/{name=shelves/a b}",
    ],
)
def test_bad_templates_are_refused(text) -> None:
    with pytest.raises(TemplateError):
        parse(text)


def test_every_annotated_template_parses_and_matches_its_own_example() -> None:
    """Each binding's template matches a path built from it, and names its variables back."""
    for binding in http_bindings():
        template = binding.template
        path = template.text
        for index, variable in enumerate(template.variables):
            path = path.replace("{" + variable + "}", f"v{index}")
        assert template.match(path) == {
            variable: f"v{index}" for index, variable in enumerate(template.variables)
        }, template.text
