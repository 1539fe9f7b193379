"""Writes of the closed loop: follow-up tasks for low responses (accounts.worklist does the writing).

:func:`open_follow_ups` is the one entry point: ``surveys.services.follow_up_on_commit`` calls it after a
write of responses commits (the API, and the public page's answer service at merge), and the sweep
(:func:`sweep_follow_ups`, beat every 10 minutes) catches whatever a failed hook missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.tenancy import tenant_scope
from accounts.worklist.models import SourceKind
from accounts.worklist.selectors import sources_with_tasks
from accounts.worklist.services import SourcedTask, open_tasks_for_sources
from surveys.loop import selectors
from surveys.loop.rules import FOLLOW_UP_BUSINESS_DAYS, SWEEP_DAYS, add_business_days
from surveys.scales import Kind

if TYPE_CHECKING:
    from accounts.models import Tenant
    from surveys.models import SurveyResponse

SWEEP_LIMIT = 1000  # per tenant and run; the next run (10 minutes later) takes the rest
DETAIL_COMMENT = 1000


def follow_up_title(response: SurveyResponse) -> str:
    """E.g. ``Follow up: NPS 3 from Jane Doe (Acme)``."""
    contact = response.contact
    who = contact.name or contact.email or contact.external_id
    return f"Follow up: {Kind(response.survey.kind).label} {response.score} from {who} ({response.account.name})"


def _detail(response: SurveyResponse, tenant: Tenant) -> str:
    local = response.submitted_at.astimezone(tenant.zone)
    lines = [f"{response.survey.name}, answered {local:%Y-%m-%d %H:%M}."]
    comment = " ".join(response.comment.split())
    if comment:
        lines.append(f"Comment: “{comment[:DETAIL_COMMENT]}”")
    return "\n".join(lines)


def open_follow_ups(*, tenant: Tenant, response_ids: Iterable[int], now: dt.datetime | None = None) -> list[int]:
    """For each low response (NPS <= 6, CSAT <= 2) among ``response_ids`` without a follow-up task yet: a
    task for the account's owner CSM (unassigned when it has none), due FOLLOW_UP_BUSINESS_DAYS working days
    after today (tenant time zone). Answers the response ids that got a task now. Idempotent, also against
    a concurrent call (accounts.worklist.services.open_tasks_for_sources)."""
    now = now or timezone.now()
    ids = list(response_ids)
    with tenant_scope(tenant), transaction.atomic():  # the on_commit hook runs after the request's scope may end
        low = list(selectors.low_responses(tenant=tenant, response_ids=ids))
        if not low:
            return []
        taken = sources_with_tasks(tenant=tenant, source_kind=SourceKind.SURVEY_RESPONSE,
                                   source_ids=[r.pk for r in low])
        due = add_business_days(now.astimezone(tenant.zone).date(), FOLLOW_UP_BUSINESS_DAYS)
        wanted = [SourcedTask(source_id=r.pk, account_id=r.account_id, contact_id=r.contact_id,
                              assignee_id=r.account.owner_csm_id, title=follow_up_title(r), detail=_detail(r, tenant),
                              due_on=due)
                  for r in low if r.pk not in taken]
        return open_tasks_for_sources(tenant=tenant, source_kind=SourceKind.SURVEY_RESPONSE, tasks=wanted)


def sweep_follow_ups(*, tenant: Tenant, now: dt.datetime | None = None) -> list[int]:
    """The safety net: low responses of the last SWEEP_DAYS days without a task get one."""
    now = now or timezone.now()
    with tenant_scope(tenant):
        ids = selectors.recent_low_response_ids(tenant=tenant, since=now - dt.timedelta(days=SWEEP_DAYS),
                                                limit=SWEEP_LIMIT)
    return open_follow_ups(tenant=tenant, response_ids=ids, now=now) if ids else []
