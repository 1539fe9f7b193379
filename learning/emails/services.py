"""Every write of the learning emails (DESIGN.md: keyword-only, typed, atomic): the tenant's policy, the
invitations of newly enrolled contacts and the reminders of stalled learners.

Both senders work the same way, like the surveys' sender (surveys.sending.services):

- **selection is set-based and chunked**: one query finds the next :data:`CHUNK` contacts (by id, after the
  last one seen) that have something due, one more their enrollments; each chunk is one transaction in which
  the magic links (one insert), the outbox messages (one insert) and the enrollments' ``invited_at`` /
  ``reminded_at`` (one update) commit together. A killed run loses only its open chunk, which is still due.
- **one email per contact per run**, listing every due path (never one per path).
- **two runs at once**: each chunk's decisions run under a transaction-level advisory lock per tenant
  (``pg_try_advisory_xact_lock``); a second run that cannot take it stops (the beat comes back), so nobody
  gets an email twice. A rerun finds nothing due: the sends are idempotent.
- **who is never emailed**: contacts with a blank email or a surveys ``OptOut`` (the surveys' opt-out link is
  the only unsubscribe a contact has; honouring it here means "no more emails" from the vendor's platform).
  They are left out in SQL, so they are not selected again and again.

The fatigue decision (the issue: "throttled through the surveys' fatigue budget if present, else its own"):

- **invitations** do not draw on the budget: they are the contact's access to training they were just
  enrolled in (continuous onboarding), sent once per enrollment; holding one back for a survey's 30-day
  cooldown would defeat onboarding. Opt-out and blank email apply.
- **reminders** do draw on it, as readers: with ``LearningPolicy.reminders_use_survey_budget`` (the default)
  a reminder waits while the surveys' budget would refuse that contact a survey (a survey sent within the
  contact cooldown, or the account's monthly limit reached, surveys.sending.fatigue). They do not spend it:
  the budget counts survey invitations only, so a nudge to finish a lesson never costs the vendor a CSAT
  answer. A reminder held back is not counted as sent (no ``reminded_at``, no ``reminders_sent``): it goes
  out on a later run once the budget allows. Their own throttle applies on top: ``stalled_days`` apart, at
  most ``max_reminders`` per enrollment, one email per contact per run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from cs_platform.tenant_rows import replace_row, row_for
from learning.emails.models import LearningPolicy
from learning.emails.render import PathLine, learning_email
from learning.links import LIFETIME, issue_links
from learning.models import Enrollment, EnrollmentStatus, LinkPurpose, Step, StepProgress
from surveys.sending import fatigue
from surveys.sending import selectors as survey_selectors
from surveys.sending.outbox import queue_emails

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from accounts.models import Tenant
    from surveys.sending.models import SurveyPolicy

CHUNK = 100  # contacts per transaction
# pg_try_advisory_xact_lock(class, tenant id): the learning emails' decisions for one tenant (a constant of ours,
# not the surveys sender's 12_001: the two senders need not wait for each other).
EMAIL_LOCK_CLASS = 13_001
POLICY_FIELDS = ("invitations_enabled", "reminders_enabled", "stalled_days", "max_reminders",
                 "reminders_use_survey_budget")


# --- the policy -------------------------------------------------------------------------------------


def policy_for(*, tenant: Tenant) -> LearningPolicy:
    """The tenant's one policy row, created with the defaults on first use."""
    return row_for(LearningPolicy, tenant=tenant)


@dataclass
class PolicyData:
    invitations_enabled: bool
    reminders_enabled: bool
    stalled_days: int
    max_reminders: int
    reminders_use_survey_budget: bool


def save_policy(*, tenant: Tenant, data: PolicyData, by: AbstractBaseUser | None) -> LearningPolicy:
    """Replace the policy's values, recording who changed it (``updated_at`` is the when)."""
    return replace_row(LearningPolicy, tenant=tenant, values={name: getattr(data, name) for name in POLICY_FIELDS},
                       by=by)


# --- the senders ------------------------------------------------------------------------------------


@dataclass
class EmailResult:
    emails: int = 0  # one per contact
    enrollments: int = 0  # the paths those emails listed
    held: Counter = field(default_factory=Counter)  # reminders held back, by the survey budget's reason
    busy: bool = False  # another run held the tenant's lock: this one stopped


def _try_lock(tenant: Tenant) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [EMAIL_LOCK_CLASS, tenant.pk])
        return bool(cursor.fetchone()[0])


