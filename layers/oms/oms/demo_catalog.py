"""The demo's product categories, with real attribute schemas, and the attributes of its 8 SKUs.

Furniture and Electronics are the white-label seed's example of attributes that differ by category
("JSONB for flexible Product Attributes (Furniture vs Electronics)"); the other five are the
categories of the KubeRiva seed's SKUs (oms.demo.PRODUCTS), so every demo product is valid.
"""

from __future__ import annotations

from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_DIMENSIONS: dict[str, Any] = {
    "type": "object",
    "description": "outside dimensions in centimetres",
    "required": ["length", "width", "height"],
    "additionalProperties": False,
    "properties": {
        side: {"type": "number", "exclusiveMinimum": 0, "maximum": 10_000}
        for side in ("length", "width", "height")
    },
}
_WARRANTY: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 120, "description": "months"}
_COLOR: dict[str, Any] = {
    "type": "string",
    "enum": ["black", "white", "silver", "red", "blue", "green", "oak"],
}


def _schema(required: list[str], properties: dict[str, Any], *, dimensions: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    if dimensions:
        schema["$defs"] = {"dimensions": _DIMENSIONS}
        schema["properties"] = {**properties, "dimensions_cm": {"$ref": "#/$defs/dimensions"}}
    return schema


# name, description, attribute schema
CATEGORIES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "Furniture",
        "Tables, chairs and storage: material, size, load and assembly",
        _schema(
            ["material", "dimensions_cm", "assembly_required"],
            {
                "material": {"type": "string", "enum": ["oak", "pine", "walnut", "steel", "glass", "fabric"]},
                "color": _COLOR,
                "max_load_kg": {"type": "number", "exclusiveMinimum": 0, "maximum": 2000},
                "assembly_required": {"type": "boolean"},
            },
            dimensions=True,
        ),
    ),
    (
        "Electronics",
        "Mains-powered devices: voltage, power, warranty and connectivity",
        _schema(
            ["voltage", "warranty_months"],
            {
                "voltage": {"type": "integer", "enum": [100, 110, 120, 220, 230, 240]},
                "wattage": {"type": "number", "exclusiveMinimum": 0, "maximum": 10_000},
                "warranty_months": _WARRANTY,
                "connectivity": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"enum": ["wifi", "bluetooth", "ethernet", "usb-c", "zigbee"]},
                },
            },
        ),
    ),
    (
        "Widgets",
        "General-purpose widgets",
        _schema(
            ["color", "material"],
            {
                "color": _COLOR,
                "material": {"type": "string", "enum": ["aluminium", "steel", "plastic", "wood"]},
            },
            dimensions=True,
        ),
    ),
    (
        "Gadgets",
        "Battery-powered gadgets",
        _schema(
            ["connectivity", "warranty_months"],
            {
                "battery_life_hours": {"type": "number", "minimum": 0, "maximum": 1000},
                "connectivity": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": ["wifi", "bluetooth", "usb-c", "nfc"]},
                },
                "warranty_months": _WARRANTY,
            },
        ),
    ),
    (
        "Gizmos",
        "Small gizmos, sold singly or in packs",
        _schema(
            ["pack_size"],
            {
                "color": _COLOR,
                "pack_size": {"type": "integer", "minimum": 1, "maximum": 100},
                "finish": {"type": "string", "enum": ["standard", "deluxe"]},
            },
        ),
    ),
    (
        "Tools",
        "Power tools",
        _schema(
            ["power_source", "voltage"],
            {
                "power_source": {"type": "string", "enum": ["corded", "cordless"]},
                "voltage": {"type": "integer", "enum": [12, 18, 20, 36, 120, 230]},
                "warranty_months": _WARRANTY,
            },
        ),
    ),
    (
        "Accessories",
        "Add-ons for other products (by SKU)",
        _schema(
            ["compatible_skus"],
            {
                "compatible_skus": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "uniqueItems": True,
                    "items": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                }
            },
        ),
    ),
)

PRODUCT_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "SKU-WIDGET-A": {
        "color": "silver",
        "material": "aluminium",
        "dimensions_cm": {"length": 12, "width": 8, "height": 3},
    },
    "SKU-WIDGET-B": {"color": "black", "material": "plastic"},
    "SKU-GADGET-X": {
        "battery_life_hours": 24,
        "connectivity": ["bluetooth", "wifi", "usb-c"],
        "warranty_months": 24,
    },
    "SKU-GADGET-Y": {"battery_life_hours": 10, "connectivity": ["bluetooth"], "warranty_months": 12},
    "SKU-GIZMO-1": {"color": "red", "pack_size": 1, "finish": "standard"},
    "SKU-GIZMO-2": {"color": "blue", "pack_size": 3, "finish": "deluxe"},
    "SKU-TOOL-Z": {"power_source": "cordless", "voltage": 20, "warranty_months": 36},
    "SKU-ACCESSORY-1": {"compatible_skus": ["SKU-GADGET-X", "SKU-GADGET-Y", "SKU-TOOL-Z"]},
}
