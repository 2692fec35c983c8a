"""The admin area's pure rules: roles from sessions and realm roles, the area table, JSON."""

from __future__ import annotations

import pytest

from marketplace.admin.areas import AREAS, area_of, areas_for, may_change, may_open, parts_for
from marketplace.admin.forms import parse_json_object
from marketplace.auth.service import role_from
from marketplace.shopper import session_role
from marketplace.vocabulary import Role


@pytest.mark.parametrize(
    ("stored", "role"),
    [
        ({"role": "support", "is_admin": False}, Role.SUPPORT),
        ({"role": "admin"}, Role.ADMIN),
        ({"is_admin": True}, Role.ADMIN),  # a session from before roles
        ({"is_admin": False}, Role.SHOPPER),
        ({"role": "overlord", "is_admin": False}, Role.SHOPPER),
        ({}, Role.SHOPPER),
    ],
)
def test_the_session_role(stored, role):
    assert session_role(stored) is role


def test_realm_roles_admin_wins_over_support():
    roles = {"admin": "mp-admin", "support": "mp-support"}
    assert role_from({"mp-admin", "mp-support"}, **roles) is Role.ADMIN
    assert role_from({"mp-support", "offline_access"}, **roles) is Role.SUPPORT
    assert role_from({"offline_access"}, **roles) is Role.SHOPPER


def test_support_opens_only_its_areas_and_only_reads():
    everything = frozenset(area.endpoint for area in AREAS)
    keys = [area.key for area in areas_for(Role.SUPPORT, everything)]

    assert keys == ["dashboard", "orders", "customers", "audit", "analytics", "exports"]
    menu = [a.key for a in AREAS if a.in_menu]
    assert [area.key for area in areas_for(Role.ADMIN, everything)] == menu
    assert areas_for(Role.SHOPPER, everything) == []
    assert may_change(Role.SUPPORT, "GET") and not may_change(Role.SUPPORT, "POST")
    assert may_change(Role.ADMIN, "DELETE")


def test_menus_list_only_areas_that_exist():
    built = frozenset({"admin.index", "admin.audit.index"})

    assert [area.key for area in areas_for(Role.SUPPORT, built)] == ["dashboard", "audit"]


def test_blueprints_map_to_areas_and_unknown_ones_are_for_admins():
    assert area_of("admin").key == "dashboard"
    assert area_of("admin.catalog").key == "catalog"
    assert area_of("admin.audit").key == "audit"
    assert area_of("admin.reports") is None and area_of("catalog") is None
    # A sub-blueprint with an area of its own narrows its parent's roles.
    assert area_of("admin.exports").key == "exports"
    assert area_of("admin.exports.subscriptions").key == "exports.subscriptions"
    assert area_of("admin.exports.unknown").key == "exports"
    assert [a.key for a in parts_for(Role.SUPPORT, "exports")] == [
        "exports.purchases",
        "exports.customers",
    ]
    assert may_open(None, Role.ADMIN) and not may_open(None, Role.SUPPORT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', "line 3, column 3: Expecting ',' delimiter"),
        ('{"a": }', "line 1, column 7: Expecting value"),
        ("[1]", 'Must be a JSON object: { "key": value, … }.'),
        ('"text"', 'Must be a JSON object: { "key": value, … }.'),
    ],
)
def test_json_errors_name_their_position(text, message):
    with pytest.raises(ValueError) as refused:
        parse_json_object(text)
    assert str(refused.value) == message


def test_blank_json_is_an_empty_object():
    assert parse_json_object("  ") == {} and parse_json_object('{"k": [1]}') == {"k": [1]}