def _reachable(rows: QuerySet, tenant: Tenant) -> QuerySet:
    """Enrollments of contacts that may be emailed at all, on published paths."""
    return (rows.filter(path__is_published=True).exclude(contact__email="")
            .exclude(contact_id__in=survey_selectors.opted_out_contacts(tenant=tenant)))


def _next_contacts(due: QuerySet, after: int, size: int) -> list[int]:
    return list(due.filter(contact_id__gt=after).order_by("contact_id").values_list("contact_id", flat=True)
                .distinct()[:size])


def _open_chunk(tenant: Tenant, due: QuerySet, after: int, size: int,
                result: EmailResult) -> tuple[list[int], dict[int, list[Enrollment]]] | None:
    """In the chunk's transaction: the tenant's lock (else ``busy``), then the next contacts (by id) and their
    due enrollments grouped by contact; None when busy or nothing is left."""
    if not _try_lock(tenant):
        result.busy = True
        return None
    contact_ids = _next_contacts(due, after, size)
    return (contact_ids, _by_contact(due, contact_ids)) if contact_ids else None


def _by_contact(due: QuerySet, contact_ids: list[int]) -> dict[int, list[Enrollment]]:
    """The contacts' due enrollments, each contact's in the order the portal lists them (required first)."""
    rows = (due.filter(contact_id__in=contact_ids).select_related("contact", "path")
            .order_by("contact_id", "-path__is_required", "path__priority", "path_id"))
    grouped: dict[int, list[Enrollment]] = {}
    for row in rows:
        grouped.setdefault(row.contact_id, []).append(row)
    return grouped


def _queue(*, tenant: Tenant, kind: str, purpose: str, groups: dict[int, list[Enrollment]],
           lines: dict[int, PathLine], language: str, now: dt.datetime) -> None:
    """Issue one magic link per contact and queue one email each, listing its enrollments' ``lines``."""
    tokens = issue_links(tenant=tenant, contact_ids=list(groups), purpose=purpose, now=now)
    expires_at = now + LIFETIME[purpose]
    emails = []
    for contact_id, enrollments in groups.items():
        contact = enrollments[0].contact
        emails.append((contact.email, learning_email(
            kind=kind, tenant=tenant, language=contact.language or language, contact_name=contact.name,
            paths=[lines[e.pk] for e in enrollments], token=tokens[contact_id], expires_at=expires_at)))
    queue_emails(tenant=tenant, emails=emails, now=now)


def _run(chunk, *, limit: int) -> EmailResult:
    """Call ``chunk(after, size, result)`` until it answers None (nothing left, or busy) or ``limit``
    contacts were looked at."""
    result, after, seen = EmailResult(), 0, 0
    while seen < limit:
        size = min(CHUNK, limit - seen)
        after_next = chunk(after, size, result)
        if after_next is None:
            break
        after, seen = after_next[0], seen + after_next[1]
    return result


def send_invitations(*, tenant: Tenant, now: dt.datetime | None = None, limit: int = 10_000) -> EmailResult:
    """Email every contact with enrollments not yet announced (status ``enrolled``, ``invited_at`` null) one
    invitation listing those paths, with a magic link (purpose ``invitation``); then ``invited_at`` is set.
    Nothing when the tenant's policy turns invitations off."""
    now = now or timezone.now()
    if not policy_for(tenant=tenant).invitations_enabled:
        return EmailResult()
    language = survey_selectors.policy(tenant=tenant).default_language
    due = _reachable(Enrollment.objects.filter(tenant=tenant, status=EnrollmentStatus.ENROLLED,
                                               invited_at__isnull=True), tenant)

    def chunk(after: int, size: int, result: EmailResult) -> tuple[int, int] | None:
        with transaction.atomic():
            if (opened := _open_chunk(tenant, due, after, size, result)) is None:
                return None
            contact_ids, groups = opened
            lines = {e.pk: PathLine(e.path.name) for rows in groups.values() for e in rows}
            _queue(tenant=tenant, kind="invitation", purpose=LinkPurpose.INVITATION, groups=groups, lines=lines,
                   language=language, now=now)
            result.enrollments += Enrollment.objects.filter(tenant=tenant, pk__in=list(lines),
                                                            invited_at__isnull=True).update(invited_at=now)
            result.emails += len(groups)
            return contact_ids[-1], len(contact_ids)

    return _run(chunk, limit=limit)


