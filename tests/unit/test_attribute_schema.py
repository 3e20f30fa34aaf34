"""Attribute schemas of product categories (pure): what a schema must be to be stored, and what
problems a product's attributes are reported with (ADR 0026)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.demo_catalog import CATEGORIES, PRODUCT_ATTRIBUTES
from oms.domain.attribute_schema import (
    MAX_REFS,
    MAX_SCHEMA_BYTES,
    attribute_problems,
    pointer,
    schema_problems,
)
from oms.domain.categories import Category, require_valid_attributes, require_valid_schema
from oms.domain.errors import ValidationFailed

SOFA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["material", "seats"],
    "properties": {
        "material": {"enum": ["leather", "fabric"]},
        "seats": {"type": "integer", "minimum": 1, "maximum": 8},
        "legs": {"type": "array", "items": {"$ref": "#/$defs/leg"}},
        "~odd/name": {"type": "string"},
    },
    "$defs": {
        "leg": {"type": "object", "required": ["height_cm"], "properties": {"height_cm": {"type": "number"}}}
    },
}


def where(problems: list[dict[str, Any]]) -> list[str]:
    return [p["path"] for p in problems]


def test_json_pointers_escape_tilde_and_slash():
    assert pointer([]) == ""
    assert pointer(["a", 0, "b/c", "d~e"]) == "/a/0/b~1c/d~0e"


def test_a_good_schema_has_no_problem_and_its_attributes_are_checked_with_pointers():
    assert schema_problems(SOFA) == []
    assert attribute_problems(SOFA, {"material": "fabric", "seats": 3, "legs": [{"height_cm": 12}]}) == []
    problems = attribute_problems(
        SOFA,
        {"material": "wood", "seats": 0, "legs": [{"height_cm": 1}, {}], "colour": "red", "~odd/name": 5},
    )
    assert [(p["path"], p["type"]) for p in problems] == [
        ("/colour", "additionalProperties"),
        ("/legs/1/height_cm", "required"),
        ("/material", "enum"),
        ("/seats", "minimum"),
        ("/~0odd~1name", "type"),
    ]
    assert problems[0]["loc"] == ["body", "attributes", "colour"]
    assert problems[1]["loc"] == ["body", "attributes", "legs", "1", "height_cm"]


def test_each_missing_property_is_its_own_problem():
    problems = attribute_problems(SOFA, {})
    assert where(problems) == ["/material", "/seats"]
    assert {p["type"] for p in problems} == {"required"}


def test_formats_asserted_are_the_same_everywhere():
    schema = {
        "properties": {"day": {"format": "date"}, "mail": {"format": "email"}, "at": {"format": "date-time"}}
    }
    problems = attribute_problems(schema, {"day": "2026-02-30", "mail": "nobody", "at": "whenever"})
    assert where(problems) == ["/day", "/mail"]  # date-time is not asserted (it needs an optional package)


@pytest.mark.parametrize(
    ("schema", "path", "kind"),
    [
        ({"type": "objekt"}, "/type", "anyOf"),
        ({"required": "a"}, "/required", "type"),
        ({"properties": {"a": {"pattern": "[z-a]"}}}, "/properties/a/pattern", "format"),
        ({"$schema": "http://json-schema.org/draft-04/schema#"}, "/$schema", "$schema"),
        ({"type": ["string", "number"]}, "/type", "type"),
        ({"$id": "https://example.com/a"}, "/$id", "$id"),
        ({"$defs": {"a": {"$dynamicRef": "#meta"}}}, "/$defs/a/$dynamicRef", "$dynamicRef"),
        ({"properties": {"a": {"$ref": "http://169.254.169.254/latest"}}}, "/properties/a/$ref", "$ref"),
        ({"properties": {"a": {"$ref": "defs.json"}}}, "/properties/a/$ref", "$ref"),
        ({"properties": {"a": {"$ref": "#/$defs/gone"}}}, "/properties/a/$ref", "$ref"),
        ({"properties": {"a": {"pattern": "^(\\w+\\s?)*$"}}}, "/properties/a/pattern", "pattern"),
        ({"patternProperties": {"^(a|b+)+$": {}}}, "/patternProperties/^(a|b+)+$", "pattern"),
    ],
)
def test_a_schema_problem_points_at_its_place(schema, path, kind):
    problems = schema_problems(schema)
    assert (path, kind) in [(p["path"], p["type"]) for p in problems], problems


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#"},
        {"allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"anyOf": [{"$ref": "#"}]}}},
        {
            "properties": {"x": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"not": {"$ref": "#/$defs/b"}}, "b": {"$ref": "#/$defs/a"}},
        },
        {
            "$defs": {"a": {"dependentSchemas": {"k": {"$ref": "#/$defs/a"}}}},
            "properties": {"k": {"$ref": "#/$defs/a"}},
        },
    ],
)
def test_a_reference_circle_that_never_descends_is_refused(schema):
    problems = schema_problems(schema)
    assert [p["type"] for p in problems] == ["$ref"] and "refers back to itself" in problems[0]["msg"]


def test_recursion_through_a_value_is_fine():
    tree = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
    }
    assert schema_problems(tree) == []
    assert where(attribute_problems(tree, {"children": [{"children": [{"name": 1}]}]})) == [
        "/children/0/children/0/name"
    ]


@pytest.mark.parametrize(
    "expression",
    ["^[A-Z]{3}-\\d+$", "^([a-z0-9]+-)*[a-z0-9]+$", "^(\\d{3})+$", "^(ab)?c*$", "^[^@]+@[^@]+$"],
)
def test_ordinary_patterns_pass(expression):
    assert schema_problems({"properties": {"a": {"pattern": expression}}}) == []


def test_size_and_reference_count_are_capped():
    big = {"description": "x" * MAX_SCHEMA_BYTES}
    assert [p["type"] for p in schema_problems(big)] == ["size"]
    many = {
        "$defs": {"s": {"type": "string"}},
        "properties": {f"p{i}": {"$ref": "#/$defs/s"} for i in range(MAX_REFS + 1)},
    }
    assert [p["type"] for p in schema_problems(many)] == ["$ref"]
    assert schema_problems({**many, "properties": dict(list(many["properties"].items())[:MAX_REFS])}) == []


def test_not_an_object_is_refused():
    assert schema_problems(True)[0]["type"] == "type"
    assert schema_problems([])[0]["path"] == ""


def test_nothing_is_fetched_even_from_a_stored_schema_that_refers_outside(monkeypatch):
    """A stored schema is checked when written; were one to refer outside anyway, validating
    with it reports a problem and opens no connection."""

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    outside = {"properties": {"a": {"$ref": "https://example.com/schema.json"}}}
    problems = attribute_problems(outside, {"a": 1})
    assert [p["type"] for p in problems] == ["schema"]
    assert attribute_problems({"$ref": "#"}, {}) == [
        {
            "path": "",
            "loc": ["body", "attributes"],
            "msg": "the category's attribute schema cannot be evaluated",
            "type": "schema",
        }
    ]


def test_domain_errors_carry_the_codes_the_api_answers_with():
    with pytest.raises(ValidationFailed) as schema_error:
        require_valid_schema({"type": "objekt"})
    assert schema_error.value.code == "invalid_attribute_schema" and schema_error.value.status == 422
    require_valid_schema(None)
    category = Category(tenant_id="t", name="Sofas", attribute_schema=SOFA, created_at="x", updated_at="x")
    with pytest.raises(ValidationFailed) as attributes_error:
        require_valid_attributes(category, {"seats": 2})
    assert attributes_error.value.code == "invalid_attributes"
    assert where(attributes_error.value.details) == ["/material"]
    free = category.model_copy(update={"attribute_schema": None})
    require_valid_attributes(free, {"anything": ["goes"]})


def test_the_demo_schemas_are_acceptable_and_every_demo_product_meets_its_category():
    from oms.demo import PRODUCTS

    schemas = {name: schema for name, _, schema in CATEGORIES}
    for name, schema in schemas.items():
        assert schema_problems(schema) == [], name
    assert {"Furniture", "Electronics"} <= set(schemas)
    for sku, _, _, category in PRODUCTS:
        assert category in schemas, sku
        assert attribute_problems(schemas[category], PRODUCT_ATTRIBUTES[sku]) == [], sku
    sofa = {
        "material": "oak",
        "assembly_required": True,
        "dimensions_cm": {"length": 200, "width": 90, "height": 80},
    }
    assert attribute_problems(schemas["Furniture"], sofa) == []
    assert where(attribute_problems(schemas["Furniture"], {**sofa, "voltage": 230})) == ["/voltage"]
    assert where(attribute_problems(schemas["Electronics"], sofa)) == [
        "/assembly_required",
        "/dimensions_cm",
        "/material",
        "/voltage",
        "/warranty_months",
    ]


# ------------------------------------------------------------------ any schema a client may send
_KEYWORDS = [
    "type", "properties", "items", "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "enum",
    "const", "required", "additionalProperties", "patternProperties", "pattern", "minimum", "$defs",
    "dependentSchemas", "prefixItems", "contains", "format", "unevaluatedProperties", "propertyNames",
]  # fmt: skip
_REFS = [
    "#",
    "#/",
    "#/$defs/a",
    "#/properties/x",
    "#/items",
    "#/allOf/0",
    "#/enum/0",
    "#/required/0",
    "#/x/y",
]
_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.sampled_from(["string", "object", "integer", "array", "x", "a+", "(a+)+", "date", "email", *_REFS]),
)
_NAMES = st.sampled_from(["a", "b", "x"])
_SCHEMAS = st.dictionaries(
    st.sampled_from([*_KEYWORDS, "x"]),
    st.recursive(
        _LEAF,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.one_of(st.sampled_from(_KEYWORDS), _NAMES), inner, max_size=4),
        ),
        max_leaves=12,
    ),
    max_size=5,
)
_VALUES = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_NAMES, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(_SCHEMAS, st.dictionaries(_NAMES, _VALUES, max_size=3))
def test_any_schema_is_judged_and_an_accepted_one_always_evaluates(schema, attributes):
    problems = schema_problems(schema)  # never raises, whatever it is sent
    assert all(set(p) == {"path", "loc", "msg", "type"} for p in problems)
    if not problems:
        assert "schema" not in [p["type"] for p in attribute_problems(schema, attributes)]
