"""How a component maps its input to 0-100 points (METRICS.md "Health": thresholds or a bounded linear ramp,
direction included). Pure: no database, unit-tested at every edge.

A mapping is stored as a small JSON document on the scorecard version and validated here
(:func:`clean_mapping`), so a version's scores can be recomputed from it alone:

- ``{"kind": "ramp", "low": 0.2, "high": 0.8, "direction": "higher"}``: 0 points at or below ``low``, 100 at
  or above ``high``, linear between; ``"direction": "lower"`` mirrors it (0 points at or above ``high``, 100 at
  or below ``low``: for inputs where less is better, such as tickets per seat).
- ``{"kind": "thresholds", "steps": [[0.2, 30], [0.5, 70], [0.8, 100]], "otherwise": 0, "direction": "higher"}``:
  the points of the highest step whose edge the input reaches (``input >= edge``), ``otherwise`` under the
  first edge; with ``"direction": "lower"`` the points of the lowest step whose edge the input does not exceed
  (``input <= edge``), ``otherwise`` above the last one. Edges strictly increasing.

An input of ``None`` (no data for that account that day) maps to ``None``: the component is left out and its
weight redistributed (:mod:`health.scores.scoring`).
"""

from __future__ import annotations

import math
from typing import Any

DIRECTIONS = ("higher", "lower")  # which way is better
MAX_STEPS = 20
MAX_ABS_EDGE = 1e12


class MappingError(ValueError):
    """A mapping that cannot be stored; ``field`` names the part that is wrong."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > MAX_ABS_EDGE:
        raise MappingError(f"a finite number of at most {MAX_ABS_EDGE:g} in size", field)
    return float(value)


def _points(value: Any, field: str) -> float:
    number = _number(value, field)
    if not 0 <= number <= 100:
        raise MappingError("points from 0 to 100", field)
    return number


def clean_mapping(mapping: Any, where: str = "mapping") -> dict:
    """The mapping as stored, or a :class:`MappingError` naming the field (``where`` prefixes it)."""
    if not isinstance(mapping, dict):
        raise MappingError("a ramp or thresholds mapping", where)
    direction = mapping.get("direction", "higher")
    if direction not in DIRECTIONS:
        raise MappingError("direction is higher or lower (which way is better)", f"{where}.direction")
    kind = mapping.get("kind")
    if kind == "ramp":
        low, high = _number(mapping.get("low"), f"{where}.low"), _number(mapping.get("high"), f"{where}.high")
        if not low < high:
            raise MappingError("low must be below high", f"{where}.high")
        return {"kind": "ramp", "low": low, "high": high, "direction": direction}
    if kind == "thresholds":
        steps = mapping.get("steps")
        if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
            raise MappingError(f"1 to {MAX_STEPS} [edge, points] steps", f"{where}.steps")
        clean = []
        for i, step in enumerate(steps):
            if not isinstance(step, (list, tuple)) or len(step) != 2:
                raise MappingError("an [edge, points] pair", f"{where}.steps[{i}]")
            clean.append([_number(step[0], f"{where}.steps[{i}][0]"), _points(step[1], f"{where}.steps[{i}][1]")])
        if any(b[0] <= a[0] for a, b in zip(clean, clean[1:], strict=False)):
            raise MappingError("edges strictly increasing", f"{where}.steps")
        otherwise = _points(mapping.get("otherwise", 0), f"{where}.otherwise")
        return {"kind": "thresholds", "steps": clean, "otherwise": otherwise, "direction": direction}
    raise MappingError("kind is ramp or thresholds", f"{where}.kind")


def points(mapping: dict, value: float | None) -> float | None:
    """The 0-100 points of ``value`` under a cleaned ``mapping``; None for no data."""
    if value is None:
        return None
    if mapping["kind"] == "ramp":
        low, high = mapping["low"], mapping["high"]
        fraction = min(max((value - low) / (high - low), 0.0), 1.0)
        return 100.0 * (fraction if mapping["direction"] == "higher" else 1.0 - fraction)
    steps = mapping["steps"]
    if mapping["direction"] == "higher":
        reached = [p for edge, p in steps if value >= edge]
        return reached[-1] if reached else mapping["otherwise"]
    within = [p for edge, p in steps if value <= edge]
    return within[0] if within else mapping["otherwise"]
