"""A scorecard version's definition: which components, their weights and mappings, and the bands. A bounded
JSON document validated here before it is stored (a :class:`DefinitionError` names the field), so every score
row can be recomputed from the version it records.

``{"components": [{"key": "license_utilization", "weight": 20, "mapping": {...}, "category": ""}, ...],
"bands": {"red": 0, "yellow": 40, "green": 70}}``: weights are relative (they need not add up to 100: the
score divides by the weights that had data); ``category`` only for ``category_usage_per_seat`` (the feature
category of the usage catalog it counts); bands are names with lower edges, one of them 0.
"""

from __future__ import annotations

import math
import re
from typing import Any

from health.scores.components import COMPONENTS
from health.scores.mapping import MappingError, clean_mapping

MAX_WEIGHT = 1000
MAX_BANDS = 6
BAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
DEFAULT_BANDS = {"red": 0.0, "yellow": 40.0, "green": 70.0}


class DefinitionError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _clean_component(item: Any, i: int) -> dict:
    where = f"components[{i}]"
    if not isinstance(item, dict):
        raise DefinitionError("a component", where)
    key = item.get("key")
    if key not in COMPONENTS:
        raise DefinitionError(f"key is one of {', '.join(COMPONENTS)}", f"{where}.key")
    weight = item.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
            or not 0 < weight <= MAX_WEIGHT:
        raise DefinitionError(f"a weight above 0 and at most {MAX_WEIGHT}", f"{where}.weight")
    try:
        mapping = clean_mapping(item.get("mapping", COMPONENTS[key].default_mapping), f"{where}.mapping")
    except MappingError as error:
        raise DefinitionError(str(error), error.field) from None
    category = item.get("category", "") or ""
    if key == "category_usage_per_seat":
        if not isinstance(category, str) or not category.strip() or len(category) > 100:
            raise DefinitionError("the feature category to count (1 to 100 characters)", f"{where}.category")
    elif category:
        raise DefinitionError("only the feature-category component takes a category", f"{where}.category")
    return {"key": key, "weight": float(weight), "mapping": mapping, "category": category.strip()}


def clean_definition(definition: Any) -> dict:
    """The definition as stored, or a DefinitionError naming the field."""
    if not isinstance(definition, dict):
        raise DefinitionError("a definition with components and bands", "definition")
    items = definition.get("components")
    if not isinstance(items, list) or not 1 <= len(items) <= len(COMPONENTS) + 5:
        raise DefinitionError(f"1 to {len(COMPONENTS) + 5} components", "components")
    components = [_clean_component(item, i) for i, item in enumerate(items)]
    seen = [(c["key"], c["category"]) for c in components]
    for i, pair in enumerate(seen):
        if pair in seen[:i]:
            raise DefinitionError("this component is in the scorecard twice", f"components[{i}].key")
    bands = definition.get("bands", DEFAULT_BANDS)
    if not isinstance(bands, dict) or not 2 <= len(bands) <= MAX_BANDS:
        raise DefinitionError(f"2 to {MAX_BANDS} bands with their lower edges", "bands")
    clean_bands: dict[str, float] = {}
    for name, edge in bands.items():
        if not isinstance(name, str) or not BAND_NAME.match(name):
            raise DefinitionError("band names are lowercase words", "bands")
        if isinstance(edge, bool) or not isinstance(edge, (int, float)) or not 0 <= edge < 100:
            raise DefinitionError("a lower edge from 0 to below 100", f"bands.{name}")
        clean_bands[name] = float(edge)
    edges = sorted(clean_bands.values())
    if edges[0] != 0 or len(set(edges)) != len(edges):
        raise DefinitionError("one band starts at 0 and no two bands share an edge", "bands")
    return {"components": components, "bands": dict(sorted(clean_bands.items(), key=lambda kv: kv[1]))}


def default_definition() -> dict:
    """What a tenant's default scorecard starts with: the components with a default weight."""
    return clean_definition({"components": [
        {"key": c.key, "weight": c.default_weight, "mapping": c.default_mapping}
        for c in COMPONENTS.values() if c.default_weight], "bands": DEFAULT_BANDS})
