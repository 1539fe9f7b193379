"""Every write of the learning app's enrollment (DESIGN.md: keyword-only, typed, atomic): targeting,
re-evaluation and the new-contact hook. Authoring lives in ``learning.paths.services``; this module
imports nothing but accounts and learning's own models, because ``accounts.services.contacts`` imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Tenant
from accounts.selectors import contact_targeting_rows
from learning import events as learning_events
from learning.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    LearningPath,
    Prerequisite,
    Step,
    StepKind,
    TargetingRule,
)
from learning.targeting import ContactFacts, Rule, matches

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Offer:
    path_id: int
    version_id: int
    rule: Rule
    requires: frozenset[int]
    has_product_task: bool


def _offers(tenant: Tenant) -> list[_Offer]:
    """The published paths with their rules and prerequisites: three queries whatever the contacts."""
    tasks = Step.objects.filter(tenant=tenant, version_id=OuterRef("current_version_id"), kind=StepKind.PRODUCT_TASK)
    paths = list(LearningPath.objects.filter(tenant=tenant, is_published=True, current_version__isnull=False)
                 .annotate(has_product_task=Exists(tasks)).order_by("priority", "pk"))
    rules = {r.path_id: r for r in TargetingRule.objects.filter(tenant=tenant, path__in=paths)}
    requires: dict[int, set[int]] = {}
    for p, r in Prerequisite.objects.filter(tenant=tenant, path__in=paths).values_list("path_id", "requires_id"):
        requires.setdefault(p, set()).add(r)
    return [_Offer(p.pk, p.current_version_id, Rule.of(rules.get(p.pk)), frozenset(requires.get(p.pk, ())),
                   p.has_product_task) for p in paths]


def _facts(tenant: Tenant, contact_ids: Sequence[int]) -> dict[int, ContactFacts]:
    rows = contact_targeting_rows(tenant=tenant, contact_ids=contact_ids)
    return {pk: ContactFacts(persona or "", level or "", stage or "", tier or "", plan or "")
            for pk, persona, level, stage, tier, plan in rows}


@dataclass(frozen=True)
class _Wanted:
    pairs: set[tuple[int, int]]  # (contact, path) that should be enrolled
    versions: dict[int, int]  # path -> its current version
    found: list[int]  # the contacts that exist
    task_paths: frozenset[int]  # paths whose current version has a product task


def _wanted(tenant: Tenant, contact_ids: Sequence[int]) -> _Wanted:
    """(contact, path) pairs that should be enrolled, each path's current version, the contacts found, the
    paths with product tasks. A path with prerequisites is offered once the contact has completed all of them."""
    offers = _offers(tenant)
    facts = _facts(tenant, contact_ids)
    completed: set[tuple[int, int]] = set()
    if any(o.requires for o in offers):
        completed = set(Enrollment.objects.filter(tenant=tenant, status=EnrollmentStatus.COMPLETED)
                        .extra(where=['"learning_enrollment"."contact_id" = ANY(%s::bigint[])'],  # noqa: S610
                               params=[list(facts)])  # one parameter, not an IN list of 50,000
                        .values_list("contact_id", "path_id"))
    wanted = {(cid, o.path_id) for cid, f in facts.items() for o in offers
              if matches(o.rule, f) and all((cid, r) in completed for r in o.requires)}
    return _Wanted(wanted, {o.path_id: o.version_id for o in offers}, list(facts),
                   frozenset(o.path_id for o in offers if o.has_product_task))


# Contacts per catch-up task: a 50,000-contact import enqueues 25 small messages, not one huge one.
CATCH_UP_TASK_CONTACTS = 2000


def _catch_up_on_commit(tenant: Tenant, pairs: set[tuple[int, int]], task_paths: frozenset[int]) -> None:
    """Contacts just enrolled in a path with a product task may have done it already (an event before the
    enrollment counts, learning.events): once the enrollment commits, a Celery task looks at their
    history. No query: the offers said which paths have product tasks."""
    contacts = sorted({c for c, p in pairs if p in task_paths})
    if not contacts:
        return
    from learning.tasks import catch_up_product_tasks  # the tasks module imports product_tasks, which needs us

    tenant_id = tenant.pk

    def enqueue() -> None:
        learning_events.forget_waiting(tenant_id)  # this process's merges see the new waiting names at once
        for start in range(0, len(contacts), CATCH_UP_TASK_CONTACTS):
            catch_up_product_tasks.delay(tenant_id, contacts[start:start + CATCH_UP_TASK_CONTACTS])

    # robust: a broker that is down loses the catch-up, not the enrollment (the sweep does it later).
    transaction.on_commit(enqueue, robust=True)


_INSERT_ENROLLMENTS = """
    INSERT INTO learning_enrollment (tenant_id, contact_id, path_id, version_id, status, enrolled_at)
    SELECT %(tenant)s, pair.contact_id, pair.path_id, pair.version_id, %(status)s, %(now)s
    FROM unnest(%(contacts)s::bigint[], %(paths)s::bigint[], %(versions)s::bigint[])
         AS pair(contact_id, path_id, version_id)
    WHERE NOT EXISTS (SELECT 1 FROM learning_enrollment e
                      WHERE e.tenant_id = %(tenant)s AND e.contact_id = pair.contact_id AND e.path_id = pair.path_id)
    ON CONFLICT DO NOTHING
    RETURNING 1
