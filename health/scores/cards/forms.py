"""The scorecard form: name, the stages and tiers it applies to, its priority, one row per component (weight,
mapping: a bounded ramp or thresholds, and the direction that is better) and the band edges.

The form only parses text into a ``ScorecardData``; the rules live in health.scores.services
(``clean_scorecard_data`` / ``save_scorecard``, which call ``definitions.clean_definition``), and their
errors come back here on the field they name (``components[2].mapping.low`` -> that row's "low" input).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from health.scores.components import COMPONENTS
from health.scores.definitions import DEFAULT_BANDS, MAX_WEIGHT
from health.scores.mapping import MAX_ABS_EDGE, MAX_STEPS
from health.scores.models import MAX_NAME, Scorecard
from health.scores.services import MAX_MATCH_VALUES, ScorecardData

CATEGORY_KEY = "category_usage_per_seat"
PARTS = ("weight", "kind", "direction", "low", "high", "steps", "otherwise", "category")
_ERROR_FIELD = re.compile(r"^components\[(\d+)\](?:\.mapping)?(?:\.(\w+))?")
MAX_LIST_TEXT = MAX_MATCH_VALUES * 66


def _number(**kwargs: Any) -> forms.FloatField:
    return forms.FloatField(required=False, min_value=-MAX_ABS_EDGE, max_value=MAX_ABS_EDGE, **kwargs)


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _pairs(text: str) -> list[list[float]]:
    """``"0.2:30, 0.5:70"`` -> ``[[0.2, 30.0], [0.5, 70.0]]``; a ValidationError naming the bad pair."""
    pairs = []
    for item in _split(text)[:MAX_STEPS + 1]:
        edge, sep, points = item.partition(":")
        try:
            pairs.append([float(edge), float(points)])
        except ValueError:
            raise forms.ValidationError(f"“{item}” is not edge:points (for example 0.5:70)") from None
        if not sep:
            raise forms.ValidationError(f"“{item}” is not edge:points (for example 0.5:70)")
    return pairs


class ScorecardForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME)
    lifecycle_stages = forms.CharField(required=False, max_length=MAX_LIST_TEXT,
                                       help_text="Comma-separated; empty = any stage.")
    tiers = forms.CharField(required=False, max_length=MAX_LIST_TEXT, help_text="Comma-separated; empty = any tier.")
    priority = forms.IntegerField(min_value=0, max_value=1000, initial=100,
                                  help_text="Lower first when several scorecards match.")
    bands = forms.CharField(max_length=300, initial="red:0, yellow:40, green:70",
                            help_text="Band names with their lower edges (one at 0), e.g. red:0, yellow:40, green:70.")

    def __init__(self, *args: Any, scorecard: Scorecard | None = None, **kwargs: Any) -> None:
        self.scorecard = scorecard
        super().__init__(*args, **kwargs)
        self.included: list[str] = []
        for key, component in COMPONENTS.items():
            self.fields[f"{key}__weight"] = forms.FloatField(
                required=False, min_value=0, max_value=MAX_WEIGHT, label=component.label,
                help_text=component.definition)
            self.fields[f"{key}__kind"] = forms.ChoiceField(choices=[("ramp", "ramp"), ("thresholds", "thresholds")])
            self.fields[f"{key}__direction"] = forms.ChoiceField(
                choices=[("higher", "higher is better"), ("lower", "lower is better")])
            self.fields[f"{key}__low"] = _number()
            self.fields[f"{key}__high"] = _number()
            self.fields[f"{key}__steps"] = forms.CharField(required=False, max_length=MAX_STEPS * 40)
            self.fields[f"{key}__otherwise"] = forms.FloatField(required=False, min_value=0, max_value=100)
            if key == CATEGORY_KEY:
                self.fields[f"{key}__category"] = forms.CharField(required=False, max_length=100)
        if scorecard is not None and not self.is_bound:
            self.initial.update(initial_of(scorecard))
        elif not self.is_bound:
            self.initial.update({f"{k}__{p}": v for k, c in COMPONENTS.items()
                                 for p, v in _mapping_initial(c.default_mapping).items()})
            self.initial["bands"] = _bands_text(DEFAULT_BANDS)

    def rows(self) -> list[dict[str, Any]]:
        """Per component its bound fields, for the template's table."""
        return [{"key": key, "component": c, **{p: self[f"{key}__{p}"] for p in PARTS if f"{key}__{p}" in self.fields}}
                for key, c in COMPONENTS.items()]

    def _mapping(self, key: str) -> dict:
        data = self.cleaned_data
        mapping: dict[str, Any] = {"kind": data[f"{key}__kind"], "direction": data[f"{key}__direction"]}
        if mapping["kind"] == "ramp":
            mapping.update(low=data[f"{key}__low"], high=data[f"{key}__high"])
        else:
            try:
                mapping["steps"] = _pairs(data[f"{key}__steps"] or "")
            except forms.ValidationError as error:
                self.add_error(f"{key}__steps", error)
                mapping["steps"] = []
            otherwise = data[f"{key}__otherwise"]
            mapping["otherwise"] = 0.0 if otherwise is None else otherwise
        return mapping

    def scorecard_data(self) -> ScorecardData | None:
        """The parsed input (call after ``is_valid()``), or None when parsing already failed on a field."""
        data = self.cleaned_data
        components, self.included = [], []
        for key in COMPONENTS:
            weight = data.get(f"{key}__weight")
            if not weight:
                continue  # empty or 0: not in the scorecard
            item = {"key": key, "weight": weight, "mapping": self._mapping(key)}
            if key == CATEGORY_KEY:
                item["category"] = data.get(f"{key}__category") or ""
            components.append(item)
            self.included.append(key)
        bands: dict[str, Any] = {}
        for item in _split(data.get("bands") or "")[:10]:
            name, _, edge = item.partition(":")
            try:
                bands[name.strip()] = float(edge)
            except ValueError:
                self.add_error("bands", f"“{item}” is not name:edge (for example yellow:40)")
        if self.errors:
            return None
        return ScorecardData(name=data["name"], definition={"components": components, "bands": bands},
                             lifecycle_stages=_split(data.get("lifecycle_stages") or ""),
                             tiers=_split(data.get("tiers") or ""), priority=data["priority"])

    def add_service_error(self, field: str, message: str) -> None:
        """A ScorecardError of the services, shown on the input its ``field`` names."""
        match = _ERROR_FIELD.match(field)
        if match and int(match.group(1)) < len(self.included):
            key, part = self.included[int(match.group(1))], match.group(2) or "weight"
            part = "weight" if part == "key" else part
            name = f"{key}__{part}" if f"{key}__{part}" in self.fields else f"{key}__weight"
            self.add_error(name, message)
        elif field.split(".")[0] in self.fields:
            self.add_error(field.split(".")[0], message)
        else:
            self.add_error(None, f"{field}: {message}")