def _stalled(*, tenant: Tenant, policy: LearningPolicy, now: dt.datetime) -> QuerySet:
    """Enrollments due a reminder at ``now`` (LearningPolicy's docstring); with invitations on, only after the
    invitation went out (the reminder must not be the first email)."""
    since = now - dt.timedelta(days=policy.stalled_days)
    rows = (Enrollment.objects.filter(tenant=tenant, status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.STARTED],
                                      reminders_sent__lt=policy.max_reminders)
            .alias(last_seen=Coalesce("last_activity_at", "invited_at", "enrolled_at"))
            .filter(last_seen__lte=since)
            .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=since)))
    if policy.invitations_enabled:
        rows = rows.filter(invited_at__isnull=False)
    return _reachable(rows, tenant)


def _progress_lines(tenant: Tenant, enrollments: list[Enrollment]) -> dict[int, PathLine]:
    """Each enrollment's path name with its steps done and its version's steps: two grouped queries."""
    totals = dict(Step.objects.filter(tenant=tenant, version_id__in={e.version_id for e in enrollments})
                  .values("version_id").annotate(n=Count("id")).values_list("version_id", "n"))
    done = dict(StepProgress.objects.filter(tenant=tenant, enrollment_id__in=[e.pk for e in enrollments])
                .values("enrollment_id").annotate(n=Count("id")).values_list("enrollment_id", "n"))
    return {e.pk: PathLine(e.path.name, done.get(e.pk, 0), totals.get(e.version_id, 0)) for e in enrollments}


def _held(budget: fatigue.Budget | None, enrollments: list[Enrollment]) -> str | None:
    if budget is None:
        return None
    contact = enrollments[0].contact
    return budget.reason(contact_id=contact.pk, account_id=contact.account_id, email=contact.email)


def send_reminders(*, tenant: Tenant, now: dt.datetime | None = None, limit: int = 10_000) -> EmailResult:
    """Email every contact with stalled enrollments one reminder listing them with their progress and a fresh
    magic link (purpose ``reminder``); each listed enrollment gets ``reminded_at`` = now and one more
    ``reminders_sent``. A contact the survey budget holds back is skipped without either (module doc)."""
    now = now or timezone.now()
    policy = policy_for(tenant=tenant)
    if not policy.reminders_enabled or policy.max_reminders == 0:
        return EmailResult()
    survey_policy: SurveyPolicy = survey_selectors.policy(tenant=tenant)
    due = _stalled(tenant=tenant, policy=policy, now=now)

    def chunk(after: int, size: int, result: EmailResult) -> tuple[int, int] | None:
        with transaction.atomic():
            if (opened := _open_chunk(tenant, due, after, size, result)) is None:
                return None
            contact_ids, groups = opened
            budget = fatigue.load_budget(
                tenant=tenant, policy=survey_policy, now=now, contact_ids=list(groups),
                account_ids=[rows[0].contact.account_id for rows in groups.values()],
            ) if policy.reminders_use_survey_budget else None
            sending: dict[int, list[Enrollment]] = {}
            for contact_id, rows in groups.items():
                if reason := _held(budget, rows):
                    result.held[reason] += 1
                else:
                    sending[contact_id] = rows
            if sending:
                enrollments = [e for rows in sending.values() for e in rows]
                _queue(tenant=tenant, kind="reminder", purpose=LinkPurpose.REMINDER, groups=sending,
                       lines=_progress_lines(tenant, enrollments), language=survey_policy.default_language, now=now)
                result.enrollments += Enrollment.objects.filter(
                    tenant=tenant, pk__in=[e.pk for e in enrollments]).update(
                    reminded_at=now, reminders_sent=F("reminders_sent") + 1)
                result.emails += len(sending)
            return contact_ids[-1], len(contact_ids)

    return _run(chunk, limit=limit)


def send_learning_emails(*, tenant: Tenant, now: dt.datetime | None = None) -> dict:
    """The beat's run for one tenant: invitations first (a reminder never precedes them), then reminders."""
    now = now or timezone.now()
    invited = send_invitations(tenant=tenant, now=now)
    reminded = send_reminders(tenant=tenant, now=now)
    return {"invitations": invited.emails, "invited_enrollments": invited.enrollments,
            "reminders": reminded.emails, "reminded_enrollments": reminded.enrollments,
            "reminders_held": dict(reminded.held), "busy": invited.busy or reminded.busy}
