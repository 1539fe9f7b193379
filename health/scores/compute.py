"""One account's HealthScore fields from its inputs and a scorecard version's definition (pure: no database).

``components`` records, per component of the definition and in its order, the input, the points, the weight
and the effective weight (weight / sum of the weights with data; 0 without data), so the score and every
explanation can be recomputed from the row alone. The feature-category component also records its
``category`` (a scorecard may count several categories).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from health.scores.inputs import AccountInputs
from health.scores.mapping import points
from health.scores.scoring import Part, band, score

CATEGORY_KEY = "category_usage_per_seat"


@dataclass(frozen=True)
class ComputedScore:
    score: float | None
    band: str  # "" without a score
    confidence: float
    components: list[dict]


def input_of(inputs: AccountInputs, component: Mapping) -> float | None:
    """The input a definition's component reads (the feature-category one by its category)."""
    if component["key"] == CATEGORY_KEY:
        return inputs.per_category.get(component.get("category", ""))
    return inputs.values.get(component["key"])


def part_key(component: Mapping) -> str:
    """Unique within a definition: key, plus the category for the feature-category component."""
    return f"{component['key']}:{component['category']}" if component["key"] == CATEGORY_KEY else component["key"]


def categories_of(definition: Mapping) -> set[str]:
    return {c["category"] for c in definition["components"] if c["key"] == CATEGORY_KEY}


def compute(inputs: AccountInputs, definition: Mapping) -> ComputedScore:
    """Score, band, confidence and components of one account under a cleaned definition."""
    rows, parts = [], []
    for component in definition["components"]:
        value = input_of(inputs, component)
        earned = points(component["mapping"], value)
        parts.append(Part(part_key(component), component["weight"], earned))
        row = {"key": component["key"], "input": value, "points": earned, "weight": component["weight"]}
        if component["key"] == CATEGORY_KEY:
            row["category"] = component["category"]
        rows.append(row)
    result = score(parts)
    for row, part in zip(rows, parts, strict=True):
        row["effective_weight"] = result.effective_weights[part.key]
    return ComputedScore(score=result.score, band=band(result.score, definition["bands"]) or "",
                         confidence=result.confidence, components=rows)