def _bands_text(bands: dict) -> str:
    return ", ".join(f"{name}:{edge:g}" for name, edge in bands.items())


def _mapping_initial(mapping: dict) -> dict[str, Any]:
    initial: dict[str, Any] = {"kind": mapping["kind"], "direction": mapping["direction"]}
    if mapping["kind"] == "ramp":
        initial.update(low=mapping["low"], high=mapping["high"])
    else:
        initial.update(steps=", ".join(f"{e:g}:{p:g}" for e, p in mapping["steps"]), otherwise=mapping["otherwise"])
    return initial


def initial_of(scorecard: Scorecard) -> dict[str, Any]:
    """The form's initial values from the scorecard and its current version's definition."""
    definition = scorecard.current_version.definition if scorecard.current_version else {"components": [],
                                                                                          "bands": DEFAULT_BANDS}
    initial: dict[str, Any] = {"name": scorecard.name, "priority": scorecard.priority,
                               "lifecycle_stages": ", ".join(scorecard.lifecycle_stages),
                               "tiers": ", ".join(scorecard.tiers), "bands": _bands_text(definition["bands"])}
    for key, component in COMPONENTS.items():
        initial.update({f"{key}__{p}": v for p, v in _mapping_initial(component.default_mapping).items()})
    for item in definition["components"]:
        key = item["key"]
        initial.update({f"{key}__{p}": v for p, v in _mapping_initial(item["mapping"]).items()})
        initial[f"{key}__weight"] = item["weight"]
        if key == CATEGORY_KEY:
            initial[f"{key}__category"] = item.get("category", "")
    return initial
