"""Completions reported by an external LMS (API.md ``POST /learning/completions``).

Decisions the docs leave open:

- **Idempotent, and the same answer twice.** A completion already recorded changes nothing (the first
  completion's time and evidence stay: ``learning.progress``) and is answered exactly as the first time:
  ``accepted`` counts the items whose completion is recorded (now or before), ``completions`` shows each
  one's stored state. ``duplicates`` counts only repeats inside one batch (the first one stands).
- **Not enrolled yet:** the contact is enrolled first in the path's current version, ``source`` external,
  ``enrolled_at`` the completion's time (the learner was learning in the LMS by then). A withdrawn
  enrollment is re-opened in its version: the LMS says the learner did it.
- **A step** is named by ``path`` + its key in the learner's version, or by a step id, which names its key
  (of any version of the path): the learner's version's step of that key is the one completed, so an LMS
  that stored ids of an older version still works.
- **A time before the enrollment** (the learner did it before this platform enrolled them): the step's
  ``done_at`` is the enrollment time, as for product tasks (no negative time to complete); the evidence keeps
  the reported time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import Tenant
from accounts.selectors import contacts_by_external_id
from cs_platform.bulk import BulkResult, ItemValidator
from learning.external import selectors
from learning.external.inputs import CompletionItem
from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, LearningPath, Step, StepProgress
from learning.progress import ProgressError, complete_path, complete_step


@dataclass
class CompletionResult(BulkResult):
    completions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        self.rejected.sort(key=lambda r: r["index"])
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected,
                "completions": sorted(self.completions, key=lambda c: c["index"])}


class _Refused(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def record_completions(*, tenant: Tenant, items: Sequence[Any]) -> CompletionResult:
    """Validate each item alone, resolve contacts, paths and steps for the batch in a few queries, then record
    each valid item in its own savepoint (written whole or not at all); invalid ones are rejected by index."""
    result = CompletionResult()
    validate = ItemValidator(CompletionItem)
    clean: dict[int, dict] = {}
    first_of: dict[tuple, int] = {}
    for index, raw in enumerate(items):
        data, errors = validate(raw)
        if errors:
            result.reject(index, errors)
            continue
        key = (data["contact"], data.get("path"), data.get("step"))
        if first_of.setdefault(key, index) != index:
            result.duplicates += 1
            continue
        clean[index] = data
    if not clean:
        return result
    contacts = contacts_by_external_id(tenant=tenant, external_ids=(d["contact"] for d in clean.values()))
    paths = selectors.paths_by_reference(tenant=tenant, references=(d["path"] for d in clean.values() if d.get("path")))
    steps = selectors.steps_by_id(tenant=tenant, ids=(d["step"] for d in clean.values()
                                                      if d.get("step") and not d.get("path")))
    for index, data in clean.items():
        try:
            with transaction.atomic():
                result.completions.append({"index": index, **_record(tenant, data, contacts, paths, steps)})
        except _Refused as refused:
            result.reject(index, [{"field": refused.field, "message": str(refused)}])
        except ProgressError as exc:
            result.reject(index, [{"field": exc.field, "message": str(exc)}])
        else:
            result.accepted += 1
    return result


def _record(tenant: Tenant, data: dict, contacts: dict, paths: dict[str, LearningPath],
            steps: dict[str, Step]) -> dict[str, Any]:
    contact = contacts.get(data["contact"])  # (contact id, account id)
    if contact is None:
        raise _Refused("contact", "no contact with this external_id")
    step_key = None
    if data.get("path"):
        path = paths.get(data["path"])
        if path is None:
            raise _Refused("path", "no path with this slug or id")
        path_id, step_key = path.pk, data.get("step")
    else:
        step = steps.get(data["step"])
        if step is None:
            raise _Refused("step", "no step with this id")
        path_id, step_key = step.version.path_id, step.key
    evidence = {"kind": "external", "completed_at": data["completed_at"].isoformat()}
    if data.get("score") is not None:
        evidence["score"] = data["score"]
    enrollment = _enrollment(tenant, contact[0], path_id, data["completed_at"])
    if step_key is None:
        complete_path(tenant=tenant, enrollment=enrollment, completed_at=data["completed_at"], evidence=evidence)
    else:
        target = Step.objects.filter(tenant=tenant, version_id=enrollment.version_id, key=step_key).first()
        if target is None:
            raise _Refused("step", "the learner's version of the path has no step with this key")
        complete_step(tenant=tenant, enrollment=enrollment, step=target,
                      done_at=max(data["completed_at"], enrollment.enrolled_at), evidence=evidence)
    enrollment.refresh_from_db()
    out: dict[str, Any] = {"contact": data["contact"], "path": enrollment.path.slug, "step": step_key,
                           "status": enrollment.status, "completed_at": enrollment.completed_at}
    if step_key is not None:
        out["step_done_at"] = StepProgress.objects.filter(tenant=tenant, enrollment=enrollment,
                                                          step__key=step_key, step__version_id=enrollment.version_id
                                                          ).values_list("done_at", flat=True).first()
    return out


def _enrollment(tenant: Tenant, contact_id: int, path_id: int, at: dt.datetime) -> Enrollment:
    """The contact's enrollment in the path, made (source external) or re-opened when needed; locked."""
    enrollment = Enrollment.objects.select_for_update().filter(tenant=tenant, contact_id=contact_id,
                                                               path_id=path_id).first()
    if enrollment is None:
        version_id = LearningPath.objects.filter(tenant=tenant, pk=path_id).values_list(
            "current_version_id", flat=True).first()
        if version_id is None:
            raise _Refused("path", "this path was never published")
        Enrollment.objects.bulk_create([Enrollment(
            tenant=tenant, contact_id=contact_id, path_id=path_id, version_id=version_id, enrolled_at=at,
            source=EnrollmentSource.EXTERNAL)], ignore_conflicts=True)  # a concurrent enrollment wins
        enrollment = Enrollment.objects.select_for_update().get(tenant=tenant, contact_id=contact_id, path_id=path_id)
    elif enrollment.status == EnrollmentStatus.WITHDRAWN:
        Enrollment.objects.filter(tenant=tenant, pk=enrollment.pk).update(status=EnrollmentStatus.ENROLLED,
                                                                          withdrawn_at=None)
        enrollment.refresh_from_db()
    return enrollment