"""


def _insert_enrollments(tenant: Tenant, pairs: Sequence[tuple[int, int]], versions: dict[int, int]) -> int:
    """Insert the (contact, path) pairs not enrolled yet, pinned to each path's current version: one statement
    whatever their number (three arrays unnested), and exactly the rows inserted are counted (RETURNING
    answers for inserted rows only). A pair enrolled already is left out by the anti-join, an index probe per
    pair, so a rerun inserts nothing rather than trying every insert and letting ON CONFLICT refuse it; one
    enrolled meanwhile by a concurrent call is skipped by the unique (tenant, contact, path). The other columns
    take their database defaults (source "targeting", no reminders, no certificate)."""
    params = {"tenant": tenant.pk, "status": EnrollmentStatus.ENROLLED, "now": timezone.now(),
              "contacts": [c for c, _ in pairs], "paths": [p for _, p in pairs],
              "versions": [versions[p] for _, p in pairs]}
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ENROLLMENTS, params)
        return len(cursor.fetchall())


def enroll(*, tenant: Tenant, contact_ids: Sequence[int]) -> int:
    """Enroll these contacts in every published path whose rule matches them, in one pass (a handful of
    queries and one multi-row insert, whatever the number of contacts); an existing enrollment, whatever
    its status, is left alone (the unique (tenant, contact, path) makes a rerun or a race a no-op).
    Answers exactly how many enrollments this call created."""
    if not contact_ids:
        return 0
    with transaction.atomic():
        found = _wanted(tenant, contact_ids)
        wanted, versions = found.pairs, found.versions
        if not wanted:
            return 0
        created = _insert_enrollments(tenant, sorted(wanted), versions)
        _catch_up_on_commit(tenant, wanted, found.task_paths)
        return created


@transaction.atomic
def reevaluate(*, tenant: Tenant, contact_ids: Sequence[int]) -> dict[str, int]:
    """After a change of persona, knowledge level or account stage/tier/plan: enroll the new matches,
    withdraw enrollments of published paths that no longer match and were not started, and re-enroll a
    withdrawn enrollment that matches again (the same row: never a duplicate); enrollments whose source is
    not targeting (by hand, support, external) are left alone. Running it twice changes nothing the second
    time. Answers ``{"enrolled": n, "withdrawn": n, "reenrolled": n}``."""
    if not contact_ids:
        return {"enrolled": 0, "withdrawn": 0, "reenrolled": 0}
    targets = _wanted(tenant, contact_ids)
    wanted, versions, found = targets.pairs, targets.versions, targets.found
    existing = {(c, p): (pk, status, source) for pk, c, p, status, source in Enrollment.objects.filter(
        tenant=tenant, contact_id__in=found, path_id__in=list(versions)).values_list(
            "pk", "contact_id", "path_id", "status", "source")}
    now = timezone.now()
    # Only targeting's own decisions are revisited: an enrollment made or withdrawn by hand, from a ticket or
    # by an external LMS stays as it is (learning.learners.services).
    withdraw = [pk for key, (pk, status, source) in existing.items()
                if key not in wanted and status == EnrollmentStatus.ENROLLED and source == EnrollmentSource.TARGETING]
    back = [(pk, key[1]) for key, (pk, status, source) in existing.items()
            if key in wanted and status == EnrollmentStatus.WITHDRAWN and source == EnrollmentSource.TARGETING]
    contacts = {pk: key[0] for key, (pk, _, _) in existing.items()}
    new = sorted(wanted - set(existing))
    Enrollment.objects.filter(tenant=tenant, pk__in=withdraw).update(status=EnrollmentStatus.WITHDRAWN,
                                                                     withdrawn_at=now)
    for path_id in {p for _, p in back}:
        # A learner coming back starts the path's current version: the one they left may be long gone.
        Enrollment.objects.filter(tenant=tenant, pk__in=[pk for pk, p in back if p == path_id]).update(
            status=EnrollmentStatus.ENROLLED, withdrawn_at=None, enrolled_at=now, version_id=versions[path_id])
    enrolled = _insert_enrollments(tenant, new, versions) if new else 0
    _catch_up_on_commit(tenant, set(new) | {(contacts[pk], p) for pk, p in back}, targets.task_paths)
    return {"enrolled": enrolled, "withdrawn": len(withdraw), "reenrolled": len(back)}


def enroll_new_contacts(*, tenant: Tenant, contact_ids: Sequence[int]) -> int:
    """Continuous onboarding (DESIGN.md "Data that flows"): enroll contacts that just became known in the
    learning paths whose targeting rules match them; answers how many enrollments were made.

    Called by ``accounts.services.contacts`` only, which creates every contact whatever its source (API
    bulk, CSV import, demo seed, contact page and admin, ticket identity, first usage event): once per
    write, with exactly the contacts that write created (sorted ids; never an updated or duplicate one),
    after that write's transaction has committed, inside the tenant's scope. Its own writes are
    therefore its own transaction (:func:`enroll`: one set-based pass, so a 50,000-contact import costs a
    few queries and one insert, not one per contact). It must never make the contact write fail: an
    error is logged and answered as 0 (the caller registers it ``robust`` too; a later re-evaluation
    enrolls whoever was missed).
    """
    try:
        return enroll(tenant=tenant, contact_ids=contact_ids)
    except Exception:
        log.exception("learning: enrolling %d new contacts of tenant %s failed", len(contact_ids), tenant.pk)
        return 0


def targeting_changed(*, tenant: Tenant, contact_ids: Sequence[int]) -> dict[str, int]:
    """Re-targeting (DESIGN.md "Data that flows"): these contacts' persona or knowledge level, or their
    account's lifecycle stage, tier or plan, just changed; re-evaluate them (:func:`reevaluate`: new matches
    enrolled, unstarted enrollments that no longer match withdrawn, never a duplicate).

    Called by ``accounts.services`` the way :func:`enroll_new_contacts` is: once per write with every affected
    contact (an account's change: all its contacts), after the write has committed, in the tenant's scope.
    It must never fail that write: an error is logged and answered as ``{}``.
    """
    try:
        return reevaluate(tenant=tenant, contact_ids=contact_ids)
    except Exception:
        log.exception("learning: re-evaluating %d contacts of tenant %s failed", len(contact_ids), tenant.pk)
        return {}
