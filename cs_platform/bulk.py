"""Batch validation and results, shared by every bulk write (API bulk endpoints, CSV import, seeding):
every item is validated alone, every valid one written, every invalid one reported by its 0-based index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers

from cs_platform.api.serializers import StrictSerializer


@dataclass
class BulkResult:
    """API.md's bulk answer; ``created``/``updated`` say what ``accepted`` was made of."""

    accepted: int = 0
    duplicates: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def tally(self, outcome: str) -> None:
        """Count one written item by its outcome: ``created``, ``updated`` or ``duplicate``."""
        if outcome == "duplicate":
            self.duplicates += 1
        else:
            self.accepted += 1
            setattr(self, outcome, getattr(self, outcome) + 1)

    def reject(self, index: int, errors: list[dict]) -> None:
        self.rejected.append({"index": index, "errors": errors})

    def as_dict(self) -> dict[str, Any]:
        self.rejected.sort(key=lambda r: r["index"])
        return {"accepted": self.accepted, "duplicates": self.duplicates, "created": self.created,
                "updated": self.updated, "rejected": self.rejected}


def validate_batch(serializer_class, items: Sequence[Any], result: BulkResult, *,
                   key: str = "external_id") -> dict[int, dict]:
    """Validate each item of a bulk upsert (index -> clean data); invalid items are rejected into
    ``result``, and so is a second item whose ``key`` was already seen in the batch."""
    clean: dict[int, dict] = {}
    first_index: dict[str, int] = {}
    validate = ItemValidator(serializer_class)
    for index, raw in enumerate(items):
        data, errors = validate(raw)
        if errors:
            result.reject(index, errors)
            continue
        seen = first_index.setdefault(data[key], index)
        if seen != index:
            result.reject(index, [{"field": key, "message": f"duplicate {key} in this batch (first at index {seen})"}])
            continue
        clean[index] = data
    return clean


MAX_BATCH = 1000


class ItemValidator:
    """Validates many items with one serializer instance.

    A DRF serializer deep-copies its declared fields on every instantiation, which was two thirds of
    the time of a bulk upsert; binding the fields once and calling ``run_validation`` per item keeps
    the exact same rules at about three times the speed.
    """

    def __init__(self, serializer_class: type[StrictSerializer]) -> None:
        self.serializer = serializer_class()

    def __call__(self, raw: Any) -> tuple[dict | None, list[dict]]:
        """One item -> (clean data, []) or (None, [{"field", "message"}, ...])."""
        from cs_platform.api.errors import flatten_errors

        if not isinstance(raw, dict):
            return None, [{"field": None, "message": "each item must be a JSON object"}]
        try:
            return dict(self.serializer.run_validation(raw)), []
        except serializers.ValidationError as exc:
            return None, flatten_errors(exc.detail)
